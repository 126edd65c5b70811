"""The app's functions: one entry per Chalice function name of app.py (its
trigger and what its code may do, from which infra/stack/policies.py derives
its policy), and what the template merges into each function Chalice
generates: its fixed name, the deployment's settings, its log group, tracing,
alarms; asynchronous ones a dead-letter queue; event sources."""

from __future__ import annotations

import json
from dataclasses import dataclass

from infra.stack.alarms import alarm, log_group, watched
from infra.stack.data import STREAMED_TABLE, queue, table_logical_id
from infra.stack.naming import (
    LAMBDA_RUNTIME,
    boundary_arn,
    function_name,
    importable,
    integrations,
    lambda_arn,
    logical_id,
    names,
    stack_uuid,
)


@dataclass(frozen=True)
class Function:
    trigger: str  # api | scheduler | s3 | rate | stream | sqs | sns
    code: tuple[str, ...] = ()  # capabilities its code uses (policies.code_statements)
    description: str = ""


# A grant is "code" (the function's code calls it: the IAM test proves each
# is used) or "runtime" (Lambda acts with the function's role: logs, traces,
# dead letters, reading its event source; policies.runtime_statements).
FUNCTIONS: dict[str, Function] = {
    # A request writes one transaction: the API reads and writes tables and
    # signs cursors, and does nothing else (no mail, schedule or event).
    # The API also signs links to download and upload files (S3 checks them
    # against its role) and reads the uploads a reply attaches.
    # It also reads the shop's store for the orders beside a ticket, with the stage's integrations secret,
    # and keeps the audit trail (adds records, reads them; never changes one).
    "api_handler": Function(
        "api", ("tables", "secret", "files_read", "files_write", "integrations_secret", "audit"), "the API's routes"
    ),
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
    # It also redoes what on_change could not finish: the failed ranges of the
    # on-failure queue, read again from the stream, and changes left unsettled.
    "reconcile": Function(
        "rate",
        (
            "tables",
            "schedules",
            "search_postings",
            "mail",
            "secret",
            "events",
            "files_read",
            "files_delete",
            "change_failures",
            "stream_replay",
        ),
        "repairs schedules, acts on what never fired, redoes effects left undone",
    ),
    "deliver_webhooks": Function(
        "sqs", ("webhook_secrets", "webhook_backoff", "delivered_webhooks"), "signed webhook deliveries"
    ),
    "on_mail_event": Function("sns", ("bounces",), "SES bounce and complaint events"),
}
ASYNC_TRIGGERS = ("scheduler", "s3", "rate", "sns")  # invoked asynchronously: failures go to a dead-letter queue


def app_functions() -> list[str]:
    """The Chalice names of the functions app.py defines."""
    importable()
    from app import app

    found = ["api_handler"] if app.routes else []
    return found + [function.name for function in [*app.pure_lambda_functions, *app.event_sources]]


def function_names(stage: str) -> dict[str, str]:
    """Chalice's logical id → the function name pinned here, for every function the app defines."""
    return {logical_id(name): function_name(stage, name) for name in app_functions()}


def handler(chalice_name: str) -> str | None:
    """The logical id of one of the app's functions, None when the app does not define it."""
    return logical_id(chalice_name) if chalice_name in app_functions() else None


def dead_letter_queue(stage: str, chalice_name: str) -> str:
    n = names(stage)
    trigger = FUNCTIONS[chalice_name].trigger
    if trigger == "scheduler":
        return n["dead_letters"]  # shared with Scheduler's own undeliverable invocations
    if trigger == "sqs":
        return n["webhook_dead_letters"]
    return f"{function_name(stage, chalice_name)}-failures"


def filter_patterns() -> tuple[dict, ...]:
    importable()
    from chalicelib.services.consumer import FILTER_PATTERNS

    return FILTER_PATTERNS


def stream_error_handling() -> dict:
    """The mapping's retries and bisection, as the consumer states them (local/stream.py follows the same)."""
    importable()
    from chalicelib.services import consumer

    return {
        "MaximumRetryAttempts": consumer.STREAM_RETRY_ATTEMPTS,
        "BisectBatchOnFunctionError": consumer.STREAM_BISECT_ON_ERROR,
    }


def environment(stage: str) -> dict:
    """The deployment's settings every function reads (Chalice adds the stage's own)."""
    return {
        # not GetAtt: OnSchedule would depend on itself
        "CARELINE_SCHEDULER_TARGET_ARN": lambda_arn(function_name(stage, "on_schedule")),
        "CARELINE_SCHEDULER_ROLE_ARN": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
        "CARELINE_SCHEDULER_DLQ_ARN": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]},
        "CARELINE_PUBLIC_URL": {"Fn::Sub": "${SiteUrl}/api"},  # not the API's URL: the API depends on the handler
        "CARELINE_ADMIN_URL": {"Fn::Sub": "${SiteUrl}/admin/index.html"},  # links in operators' notices
        "CARELINE_SECRET_ARN": {"Ref": "SigningSecret"},
        "CARELINE_COGNITO_ISSUER": {"Fn::Sub": "https://${UserPool.ProviderURL}"},
        "CARELINE_COGNITO_CLIENT_ID": {"Ref": "AdminClient"},
        "CARELINE_EVENT_BUS": names(stage)["bus"],
        "CARELINE_ATTACHMENTS_BUCKET": {"Ref": "AttachmentsBucket"},
        # on_change's on-failure queue, which the reconcile job reads
        "CARELINE_CHANGE_FAILURES_ARN": {"Fn::GetAtt": [f"{logical_id('on_change')}DeadLetters", "Arn"]},
        "CARELINE_MAIL_CONFIGURATION_SET": names(stage)["configuration_set"],
        # CloudFront sends it with every request it forwards (infra/stack/site.py): only
        # such a request's viewer address counts for the per-sender limit.
        "CARELINE_ORIGIN_SECRET": stack_uuid(),
        **({"CARELINE_INTEGRATIONS_SECRET_ARN": {"Ref": "IntegrationsSecret"}} if integrations(stage) else {}),
    }


def resources(stage: str) -> dict:
    present = app_functions()
    unknown = [name for name in present if name not in FUNCTIONS]
    if unknown:
        raise ValueError(f"functions without an entry in infra/stack/functions.py FUNCTIONS: {unknown}")
    settings = environment(stage)
    made: dict = {}
    for chalice_name in present:
        made |= _function(stage, chalice_name, settings)
    return made


def _function(stage: str, chalice_name: str, settings: dict) -> dict:
    """One function's merge into Chalice's, and what it alone needs."""
    lid, name = logical_id(chalice_name), function_name(stage, chalice_name)
    trigger = FUNCTIONS[chalice_name].trigger
    properties = {
        "FunctionName": name,
        "Description": FUNCTIONS[chalice_name].description,
        "Environment": {"Variables": settings},
        # A job that runs every minute would be traced on every run (Lambda samples
        # one request a second): X-Ray's price for an idle stage. It traces when called traced.
        "Tracing": "PassThrough" if trigger == "rate" else "Active",
        "Runtime": LAMBDA_RUNTIME,
    }
    made = {
        f"{lid}LogGroup": log_group(f"/aws/lambda/{name}", stage),
        # The role Chalice makes for the function: capped by the stage's boundary.
        f"{role_id(chalice_name)}": {"Properties": {"PermissionsBoundary": boundary_arn(stage)}},
    }
    if trigger in ASYNC_TRIGGERS:
        if chalice_name == "on_schedule":
            dlq = "ScheduleDeadLetters"  # events.schedules makes it
        else:
            dlq = f"{lid}DeadLetters"
            made[dlq] = queue(dead_letter_queue(stage, chalice_name))
        properties["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": {"Fn::GetAtt": [dlq, "Arn"]}}
    if trigger == "stream":
        made[f"{lid}DeadLetters"] = queue(dead_letter_queue(stage, chalice_name))
        properties["Events"] = {f"{lid}DynamodbEventSource": _stream_source(lid)}
        if watched(stage):
            made[f"{lid}IteratorAgeAlarm"] = alarm(
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
    made[lid] = {"DependsOn": [f"{lid}LogGroup"], "Properties": properties}
    return made


def role_id(chalice_name: str) -> str:
    """The logical id of the role `chalice package` makes for a function (`ApiHandlerRole`)."""
    importable()
    from chalice.utils import to_cfn_resource_name

    return f"{to_cfn_resource_name(chalice_name)}Role"


def _stream_source(lid: str) -> dict:
    """The streamed table's event source, replacing what Chalice generates from app.py's placeholder ARN."""
    return {
        "Properties": {
            "Stream": {"Fn::GetAtt": [table_logical_id(STREAMED_TABLE), "StreamArn"]},
            "StartingPosition": "TRIM_HORIZON",
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            **stream_error_handling(),
            "DestinationConfig": {
                "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": [f"{lid}DeadLetters", "Arn"]}}
            },
            # Only each change's entry carries effects: the rest of the stream never invokes the function.
            "FilterCriteria": {
                "Filters": [{"Pattern": json.dumps(pattern, separators=(",", ":"))} for pattern in filter_patterns()]
            },
        }
    }
