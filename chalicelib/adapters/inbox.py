"""Inbound mail as SES stores it: one S3 object per message, announced by
the bucket's event notification."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote_plus

from .aws import client


def stored_messages(event: dict) -> Iterator[bytes]:
    for record in event.get("Records", ()):
        s3 = record.get("s3") or {}
        bucket, key = s3.get("bucket", {}).get("name"), s3.get("object", {}).get("key")
        if bucket and key:
            yield client("s3").get_object(Bucket=bucket, Key=unquote_plus(key))["Body"].read()
