"""Support metrics from per-day counters.

Each ticket contributes counters to days: its volume on the day it came in,
its first response and resolution (time bucket and SLA outcome) on the day
they happened, its goodwill offers and its rating on the days they were made,
its SLA outcomes on the day they happened. A change carries the difference
of the ticket's contributions before and after, so the stored counters
always equal the sum over all tickets: recomputing them gives the same
numbers, and a report reads days, never tickets. The backlog is the open
tickets now, counted from an index when a report is read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import sketch


@dataclass(frozen=True)
class TicketFacts:
    """What the metrics need of a ticket (and nothing personal)."""

    created: datetime
    channel: str
    category: str | None
    status: str
    clocks: Mapping[str, Any]  # metric -> domain.sla.MetricClock
    operator_replies: int
    customer_messages: int
    offers: tuple[str, ...]  # the day of each goodwill offer
    feedback: Mapping[str, Any] | None
    resolved_at: datetime | None
    done: bool  # resolved or closed
    assignee: str | None = None
    first_responder: str | None = None


def day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def contributions(facts: TicketFacts | None) -> Counter[tuple[str, str]]:
    """(day, counter) -> count for one ticket. An SLA breach counts on the day
    it happens, whether or not its clock has ended; an achieved target counts
    when it ends."""
    out: Counter[tuple[str, str]] = Counter()
    if facts is None:
        return out
    created = day(facts.created)
    out[(created, f"volume:channel:{facts.channel}")] += 1
    out[(created, f"volume:category:{facts.category or 'none'}")] += 1
    for offered in facts.offers:
        out[(offered, "offers")] += 1
    for metric, clock in facts.clocks.items():
        if clock.breached_at is not None:
            out[(day(clock.breached_at), f"sla:{metric}:breached")] += 1
        elif clock.outcome in ("achieved", "breached") and clock.ended_at is not None:
            out[(day(clock.ended_at), f"sla:{metric}:{clock.outcome}")] += 1
        if metric in ("first_response", "resolution") and clock.outcome in ("achieved", "breached") and clock.ended_at:
            ended, slot = day(clock.ended_at), sketch.bucket(clock.elapsed or 0)
            out[(ended, f"time:{metric}:{slot}")] += 1
            if metric == "first_response" and facts.first_responder:
                out[(ended, f"agent:{facts.first_responder}:time:first_response:{slot}")] += 1
    if facts.resolved_at is not None and facts.done:
        first_contact = facts.operator_replies == 1 and facts.customer_messages == 1
        resolved = day(facts.resolved_at)
        out[(resolved, f"fcr:{'yes' if first_contact else 'no'}")] += 1
        if facts.assignee:
            out[(resolved, f"agent:{facts.assignee}:resolved")] += 1
    if facts.feedback:
        rated = str(facts.feedback["at"])[:10]
        out[(rated, f"csat:{facts.feedback['csat']}")] += 1
        if facts.assignee:
            out[(rated, f"agent:{facts.assignee}:csat:{facts.feedback['csat']}")] += 1
        if "nps" in facts.feedback:
            out[(rated, f"nps:{facts.feedback['nps']}")] += 1
    return +out  # drop zeros


def difference(before: TicketFacts | None, after: TicketFacts | None) -> dict[tuple[str, str], int]:
    delta = Counter(contributions(after))
    delta.subtract(contributions(before))
    return {key: n for key, n in delta.items() if n}


def _minutes(histogram: Mapping[str, int], q: float) -> float | None:
    """A quantile of the times counted, within the sketch's 1 %, to the tenth of a minute."""
    found = sketch.quantile(histogram, q)
    return None if found is None else round(found, 1)


def _rate(good: int, total: int) -> float | None:
    return round(100 * good / total, 1) if total else None


def report(counters: Mapping[str, int], backlog: Mapping[str, Mapping[str, int]] | None = None) -> dict[str, Any]:
    """The metrics from counters summed over a period, and the backlog now
    ({"by_status": ..., "by_priority": ...})."""

    def family(prefix: str) -> Counter[str]:
        return Counter({k[len(prefix) :]: v for k, v in counters.items() if k.startswith(prefix) and v})

    times = {}
    for metric in ("first_response", "resolution"):
        histogram = family(f"time:{metric}:")
        times[metric] = {
            "count": sum(histogram.values()),
            "median_minutes": _minutes(histogram, 0.5),
            "p90_minutes": _minutes(histogram, 0.9),
            "relative_accuracy": sketch.RELATIVE_ACCURACY,
        }
    fcr = family("fcr:")
    csat, nps = family("csat:"), family("nps:")
    promoters = sum(v for k, v in nps.items() if int(k) >= 9)
    detractors = sum(v for k, v in nps.items() if int(k) <= 6)
    attainment = {}
    for metric in ("first_response", "next_response", "resolution"):
        achieved, breached = counters.get(f"sla:{metric}:achieved", 0), counters.get(f"sla:{metric}:breached", 0)
        attainment[metric] = {"achieved": achieved, "breached": breached, "rate": _rate(achieved, achieved + breached)}
    responses = sum(csat.values())
    return {
        "first_response_time": times["first_response"],
        "resolution_time": times["resolution"],
        "first_contact_resolution": {
            "resolved": sum(fcr.values()),
            "first_contact": fcr.get("yes", 0),
            "rate": _rate(fcr.get("yes", 0), sum(fcr.values())),
        },
        "csat": {
            "responses": responses,
            "satisfied": csat.get("4", 0) + csat.get("5", 0),
            "score": _rate(csat.get("4", 0) + csat.get("5", 0), responses),
            "counts": {str(n): csat.get(str(n), 0) for n in range(1, 6)},
        },
        "nps": {
            "responses": sum(nps.values()),
            "promoters": promoters,
            "detractors": detractors,
            "passives": sum(nps.values()) - promoters - detractors,
            "score": round(100 * (promoters - detractors) / sum(nps.values()), 1) if nps else None,
        },
        "sla_attainment": attainment,
        "backlog": {
            "by_status": dict((backlog or {}).get("by_status", {})),
            "by_priority": dict((backlog or {}).get("by_priority", {})),
        },
        "volume": {
            "total": sum(family("volume:channel:").values()),
            "by_channel": dict(family("volume:channel:")),
            "by_category": dict(family("volume:category:")),
        },
        "goodwill_offers": counters.get("offers", 0),
    }


# Trends and people: the same counters, per day and per agent.


def daily(by_day: Mapping[str, Mapping[str, int]]) -> list[dict[str, Any]]:
    """One row per day (oldest first): volume, first responses and their
    median, CSAT and SLA attainment over every target that ended or broke
    that day. A day without any has None, not zero."""
    rows = []
    for day_, counters in sorted(by_day.items()):
        figures = report(counters)
        achieved = sum(m["achieved"] for m in figures["sla_attainment"].values())
        breached = sum(m["breached"] for m in figures["sla_attainment"].values())
        rows.append(
            {
                "date": day_,
                "volume": figures["volume"]["total"],
                "first_responses": figures["first_response_time"]["count"],
                "first_response_median_minutes": figures["first_response_time"]["median_minutes"],
                "resolved": figures["first_contact_resolution"]["resolved"],
                "csat_responses": figures["csat"]["responses"],
                "csat_score": figures["csat"]["score"],
                "sla_achieved": achieved,
                "sla_breached": breached,
                "sla_attainment_rate": _rate(achieved, achieved + breached),
            }
        )
    return rows


def agents(by_agent: Mapping[str, Mapping[str, int]]) -> list[dict[str, Any]]:
    """Per agent (from the `agent:<email>:...` counters): tickets handled
    (resolved while assigned to them), their first responses and its median,
    and the CSAT of the tickets they held when rated."""
    rows = []
    for email, counters in sorted(by_agent.items()):
        prefix = f"agent:{email}:"
        own = Counter({k[len(prefix) :]: v for k, v in counters.items() if k.startswith(prefix) and v})
        times = Counter(
            {k[len("time:first_response:") :]: v for k, v in own.items() if k.startswith("time:first_response:")}
        )
        csat = Counter({k[len("csat:") :]: v for k, v in own.items() if k.startswith("csat:")})
        responses = sum(csat.values())
        rows.append(
            {
                "email": email,
                "handled": own.get("resolved", 0),
                "first_responses": sum(times.values()),
                "first_response_median_minutes": _minutes(times, 0.5),
                "csat_responses": responses,
                "csat_score": _rate(csat.get("4", 0) + csat.get("5", 0), responses),
            }
        )
    return rows
