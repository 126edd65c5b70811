"""Write units (and read units, `reading`) as DynamoDB bills them, measured on the emulator.

moto answers ReturnConsumedCapacity with canned numbers, so this meter
computes them from DynamoDB's published sizing rules: it listens on the
botocore session's events around every write (ours and pynamodb's share one
session), reads the items' images from the in-process emulator before and
after, and charges
- a write: the larger of the item's size before and after, in 1 KB units,
  at least 1; twice inside a transaction;
- each global secondary index: a put, a delete, or both when its key moves,
  and an update when a projected attribute changes, each in 1 KB units of
  the projected entry (keys-only entries are well under 1 KB).
Item size: attribute names and values in UTF-8 bytes, numbers ~1 byte per
two digits plus one, lists and maps 3 bytes plus 1 per element."""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


def value_size(value: dict[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        digits = len(str(content).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: v}) for v in content)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in content)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in content.items())
    raise ValueError(kind)


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


def units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


@dataclass
class Meter:
    """Write units by table and by index, and by the code that made them."""

    table: Counter = field(default_factory=Counter)
    index: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.table.values()) + sum(self.index.values())


def _backend():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def _image(table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = _backend().get_table(table_name)
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    item = table.get_item(hash_value, range_value)
    return copy.deepcopy(item.to_json()["Attributes"]) if item is not None else None


def _key_of(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    table = _backend().get_table(table_name)
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: item[name] for name in names}


def _writes(operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """(table, key, transactional) of every item the call may write."""
    if operation in ("PutItem",):
        return [(params["TableName"], _key_of(params["TableName"], params["Item"]), False)]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], params["Key"], False)]
    if operation == "BatchWriteItem":
        found = []
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    found.append((table, _key_of(table, request["PutRequest"]["Item"]), False))
                else:
                    found.append((table, request["DeleteRequest"]["Key"], False))
        return found
    found = []
    for item in params["TransactItems"]:
        ((kind, body),) = item.items()
        if kind == "ConditionCheck":
            continue
        key = _key_of(body["TableName"], body["Item"]) if kind == "Put" else body["Key"]
        found.append((body["TableName"], key, True))
    return found


def _charge(meter: Meter, table_name: str, before, after, transactional: bool) -> None:
    if before == after:
        return  # a failed condition: DynamoDB still charges 1 unit; counted apart would need the error
    base = table_name.rsplit("-", 1)[-1]
    meter.table[base] += units(max(item_size(before), item_size(after))) * (2 if transactional else 1)
    table = _backend().get_table(table_name)
    for index in table.global_indexes:
        keys = [k["AttributeName"] for k in index.schema]

        def entry(image, keys=keys, index=index):
            if image is None or any(k not in image for k in keys):
                return None
            projected = {k: image[k] for k in keys + _key_names(table) if k in image}
            kind = index.projection.get("ProjectionType")
            if kind == "ALL":
                return image
            if kind == "INCLUDE":
                projected |= {k: image[k] for k in index.projection.get("NonKeyAttributes", []) if k in image}
            return projected

        old, new = entry(before), entry(after)
        if old == new:
            continue
        old_key = {k: old[k] for k in keys} if old else None
        new_key = {k: new[k] for k in keys} if new else None
        charged = 0
        if old is not None and new is not None and old_key == new_key:
            charged = units(max(item_size(old), item_size(new)))
        else:
            charged = (units(item_size(old)) if old else 0) + (units(item_size(new)) if new else 0)
        meter.index[f"{base}.{index.name}"] += charged


def _key_names(table) -> list[str]:
    return [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])


@contextmanager
def metering() -> Iterator[Meter]:
    """Charge every DynamoDB write made in the block (in-process emulator only).
    Wraps BaseClient._make_api_call, as bench/aws_calls.py does, so every
    client is seen, whichever session made it."""
    from unittest import mock

    from botocore.client import BaseClient

    meter, call = Meter(), BaseClient._make_api_call

    def metered(client, operation, params):
        if client.meta.service_model.service_name != "dynamodb" or operation not in WRITES:
            return call(client, operation, params)
        pending = [(t, k, tx, _image(t, k)) for t, k, tx in _writes(operation, params)]
        try:
            return call(client, operation, params)
        finally:
            for table_name, key, transactional, old in pending:
                _charge(meter, table_name, old, _image(table_name, key), transactional)

    with mock.patch.object(BaseClient, "_make_api_call", metered):
        yield meter


# Reads

READ_UNIT = 4096  # bytes a read unit covers; an eventually consistent read costs half a unit


@dataclass
class Reads:
    """DynamoDB reads in a block: calls by operation; items read by where
    they were read (`table` or `table.index`) and how (`query`: index
    entries or a partition's items, `get`: items fetched by key); read units
    billed."""

    calls: Counter = field(default_factory=Counter)
    query: Counter = field(default_factory=Counter)
    get: Counter = field(default_factory=Counter)
    units_at: Counter = field(default_factory=Counter)  # read units by table or index
    counted: Counter = field(default_factory=Counter)  # entries counted (Select=COUNT), not returned
    spans: list[tuple[float, float]] = field(default_factory=list)  # each call's start and end

    @property
    def round_trips(self) -> int:
        return round_trips(self.spans)

    @property
    def units(self) -> float:
        return sum(self.units_at.values())

    @property
    def entries(self) -> int:
        return sum(self.query.values())

    @property
    def fetched(self) -> int:
        return sum(self.get.values())


def round_trips(spans: list[tuple[float, float]]) -> int:
    """The longest chain of calls each begun after the one before it
    ended: what a caller waits for, calls made in parallel counting once."""
    return round(longest_chain([(start, end, 1.0) for start, end in spans]))


def longest_chain(spans: list[tuple[float, float, float]]) -> float:
    """The heaviest chain of (start, end, weight) calls each begun after the one before it ended."""
    depth: list[tuple[float, float]] = []  # (end, chain weight) of the calls so far, by start
    for start, end, weight in sorted(spans):
        depth.append((end, weight + max((w for ended, w in depth if ended <= start), default=0.0)))
    return max((w for _, w in depth), default=0.0)


def read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / READ_UNIT)) * (1.0 if consistent else 0.5)


def _base(table: str) -> str:
    return table.rsplit("-", 1)[-1]


def _count_reads(
    reads: Reads, operation: str, params: dict[str, Any], answer: dict[str, Any], evaluated: list | None = None
) -> None:
    """What one call read and what it is billed: a Query or Scan by the size
    of every item it evaluates, rounded up once (a Select=COUNT query too:
    `evaluated` holds the items it counted); GetItem and each item of a
    BatchGetItem by its own size (a miss too: the minimum)."""
    reads.calls[operation] += 1
    if operation in ("Query", "Scan"):
        where = _base(params["TableName"]) + (f".{params['IndexName']}" if params.get("IndexName") else "")
        found = answer.get("ScannedCount", answer.get("Count", 0))
        (reads.counted if evaluated is not None else reads.query)[where] += found
        size = sum(item_size(item) for item in (answer.get("Items", ()) if evaluated is None else evaluated))
        reads.units_at[where] += read_units(size, bool(params.get("ConsistentRead")))
    elif operation == "GetItem":
        found = answer.get("Item")
        reads.get[_base(params["TableName"])] += 1 if found else 0
        reads.units_at[_base(params["TableName"])] += read_units(item_size(found), bool(params.get("ConsistentRead")))
    elif operation == "BatchGetItem":
        for table, items in answer.get("Responses", {}).items():
            consistent = bool(params["RequestItems"][table].get("ConsistentRead"))
            reads.get[_base(table)] += len(items)
            reads.units_at[_base(table)] += sum(read_units(item_size(item), consistent) for item in items)


@contextmanager
def reading(latency: float = 0.0) -> Iterator[Reads]:
    """Count every DynamoDB read made in the block, through any client and
    thread (wrapping BaseClient._make_api_call, as `metering` does).
    `latency`: seconds each DynamoDB call waits first, as a network would,
    so that calls made in parallel overlap and `round_trips` sees them so."""
    import threading
    import time
    from unittest import mock

    from botocore.client import BaseClient

    reads, call, lock = Reads(), BaseClient._make_api_call, threading.Lock()

    def counted(client, operation, params):
        if client.meta.service_model.service_name != "dynamodb":
            return call(client, operation, params)
        start = time.perf_counter()
        time.sleep(latency)
        answer = call(client, operation, params)
        end = time.perf_counter()
        evaluated = None
        if params.get("Select") == "COUNT":  # billed by what it counted: read it again to size it
            evaluated = call(client, operation, {k: v for k, v in params.items() if k != "Select"}).get("Items", [])
        with lock:
            reads.spans.append((start, end))
            _count_reads(reads, operation, params, answer, evaluated)
        return answer

    with mock.patch.object(BaseClient, "_make_api_call", counted):
        yield reads
