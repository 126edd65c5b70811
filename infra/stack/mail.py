"""Mail out (the sender's domain, the configuration set whose bounces and
complaints reach on_mail_event, the retry backlog) and mail in (the receipt
rule stores each message in a bucket that notifies on_inbound_email).

The handlers are the functions' logical ids, None when the app has no such
function."""

from __future__ import annotations

from infra.stack import iam
from infra.stack.alarms import alarm, watched
from infra.stack.data import bucket, expiry
from infra.stack.naming import bucket_name, names


def outgoing(stage: str, on_mail_event: str | None, retry_mail: str | None) -> dict:
    """The sender's domain with DKIM; every message goes through the
    configuration set, whose bounces and complaints reach on_mail_event."""
    n = names(stage)
    ses_publishes = iam.allow_service("ses.amazonaws.com", "sns:Publish", {"Ref": "MailEventTopic"}, "SesPublishes")
    resources = {
        "MailConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {
                "Name": n["configuration_set"],
                "DeliveryOptions": {"TlsPolicy": "REQUIRE"},
                "ReputationOptions": {"ReputationMetricsEnabled": True},
                "SendingOptions": {"SendingEnabled": True},
                "SuppressionOptions": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
            },
        },
        "MailIdentity": {
            "Type": "AWS::SES::EmailIdentity",
            "Properties": {
                "EmailIdentity": n["mail_domain"],
                "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
                "ConfigurationSetAttributes": {"ConfigurationSetName": {"Ref": "MailConfigurationSet"}},
                "FeedbackAttributes": {"EmailForwardingEnabled": False},
            },
        },
        # Bounce and complaint notices pass through on their way to on_mail_event; SNS
        # keeps nothing once delivered (a key SES may use would cost $1 a month).
        "MailEventTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": n["mail_events"]}},
        "MailEventTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {"Topics": [{"Ref": "MailEventTopic"}], "PolicyDocument": iam.document(ses_publishes)},
        },
        "MailEvents": {
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
        },
    }
    for metric, threshold in (("Bounce", 0.05), ("Complaint", 0.001)) if watched(stage) else ():
        # half of SES's review thresholds
        resources[f"Mail{metric}RateAlarm"] = alarm(
            f"{metric} rate of mail sent through {n['configuration_set']} nears SES's review threshold",
            "AWS/SES",
            f"Reputation.{metric}Rate",
            {"ses:configuration-set": n["configuration_set"]},
            statistic="Maximum",
            threshold=threshold,
            period=3600,
        )
    if on_mail_event:
        resources |= _mail_events_reach(on_mail_event)
    if retry_mail and watched(stage):  # the metric exists for its alarm alone ($0.30 a month)
        resources |= _retry_backlog(stage, retry_mail)
    return resources


def _mail_events_reach(handler: str) -> dict:
    return {
        f"{handler}Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "MailEventTopic"},
                "Protocol": "lambda",
                "Endpoint": {"Fn::GetAtt": [handler, "Arn"]},
            },
        },
        f"{handler}Permission": iam.invoke_permission(
            handler, "sns.amazonaws.com", {"Ref": "MailEventTopic"}, source_account=False
        ),
    }


def _retry_backlog(stage: str, handler: str) -> dict:
    """retry_mail logs {"retry_backlog": N} on each run: the emails still waiting for SES."""
    namespace = names(stage)["metrics_namespace"]
    return {
        "RetryBacklogMetric": {
            "Type": "AWS::Logs::MetricFilter",
            "Properties": {
                "LogGroupName": {"Ref": f"{handler}LogGroup"},
                "FilterPattern": "{ $.retry_backlog = * }",
                "MetricTransformations": [
                    {
                        "MetricNamespace": namespace,
                        "MetricName": "RetryBacklog",
                        "MetricValue": "$.retry_backlog",
                        "Unit": "Count",
                    }
                ],
            },
        },
        "RetryBacklogAlarm": alarm(
            "Emails are waiting for SES",
            namespace,
            "RetryBacklog",
            {},
            statistic="Minimum",
            threshold=1,
            period=300,
            evaluation_periods=3,
        ),
    }


def incoming(stage: str, on_inbound_email: str | None) -> dict:
    """The receipt rule stores each message in the bucket, the bucket
    notifies on_inbound_email. The rule joins the account's one active rule
    set, which the bootstrap stack owns (infra/stack/ci.py): CloudFormation
    cannot activate a set, and a stage's stack must not own what all share.

    The bucket is Retain, not RetainExceptOnCreate: SES writes a setup
    notice into it when the rule is made, so no rollback could delete it;
    its name is the stack's own, so a retry never meets it."""
    n = names(stage)
    name = bucket_name(n["inbound_prefix"])
    inbound = bucket(
        BucketName=name,
        LoggingConfiguration={"DestinationBucketName": {"Ref": "AccessLogsBucket"}, "LogFilePrefix": "s3/inbound/"},
        LifecycleConfiguration=expiry("expire-raw-mail", days=30, noncurrent_days=1, abort_uploads=True),
    ) | {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    ses_delivers = iam.allow_service(
        "ses.amazonaws.com", "s3:PutObject", {"Fn::Sub": "${InboundMailBucket.Arn}/*"}, "SesDeliversInboundMail"
    )
    resources = {
        "InboundMailBucket": inbound,
        "InboundMailBucketPolicy": iam.bucket_policy("InboundMailBucket", ses_delivers),
        "InboundRule": {
            "Type": "AWS::SES::ReceiptRule",
            "DependsOn": ["InboundMailBucketPolicy"],
            "Properties": {
                "RuleSetName": n["rule_set"],
                "Rule": {
                    "Name": n["app"],
                    "Enabled": True,
                    "ScanEnabled": True,
                    "TlsPolicy": "Require",
                    "Recipients": [n["support_address"]],
                    "Actions": [{"S3Action": {"BucketName": {"Ref": "InboundMailBucket"}}}],
                },
            },
        },
    }
    if on_inbound_email:
        # The bucket notifies the function, so the permission cannot name the bucket: it spells the name out.
        bucket_arn = {"Fn::Sub": ["arn:${AWS::Partition}:s3:::" + name["Fn::Sub"][0], name["Fn::Sub"][1]]}
        resources["InboundMailPermission"] = iam.invoke_permission(on_inbound_email, "s3.amazonaws.com", bucket_arn)
        inbound["DependsOn"] = "InboundMailPermission"
        inbound["Properties"]["NotificationConfiguration"] = {
            "LambdaConfigurations": [
                {"Event": "s3:ObjectCreated:*", "Function": {"Fn::GetAtt": [on_inbound_email, "Arn"]}}
            ]
        }
    return resources
