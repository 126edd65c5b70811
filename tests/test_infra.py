"""The deployed infrastructure is generated from the app's own definitions
and stays in step with them: committed files, tables, policies, and what
`chalice package` makes of it all."""

import json
import re
from fnmatch import fnmatch

import pytest
from pynamodb.attributes import TTLAttribute

from infra import build
from tests.conftest import ROOT
from tests.integration import packaging

STAGES = build.AWS_STAGES


def tables_of(template: dict) -> dict:
    return {k: r for k, r in template["Resources"].items() if r.get("Type") == "AWS::DynamoDB::Table"}


# (a) drift


def test_committed_templates_and_policies_are_what_the_build_makes_now():
    for path, document in build.outputs().items():
        committed = json.loads(path.read_text()) if path.exists() else None
        assert committed == document, f"{path.relative_to(ROOT)} is stale: run `make infra`"
    assert build.stale_files() == [], "policies of functions app.py no longer defines: run `make infra`"


def test_every_function_of_the_app_has_an_entry_in_the_map_and_every_entry_a_function():
    assert set(build.app_functions()) == set(build.FUNCTIONS)


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
        kept = "Retain" if stage in ("staging", "prod") else "Delete"
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (kept, kept)
        assert props["DeletionProtectionEnabled"] is (stage != "dev")
    claims = tables["ClaimsTable"]["Properties"]  # idempotency keys and rate windows must expire
    assert claims["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


# (c) tables made from the template serve the app


def create_like_cloudformation(dynamodb, props: dict) -> None:
    """What CloudFormation does with an AWS::DynamoDB::Table's properties."""
    api = {
        k: props[k]
        for k in (
            "TableName",
            "BillingMode",
            "AttributeDefinitions",
            "KeySchema",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
        )
        if k in props
    }
    api["SSESpecification"] = {"Enabled": props["SSESpecification"]["SSEEnabled"]}
    dynamodb.create_table(**api)
    dynamodb.update_continuous_backups(
        TableName=props["TableName"],
        PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        },
    )
    if "TimeToLiveSpecification" in props:
        dynamodb.update_time_to_live(
            TableName=props["TableName"], TimeToLiveSpecification=props["TimeToLiveSpecification"]
        )


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
        create_like_cloudformation(
            client("dynamodb"), props | {"TableName": props["TableName"].replace(prod_prefix, settings.table_prefix, 1)}
        )
    provision(settings)  # the tables exist, so it only adds the sender identity and the schedule group
    built = wiring.Container(settings, clock)
    wiring.use(built)
    yield built
    wiring.use(None)


def test_the_app_works_on_tables_made_from_the_template(client, services, operator, new_ticket, settings):
    from chalicelib.adapters.aws import client as aws_client

    def call(method, path, body=None):
        response = client.http.request(
            method, path, headers=operator(), body=json.dumps(body) if body is not None else b""
        )
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


# (d) policies: one per function


def statements_of(stage, name) -> dict:
    return {s["Sid"]: s for s in build.policy(stage, name)["Statement"]}


@pytest.mark.parametrize("stage", STAGES)
def test_each_policy_grants_exactly_the_stages_tables(stage):
    prefix = build.stage_environment(stage)["CARELINE_TABLE_PREFIX"]
    tables = {f"arn:aws:dynamodb:*:*:table/{prefix}{base}": model for base, model in build.models().items()}
    expected = set(tables) | {f"{arn}/index/*" for arn, model in tables.items() if model._indexes}
    stream = f"arn:aws:dynamodb:*:*:table/{prefix}{build.STREAMED_TABLE}/stream/*"
    for name in build.app_functions():
        granted = set()
        for statement in build.policy(stage, name)["Statement"]:
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            if statement["Sid"] == "Stream":  # the consumer's event source, read by Lambda with its role
                assert (set(actions), statement["Resource"]) == (set(build.STREAM_ACTIONS), stream), name
            elif any(a.startswith("dynamodb:") for a in actions):
                assert set(actions) <= set(build.TABLE_ACTIONS), actions  # no Scan, batch writes or table admin
                granted |= (
                    {statement["Resource"]} if isinstance(statement["Resource"], str) else set(statement["Resource"])
                )
        # The functions that work on tickets get every table; the rest only the one they touch.
        assert granted == expected if "tables" in build.FUNCTIONS[name].code else granted < expected, name


@pytest.mark.parametrize("stage", STAGES)
def test_each_policy_names_only_its_own_stages_resources(stage):
    from chalicelib.config import load_stage_document

    sender = load_stage_document(stage)["sender"]
    for name in build.FUNCTIONS:
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
    group = build.stage_environment(stage)["CARELINE_SCHEDULER_GROUP"]
    assert resources["ScheduleGroup"]["Properties"]["Name"] == group
    for chalice_name in build.app_functions():
        name = build.function_name(stage, chalice_name)
        logs = statements_of(stage, chalice_name)["Logs"]["Resource"]
        assert fnmatch(
            f"arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/{name}:log-stream:2026/11/24/x", logs
        )
        assert not fnmatch(f"arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/{name}-x:log-stream:y", logs)


def test_the_secret_rotates_no_faster_than_feedback_links_live():
    from chalicelib.config import load_stage_document

    for stage in STAGES:  # a link signed just before a rotation verifies with the previous key until the next
        days = load_stage_document(stage).get("lifecycle", {}).get("feedback_token_days", 30)
        assert days <= build.SECRET_ROTATION_DAYS


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
                return [*path, name, other]
            if other not in state and (cycle := visit(other, [*path, name])):
                return cycle
        state[name] = "done"

    for name in sorted(graph):
        if name not in state and (cycle := visit(name, [])):
            return cycle
    return None


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
def test_chalice_package_merges_into_a_deployable_template(stage):
    sam = packaging.sam(stage)
    resources = sam["Resources"]
    # Every resource the merge template names exists in Chalice's output (a
    # misspelt function id would merge into a resource without a type).
    assert all("Type" in r for r in resources.values()), [k for k, r in resources.items() if "Type" not in r]
    functions = {k for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert functions == set(build.functions(stage)) and "OnSchedule" in functions
    target = {
        "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
        + resources["OnSchedule"]["Properties"]["FunctionName"]
    }
    for name in functions:
        properties = resources[name]["Properties"]
        variables = properties["Environment"]["Variables"]
        assert variables["CARELINE_STAGE"] == stage  # Chalice's own variables survive the merge
        assert variables["CARELINE_TABLE_PREFIX"] == build.names(stage)["tables"]
        assert variables["CARELINE_SCHEDULER_TARGET_ARN"] == target, name
        assert variables["CARELINE_SECRET_ARN"] == {"Ref": "SigningSecret"}
        assert variables["CARELINE_PUBLIC_URL"] == {"Fn::Sub": "${SiteUrl}/api"}
        assert (properties["Runtime"], properties["Tracing"]) == (build.LAMBDA_RUNTIME, "Active")
        # Its own role with exactly its own policy.
        role = resources[properties["Role"]["Fn::GetAtt"][0]]["Properties"]
        chalice_name = next(n for n in build.app_functions() if build.logical_id(n) == name)
        assert [p["PolicyDocument"] for p in role["Policies"]] == [build.policy(stage, chalice_name)], name
        # A log group that expires, and alarms on errors and throttles.
        log_group = resources[f"{name}LogGroup"]["Properties"]
        assert log_group["LogGroupName"] == f"/aws/lambda/{properties['FunctionName']}"
        assert log_group["RetentionInDays"] == build.LOG_RETENTION_DAYS[stage]
        assert {resources[f"{name}{a}Alarm"]["Properties"]["MetricName"] for a in ("Errors", "Throttles")} == {
            "Errors",
            "Throttles",
        }
    roles = [properties["Role"]["Fn::GetAtt"][0] for properties in (resources[f]["Properties"] for f in functions)]
    assert len(set(roles)) == len(roles)
    on_schedule = resources["OnSchedule"]["Properties"]
    assert on_schedule["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]},
    }
    invoke = resources["SchedulerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert (invoke["Action"], invoke["Resource"]) == ("lambda:InvokeFunction", target)
    # CloudFormation would refuse a reference to nothing, or a cycle.
    known = set(resources) | set(sam.get("Parameters", {})) | set(sam.get("Conditions", {}))
    for name, resource in resources.items():
        assert references(resource) <= known, (name, references(resource) - known)
    assert dependency_cycle(resources) is None
    assert "/_dev/" not in json.dumps(resources["RestAPI"])  # the local stage's routes never ship


@pytest.mark.parametrize("stage", STAGES)
def test_every_asynchronous_function_has_a_dead_letter_queue_with_an_alarm(stage):
    resources = packaging.sam(stage)["Resources"]
    alarmed = {
        r["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"]["Namespace"] == "AWS/SQS"
    }
    queues = {k for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    assert alarmed == queues
    assert all(resources[q]["Properties"]["SqsManagedSseEnabled"] is True for q in queues)  # checkov's CKV_AWS_27
    for chalice_name in build.app_functions():
        properties = resources[build.logical_id(chalice_name)]["Properties"]
        trigger = build.FUNCTIONS[chalice_name].trigger
        if trigger in build.ASYNC_TRIGGERS:
            queue = properties["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0]
            assert queue in queues, chalice_name
        elif trigger == "stream":
            (source,) = properties["Events"].values()
            mapping = source["Properties"]
            assert mapping["Stream"] == {"Fn::GetAtt": ["TicketsTable", "StreamArn"]}
            assert mapping["StartingPosition"] == "TRIM_HORIZON"  # records written before the mapping are seen
            assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            assert mapping["BisectBatchOnFunctionError"] is False and mapping["MaximumRetryAttempts"] > 0
            assert mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0] in queues
            assert resources["TicketsTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
            assert f"{build.logical_id(chalice_name)}IteratorAgeAlarm" in resources
        elif trigger == "sqs":
            (source,) = properties["Events"].values()
            assert source["Properties"]["Queue"] == {"Fn::GetAtt": ["WebhookQueue", "Arn"]}
            redrive = resources["WebhookQueue"]["Properties"]["RedrivePolicy"]
            assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["WebhookDeadLetters", "Arn"]}
        if trigger == "sns":
            subscription = resources[f"{build.logical_id(chalice_name)}Subscription"]["Properties"]
            assert subscription["TopicArn"] == {"Ref": "MailEventTopic"}
    # Bounces and complaints reach the topic on_mail_event subscribes to.
    destination = resources["MailEvents"]["Properties"]["EventDestination"]
    assert destination["SnsDestination"]["TopicARN"] == {"Ref": "MailEventTopic"}
    assert set(destination["MatchingEventTypes"]) == {"bounce", "complaint"}


def test_the_admin_page_reaches_the_api_on_its_own_origin():
    """CloudFront serves the site and forwards /api/* to API Gateway, whose
    stage is `api`: /api/tickets arrives as the route /tickets, with the
    operator's Authorization header, uncached. config.js says apiBase "/api"."""
    from infra import deploy

    resources = packaging.sam("prod")["Resources"]
    assert resources["RestAPI"]["Properties"]["StageName"] == "api"
    config = resources["StaticSite"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    origin = origins[api["TargetOriginId"]]
    assert origin["DomainName"] == {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert origin.get("OriginPath", "") == ""  # the path keeps /api, which is the stage
    assert set(api["AllowedMethods"]) >= {"GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"}
    assert api["CachePolicyId"] == build.CACHING_DISABLED  # with AllViewer*, forwards Authorization
    assert api["OriginRequestPolicyId"] == build.ALL_VIEWER_EXCEPT_HOST  # API Gateway needs its own Host
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "static"
    outputs = {
        "CognitoDomainUrl": "https://careline-prod-1.auth.eu-central-1.amazoncognito.com",
        "CognitoClientId": "abc123",
    }
    text = deploy.config_js("prod", outputs, "https://d111.cloudfront.net")
    config_js = json.loads(text.removeprefix("window.CARELINE = ").rstrip().rstrip(";"))
    assert config_js["apiBase"] == "/api"
    # The sign-in callback the pool accepts is the page config.js redirects to.
    client = resources["AdminClient"]["Properties"]
    assert client["CallbackURLs"] == [{"Fn::Sub": "${SiteUrl}/admin/index.html"}]
    assert config_js["cognito"]["redirectUri"] == "https://d111.cloudfront.net/admin/index.html"
    assert client["AllowedOAuthFlows"] == ["code"] and client["GenerateSecret"] is False  # PKCE public client


def test_the_site_in_aws_sends_the_policy_make_run_sends():
    """CloudFront answers the admin page and the widget with the CSP of the
    local stage (no inline script or style, no eval), allowing calls only to
    its own origin, the hosted sign-in and the attachments bucket."""
    resources = packaging.sam("prod")["Resources"]
    behaviour = resources["StaticSite"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "SiteHeaders"}
    headers = resources["SiteHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    policy = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in policy and directives["frame-ancestors"] == "'none'"
    assert directives["connect-src"].split() == [
        "'self'",
        "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com",
        "https://${AttachmentsBucket}.s3.amazonaws.com",
        "https://${AttachmentsBucket}.s3.${AWS::Region}.amazonaws.com",
    ]
    assert headers["FrameOptions"]["FrameOption"] == "DENY" and headers["ContentTypeOptions"]["Override"]
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "same-origin"


def test_api_is_throttled_traced_and_access_logged():
    api = packaging.sam("prod")["Resources"]["RestAPI"]["Properties"]
    assert api["TracingEnabled"] is True
    (settings,) = api["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == build.API_RATE_LIMIT and settings["ThrottlingBurstLimit"] > 0
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert "$context.requestId" in api["AccessLogSetting"]["Format"]


@pytest.mark.parametrize("stage", STAGES)
def test_stateful_resources_survive_the_stack_outside_dev(stage):
    resources = build.template(stage)["Resources"]
    kept = "Retain" if stage in build.RETAINED_STAGES else "Delete"
    stateful = {
        k: r
        for k, r in resources.items()
        if r.get("Type")
        in (
            "AWS::DynamoDB::Table",
            "AWS::S3::Bucket",
            "AWS::Cognito::UserPool",
            "AWS::SecretsManager::Secret",
            "AWS::SQS::Queue",
        )
    }
    assert len(stateful) >= 12
    for name, resource in stateful.items():
        assert resource["DeletionPolicy"] == kept, name
        if resource["Type"] == "AWS::S3::Bucket":
            assert resource["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}, name


def test_the_bootstrap_roles_trust_only_their_environment():
    bootstrap = build.bootstrap_template()
    for stage in STAGES:
        role = bootstrap["Resources"][f"{stage.title()}DeployRole"]["Properties"]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        condition = statement["Condition"]
        assert condition["StringEquals"] == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
        subjects = json.dumps(condition)
        assert f":environment:{stage}" in subjects
        assert not any(f":environment:{other}" in subjects for other in STAGES if other != stage)
        policy = json.dumps(role["Policies"][0]["PolicyDocument"])
        assert f"stack/careline-{stage}/" in policy
        assert not any(f"careline-{other}" in policy for other in STAGES if other != stage)
