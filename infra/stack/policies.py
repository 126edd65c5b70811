"""Each function's least-privilege policy (.chalice/policy-<stage>-<function>.json),
derived from what its code uses (functions.FUNCTIONS) and from what Lambda
does with its role: only what it does, on only this stage's resources."""

from __future__ import annotations

from infra.stack import iam
from infra.stack.data import STREAMED_TABLE, models
from infra.stack.functions import ASYNC_TRIGGERS, FUNCTIONS, dead_letter_queue
from infra.stack.iam import allow, arn
from infra.stack.naming import function_name, integrations, names, sender

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
AUDIT_TABLE = "audit"
STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]


def policy(stage: str, chalice_name: str) -> dict:
    statements = [s for capability in FUNCTIONS[chalice_name].code for s in code_statements(stage, capability)]
    return iam.document(*statements, *runtime_statements(stage, chalice_name))


def policy_file(stage: str, chalice_name: str) -> str:
    return f"policy-{stage}-{chalice_name}.json"


def code_statements(stage: str, capability: str) -> list[dict]:
    """The statements of one capability a function's code uses."""
    n = names(stage)
    table = {base: arn("dynamodb", f"table/{n['tables']}{base}") for base in ("search", "claims", "customers")}
    objects, bucket = f"arn:aws:s3:::{n['attachments_prefix']}*/*", f"arn:aws:s3:::{n['attachments_prefix']}*"
    statements = {
        "tables": _tables(n["tables"]),
        # the audit trail is written and read, never changed or deleted (its records expire by TTL)
        "audit": [
            allow(
                ["dynamodb:PutItem", "dynamodb:Query"],
                [
                    arn("dynamodb", f"table/{n['tables']}{AUDIT_TABLE}"),
                    arn("dynamodb", f"table/{n['tables']}{AUDIT_TABLE}/index/*"),
                ],
                sid="AuditTrail",
            )
        ],
        # a change's postings in batches of 25
        "search_postings": [allow(["dynamodb:BatchWriteItem"], [table["search"]], sid="SearchPostings")],
        # only as the stage's sender, through the stage's identity
        "mail": [
            allow(
                ["ses:SendEmail", "ses:SendRawEmail"],
                [arn("ses", f"identity/{n['mail_domain']}"), arn("ses", f"configuration-set/{n['configuration_set']}")],
                sid="Mail",
                condition={"StringEquals": {"ses:FromAddress": sender(stage)}},
            )
        ],
        "schedules": [
            allow(
                [
                    "scheduler:CreateSchedule",
                    "scheduler:UpdateSchedule",
                    "scheduler:DeleteSchedule",
                    "scheduler:GetSchedule",
                ],
                arn("scheduler", f"schedule/{n['group']}/*"),
                sid="Schedules",
            ),
            allow(
                "iam:PassRole",
                arn("iam", f"role/{n['scheduler_role']}", region=False),
                sid="PassSchedulerRole",
                condition={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            ),
        ],
        # the current and the previous version; the suffix is Secrets Manager's
        "secret": [
            allow(
                "secretsmanager:GetSecretValue",
                arn("secretsmanager", f"secret:{n['secret']}-??????"),
                sid="SigningSecret",
            )
        ],
        # the third parties' credentials, when the stage connects any (identity.integrations_secret)
        "integrations_secret": [
            allow(
                "secretsmanager:GetSecretValue",
                arn("secretsmanager", f"secret:{n['integrations_secret']}-??????"),
                sid="IntegrationsSecret",
            )
        ]
        if integrations(stage)
        else [],
        "inbound": [allow("s3:GetObject", f"arn:aws:s3:::{n['inbound_prefix']}*/*", sid="InboundMail")],
        # the attachments bucket: files under each ticket's id
        "files_read": [allow("s3:GetObject", objects, sid="FilesRead")],
        "files_write": [allow("s3:PutObject", objects, sid="FilesWrite")],
        # every version: an erased customer's files must not linger
        "files_delete": [
            allow("s3:ListBucketVersions", bucket, sid="FilesList"),
            allow(["s3:DeleteObject", "s3:DeleteObjectVersion"], objects, sid="FilesDelete"),
        ],
        "events": [allow("events:PutEvents", arn("events", f"event-bus/{n['bus']}"), sid="Events")],
        # each endpoint's signing secret (config.py requires this prefix)
        "webhook_secrets": [
            allow(
                "secretsmanager:GetSecretValue",
                arn("secretsmanager", f"secret:{n['webhook_secrets']}*"),
                sid="WebhookSecrets",
            )
        ],
        # a failed delivery waits longer before each retry
        "webhook_backoff": [allow("sqs:ChangeMessageVisibility", arn("sqs", n["webhooks"]), sid="WebhookBackoff")],
        # which endpoints took an event another endpoint failed
        "delivered_webhooks": [
            allow(["dynamodb:GetItem", "dynamodb:PutItem"], table["claims"], sid="DeliveredWebhooks")
        ],
        # the customer's address is marked undeliverable
        "bounces": [allow("dynamodb:UpdateItem", table["customers"], sid="Bounces")],
        # the stream consumer's failed batches, whose position Lambda puts there
        "change_failures": [
            allow(
                ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
                arn("sqs", dead_letter_queue(stage, "on_change")),
                sid="ChangeFailures",
            )
        ],
        # a failed batch's range, read again while the stream holds it
        "stream_replay": [
            allow(
                ["dynamodb:GetShardIterator", "dynamodb:GetRecords"],
                arn("dynamodb", f"table/{n['tables']}{STREAMED_TABLE}/stream/*"),
                sid="StreamReplay",
            )
        ],
    }
    return statements[capability]


def _tables(prefix: str) -> list[dict]:
    """Every table but the audit trail's (capability "audit")."""
    shared = {base: model for base, model in models().items() if base != AUDIT_TABLE}
    tables = {base: arn("dynamodb", f"table/{prefix}{base}") for base in shared}
    indexes = [f"{tables[base]}/index/*" for base, model in shared.items() if model._indexes]
    return [
        allow(TABLE_ACTIONS, list(tables.values()), sid="Tables"),
        allow(INDEX_ACTIONS, indexes, sid="Indexes"),
    ]


def runtime_statements(stage: str, chalice_name: str) -> list[dict]:
    """What Lambda itself does with the function's role."""
    n, name, trigger = names(stage), function_name(stage, chalice_name), FUNCTIONS[chalice_name].trigger
    statements = [
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"], arn("logs", f"log-group:/aws/lambda/{name}:*"), sid="Logs"
        ),
        # X-Ray has no resource-level permissions.
        allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*", sid="Tracing"),
    ]
    if trigger in ASYNC_TRIGGERS or trigger == "stream":  # a failed event's last stop
        statements.append(
            allow("sqs:SendMessage", arn("sqs", dead_letter_queue(stage, chalice_name)), sid="DeadLetters")
        )
    if trigger == "stream":
        stream = arn("dynamodb", f"table/{n['tables']}{STREAMED_TABLE}/stream/*")
        statements.append(allow(STREAM_ACTIONS, stream, sid="Stream"))
    if trigger == "sqs":
        statements.append(
            allow(
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                arn("sqs", n["webhooks"]),
                sid="Queue",
            )
        )
    return statements
