"""Deployed infrastructure, generated from the definitions the app uses.

For each AWS stage this writes
- infra/generated/<stage>.json: a CloudFormation template merged into Chalice's
  (`chalice package --merge-template`): the DynamoDB tables from the pynamodb
  models, the Scheduler group, the role Scheduler assumes to invoke
  `on_schedule`, the schedules' dead-letter queue and its alarm, the
  inbound-mail bucket, the admin page's bucket behind CloudFront, and the
  deployment-derived settings of every function;
- .chalice/policy-<stage>.json: the functions' least-privilege IAM policy.

Inputs: the models (chalicelib/adapters/tables.py), the app's functions
(app.py), each stage's table prefix and scheduler group (.chalice/config.json)
and sender (chalicelib/stages/<stage>.json). `make infra` regenerates;
tests/test_infra.py fails when the committed files drift.

No function refers to itself or to the API: CloudFormation rejects circular
dependencies, and every function's environment would otherwise need the
function (OnSchedule's own ARN) or the API (its URL) to exist first. So the
functions get fixed names and ARNs are spelled out with Fn::Sub; the public
URL is a stack parameter.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AWS_STAGES = ("dev", "staging", "prod")
RETAINED_STAGES = ("prod",)  # tables survive stack deletion and replacement
ON_DEMAND = "PAY_PER_REQUEST"
# What the functions do to items. Transactions need no action of their own:
# IAM checks each Put/Update/Delete/ConditionCheck inside. Scan and
# BatchWriteItem serve only the recompute command, run with operator rights;
# pynamodb 6 never calls DescribeTable outside create_table/exists.
TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                 "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"]
STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams"]
INDEX_ACTIONS = ["dynamodb:Query"]  # indexes are only ever queried


def _importable() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # pynamodb has no default region


def _filter_pattern() -> dict:
    _importable()
    from chalicelib.services.consumer import FILTER_PATTERN

    return FILTER_PATTERN


def models() -> dict:
    _importable()
    from chalicelib.adapters.tables import MODELS

    return MODELS


def chalice_config() -> dict:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())


def stage_environment(stage: str) -> dict:
    return chalice_config()["stages"][stage]["environment_variables"]


def names(stage: str) -> dict[str, str]:
    """Every name a stage's resources share between the template, the policy
    and the app's settings (config.py derives the same defaults)."""
    app, env = chalice_config()["app_name"], stage_environment(stage)
    return {
        "app": f"{app}-{stage}",  # Chalice's own prefix for the stage's functions
        "tables": env["CARELINE_TABLE_PREFIX"],
        "group": env["CARELINE_SCHEDULER_GROUP"],
        "scheduler_role": f"{app}-{stage}-scheduler",
        "dead_letters": f"{app}-{stage}-schedule-dlq",
        "alerts": f"{app}-{stage}-alerts",
        "secret": f"/{app}/{stage}/signing-secret",
        "inbound_prefix": f"{app}-{stage}-inbound-",  # + account id: bucket names are global
        "bus": f"{app}-{stage}",
        "change_failures": f"{app}-{stage}-change-failures",
    }


def functions(stage: str) -> dict[str, str]:
    """Chalice's logical id → the function name pinned here, for every
    function app.py defines (Chalice's naming: `<app>-<stage>` for the API
    handler, `<app>-<stage>-<name>` for the others)."""
    _importable()
    from chalice.utils import to_cfn_resource_name

    from app import app

    base = names(stage)["app"]
    found = {"APIHandler": base} if app.routes else {}
    for function in [*app.pure_lambda_functions, *app.event_sources]:
        found[to_cfn_resource_name(function.name)] = f"{base}-{function.name}"
    return found


def _lambda_arn(function_name: str) -> dict:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{function_name}"}


def table_logical_id(base: str) -> str:
    return "".join(part.title() for part in base.split("_")) + "Table"


def _keys(key_schema: list[dict]) -> list[dict]:
    # DynamoDB wants HASH before RANGE; pynamodb lists them in attribute order.
    return sorted(({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema),
                  key=lambda k: k["KeyType"])


def _index(index: dict) -> dict:
    return {"IndexName": index["index_name"], "KeySchema": _keys(index["key_schema"]),
            "Projection": index["projection"]}


def table_resource(model, table_name: str, retain: bool) -> dict:
    """The table pynamodb's create_table would make, as CloudFormation."""
    if getattr(model.Meta, "billing_mode", None) != ON_DEMAND:
        raise ValueError(f"{model.__name__}: only on-demand tables are generated (no capacities here)")
    schema = model._get_schema()
    properties = {
        "TableName": table_name,
        "BillingMode": ON_DEMAND,
        "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": _keys(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    for key, indexes in (("GlobalSecondaryIndexes", schema["global_secondary_indexes"]),
                         ("LocalSecondaryIndexes", schema["local_secondary_indexes"])):
        if indexes:
            properties[key] = [_index(i) for i in sorted(indexes, key=lambda i: i["index_name"])]
    stream = getattr(model.Meta, "stream_view_type", None)
    if stream:  # the consumer (on_change) reads every change from it
        properties["StreamSpecification"] = {"StreamViewType": stream}
    ttl = model._ttl_attribute()
    if ttl is not None:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl.attr_name, "Enabled": True}
    resource = {"Type": "AWS::DynamoDB::Table", "Properties": properties}
    if retain:  # never lose customers' requests to a stack deletion or a replacing update
        resource |= {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    return resource


def template(stage: str) -> dict:
    n = names(stage)
    retain = stage in RETAINED_STAGES
    resources = {table_logical_id(base): table_resource(model, n["tables"] + base, retain)
                 for base, model in models().items()}
    fns = functions(stage)
    on_schedule = _lambda_arn(fns["OnSchedule"])

    # Schedules: the group, the role Scheduler assumes to invoke on_schedule,
    # and one queue for what never got handled: Scheduler's undeliverable
    # invocations and, since Scheduler invokes asynchronously, the function's
    # own failures after Lambda's retries.
    resources["ScheduleGroup"] = {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": n["group"]}}
    resources["ScheduleDeadLetters"] = {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": n["dead_letters"], "MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}}
    resources["SchedulerRole"] = {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": n["scheduler_role"],
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]},
        "Policies": [{"PolicyName": "invoke-on-schedule", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": on_schedule},
            {"Effect": "Allow", "Action": "sqs:SendMessage",
             "Resource": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]}}]}}]}}
    resources["AlertTopic"] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": n["alerts"]}}
    resources["ScheduleDeadLettersAlarm"] = {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": "A schedule's event was never handled: see docs/operations.md",
        "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ScheduleDeadLetters", "QueueName"]}}],
        "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": "AlertTopic"}]}}

    # Inbound mail: SES stores each message in the bucket, the bucket notifies on_inbound_email.
    bucket = n["inbound_prefix"] + "${AWS::AccountId}"
    resources["InboundMailPermission"] = {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": {"Fn::GetAtt": ["OnInboundEmail", "Arn"]},
        "Principal": "s3.amazonaws.com", "SourceAccount": {"Ref": "AWS::AccountId"},
        "SourceArn": {"Fn::Sub": f"arn:aws:s3:::{bucket}"}}}
    resources["InboundMailBucketPolicy"] = {"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": {"Ref": "InboundMailBucket"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "SesDeliversInboundMail", "Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": {"Fn::Sub": f"arn:aws:s3:::{bucket}/*"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]}}}
    resources["InboundMailBucket"] = {"Type": "AWS::S3::Bucket", "DependsOn": "InboundMailPermission", "Properties": {
        "BucketName": {"Fn::Sub": bucket},
        "NotificationConfiguration": {"LambdaConfigurations": [
            {"Event": "s3:ObjectCreated:*", "Function": {"Fn::GetAtt": ["OnInboundEmail", "Arn"]}}]},
        "LifecycleConfiguration": {"Rules": [{"Id": "expire-raw-mail", "Status": "Enabled", "ExpirationInDays": 30}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}}

    # The admin page and the widget: a private bucket served only through CloudFront.
    resources["StaticSiteBucket"] = {"Type": "AWS::S3::Bucket", "Properties": {
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True}}}
    resources["StaticSiteAccess"] = {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {
        "OriginAccessControlConfig": {"Name": f"{n['app']}-static", "OriginAccessControlOriginType": "s3",
                                      "SigningBehavior": "always", "SigningProtocol": "sigv4"}}}
    resources["StaticSite"] = {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
        "Enabled": True, "Comment": f"Careline {stage}: admin page and widget",
        "DefaultRootObject": "admin/index.html", "HttpVersion": "http2",
        "Origins": [{"Id": "static", "DomainName": {"Fn::GetAtt": ["StaticSiteBucket", "RegionalDomainName"]},
                     "OriginAccessControlId": {"Fn::GetAtt": ["StaticSiteAccess", "Id"]},
                     "S3OriginConfig": {"OriginAccessIdentity": ""}}],
        "DefaultCacheBehavior": {"TargetOriginId": "static", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",  # CachingOptimized
                                 "AllowedMethods": ["GET", "HEAD"], "Compress": True}}}}
    resources["StaticSiteBucketPolicy"] = {"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": {"Ref": "StaticSiteBucket"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "CloudFrontReads", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${StaticSiteBucket.Arn}/*"},
            "Condition": {"StringEquals": {"AWS:SourceArn": {"Fn::Sub":
                "arn:aws:cloudfront::${AWS::AccountId}:distribution/${StaticSite}"}}}}]}}}

    # What only the deployment knows, merged into every function Chalice
    # generates (every function loads the settings; dicts merge, lists replace).
    environment = {
        "CARELINE_SCHEDULER_TARGET_ARN": on_schedule,  # not GetAtt: OnSchedule would depend on itself
        "CARELINE_SCHEDULER_ROLE_ARN": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
        "CARELINE_SCHEDULER_DLQ_ARN": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]},
        "CARELINE_PUBLIC_URL": {"Ref": "PublicUrl"},  # not the API's URL: the API depends on the handler
        "CARELINE_SECRET_PARAMETER": n["secret"],
        "CARELINE_COGNITO_ISSUER": {"Ref": "CognitoIssuer"},
        "CARELINE_COGNITO_CLIENT_ID": {"Ref": "CognitoClientId"},
    }
    # Outgoing ticket events, and the stream consumer's failures.
    resources["EventBus"] = {"Type": "AWS::Events::EventBus", "Properties": {"Name": n["bus"]}}
    environment["CARELINE_EVENT_BUS"] = n["bus"]
    environment["CARELINE_ADMIN_URL"] = {"Fn::Sub": "https://${StaticSite.DomainName}/admin"}
    resources["ChangeFailures"] = {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": n["change_failures"], "MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}}
    for logical_id, function_name in fns.items():
        properties = {"FunctionName": function_name, "Environment": {"Variables": environment}}
        if logical_id == "OnSchedule":
            properties["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]}}
        if logical_id == "OnChange":
            properties["Events"] = {"OnChangeDynamodbEventSource": {"Properties": {
                "Stream": {"Fn::GetAtt": [table_logical_id("tickets"), "StreamArn"]},
                "FunctionResponseTypes": ["ReportBatchItemFailures"], "MaximumRetryAttempts": 10,
                "BisectBatchOnFunctionError": False,
                "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["ChangeFailures", "Arn"]}}},
                "FilterCriteria": {"Filters": [{"Pattern": json.dumps(_filter_pattern(), separators=(",", ":"))}]}}}}
        resources[logical_id] = {"Properties": properties}
    return {
        "Parameters": {
            "PublicUrl": {"Type": "String", "AllowedPattern": "^https://\\S+[^/]$",
                          "Description": "Base of links in emails (feedback pages): the API's custom domain, "
                                         "or its EndpointURL output without the trailing slash"},
            "CognitoIssuer": {"Type": "String", "Description": "https://cognito-idp.<region>.amazonaws.com/<pool id>"},
            "CognitoClientId": {"Type": "String", "Description": "the admin page's app client id"}},
        "Resources": resources,
        "Outputs": {
            "ScheduleDeadLetterQueueUrl": {"Value": {"Ref": "ScheduleDeadLetters"}},
            "AlertTopicArn": {"Value": {"Ref": "AlertTopic"}},
            "StaticSiteBucketName": {"Value": {"Ref": "StaticSiteBucket"}},
            "StaticSiteUrl": {"Value": {"Fn::Sub": "https://${StaticSite.DomainName}"}}},
    }


def policy(stage: str) -> dict:
    """The Lambda functions' policy: only what the code calls, on only this stage's resources."""
    n = names(stage)
    tables = {base: f"arn:aws:dynamodb:*:*:table/{n['tables']}{base}" for base in models()}
    indexes = [f"{tables[base]}/index/*" for base, model in models().items() if model._indexes]
    log_groups = [f"arn:aws:logs:*:*:log-group:/aws/lambda/{n['app']}",  # the API handler's
                  f"arn:aws:logs:*:*:log-group:/aws/lambda/{n['app']}:*",
                  f"arn:aws:logs:*:*:log-group:/aws/lambda/{n['app']}-*"]  # the others', and streams
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Tables", "Effect": "Allow", "Action": TABLE_ACTIONS, "Resource": list(tables.values())},
        {"Sid": "Indexes", "Effect": "Allow", "Action": INDEX_ACTIONS, "Resource": indexes},
        {"Sid": "Stream", "Effect": "Allow", "Action": STREAM_ACTIONS, "Resource": f"{tables['tickets']}/stream/*"},
        {"Sid": "Events", "Effect": "Allow", "Action": "events:PutEvents",
         "Resource": f"arn:aws:events:*:*:event-bus/{n['bus']}"},
        {"Sid": "ChangeFailures", "Effect": "Allow", "Action": "sqs:SendMessage",
         "Resource": f"arn:aws:sqs:*:*:{n['change_failures']}"},
        {"Sid": "Mail", "Effect": "Allow", "Action": ["ses:SendEmail", "ses:SendRawEmail"], "Resource": "*",
         "Condition": {"StringEquals": {"ses:FromAddress": sender(stage)}}},
        {"Sid": "Schedules", "Effect": "Allow",
         "Action": ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule",
                    "scheduler:GetSchedule"],
         "Resource": f"arn:aws:scheduler:*:*:schedule/{n['group']}/*"},
        {"Sid": "PassSchedulerRole", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": f"arn:aws:iam::*:role/{n['scheduler_role']}",
         "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}},
        # Lambda sends on_schedule's failed asynchronous events with the function's role.
        {"Sid": "ScheduleDeadLetters", "Effect": "Allow", "Action": "sqs:SendMessage",
         "Resource": f"arn:aws:sqs:*:*:{n['dead_letters']}"},
        {"Sid": "InboundMail", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{n['inbound_prefix']}*/*"},
        {"Sid": "SigningSecret", "Effect": "Allow", "Action": "ssm:GetParameter",
         "Resource": f"arn:aws:ssm:*:*:parameter{n['secret']}"},
        {"Sid": "Logs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": log_groups},
    ]}


def sender(stage: str) -> str:
    return json.loads((ROOT / "chalicelib" / "stages" / f"{stage}.json").read_text())["sender"]


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def outputs() -> dict[Path, dict]:
    files = {}
    for stage in AWS_STAGES:
        files[ROOT / "infra" / "generated" / f"{stage}.json"] = template(stage)
        files[ROOT / ".chalice" / f"policy-{stage}.json"] = policy(stage)
    return files


if __name__ == "__main__":
    for path, document in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(document))
        print(f"wrote {path.relative_to(ROOT)}")
