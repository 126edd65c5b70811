"""The deploy role can do what a deploy does, and no more: CloudFormation
acts with the role's credentials on every resource of the stage's template
(each type's handler permissions in the registry schemas: create, update,
delete), and infra/deploy.py makes its own calls. The bootstrap template's
role for each stage must grant exactly those actions (infra/permissions.py
derives them), and every role the stack creates carries a permissions
boundary the deploy role can neither remove nor replace."""

import json

import pytest

from infra import build, permissions
from tests.integration import packaging

BOOTSTRAP = build.ROOT / "infra" / "generated" / "bootstrap.json"


def deploy_role(stage: str) -> dict:
    resources = json.loads(BOOTSTRAP.read_text())["Resources"]
    return resources[f"{stage.title()}DeployRole"]["Properties"]


def role_policy(stage: str) -> dict:
    """Every statement the role has: its inline policy and the managed policies attached to it."""
    resources = json.loads(BOOTSTRAP.read_text())["Resources"]
    (inline,) = deploy_role(stage)["Policies"]
    attached = [
        r["Properties"]["PolicyDocument"]
        for r in resources.values()
        if r["Type"] == "AWS::IAM::ManagedPolicy"
        and {"Ref": f"{stage.title()}DeployRole"} in r["Properties"].get("Roles", [])
    ]
    return {"Statement": [s for document in (inline["PolicyDocument"], *attached) for s in document["Statement"]]}


def test_the_bootstrap_template_can_be_sent_as_it_is():
    """`aws cloudformation deploy --template-file` sends at most 51,200 bytes without an S3 bucket."""
    assert len(BOOTSTRAP.read_bytes()) <= build.TEMPLATE_BODY_BYTES


def lower(actions) -> dict[str, str]:
    return {action.lower(): action for action in actions}


def write_actions() -> None:
    """Rewrite infra/generated/deploy-actions.json from the templates as they are now, then `make infra`:
    .venv/bin/python -c 'from tests.integration.test_deploy_role import write_actions; write_actions()'"""
    from infra.stack.ci import ACTIONS_FILE

    actions = {stage: permissions.stack_actions(packaging.expanded(stage)) for stage in build.AWS_STAGES}
    ACTIONS_FILE.write_text(json.dumps(actions, indent=2, sort_keys=True) + "\n")


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_the_committed_action_list_is_what_the_stages_template_needs(stage):
    needed = permissions.stack_actions(packaging.expanded(stage))
    assert permissions.committed()[stage] == needed, write_actions.__doc__


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_the_deploy_role_grants_every_action_the_deploy_needs_and_no_other(stage):
    needed = lower(permissions.stack_actions(packaging.expanded(stage))) | lower(permissions.deploy_calls())
    allowed = lower(permissions.granted(role_policy(stage)))
    missing = sorted(needed[a] for a in set(needed) - set(allowed))
    unused = sorted(allowed[a] for a in set(allowed) - set(needed))
    assert (missing, unused) == ([], [])


def test_the_deploy_calls_include_cleaning_up_a_failed_creation():
    """A failed creation is deleted before the next create (infra/deploy.py)."""
    assert {"cloudformation:DeleteStack", "cloudformation:ContinueUpdateRollback"} <= permissions.deploy_calls()


def test_deleting_a_role_needs_what_the_schema_says():
    """The IAM role handler lists the actions a rollback needs to delete a role."""
    assert {
        "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies",
        "iam:DeleteRole",
    } <= permissions.handler_permissions("AWS::IAM::Role")


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_every_role_the_stack_creates_has_the_stages_permissions_boundary(stage):
    boundary = {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/careline-{stage}-boundary"}
    roles = {k: r for k, r in packaging.expanded(stage)["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert len(roles) >= 9
    assert {k: r["Properties"].get("PermissionsBoundary") for k, r in roles.items()} == dict.fromkeys(roles, boundary)


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_the_deploy_role_cannot_create_a_role_without_the_boundary_or_lift_it(stage):
    boundary = {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/careline-{stage}-boundary"}
    statements = role_policy(stage)["Statement"]
    shaping = {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"}
    for statement in statements:
        actions = set(permissions.granted({"Statement": [statement | {"Effect": "Allow"}]}))
        if statement["Effect"] == "Allow" and actions & shaping:
            assert actions <= shaping, statement  # nothing else rides on the condition
            assert statement["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": boundary}}
    allowed = lower(permissions.granted(role_policy(stage)))
    assert "iam:deleterolepermissionsboundary" not in allowed
    # The boundary policy itself is the bootstrap's: no deploy role may change it.
    assert not {
        a for a in allowed if a in ("iam:createpolicyversion", "iam:setdefaultpolicyversion", "iam:deletepolicy")
    }
    denied = [s for s in statements if s["Effect"] == "Deny"]
    assert any("iam:DeleteRolePermissionsBoundary" in s["Action"] for s in denied)
