"""Watching the stage: the alert topic every alarm notifies, the alarms and
log groups, and the key that encrypts topics and logs."""

from __future__ import annotations

from infra.stack import iam
from infra.stack.data import retained
from infra.stack.naming import RETAINED_STAGES, names

LOG_RETENTION_DAYS = {"dev": 14, "staging": 30, "prod": 365}


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


def log_group(name: str, stage: str) -> dict:
    return retained(
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


def alerts(stage: str) -> dict:
    """Every alarm notifies this topic; on-call subscribes by the parameter AlertEmail."""
    return {
        "AlertTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": names(stage)["alerts"], "KmsMasterKeyId": {"Ref": "StageKey"}},
        },
        "AlertSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlertEmail",
            "Properties": {"TopicArn": {"Ref": "AlertTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlertEmail"}},
        },
    }


def stage_key(stage: str) -> dict:
    """One key for what AWS services write on the stage's behalf: alarm and
    mail-event topics (CloudWatch and SES cannot use the AWS-managed SNS key)
    and the log groups."""
    key_users = [
        iam.allow_service(service, ["kms:GenerateDataKey*", "kms:Decrypt"], "*", f"{service.split('.')[0].title()}Uses")
        for service in ("cloudwatch.amazonaws.com", "ses.amazonaws.com")
    ]
    logs_use = iam.allow(
        ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "*",
        sid="LogsUse",
        principal=iam.service({"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}),
        condition={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": {
                    "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
                }
            }
        },
    )
    administers = iam.allow(
        "kms:*",
        "*",
        sid="AccountAdministers",
        principal={"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
    )
    key = {
        "Type": "AWS::KMS::Key",
        "Properties": {
            "Description": f"Careline {stage}: topics and logs",
            "EnableKeyRotation": True,
            "KeyPolicy": iam.document(administers, *key_users, logs_use),
        },
    }
    return {
        "StageKey": retained(key, stage in RETAINED_STAGES),
        "StageKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": names(stage)["key_alias"], "TargetKeyId": {"Ref": "StageKey"}},
        },
    }


def queue_alarms(resources: dict) -> dict:
    """An alarm on every queue of the stack: a dead-letter queue that holds
    anything, the webhook queue when its deliveries pile up."""
    made = {}
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
        else:
            made[f"{lid}Alarm"] = alarm(
                f"{resource['Properties']['QueueName']} holds messages",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                queue,
                statistic="Maximum",
            )
    return made
