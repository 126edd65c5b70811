"""Operator API cost: DynamoDB items read per page of GET /tickets with
1,000 and 20,000 tickets stored (read amplification: items read / items
returned, goal 1.0), and AWS calls per reply."""
from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from unittest import mock

from .aws_calls import counting_calls, emulated_app

JSON = {"Content-Type": "application/json"}
STATUSES = ("new", "open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
PAGES = {"no filter": "", "status=open": "status=open", "priority=high": "priority=high",
         "assignee=kim": "assignee=kim@shop.example", "category=returns": "category=returns"}


def _store(count: int) -> None:
    """Tickets written straight through the model: intake would take minutes."""
    from chalicelib.adapters.tables import Ticket
    from chalicelib.container import container
    from chalicelib.domain.identifiers import new_ticket_id

    now = container().clock.now()
    with Ticket.batch_write() as batch:
        for n in range(count):
            created = now - timedelta(minutes=count - n)
            batch.save(Ticket(
                new_ticket_id(created), reference=f"CL-B{n:07d}", status=STATUSES[n % 5], priority=PRIORITIES[n % 4],
                channel="web", category=("order", "returns", "shipping")[n % 3], customer_email=f"c{n}@example.com",
                customer_name="Bench Customer", assignee=("kim@shop.example", "lou@shop.example", None)[n % 3],
                created_at=created, updated_at=created))


def _page_reads(client, headers, query: str, limit: int = 50) -> dict:
    from botocore.client import BaseClient

    read, call = Counter(), BaseClient._make_api_call

    def counted(self, operation, params):
        answer = call(self, operation, params)
        if operation in ("Query", "Scan"):
            read[operation] += answer.get("ScannedCount", 0)
        return answer

    with mock.patch.object(BaseClient, "_make_api_call", counted):
        page = client.http.get(f"/tickets?limit={limit}&{query}", headers=headers).json_body
    returned = len(page["items"])
    items_read = sum(read.values())
    return {"returned": returned, "read": items_read, "amplification": round(items_read / max(returned, 1), 2),
            "scans": read.get("Scan", 0)}


def listing(stored: int) -> dict:
    with emulated_app() as client:
        token = client.http.post("/_dev/token", headers=JSON, body=json.dumps(
            {"email": "kim@shop.example", "role": "agent"})).json_body["token"]
        _store(stored)
        headers = {"Authorization": f"Bearer {token}"}
        return {name: _page_reads(client, headers, query) for name, query in PAGES.items()}


def calls_per_reply() -> dict:
    with emulated_app() as client:
        token = client.http.post("/_dev/token", headers=JSON, body=json.dumps(
            {"email": "kim@shop.example", "role": "agent"})).json_body["token"]
        operator = JSON | {"Authorization": f"Bearer {token}"}
        ids = [client.http.post("/inquiries", headers=JSON, body=json.dumps(
            {"name": "Ann", "email": f"a{n}@example.com", "message": "Hi"})).json_body["id"] for n in range(2)]
        client.http.post(f"/tickets/{ids[0]}/replies", headers=operator, body=json.dumps({"body": "warm-up"}))
        with counting_calls() as tally:
            client.http.post(f"/tickets/{ids[1]}/replies", headers=operator, body=json.dumps({"body": "Hello!"}))
    return {"total": tally.total, **{f"{s}:{o}": n for (s, o), n in sorted(tally.calls.items())}}


def measure() -> dict:
    return {"pages": {stored: listing(stored) for stored in (1_000, 20_000)}, "reply": calls_per_reply()}


def report(result: dict) -> list[str]:
    lines = ["GET /tickets: DynamoDB items read per page of 50 (read amplification = read / returned)"]
    for stored, pages in result["pages"].items():
        for name, page in pages.items():
            verdict = "PASS" if page["amplification"] == 1.0 and not page["scans"] else "FAIL"
            lines.append(f"    {stored:>6,} stored  {name:18s} returned {page['returned']:3d}  read {page['read']:3d}"
                         f"  amplification {page['amplification']:.2f}  {verdict}")
    reply = result["reply"]
    lines.append(f"AWS calls per reply: {reply['total']}")
    lines += [f"    {count}  {name}" for name, count in reply.items() if name != "total"]
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
