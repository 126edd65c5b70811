"""The local stage's stand-in for Lambda's event source mapping on the
tickets table's stream: it reads the emulator's stream through the DynamoDB
Streams API (as Lambda does), keeps only the records the mapping's filter
passes, and hands batches to the same `on_change` handler AWS invokes, in
Lambda's event shape, with the mapping's error handling as the template
configures it (chalicelib/services/consumer.py STREAM_*):

- a batch that reports a failed record (ReportBatchItemFailures) is retried
  from that record; one whose invocation fails is split in two first
  (BisectBatchOnFunctionError), which costs no retry;
- retries wait (doubling from 1 s to 15 s on the dev clock: AWS does not
  publish its intervals), and the records behind a failing batch in its
  shard wait with it;
- after STREAM_RETRY_ATTEMPTS retries the batch's position alone (shard,
  first and last sequence numbers) goes to the on-failure queue, as AWS
  documents, and the shard moves on. The reconcile job reads that queue
  (services/recovery.py).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.queue import queue_url
from chalicelib.adapters.stream import lambda_record
from chalicelib.adapters.tables import table_name
from chalicelib.clock import iso
from chalicelib.container import container
from chalicelib.log import logger
from chalicelib.services.consumer import (
    STREAM_BATCH_SIZE,
    STREAM_BISECT_ON_ERROR,
    STREAM_RETRY_ATTEMPTS,
    actionable,
)

log = logger(__name__)
BACKOFF_SECONDS = (1, 2, 4, 8, 15)  # then 15


@dataclass
class Batch:
    records: list[dict[str, Any]]
    retries: int = 0
    due: datetime | None = None  # its next attempt, on the dev clock (None: now)


@dataclass
class Shard:
    arn: str
    shard_id: str
    read_to: str | None = None  # the last sequence number read from the stream
    waiting: deque[Batch] = field(default_factory=deque)  # read, not yet handed over for good


_lock = threading.RLock()
_shards: dict[tuple[str, str], Shard] = {}


def drain() -> int:
    """Hand every record written so far to the consumer, including those its
    own effects write, as far as no batch waits to be retried; the number of
    records handled."""
    from app import on_change  # the very handler Lambda runs

    handled = 0
    with _lock:
        while True:
            shards = _current_shards()
            for shard in shards:
                _read(shard)
            progress = sum(_hand_over(on_change, shard) for shard in shards)
            handled += progress
            if not progress:
                return handled


def _current_shards() -> list[Shard]:
    """The tickets table's stream shards, as a poll starts."""
    streams = client("dynamodbstreams")
    found = []
    for stream in streams.list_streams(TableName=table_name("tickets"))["Streams"]:
        description = streams.describe_stream(StreamArn=stream["StreamArn"])["StreamDescription"]
        for shard in description["Shards"]:
            key = (stream["StreamArn"], shard["ShardId"])
            found.append(_shards.setdefault(key, Shard(*key)))
    return found


def _read(shard: Shard) -> None:
    """The shard's records after those read, to its end, in batches behind
    those waiting: only changes' entries, as the mapping's filter passes."""
    streams = client("dynamodbstreams")
    iterator = streams.get_shard_iterator(
        StreamArn=shard.arn,
        ShardId=shard.shard_id,
        **(
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.read_to}
            if shard.read_to
            else {"ShardIteratorType": "TRIM_HORIZON"}
        ),
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in page["Records"]:
            shard.read_to = record["dynamodb"]["SequenceNumber"]
            converted = lambda_record(record, shard.arn)
            if actionable(converted):
                records.append(converted)
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")  # None once a shard is closed
    for start in range(0, len(records), STREAM_BATCH_SIZE):
        shard.waiting.append(Batch(records[start : start + STREAM_BATCH_SIZE]))


def _hand_over(handler, shard: Shard) -> int:
    """The shard's waiting batches, in order, until one must wait for its
    retry; the number of records done with (handled, or given up)."""
    done = 0
    now = container().clock.now()
    while shard.waiting:
        batch = shard.waiting[0]
        if batch.due is not None and batch.due > now:
            break
        try:
            answer = handler({"Records": batch.records}, None) or {}
        except Exception:
            log.exception("on_change failed", extra={"event": "stream.invocation_failed"})
            if STREAM_BISECT_ON_ERROR and len(batch.records) > 1:  # costs no retry
                half = len(batch.records) // 2
                shard.waiting.popleft()
                shard.waiting.extendleft(
                    [Batch(batch.records[half:], batch.retries), Batch(batch.records[:half], batch.retries)]
                )
                continue
            failed_at = 0
        else:
            failures = [f["itemIdentifier"] for f in answer.get("batchItemFailures") or ()]
            if not failures:
                shard.waiting.popleft()
                done += len(batch.records)
                continue
            first = min(int(f) for f in failures)  # Lambda resumes at the lowest one reported
            failed_at = next(i for i, r in enumerate(batch.records) if int(r["dynamodb"]["SequenceNumber"]) >= first)
        if failed_at:  # the records before it are done; the rest is retried
            done += failed_at
            batch.records, batch.retries = batch.records[failed_at:], 0
        if batch.retries >= STREAM_RETRY_ATTEMPTS:
            shard.waiting.popleft()
            _give_up(shard, batch)
            done += len(batch.records)
            continue
        batch.retries += 1
        wait = BACKOFF_SECONDS[min(batch.retries, len(BACKOFF_SECONDS)) - 1]
        batch.due = now + timedelta(seconds=wait)
        break
    return done


def _give_up(shard: Shard, batch: Batch) -> None:
    """What the on-failure destination receives: the batch's position, not its records."""
    first, last = batch.records[0]["dynamodb"], batch.records[-1]["dynamodb"]
    record = {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:careline-local-on_change",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": batch.retries + 1,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard.shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _arrival(first),
            "approximateArrivalOfLastRecord": _arrival(last),
            "batchSize": len(batch.records),
            "streamArn": shard.arn,
        },
    }
    log.error(
        "stream batch given up; its position goes to the on-failure queue",
        extra={"event": "stream.dead_letter", "count": len(batch.records)},
    )
    arn = container().settings.change_failures_arn
    if arn:
        client("sqs").send_message(QueueUrl=queue_url(arn), MessageBody=json.dumps(record))


def _arrival(dynamodb: dict[str, Any]) -> str:
    created = dynamodb.get("ApproximateCreationDateTime")
    moment = datetime.fromtimestamp(created, UTC) if isinstance(created, (int, float)) else datetime.now(UTC)
    return iso(moment)
