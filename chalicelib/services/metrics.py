"""Support metrics: kept per day as tickets change; read by period."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from ..adapters.store import TicketStore
from ..adapters.tables import Entry, Ticket
from ..clock import Clock
from ..domain import metrics
from ..domain.errors import FieldError, InvalidInput

DEFAULT_DAYS = 30
MAX_DAYS = 366


def facts_of(ticket: Ticket, thread: list[Entry]) -> metrics.TicketFacts:
    return metrics.TicketFacts(
        created=ticket.created_at, channel=ticket.channel, category=ticket.category, status=ticket.status,
        priority=ticket.priority, clocks=dict(ticket.sla or {}),
        operator_replies=sum(1 for e in thread if e.kind == "message" and e.direction == "out" and e.author != "system"),
        customer_messages=sum(1 for e in thread if e.kind == "message" and e.direction == "in"),
        offers=tuple(metrics.day(e.created_at) for e in thread if e.kind == "event" and e.event == "offer"),
        feedback=ticket.feedback, resolved_at=ticket.resolved_at)


class MetricsService:
    def __init__(self, store: TicketStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def report(self, since: str | None, until: str | None) -> dict:
        first, last = self._period(since, until)
        counters = Counter()
        for item in self._store.metric_counters(first.isoformat(), last.isoformat()):
            counters[item.key.split("#", 1)[1]] += int(item.value)
        for item in self._store.current_counters():
            counters[item.key.split("#", 1)[1]] += int(item.value)
        return {"since": first.isoformat(), "until": last.isoformat()} | metrics.report(counters)

    def recompute(self) -> int:
        """Rebuild every counter from the tickets themselves; the number of tickets read."""
        totals, count = Counter(), 0
        for ticket in self._store.all_tickets():
            totals.update(metrics.contributions(facts_of(ticket, self._store.thread(ticket.id))))
            count += 1
        self._store.replace_metrics({k: v for k, v in totals.items() if v})
        return count

    def _period(self, since: str | None, until: str | None) -> tuple[date, date]:
        errors, parsed = [], {}
        for name, value in (("since", since), ("until", until)):
            if value:
                try:
                    parsed[name] = _day(value)
                except ValueError:
                    errors.append(FieldError(name, "must be a date, like 2026-11-01"))
        if errors:
            raise InvalidInput(errors)
        last = parsed.get("until", self._clock.now().date())
        first = parsed.get("since", last - timedelta(days=DEFAULT_DAYS - 1))
        if first > last:
            raise InvalidInput([FieldError("since", "must not be after until")])
        if (last - first).days >= MAX_DAYS:
            raise InvalidInput([FieldError("since", f"the period may span at most {MAX_DAYS} days")])
        return first, last


def _day(value: str) -> date:
    """An ISO date, or the date part of an ISO time (`2026-11-01T00:00:00Z`)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return datetime.fromisoformat(value).date()
