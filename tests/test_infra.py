"""The deployed infrastructure is generated from the app's own definitions
and stays in step with them: committed files, tables, policies, and what
`chalice package` makes of it all."""
import json
import os
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatch

import pytest
from pynamodb.attributes import TTLAttribute

from infra import build
from tests.conftest import ROOT

STAGES = build.AWS_STAGES


def tables_of(template: dict) -> dict:
    return {k: r for k, r in template["Resources"].items() if r.get("Type") == "AWS::DynamoDB::Table"}


# (a) drift

def test_committed_templates_and_policies_are_what_the_build_makes_now():
    for path, document in build.outputs().items():
        committed = json.loads(path.read_text()) if path.exists() else None
        assert committed == document, f"{path.relative_to(ROOT)} is stale: run `make infra`"


# (b) tables = models, read from the models' own metadata (not from _get_schema, which the build uses)

def _keys(attributes: dict) -> list[dict]:
    keys = [{"AttributeName": a.attr_name, "KeyType": "HASH"} for a in attributes.values() if a.is_hash_key]
    return keys + [{"AttributeName": a.attr_name, "KeyType": "RANGE"} for a in attributes.values() if a.is_range_key]


@pytest.mark.parametrize("stage", STAGES)
def test_every_table_matches_its_model(stage):
    tables = tables_of(build.template(stage))
    prefix = build.stage_environment(stage)["CARELINE_TABLE_PREFIX"]  # what the functions read
    assert set(tables) == {build.table_logical_id(base) for base in build.models()}
    for base, model in build.models().items():
        resource = tables[build.table_logical_id(base)]
        props = resource["Properties"]
        assert props["TableName"] == prefix + base
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        # DynamoDB rejects a key schema that does not start with HASH (moto accepts it).
        assert props["KeySchema"] == _keys(model.get_attributes()), base
        key_types = {a.attr_name: a.attr_type for a in model.get_attributes().values()
                     if a.is_hash_key or a.is_range_key}
        expected_indexes = {}
        for index in model._indexes.values():
            meta = index.Meta
            expected_indexes[meta.index_name] = (_keys(meta.attributes), meta.projection.projection_type)
            key_types |= {a.attr_name: a.attr_type for a in meta.attributes.values()}
        indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"]["ProjectionType"])
                   for i in props.get("GlobalSecondaryIndexes", [])}
        assert indexes == expected_indexes, base
        definitions = props["AttributeDefinitions"]
        assert len(definitions) == len(key_types), f"{base}: duplicate or unused attribute definitions"
        assert {d["AttributeName"]: d["AttributeType"] for d in definitions} == key_types, base
        ttl = [a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)]
        assert props.get("TimeToLiveSpecification") == (
            {"AttributeName": ttl[0], "Enabled": True} if ttl else None), base
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}
        retained = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
        assert {k: resource.get(k) for k in retained} == (retained if stage == "prod" else dict.fromkeys(retained))
    claims = tables["ClaimsTable"]["Properties"]  # idempotency keys and rate windows must expire
    assert claims["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


# (c) tables made from the template serve the app

def create_like_cloudformation(dynamodb, props: dict) -> None:
    """What CloudFormation does with an AWS::DynamoDB::Table's properties."""
    api = {k: props[k] for k in ("TableName", "BillingMode", "AttributeDefinitions", "KeySchema",
                                 "GlobalSecondaryIndexes", "LocalSecondaryIndexes") if k in props}
    api["SSESpecification"] = {"Enabled": props["SSESpecification"]["SSEEnabled"]}
    dynamodb.create_table(**api)
    dynamodb.update_continuous_backups(TableName=props["TableName"], PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]})
    if "TimeToLiveSpecification" in props:
        dynamodb.update_time_to_live(TableName=props["TableName"],
                                     TimeToLiveSpecification=props["TimeToLiveSpecification"])


@pytest.fixture
def services(aws, clock, settings):
    """conftest's `services`, but on tables made from the prod template (renamed
    to this stage's prefix) instead of by pynamodb's create_table."""
    from chalicelib import container as wiring
    from chalicelib.adapters.aws import client
    from chalicelib.dev.provision import provision

    prod_prefix = build.names("prod")["tables"]
    for resource in tables_of(build.template("prod")).values():
        props = resource["Properties"]
        create_like_cloudformation(client("dynamodb"), props | {
            "TableName": props["TableName"].replace(prod_prefix, settings.table_prefix, 1)})
    provision(settings)  # the tables exist, so it only adds the sender identity and the schedule group
    built = wiring.Container(settings, clock)
    wiring.use(built)
    yield built
    wiring.use(None)


def test_the_app_works_on_tables_made_from_the_template(client, services, operator, new_ticket, settings):
    from chalicelib.adapters.aws import client as aws_client

    def call(method, path, body=None):
        response = client.http.request(method, path, headers=operator(),
                                       body=json.dumps(body) if body is not None else b"")
        assert response.status_code in (200, 201), (path, response.body)
        return response.json_body

    # One transaction over tickets, entries, customers, claims and metrics.
    ticket = new_ticket(category="order")
    call("PATCH", f"/tickets/{ticket['id']}", {"assignee": "agent@shop.example", "priority": "high"})
    call("POST", f"/tickets/{ticket['id']}/notes", {"body": "Checked with the carrier."})
    for query in ("", "?status=new", "?priority=high", "?assignee=me", "?category=order"):  # each index
        assert [t["id"] for t in call("GET", f"/tickets{query}")["items"]] == [ticket["id"]], query
    assert ticket["id"] in json.dumps(call("GET", "/customers/ann@example.com"))  # by_customer
    assert call("GET", f"/tickets/{ticket['id']}")["version"] == 3
    services.timers.reconcile()  # by_wake
    assert services.delivery.retry_due() == []  # by_retry: the acknowledgement already left
    ttl = aws_client("dynamodb").describe_time_to_live(TableName=f"{settings.table_prefix}claims")
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


# (d) policies

@pytest.mark.parametrize("stage", STAGES)
def test_each_policy_grants_exactly_the_stages_tables(stage):
    policy = build.policy(stage)
    prefix = build.stage_environment(stage)["CARELINE_TABLE_PREFIX"]
    tables = {f"arn:aws:dynamodb:*:*:table/{prefix}{base}": model for base, model in build.models().items()}
    expected = set(tables) | {f"{arn}/index/*" for arn, model in tables.items() if model._indexes}
    streams = {f"{arn}/stream/*" for arn, model in tables.items() if getattr(model.Meta, "stream_view_type", None)}
    granted = set()
    for statement in policy["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        if any(a.startswith("dynamodb:") for a in actions):
            allowed = build.STREAM_ACTIONS if all(r.endswith("/stream/*") for r in resources) else build.TABLE_ACTIONS
            assert set(actions) <= set(allowed), actions  # no Scan, batch writes or table admin
            granted |= set(resources)
    assert granted == expected | streams


@pytest.mark.parametrize("stage", STAGES)
def test_each_policy_names_only_its_own_stages_resources(stage):
    from chalicelib.config import load_stage_document

    statements = {s["Sid"]: s for s in build.policy(stage)["Statement"]}
    assert statements["Mail"]["Condition"] == {
        "StringEquals": {"ses:FromAddress": load_stage_document(stage)["sender"]}}
    for sid, statement in statements.items():
        text = json.dumps(statement["Resource"])
        assert not any(f"careline-{other}" in text or f"careline/{other}/" in text
                       for other in STAGES if other != stage), sid
        if sid != "Mail":  # SES authorizes by the From address, not by a resource
            assert re.search(rf"careline[-/]{stage}\b", text), sid
    assert statements["Schedules"]["Resource"].endswith(
        f":schedule/{build.stage_environment(stage)['CARELINE_SCHEDULER_GROUP']}/*")


@pytest.mark.parametrize("stage", STAGES)
def test_policy_and_template_name_the_same_resources(stage):
    statements = {s["Sid"]: s for s in build.policy(stage)["Statement"]}
    resources = build.template(stage)["Resources"]
    env = resources["OnSchedule"]["Properties"]["Environment"]["Variables"]
    role = resources["SchedulerRole"]["Properties"]["RoleName"]
    assert statements["PassSchedulerRole"]["Resource"].endswith(f":role/{role}")
    queue = resources["ScheduleDeadLetters"]["Properties"]["QueueName"]
    assert statements["ScheduleDeadLetters"]["Resource"].endswith(f":{queue}")
    assert statements["SigningSecret"]["Resource"].endswith(f":parameter{env['CARELINE_SECRET_PARAMETER']}")
    group = build.stage_environment(stage)["CARELINE_SCHEDULER_GROUP"]
    assert resources["ScheduleGroup"]["Properties"]["Name"] == group
    for name in (resources[logical_id]["Properties"]["FunctionName"] for logical_id in build.functions(stage)):
        for arn in (f"arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/{name}",
                    f"arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/{name}:log-stream:2026/11/24/x"):
            assert any(fnmatch(arn, pattern) for pattern in statements["Logs"]["Resource"]), arn


# (e) what `chalice package` makes of it

PSEUDO = re.compile(r"\$\{(?!AWS::|!)([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def references(node, local=frozenset()) -> set[str]:
    """The logical ids a piece of template refers to (Ref, GetAtt, Sub)."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str) and not value.startswith("AWS::"):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                found |= {name for name in PSEUDO.findall(text) if name not in variables}
                found |= references(variables)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def dependency_cycle(resources: dict) -> list[str] | None:
    """A circular dependency CloudFormation would reject, or None."""
    graph = {}
    for name, resource in resources.items():
        depends = resource.get("DependsOn", [])
        graph[name] = (references(resource) | set([depends] if isinstance(depends, str) else depends)) & set(resources)
    state = {}

    def visit(name, path):
        state[name] = "open"
        for other in sorted(graph[name]):
            if state.get(other) == "open":
                return path + [name, other]
            if other not in state and (cycle := visit(other, path + [name])):
                return cycle
        state[name] = "done"

    for name in sorted(graph):
        if name not in state and (cycle := visit(name, [])):
            return cycle
    return None


def test_the_cycle_check_finds_a_function_that_needs_its_own_arn():
    resources = {"OnSchedule": {"Type": "AWS::Serverless::Function", "Properties": {
        "Environment": {"Variables": {"TARGET": {"Fn::GetAtt": ["OnSchedule", "Arn"]}}}}}}
    assert dependency_cycle(resources) == ["OnSchedule", "OnSchedule"]
    api = {"RestAPI": {"Properties": {"Uri": {"Fn::Sub": "arn:${AWS::Partition}:x/${APIHandler.Arn}"}}},
           "APIHandler": {"Properties": {"Url": {"Fn::Sub": "https://${RestAPI}.execute-api"}}}}
    assert dependency_cycle(api)


def package(stage: str, tmp_path) -> dict:
    """`chalice package --merge-template` as CI runs it, on a copy of the
    project whose requirements are empty: sam.json does not depend on them,
    and installing them would take a networked pip run and leave a 23 MB zip
    in .chalice/deployments for every change."""
    project = tmp_path / "project"
    if not project.exists():
        shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "app.py", project)
        (project / ".chalice").mkdir()
        for path in (ROOT / ".chalice").glob("*.json"):
            shutil.copy(path, project / ".chalice")
        (project / "requirements.txt").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CARELINE_"))} | {
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    chalice = os.path.join(os.path.dirname(sys.executable), "chalice")
    out = tmp_path / f"out-{stage}"
    done = subprocess.run([chalice, "package", "--stage", stage, "--merge-template",
                           str(ROOT / "infra" / "generated" / f"{stage}.json"), str(out)],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Could not install dependencies" not in done.stdout + done.stderr
    return json.loads((out / "sam.json").read_text())


@pytest.mark.parametrize("stage", STAGES)
def test_chalice_package_merges_into_a_deployable_template(stage, tmp_path):
    sam = package(stage, tmp_path)
    resources = sam["Resources"]
    # Every resource the merge template names exists in Chalice's output (a
    # misspelt function id would merge into a resource without a type).
    assert all("Type" in r for r in resources.values()), [k for k, r in resources.items() if "Type" not in r]
    functions = {k for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert functions == set(build.functions(stage)) and "OnSchedule" in functions
    target = {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
                         + resources["OnSchedule"]["Properties"]["FunctionName"]}
    for name in functions:
        variables = resources[name]["Properties"]["Environment"]["Variables"]
        assert variables["CARELINE_STAGE"] == stage  # Chalice's own variables survive the merge
        assert variables["CARELINE_TABLE_PREFIX"] == build.names(stage)["tables"]
        assert variables["CARELINE_SCHEDULER_TARGET_ARN"] == target, name
        assert variables["CARELINE_SCHEDULER_ROLE_ARN"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
        assert variables["CARELINE_SCHEDULER_DLQ_ARN"] == {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]}
        assert variables["CARELINE_PUBLIC_URL"] == {"Ref": "PublicUrl"}
    on_schedule = resources["OnSchedule"]["Properties"]
    dead_letters = {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]}
    assert on_schedule["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": dead_letters}
    invoke = resources["SchedulerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert (invoke["Action"], invoke["Resource"]) == ("lambda:InvokeFunction", target)
    # Every function's role carries exactly the stage's policy file.
    for name in functions:
        role = resources[resources[name]["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert [p["PolicyDocument"] for p in role["Policies"]] == [build.policy(stage)], name
    # CloudFormation would refuse a reference to nothing, or a cycle.
    known = set(resources) | set(sam.get("Parameters", {}))
    for name, resource in resources.items():
        assert references(resource) <= known, (name, references(resource) - known)
    assert dependency_cycle(resources) is None
    assert "/_dev/" not in json.dumps(resources["RestAPI"])  # the local stage's routes never ship
