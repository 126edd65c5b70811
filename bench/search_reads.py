"""Search: what the index costs in writes per ticket. (What a page of
results reads, search words with every filter and order, is measured at
20,000 tickets by bench/listing_reads.py, through the API.)

One realistic ticket life through the API and the stream consumer
(intake, a reply, the customer writing back, a resolving reply, the close),
every DynamoDB write it causes sized as DynamoDB bills it (1 KB per write
unit, transactions twice), the search table's apart from the rest."""

from __future__ import annotations

import json
import math
from collections import Counter
from contextlib import contextmanager
from unittest import mock

from .aws_calls import emulated_app

JSON = {"Content-Type": "application/json"}


# Writes


def _size(value) -> int:
    """DynamoDB's size of an attribute value (or of an item: a map of them), in bytes."""
    if "S" in value:
        return len(value["S"].encode())
    if "N" in value:
        return len(value["N"].lstrip("-").replace(".", "")) // 2 + 1
    if "B" in value:
        return len(value["B"])
    if "SS" in value:
        return sum(len(s.encode()) for s in value["SS"])
    if "BOOL" in value or "NULL" in value:
        return 1
    if "L" in value:
        return 3 + sum(1 + _size(v) for v in value["L"])
    if "M" in value:
        return 3 + sum(1 + len(k.encode()) + _size(v) for k, v in value["M"].items())
    return sum(len(k.encode()) + _size(v) for k, v in value.items())  # an item


def _units(item: dict | None) -> int:
    return max(1, math.ceil(_size(item or {}) / 1024))


@contextmanager
def _writes():
    """Write units per table while inside: puts and deletes sized from the
    item written (a delete as a small item), an update counted as one unit
    (a floor: DynamoDB bills the larger of the item before and after),
    transactions twice."""
    from botocore.client import BaseClient

    units, call = Counter(), BaseClient._make_api_call

    def counted(client, operation, params):
        if operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                units[body["TableName"].rsplit("-", 1)[-1]] += 2 * (_units(body["Item"]) if kind == "Put" else 1)
        elif operation == "PutItem":
            units[params["TableName"].rsplit("-", 1)[-1]] += _units(params["Item"])
        elif operation in ("UpdateItem", "DeleteItem"):
            units[params["TableName"].rsplit("-", 1)[-1]] += 1
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                units[table.rsplit("-", 1)[-1]] += sum(_units(r.get("PutRequest", {}).get("Item")) for r in requests)
        return call(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", counted):
        yield units


MESSAGE = (
    "Hello, I ordered the green rain jacket in size M two weeks ago (order A-10492) and it still has not "
    "arrived. The tracking page says it left your warehouse on Monday but nothing has moved since. Could you "
    "please check with the carrier what happened? I need it for a hiking trip next weekend."
)
AGAIN = (
    "Thanks for checking. The carrier now says Friday, which is too late for my trip. Can I cancel and get a refund?"
)


def writes() -> dict:
    """Write units of one ticket's life, per step, search apart."""
    from chalicelib.container import container
    from local.stream import drain

    steps = {}
    with emulated_app() as client:
        token = client.http.post(
            "/_dev/token", headers=JSON, body=json.dumps({"email": "kim@shop.example", "role": "agent"})
        ).json_body["token"]
        operator = JSON | {"Authorization": f"Bearer {token}"}

        def step(name, act):
            with _writes() as units:
                act()
                drain()
            steps[name] = dict(units)

        created = {}
        step(
            "intake (and its acknowledgement)",
            lambda: created.update(
                client.http.post(
                    "/inquiries",
                    headers=JSON,
                    body=json.dumps(
                        {
                            "name": "Ann Lee",
                            "email": "ann@example.com",
                            "subject": "Rain jacket not arrived",
                            "message": MESSAGE,
                        }
                    ),
                ).json_body
            ),
        )
        ticket = created["id"]
        step(
            "first reply",
            lambda: client.http.post(
                f"/tickets/{ticket}/replies",
                headers=operator,
                body=json.dumps({"body": "I asked the carrier and will get back to you today."}),
            ),
        )
        step("customer writes back", lambda: container().tickets.customer_wrote(ticket, AGAIN))
        step(
            "resolving reply",
            lambda: client.http.post(
                f"/tickets/{ticket}/replies",
                headers=operator,
                body=json.dumps({"body": "I cancelled the order and refunded you in full.", "resolve": True}),
            ),
        )
        step(
            "closed",
            lambda: client.http.patch(f"/tickets/{ticket}", headers=operator, body=json.dumps({"status": "closed"})),
        )
        indexed = len(container().posting_store.indexed_terms(ticket))
    total = Counter()
    for units in steps.values():
        total.update(units)
    search = total.get("search", 0)
    return {"steps": steps, "search_units": search, "other_units": sum(total.values()) - search, "terms": indexed}


def measure() -> dict:
    return {"writes": writes()}


def report(result: dict) -> list[str]:
    lines = []
    w = result["writes"]
    lines.append(
        f"Write units of one ticket's life (intake, reply, customer writes back, resolving reply, close); "
        f"{w['terms']} search terms at the end"
    )
    for name, units in w["steps"].items():
        lines.append(
            f"    {name:34s} search {units.get('search', 0):3d}"
            f"  other {sum(units.values()) - units.get('search', 0):3d}"
            f"  ({', '.join(f'{t} {u}' for t, u in sorted(units.items()))})"
        )
    share = 100 * w["search_units"] / max(1, w["search_units"] + w["other_units"])
    lines.append(
        f"    total: search {w['search_units']} WCU, the rest of the app >= {w['other_units']} WCU "
        f"(search {share:.0f} % of the writes)"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
