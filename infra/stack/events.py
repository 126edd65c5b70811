"""What runs later or elsewhere: one-time schedules (the group, the role
Scheduler invokes on_schedule with) and outgoing events (the bus, and the
queue a rule feeds webhook deliveries from)."""

from __future__ import annotations

from infra.stack import iam
from infra.stack.data import queue
from infra.stack.naming import boundary_arn, function_name, lambda_arn, names


def schedules(stage: str) -> dict:
    """The group, the role Scheduler assumes to invoke on_schedule, and one
    queue for what never got handled: Scheduler's undeliverable invocations
    and on_schedule's own failures after Lambda's retries."""
    n = names(stage)
    invoke = iam.document(
        iam.allow("lambda:InvokeFunction", lambda_arn(function_name(stage, "on_schedule"))),
        iam.allow("sqs:SendMessage", {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]}),
    )
    return {
        "ScheduleGroup": {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": n["group"]}},
        "ScheduleDeadLetters": queue(n["dead_letters"]),
        "SchedulerRole": iam.role(
            iam.trust(iam.service("scheduler.amazonaws.com"), condition=iam.same_account()),
            {"invoke-on-schedule": invoke},
            RoleName=n["scheduler_role"],
            PermissionsBoundary=boundary_arn(stage),
        ),
    }


def webhooks(stage: str) -> dict:
    """A bus per stage; webhooks are delivered from a queue fed by a rule."""
    n = names(stage)
    rule_delivers = iam.allow(
        "sqs:SendMessage",
        {"Fn::GetAtt": ["WebhookQueue", "Arn"]},
        sid="RuleDelivers",
        principal=iam.service("events.amazonaws.com"),
        condition={"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["WebhookRule", "Arn"]}}},
    )
    return {
        "EventBus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": n["bus"]}},
        "WebhookDeadLetters": queue(n["webhook_dead_letters"]),
        "WebhookQueue": queue(
            n["webhooks"],
            VisibilityTimeout=180,
            RedrivePolicy={"deadLetterTargetArn": {"Fn::GetAtt": ["WebhookDeadLetters", "Arn"]}, "maxReceiveCount": 5},
        ),
        "WebhookRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "Every outgoing event to the webhook queue",
                "EventBusName": {"Ref": "EventBus"},
                "EventPattern": {"source": ["careline"]},
                "State": "ENABLED",
                "Targets": [{"Id": "webhooks", "Arn": {"Fn::GetAtt": ["WebhookQueue", "Arn"]}}],
            },
        },
        "WebhookQueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {"Queues": [{"Ref": "WebhookQueue"}], "PolicyDocument": iam.document(rule_delivers)},
        },
    }
