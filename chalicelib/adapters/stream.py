"""The `tickets` table's stream, read as Lambda's event source mapping reads
it, in the shape Lambda hands a batch to `on_change`: here, a range of one
shard read again, which an on-failure record names (only the position, not
the records). The stream keeps records 24 hours."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .aws import client

GONE = ("TrimmedDataAccessException", "ResourceNotFoundException", "ExpiredIteratorException")


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """GetRecords' record in the shape Lambda's event source mapping delivers."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def read_range(stream_arn: str, shard_id: str, first: str, last: str) -> list[dict[str, Any]] | None:
    """The shard's records from sequence number `first` through `last`, in
    Lambda's shape; None when the stream no longer holds them."""
    from botocore.exceptions import ClientError

    streams = client("dynamodbstreams")
    records: list[dict[str, Any]] = []
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=first
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            for record in page["Records"]:
                if int(record["dynamodb"]["SequenceNumber"]) > int(last):
                    return records
                records.append(lambda_record(record, stream_arn))
            if not page["Records"]:
                return records  # an open shard's end
            iterator = page.get("NextShardIterator")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in GONE:
            return None
        raise
    return records
