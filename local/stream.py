"""The local stage's stand-in for Lambda's stream polling: reads the
emulator's DynamoDB stream of the tickets table through the DynamoDB Streams
API (as Lambda does) and hands each batch to the same `on_change` handler
AWS invokes, in Lambda's event shape, retrying from a reported failure."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.tables import table_name
from chalicelib.log import logger
from chalicelib.services.consumer import actionable

log = logger(__name__)
BATCH = 100
RETRIES = 3  # then the batch goes where the on-failure destination would take it: the log

_lock = threading.RLock()
_positions: dict[str, dict[str, str]] = {}  # stream ARN -> shard id -> last sequence number handed over
dead_letters: list[dict[str, Any]] = []


def drain() -> int:
    """Hand every record written so far to the consumer, including those its
    own effects write; the number of records handled."""
    from app import on_change  # the very handler Lambda runs

    handled = 0
    with _lock:
        shards, iterators = _shards(), {}
        while True:
            records = _read(shards, iterators)
            if not records:
                return handled
            for start in range(0, len(records), BATCH):
                batch = records[start : start + BATCH]
                _hand_over(on_change, batch)
                handled += len(batch)


def _shards() -> list[tuple[str, str]]:
    """The tickets table's stream shards, (stream ARN, shard id), as a poll starts."""
    streams = client("dynamodbstreams")
    return [
        (stream["StreamArn"], shard["ShardId"])
        for stream in streams.list_streams(TableName=table_name("tickets"))["Streams"]
        for shard in streams.describe_stream(StreamArn=stream["StreamArn"])["StreamDescription"]["Shards"]
    ]


def _read(shards: list[tuple[str, str]], iterators: dict[tuple[str, str], str | None]) -> list[dict[str, Any]]:
    """The records after those handed over, each shard read to its end; the
    iterators a read ends with are where the next read of this poll starts."""
    streams = client("dynamodbstreams")
    records: list[dict[str, Any]] = []
    for arn, shard_id in shards:
        positions = _positions.setdefault(arn, {})
        if (arn, shard_id) not in iterators:
            after = positions.get(shard_id)
            iterators[(arn, shard_id)] = streams.get_shard_iterator(
                StreamArn=arn,
                ShardId=shard_id,
                **(
                    {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
                    if after
                    else {"ShardIteratorType": "TRIM_HORIZON"}
                ),
            )["ShardIterator"]
        while iterator := iterators[(arn, shard_id)]:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            iterators[(arn, shard_id)] = page.get("NextShardIterator")  # None once a shard is closed
            for record in page["Records"]:
                records.append(_as_lambda_record(record, arn))
                positions[shard_id] = record["dynamodb"]["SequenceNumber"]
            if not page["Records"]:
                break
    return records


def _hand_over(handler, batch: list[dict[str, Any]]) -> None:
    for _ in range(RETRIES + 1):
        if not any(actionable(r) for r in batch):
            return
        answer = handler({"Records": batch}, None) or {}
        failures = [f["itemIdentifier"] for f in answer.get("batchItemFailures", ())]
        if not failures:
            return
        at = next(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] == failures[0])
        batch = batch[at:]
    log.error("stream records given up", extra={"event": "stream.dead_letter", "count": len(batch)})
    dead_letters.extend(batch)


def _as_lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
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
        "eventSourceARN": arn,
    }
