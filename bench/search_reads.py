"""Search (GET /tickets?q=): what a page of results reads from the search
index, and what the index costs in writes per ticket.

Reads: posting lists of 1,000 and 5,000 tickets (written straight through the
model; the words follow a Zipf-like spread, as words in support mail do),
queried through the store and domain.listing.intersect exactly as the API
does. Read amplification = index entries read / tickets returned; each
Query is also billed at least half a read unit (eventually consistent, per
4 KB), so the queries are counted too.

Writes: one realistic ticket life through the API and the stream consumer
(intake, a reply, the customer writing back, a resolving reply, the close),
every DynamoDB write it causes sized as DynamoDB bills it (1 KB per write
unit, transactions twice), the search table's apart from the rest."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

from .aws_calls import emulated_app

JSON = {"Content-Type": "application/json"}
VOCABULARY = 3000
WORDS_PER_TICKET = 25
STATUSES = (("status:closed", 0.5), ("status:resolved", 0.2), ("status:open", 0.2), ("status:new", 0.1))
PAGE = 25
# (name, query words by popularity rank, filters)
QUERIES = (
    ("one common word", (1,), ()),
    ("one rare word", (400,), ()),
    ("two common words", (1, 2), ()),
    ("rare + common word", (400, 1), ()),
    ("common word + status=open", (1,), ("status:open",)),
    ("three mid words", (20, 30, 40), ()),
    ("no match", (2900, 2901), ()),
)


def _word(rank: int) -> str:
    return f"w{rank:04d}"


def _store_postings(count: int, seed: int = 7) -> None:
    """`count` tickets' postings, newest with the highest ids."""
    from chalicelib.adapters.tables import Posting
    from chalicelib.domain.identifiers import new_ticket_id

    rng = random.Random(seed)
    ranks = list(range(1, VOCABULARY + 1))
    weights = [1 / r for r in ranks]  # Zipf: the n-th most common word n times rarer than the first
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with Posting.batch_write() as batch:
        for n in range(count):
            ticket_id = new_ticket_id(start + timedelta(minutes=n))
            terms = {_word(r) for r in rng.choices(ranks, weights, k=WORDS_PER_TICKET)}
            terms.add(rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0])
            for term in terms:
                batch.save(Posting(term, ticket_id))


def _query_bytes(items: list[dict]) -> int:
    return sum(_size(item) for item in items)


@contextmanager
def _reads():
    """Index entries read, Query calls and read units billed, while inside."""
    from botocore.client import BaseClient

    seen, call = Counter(), BaseClient._make_api_call

    def counted(client, operation, params):
        answer = call(client, operation, params)
        if operation == "Query":
            seen["entries"] += answer.get("Count", 0)
            seen["queries"] += 1
            seen["read_units"] += 0.5 * max(1, math.ceil(_query_bytes(answer.get("Items", [])) / 4096))
        return answer

    with mock.patch.object(BaseClient, "_make_api_call", counted):
        yield seen


def _search(terms: tuple[str, ...], limit: int, below: str | None):
    from chalicelib.container import container
    from chalicelib.domain.listing import intersect

    return intersect(len(terms), below, limit, container().posting_store.search_reader(terms))


def reads(stored: int) -> dict:
    results = {}
    with emulated_app():
        _store_postings(stored)
        for name, ranks, filters in QUERIES:
            terms = tuple(_word(r) for r in ranks) + tuple(filters)
            with _reads() as first:
                page = _search(terms, PAGE, None)
            with _reads() as whole:  # every page of the listing, as an operator paging to the end
                returned, below = 0, None
                while True:
                    found = _search(terms, PAGE, below)
                    returned += len(found.ids)
                    if found.below is None:
                        break
                    below = found.below
            results[name] = {
                "page_returned": len(page.ids),
                "page_entries": first["entries"],
                "page_queries": first["queries"],
                "page_read_units": first["read_units"],
                "all_returned": returned,
                "all_entries": whole["entries"],
                "all_queries": whole["queries"],
                "amplification": round(whole["entries"] / returned, 2) if returned else None,
            }
    return results


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
    return {"reads": {stored: reads(stored) for stored in (1_000, 5_000)}, "writes": writes()}


def report(result: dict) -> list[str]:
    lines = [
        f"GET /tickets?q=: the search index read per page of {PAGE} and per whole listing "
        "(amplification = index entries read / tickets returned)"
    ]
    for stored, queries in result["reads"].items():
        for name, r in queries.items():
            amp = "—" if r["amplification"] is None else f"{r['amplification']:.2f}"
            lines.append(
                f"    {stored:>6,} tickets  {name:26s} page: {r['page_returned']:3d} returned, "
                f"{r['page_entries']:4d} entries, {r['page_queries']:3d} queries, {r['page_read_units']:5.1f} RU"
                f" | all pages: {r['all_returned']:5d} returned, {r['all_entries']:6d} entries,"
                f" {r['all_queries']:4d} queries, amplification {amp}"
            )
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
