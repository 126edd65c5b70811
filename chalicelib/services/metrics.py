"""Support metrics: counters kept per day as tickets change (by the stream
consumer), read by period; the backlog counted from an index when read."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from ..adapters import counters
from ..adapters.store import TicketStore
from ..clock import Clock
from ..domain import metrics
from ..domain import ticket as tickets
from ..domain.errors import FieldError, InvalidInput

DEFAULT_DAYS = 30
MAX_DAYS = 366


class MetricsService:
    def __init__(self, store: TicketStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def report(self, since: str | None, until: str | None) -> dict:
        first, last = self._period(since, until)
        days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        totals: Counter = Counter()
        for families in counters.read(days).values():
            for family, values in families.items():
                if not family.startswith("agent#"):
                    totals.update({k: v for k, v in values.items()})
        return {"since": first.isoformat(), "until": last.isoformat()} | metrics.report(totals, self.backlog())

    def backlog(self) -> dict[str, dict[str, int]]:
        """Open tickets now, by status and by priority."""
        by_status: Counter = Counter()
        by_priority: Counter = Counter()
        for priority, status in self._store.open_ticket_keys():
            by_status[status] += 1
            by_priority[priority] += 1
        return {"by_status": dict(by_status), "by_priority": dict(by_priority)}

    def recompute(self) -> int:
        """Rebuild every counter from the tickets themselves; the number of tickets read."""
        values: dict[tuple[str, str], Counter] = {}
        count = 0
        for ticket in self._store.all_tickets():
            for (day, counter), n in metrics.contributions(tickets.facts(ticket)).items():
                values.setdefault((day, counters.family_of(counter)), Counter())[counter] += n
            count += 1
        counters.replace_all({key: dict(c) for key, c in values.items()})
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
