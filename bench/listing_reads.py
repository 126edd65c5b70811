"""The operator inbox at 20,000 tickets: what each page of 25 of
`GET /tickets` reads for the filter combinations the admin page offers
(every single filter, every pair, four triples, search words with filters,
the SLA order with filters), paged through the API on the emulator as an
operator pages on, to the end or MAX_PAGES.

The tickets are 30 days of realistic lives (bench/seed.py: statuses,
priorities, assignees, categories, tags, callbacks and SLA clocks as the
app's own transitions leave them), put straight into the emulator; a few
are read back through `GET /tickets/{id}` to see the app takes them as its own.

Reads are counted at botocore (bench/capacity.py `reading`), from the calls
the app makes, and checked against what each page reports (`read`). Read
units are what DynamoDB bills (eventually consistent: half a unit per 4 KB a
Query reads or counts, and per ticket a BatchGetItem returns). Round trips:
each DynamoDB call is made to wait LATENCY first, as a network would, and
the longest chain of calls each begun after the previous one ended is what
the operator waits for; the page's own count of them (`read.round_trips`)
must agree.

Goals (issue 20): every page at most 3 sequential round trips and at most 50
read units."""

from __future__ import annotations

import json
import math
from urllib.parse import quote

from .aws_calls import START, emulated_app
from .capacity import reading

TICKETS = 20_000
LIMIT = 25
MAX_PAGES = 40
SAMPLED = 5  # pages measured of a listing whose count alone says it is longer than MAX_PAGES
LATENCY = 0.05  # seconds per DynamoDB call: parallel calls overlap even when the emulator keeps a thread waiting
GOAL_TRIPS, GOAL_UNITS = 3, 50.0
KIM = "kim@shop.example"
VALUES = {"status": "open", "priority": "urgent", "assignee": "me", "category": "shipping", "tag": "refund"}
PAIRS = [(a, b) for i, a in enumerate(VALUES) for b in list(VALUES)[i + 1 :]]
TRIPLES = [
    ("status", "priority", "assignee"),
    ("priority", "assignee", "category"),
    ("assignee", "category", "tag"),
    ("status", "category", "tag"),
]


def _query(*names: str, **extra: str) -> str:
    return "&".join([f"{n}={VALUES[n]}" for n in names] + [f"{k}={v}" for k, v in extra.items()])


# (what an operator looks at, its query string)
ROWS = (
    [("unfiltered", "")]
    + [(f"{n}={v}", _query(n)) for n, v in VALUES.items()]
    + [(" & ".join(f"{n}={VALUES[n]}" for n in pair), _query(*pair)) for pair in PAIRS]
    + [("priority=high & category=shipping", "priority=high&category=shipping")]
    + [(" & ".join(f"{n}={VALUES[n]}" for n in triple), _query(*triple)) for triple in TRIPLES]
    + [
        ("q=parcel", "q=parcel"),
        ("q=charged twice", "q=charged twice"),
        ("q=parcel & status=open", "q=parcel&status=open"),
        ("q=parcel & assignee=me", "q=parcel&assignee=me"),
        ("q=jacket & category=returns", "q=jacket&category=returns"),
        ("q=tracking & priority=urgent & assignee=me", "q=tracking&priority=urgent&assignee=me"),
        ("q=charged twice & tag=refund", "q=charged twice&tag=refund"),
        ("sort=sla", "sort=sla"),
        ("sort=sla & assignee=me", "sort=sla&assignee=me"),
        ("sort=sla & priority=urgent", "sort=sla&priority=urgent"),
        ("sort=sla & status=open & category=shipping", "sort=sla&status=open&category=shipping"),
        ("sort=sla & tag=refund", "sort=sla&tag=refund"),
        ("sort=sla & assignee=me & tag=refund", "sort=sla&assignee=me&tag=refund"),
        ("sort=sla & q=parcel", "sort=sla&q=parcel"),
        ("sort=sla & q=parcel & assignee=me", "sort=sla&q=parcel&assignee=me"),
        ("callback=requested", "callback=requested"),
    ]
)
CHECKED = 8  # seeded tickets read back through the API


def _url(query: str, cursor: str | None) -> str:
    parts = [f"limit={LIMIT}"] + [f"{k}={quote(v)}" for k, v in (p.split("=", 1) for p in query.split("&") if p)]
    return "/tickets?" + "&".join(parts + ([f"cursor={quote(cursor)}"] if cursor else []))


def _pages(client, headers: dict, query: str) -> dict:
    """Every page of a listing (to MAX_PAGES), as the inbox pages on: each page's reads."""
    pages, cursor = [], None
    while len(pages) < MAX_PAGES:
        with reading(LATENCY) as reads:
            answer = client.http.get(_url(query, cursor), headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {_url(query, cursor)}: {answer.status_code} {answer.body!r}")
        page = answer.json_body
        pages.append(
            {
                "returned": len(page["items"]),
                "trips": reads.round_trips,
                "reported_trips": page["read"]["round_trips"],
                "queries": reads.calls["Query"],
                "batches": reads.calls["BatchGetItem"],
                "other_calls": sum(n for op, n in reads.calls.items() if op not in ("Query", "BatchGetItem")),
                "entries": reads.entries,
                "reported_entries": page["read"]["index_entries"],
                "counted": sum(reads.counted.values()),
                "fetched": reads.fetched,
                "units": reads.units,
                "count": page["count"],
                "searched_to": page["searched_to"],
            }
        )
        cursor = page["next_cursor"]
        if not cursor:
            break
        count = pages[0]["count"]
        if count and count["value"] > MAX_PAGES * LIMIT and len(pages) >= SAMPLED:
            break  # its count says it runs past MAX_PAGES of full pages: a few pages show what each costs
    return {"pages": pages, "ended": not cursor}


def _check(client, headers: dict, lives) -> int:
    """Seeded tickets read back through the API are what the lives made."""
    step = max(1, len(lives) // CHECKED)
    for life in lives[::step][:CHECKED]:
        t = life.ticket
        view = client.http.get(f"/tickets/{t.id}", headers=headers).json_body
        seen = (
            view["reference"],
            view["status"],
            view["priority"],
            view["assignee"],
            view["category"],
            sorted(view["tags"]),
        )
        if seen != (t.reference, t.status, t.priority, t.assignee, t.category, sorted(t.tags)):
            raise RuntimeError(f"ticket {t.id} reads back as {seen}")
    return min(CHECKED, len(lives[::step]))


def measure(tickets: int = TICKETS) -> dict:
    from . import seed

    lives = seed.lives(tickets, START)
    with emulated_app() as client:
        written = seed.store(lives)
        token = client.http.post(
            "/_dev/token",
            headers={"Content-Type": "application/json"},
            # An admin: an agent's calls also read the roster once a minute
            # (services/directory.py ADMITTED_FOR), which is no listing's read.
            body=json.dumps({"email": KIM, "role": "admin"}),
        ).json_body["token"]
        headers = {"Authorization": f"Bearer {token}"}
        checked = _check(client, headers, lives)
        rows = {name: _pages(client, headers, query) for name, query in ROWS}
    return {
        "tickets": tickets,
        "written": dict(written),
        "checked": checked,
        "rows": rows,
        "mix": {k: dict(v) for k, v in seed.mix(lives).items()},
    }


def verdict(row: dict) -> str:
    worst_trips = max(p["trips"] for p in row["pages"])
    worst_units = max(p["units"] for p in row["pages"])
    return "PASS" if worst_trips <= GOAL_TRIPS and worst_units <= GOAL_UNITS else "FAIL"


def count_shown(count: dict | None) -> str:
    """As the inbox shows it."""
    if count is None:
        return "more…"
    return f"{count['value']:,}" if count["exact"] else f"{count['value']:,}+"


def pages_to_end(row: dict) -> str:
    pages = row["pages"]
    if row["ended"]:
        return str(len(pages))
    count = pages[0]["count"]
    if count and count["exact"]:
        return f"{math.ceil(count['value'] / LIMIT)}*"  # every page full: the count says how many
    if count:
        return f">{max(len(pages), count['value'] // LIMIT)}"
    return f">{len(pages)}"


def _share(counts: dict, total: int) -> str:
    return ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def report(result: dict) -> list[str]:
    total = result["tickets"]
    mix = result["mix"]
    lines = [
        f"GET /tickets at {total:,} tickets, pages of {LIMIT} to the end (or {MAX_PAGES} pages): goals per page "
        f"<= {GOAL_TRIPS} sequential round trips, <= {GOAL_UNITS:.0f} read units",
        f"  stored: {', '.join(f'{n:,} {t} items' for t, n in result['written'].items())}; "
        f"{result['checked']} read back through GET /tickets/{{id}} as seeded",
        f"  status: {_share(mix['status'], total)}",
        f"  priority: {_share(mix['priority'], total)}; "
        f"tagged: {sum(mix['tag'].values()):,}; unassigned: {mix['assignee'].get('-', 0):,}",
        f"  {'listing':46s} {'1st page: trips':>15s} {'queries':>7s} {'entries':>7s} {'counted':>7s} {'RU':>5s}"
        f" {'shown':>5s} | {'pages':>5s} {'max trips':>9s} {'max RU':>6s} {'RU/ticket':>9s} {'count':>7s}",
    ]
    for name, row in result["rows"].items():
        pages, first = row["pages"], row["pages"][0]
        returned = sum(p["returned"] for p in pages)
        units = sum(p["units"] for p in pages)
        per_ticket = f"{units / returned:.2f}" if returned else "—"
        mismatch = [p for p in pages if p["entries"] != p["reported_entries"] or p["trips"] != p["reported_trips"]]
        lines.append(
            f"  {name:46s} {first['trips']:15d} {first['queries']:7d} {first['entries']:7d} {first['counted']:7d}"
            f" {first['units']:5.1f} {first['returned']:5d} | {pages_to_end(row):>5s}"
            f" {max(p['trips'] for p in pages):9d} {max(p['units'] for p in pages):6.1f} {per_ticket:>9s}"
            f" {count_shown(first['count']):>7s}  {verdict(row)}"
            + (f" (the API reported other reads on {len(mismatch)} pages)" if mismatch else "")
        )
    lines.append(
        "  (pages: to the end; n* = the count's pages, each full, when the bench stopped earlier, >n: more than n; "
        "count: what the first page shows, n+ at least n)"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
