"""Support metrics as tickets change: the counters the stream keeps equal a
recompute from the tickets, through a day's and a busy week's work; periods
are refused by field."""

import json
from datetime import timedelta

from tests.calls import advance


def op(client, operator, method, path, body=None):
    return client.http.request(method, path, headers=operator(), body=json.dumps(body) if body is not None else b"")


def test_metrics_follow_the_days_work_and_equal_a_recompute(client, operator, new_ticket, services, clock, settle):
    quick = new_ticket()
    slow = new_ticket(email="bob@example.com", category="returns")
    waiting = new_ticket(email="cy@example.com", channel="email")
    clock.advance(timedelta(minutes=45))
    op(
        client,
        operator,
        "POST",
        f"/tickets/{quick['id']}/replies",
        {"body": "Done!", "resolve": True, "offer": {"type": "coupon", "description": "5% off"}},
    )
    clock.advance(timedelta(hours=25))
    op(client, operator, "POST", f"/tickets/{slow['id']}/replies", {"body": "Sorry for the wait."})
    services.tickets.customer_wrote(slow["id"], "Still broken.")
    op(client, operator, "POST", f"/tickets/{slow['id']}/replies", {"body": "Replaced.", "resolve": True})
    services.tickets.rate(quick["id"], {"csat": 5, "nps": 10})
    services.tickets.rate(slow["id"], {"csat": 2, "nps": 4})
    settle()  # counters move from the stream

    metrics = op(client, operator, "GET", "/metrics?since=2026-11-01&until=2026-11-30").json_body
    assert metrics["volume"] == {
        "total": 3,
        "by_channel": {"web": 2, "email": 1},
        "by_category": {"none": 2, "returns": 1},
    }
    assert metrics["first_response_time"]["count"] == 2
    assert metrics["sla_attainment"]["first_response"] == {"achieved": 1, "breached": 1, "rate": 50.0}
    assert metrics["first_contact_resolution"] == {"resolved": 2, "first_contact": 1, "rate": 50.0}
    assert (metrics["csat"]["score"], metrics["nps"]["score"]) == (50.0, 0.0)
    assert metrics["goodwill_offers"] == 1
    assert metrics["backlog"] == {"by_status": {"new": 1}, "by_priority": {"normal": 1}}
    assert waiting["id"]

    services.metrics.recompute()
    assert op(client, operator, "GET", "/metrics?since=2026-11-01&until=2026-11-30").json_body == metrics


def test_bad_periods_are_400_by_field(client, operator):
    assert op(client, operator, "GET", "/metrics?since=yesterday").json_body["errors"][0]["field"] == "since"
    assert op(client, operator, "GET", "/metrics?since=2026-12-01&until=2026-11-01").status_code == 400
    assert op(client, operator, "GET", "/metrics").json_body["since"] == "2026-10-26"  # the last 30 days


def stored_counters():
    from chalicelib.adapters.counters import MetricCounters

    days = [f"2026-{month:02d}-{day:02d}" for month in (11, 12) for day in range(1, 32)]
    return {
        (day, family, counter): n
        for day, families in MetricCounters().read(days).items()
        for family, values in families.items()
        for counter, n in values.items()
        if n
    }


def test_a_busy_week_keeps_the_counters_equal_to_a_recompute(client, operator, new_ticket, services, settle):
    """Every kind of change: replies, offers, follow-up, ratings changed, automatic close,
    reopening, SLA breach with escalation, erasure."""
    happy = new_ticket()
    late = new_ticket(email="bob@example.com", category="returns")
    back = new_ticket(email="cy@example.com", channel="email")
    gone = new_ticket(email="dee@example.com")
    op(client, operator, "POST", f"/tickets/{happy['id']}/replies", {"body": "Done!", "resolve": True})
    op(client, operator, "POST", f"/tickets/{back['id']}/replies", {"body": "Fixed.", "resolve": True})
    op(client, operator, "POST", f"/tickets/{gone['id']}/replies", {"body": "Sent.", "resolve": True})
    services.tickets.customer_wrote(back["id"], "Not fixed.")
    advance(client, 25 * 60)  # late: warned and breached (escalated to high)
    op(
        client,
        operator,
        "POST",
        f"/tickets/{late['id']}/replies",
        {"body": "Sorry!", "offer": {"type": "coupon", "description": "10% off"}},
    )
    op(client, operator, "POST", f"/tickets/{back['id']}/replies", {"body": "Replaced.", "resolve": True})
    services.tickets.rate(happy["id"], {"csat": 3})
    services.tickets.rate(happy["id"], {"csat": 5, "nps": 9})
    advance(client, 4 * 24 * 60)  # follow-ups and automatic closes
    client.http.delete("/customers/dee@example.com", headers=operator("admin", "lead@shop.example"))
    settle()

    path = "/metrics?since=2026-11-20&until=2026-12-31"
    kept, counters = op(client, operator, "GET", path).json_body, stored_counters()
    assert kept["first_contact_resolution"] == {"resolved": 3, "first_contact": 2, "rate": 66.7}  # closed still count
    assert kept["goodwill_offers"] == 1 and kept["csat"]["counts"]["5"] == 1 and kept["csat"]["responses"] == 1
    # Only `late` is still open: its first response and its resolution breached, each escalating a step.
    assert kept["backlog"] == {"by_status": {"open": 1}, "by_priority": {"urgent": 1}}
    assert kept["sla_attainment"]["first_response"] == {"achieved": 3, "breached": 1, "rate": 75.0}

    services.metrics.recompute()
    assert stored_counters() == counters
    assert op(client, operator, "GET", path).json_body == kept


def test_periods_take_dates_or_times_and_refuse_the_rest_by_field(client, operator):
    ok = op(client, operator, "GET", "/metrics?since=2026-11-01T00:00:00Z&until=2026-11-30")
    assert ok.status_code == 200 and (ok.json_body["since"], ok.json_body["until"]) == ("2026-11-01", "2026-11-30")
    bad = op(client, operator, "GET", "/metrics?since=2026-11-01&until=2026-11-30xyz")
    assert bad.status_code == 400 and [e["field"] for e in bad.json_body["errors"]] == ["until"]
    assert op(client, operator, "GET", "/metrics?since=2025-01-01&until=2026-11-30").status_code == 400  # > 366 days
    assert client.http.get("/metrics").status_code == 401
    assert op(client, lambda: operator("admin", "lead@shop.example"), "GET", "/metrics").status_code == 200
