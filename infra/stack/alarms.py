"""Watching the stage: the alert topic every alarm notifies, the alarms and
log groups.

Alarms exist in prod only (naming.ALARMED_STAGES): each costs $0.10 a month,
and no one is on call for dev or staging. Together they see every way a
function fails: the API's 5xx; each dead-letter queue, where an asynchronous
function's event lands after Lambda's retries (the schedules', the stream
consumer's, the webhooks'); the stream consumer's lag; the account's Lambda
throttles (the stages share the account's concurrency); emails waiting for
SES; SES's reputation; the signing secret's rotation."""

from __future__ import annotations

from infra.stack.data import retained
from infra.stack.naming import ALARMED_STAGES, names

LOG_RETENTION_DAYS = {"dev": 14, "staging": 30, "prod": 365}


def watched(stage: str) -> bool:
    return stage in ALARMED_STAGES


def alarm(
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


def log_group(name: str | dict, stage: str) -> dict:
    """Encrypted by CloudWatch Logs (a customer-managed key would cost $1 a
    month per stage). Kept in every stage: Lambda creates a function's group
    again when it logs after a deletion, and a stack created again takes a
    kept group over (infra/deploy.py imports it) instead of failing on it."""
    return retained(
        {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": name, "RetentionInDays": LOG_RETENTION_DAYS[stage]},
        },
        True,
    )


def alerts(stage: str) -> dict:
    """Every alarm notifies this topic; on-call subscribes by the parameter
    AlertEmail. It carries alarm names and states only, so SNS's own
    encryption at rest is not asked for (a key CloudWatch may use costs $1 a month)."""
    if not watched(stage):
        return {}
    return {
        "AlertTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": names(stage)["alerts"]}},
        "AlertSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlertEmail",
            "Properties": {"TopicArn": {"Ref": "AlertTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlertEmail"}},
        },
        # The account's functions share its concurrency (10 on a new account):
        # any throttle, of any stage's function, delays prod's.
        "LambdaThrottlesAlarm": alarm("A Lambda function of the account was throttled", "AWS/Lambda", "Throttles", {}),
    }


def queue_alarms(stage: str, resources: dict) -> dict:
    """An alarm on every queue of the stack: a dead-letter queue that holds
    anything, the webhook queue when its deliveries pile up."""
    made: dict = {}
    if not watched(stage):
        return made
    for lid, resource in resources.items():
        if resource.get("Type") != "AWS::SQS::Queue":
            continue
        queue = {"QueueName": {"Fn::GetAtt": [lid, "QueueName"]}}
        if lid == "WebhookQueue":
            made[f"{lid}Alarm"] = alarm(
                "Webhook deliveries are piling up",
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                queue,
                statistic="Maximum",
                threshold=900,
            )
        elif lid == "OnChangeDeadLetters":  # the reconcile job redoes them: an alarm when it cannot
            made[f"{lid}Alarm"] = alarm(
                "Failed stream batches are not being redone",
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                queue,
                statistic="Maximum",
                threshold=900,
            )
        else:
            made[f"{lid}Alarm"] = alarm(
                f"{resource['Properties']['QueueName']} holds messages",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                queue,
                statistic="Maximum",
            )
    return made
