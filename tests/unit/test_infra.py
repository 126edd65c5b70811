"""The deployed infrastructure is generated from the app's own definitions and
stays in step with them: committed files, tables, policies, the bootstrap
roles."""

import json
import re
from fnmatch import fnmatch

import pytest
from pynamodb.attributes import TTLAttribute

from infra import build
from infra.stack.ci import bootstrap_template
from infra.stack.data import STREAMED_TABLE, models, table_logical_id
from infra.stack.functions import FUNCTIONS, app_functions
from infra.stack.identity import SECRET_ROTATION_DAYS
from infra.stack.naming import RETAINED_STAGES, function_name, stage_environment
from infra.stack.policies import STREAM_ACTIONS, TABLE_ACTIONS, policy
from tests.conftest import ROOT
from tests.templates import dependency_cycle, tables_of

STAGES = build.AWS_STAGES


# (a) drift


def test_committed_templates_and_policies_are_what_the_build_makes_now():
    for path, document in build.outputs().items():
        committed = json.loads(path.read_text()) if path.exists() else None
        assert committed == document, f"{path.relative_to(ROOT)} is stale: run `make infra`"
    assert build.stale_files() == [], "policies of functions app.py no longer defines: run `make infra`"


def test_every_function_of_the_app_has_an_entry_in_the_map_and_every_entry_a_function():
    assert set(app_functions()) == set(FUNCTIONS)


# (b) tables = models, read from the models' own metadata (not from _get_schema, which the build uses)


def _keys(attributes: dict) -> list[dict]:
    keys = [{"AttributeName": a.attr_name, "KeyType": "HASH"} for a in attributes.values() if a.is_hash_key]
    return keys + [{"AttributeName": a.attr_name, "KeyType": "RANGE"} for a in attributes.values() if a.is_range_key]


@pytest.mark.parametrize("stage", STAGES)
def test_every_table_matches_its_model(stage):
    tables = tables_of(build.template(stage))
    prefix = stage_environment(stage)["CARELINE_TABLE_PREFIX"]  # what the functions read
    assert set(tables) == {table_logical_id(base) for base in models()}
    for base, model in models().items():
        resource = tables[table_logical_id(base)]
        props = resource["Properties"]
        assert props["TableName"] == prefix + base
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        # DynamoDB rejects a key schema that does not start with HASH (moto accepts it).
        assert props["KeySchema"] == _keys(model.get_attributes()), base
        key_types = {
            a.attr_name: a.attr_type for a in model.get_attributes().values() if a.is_hash_key or a.is_range_key
        }
        expected_indexes = {}
        for index in model._indexes.values():
            meta = index.Meta
            expected_indexes[meta.index_name] = (_keys(meta.attributes), meta.projection.projection_type)
            key_types |= {a.attr_name: a.attr_type for a in meta.attributes.values()}
        indexes = {
            i["IndexName"]: (i["KeySchema"], i["Projection"]["ProjectionType"])
            for i in props.get("GlobalSecondaryIndexes", [])
        }
        assert indexes == expected_indexes, base
        definitions = props["AttributeDefinitions"]
        assert len(definitions) == len(key_types), f"{base}: duplicate or unused attribute definitions"
        assert {d["AttributeName"]: d["AttributeType"] for d in definitions} == key_types, base
        ttl = [a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)]
        assert props.get("TimeToLiveSpecification") == ({"AttributeName": ttl[0], "Enabled": True} if ttl else None), (
            base
        )
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}
        # Kept from the stack's deletion outside dev, but not from a failed creation's rollback.
        kept = ("RetainExceptOnCreate", "Retain") if stage in ("staging", "prod") else ("Delete", "Delete")
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == kept
        assert "DeletionProtectionEnabled" not in props  # it would stop that rollback too
    claims = tables["ClaimsTable"]["Properties"]  # idempotency keys and rate windows must expire
    assert claims["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


# (c) policies: one per function


def statements_of(stage, name) -> dict:
    return {s["Sid"]: s for s in policy(stage, name)["Statement"]}


@pytest.mark.parametrize("stage", STAGES)
def test_each_policy_grants_exactly_the_stages_tables(stage):
    prefix = stage_environment(stage)["CARELINE_TABLE_PREFIX"]
    tables = {f"arn:aws:dynamodb:*:*:table/{prefix}{base}": model for base, model in models().items()}
    expected = set(tables) | {f"{arn}/index/*" for arn, model in tables.items() if model._indexes}
    stream = f"arn:aws:dynamodb:*:*:table/{prefix}{STREAMED_TABLE}/stream/*"
    for name in app_functions():
        granted = set()
        for statement in policy(stage, name)["Statement"]:
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            if statement["Sid"] == "Stream":  # the consumer's event source, read by Lambda with its role
                assert (set(actions), statement["Resource"]) == (set(STREAM_ACTIONS), stream), name
            elif statement["Sid"] == "StreamReplay":  # the reconcile job reads a failed range again
                replay = {"dynamodb:GetShardIterator", "dynamodb:GetRecords"}
                assert (set(actions), statement["Resource"]) == (replay, stream)
            elif statement["Sid"] == "SearchPostings":  # batch writes: the consumer's (and its redo's), to search only
                assert name in ("on_change", "reconcile") and actions == ["dynamodb:BatchWriteItem"], name
                assert statement["Resource"] == [f"arn:aws:dynamodb:*:*:table/{prefix}search"]
            elif any(a.startswith("dynamodb:") for a in actions):
                assert set(actions) <= set(TABLE_ACTIONS), actions  # no Scan, other batch writes or table admin
                granted |= (
                    {statement["Resource"]} if isinstance(statement["Resource"], str) else set(statement["Resource"])
                )
        # The functions that work on tickets get every table; the rest only the one they touch.
        # The audit trail's table only to the function that keeps it (capability "audit").
        audit = {f"arn:aws:dynamodb:*:*:table/{prefix}audit", f"arn:aws:dynamodb:*:*:table/{prefix}audit/index/*"}
        theirs = expected if "audit" in FUNCTIONS[name].code else expected - audit
        assert granted == theirs if "tables" in FUNCTIONS[name].code else granted < theirs, name


@pytest.mark.parametrize("stage", STAGES)
def test_each_policy_names_only_its_own_stages_resources(stage):
    from chalicelib.config import load_stage_document

    sender = load_stage_document(stage)["sender"]
    for name in FUNCTIONS:
        for sid, statement in statements_of(stage, name).items():
            text = json.dumps(statement["Resource"])
            assert not any(
                f"careline-{other}" in text or f"careline/{other}/" in text for other in STAGES if other != stage
            ), (name, sid)
            if sid != "Tracing":  # X-Ray has no resources
                assert re.search(rf"careline[-/]{stage}\b|{re.escape(sender.split('@')[1])}", text), (name, sid)
            if sid == "Mail":  # SES send: only as the stage's sender, through its identity and configuration set
                assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": sender}}
                assert statement["Resource"] == [
                    f"arn:aws:ses:*:*:identity/{sender.split('@')[1]}",
                    f"arn:aws:ses:*:*:configuration-set/careline-{stage}",
                ]


def test_functions_get_only_what_they_use():
    # The internet-facing API neither reads inbound mail nor sends to a dead-letter queue.
    api = statements_of("prod", "api_handler")
    assert "InboundMail" not in api and "DeadLetters" not in api
    assert "InboundMail" in statements_of("prod", "on_inbound_email")
    assert set(statements_of("prod", "on_mail_event")) == {"Bounces", "Logs", "Tracing", "DeadLetters"}
    assert statements_of("prod", "on_mail_event")["Bounces"]["Action"] == "dynamodb:UpdateItem"  # the customer only
    assert "Stream" in statements_of("prod", "on_change") and "Stream" not in api
    assert "Queue" in statements_of("prod", "deliver_webhooks")


@pytest.mark.parametrize("stage", STAGES)
def test_policy_and_template_name_the_same_resources(stage):
    resources = build.template(stage)["Resources"]
    on_schedule, on_change = statements_of(stage, "on_schedule"), statements_of(stage, "on_change")
    role = resources["SchedulerRole"]["Properties"]["RoleName"]
    assert on_schedule["PassSchedulerRole"]["Resource"].endswith(f":role/{role}")
    assert on_schedule["DeadLetters"]["Resource"].endswith(
        ":" + resources["ScheduleDeadLetters"]["Properties"]["QueueName"]
    )
    secret = resources["SigningSecret"]["Properties"]["Name"]
    assert fnmatch(
        f"arn:aws:secretsmanager:eu-central-1:123456789012:secret:{secret}-AbC123",
        on_change["SigningSecret"]["Resource"],
    )
    assert on_change["Events"]["Resource"].endswith(":event-bus/" + resources["EventBus"]["Properties"]["Name"])
    group = stage_environment(stage)["CARELINE_SCHEDULER_GROUP"]
    assert resources["ScheduleGroup"]["Properties"]["Name"] == group
    for chalice_name in app_functions():
        name = function_name(stage, chalice_name)
        logs = statements_of(stage, chalice_name)["Logs"]["Resource"]
        assert fnmatch(
            f"arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/{name}:log-stream:2026/11/24/x", logs
        )
        assert not fnmatch(f"arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/{name}-x:log-stream:y", logs)


def test_the_secret_rotates_no_faster_than_feedback_and_status_links_live():
    from chalicelib.config import load_stage_document

    for stage in STAGES:  # a link signed just before a rotation verifies with the previous key until the next
        lifecycle = load_stage_document(stage).get("lifecycle", {})
        assert lifecycle.get("feedback_token_days", 30) <= SECRET_ROTATION_DAYS
        assert lifecycle.get("status_token_days", 30) <= SECRET_ROTATION_DAYS


@pytest.mark.parametrize("stage", STAGES)
def test_a_taken_mail_is_remembered_longer_than_anything_can_deliver_it_again(stage):
    """A failed inbound mail's S3 event is retried by Lambda, then kept by its
    dead-letter queue for an operator to re-drive: its Message-ID's claim
    must outlive both, or a re-drive opens a second ticket."""
    from chalicelib.adapters.queue import ASYNC_EVENT_AGE, RETENTION
    from chalicelib.services.inbound import REMEMBER_MAIL

    resources = build.template(stage)["Resources"]
    queues = {k: r["Properties"] for k, r in resources.items() if r.get("Type") == "AWS::SQS::Queue"}
    assert queues["OnInboundEmailDeadLetters"]["MessageRetentionPeriod"] == RETENTION.total_seconds()
    assert all(q["MessageRetentionPeriod"] <= RETENTION.total_seconds() for q in queues.values())
    # No function's asynchronous events are kept past Lambda's default maximum age.
    assert "MaximumEventAgeInSeconds" not in json.dumps(resources)
    assert REMEMBER_MAIL > ASYNC_EVENT_AGE + RETENTION


# (d) templates: the cycle check, stateful resources, the bootstrap roles


def test_the_cycle_check_finds_a_function_that_needs_its_own_arn():
    resources = {
        "OnSchedule": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"Environment": {"Variables": {"TARGET": {"Fn::GetAtt": ["OnSchedule", "Arn"]}}}},
        }
    }
    assert dependency_cycle(resources) == ["OnSchedule", "OnSchedule"]
    api = {
        "RestAPI": {"Properties": {"Uri": {"Fn::Sub": "arn:${AWS::Partition}:x/${APIHandler.Arn}"}}},
        "APIHandler": {"Properties": {"Url": {"Fn::Sub": "https://${RestAPI}.execute-api"}}},
    }
    assert dependency_cycle(api)


@pytest.mark.parametrize("stage", STAGES)
def test_stateful_resources_survive_the_stack_outside_dev(stage):
    """Tables and the user pool kept from the stack's deletion outside dev
    (not from a failed creation's rollback: RetainExceptOnCreate); buckets in
    every stage, since a stack cannot delete a bucket that holds anything."""
    resources = build.template(stage)["Resources"]
    kept = "RetainExceptOnCreate" if stage in RETAINED_STAGES else "Delete"
    stateful = {
        k: r for k, r in resources.items() if r.get("Type") in ("AWS::DynamoDB::Table", "AWS::Cognito::UserPool")
    }
    assert len(stateful) == 8  # 7 tables (the audit trail's among them) and the user pool
    for name, resource in stateful.items():
        assert resource["DeletionPolicy"] == kept, name
    # A queue or a secret cannot be taken over by name: kept, it would block a stack created again.
    gone = {k: r for k, r in resources.items() if r.get("Type") in ("AWS::SQS::Queue", "AWS::SecretsManager::Secret")}
    assert len(gone) >= 9 and {r["DeletionPolicy"] for r in gone.values()} == {"Delete"}
    buckets = {k: r for k, r in resources.items() if r.get("Type") == "AWS::S3::Bucket"}
    assert len(buckets) == 4
    for name, resource in buckets.items():
        assert resource["DeletionPolicy"] in ("RetainExceptOnCreate", "Retain"), name
        assert resource["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}, name


def test_the_bootstrap_roles_trust_only_their_environment():
    bootstrap = bootstrap_template()
    for stage in STAGES:
        role = bootstrap["Resources"][f"{stage.title()}DeployRole"]["Properties"]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        condition = statement["Condition"]
        assert condition["StringEquals"]["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        subjects = json.dumps(condition)
        assert f":environment:{stage}" in subjects
        assert not any(f":environment:{other}" in subjects for other in STAGES if other != stage)
        policy = json.dumps(role["Policies"][0]["PolicyDocument"])
        assert f"stack/careline-{stage}/" in policy
        assert not any(f"careline-{other}" in policy for other in STAGES if other != stage)
