"""Per-day metric counters in the `metrics` table: one item per (day,
family), each counter a top-level number moved with ADD. pynamodb models
need declared attributes, so this adapter speaks to DynamoDB directly.

Counters move exactly once per change: a change's deltas are added in the
same transaction that settles its entry, removing the entry's redo marker
(store/items.py) on the condition that it is still there. A change whose
effects are done again (a redelivered batch, a failed range re-read, the
reconcile job) finds its entry settled, and its deltas are left out. A
batch's entries settle together, one transaction per chunk, so a batch
still makes one update per counter item."""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .aws import client
from .tables import table_name

_MAX_PER_UPDATE = 90  # counters per UpdateExpression: well within DynamoDB's 4 KB expression limit
_MAX_ITEMS = 100  # items per transaction
_CONFLICT_ATTEMPTS = 5  # a transaction that met another on a counter item is sent again


@dataclass(frozen=True)
class Settlement:
    """A change's entry whose effects are done, and its counter deltas:
    (day, family) -> counter -> delta. `marked`: the entry carries a redo
    marker (entries written before the marker existed do not, and are
    counted without a guard)."""

    ticket_id: str
    sk: str
    deltas: Mapping[tuple[str, str], Mapping[str, int]]
    marked: bool = True


def family_of(counter: str) -> str:
    """Per-agent counters live apart, so the shop's own item stays small."""
    if counter.startswith("agent:"):
        return "agent#" + counter.split(":", 2)[1]
    return "time" if counter.startswith("time:") else "all"


class MetricCounters:
    """The per-day counters: moved as the stream consumer settles changes;
    read by the metrics; rewritten whole by the recompute command."""

    def settle(self, settlements: Sequence[Settlement]) -> int:
        """Add each change's deltas and remove its entry's marker, in one
        transaction per chunk, once: an entry settled already is left out
        (its deltas with it). How many were settled now."""
        settled = 0
        for chunk in _chunks([s for s in settlements if s.marked or s.deltas]):
            settled += _settle(chunk)
        return settled

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


def _chunks(settlements: list[Settlement]) -> list[list[Settlement]]:
    """Settlements in transactions DynamoDB takes: at most _MAX_ITEMS items
    (entries and counter items), at most _MAX_PER_UPDATE counters an item."""
    chunks: list[list[Settlement]] = []
    chunk: list[Settlement] = []
    counters: dict[tuple[str, str], set[str]] = {}
    for settlement in settlements:
        merged = {key: counters.get(key, set()) | set(deltas) for key, deltas in settlement.deltas.items()}
        items = len(chunk) + 1 + len(counters.keys() | merged.keys())
        if chunk and (items > _MAX_ITEMS or any(len(names) > _MAX_PER_UPDATE for names in merged.values())):
            chunks.append(chunk)
            chunk, counters, merged = [], {}, {key: set(deltas) for key, deltas in settlement.deltas.items()}
        chunk.append(settlement)
        counters |= merged
    if chunk:
        chunks.append(chunk)
    return chunks


def _settle(chunk: list[Settlement]) -> int:
    """One chunk; entries found settled already are dropped and the rest sent again."""
    dynamodb = client("dynamodb")
    remaining = list(chunk)
    for _ in range(_CONFLICT_ATTEMPTS):
        items, owners = _transaction(remaining)
        if not items:
            return 0
        token = hashlib.sha256("|".join(f"{s.ticket_id}#{s.sk}" for s in remaining).encode()).hexdigest()[:36]
        try:
            dynamodb.transact_write_items(TransactItems=items, ClientRequestToken=token)
            return sum(1 for s in remaining if s.marked)
        except dynamodb.exceptions.TransactionCanceledException as error:
            codes = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
            done = {id(owners[i]) for i, code in enumerate(codes) if code == "ConditionalCheckFailed" and owners[i]}
            if done:  # settled before (a redelivery, or our own attempt whose answer was lost)
                remaining = [s for s in remaining if id(s) not in done]
            elif "TransactionConflict" in codes:
                time.sleep(random.uniform(0, 0.05))
            else:
                raise
    raise RuntimeError("counters: the transaction kept meeting others; the stream delivers the batch again")


def _transaction(settlements: list[Settlement]) -> tuple[list[dict[str, Any]], list[Settlement | None]]:
    """The transaction's items (each entry's settle, then each counter
    item's ADD) and, for each, the settlement it settles (None for counters)."""
    items: list[dict[str, Any]] = []
    owners: list[Settlement | None] = []
    totals: dict[tuple[str, str], Counter[str]] = {}
    for settlement in settlements:
        for key, deltas in settlement.deltas.items():
            totals.setdefault(key, Counter()).update(deltas)
        if settlement.marked:
            items.append(
                {
                    "Update": {
                        "TableName": table_name("tickets"),
                        "Key": {"pk": {"S": settlement.ticket_id}, "sk": {"S": settlement.sk}},
                        "UpdateExpression": "REMOVE g_retry, retry_at",
                        "ConditionExpression": "attribute_exists(g_retry)",
                    }
                }
            )
            owners.append(settlement)
    for (day, family), total in sorted(totals.items()):
        moved = {name: delta for name, delta in sorted(total.items()) if delta}
        if not moved:
            continue
        names = {f"#c{i}": name for i, name in enumerate(moved)}
        values = {f":c{i}": {"N": str(delta)} for i, delta in enumerate(moved.values())}
        items.append(
            {
                "Update": {
                    "TableName": table_name("metrics"),
                    "Key": {"day": {"S": day}, "family": {"S": family}},
                    "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(moved))),
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        )
        owners.append(None)
    return items, owners
