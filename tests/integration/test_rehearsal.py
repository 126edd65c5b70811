"""Each stage's life, rehearsed through infra/deploy.py against the
emulator's CloudFormation (tests/integration/rehearsal.py says what the
rehearsal plays because moto does not): create, update, an update that fails
and rolls back, delete, create again; and a creation that fails, then
succeeds when tried again."""

import os

import boto3
import pytest
from moto import mock_aws

from infra import build, deploy
from infra.stack.naming import RETAINED_STAGES
from tests.integration import packaging, rehearsal

STAGES = build.AWS_STAGES


@pytest.fixture
def account(monkeypatch):
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", rehearsal.REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws(), rehearsal.stubbed_types():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=packaging.ARTIFACT_BUCKET)
        yield rehearsal.Engine(boto3.client("cloudformation"), s3), s3


def status(engine, stage):
    return engine.client.describe_stacks(StackName=build.names(stage)["stack"])["Stacks"][0]["StackStatus"]


def clash(stage):
    """A resource that cannot be created: a log group named like the API function's."""
    return {"Clash": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/aws/lambda/careline-{stage}"}}}


@pytest.mark.parametrize("stage", STAGES)
def test_create_update_failed_update_delete_and_create_again(stage, account, tmp_path):
    engine, s3 = account
    run = lambda version, extra=None: rehearsal.deployer(stage, engine, s3, version, extra, tmp_path).run()  # noqa: E731

    outputs = run("v1")  # create, then the second pass with the stack's own CloudFront URL
    assert status(engine, stage) == "UPDATE_COMPLETE"
    site = s3.list_objects_v2(Bucket=outputs["StaticSiteBucketName"])["Contents"]
    assert {"admin/index.html", "admin/config.js", "widget/careline.js"} <= {o["Key"] for o in site}

    run("v2")
    assert status(engine, stage) == "UPDATE_COMPLETE"

    with pytest.raises(deploy.DeployError, match=r"UPDATE_ROLLBACK_COMPLETE.*Clash"):
        run("v3", clash(stage))
    stack = engine.client.describe_stacks(StackName=f"careline-{stage}")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert {t["Key"]: t["Value"] for t in stack["Tags"]}[deploy.ARTIFACT_TAG].endswith("/v2/template.json")
    run("v4")  # the stack takes the next update
    assert status(engine, stage) == "UPDATE_COMPLETE"

    stack_id = stack["StackId"]
    engine.delete_stack(StackName=f"careline-{stage}")
    assert engine.client.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    tables = boto3.client("dynamodb").list_tables()["TableNames"]
    assert bool(tables) is (stage in RETAINED_STAGES)  # staging's and prod's data outlive the stack

    run("v5")  # created again: the retained resources are taken over, nothing collides
    assert status(engine, stage) == "UPDATE_COMPLETE"


@pytest.mark.parametrize("stage", STAGES)
def test_a_failed_first_creation_can_be_tried_again(stage, account, tmp_path):
    engine, s3 = account
    domain = f"careline-{stage}-{rehearsal.ACCOUNT}"
    rehearsal.occupy("AWS::Cognito::UserPoolDomain", domain)  # taken: the creation fails on it, late
    with pytest.raises(deploy.DeployError, match=r"ROLLBACK_COMPLETE.*UserPoolDomain"):
        rehearsal.deployer(stage, engine, s3, "v1", tmp=tmp_path).run()
    rehearsal.release("AWS::Cognito::UserPoolDomain", domain)  # the cause fixed
    rehearsal.deployer(stage, engine, s3, "v2", tmp=tmp_path).run()  # the failed stack deleted, created again
    assert status(engine, stage) == "UPDATE_COMPLETE"
