"""The operator inbox at 20,000 tickets: what the first three pages of 25 of
`GET /tickets` read, for every filter combination the inbox offers (search
included), through the API on the emulator.

The tickets are 30 days of realistic lives (bench/seed.py: statuses,
priorities, assignees, categories, tags, callbacks and SLA clocks as the
app's own transitions leave them), put straight into the emulator; a few
are read back through `GET /tickets/{id}` to see the app takes them as its own.

Reads are counted at botocore, from the calls the app makes (bench/capacity.py
`reading`), and checked against the count each page reports (`read`). The
indexes project keys only, so a page reads index entries (which tickets, in
order: a search reads postings) and then fetches those tickets (one
BatchGetItem): at best one of each per ticket returned. Read amplification
(issue 9: at most 1.2 for every supported combination) is therefore taken
for each kind: index entries per ticket returned, and tickets fetched per
ticket returned; their sum starts at 2.0 by construction. Read units are what
DynamoDB bills (eventually consistent: half a unit per 4 KB a Query reads,
and per ticket a BatchGetItem returns)."""

from __future__ import annotations

import json
from urllib.parse import quote

from .aws_calls import START, emulated_app
from .capacity import reading

TICKETS = 20_000
PAGES, LIMIT = 3, 25
GOAL = 1.2
KIM = "kim@shop.example"
# (what an operator looks at, its query string)
ROWS = (
    ("unfiltered", ""),
    ("status=open", "status=open"),
    ("priority=urgent", "priority=urgent"),
    ("assignee=kim", f"assignee={KIM}"),
    ("category=billing", "category=billing"),
    ("status=open & priority=high", "status=open&priority=high"),
    ("status=open & assignee=kim", f"status=open&assignee={KIM}"),
    ("status=new & category=shipping", "status=new&category=shipping"),
    ("tag=refund", "tag=refund"),
    ("sort=sla", "sort=sla"),
    ("callback=requested", "callback=requested"),
    ("q=parcel", "q=parcel"),
    ("q=parcel tracking", "q=parcel tracking"),
    ("q=okafor jacket", "q=okafor jacket"),
    ("q=parcel & status=open", "q=parcel&status=open"),
    ("q=charged twice & assignee=kim", f"q=charged twice&assignee={KIM}"),
)
REFUSED = f"priority=high&assignee={KIM}"  # no index serves it: a 400, never an unbounded read
CHECKED = 8  # seeded tickets read back through the API


def _url(query: str, cursor: str | None) -> str:
    parts = [f"limit={LIMIT}"] + [f"{k}={quote(v)}" for k, v in (p.split("=", 1) for p in query.split("&") if p)]
    return "/tickets?" + "&".join(parts + ([f"cursor={quote(cursor)}"] if cursor else []))


def _pages(client, headers: dict, query: str) -> dict:
    """The first PAGES pages of a listing, as the inbox pages on."""
    returned = reported = pages = 0
    cursor = None
    with reading() as reads:
        while pages < PAGES:
            answer = client.http.get(_url(query, cursor), headers=headers)
            if answer.status_code != 200:
                raise RuntimeError(f"GET {_url(query, cursor)}: {answer.status_code} {answer.body!r}")
            page = answer.json_body
            pages += 1
            returned += len(page["items"])
            reported += page["read"]["index_entries"]
            cursor = page["next_cursor"]
            if not cursor:
                break
    return {
        "pages": pages,
        "returned": returned,
        "entries": reads.entries,
        "reported": reported,
        "fetched": reads.fetched,
        "queries": reads.calls["Query"],
        "batches": reads.calls["BatchGetItem"],
        "other_calls": sum(n for op, n in reads.calls.items() if op not in ("Query", "BatchGetItem")),
        "units": reads.units,
    }


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
            body=json.dumps({"email": KIM, "role": "agent"}),
        ).json_body["token"]
        headers = {"Authorization": f"Bearer {token}"}
        checked = _check(client, headers, lives)
        rows = {name: _pages(client, headers, query) for name, query in ROWS}
        with reading() as refused_reads:
            refused = client.http.get(_url(REFUSED, None), headers=headers)
    return {
        "tickets": tickets,
        "written": dict(written),
        "checked": checked,
        "rows": rows,
        "mix": {k: dict(v) for k, v in seed.mix(lives).items()},
        "refused": {"status": refused.status_code, "reads": sum(refused_reads.calls.values())},
    }


def _ratio(count: int, returned: int) -> float | None:
    return count / returned if returned else None


def verdict(row: dict) -> str:
    """PASS when each kind of read is within the goal per ticket returned; a
    listing that returns nothing passes if it read nothing."""
    if not row["returned"]:
        return "PASS" if row["entries"] + row["fetched"] == 0 else "FAIL"
    return "PASS" if max(row["entries"], row["fetched"]) <= GOAL * row["returned"] else "FAIL"


def _share(counts: dict, total: int) -> str:
    return ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def report(result: dict) -> list[str]:
    total = result["tickets"]
    mix = result["mix"]
    lines = [
        f"GET /tickets: the first {PAGES} pages of {LIMIT} at {total:,} tickets (read amplification goal: "
        f"<= {GOAL} index entries and <= {GOAL} tickets fetched per ticket returned)",
        f"  stored: {', '.join(f'{n:,} {t} items' for t, n in result['written'].items())}; "
        f"{result['checked']} read back through GET /tickets/{{id}} as seeded",
        f"  status: {_share(mix['status'], total)}",
        f"  priority: {_share(mix['priority'], total)}; "
        f"tagged: {sum(mix['tag'].values()):,}; unassigned: {mix['assignee'].get('-', 0):,}",
        f"  {'listing':32s} {'pages':>5s} {'returned':>8s} {'queries':>7s} {'entries':>7s} {'fetched':>7s}"
        f" {'entries/ret':>11s} {'fetched/ret':>11s} {'RU':>6s} {'RU/ret':>6s}",
    ]
    for name, row in result["rows"].items():
        ratios = [_ratio(row[k], row["returned"]) for k in ("entries", "fetched")]
        shown = ["—" if r is None else f"{r:.2f}" for r in ratios]
        unit = "—" if not row["returned"] else f"{row['units'] / row['returned']:.2f}"
        mismatch = "" if row["entries"] == row["reported"] else f" (the API reported {row['reported']})"
        lines.append(
            f"  {name:32s} {row['pages']:5d} {row['returned']:8d} {row['queries']:7d} {row['entries']:7d}"
            f" {row['fetched']:7d} {shown[0]:>11s} {shown[1]:>11s} {row['units']:6.1f} {unit:>6s}"
            f"  {verdict(row)}{mismatch}"
        )
    refused = result["refused"]
    lines.append(
        f"  {REFUSED.replace('&', ' & ')}: HTTP {refused['status']} with {refused['reads']} DynamoDB reads "
        "(no index serves it: refused, never read unboundedly)"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
