"""GET /metrics over 90 days: DynamoDB items read with 1,000 and with 20,000
tickets stored. The tickets are batch-written straight through the model and
the counters are what the running system would have written for them (each
ticket's contributions, domain.metrics): 20,000 intakes through the API would
take many minutes. Storing the tickets is what makes a report that read them
(a Scan, say) show up as more items at the larger size."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from unittest import mock

from .aws_calls import emulated_app

JSON = {"Content-Type": "application/json"}
END = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
DAYS = 90


def _facts(n: int):
    """Ticket n lands on day n % 90 with kind k = (n // 90) % 11: every day sees
    the same 11 kinds of ticket at both sizes, so the difference between the
    runs is the number of tickets alone."""
    from chalicelib.domain.metrics import TicketFacts, day

    k = (n // DAYS) % 11
    created = END - timedelta(days=n % DAYS)
    resolved = created + timedelta(hours=1 + k % 5)
    clocks = {"first_response": {"outcome": ("achieved", "breached")[k % 2], "ended_at": created.isoformat(),
                                 "elapsed": (30, 300, 1500)[k % 3]},
              "resolution": {"outcome": "achieved", "ended_at": resolved.isoformat(), "elapsed": 600}}
    return TicketFacts(created=created, channel=("web", "email")[k % 2], category=("order", "returns")[k % 2],
                       status=("resolved", "open")[k % 2], priority="normal", clocks=clocks,
                       operator_replies=1 + k % 2, customer_messages=1, offers=(day(created),) * (k % 2),
                       feedback={"csat": 1 + k % 5, "nps": k % 11, "at": resolved.isoformat()},
                       resolved_at=resolved if k % 2 == 0 else None)


def _ticket(n: int, facts):
    from chalicelib.adapters.tables import Ticket

    return Ticket(f"01BENCH{n:019d}", reference=f"CL-B{n:07d}", status=facts.status, priority=facts.priority,
                  channel=facts.channel, category=facts.category, customer_email=f"c{n}@example.com",
                  customer_name="Bench Customer", created_at=facts.created, updated_at=facts.created,
                  resolved_at=facts.resolved_at, sla=facts.clocks, feedback=facts.feedback)


def reads(tickets: int) -> dict:
    from botocore.client import BaseClient

    from chalicelib.adapters.tables import Ticket
    from chalicelib.container import container
    from chalicelib.domain.metrics import contributions

    with emulated_app() as client:
        totals = Counter()
        with Ticket.batch_write() as batch:
            for n in range(tickets):
                facts = _facts(n)
                batch.save(_ticket(n, facts))
                totals.update(contributions(facts))
        container().store.replace_metrics(dict(totals))
        stored = Ticket.count()
        token = client.http.post("/_dev/token", headers=JSON, body=json.dumps(
            {"email": "lead@shop.example", "role": "admin"})).json_body["token"]
        read, call = Counter(), BaseClient._make_api_call

        def counted(self, operation, params):
            answer = call(self, operation, params)
            if operation in ("Query", "Scan", "GetItem"):
                read[operation] += answer.get("ScannedCount", answer.get("Count", 0))
            return answer

        since = (END - timedelta(days=DAYS - 1)).date().isoformat()
        with mock.patch.object(BaseClient, "_make_api_call", counted):
            answer = client.http.get(f"/metrics?since={since}&until={END.date().isoformat()}",
                                     headers={"Authorization": f"Bearer {token}"}).json_body
    return {"tickets": stored, "items_read": sum(read.values()), "scans": read.get("Scan", 0),
            "volume": answer["volume"]["total"]}


def measure() -> list[dict]:
    return [reads(1_000), reads(20_000)]


def report(result: list[dict]) -> list[str]:
    small, large = result
    same = small["items_read"] == large["items_read"] and not large["scans"]
    return [f"GET /metrics for {DAYS} days: items read with {small['tickets']:,} tickets: {small['items_read']}; "
            f"with {large['tickets']:,}: {large['items_read']} ({'PASS' if same else 'FAIL'}: reads follow days, "
            f"not tickets; volume reported {small['volume']:,} and {large['volume']:,})"]


if __name__ == "__main__":
    print("\n".join(report(measure())))
