"""The one timed action per ticket (services/timers.py): what keeping it
costs through a ticket's life, and what the reconciler reads.

Steps: one ticket's life through the API on the emulator, the dev clock
moved to each timed action, which is fired through `on_schedule` as
EventBridge Scheduler invokes it. Per step, the AWS calls of the request (or
the schedule's invocation) and then the stream consumer's, by service: each
change that moves the ticket's next timed action costs Scheduler calls in
the consumer, never in the request.

Reconciler: one run (every 5 minutes in AWS) with 1,000 and with 20,000
realistic tickets stored (bench/seed.py; the schedules due within its
look-ahead exist, as Scheduler would hold them). It must read only the
tickets whose timed action is overdue or due soon, whatever is stored."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

from .aws_calls import START, calls_of, emulated_app, operator_headers
from .capacity import reading

STORED = (1_000, 20_000)
KIM = "kim@shop.example"
LABELS = {"followup": "follow-up", "close": "close"}


def _by_service(calls: Counter) -> dict[str, int]:
    totals: Counter = Counter()
    for (service, _), count in calls.items():
        totals[service] += count
    return dict(sorted(totals.items()))


def _scheduler(calls: Counter) -> dict[str, int]:
    return {operation: n for (service, operation), n in sorted(calls.items()) if service == "scheduler"}


def lifecycle() -> dict:
    from chalicelib.container import container
    from chalicelib.domain.ticket import wake_of

    steps = {}
    with emulated_app() as client:
        from app import on_schedule  # after emulated_app has set the stage

        services = container()
        admin = operator_headers(client, "lead@shop.example", "admin")
        client.http.request("PUT", f"/agents/{KIM}", headers=admin, body=json.dumps({"available": True}))
        agent = operator_headers(client, KIM)
        form = {"name": "Ann Lee", "email": "ann@example.com", "subject": "Parcel", "message": "Where is my parcel?"}

        def post(path: str, body: dict, headers: dict = agent, method: str = "POST"):
            answer = client.http.request(method, path, headers=headers, body=json.dumps(body))
            if answer.status_code >= 300:
                raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.body!r}")
            return answer.json_body

        def timed(kind: str) -> None:
            """Move the clock to the ticket's next timed action and fire it as Scheduler would."""
            wake = wake_of(services.store.ticket(ticket), services.settings.ticket_rules)
            if wake is None or wake.kind != kind:
                raise RuntimeError(f"expected a {kind} to be due next, not {wake}")
            services.clock.advance(max(wake.at - services.clock.now(), timedelta()))
            steps[f"SLA {wake.sla_kind} fires" if kind == "sla" else f"{LABELS[kind]} fires"] = calls_of(
                lambda: on_schedule(wake.payload(ticket), None)
            )

        calls_of(
            lambda: post("/inquiries", form | {"email": "warm-up@example.com"}, {"Content-Type": "application/json"})
        )
        steps["intake"] = calls_of(lambda: post("/inquiries", form, {"Content-Type": "application/json"}))
        ticket = steps["intake"][2]["id"]
        timed("sla")  # the first response's warning
        path = f"/tickets/{ticket}"
        steps["first reply"] = calls_of(lambda: post(f"{path}/replies", {"body": "I asked the carrier."}))
        steps["pending"] = calls_of(lambda: post(path, {"status": "pending"}, method="PATCH"))
        steps["customer writes back"] = calls_of(lambda: services.tickets.customer_wrote(ticket, "Any news?"))
        steps["resolving reply"] = calls_of(
            lambda: post(f"{path}/replies", {"body": "It arrives today.", "resolve": True})
        )
        timed("followup")
        timed("close")
    return {
        name: {
            "request": _by_service(request.calls),
            "consumer": _by_service(consumer.calls),
            "scheduler": _scheduler(request.calls + consumer.calls),
        }
        for name, (request, consumer, _) in steps.items()
    }


def _arm_due_soon(lives, now: datetime) -> int:
    """The schedules Scheduler would hold for the tickets the reconciler looks
    at (due within its look-ahead), made as the consumer makes them."""
    from chalicelib.container import container
    from chalicelib.domain.ticket import wake_of
    from chalicelib.services import timers

    services = container()
    rules = services.settings.ticket_rules
    armed = 0
    for life in lives:
        wake = wake_of(life.ticket, rules)
        if wake is not None and now - timers.GRACE <= wake.at <= now + timers.LOOKAHEAD:
            services.timers.follow(wake.schedule(life.ticket.id), None)
            armed += 1
    return armed


def reconciler(stored: int) -> dict:
    from chalicelib.container import container

    from . import seed

    lives = seed.lives(stored, START)
    with emulated_app():
        seed.store(lives, search=False)
        due_soon = _arm_due_soon(lives, START)
        with reading() as reads:
            request, _, result = calls_of(container().timers.reconcile)
    return {
        "stored": stored,
        "due_soon": due_soon,
        "acted": len(result["acted"]),
        "repaired": len(result["repaired"]),
        "calls": _by_service(request.calls),
        "queries": reads.calls["Query"],
        "scans": reads.calls["Scan"],
        "entries": reads.entries,
        "fetched": reads.fetched,
        "units": reads.units,
    }


def measure() -> dict:
    return {"lifecycle": lifecycle(), "reconciler": [reconciler(n) for n in STORED]}


def _services(counts: dict[str, int]) -> str:
    return f"{sum(counts.values()):2d}" + (f" ({', '.join(f'{k} {v}' for k, v in counts.items())})" if counts else "")


def report(result: dict) -> list[str]:
    lines = [
        "Timed actions: AWS calls per step of a ticket's life, in the request (or the schedule's invocation) "
        "and in the stream consumer",
        f"    {'step':24s} {'request':36s} {'consumer':54s} Scheduler",
    ]
    for step, counts in result["lifecycle"].items():
        scheduler = ", ".join(f"{op} {n}" for op, n in counts["scheduler"].items()) or "-"
        lines.append(
            f"    {step:24s} {_services(counts['request']):36s} {_services(counts['consumer']):54s} {scheduler}"
        )
    runs = result["reconciler"]
    follows = all(r["entries"] == r["due_soon"] and not r["scans"] for r in runs)
    lines.append(
        f"Reconciler, one run: reads follow the tickets due soon, not those stored ({'PASS' if follows else 'FAIL'})"
    )
    for r in runs:
        lines.append(
            f"    {r['stored']:>6,} stored, {r['due_soon']:3d} due within the look-ahead: {r['queries']} queries "
            f"reading {r['entries']} index entries, {r['fetched']} tickets fetched, {r['scans']} scans, "
            f"{r['units']:.1f} RU; calls {_services(r['calls'])}; acted on {r['acted']}, "
            f"re-created {r['repaired']}"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
