"""Bootstrap: once per account (docs/operations.md). GitHub's OIDC provider, a
deploy role per stage that only the repository's workflow running in that
GitHub environment can assume, with the permissions boundary of the roles
the stage's stack creates, the bucket CI stages packages in, the account's
receipt rule set, and the account-wide role API Gateway writes logs with."""

from __future__ import annotations

import json

from infra.stack import iam
from infra.stack.data import bucket, expiry
from infra.stack.functions import app_functions
from infra.stack.iam import allow, arn
from infra.stack.naming import AWS_STAGES, ROOT, boundary_arn, function_name, names
from infra.stack.policies import policy

GITHUB_OIDC_THUMBPRINT = (
    "6938fd4d98bab03faadb97b34396831e3780aea1"  # ignored by IAM for GitHub since 2023, still required
)
GITHUB_TOKENS = "token.actions.githubusercontent.com"
ACTIONS_FILE = ROOT / "infra" / "generated" / "deploy-actions.json"
POLICY_CHARACTERS = 6144  # a managed policy's size limit (IAM counts characters, not whitespace)
# Role actions that shape what a role may do: only with the stage's boundary on it.
SHAPING = ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary")
# The boundary itself is the bootstrap's; no deploy role may lift it or change it.
DENIED = ("iam:DeleteRolePermissionsBoundary",)
BOUNDARY_CHANGES = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
)


def _sub(text: str) -> dict:
    return {"Fn::Sub": text}


def stack_actions(stage: str) -> list[str]:
    """What CloudFormation does with the deploy role's credentials for the
    stage's template: each resource type's handler permissions
    (infra/permissions.py derives them; the test proves the file current)."""
    return json.loads(ACTIONS_FILE.read_text())[stage]


def boundary(stage: str) -> dict:
    """The permissions boundary of every role the stage's stack creates: what
    the functions' policies grant, the secret's rotation and Scheduler's
    invocation; nothing of IAM but passing the scheduler role to Scheduler.
    A role the deploy role creates can never do more, whatever its policy says."""
    n = names(stage)
    statements = [s for name in app_functions() for s in policy(stage, name)["Statement"]]
    statements += [
        allow(
            [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
            arn("secretsmanager", f"secret:{n['secret']}-??????"),
        ),
        allow("secretsmanager:GetRandomPassword", "*"),
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            arn("logs", f"log-group:/aws/lambda/{n['app']}-rotate-secret:*"),
        ),
        allow("lambda:InvokeFunction", arn("lambda", f"function:{function_name(stage, 'on_schedule')}")),
        allow("sqs:SendMessage", arn("sqs", n["dead_letters"])),
    ]
    grouped: dict[tuple[str, str], set[str]] = {}
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        key = (json.dumps(sorted(resources)), json.dumps(statement.get("Condition"), sort_keys=True))
        grouped.setdefault(key, set()).update(actions)
    return iam.document(
        *(
            allow(sorted(actions), json.loads(resources), condition=json.loads(condition))
            for (resources, condition), actions in sorted(grouped.items())
        )
    )


def deploy_policy(stage: str) -> dict:
    """What infra/deploy.py calls itself (each call of it, infra/permissions.py
    reads them from its source), and the stage's roles as CloudFormation
    makes them: named for the stage, each with the stage's boundary."""
    n = names(stage)
    region_account = "${AWS::Region}:${AWS::AccountId}"
    roles = _sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{n['app']}-*")
    boundary_policy = _sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{n['boundary']}")
    linked = ["iam:CreateServiceLinkedRole"]  # a service's own role (DynamoDB's, Cognito's), made once
    role_actions = sorted(a for a in stack_actions(stage) if a.startswith("iam:") and a not in (*SHAPING, *linked))
    return iam.document(
        allow(
            [
                "cloudformation:CreateChangeSet",
                "cloudformation:DescribeChangeSet",
                "cloudformation:ExecuteChangeSet",
                "cloudformation:DeleteChangeSet",
                "cloudformation:DescribeStacks",
                "cloudformation:DescribeStackEvents",
                "cloudformation:DeleteStack",
                "cloudformation:ContinueUpdateRollback",
                "cloudformation:RollbackStack",
            ],
            _sub(f"arn:${{AWS::Partition}}:cloudformation:{region_account}:stack/{n['stack']}/*"),
            sid="Stack",
        ),
        allow(
            "cloudformation:CreateChangeSet",
            _sub(f"arn:${{AWS::Partition}}:cloudformation:{region_account}:aws:transform/Serverless-2016-10-31"),
            sid="Transforms",
        ),
        # Packages, and the site's copy beside each: written, read (copied to the site), pruned.
        allow(
            ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            _sub(f"${{ArtifactBucket.Arn}}/{stage}/*"),
            sid="Artifacts",
        ),
        allow(
            "s3:ListBucket",
            _sub("${ArtifactBucket.Arn}"),
            sid="ArtifactsListed",
            condition={"StringLike": {"s3:prefix": f"{stage}/*"}},
        ),
        allow("s3:PutObject", _sub(f"arn:${{AWS::Partition}}:s3:::{n['app']}-staticsitebucket-*/*"), sid="Site"),
        allow(
            "cloudfront:CreateInvalidation",
            _sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*"),
            sid="Invalidate",
            condition={"StringEquals": {"aws:ResourceTag/aws:cloudformation:stack-name": n["stack"]}},
        ),
        allow("acm:ListCertificates", "*", sid="Certificates"),  # SITE_URL's, in us-east-1
        allow(
            list(SHAPING),
            roles,
            sid="RolesWithBoundary",
            condition={"StringEquals": {"iam:PermissionsBoundary": boundary_arn(stage)}},
        ),
        allow(role_actions, roles, sid="Roles"),
        allow(
            [a for a in linked if a in stack_actions(stage)],
            _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*"),
            sid="ServiceLinkedRoles",
            condition={"ForAnyValue:StringEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}},
        ),
        iam.statement("Deny", list(DENIED), "*", sid="BoundaryStays"),
        iam.statement("Deny", list(BOUNDARY_CHANGES), boundary_policy, sid="BoundaryUnchanged"),
    )


def stack_resource_policies() -> dict:
    """CloudFormation's calls for every other resource of a stage, through
    CloudFormation only, as managed policies of at most IAM's size: those
    every stage needs shared by the three roles, a stage's own beside them."""
    actions = {stage: [a for a in stack_actions(stage) if not a.startswith("iam:")] for stage in AWS_STAGES}
    shared = [a for a in actions[AWS_STAGES[0]] if all(a in actions[stage] for stage in AWS_STAGES)]
    groups = {"": (shared, AWS_STAGES)}
    groups |= {stage: ([a for a in actions[stage] if a not in shared], (stage,)) for stage in AWS_STAGES}
    via = {"ForAnyValue:StringEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}}
    made = {}
    for owner, (listed, stages) in groups.items():
        for i, chunk in enumerate(_chunks(listed)):
            name = f"careline-deploy{'-' + owner if owner else ''}-resources-{i + 1}"
            made[f"{owner.title()}StackResources{i + 1}"] = {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "ManagedPolicyName": name,
                    "Description": "What CloudFormation does for the stack with the deploy role's credentials",
                    "Roles": [{"Ref": f"{stage.title()}DeployRole"} for stage in stages],
                    "PolicyDocument": iam.document(allow(chunk, "*", sid="StackResources", condition=via)),
                },
            }
    return made


def _chunks(actions: list[str]) -> list[list[str]]:
    chunks: list[list[str]] = []
    for action in actions:
        if not chunks or sum(len(a) + 3 for a in chunks[-1]) + len(action) > POLICY_CHARACTERS - 400:
            chunks.append([])
        chunks[-1].append(action)
    return chunks


def deploy_role(stage: str) -> dict:
    """Only a job of this repository running in the stage's GitHub
    environment. Repositories made since July 2026 add @<id> to the owner and
    the name in the token's subject: both forms, with this owner's and this
    repository's ids, nothing else."""
    oidc_arn = {
        "Fn::If": [
            "CreateOidcProvider",
            {"Ref": "GitHubOidc"},
            _sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{GITHUB_TOKENS}"),
        ]
    }
    subjects = [
        _sub(f"repo:${{GitHubOwner}}/${{GitHubRepository}}:environment:{stage}"),
        _sub(
            f"repo:${{GitHubOwner}}@${{GitHubOwnerId}}/${{GitHubRepository}}@${{GitHubRepositoryId}}:environment:{stage}"
        ),
    ]
    condition = {"StringEquals": {f"{GITHUB_TOKENS}:aud": "sts.amazonaws.com", f"{GITHUB_TOKENS}:sub": subjects}}
    return iam.role(
        iam.trust({"Federated": oidc_arn}, "sts:AssumeRoleWithWebIdentity", condition),
        {f"deploy-{stage}": deploy_policy(stage)},
        RoleName=f"careline-deploy-{stage}",
        MaxSessionDuration=3600,
    )


def artifact_bucket() -> dict:
    return bucket(
        not_logged="holds only the packages CI writes; CloudTrail records who reads or writes them",
        BucketName=_sub("careline-artifacts-${AWS::AccountId}-${AWS::Region}"),
        # Never a current object: a rollback (CloudFormation's, or the smoke test's) needs
        # the old package; infra/deploy.py deletes those older than its last deployments.
        LifecycleConfiguration=expiry("expire-replaced-packages", noncurrent_days=30),
    )


def bootstrap_template() -> dict:
    resources: dict = {
        "GitHubOidc": {
            "Type": "AWS::IAM::OIDCProvider",
            "Condition": "CreateOidcProvider",
            "Properties": {
                "Url": f"https://{GITHUB_TOKENS}",
                "ClientIdList": ["sts.amazonaws.com"],
                "ThumbprintList": [GITHUB_OIDC_THUMBPRINT],
            },
        },
        "ArtifactBucket": artifact_bucket(),
        "ArtifactBucketPolicy": iam.bucket_policy("ArtifactBucket"),
        # API Gateway writes access logs with this account-wide role.
        "ApiGatewayLogsRole": iam.role(
            iam.trust(iam.service("apigateway.amazonaws.com")),
            ManagedPolicyArns=[
                _sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        ),
        "ApiGatewayAccount": {
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}},
        },
        # One receipt rule set is active per account and region: the stages add their
        # rules to it (infra/stack/mail.py); activating it is a manual step.
        "InboundRuleSet": {
            "Type": "AWS::SES::ReceiptRuleSet",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"RuleSetName": names(AWS_STAGES[0])["rule_set"]},
        },
    }
    outputs = {
        "ArtifactBucketName": {"Value": {"Ref": "ArtifactBucket"}},
        "ReceiptRuleSetName": {"Value": {"Ref": "InboundRuleSet"}},
    }
    for stage in AWS_STAGES:
        role = f"{stage.title()}DeployRole"
        resources[role] = deploy_role(stage)
        resources[f"{stage.title()}Boundary"] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "ManagedPolicyName": names(stage)["boundary"],
                "Description": f"The most any role of careline-{stage} may do",
                "PolicyDocument": boundary(stage),
            },
        }
        outputs[f"{stage.title()}DeployRoleArn"] = {"Value": {"Fn::GetAtt": [role, "Arn"]}}
    resources |= stack_resource_policies()
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Careline, once per account: GitHub OIDC, deploy roles per stage, artifact bucket, "
        "receipt rule set",
        "Parameters": {
            "GitHubOwner": {
                "Type": "String",
                "AllowedPattern": "^[A-Za-z0-9_.-]+$",
                "Description": "the GitHub user or organisation that owns the repository",
            },
            "GitHubOwnerId": {
                "Type": "String",
                "AllowedPattern": "^[0-9]+$",
                "Description": "the owner's numeric id (`gh api repos/<owner>/<repo> --jq .owner.id`)",
            },
            "GitHubRepository": {
                "Type": "String",
                "AllowedPattern": "^[A-Za-z0-9_.-]+$",
                "Description": "the name of the repository whose workflows deploy",
            },
            "GitHubRepositoryId": {
                "Type": "String",
                "AllowedPattern": "^[0-9]+$",
                "Description": "the repository's numeric id (`gh api repos/<owner>/<repo> --jq .id`)",
            },
            "CreateGitHubOidcProvider": {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "true",
                "Description": "false when the account already has GitHub's provider",
            },
        },
        "Conditions": {"CreateOidcProvider": {"Fn::Equals": [{"Ref": "CreateGitHubOidcProvider"}, "true"]}},
        "Resources": resources,
        "Outputs": outputs,
    }
