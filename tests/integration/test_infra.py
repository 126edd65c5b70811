"""The deployed infrastructure as it will run: the app works on tables made
from the template, and what `chalice package` makes of it all is deployable,
with dead-letter queues and alarms, the site's origin and policy, and a
throttled API."""

import json

import pytest

from chalicelib.services import consumer
from infra import build
from infra.stack.alarms import LOG_RETENTION_DAYS
from infra.stack.api import API_RATE_LIMIT
from infra.stack.functions import ASYNC_TRIGGERS, FUNCTIONS, app_functions, function_names
from infra.stack.naming import LAMBDA_RUNTIME, logical_id, names
from infra.stack.policies import policy
from infra.stack.site import ALL_VIEWER_EXCEPT_HOST, CACHING_DISABLED
from tests.integration import packaging
from tests.templates import dependency_cycle, references, tables_of

# (a) tables made from the template serve the app


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
    from local.container import install
    from local.provision import provision

    prod_prefix = names("prod")["tables"]
    for resource in tables_of(build.template("prod")).values():
        props = resource["Properties"]
        create_like_cloudformation(
            client("dynamodb"), props | {"TableName": props["TableName"].replace(prod_prefix, settings.table_prefix, 1)}
        )
    provision(settings)  # the tables exist, so it only adds the sender identity and the schedule group
    yield install(settings, clock)
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


# (b) what `chalice package` makes of it


def _chalice_name(lid: str) -> str:
    return next(n for n in app_functions() if logical_id(n) == lid)


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_chalice_package_merges_into_a_deployable_template(stage):
    sam = packaging.sam(stage)
    resources = sam["Resources"]
    # Every resource the merge template names exists in Chalice's output (a
    # misspelt function id would merge into a resource without a type).
    assert all("Type" in r for r in resources.values()), [k for k, r in resources.items() if "Type" not in r]
    functions = {k for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert functions == set(function_names(stage)) and "OnSchedule" in functions
    target = {
        "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
        + resources["OnSchedule"]["Properties"]["FunctionName"]
    }
    for name in functions:
        properties = resources[name]["Properties"]
        variables = properties["Environment"]["Variables"]
        assert variables["CARELINE_STAGE"] == stage  # Chalice's own variables survive the merge
        assert variables["CARELINE_TABLE_PREFIX"] == names(stage)["tables"]
        assert variables["CARELINE_SCHEDULER_TARGET_ARN"] == target, name
        assert variables["CARELINE_SECRET_ARN"] == {"Ref": "SigningSecret"}
        assert variables["CARELINE_PUBLIC_URL"] == {"Fn::Sub": "${SiteUrl}/api"}
        # Jobs on a timer are traced only when called traced: every run of one would be a trace.
        traced = "PassThrough" if FUNCTIONS[_chalice_name(name)].trigger == "rate" else "Active"
        assert (properties["Runtime"], properties["Tracing"]) == (LAMBDA_RUNTIME, traced)
        # Its own role with exactly its own policy.
        role = resources[properties["Role"]["Fn::GetAtt"][0]]["Properties"]
        chalice_name = next(n for n in app_functions() if logical_id(n) == name)
        assert [p["PolicyDocument"] for p in role["Policies"]] == [policy(stage, chalice_name)], name
        # A log group that expires (its failures reach the alarms of its dead-letter queue or the API).
        log_group = resources[f"{name}LogGroup"]["Properties"]
        assert log_group["LogGroupName"] == f"/aws/lambda/{properties['FunctionName']}"
        assert log_group["RetentionInDays"] == LOG_RETENTION_DAYS[stage]
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


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_every_asynchronous_function_has_a_dead_letter_queue_with_an_alarm_in_prod(stage):
    resources = packaging.sam(stage)["Resources"]
    alarmed = {
        r["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"]["Namespace"] == "AWS/SQS"
    }
    queues = {k for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    assert alarmed == (queues if stage == "prod" else set())  # no one is on call for dev or staging
    assert all(resources[q]["Properties"]["SqsManagedSseEnabled"] is True for q in queues)  # checkov's CKV_AWS_27
    for chalice_name in app_functions():
        properties = resources[logical_id(chalice_name)]["Properties"]
        trigger = FUNCTIONS[chalice_name].trigger
        if trigger in ASYNC_TRIGGERS:
            queue = properties["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0]
            assert queue in queues, chalice_name
        elif trigger == "stream":
            (source,) = properties["Events"].values()
            mapping = source["Properties"]
            assert mapping["Stream"] == {"Fn::GetAtt": ["TicketsTable", "StreamArn"]}
            assert mapping["StartingPosition"] == "TRIM_HORIZON"  # records written before the mapping are seen
            assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            # As the consumer states it, and the local stream reader follows it (local/stream.py).
            assert mapping["BisectBatchOnFunctionError"] is consumer.STREAM_BISECT_ON_ERROR is True
            assert mapping["MaximumRetryAttempts"] == consumer.STREAM_RETRY_ATTEMPTS > 0
            destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
            assert destination["Fn::GetAtt"][0] in queues
            # ... and the reconcile job reads that queue.
            variables = resources[logical_id("reconcile")]["Properties"]["Environment"]["Variables"]
            assert variables["CARELINE_CHANGE_FAILURES_ARN"] == destination
            assert resources["TicketsTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
            assert (f"{logical_id(chalice_name)}IteratorAgeAlarm" in resources) is (stage == "prod")
        elif trigger == "sqs":
            (source,) = properties["Events"].values()
            assert source["Properties"]["Queue"] == {"Fn::GetAtt": ["WebhookQueue", "Arn"]}
            redrive = resources["WebhookQueue"]["Properties"]["RedrivePolicy"]
            assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["WebhookDeadLetters", "Arn"]}
        if trigger == "sns":
            subscription = resources[f"{logical_id(chalice_name)}Subscription"]["Properties"]
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
    assert api["CachePolicyId"] == CACHING_DISABLED  # with AllViewer*, forwards Authorization
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST  # API Gateway needs its own Host
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
    distribution = resources["StaticSite"]["Properties"]["DistributionConfig"]
    # Every answer from the site's bucket, a missing file's 403/404 too: CloudFront
    # applies a behaviour's policy to what it forwards from the origin, errors included.
    static = [
        b
        for b in [distribution["DefaultCacheBehavior"], *distribution["CacheBehaviors"]]
        if b["TargetOriginId"] == "static"
    ]
    assert static and all(b["ResponseHeadersPolicyId"] == {"Ref": "SiteHeaders"} for b in static)
    assert "CustomErrorResponses" not in distribution  # no error page CloudFront would answer with instead
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
    assert settings["ThrottlingRateLimit"] == API_RATE_LIMIT and settings["ThrottlingBurstLimit"] > 0
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert "$context.requestId" in api["AccessLogSetting"]["Format"]


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_the_api_function_gives_up_before_api_gateway_does(stage):
    """API Gateway ends an integration after 29 s and answers 504 while the
    function runs on: the function's own timeout must come first."""
    handler = packaging.sam(stage)["Resources"]["APIHandler"]["Properties"]
    assert handler["Timeout"] <= 29
