"""Support metrics on small, hand-computed examples; the counters kept as
tickets change equal a recompute from the tickets."""
import json
from collections import Counter
from datetime import timedelta

from chalicelib.domain.metrics import report


def test_report_definitions_on_hand_counted_counters():
    counters = Counter({
        "time:first_response:60": 2, "time:first_response:240": 1,  # 3 first responses
        "fcr:yes": 1, "fcr:no": 3,
        "csat:5": 2, "csat:4": 1, "csat:2": 1,
        "nps:10": 2, "nps:8": 1, "nps:3": 1,
        "sla:first_response:achieved": 3, "sla:first_response:breached": 1,
        "volume:channel:web": 4, "volume:channel:email": 1, "offers": 2,
        "backlog:status:open": 2, "backlog:priority:high": 2,
    })
    metrics = report(counters)
    assert metrics["first_response_time"] == {"count": 3, "median_minutes": 60.0, "p90_minutes": 240.0}
    assert metrics["first_contact_resolution"] == {"resolved": 4, "first_contact": 1, "rate": 25.0}
    assert metrics["csat"]["score"] == 75.0 and metrics["csat"]["responses"] == 4  # 3 of 4 rated 4-5
    assert (metrics["nps"]["score"], metrics["nps"]["promoters"], metrics["nps"]["detractors"]) == (25.0, 2, 1)
    assert metrics["sla_attainment"]["first_response"] == {"achieved": 3, "breached": 1, "rate": 75.0}
    assert metrics["volume"] == {"total": 5, "by_channel": {"web": 4, "email": 1}, "by_category": {}}
    assert metrics["goodwill_offers"] == 2 and metrics["backlog"]["by_status"] == {"open": 2}
    assert report(Counter())["csat"]["score"] is None  # nothing to divide: no number, not zero


def op(client, operator, method, path, body=None):
    return client.http.request(method, path, headers=operator(), body=json.dumps(body) if body is not None else b"")


def test_metrics_follow_the_days_work_and_equal_a_recompute(client, operator, new_ticket, services, clock):
    quick = new_ticket()
    slow = new_ticket(email="bob@example.com", category="returns")
    waiting = new_ticket(email="cy@example.com", channel="email")
    clock.advance(timedelta(minutes=45))
    op(client, operator, "POST", f"/tickets/{quick['id']}/replies", {"body": "Done!", "resolve": True,
                                                                       "offer": {"type": "coupon", "description": "5% off"}})
    clock.advance(timedelta(hours=25))
    op(client, operator, "POST", f"/tickets/{slow['id']}/replies", {"body": "Sorry for the wait."})
    services.tickets.customer_message(slow["id"], "Still broken.")
    op(client, operator, "POST", f"/tickets/{slow['id']}/replies", {"body": "Replaced.", "resolve": True})
    services.tickets.record_feedback(quick["id"], {"csat": 5, "nps": 10})
    services.tickets.record_feedback(slow["id"], {"csat": 2, "nps": 4})

    metrics = op(client, operator, "GET", "/metrics?since=2026-11-01&until=2026-11-30").json_body
    assert metrics["volume"] == {"total": 3, "by_channel": {"web": 2, "email": 1},
                                 "by_category": {"none": 2, "returns": 1}}
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
