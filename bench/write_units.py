"""Write units per ticket lifecycle: intake (with automatic assignment),
two replies, resolve, follow-up, feedback, close; through the API and the
dev clock on the emulator, the stream consumer's writes included, charged by
bench/capacity.py (DynamoDB's sizing rules, because moto's consumed capacity
is canned).

Once for a ticket alone (every change its own stream batch: the worst
case), and once for many tickets living their lives side by side, where the
consumer folds counters per batch as it does under load."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from .aws_calls import emulated_app, operator_headers
from .capacity import Meter, metering

STEPS = ("intake", "reply", "reply again", "resolve", "follow-up", "feedback", "close")
AGENTS = ("kim@shop.example", "lou@shop.example")


def _act(client, step: str, ticket: dict, n: int, agent: dict) -> None:
    """One step of one ticket's life, as its people make it."""
    from chalicelib.container import container
    from chalicelib.domain.feedback import make_token

    path = f"/tickets/{ticket['id']}" if ticket else ""
    if step == "intake":
        answer = client.http.post(
            "/inquiries",
            headers={"Content-Type": "application/json"},
            body=json.dumps(
                {
                    "name": "Ann Lee",
                    "email": f"customer{n}@example.com",
                    "subject": "Parcel",
                    "message": "Hello, my parcel has not arrived yet. Order A-1001, sent last Monday. Can you check?",
                }
            ),
        )
        ticket.update(answer.json_body)
    elif step in ("reply", "reply again"):
        client.http.post(
            f"{path}/replies",
            headers=agent,
            body=json.dumps(
                {
                    "body": "Hi Ann, I checked with the carrier: your parcel is in the local depot and will be "
                    "delivered tomorrow morning. I'll keep an eye on it for you."
                }
            ),
        )
    elif step == "resolve":
        client.http.request("PATCH", path, headers=agent, body=json.dumps({"status": "resolved"}))
    elif step == "feedback":
        services = container()
        token = make_token(ticket["id"], services.clock.now() + timedelta(days=30), services.signing_key())
        client.http.post(
            f"/feedback/{token}", headers={"Content-Type": "application/json"}, body=json.dumps({"csat": 5, "nps": 9})
        )


def _advance(client, step: str) -> None:
    """The follow-up and the close come from the dev clock, once for all tickets."""
    minutes = {"follow-up": 48 * 60, "close": 24 * 60}.get(step)
    if minutes:
        client.http.post(
            "/_dev/clock", headers={"Content-Type": "application/json"}, body=json.dumps({"advance_minutes": minutes})
        )


def _lifecycles(client, count: int) -> tuple[dict[str, Meter], dict[str, Meter]]:
    """Each step for all `count` tickets, then the consumer once: request and
    consumer units per step."""
    from local.stream import drain

    agent = operator_headers(client, AGENTS[0], "agent")
    tickets = [{} for _ in range(count)]
    requests: dict[str, Meter] = {}
    consumer: dict[str, Meter] = {}
    for step in STEPS:
        with metering() as meter:
            for n, ticket in enumerate(tickets):
                _act(client, step, ticket, n, agent)
        requests[step] = meter
        with metering() as meter:
            _advance(client, step)  # timed actions: the schedule's handler and the consumer
            drain()
        consumer[step] = meter
    return requests, consumer


def measure(count: int = 40) -> dict:
    results = {}
    for label, tickets in (("alone", 1), ("side by side", count)):
        with emulated_app() as client:
            admin = operator_headers(client, "lead@shop.example", "admin")
            for email in AGENTS:
                client.http.request("PUT", f"/agents/{email}", headers=admin, body=json.dumps({"available": True}))
            requests, consumer = _lifecycles(client, tickets)
        table, index = Counter(), Counter()
        for meter in [*requests.values(), *consumer.values()]:
            table.update(meter.table)
            index.update(meter.index)
        results[label] = {
            "tickets": tickets,
            "per_step": {step: (requests[step].total / tickets, consumer[step].total / tickets) for step in STEPS},
            "per_lifecycle": (sum(table.values()) + sum(index.values())) / tickets,
            "tables": {k: v / tickets for k, v in sorted(table.items())},
            "indexes": {k: v / tickets for k, v in sorted(index.items())},
        }
    return results  # a reported figure: issue 20 retired issue 9's goal of 40 (bench/cost.py prices them)


def report(result: dict) -> list[str]:
    lines = []
    for label in ("alone", "side by side"):
        r = result[label]
        lines.append(f"Write units per ticket lifecycle, {label} ({r['tickets']} ticket(s)): {r['per_lifecycle']:.1f}")
        lines += [
            f"    {step:12s} request {req:5.1f}  consumer {con:5.1f}" for step, (req, con) in r["per_step"].items()
        ]
        lines.append("    by table:  " + ", ".join(f"{k} {v:.1f}" for k, v in r["tables"].items()))
        lines.append("    by index:  " + ", ".join(f"{k} {v:.1f}" for k, v in r["indexes"].items()))
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
