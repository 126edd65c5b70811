"""Bootstrap: once per account (docs/operations.md). GitHub's OIDC provider, a
deploy role per stage that only the repository's workflow running in that
GitHub environment can assume, the bucket CI stages packages in, and the
account-wide role API Gateway writes access logs with."""

from __future__ import annotations

from infra.stack import iam
from infra.stack.data import bucket, expiry
from infra.stack.iam import allow
from infra.stack.naming import AWS_STAGES, names

GITHUB_OIDC_THUMBPRINT = (
    "6938fd4d98bab03faadb97b34396831e3780aea1"  # ignored by IAM for GitHub since 2023, still required
)
GITHUB_TOKENS = "token.actions.githubusercontent.com"
# CloudFormation creates the stack's resources with the caller's credentials:
# the services the template uses.
STACK_SERVICES = (
    "dynamodb",
    "lambda",
    "apigateway",
    "sqs",
    "sns",
    "events",
    "scheduler",
    "logs",
    "cloudwatch",
    "secretsmanager",
    "cognito-idp",
    "ses",
    "kms",
    "cloudfront",
    "s3",
    "xray",
)


def _sub(text: str) -> dict:
    return {"Fn::Sub": text}


def deploy_policy(stage: str) -> dict:
    """What `make deploy STAGE=<stage>` does: CloudFormation on the stage's
    stack (which then acts with this role), the site upload and the
    invalidation. Names carry the stage, so no stage's role touches another's."""
    n = names(stage)
    app = n["app"]
    region_account = "${AWS::Region}:${AWS::AccountId}"
    change_sets = [
        "cloudformation:CreateChangeSet",
        "cloudformation:DescribeChangeSet",
        "cloudformation:ExecuteChangeSet",
        "cloudformation:DeleteChangeSet",
        "cloudformation:DescribeStacks",
        "cloudformation:DescribeStackEvents",
        "cloudformation:GetTemplate",
        "cloudformation:ListChangeSets",
        "cloudformation:RollbackStack",
        "cloudformation:ContinueUpdateRollback",
    ]
    stack_roles = [
        "iam:CreateRole",
        "iam:DeleteRole",
        "iam:GetRole",
        "iam:UpdateRole",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:GetRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:PassRole",
    ]
    return iam.document(
        allow(
            change_sets,
            _sub(f"arn:${{AWS::Partition}}:cloudformation:{region_account}:stack/{n['stack']}/*"),
            sid="Stack",
        ),
        allow(
            "cloudformation:CreateChangeSet",
            _sub(f"arn:${{AWS::Partition}}:cloudformation:{region_account}:aws:transform/Serverless-2016-10-31"),
            sid="Transforms",
        ),
        allow("cloudformation:ValidateTemplate", "*", sid="Validate"),
        allow(["s3:PutObject", "s3:GetObject"], _sub(f"${{ArtifactBucket.Arn}}/{stage}/*"), sid="Artifacts"),
        allow(
            ["s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
            [
                _sub(f"arn:${{AWS::Partition}}:s3:::{app}-staticsitebucket-*"),
                _sub(f"arn:${{AWS::Partition}}:s3:::{app}-staticsitebucket-*/*"),
            ],
            sid="Site",
        ),
        allow(
            "cloudfront:CreateInvalidation",
            _sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*"),
            sid="Invalidate",
            condition={"StringEquals": {"aws:ResourceTag/aws:cloudformation:stack-name": n["stack"]}},
        ),
        # Limited to the stage's names where the service allows it.
        allow(
            [f"{service}:*" for service in STACK_SERVICES],
            "*",
            sid="StackResources",
            condition={"ForAnyValue:StringEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}},
        ),
        allow(stack_roles, _sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{app}-*"), sid="StackRoles"),
    )


def deploy_role(stage: str) -> dict:
    """Only a job of this repository running in the stage's GitHub
    environment; repositories made since July 2026 add @<id> to the owner and
    the name in the subject."""
    oidc_arn = {
        "Fn::If": [
            "CreateOidcProvider",
            {"Ref": "GitHubOidc"},
            _sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{GITHUB_TOKENS}"),
        ]
    }
    subjects = [
        _sub(f"repo:${{GitHubOwner}}/${{GitHubRepository}}:environment:{stage}"),
        _sub(f"repo:${{GitHubOwner}}@*/${{GitHubRepository}}@*:environment:{stage}"),
    ]
    condition = {
        "StringEquals": {f"{GITHUB_TOKENS}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{GITHUB_TOKENS}:sub": subjects},
    }
    return iam.role(
        iam.trust({"Federated": oidc_arn}, "sts:AssumeRoleWithWebIdentity", condition),
        {f"deploy-{stage}": deploy_policy(stage)},
        RoleName=f"careline-deploy-{stage}",
        MaxSessionDuration=3600,
    )


def artifact_bucket() -> dict:
    return bucket(
        True,
        not_logged="holds only the packages CI writes; CloudTrail records who reads or writes them",
        BucketName=_sub("careline-artifacts-${AWS::AccountId}-${AWS::Region}"),
        # Rollback redeploys the previous package: keep a few weeks of them.
        LifecycleConfiguration=expiry("expire-old-packages", days=90, noncurrent_days=30),
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
    }
    outputs = {"ArtifactBucketName": {"Value": {"Ref": "ArtifactBucket"}}}
    for stage in AWS_STAGES:
        role = f"{stage.title()}DeployRole"
        resources[role] = deploy_role(stage)
        outputs[f"{stage.title()}DeployRoleArn"] = {"Value": {"Fn::GetAtt": [role, "Arn"]}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Careline, once per account: GitHub OIDC, deploy roles per stage, artifact bucket",
        "Parameters": {
            "GitHubOwner": {
                "Type": "String",
                "AllowedPattern": "^[A-Za-z0-9_.-]+$",
                "Description": "the GitHub user or organisation that owns the repository",
            },
            "GitHubRepository": {
                "Type": "String",
                "AllowedPattern": "^[A-Za-z0-9_.-]+$",
                "Description": "the name of the repository whose workflows deploy",
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
