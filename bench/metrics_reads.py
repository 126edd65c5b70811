"""GET /metrics over 90 days: DynamoDB items read with 1,000 and with 20,000
tickets behind the counters. The counters are what the running system writes
(each ticket's contributions, domain.metrics), built here straight from
generated tickets: writing 20,000 tickets through the API would take minutes."""
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
    from chalicelib.domain.metrics import TicketFacts

    k = (n // DAYS) % 11
    created = END - timedelta(days=n % DAYS)
    resolved = created + timedelta(hours=1 + k % 5)
    clocks = {"first_response": {"outcome": ("achieved", "breached")[k % 2], "ended_at": created.isoformat(),
                                 "elapsed": (30, 300, 1500)[k % 3]},
              "resolution": {"outcome": "achieved", "ended_at": resolved.isoformat(), "elapsed": 600}}
    return TicketFacts(created=created, channel=("web", "email")[k % 2], category=("order", "returns")[k % 2],
                       status=("resolved", "open")[k % 2], priority="normal", clocks=clocks,
                       operator_replies=1 + k % 2, customer_messages=1, offers=k % 2,
                       feedback={"csat": 1 + k % 5, "nps": k % 11, "at": resolved.isoformat()},
                       resolved_at=resolved if k % 2 == 0 else None)


def reads(tickets: int) -> dict:
    from botocore.client import BaseClient

    from chalicelib.container import container
    from chalicelib.domain.metrics import contributions

    with emulated_app() as client:
        totals = Counter()
        for n in range(tickets):
            totals.update(contributions(_facts(n)))
        container().store.replace_metrics(dict(totals))
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
    return {"tickets": tickets, "items_read": sum(read.values()), "scans": read.get("Scan", 0),
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
