"""What a stage costs a month before its first ticket: every resource that
bills while idle, priced from the template CloudFormation executes (after the
SAM transform) at AWS's list prices. `python -m infra.costs <expanded.json>
<stage>` prints the lines; tests/integration/test_costs.py holds each stage
to its budget and docs/operations.md shows the table.

List prices, us-east-1, without free tiers (they are per account, and three
stages share one), as published on the services' pricing pages in PRICES_DATE.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

PRICES_FILE = Path(__file__).with_name("prices.json")  # the one price table: bench/cost.py reads it too
_TABLE = json.loads(PRICES_FILE.read_text())
PRICES_DATE = _TABLE["date"]
HOURS_PER_MONTH = 730  # AWS's own month for monthly prices
# name: (dollars, per what, the pricing page)
PRICES: dict[str, tuple[float, str, str]] = {name: tuple(row) for name, row in _TABLE["prices"].items()}  # type: ignore[misc]
# How an idle scheduled run and an idle queue behave (measured or documented):
IDLE_RUN_SECONDS = 0.2  # a scheduled job that finds nothing to do, billed duration, warm
IDLE_RUN_LOG_BYTES = 600  # START, END, REPORT and one line of the job's own
SQS_POLLERS = 5  # Lambda's event source mapping starts with five long-polling pollers
SQS_WAIT_SECONDS = 20  # each ReceiveMessage waits 20 s when the queue is empty
# Resource types that cost nothing while no one uses them (they bill per
# request, per GB stored or per user, and an idle stage stores nothing).
FREE_WHEN_IDLE = {
    "AWS::ApiGateway::Account": "per request",
    "AWS::ApiGateway::Deployment": "per request",
    "AWS::ApiGateway::RestApi": "per request",
    "AWS::ApiGateway::Stage": "per request (no cache)",
    "AWS::CertificateManager::Certificate": "public certificates are free",
    "AWS::CloudFront::Distribution": "per request and GB out",
    "AWS::CloudFront::Function": "per invocation: each request to /api",
    "AWS::CloudFront::OriginAccessControl": "free",
    "AWS::CloudFront::ResponseHeadersPolicy": "free",
    "AWS::Cognito::UserPool": "per monthly active user, the first 10,000 free (Lite)",
    "AWS::Cognito::UserPoolClient": "free",
    "AWS::Cognito::UserPoolDomain": "free",
    "AWS::Cognito::UserPoolGroup": "free",
    "AWS::DynamoDB::Table": "on demand: per request; storage and backups per GB",
    "AWS::Events::EventBus": "per event published",
    "AWS::Events::Rule": "schedules and AWS events are free; the job they start is priced",
    "AWS::IAM::ManagedPolicy": "free",
    "AWS::IAM::Role": "free",
    "AWS::KMS::Alias": "free",
    "AWS::Lambda::EventSourceMapping": "a stream's reads are free; an SQS queue's polling is priced",
    "AWS::Lambda::Function": "per request and GB-second; scheduled runs are priced",
    "AWS::Lambda::Permission": "free",
    "AWS::Logs::LogGroup": "per GB ingested and stored; scheduled runs' lines are priced",
    "AWS::Logs::MetricFilter": "free; the metric it publishes is priced",
    "AWS::S3::Bucket": "per GB stored and per request",
    "AWS::S3::BucketPolicy": "free",
    "AWS::SES::ConfigurationSet": "per email",
    "AWS::SES::ConfigurationSetEventDestination": "per email",
    "AWS::SES::EmailIdentity": "per email",
    "AWS::SES::ReceiptRule": "per email received",
    "AWS::SES::ReceiptRuleSet": "per email received",
    "AWS::SNS::Subscription": "per notification",
    "AWS::SNS::Topic": "per notification",
    "AWS::SNS::TopicPolicy": "free",
    "AWS::SQS::Queue": "per request; a queue nothing polls makes none",
    "AWS::SQS::QueuePolicy": "free",
    "AWS::Scheduler::ScheduleGroup": "per invocation, 14 million free a month",
    "AWS::XRay::SamplingRule": "free; the traces it records are priced per trace",
    "AWS::SecretsManager::RotationSchedule": "one rotation run every 90 days",
}
RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
MINUTES = {"minute": 1, "hour": 60, "day": 1440}


@dataclass(frozen=True)
class Line:
    what: str  # the resource (logical id) or the group of them
    dollars: float
    how: str  # the arithmetic, in words


def price(name: str) -> float:
    return PRICES[name][0]


def runs_per_month(expression: str) -> float:
    match = RATE.fullmatch(expression)
    if not match:
        raise ValueError(f"price this schedule by hand: {expression}")
    count, unit = int(match[1]), match[2].rstrip("s")
    return HOURS_PER_MONTH * 60 / (count * MINUTES[unit])


def _target(rule: dict) -> str | None:
    (target,) = rule["Properties"]["Targets"]
    arn = target["Arn"]
    return arn["Fn::GetAtt"][0] if isinstance(arn, dict) and "Fn::GetAtt" in arn else None


def _queue_of(mapping: dict) -> str | None:
    source = mapping["Properties"]["EventSourceArn"]
    return source["Fn::GetAtt"][0] if source.get("Fn::GetAtt", [None, None])[1] == "Arn" else None


def idle_costs(template: dict) -> list[Line]:
    """Each idle-billing item of an expanded template, in dollars a month."""
    resources = template["Resources"]
    unknown = sorted(
        {r["Type"] for r in resources.values()}
        - set(FREE_WHEN_IDLE)
        - {"AWS::CloudWatch::Alarm", "AWS::KMS::Key"}
        - {"AWS::SecretsManager::Secret"}
    )
    if unknown:
        raise ValueError(f"resource types without a price or a reason they are free when idle: {unknown}")
    lines = []
    alarms = [k for k, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"]
    if alarms:
        metrics = sum(len(resources[a]["Properties"].get("Metrics", [None])) for a in alarms)
        lines.append(Line(f"{len(alarms)} alarms", metrics * price("alarm"), f"{metrics} alarm metrics x $0.10"))
    for kind, name in (("AWS::KMS::Key", "kms_key"), ("AWS::SecretsManager::Secret", "secret")):
        for key in (k for k, r in resources.items() if r["Type"] == kind):
            lines.append(Line(key, price(name), PRICES[name][1]))
    scheduled = {}
    for rule in resources.values():
        expression = rule["Properties"].get("ScheduleExpression") if rule["Type"] == "AWS::Events::Rule" else None
        if expression and rule["Properties"].get("State", "ENABLED") == "ENABLED" and _target(rule) in resources:
            scheduled[_target(rule)] = runs_per_month(expression)
    for function, runs in sorted(scheduled.items()):
        properties = resources[function]["Properties"]
        gb = properties.get("MemorySize", 128) / 1024
        per_gb_second = price(
            "lambda_gb_second_arm" if properties.get("Architectures") == ["arm64"] else "lambda_gb_second"
        )
        dollars = runs / 1e6 * price("lambda_request") + runs * IDLE_RUN_SECONDS * gb * per_gb_second
        dollars += runs * IDLE_RUN_LOG_BYTES / 1e9 * price("log_ingestion")
        how = f"{runs:,.0f} runs: invocations, {IDLE_RUN_SECONDS} s at {gb * 1024:.0f} MB, log lines"
        if properties.get("TracingConfig", {}).get("Mode") == "Active":  # every run of a job is sampled
            dollars += runs / 1e6 * price("xray_trace")
            how += ", a trace each"
        lines.append(Line(f"{function} (scheduled)", dollars, how))
    for key, metric_filter in resources.items():
        if metric_filter["Type"] != "AWS::Logs::MetricFilter":
            continue
        group = metric_filter["Properties"]["LogGroupName"]
        group_name = resources[group["Ref"]]["Properties"]["LogGroupName"] if isinstance(group, dict) else group
        writers = [
            f
            for f in scheduled
            if resources[f]["Properties"].get("FunctionName")
            and group_name == f"/aws/lambda/{resources[f]['Properties']['FunctionName']}"
        ]
        if writers:  # a scheduled job logs the value every run: the metric is published all month
            count = len(metric_filter["Properties"]["MetricTransformations"])
            lines.append(Line(key, count * price("custom_metric"), f"{count} custom metric, published every run"))
    for key, mapping in resources.items():
        if (
            mapping["Type"] == "AWS::Lambda::EventSourceMapping"
            and resources.get(_queue_of(mapping) or "", {}).get("Type") == "AWS::SQS::Queue"
        ):
            requests = SQS_POLLERS * HOURS_PER_MONTH * 3600 / SQS_WAIT_SECONDS
            lines.append(
                Line(f"{key} (polling)", requests / 1e6 * price("sqs_request"), f"{requests:,.0f} empty receives")
            )
    return lines


def total(lines: list[Line]) -> float:
    return round(sum(line.dollars for line in lines), 2)


def main(argv: list[str]) -> int:
    template = json.loads(Path(argv[0]).read_text())
    lines = idle_costs(template)
    for line in lines:
        print(f"{line.dollars:8.2f}  {line.what}: {line.how}")
    print(f"{total(lines):8.2f}  a month, idle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
