"""The deployed infrastructure is generated from the app's own definitions
and stays in step with them."""
import json
import os
import re
import subprocess
import sys

import pytest

from infra import build
from tests.conftest import ROOT


def test_committed_templates_and_policies_match_the_models():
    for path, text in build.outputs().items():
        assert path.read_text() == text, f"{path.relative_to(ROOT)} is stale: run `make infra`"


def test_tables_created_from_the_template_serve_the_app(aws, monkeypatch):
    """Build the tables exactly as CloudFormation would, then use them through the models."""
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.tables import Customer, Ticket, bind_tables

    template = build.template("prod")
    dynamodb = client("dynamodb")
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::DynamoDB::Table":
            props = resource["Properties"]
            dynamodb.create_table(**{k: v for k, v in props.items() if k in (
                "TableName", "BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes")})
            assert resource["DeletionPolicy"] == "Retain"
    bind_tables("careline-prod-")
    try:
        Customer("ann@example.com", name="Ann", first_seen="2026-11-24T09:00:00Z", last_seen="2026-11-24T09:00:00Z")
        for index in ("by_status", "by_customer", "by_listing", "by_sla_due", "by_priority", "by_assignee",
                      "by_category"):
            list(getattr(Ticket, index).query("x", limit=1))
        assert Ticket.exists()
    finally:
        bind_tables("careline-local-")


def test_claims_expire_by_ttl_in_every_stage():
    for stage in build.AWS_STAGES:
        claims = build.template(stage)["Resources"]["ClaimsTable"]["Properties"]
        assert claims["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_each_policy_grants_exactly_the_stages_tables(stage):
    statements = {s["Sid"]: s for s in build.policy(stage)["Statement"]}
    tables = {r for r in statements["Tables"]["Resource"] if "/index/" not in r}
    assert tables == {f"arn:aws:dynamodb:*:*:table/careline-{stage}-{base}" for base in build._models()}
    assert "dynamodb:Scan" not in statements["Tables"]["Action"]
    assert statements["Mail"]["Condition"]["StringEquals"]["ses:FromAddress"].endswith("careline.example")
    for sid, statement in statements.items():  # every grant names this stage's resources only
        if sid not in ("Mail", "Logs"):
            assert re.search(rf"careline[-/]{stage}[-/]", json.dumps(statement["Resource"])), sid


def test_chalice_package_merges_the_deployment_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    chalice = os.path.join(os.path.dirname(sys.executable), "chalice")
    subprocess.run([chalice, "package", "--stage", "dev", "--merge-template", "infra/generated/dev.json",
                    str(tmp_path)], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    resources = json.loads((tmp_path / "sam.json").read_text())["Resources"]
    for function in build.FUNCTIONS:
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["CARELINE_STAGE"] == "dev"
        assert variables["CARELINE_SCHEDULER_TARGET_ARN"] == {"Fn::GetAtt": ["OnSchedule", "Arn"]}
    assert resources["OnSchedule"]["Type"] == "AWS::Serverless::Function"
