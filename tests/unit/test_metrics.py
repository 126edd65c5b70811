"""Support metrics on small, hand-computed examples: each metric's definition
over counters, and the counters each ticket contributes on the day each
thing happened."""

from collections import Counter
from datetime import datetime

import pytest

from chalicelib.domain.metrics import contributions, report
from chalicelib.domain.sketch import bucket


def test_report_definitions_on_hand_counted_counters():
    counters = Counter(
        {
            f"time:first_response:{bucket(60)}": 2,
            f"time:first_response:{bucket(240)}": 1,  # 3 first responses
            "fcr:yes": 1,
            "fcr:no": 3,
            "csat:5": 2,
            "csat:4": 1,
            "csat:2": 1,
            "nps:10": 2,
            "nps:8": 1,
            "nps:3": 1,
            "sla:first_response:achieved": 3,
            "sla:first_response:breached": 1,
            "volume:channel:web": 4,
            "volume:channel:email": 1,
            "offers": 2,
        }
    )
    metrics = report(counters, {"by_status": {"open": 2}, "by_priority": {"high": 2}})
    times = metrics["first_response_time"]
    assert times["count"] == 3 and times["relative_accuracy"] == 0.01
    # The exact median of 60, 60, 240 is 60 and its p90 204 (interpolated): within 1 %.
    assert times["median_minutes"] == pytest.approx(60, rel=0.01)
    assert times["p90_minutes"] == pytest.approx(204, rel=0.01)
    assert metrics["first_contact_resolution"] == {"resolved": 4, "first_contact": 1, "rate": 25.0}
    assert metrics["csat"]["score"] == 75.0 and metrics["csat"]["responses"] == 4  # 3 of 4 rated 4-5
    assert (metrics["nps"]["score"], metrics["nps"]["promoters"], metrics["nps"]["detractors"]) == (25.0, 2, 1)
    assert metrics["sla_attainment"]["first_response"] == {"achieved": 3, "breached": 1, "rate": 75.0}
    assert metrics["volume"] == {"total": 5, "by_channel": {"web": 4, "email": 1}, "by_category": {}}
    assert metrics["goodwill_offers"] == 2 and metrics["backlog"]["by_status"] == {"open": 2}
    assert report(Counter())["csat"]["score"] is None  # nothing to divide: no number, not zero


def facts(
    created, *, fr=None, res=None, status="resolved", replies=1, customer=1, offers=(), feedback=None, channel="web"
):
    """A ticket as the metrics see it; fr/res are (elapsed business minutes, outcome, day ended)."""
    from chalicelib.domain.metrics import TicketFacts
    from chalicelib.domain.sla import MetricClock

    def at(day):
        return datetime.fromisoformat(f"{day}T12:00:00+00:00")

    clocks = {
        metric: MetricClock(metric, at(created), elapsed=clock[0], outcome=clock[1], ended_at=at(clock[2]))
        for metric, clock in (("first_response", fr), ("resolution", res))
        if clock
    }
    resolved = at(res[2]) if res and status in ("resolved", "closed") else None
    return TicketFacts(
        created=datetime.fromisoformat(f"{created}T08:00:00+00:00"),
        channel=channel,
        category=None,
        status=status,
        clocks=clocks,
        operator_replies=replies,
        customer_messages=customer,
        offers=offers,
        feedback=feedback,
        resolved_at=resolved,
        done=status in ("resolved", "closed"),
    )


def period(counters, first, last):
    """What the service sums for a period: its days."""
    total = Counter()
    for (day, counter), n in counters.items():
        if first <= day <= last:
            total[counter] += n
    return total


def test_each_metric_on_hand_computed_tickets():
    tickets = [
        facts(
            "2026-11-02",
            fr=(3, "achieved", "2026-11-02"),
            res=(50, "achieved", "2026-11-02"),
            status="closed",
            offers=("2026-11-03",),
            feedback={"csat": 5, "nps": 10, "at": "2026-11-04T10:00:00Z"},
        ),
        facts("2026-11-02", fr=(10, "achieved", "2026-11-02"), res=(100, "breached", "2026-11-03"), replies=2),
        facts("2026-11-03", fr=(50, "breached", "2026-11-03"), status="open", customer=2),
        facts("2026-11-03", fr=(50, "achieved", "2026-11-03"), status="pending", channel="email"),
        facts(
            "2026-11-03",
            fr=(100, "breached", "2026-11-03"),
            res=(20, "achieved", "2026-11-03"),
            customer=2,
            feedback={"csat": 2, "at": "2026-11-03T13:00:00Z"},
        ),
        facts("2026-11-03", status="new"),
    ]
    counters = Counter()
    for ticket in tickets:
        counters.update(contributions(ticket))

    everything = report(period(counters, "2026-11-01", "2026-11-30"))
    # First responses 3, 10, 50, 50, 100 min: median 50, p90 80; resolutions 20, 50, 100: median 50, p90 90.
    first, resolution = everything["first_response_time"], everything["resolution_time"]
    assert (first["count"], resolution["count"]) == (5, 3)
    assert (first["median_minutes"], first["p90_minutes"]) == (pytest.approx(50, rel=0.01), pytest.approx(80, rel=0.01))
    assert (resolution["median_minutes"], resolution["p90_minutes"]) == (
        pytest.approx(50, rel=0.01),
        pytest.approx(90, rel=0.01),
    )
    # Resolved: #1 (one reply, no follow-up), #2 (two replies), #5 (the customer wrote again).
    assert everything["first_contact_resolution"] == {"resolved": 3, "first_contact": 1, "rate": 33.3}
    assert everything["sla_attainment"]["first_response"] == {"achieved": 3, "breached": 2, "rate": 60.0}
    assert everything["sla_attainment"]["resolution"] == {"achieved": 2, "breached": 1, "rate": 66.7}
    assert (everything["csat"]["responses"], everything["csat"]["score"]) == (2, 50.0)
    assert (everything["nps"]["responses"], everything["nps"]["score"]) == (1, 100.0)
    assert everything["volume"]["by_channel"] == {"web": 5, "email": 1} and everything["goodwill_offers"] == 1

    # Each count lands on the day it happened: intake, first response, resolution, offer, rating.
    second = report(period(counters, "2026-11-02", "2026-11-02"))
    assert (second["volume"]["total"], second["first_response_time"]["count"]) == (2, 2)
    assert second["first_contact_resolution"]["resolved"] == 1 and second["goodwill_offers"] == 0
    assert second["csat"]["responses"] == 0
    fourth = report(period(counters, "2026-11-04", "2026-11-04"))
    assert (fourth["volume"]["total"], fourth["csat"]["responses"], fourth["goodwill_offers"]) == (0, 1, 0)
    assert report(period(counters, "2026-11-03", "2026-11-03"))["goodwill_offers"] == 1
