"""SQS: the webhook queue, where a failed message is hidden for a while
before SQS hands it out again (which is how its retries back off), and the
stream consumer's on-failure queue, which the reconcile job reads. And how
long anything that failed can come back: whatever recognises a redelivery
must remember it longer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .aws import client

# Every queue keeps a message this long (infra/build.py sets each queue's
# MessageRetentionPeriod from it): a dead-lettered event can be re-driven
# until then.
RETENTION = timedelta(days=14)
# Lambda retries an asynchronous event (S3's, SNS's, Scheduler's) for at most
# this long, its default maximum event age, before it dead-letters it.
ASYNC_EVENT_AGE = timedelta(hours=6)


def queue_url(queue_arn: str) -> str:
    """arn:aws:sqs:<region>:<account>:<name> → the queue's URL (no call needed)."""
    _, partition, _, region, account, name = queue_arn.split(":", 5)
    domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sqs.{region}.{domain}/{account}/{name}"


def postpone(queue_arn: str, receipt_handle: str, seconds: int) -> None:
    client("sqs").change_message_visibility(
        QueueUrl=queue_url(queue_arn), ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
    )


def receive(queue_arn: str, limit: int = 10, hide_seconds: int = 300) -> list[dict[str, Any]]:
    """Up to `limit` messages waiting now (no long poll), hidden from others
    for `hide_seconds`: ({"body", "receipt"})."""
    answer = client("sqs").receive_message(
        QueueUrl=queue_url(queue_arn), MaxNumberOfMessages=limit, VisibilityTimeout=hide_seconds, WaitTimeSeconds=0
    )
    return [{"body": m["Body"], "receipt": m["ReceiptHandle"]} for m in answer.get("Messages", [])]


def delete(queue_arn: str, receipt: str) -> None:
    client("sqs").delete_message(QueueUrl=queue_url(queue_arn), ReceiptHandle=receipt)
