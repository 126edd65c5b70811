"""Support metrics: counters kept per day as tickets change (by the stream
consumer), read by period; the backlog counted from an index when read."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from ..adapters.counters import MetricCounters, family_of
from ..adapters.store.directory import DirectoryStore
from ..adapters.store.tickets import TicketStore
from ..clock import Clock
from ..domain import metrics
from ..domain import ticket as tickets
from ..domain.errors import FieldError, InvalidInput
from ..views.metrics import AGENT_COLUMNS, DAILY_COLUMNS, csv_text

DEFAULT_DAYS = 30
MAX_DAYS = 366


class MetricsService:
    def __init__(self, store: TicketStore, directory: DirectoryStore, counters: MetricCounters, clock: Clock) -> None:
        self._store = store
        self._directory = directory
        self._counters = counters
        self._clock = clock

    def report(self, since: str | None, until: str | None) -> dict[str, Any]:
        """The period's figures, its trend per day and per agent."""
        first, last = self._period(since, until)
        days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        totals: Counter[str] = Counter()
        by_day: dict[str, Counter[str]] = {d: Counter() for d in days}
        by_agent: dict[str, Counter[str]] = {}
        for day, families in self._counters.read(days).items():
            for family, values in families.items():
                if family.startswith("agent#"):
                    by_agent.setdefault(family.removeprefix("agent#"), Counter()).update(values)
                else:
                    totals.update(values)
                    by_day[day].update(values)
        roster = {agent.name: agent.display_name for agent in self._directory.roster()}
        for email in roster:
            by_agent.setdefault(email, Counter())
        people = [row | {"name": roster.get(row["email"])} for row in metrics.agents(by_agent)]
        return (
            {"since": first.isoformat(), "until": last.isoformat()}
            | metrics.report(totals, self.backlog())
            | {"daily": metrics.daily(by_day), "agents": people}
        )

    def csv(self, since: str | None, until: str | None, table: str | None) -> str:
        """The daily trend (or, with table=agents, the per-agent figures) as CSV."""
        if table not in (None, "daily", "agents"):
            raise InvalidInput([FieldError("table", "must be daily or agents")])
        report = self.report(since, until)
        if table == "agents":
            return csv_text(report["agents"], AGENT_COLUMNS)
        return csv_text(report["daily"], DAILY_COLUMNS)

    def backlog(self) -> dict[str, dict[str, int]]:
        """Open tickets now, by status and by priority."""
        by_status: Counter[str] = Counter()
        by_priority: Counter[str] = Counter()
        for priority, status in self._store.open_ticket_keys():
            by_status[status] += 1
            by_priority[priority] += 1
        return {"by_status": dict(by_status), "by_priority": dict(by_priority)}

    def recompute(self) -> int:
        """Rebuild every counter from the tickets themselves; the number of tickets read."""
        values: dict[tuple[str, str], Counter[str]] = {}
        count = 0
        for ticket in self._store.all_tickets():
            for (day, counter), n in metrics.contributions(tickets.facts(ticket)).items():
                values.setdefault((day, family_of(counter)), Counter())[counter] += n
            count += 1
        self._counters.replace_all({key: dict(c) for key, c in values.items()})
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
