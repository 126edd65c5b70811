"""Per-day metric counters in the `metrics` table: one item per (day,
family), each counter a top-level number moved with ADD. pynamodb models
need declared attributes, so this adapter speaks to DynamoDB directly.

A stream batch folds into one update per item. Each item remembers the
batch it last applied (its first record and the last record applied), so a
batch Lambda delivers again after a failure or a crash (the same first
record) adds only what it has not added yet."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from .aws import client
from .tables import table_name

# Each counter item's batch mark, under MARK:
# {"first": <eventID of the batch's first record>, "through": <last sequence number applied>}
MARK = "applied"


class _Batch(Enum):
    NEW = "new"


NEW_BATCH: Final = _Batch.NEW  # the usual case: this item has not seen this batch yet
_MAX_PER_UPDATE = 90  # counters per UpdateExpression: well within DynamoDB's 4 KB expression limit


@dataclass(frozen=True)
class Contribution:
    """One stream record's counter deltas: (day, family) -> counter -> delta."""

    sequence: int
    deltas: Mapping[tuple[str, str], Mapping[str, int]]


def family_of(counter: str) -> str:
    """Per-agent counters live apart, so the shop's own item stays small."""
    if counter.startswith("agent:"):
        return "agent#" + counter.split(":", 2)[1]
    return "time" if counter.startswith("time:") else "all"


class MetricCounters:
    """The per-day counters: moved by the stream consumer, once per batch; read
    by the metrics; rewritten whole by the recompute command."""

    def apply(self, batch_first: str, contributions: Sequence[Contribution]) -> None:
        """Add a batch's contributions, once, whatever the batch was before: one
        update per item, and a read only when the batch is delivered again."""
        items: dict[tuple[str, str], list[tuple[int, Mapping[str, int]]]] = {}
        for contribution in contributions:
            for key, deltas in contribution.deltas.items():
                items.setdefault(key, []).append((contribution.sequence, deltas))
        for key, parts in items.items():
            last = max(sequence for sequence, _ in parts)
            mark = {"first": batch_first, "through": str(last)}
            if _update(key, _total(parts, -1), NEW_BATCH, mark):
                continue
            for _ in range(5):  # this batch again: add what it has not added yet
                seen = _mark(key)
                through = int(seen["through"]) if seen and seen.get("first") == batch_first else -1
                if last <= through or _update(key, _total(parts, through), seen, mark):
                    break

    def read(self, days: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
        """day -> family -> counter -> value, for every item of those days."""
        dynamodb = client("dynamodb")
        found: dict[str, dict[str, dict[str, int]]] = {}
        for day in days:
            pages = dynamodb.get_paginator("query").paginate(
                TableName=table_name("metrics"),
                KeyConditionExpression="#d = :d",
                ExpressionAttributeNames={"#d": "day"},
                ExpressionAttributeValues={":d": {"S": day}},
            )
            for page in pages:
                for item in page["Items"]:
                    family = item["family"]["S"]
                    found.setdefault(day, {})[family] = {
                        name: int(value["N"]) for name, value in item.items() if "N" in value
                    }
        return found

    def replace_all(self, values: Mapping[tuple[str, str], Mapping[str, int]]) -> None:
        """Recompute's write: every item anew (an admin command, not a request path)."""
        dynamodb = client("dynamodb")
        name = table_name("metrics")
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=name, ProjectionExpression="#d, #f", ExpressionAttributeNames={"#d": "day", "#f": "family"}
        ):
            for old in page["Items"]:
                dynamodb.delete_item(TableName=name, Key={"day": old["day"], "family": old["family"]})
        for (day, family), counters in values.items():
            item: dict[str, Any] = {"day": {"S": day}, "family": {"S": family}}
            item |= {counter: {"N": str(value)} for counter, value in counters.items() if value}
            dynamodb.put_item(TableName=name, Item=item)


def _total(parts: list[tuple[int, Mapping[str, int]]], through: int) -> dict[str, int]:
    total: Counter[str] = Counter()
    for sequence, deltas in parts:
        if sequence > through:
            total.update(deltas)
    return {k: v for k, v in total.items() if v}


def _mark(key: tuple[str, str]) -> dict[str, str] | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=table_name("metrics"),
            Key={"day": {"S": key[0]}, "family": {"S": key[1]}},
            ConsistentRead=True,
            ProjectionExpression="#m",
            ExpressionAttributeNames={"#m": MARK},
        )
        .get("Item", {})
    )
    mark = item.get(MARK, {}).get("M")
    return {k: v["S"] for k, v in mark.items()} if mark else None


def _update(
    key: tuple[str, str], deltas: Mapping[str, int], seen: Mapping[str, str] | _Batch | None, mark: Mapping[str, str]
) -> bool:
    """ADD the deltas and move the mark, if the mark is still what was read
    (or, for NEW_BATCH, is not this batch's)."""
    dynamodb = client("dynamodb")
    names: dict[str, str] = {"#m": MARK}
    values: dict[str, Any] = {":mark": {"M": {k: {"S": v} for k, v in mark.items()}}}
    adds = []
    for i, (counter, delta) in enumerate(sorted(deltas.items())[:_MAX_PER_UPDATE]):
        names[f"#c{i}"] = counter
        values[f":c{i}"] = {"N": str(delta)}
        adds.append(f"#c{i} :c{i}")
    expression = "SET #m = :mark" + (" ADD " + ", ".join(adds) if adds else "")
    if seen is NEW_BATCH:
        condition = "attribute_not_exists(#m) OR #m.#first <> :first"
        names["#first"] = "first"
        values[":first"] = {"S": mark["first"]}
    elif seen is None:
        condition = "attribute_not_exists(#m)"
    else:
        condition = "#m = :seen"
        values[":seen"] = {"M": {k: {"S": v} for k, v in seen.items()}}
    try:
        dynamodb.update_item(
            TableName=table_name("metrics"),
            Key={"day": {"S": key[0]}, "family": {"S": key[1]}},
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    if len(deltas) > _MAX_PER_UPDATE:  # rare: a day's first batch touching very many counters
        rest = dict(sorted(deltas.items())[_MAX_PER_UPDATE:])
        return _update(key, rest, mark, mark)
    return True
