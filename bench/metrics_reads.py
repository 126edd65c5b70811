"""GET /metrics (the metrics page's default period, 30 days): what it reads
with 1,000 and with 20,000 realistic tickets stored (bench/seed.py), the
day items of the counters being what the stream consumer adds up for them
(the app's own recompute, adapters/counters.py).

A report reads the period's day items (one Query per day: the shop's
counters, the response-time sketch and one item per agent active that day),
the agent roster, and the backlog: the keys of every open ticket, counted
when the report is read. Reads are counted at botocore, by table and index."""

from __future__ import annotations

from datetime import timedelta

from .aws_calls import START, emulated_app, operator_headers
from .capacity import reading

STORED = (1_000, 20_000)
DAYS = 30


def reads(stored: int) -> dict:
    from . import seed

    lives = seed.lives(stored, START)
    since, until = (START - timedelta(days=DAYS - 1)).date(), START.date()
    with emulated_app() as client:
        seed.store(lives, search=False)
        seed.count_metrics(lives)
        headers = operator_headers(client, "lead@shop.example", "admin")
        with reading() as counted:
            answer = client.http.get(f"/metrics?since={since}&until={until}", headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"GET /metrics: {answer.status_code} {answer.body!r}")
    figures = answer.json_body
    opened = sum(1 for life in lives if since <= life.ticket.created_at.date() <= until)
    open_now = sum(1 for life in lives if life.ticket.is_open)
    seen = (figures["volume"]["total"], sum(figures["backlog"]["by_status"].values()))
    if seen != (opened, open_now):  # the report must be the one these tickets make
        raise RuntimeError(f"volume and backlog {seen}, expected {(opened, open_now)}")
    return {
        "stored": stored,
        "calls": dict(counted.calls),
        "read": dict(counted.query),
        "units": dict(counted.units_at),
        "scans": counted.calls["Scan"],
        "volume": opened,
        "open": open_now,
        "agents": len({life.ticket.assignee for life in lives if life.ticket.assignee}),
    }


def measure() -> list[dict]:
    return [reads(n) for n in STORED]


def report(result: list[dict]) -> list[str]:
    small, large = result
    bound = DAYS * (2 + large["agents"])  # shop counters, time sketch, one per agent: per day
    counters_follow_days = all(r["read"].get("metrics", 0) <= bound and not r["scans"] for r in result)
    backlog_follows_open = all(r["read"].get("tickets.by_priority", 0) == r["open"] for r in result)
    lines = [f"GET /metrics for {DAYS} days: DynamoDB reads by table and index"]
    for r in result:
        where = ", ".join(f"{k} {v:,} ({r['units'].get(k, 0):.1f} RU)" for k, v in sorted(r["read"].items()))
        calls = ", ".join(f"{op} {n}" for op, n in sorted(r["calls"].items()))
        lines.append(
            f"    {r['stored']:>6,} tickets stored ({r['open']:,} open; {r['volume']:,} came in during the "
            f"period): {calls}; items read: {where}; {sum(r['units'].values()):.1f} RU in all"
        )
    lines.append(
        f"  day items: at most {bound} for {DAYS} days at any volume "
        f"({'PASS' if counters_follow_days else 'FAIL'}: reads follow days, not tickets)"
    )
    lines.append(
        f"  backlog: one index entry per open ticket ({small['open']:,} and {large['open']:,}): "
        f"{'FAIL' if backlog_follows_open else 'PASS'}: these reads follow the open tickets, not days"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
