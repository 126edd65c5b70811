"""The webhook queue (SQS): a failed message is hidden for a while before
SQS hands it out again, which is how its retries back off."""

from __future__ import annotations

from .aws import client


def queue_url(queue_arn: str) -> str:
    """arn:aws:sqs:<region>:<account>:<name> → the queue's URL (no call needed)."""
    _, partition, _, region, account, name = queue_arn.split(":", 5)
    domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sqs.{region}.{domain}/{account}/{name}"


def postpone(queue_arn: str, receipt_handle: str, seconds: int) -> None:
    client("sqs").change_message_visibility(
        QueueUrl=queue_url(queue_arn), ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
    )
