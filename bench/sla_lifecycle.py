"""SLA engine cost: AWS calls (Scheduler and DynamoDB) per step of a
ticket's life and per SLA event, and the reconciler's reads, which must
follow the tickets due, not all tickets stored."""
from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from unittest import mock

from .aws_calls import counting_calls, emulated_app

JSON = {"Content-Type": "application/json"}


def _by_service(calls: Counter) -> dict[str, int]:
    totals: Counter = Counter()
    for (service, _), count in calls.items():
        totals[service] += count
    return dict(sorted(totals.items()))


def _create(client, n: int) -> str:
    body = {"name": "Ann Lee", "email": f"c{n}@example.com", "message": "Where is my parcel?"}
    response = client.http.post("/inquiries", headers=JSON, body=json.dumps(body))
    assert response.status_code == 201, response.body
    return response.json_body["id"]


def lifecycle() -> dict:
    from chalicelib.container import container

    with emulated_app() as client:
        token = client.http.post("/_dev/token", headers=JSON, body=json.dumps(
            {"email": "kim@shop.example", "role": "agent"})).json_body["token"]
        operator = JSON | {"Authorization": f"Bearer {token}"}
        _create(client, 0)  # warm-up: clients and validators built
        steps = {}
        with counting_calls() as tally:
            ticket_id = _create(client, 1)
        steps["intake"] = tally
        for name, method, path, body in (
                ("first reply", "POST", "replies", {"body": "On it."}),
                ("pending", "PATCH", "", {"status": "pending"})):
            with counting_calls() as tally:
                client.http.request(method, f"/tickets/{ticket_id}" + (f"/{path}" if path else ""),
                                    headers=operator, body=json.dumps(body))
            steps[name] = tally
        with counting_calls() as tally:
            container().tickets.customer_message(ticket_id, "Size M, please.")
        steps["resume (customer message)"] = tally
        with counting_calls() as tally:
            client.http.request("PATCH", f"/tickets/{ticket_id}", headers=operator,
                                body=json.dumps({"status": "resolved"}))
        steps["resolve"] = tally
        event_ticket = _create(client, 2)
        container().clock.advance(timedelta(hours=20))
        with counting_calls() as tally:
            container().sla.handle({"ticket_id": event_ticket, "metric": "first_response", "kind": "warning"})
        steps["one SLA event (warning)"] = tally
    return {name: {"total": t.total, **_by_service(t.calls)} for name, t in steps.items()}


def reconciler_reads(stored: int, due: int = 3) -> dict:
    """Items the reconciler reads with `due` tickets due soon among `stored`."""
    from botocore.client import BaseClient

    from chalicelib.container import container

    with emulated_app() as client:
        clock = container().clock
        start = clock.now()
        for n in range(due):
            _create(client, n)
        clock.advance(timedelta(hours=5))
        for n in range(due, stored):
            clock.advance(timedelta(seconds=3))  # one sender: stay under its rate limit
            _create(client, n)
        clock.advance(start + timedelta(hours=19, minutes=5) - clock.now())  # the first ones warn in 7 minutes
        read = Counter()
        call = BaseClient._make_api_call

        def counted(client_, operation, params):
            answer = call(client_, operation, params)
            if operation in ("Query", "Scan", "GetItem"):
                read[operation] += answer.get("ScannedCount", answer.get("Count", 1 if "Item" in answer else 0))
            return answer

        with mock.patch.object(BaseClient, "_make_api_call", counted):
            container().sla.reconcile()
    return {"stored": stored, "due": due, "items_read": dict(read), "scans": read.get("Scan", 0)}


def measure() -> dict:
    return {"lifecycle": lifecycle(), "reconciler": [reconciler_reads(20), reconciler_reads(200)]}


def report(result: dict) -> list[str]:
    lines = ["SLA engine: AWS calls per step (total, by service)"]
    for step, counts in result["lifecycle"].items():
        services = ", ".join(f"{k} {v}" for k, v in counts.items() if k != "total")
        lines.append(f"    {counts['total']:2d}  {step:28s} {services}")
    small, large = result["reconciler"]
    same = small["items_read"] == large["items_read"]
    lines.append(f"SLA reconciler: items read with {small['due']} due among {small['stored']} tickets: "
                 f"{small['items_read']}; among {large['stored']}: {large['items_read']} "
                 f"({'PASS' if same and not large['scans'] else 'FAIL'}: proportional to tickets due, no Scan)")
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
