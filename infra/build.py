"""Deployed infrastructure, generated from the definitions the app uses.

For each AWS stage `make infra` writes
- infra/generated/<stage>.json: the CloudFormation template merged into
  Chalice's (`chalice package --merge-template`): tables from the pynamodb
  models, the Cognito pool, the signing secret and its rotation, SES identity,
  configuration set and receipt rule, schedules, queues, the event bus, the
  site behind CloudFront (with the API under /api), alarms and logs;
- .chalice/policy-<stage>-<function>.json: each function's own policy, built
  from FUNCTIONS below (what its code calls, what Lambda does with its role),
  and the `lambda_functions` entries of .chalice/config.json naming them;
- infra/generated/bootstrap.json: once per account, the GitHub OIDC provider,
  one deploy role per stage and the artifact bucket.

tests/unit/test_infra.py fails when a committed file drifts from what this
makes.

No function refers to itself, the API or the distribution: CloudFormation
rejects circular dependencies (the API depends on its handler, CloudFront on
the API). So functions get fixed names and ARNs are spelled out with Fn::Sub,
and the site's URL (links in emails, the sign-in callback) is the parameter
SiteUrl, which infra/deploy.py fills from the stack's own output.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AWS_STAGES = ("dev", "staging", "prod")
# Tables, buckets and the user pool outlive the stack, except in dev, whose
# data is disposable and whose fixed names must be free for a new stack.
RETAINED_STAGES = ("staging", "prod")
ON_DEMAND = "PAY_PER_REQUEST"
# The newest Python that both Chalice 1.34 and Lambda support. Chalice takes
# the runtime, and the wheels it packages, from the Python that runs
# `chalice package`, so infra/deploy.py packages only with this version.
LAMBDA_PYTHON = (3, 14)
LAMBDA_RUNTIME = "python{}.{}".format(*LAMBDA_PYTHON)
LOG_RETENTION_DAYS = {"dev": 14, "staging": 30, "prod": 365}
# The signing secret rotates on this period; the app accepts the current and
# the previous key, so a link signed just before a rotation verifies for at
# least this long (test_infra checks it covers feedback_token_days).
SECRET_ROTATION_DAYS = 90
API_RATE_LIMIT, API_BURST_LIMIT = 50, 100  # per second, per stage: far above a support desk's traffic
# What the functions do to items. Transactions need no action of their own:
# IAM checks each Put/Update/Delete/ConditionCheck inside. Scan serves only
# the recompute and reindex commands, run with operator rights;
# BatchWriteItem only the stream consumer's search postings.
TABLE_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
]
INDEX_ACTIONS = ["dynamodb:Query"]  # indexes are only ever queried
STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CloudFront managed cache policies
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # origin request policy: API Gateway wants its own Host
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # response headers policy SecurityHeadersPolicy


def _importable() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # pynamodb has no default region


STREAMED_TABLE = "tickets"  # whose stream on_change reads


def filter_patterns() -> tuple[dict, ...]:
    _importable()
    from chalicelib.services.consumer import FILTER_PATTERNS

    return FILTER_PATTERNS


def models() -> dict:
    _importable()
    from chalicelib.adapters.tables import MODELS

    return MODELS


def chalice_config() -> dict:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())


def stage_environment(stage: str) -> dict:
    return chalice_config()["stages"][stage]["environment_variables"]


def stage_document(stage: str) -> dict:
    return json.loads((ROOT / "chalicelib" / "stages" / f"{stage}.json").read_text())


def sender(stage: str) -> str:
    return stage_document(stage)["sender"]


def names(stage: str) -> dict[str, str]:
    """Every name a stage's resources share between the template, the
    policies and the app's settings (config.py derives the same defaults)."""
    app, env = chalice_config()["app_name"], stage_environment(stage)
    base = f"{app}-{stage}"
    return {
        "app": base,  # Chalice's own prefix for the stage's functions
        "stack": base,
        "tables": env["CARELINE_TABLE_PREFIX"],
        "group": env["CARELINE_SCHEDULER_GROUP"],
        "scheduler_role": f"{base}-scheduler",
        "dead_letters": f"{base}-schedule-dlq",
        "alerts": f"{base}-alerts",
        "mail_events": f"{base}-mail-events",
        "secret": f"{app}/{stage}/signing-secret",
        "inbound_prefix": f"{base}-inbound-",  # + account id: bucket names are global
        "attachments_prefix": f"{base}-attachments-",  # + account id
        "mail_domain": sender(stage).rpartition("@")[2],
        "support_address": stage_document(stage)["support_address"],
        "configuration_set": base,
        "bus": base,
        "webhooks": f"{base}-webhooks",
        "webhook_dead_letters": f"{base}-webhooks-dlq",
        "webhook_secrets": f"{app}/{stage}/webhooks/",  # + the endpoint's name
        "key_alias": f"alias/{base}",
        "rule_set": f"{app}-inbound",  # one active receipt rule set per account and region
        "metrics_namespace": f"Careline/{stage}",
    }


# ---------------------------------------------------------------------------
# Functions and what each may do: one entry per Chalice function name of
# app.py. A grant is "code" (the function's code calls it: the IAM test
# proves each is used) or "runtime" (Lambda acts with the function's role:
# logs, traces, dead letters, reading its event source).


@dataclass(frozen=True)
class Function:
    trigger: str  # api | scheduler | s3 | rate | stream | sqs | sns
    code: tuple[str, ...] = ()  # capabilities its code uses (CODE below)
    description: str = ""


FUNCTIONS: dict[str, Function] = {
    # A request writes one transaction: the API reads and writes tables and
    # signs cursors, and does nothing else (no mail, schedule or event).
    # The API also signs links to download and upload files (S3 checks them
    # against its role) and reads the uploads a reply attaches.
    "api_handler": Function("api", ("tables", "secret", "files_read", "files_write"), "the API's routes"),
    "on_change": Function(
        "stream",
        ("tables", "search_postings", "mail", "schedules", "secret", "events", "files_read", "files_delete"),
        "the tickets table's stream: performs each change's effects",
    ),
    "on_schedule": Function("scheduler", ("tables", "schedules"), "one-time schedules (SLA, follow-up, close)"),
    "on_inbound_email": Function(
        "s3", ("inbound", "tables", "files_write", "files_delete"), "mail SES stored in the inbound bucket"
    ),
    "retry_mail": Function("rate", ("tables", "mail", "secret", "files_read"), "emails whose send failed"),
    "reconcile": Function("rate", ("tables", "schedules"), "repairs schedules; acts on what never fired"),
    "deliver_webhooks": Function(
        "sqs", ("webhook_secrets", "webhook_backoff", "delivered_webhooks"), "signed webhook deliveries"
    ),
    "on_mail_event": Function("sns", ("bounces",), "SES bounce and complaint events"),
}
ASYNC_TRIGGERS = ("scheduler", "s3", "rate", "sns")  # invoked asynchronously: failures go to a dead-letter queue


def function_name(stage: str, chalice_name: str) -> str:
    base = names(stage)["app"]
    return base if chalice_name == "api_handler" else f"{base}-{chalice_name}"


def logical_id(chalice_name: str) -> str:
    _importable()
    from chalice.utils import to_cfn_resource_name

    return "APIHandler" if chalice_name == "api_handler" else to_cfn_resource_name(chalice_name)


def app_functions() -> list[str]:
    """The Chalice names of the functions app.py defines."""
    _importable()
    from app import app

    found = ["api_handler"] if app.routes else []
    return found + [function.name for function in [*app.pure_lambda_functions, *app.event_sources]]


def functions(stage: str) -> dict[str, str]:
    """Chalice's logical id → the function name pinned here, for every function the app defines."""
    return {logical_id(name): function_name(stage, name) for name in app_functions()}


def _arn(service: str, resource: str, region: bool = True) -> str:
    # Policies are plain files (Chalice reads them as they are), so account
    # and region are wildcards; names carry the stage.
    return f"arn:aws:{service}:{'*' if region else ''}:*:{resource}"


def _dead_letter_queue(stage: str, chalice_name: str) -> str:
    n = names(stage)
    trigger = FUNCTIONS[chalice_name].trigger
    if trigger == "scheduler":
        return n["dead_letters"]  # shared with Scheduler's own undeliverable invocations
    if trigger == "sqs":
        return n["webhook_dead_letters"]
    return f"{function_name(stage, chalice_name)}-failures"


def code_statements(stage: str, capability: str) -> list[dict]:
    """The statements of one capability a function's code uses."""
    n = names(stage)
    if capability == "tables":
        tables = {base: _arn("dynamodb", f"table/{n['tables']}{base}") for base in models()}
        indexes = [f"{tables[base]}/index/*" for base, model in models().items() if model._indexes]
        return [
            {"Sid": "Tables", "Action": TABLE_ACTIONS, "Resource": list(tables.values())},
            {"Sid": "Indexes", "Action": INDEX_ACTIONS, "Resource": indexes},
        ]
    if capability == "search_postings":  # a change's postings in batches of 25
        return [
            {
                "Sid": "SearchPostings",
                "Action": ["dynamodb:BatchWriteItem"],
                "Resource": [_arn("dynamodb", f"table/{n['tables']}search")],
            }
        ]
    if capability == "mail":  # only as the stage's sender, through the stage's identity
        return [
            {
                "Sid": "Mail",
                "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                "Resource": [
                    _arn("ses", f"identity/{n['mail_domain']}"),
                    _arn("ses", f"configuration-set/{n['configuration_set']}"),
                ],
                "Condition": {"StringEquals": {"ses:FromAddress": sender(stage)}},
            }
        ]
    if capability == "schedules":
        return [
            {
                "Sid": "Schedules",
                "Action": [
                    "scheduler:CreateSchedule",
                    "scheduler:UpdateSchedule",
                    "scheduler:DeleteSchedule",
                    "scheduler:GetSchedule",
                ],
                "Resource": _arn("scheduler", f"schedule/{n['group']}/*"),
            },
            {
                "Sid": "PassSchedulerRole",
                "Action": "iam:PassRole",
                "Resource": _arn("iam", f"role/{n['scheduler_role']}", region=False),
                "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            },
        ]
    if capability == "secret":  # the current and the previous version; the suffix is Secrets Manager's
        return [
            {
                "Sid": "SigningSecret",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": _arn("secretsmanager", f"secret:{n['secret']}-??????"),
            }
        ]
    if capability == "inbound":
        return [{"Sid": "InboundMail", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{n['inbound_prefix']}*/*"}]
    if capability.startswith("files_"):  # the attachments bucket: files under each ticket's id
        objects, bucket = f"arn:aws:s3:::{n['attachments_prefix']}*/*", f"arn:aws:s3:::{n['attachments_prefix']}*"
        if capability == "files_read":
            return [{"Sid": "FilesRead", "Action": "s3:GetObject", "Resource": objects}]
        if capability == "files_write":
            return [{"Sid": "FilesWrite", "Action": "s3:PutObject", "Resource": objects}]
        if capability == "files_delete":  # every version: an erased customer's files must not linger
            return [
                {"Sid": "FilesList", "Action": "s3:ListBucketVersions", "Resource": bucket},
                {"Sid": "FilesDelete", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": objects},
            ]
    if capability == "events":
        return [{"Sid": "Events", "Action": "events:PutEvents", "Resource": _arn("events", f"event-bus/{n['bus']}")}]
    if capability == "webhook_secrets":  # each endpoint's signing secret (config.py requires this prefix)
        return [
            {
                "Sid": "WebhookSecrets",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": _arn("secretsmanager", f"secret:{n['webhook_secrets']}*"),
            }
        ]
    if capability == "webhook_backoff":  # a failed delivery waits longer before each retry
        return [
            {"Sid": "WebhookBackoff", "Action": "sqs:ChangeMessageVisibility", "Resource": _arn("sqs", n["webhooks"])}
        ]
    if capability == "delivered_webhooks":  # which endpoints took an event another endpoint failed
        return [
            {
                "Sid": "DeliveredWebhooks",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                "Resource": _arn("dynamodb", f"table/{n['tables']}claims"),
            }
        ]
    if capability == "bounces":  # the customer's address is marked undeliverable
        return [
            {
                "Sid": "Bounces",
                "Action": "dynamodb:UpdateItem",
                "Resource": _arn("dynamodb", f"table/{n['tables']}customers"),
            }
        ]
    raise KeyError(capability)


def runtime_statements(stage: str, chalice_name: str) -> list[dict]:
    """What Lambda itself does with the function's role."""
    n, name, trigger = names(stage), function_name(stage, chalice_name), FUNCTIONS[chalice_name].trigger
    statements = [
        {
            "Sid": "Logs",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _arn("logs", f"log-group:/aws/lambda/{name}:*"),
        },
        # X-Ray has no resource-level permissions.
        {"Sid": "Tracing", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
    ]
    if trigger in ASYNC_TRIGGERS or trigger == "stream":  # a failed event's last stop
        statements.append(
            {
                "Sid": "DeadLetters",
                "Action": "sqs:SendMessage",
                "Resource": _arn("sqs", _dead_letter_queue(stage, chalice_name)),
            }
        )
    if trigger == "stream":
        statements.append(
            {
                "Sid": "Stream",
                "Action": STREAM_ACTIONS,
                "Resource": _arn("dynamodb", f"table/{n['tables']}{STREAMED_TABLE}/stream/*"),
            }
        )
    if trigger == "sqs":
        statements.append(
            {
                "Sid": "Queue",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": _arn("sqs", n["webhooks"]),
            }
        )
    return statements


def policy(stage: str, chalice_name: str) -> dict:
    """One function's policy: only what it does, on only this stage's resources."""
    statements = [s for capability in FUNCTIONS[chalice_name].code for s in code_statements(stage, capability)]
    statements += runtime_statements(stage, chalice_name)
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **s} for s in statements]}


def policy_file(stage: str, chalice_name: str) -> str:
    return f"policy-{stage}-{chalice_name}.json"


def table_logical_id(base: str) -> str:
    return "".join(part.title() for part in base.split("_")) + "Table"


def _keys(key_schema: list[dict]) -> list[dict]:
    # DynamoDB wants HASH before RANGE; pynamodb lists them in attribute order.
    return sorted(
        ({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema), key=lambda k: k["KeyType"]
    )


def _index(index: dict) -> dict:
    return {
        "IndexName": index["index_name"],
        "KeySchema": _keys(index["key_schema"]),
        "Projection": index["projection"],
    }


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
        "DeletionProtectionEnabled": retain,
    }
    view = getattr(model.Meta, "stream_view_type", None)
    if view:  # the stream consumer reads the new image of each change
        properties["StreamSpecification"] = {"StreamViewType": view}
    for key, indexes in (
        ("GlobalSecondaryIndexes", schema["global_secondary_indexes"]),
        ("LocalSecondaryIndexes", schema["local_secondary_indexes"]),
    ):
        if indexes:
            properties[key] = [_index(i) for i in sorted(indexes, key=lambda i: i["index_name"])]
    ttl = model._ttl_attribute()
    if ttl is not None:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl.attr_name, "Enabled": True}
    # Never lose customers' requests to a stack deletion or a replacing update.
    return _retained({"Type": "AWS::DynamoDB::Table", "Properties": properties}, retain)


def _queue(name: str, retain: bool, **extra) -> dict:
    from chalicelib.adapters.queue import RETENTION  # what redeliveries are remembered against

    return _retained(
        {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": name,
                "MessageRetentionPeriod": int(RETENTION.total_seconds()),
                "SqsManagedSseEnabled": True,
                **extra,
            },
        },
        retain,
    )


def _alarm(
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict,
    *,
    statistic: str = "Sum",
    threshold: float = 1,
    period: int = 300,
    evaluation_periods: int = 1,
) -> dict:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": f"{description}: see docs/operations.md",
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Statistic": statistic,
            "Period": period,
            "EvaluationPeriods": evaluation_periods,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlertTopic"}],
            "OKActions": [{"Ref": "AlertTopic"}],
        },
    }


def _retained(resource: dict, retain: bool) -> dict:
    policy = "Retain" if retain else "Delete"
    return resource | {"DeletionPolicy": policy, "UpdateReplacePolicy": policy}


def _site_headers(app: str) -> dict:
    """The admin page's and widget's headers in AWS: the same policy `make run`
    sends (chalicelib/api/http.py), calls allowed to their own origin (the API
    is /api), the hosted sign-in's token endpoint and the attachments bucket
    (replies' uploads; botocore signs for the global or the regional name)."""
    from chalicelib.api.http import static_site_headers

    site = static_site_headers(
        "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com",
        "https://${AttachmentsBucket}.s3.amazonaws.com",
        "https://${AttachmentsBucket}.s3.${AWS::Region}.amazonaws.com",
    )
    return {
        "Type": "AWS::CloudFront::ResponseHeadersPolicy",
        "Properties": {
            "ResponseHeadersPolicyConfig": {
                "Name": f"{app}-site",
                "Comment": "Careline admin page and widget",
                "SecurityHeadersConfig": {
                    "ContentSecurityPolicy": {
                        "ContentSecurityPolicy": {"Fn::Sub": site["Content-Security-Policy"]},
                        "Override": True,
                    },
                    "ContentTypeOptions": {"Override": True},
                    "FrameOptions": {"FrameOption": site["X-Frame-Options"], "Override": True},
                    "ReferrerPolicy": {"ReferrerPolicy": site["Referrer-Policy"], "Override": True},
                    "StrictTransportSecurity": {
                        "AccessControlMaxAgeSec": 63072000,
                        "IncludeSubdomains": True,
                        "Override": True,
                    },
                },
            }
        },
    }


def _bucket(retain: bool, **properties) -> dict:
    return _retained(
        {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                **properties,
            },
        },
        retain,
    )


def _https_only(bucket: str) -> dict:
    return {
        "Sid": "HttpsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def rotation_code() -> str:
    return (ROOT / "infra" / "rotate_secret.py").read_text()


def template(stage: str) -> dict:
    n = names(stage)
    retain = stage in RETAINED_STAGES
    present = app_functions()
    fns = {name: (logical_id(name), function_name(stage, name)) for name in present}
    unknown = [name for name in present if name not in FUNCTIONS]
    if unknown:
        raise ValueError(f"functions without an entry in infra/build.py FUNCTIONS: {unknown}")
    on_schedule = _lambda_arn(function_name(stage, "on_schedule"))
    resources: dict = {}
    for base, model in models().items():
        resources[table_logical_id(base)] = table_resource(model, n["tables"] + base, retain)

    # One key for what AWS services write on the stage's behalf: alarm and
    # mail-event topics (CloudWatch and SES cannot use the AWS-managed SNS key)
    # and the log groups.
    key_users = [
        {
            "Sid": f"{service.split('.')[0].title()}Uses",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
        for service in ("cloudwatch.amazonaws.com", "ses.amazonaws.com")
    ]
    resources["StageKey"] = _retained(
        {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": f"Careline {stage}: topics and logs",
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        *key_users,
                        {
                            "Sid": "LogsUse",
                            "Effect": "Allow",
                            "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}},
                            "Action": [
                                "kms:Encrypt*",
                                "kms:Decrypt*",
                                "kms:ReEncrypt*",
                                "kms:GenerateDataKey*",
                                "kms:Describe*",
                            ],
                            "Resource": "*",
                            "Condition": {
                                "ArnLike": {
                                    "kms:EncryptionContext:aws:logs:arn": {
                                        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
                                        ":log-group:*"
                                    }
                                }
                            },
                        },
                    ],
                },
            },
        },
        retain,
    )
    resources["StageKeyAlias"] = {
        "Type": "AWS::KMS::Alias",
        "Properties": {"AliasName": n["key_alias"], "TargetKeyId": {"Ref": "StageKey"}},
    }

    # Alerts: every alarm below notifies this topic; on-call subscribes by the parameter.
    resources["AlertTopic"] = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": n["alerts"], "KmsMasterKeyId": {"Ref": "StageKey"}},
    }
    resources["AlertSubscription"] = {
        "Type": "AWS::SNS::Subscription",
        "Condition": "HasAlertEmail",
        "Properties": {"TopicArn": {"Ref": "AlertTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlertEmail"}},
    }

    # Schedules: the group, the role Scheduler assumes to invoke on_schedule,
    # and one queue for what never got handled: Scheduler's undeliverable
    # invocations and on_schedule's own failures after Lambda's retries.
    resources["ScheduleGroup"] = {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": n["group"]}}
    resources["ScheduleDeadLetters"] = _queue(n["dead_letters"], retain)
    resources["SchedulerRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": n["scheduler_role"],
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "scheduler.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "invoke-on-schedule",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": on_schedule},
                            {
                                "Effect": "Allow",
                                "Action": "sqs:SendMessage",
                                "Resource": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]},
                            },
                        ],
                    },
                }
            ],
        },
    }

    # The signing secret (feedback links, paging cursors), generated here and
    # rotated by the inline function below.
    resources["SigningSecret"] = _retained(
        {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": n["secret"],
                "Description": f"Careline {stage}: signs feedback links and paging cursors",
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        },
        retain,
    )
    resources["SecretRotationRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
            "Policies": [
                {
                    "PolicyName": "rotate-signing-secret",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "secretsmanager:DescribeSecret",
                                    "secretsmanager:GetSecretValue",
                                    "secretsmanager:PutSecretValue",
                                    "secretsmanager:UpdateSecretVersionStage",
                                ],
                                "Resource": {"Ref": "SigningSecret"},
                            },
                            {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"},
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": {
                                    "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
                                    f":log-group:/aws/lambda/{n['app']}-rotate-secret:*"
                                },
                            },
                            {
                                "Effect": "Allow",
                                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                                "Resource": "*",
                            },
                        ],
                    },
                }
            ],
        },
    }
    resources["SecretRotation"] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": f"{n['app']}-rotate-secret",
            "Description": "Rotates the signing secret",
            "Runtime": LAMBDA_RUNTIME,
            "Handler": "index.handler",
            "Timeout": 30,
            "MemorySize": 128,
            "Role": {"Fn::GetAtt": ["SecretRotationRole", "Arn"]},
            "ReservedConcurrentExecutions": 1,
            "TracingConfig": {"Mode": "Active"},
            "Code": {"ZipFile": rotation_code()},
        },
    }
    resources["SecretRotationLogGroup"] = _log_group(f"/aws/lambda/{n['app']}-rotate-secret", stage)
    resources["SecretRotationPermission"] = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": ["SecretRotation", "Arn"]},
            "Principal": "secretsmanager.amazonaws.com",
            "SourceAccount": {"Ref": "AWS::AccountId"},
            "SourceArn": {"Ref": "SigningSecret"},
        },
    }
    resources["SecretRotationSchedule"] = {
        "Type": "AWS::SecretsManager::RotationSchedule",
        "DependsOn": "SecretRotationPermission",
        "Properties": {
            "SecretId": {"Ref": "SigningSecret"},
            "RotationLambdaARN": {"Fn::GetAtt": ["SecretRotation", "Arn"]},
            "RotateImmediatelyOnUpdate": False,
            "RotationRules": {"ScheduleExpression": f"rate({SECRET_ROTATION_DAYS} days)"},
        },
    }

    # Operators sign in with Cognito's hosted UI (authorization code + PKCE).
    resources["UserPool"] = _retained(
        {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {
                "UserPoolName": n["app"],
                "UsernameAttributes": ["email"],
                "AutoVerifiedAttributes": ["email"],
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},  # operators are invited, never sign up
                "DeletionProtection": "ACTIVE" if retain else "INACTIVE",
                "MfaConfiguration": "OPTIONAL",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "Policies": {
                    "PasswordPolicy": {
                        "MinimumLength": 12,
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": False,
                    }
                },
                "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
                "UserPoolAddOns": {"AdvancedSecurityMode": "OFF"},
            },
        },
        retain,
    )
    for group, description in (
        ("agent", "Operators: work tickets"),
        ("admin", "Operators who also manage agents and macros"),
    ):
        resources[f"{group.title()}Group"] = {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {"UserPoolId": {"Ref": "UserPool"}, "GroupName": group, "Description": description},
        }
    resources["UserPoolDomain"] = {
        "Type": "AWS::Cognito::UserPoolDomain",
        "Properties": {"UserPoolId": {"Ref": "UserPool"}, "Domain": {"Fn::Sub": f"{n['app']}-${{AWS::AccountId}}"}},
    }
    resources["AdminClient"] = {
        "Type": "AWS::Cognito::UserPoolClient",
        "Properties": {
            "UserPoolId": {"Ref": "UserPool"},
            "ClientName": f"{n['app']}-admin",
            "GenerateSecret": False,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid", "email", "profile"],
            "SupportedIdentityProviders": ["COGNITO"],
            "CallbackURLs": [{"Fn::Sub": "${SiteUrl}/admin/index.html"}],
            "LogoutURLs": [{"Fn::Sub": "${SiteUrl}/admin/index.html"}],
            "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
            "IdTokenValidity": 60,
            "AccessTokenValidity": 60,
            "RefreshTokenValidity": 12,
            "TokenValidityUnits": {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "hours"},
        },
    }

    # Mail out: the sender's domain with DKIM; every message goes through the
    # configuration set, whose bounces and complaints reach on_mail_event.
    resources["MailConfigurationSet"] = {
        "Type": "AWS::SES::ConfigurationSet",
        "Properties": {
            "Name": n["configuration_set"],
            "DeliveryOptions": {"TlsPolicy": "REQUIRE"},
            "ReputationOptions": {"ReputationMetricsEnabled": True},
            "SendingOptions": {"SendingEnabled": True},
            "SuppressionOptions": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
        },
    }
    resources["MailIdentity"] = {
        "Type": "AWS::SES::EmailIdentity",
        "Properties": {
            "EmailIdentity": n["mail_domain"],
            "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
            "ConfigurationSetAttributes": {"ConfigurationSetName": {"Ref": "MailConfigurationSet"}},
            "FeedbackAttributes": {"EmailForwardingEnabled": False},
        },
    }
    resources["MailEventTopic"] = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": n["mail_events"], "KmsMasterKeyId": {"Ref": "StageKey"}},
    }
    resources["MailEventTopicPolicy"] = {
        "Type": "AWS::SNS::TopicPolicy",
        "Properties": {
            "Topics": [{"Ref": "MailEventTopic"}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "SesPublishes",
                        "Effect": "Allow",
                        "Principal": {"Service": "ses.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": {"Ref": "MailEventTopic"},
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    }
                ],
            },
        },
    }
    resources["MailEvents"] = {
        "Type": "AWS::SES::ConfigurationSetEventDestination",
        "DependsOn": "MailEventTopicPolicy",
        "Properties": {
            "ConfigurationSetName": {"Ref": "MailConfigurationSet"},
            "EventDestination": {
                "Name": "bounces-and-complaints",
                "Enabled": True,
                "MatchingEventTypes": ["bounce", "complaint"],
                "SnsDestination": {"TopicARN": {"Ref": "MailEventTopic"}},
            },
        },
    }
    for metric, threshold in (("Bounce", 0.05), ("Complaint", 0.001)):  # half of SES's review thresholds
        resources[f"Mail{metric}RateAlarm"] = _alarm(
            f"{metric} rate of mail sent through {n['configuration_set']} nears SES's review threshold",
            "AWS/SES",
            f"Reputation.{metric}Rate",
            {"ses:configuration-set": n["configuration_set"]},
            statistic="Maximum",
            threshold=threshold,
            period=3600,
        )

    # Mail in: the receipt rule stores each message in the bucket, the bucket
    # notifies on_inbound_email. The account's active rule set is the one
    # manual step (docs/operations.md).
    bucket = n["inbound_prefix"] + "${AWS::AccountId}"
    resources["InboundMailBucket"] = _bucket(
        retain,
        BucketName={"Fn::Sub": bucket},
        LoggingConfiguration={"DestinationBucketName": {"Ref": "AccessLogsBucket"}, "LogFilePrefix": "s3/inbound/"},
        LifecycleConfiguration={
            "Rules": [
                {
                    "Id": "expire-raw-mail",
                    "Status": "Enabled",
                    "ExpirationInDays": 30,
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        },
    )
    resources["InboundMailBucketPolicy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "InboundMailBucket"},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    _https_only("InboundMailBucket"),
                    {
                        "Sid": "SesDeliversInboundMail",
                        "Effect": "Allow",
                        "Principal": {"Service": "ses.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket}/*"},
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    },
                ],
            },
        },
    }
    resources["InboundRuleSet"] = {
        "Type": "AWS::SES::ReceiptRuleSet",
        "Condition": "OwnsRuleSet",
        "Properties": {"RuleSetName": n["rule_set"]},
    }
    resources["InboundRule"] = {
        "Type": "AWS::SES::ReceiptRule",
        "DependsOn": ["InboundMailBucketPolicy"],
        "Properties": {
            "RuleSetName": {"Fn::If": ["OwnsRuleSet", {"Ref": "InboundRuleSet"}, {"Ref": "ReceiptRuleSetName"}]},
            "Rule": {
                "Name": n["app"],
                "Enabled": True,
                "ScanEnabled": True,
                "TlsPolicy": "Require",
                "Recipients": [n["support_address"]],
                "Actions": [{"S3Action": {"BucketName": {"Ref": "InboundMailBucket"}}}],
            },
        },
    }

    # Files on tickets: customers' attachments and operators' uploads, under
    # each ticket's id. Private; browsers reach single objects through links
    # the API signs (uploads from the admin page's origin only). Replaced
    # versions go after 30 days; an erasure removes every version at once.
    resources["AttachmentsBucket"] = _bucket(
        retain,
        BucketName={"Fn::Sub": n["attachments_prefix"] + "${AWS::AccountId}"},
        LoggingConfiguration={"DestinationBucketName": {"Ref": "AccessLogsBucket"}, "LogFilePrefix": "s3/attachments/"},
        LifecycleConfiguration={
            "Rules": [
                {
                    "Id": "expire-replaced-versions",
                    "Status": "Enabled",
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        },
        CorsConfiguration={
            "CorsRules": [
                {
                    "AllowedOrigins": [{"Ref": "SiteUrl"}],
                    "AllowedMethods": ["POST"],
                    "AllowedHeaders": ["*"],
                    "MaxAge": 600,
                }
            ]
        },
    )
    resources["AttachmentsBucketPolicy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "AttachmentsBucket"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [_https_only("AttachmentsBucket")]},
        },
    }

    # Outgoing events: a bus per stage; webhooks are delivered from a queue fed by a rule.
    resources["EventBus"] = {"Type": "AWS::Events::EventBus", "Properties": {"Name": n["bus"]}}
    resources["WebhookDeadLetters"] = _queue(n["webhook_dead_letters"], retain)
    resources["WebhookQueue"] = _queue(
        n["webhooks"],
        retain,
        VisibilityTimeout=180,
        RedrivePolicy={"deadLetterTargetArn": {"Fn::GetAtt": ["WebhookDeadLetters", "Arn"]}, "maxReceiveCount": 5},
    )
    resources["WebhookRule"] = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "Description": "Every outgoing event to the webhook queue",
            "EventBusName": {"Ref": "EventBus"},
            "EventPattern": {"source": ["careline"]},
            "State": "ENABLED",
            "Targets": [{"Id": "webhooks", "Arn": {"Fn::GetAtt": ["WebhookQueue", "Arn"]}}],
        },
    }
    resources["WebhookQueuePolicy"] = {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [{"Ref": "WebhookQueue"}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "RuleDelivers",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": {"Fn::GetAtt": ["WebhookQueue", "Arn"]},
                        "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["WebhookRule", "Arn"]}}},
                    }
                ],
            },
        },
    }

    # The site: admin page and widget from a private bucket, the API under /api
    # on the same origin (API Gateway's stage is `api`, so paths map through).
    resources["StaticSiteBucket"] = _bucket(
        retain,
        LoggingConfiguration={"DestinationBucketName": {"Ref": "AccessLogsBucket"}, "LogFilePrefix": "s3/static/"},
    )
    # Access logs of the buckets and the distribution. CloudFront's standard
    # logs are written with an ACL, hence BucketOwnerPreferred here only.
    resources["AccessLogsBucket"] = _bucket(
        retain,
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]},
        LifecycleConfiguration={
            "Rules": [
                {
                    "Id": "expire-logs",
                    "Status": "Enabled",
                    "ExpirationInDays": 90,
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                }
            ]
        },
    )
    resources["AccessLogsBucket"]["Metadata"] = {
        "checkov": {"skip": [{"id": "CKV_AWS_18", "comment": "the access-log bucket does not log its own access"}]}
    }
    resources["AccessLogsBucketPolicy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "AccessLogsBucket"},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    _https_only("AccessLogsBucket"),
                    {
                        "Sid": "S3Logs",
                        "Effect": "Allow",
                        "Principal": {"Service": "logging.s3.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": {"Fn::Sub": "${AccessLogsBucket.Arn}/s3/*"},
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    },
                ],
            },
        },
    }
    resources["StaticSiteAccess"] = {
        "Type": "AWS::CloudFront::OriginAccessControl",
        "Properties": {
            "OriginAccessControlConfig": {
                "Name": f"{n['app']}-static",
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    }
    resources["SiteHeaders"] = _site_headers(n["app"])
    resources["StaticSite"] = {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Enabled": True,
                "Comment": f"Careline {stage}: admin page, widget and API",
                "Logging": {
                    "Bucket": {"Fn::GetAtt": ["AccessLogsBucket", "DomainName"]},
                    "Prefix": "cloudfront/",
                    "IncludeCookies": False,
                },
                "DefaultRootObject": "admin/index.html",
                "HttpVersion": "http2and3",
                "IPV6Enabled": True,
                "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
                "Origins": [
                    {
                        "Id": "static",
                        "DomainName": {"Fn::GetAtt": ["StaticSiteBucket", "RegionalDomainName"]},
                        "OriginAccessControlId": {"Fn::GetAtt": ["StaticSiteAccess", "Id"]},
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    },
                    {
                        "Id": "api",
                        "DomainName": {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"},
                        "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]},
                    },
                ],
                "DefaultCacheBehavior": {
                    "TargetOriginId": "static",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "CachePolicyId": CACHING_OPTIMIZED,
                    "ResponseHeadersPolicyId": {"Ref": "SiteHeaders"},
                    "AllowedMethods": ["GET", "HEAD"],
                    "Compress": True,
                },
                "CacheBehaviors": [
                    {
                        "PathPattern": "/api/*",
                        "TargetOriginId": "api",
                        "ViewerProtocolPolicy": "https-only",
                        "CachePolicyId": CACHING_DISABLED,
                        "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
                        "ResponseHeadersPolicyId": SECURITY_HEADERS,
                        "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                        "Compress": True,
                    }
                ],
            }
        },
    }
    resources["StaticSiteBucketPolicy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "StaticSiteBucket"},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    _https_only("StaticSiteBucket"),
                    {
                        "Sid": "CloudFrontReads",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": {"Fn::Sub": "${StaticSiteBucket.Arn}/*"},
                        "Condition": {
                            "StringEquals": {
                                "AWS:SourceArn": {
                                    "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                                    ":distribution/${StaticSite}"
                                }
                            }
                        },
                    },
                ],
            },
        },
    }

    # The API: throttled, traced, access-logged (JSON, with the request id the functions log too).
    resources["ApiAccessLogs"] = _log_group(f"/aws/apigateway/{n['app']}", stage)
    resources["RestAPI"] = {
        "Properties": {
            "TracingEnabled": True,
            "MethodSettings": [
                {
                    "HttpMethod": "*",
                    "ResourcePath": "/*",
                    "ThrottlingRateLimit": API_RATE_LIMIT,
                    "ThrottlingBurstLimit": API_BURST_LIMIT,
                    "MetricsEnabled": True,
                    "LoggingLevel": "ERROR",
                    "DataTraceEnabled": False,
                }
            ],
            "AccessLogSetting": {
                "DestinationArn": {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]},
                "Format": json.dumps(
                    {
                        "requestId": "$context.requestId",
                        "ip": "$context.identity.sourceIp",
                        "method": "$context.httpMethod",
                        "path": "$context.path",
                        "status": "$context.status",
                        "latencyMs": "$context.responseLatency",
                        "bytes": "$context.responseLength",
                        "integrationError": "$context.integrationErrorMessage",
                    },
                    separators=(",", ":"),
                ),
            },
        }
    }
    resources["Api5xxAlarm"] = _alarm(
        "The API answered 5xx", "AWS/ApiGateway", "5XXError", {"ApiName": n["app"], "Stage": "api"}, threshold=5
    )

    # Every function: its fixed name, the deployment's settings, its log
    # group, tracing, alarms; asynchronous ones a dead-letter queue.
    environment = {
        "CARELINE_SCHEDULER_TARGET_ARN": on_schedule,  # not GetAtt: OnSchedule would depend on itself
        "CARELINE_SCHEDULER_ROLE_ARN": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
        "CARELINE_SCHEDULER_DLQ_ARN": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]},
        "CARELINE_PUBLIC_URL": {"Fn::Sub": "${SiteUrl}/api"},  # not the API's URL: the API depends on the handler
        "CARELINE_ADMIN_URL": {"Fn::Sub": "${SiteUrl}/admin/index.html"},  # links in operators' notices
        "CARELINE_SECRET_ARN": {"Ref": "SigningSecret"},
        "CARELINE_COGNITO_ISSUER": {"Fn::Sub": "https://${UserPool.ProviderURL}"},
        "CARELINE_COGNITO_CLIENT_ID": {"Ref": "AdminClient"},
        "CARELINE_EVENT_BUS": n["bus"],
        "CARELINE_ATTACHMENTS_BUCKET": {"Ref": "AttachmentsBucket"},
        "CARELINE_MAIL_CONFIGURATION_SET": n["configuration_set"],
    }
    for chalice_name, (lid, name) in fns.items():
        trigger = FUNCTIONS[chalice_name].trigger
        properties = {
            "FunctionName": name,
            "Description": FUNCTIONS[chalice_name].description,
            "Environment": {"Variables": environment},
            "Tracing": "Active",
            "Runtime": LAMBDA_RUNTIME,
        }
        resources[f"{lid}LogGroup"] = _log_group(f"/aws/lambda/{name}", stage)
        resources[f"{lid}ErrorsAlarm"] = _alarm(f"{name} failed", "AWS/Lambda", "Errors", {"FunctionName": name})
        resources[f"{lid}ThrottlesAlarm"] = _alarm(
            f"{name} was throttled", "AWS/Lambda", "Throttles", {"FunctionName": name}
        )
        if trigger in ASYNC_TRIGGERS:
            queue = _dead_letter_queue(stage, chalice_name)
            if chalice_name != "on_schedule":
                resources[f"{lid}DeadLetters"] = _queue(queue, retain)
            dlq = "ScheduleDeadLetters" if chalice_name == "on_schedule" else f"{lid}DeadLetters"
            properties["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": {"Fn::GetAtt": [dlq, "Arn"]}}
        if trigger == "stream":
            resources[f"{lid}DeadLetters"] = _queue(_dead_letter_queue(stage, chalice_name), retain)
            properties["Events"] = {
                f"{lid}DynamodbEventSource": {
                    "Properties": {
                        "Stream": {"Fn::GetAtt": [table_logical_id(STREAMED_TABLE), "StreamArn"]},
                        "StartingPosition": "TRIM_HORIZON",
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        "MaximumRetryAttempts": 10,
                        "BisectBatchOnFunctionError": False,
                        "DestinationConfig": {
                            "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": [f"{lid}DeadLetters", "Arn"]}}
                        },
                        # Only each change's entry carries effects: the rest of the stream never invokes the function.
                        "FilterCriteria": {
                            "Filters": [
                                {"Pattern": json.dumps(pattern, separators=(",", ":"))} for pattern in filter_patterns()
                            ]
                        },
                    }
                }
            }
            resources[f"{lid}IteratorAgeAlarm"] = _alarm(
                f"{name} lags behind the {STREAMED_TABLE} stream",
                "AWS/Lambda",
                "IteratorAge",
                {"FunctionName": name},
                statistic="Maximum",
                threshold=60_000,
                period=60,
                evaluation_periods=5,
            )
        if trigger == "sqs":
            properties["Events"] = {
                f"{lid}SqsEventSource": {
                    "Properties": {
                        "Queue": {"Fn::GetAtt": ["WebhookQueue", "Arn"]},
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    }
                }
            }
        if trigger == "s3":
            resources["InboundMailPermission"] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Fn::GetAtt": [lid, "Arn"]},
                    "Principal": "s3.amazonaws.com",
                    "SourceAccount": {"Ref": "AWS::AccountId"},
                    "SourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket}"},
                },
            }
            resources["InboundMailBucket"]["DependsOn"] = "InboundMailPermission"
            resources["InboundMailBucket"]["Properties"]["NotificationConfiguration"] = {
                "LambdaConfigurations": [{"Event": "s3:ObjectCreated:*", "Function": {"Fn::GetAtt": [lid, "Arn"]}}]
            }
        if trigger == "sns":
            resources[f"{lid}Subscription"] = {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "MailEventTopic"},
                    "Protocol": "lambda",
                    "Endpoint": {"Fn::GetAtt": [lid, "Arn"]},
                },
            }
            resources[f"{lid}Permission"] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Fn::GetAtt": [lid, "Arn"]},
                    "Principal": "sns.amazonaws.com",
                    "SourceArn": {"Ref": "MailEventTopic"},
                },
            }
        if chalice_name == "retry_mail":
            # retry_mail logs {"retry_backlog": N} on each run: the emails still waiting for SES.
            resources["RetryBacklogMetric"] = {
                "Type": "AWS::Logs::MetricFilter",
                "Properties": {
                    "LogGroupName": {"Ref": f"{lid}LogGroup"},
                    "FilterPattern": "{ $.retry_backlog = * }",
                    "MetricTransformations": [
                        {
                            "MetricNamespace": n["metrics_namespace"],
                            "MetricName": "RetryBacklog",
                            "MetricValue": "$.retry_backlog",
                            "Unit": "Count",
                        }
                    ],
                },
            }
            resources["RetryBacklogAlarm"] = _alarm(
                "Emails are waiting for SES",
                n["metrics_namespace"],
                "RetryBacklog",
                {},
                statistic="Minimum",
                threshold=1,
                period=300,
                evaluation_periods=3,
            )
        resources[lid] = {"DependsOn": [f"{lid}LogGroup"], "Properties": properties}
    for lid, resource in list(resources.items()):
        if resource.get("Type") == "AWS::SQS::Queue":
            resources[f"{lid}Alarm"] = (
                _alarm(
                    f"{resource['Properties']['QueueName']} holds messages",
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    {"QueueName": {"Fn::GetAtt": [lid, "QueueName"]}},
                    statistic="Maximum",
                )
                if lid != "WebhookQueue"
                else _alarm(
                    "Webhook deliveries are piling up",
                    "AWS/SQS",
                    "ApproximateAgeOfOldestMessage",
                    {"QueueName": {"Fn::GetAtt": [lid, "QueueName"]}},
                    statistic="Maximum",
                    threshold=900,
                )
            )

    return {
        "Parameters": {
            "SiteUrl": {
                "Type": "String",
                "AllowedPattern": "^https://[^/\\s]+$",
                "Description": "The admin site's origin (CloudFront or its custom domain): links in emails "
                "and the sign-in callback; infra/deploy.py fills it from the SiteUrlOutput",
            },
            "AlertEmail": {
                "Type": "String",
                "Default": "",
                "Description": "Who receives the alarms (confirm the subscription mail); empty for none",
            },
            "ReceiptRuleSetName": {
                "Type": "String",
                "Default": "",
                "Description": "An existing receipt rule set to add the inbound rule to; "
                f"empty to create {n['rule_set']}",
            },
        },
        "Conditions": {
            "HasAlertEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]},
            "OwnsRuleSet": {"Fn::Equals": [{"Ref": "ReceiptRuleSetName"}, ""]},
        },
        "Resources": resources,
        "Outputs": {
            "SiteUrlOutput": {
                "Value": {"Fn::Sub": "https://${StaticSite.DomainName}"},
                "Description": "The CloudFront origin of the admin page, the widget and /api",
            },
            "DistributionId": {"Value": {"Ref": "StaticSite"}},
            "StaticSiteBucketName": {"Value": {"Ref": "StaticSiteBucket"}},
            "CognitoDomainUrl": {
                "Value": {"Fn::Sub": "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"}
            },
            "CognitoClientId": {"Value": {"Ref": "AdminClient"}},
            "UserPoolId": {"Value": {"Ref": "UserPool"}},
            "AlertTopicArn": {"Value": {"Ref": "AlertTopic"}},
            "ScheduleDeadLetterQueueUrl": {"Value": {"Ref": "ScheduleDeadLetters"}},
            "InboundRuleSet": {
                "Value": {"Fn::If": ["OwnsRuleSet", {"Ref": "InboundRuleSet"}, {"Ref": "ReceiptRuleSetName"}]}
            },
            **{
                f"DkimRecord{i}": {
                    "Value": {
                        "Fn::Sub": f"${{MailIdentity.DkimDNSTokenName{i}}} CNAME ${{MailIdentity.DkimDNSTokenValue{i}}}"
                    }
                }
                for i in (1, 2, 3)
            },
        },
    }


def _log_group(name: str, stage: str) -> dict:
    return _retained(
        {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": name,
                "RetentionInDays": LOG_RETENTION_DAYS[stage],
                "KmsKeyId": {"Fn::GetAtt": ["StageKey", "Arn"]},
            },
        },
        stage in RETAINED_STAGES,
    )


def _lambda_arn(name: str) -> dict:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{name}"}


def lambda_functions_config(stage: str) -> dict:
    """`.chalice/config.json` → stages.<stage>.lambda_functions: each function its own policy file."""
    return {name: {"iam_policy_file": policy_file(stage, name)} for name in app_functions()}


# ---------------------------------------------------------------------------
# Bootstrap: once per account (docs/operations.md). GitHub's OIDC provider, a
# deploy role per stage that only the repository's workflow running in that
# GitHub environment can assume, and the bucket CI stages packages in.

GITHUB_OIDC_THUMBPRINT = (
    "6938fd4d98bab03faadb97b34396831e3780aea1"  # ignored by IAM for GitHub since 2023, still required
)


def deploy_policy(stage: str) -> dict:
    """What `make deploy STAGE=<stage>` does: CloudFormation on the stage's
    stack (which then acts with this role), the site upload and the
    invalidation. Names carry the stage, so no stage's role touches another's."""
    n = names(stage)
    app = n["app"]
    region_account = "${AWS::Region}:${AWS::AccountId}"

    def sub(text: str) -> dict:
        return {"Fn::Sub": text}

    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Stack",
                "Effect": "Allow",
                "Action": [
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
                ],
                "Resource": sub(f"arn:${{AWS::Partition}}:cloudformation:{region_account}:stack/{n['stack']}/*"),
            },
            {
                "Sid": "Transforms",
                "Effect": "Allow",
                "Action": "cloudformation:CreateChangeSet",
                "Resource": sub(
                    f"arn:${{AWS::Partition}}:cloudformation:{region_account}:aws:transform/Serverless-2016-10-31"
                ),
            },
            {"Sid": "Validate", "Effect": "Allow", "Action": "cloudformation:ValidateTemplate", "Resource": "*"},
            {
                "Sid": "Artifacts",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject"],
                "Resource": sub(f"${{ArtifactBucket.Arn}}/{stage}/*"),
            },
            {
                "Sid": "Site",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                "Resource": [
                    sub(f"arn:${{AWS::Partition}}:s3:::{app}-staticsitebucket-*"),
                    sub(f"arn:${{AWS::Partition}}:s3:::{app}-staticsitebucket-*/*"),
                ],
            },
            {
                "Sid": "Invalidate",
                "Effect": "Allow",
                "Action": "cloudfront:CreateInvalidation",
                "Resource": sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*"),
                "Condition": {"StringEquals": {"aws:ResourceTag/aws:cloudformation:stack-name": n["stack"]}},
            },
            # CloudFormation creates the stack's resources with the caller's
            # credentials: the services the template uses, limited to the stage's
            # names where the service allows it.
            {
                "Sid": "StackResources",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:*",
                    "lambda:*",
                    "apigateway:*",
                    "sqs:*",
                    "sns:*",
                    "events:*",
                    "scheduler:*",
                    "logs:*",
                    "cloudwatch:*",
                    "secretsmanager:*",
                    "cognito-idp:*",
                    "ses:*",
                    "kms:*",
                    "cloudfront:*",
                    "s3:*",
                    "xray:*",
                ],
                "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}},
            },
            {
                "Sid": "StackRoles",
                "Effect": "Allow",
                "Action": [
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
                ],
                "Resource": sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{app}-*"),
            },
        ],
    }


def bootstrap_template() -> dict:
    resources: dict = {
        "GitHubOidc": {
            "Type": "AWS::IAM::OIDCProvider",
            "Condition": "CreateOidcProvider",
            "Properties": {
                "Url": "https://token.actions.githubusercontent.com",
                "ClientIdList": ["sts.amazonaws.com"],
                "ThumbprintList": [GITHUB_OIDC_THUMBPRINT],
            },
        },
        "ArtifactBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Metadata": {
                "checkov": {
                    "skip": [
                        {
                            "id": "CKV_AWS_18",
                            "comment": "holds only the packages CI writes; CloudTrail records who reads or writes them",
                        }
                    ]
                }
            },
            "Properties": {
                "BucketName": {"Fn::Sub": "careline-artifacts-${AWS::AccountId}-${AWS::Region}"},
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                # Rollback redeploys the previous package: keep a few weeks of them.
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "expire-old-packages",
                            "Status": "Enabled",
                            "ExpirationInDays": 90,
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                        }
                    ]
                },
            },
        },
        "ArtifactBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "ArtifactBucket"},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [_https_only("ArtifactBucket")]},
            },
        },
        # API Gateway writes access logs with this account-wide role.
        "ApiGatewayLogsRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role"
                        "/AmazonAPIGatewayPushToCloudWatchLogs"
                    }
                ],
            },
        },
        "ApiGatewayAccount": {
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}},
        },
    }
    oidc_arn = {
        "Fn::If": [
            "CreateOidcProvider",
            {"Ref": "GitHubOidc"},
            {
                "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}"
                ":oidc-provider/token.actions.githubusercontent.com"
            },
        ]
    }
    outputs = {"ArtifactBucketName": {"Value": {"Ref": "ArtifactBucket"}}}
    for stage in AWS_STAGES:
        role = f"{stage.title()}DeployRole"
        resources[role] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": f"careline-deploy-{stage}",
                "MaxSessionDuration": 3600,
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Federated": oidc_arn},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {
                                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                                # Only a job of this repository running in the stage's GitHub
                                # environment; repositories made since July 2026 add @<id> to
                                # the owner and the name in the subject.
                                "StringLike": {
                                    "token.actions.githubusercontent.com:sub": [
                                        {"Fn::Sub": f"repo:${{GitHubOwner}}/${{GitHubRepository}}:environment:{stage}"},
                                        {
                                            "Fn::Sub": "repo:${GitHubOwner}@*/${GitHubRepository}@*"
                                            f":environment:{stage}"
                                        },
                                    ]
                                },
                            },
                        }
                    ],
                },
                "Policies": [{"PolicyName": f"deploy-{stage}", "PolicyDocument": deploy_policy(stage)}],
            },
        }
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


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def chalice_config_with_functions() -> dict:
    config = chalice_config()
    for stage in AWS_STAGES:
        stage_config = config["stages"][stage]
        stage_config.pop("iam_policy_file", None)  # no shared policy: each function has its own
        stage_config["lambda_functions"] = lambda_functions_config(stage)
    return config


def outputs() -> dict[Path, dict]:
    files = {
        ROOT / ".chalice" / "config.json": chalice_config_with_functions(),
        ROOT / "infra" / "generated" / "bootstrap.json": bootstrap_template(),
    }
    for stage in AWS_STAGES:
        files[ROOT / "infra" / "generated" / f"{stage}.json"] = template(stage)
        for name in app_functions():
            files[ROOT / ".chalice" / policy_file(stage, name)] = policy(stage, name)
    return files


def stale_files() -> list[Path]:
    """Generated files no longer generated (a removed function's policy)."""
    made = set(outputs())
    return [p for p in (ROOT / ".chalice").glob("policy-*.json") if p not in made]


def write() -> None:
    for path in stale_files():
        path.unlink()
        print(f"removed {path.relative_to(ROOT)}")
    for path, document in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(document) if path.name != "config.json" else json.dumps(document, indent=2) + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    write()
