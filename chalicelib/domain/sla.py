"""SLA clocks: per-ticket timers for first response, next response and
resolution, in business or calendar time, that pause, resume, retarget and end
as achieved or breached. Pure: the service stores them and schedules events.

A clock's progress is `consumed` (business minutes used before the current
running segment) plus the business time since `running_since`. Due and
warning instants are derived from that, so a pause or a priority change
recomputes them from the original start without losing time already used.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from .calendar import BusinessCalendar, add_business_minutes, business_minutes_between

METRICS = ("first_response", "next_response", "resolution")
# Waiting on the customer pauses these; the first response keeps running.
PAUSED_BY_PENDING = ("next_response", "resolution")
ALWAYS = BusinessCalendar.always()


@dataclass(frozen=True)
class Target:
    minutes: int
    business: bool = False


@dataclass(frozen=True)
class Warning:
    percent: int | None = 80
    minutes_before: int | None = None

    def threshold(self, target_minutes: int) -> float:
        if self.minutes_before is not None:
            return max(target_minutes - self.minutes_before, 0)
        return target_minutes * (self.percent or 80) / 100


@dataclass(frozen=True)
class Policy:
    calendar: BusinessCalendar
    targets: dict[str, dict[str, Target]]  # priority -> metric -> target
    warning: Warning
    escalation_raise_priority: bool = False
    escalation_reassign_to: str | None = None

    def target(self, priority: str, metric: str) -> Target:
        return self.targets[priority][metric]

    def calendar_for(self, target: Target) -> BusinessCalendar:
        return self.calendar if target.business else ALWAYS


@dataclass(frozen=True)
class MetricClock:
    metric: str
    started_at: datetime
    consumed: float = 0.0
    running_since: datetime | None = None  # None while paused or ended
    due_at: datetime | None = None
    warn_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    ended_at: datetime | None = None
    elapsed: float | None = None  # business minutes, once ended
    outcome: str | None = None  # achieved | breached | cancelled

    @property
    def state(self) -> str:
        if self.outcome:
            return self.outcome
        return "running" if self.running_since else "paused"

    def to_stored(self) -> list[Any]:
        """Positional, times as epoch seconds: a ticket's three clocks fit in
        about 200 bytes, so the ticket item stays under one write unit."""
        return [_epoch(v) if isinstance(v, datetime) else v for v in (getattr(self, f.name) for f in _FIELDS[1:])]

    @classmethod
    def from_stored(cls, metric: str, raw: Sequence[Any]) -> MetricClock:
        # strict=False: older items stored fewer fields (the rest take their defaults).
        values: dict[str, Any] = {
            f.name: _instant(v) if f.name in _TIMES and v is not None else v
            for f, v in zip(_FIELDS[1:], raw, strict=False)
        }
        return cls(metric, **values)


_FIELDS = fields(MetricClock)
_TIMES = {"started_at", "running_since", "due_at", "warn_at", "warned_at", "breached_at", "ended_at"}


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True)
class SlaEvent:
    """A moment the SLA engine must act: warn before, or record a breach at, a due time."""

    metric: str
    kind: str  # warning | breach
    at: datetime


def start(metric: str, at: datetime, policy: Policy, priority: str) -> MetricClock:
    return _derive(MetricClock(metric, started_at=at, running_since=at), policy, priority)


def pause(clock: MetricClock, at: datetime, policy: Policy, priority: str) -> MetricClock:
    if clock.running_since is None or clock.outcome:
        return clock
    used = _used(clock, at, policy, priority)
    return replace(clock, consumed=used, running_since=None, due_at=None, warn_at=None)


def resume(clock: MetricClock, at: datetime, policy: Policy, priority: str) -> MetricClock:
    """Run again: after a pause, or after it ended (a reopened ticket); what
    was recorded (warnings, breaches) stays."""
    if clock.running_since is not None:
        return clock
    consumed = clock.elapsed if clock.outcome else clock.consumed
    return _derive(
        replace(clock, consumed=consumed or 0.0, running_since=at, ended_at=None, elapsed=None, outcome=None),
        policy,
        priority,
    )


def retarget(clock: MetricClock, policy: Policy, priority: str) -> MetricClock:
    """A priority change: same start and time used, the new priority's target."""
    return _derive(clock, policy, priority) if clock.running_since else clock


def stop(clock: MetricClock, at: datetime, policy: Policy, priority: str, *, achieved: bool = True) -> MetricClock:
    """End the clock: achieved (or breached, if over target), or cancelled."""
    if clock.outcome:
        return clock
    used = _used(clock, at, policy, priority)
    over = clock.breached_at is not None or used > policy.target(priority, clock.metric).minutes
    outcome = ("breached" if over else "achieved") if achieved else "cancelled"
    return replace(
        clock,
        consumed=used,
        running_since=None,
        due_at=None,
        warn_at=None,
        ended_at=at,
        elapsed=round(used, 2),
        outcome=outcome,
    )


def record(clock: MetricClock, kind: str, at: datetime) -> MetricClock:
    """A warning or breach happened now (never back-dated, never erased)."""
    return (
        replace(clock, warned_at=clock.warned_at or at)
        if kind == "warning"
        else replace(clock, breached_at=clock.breached_at or at, warned_at=clock.warned_at or at)
    )


def pending_events(clock: MetricClock) -> list[SlaEvent]:
    if clock.running_since is None or clock.outcome:
        return []
    events = []
    if clock.warned_at is None and clock.breached_at is None and clock.warn_at is not None:
        events.append(SlaEvent(clock.metric, "warning", clock.warn_at))
    if clock.breached_at is None and clock.due_at is not None:
        events.append(SlaEvent(clock.metric, "breach", clock.due_at))
    return events


def warning_still_useful(due: datetime, now: datetime) -> bool:
    """A warning is worth sending only while it is still ahead of its due
    time; one that fires late would arrive beside (or after) the breach."""
    return now < due


def next_event(clocks: dict[str, MetricClock]) -> SlaEvent | None:
    events = [e for c in clocks.values() for e in pending_events(c)]
    return min(events, key=lambda e: (e.at, METRICS.index(e.metric)), default=None)


def _used(clock: MetricClock, at: datetime, policy: Policy, priority: str) -> float:
    if clock.running_since is None:
        return clock.consumed
    calendar = policy.calendar_for(policy.target(priority, clock.metric))
    return clock.consumed + business_minutes_between(clock.running_since, at, calendar)


def _derive(clock: MetricClock, policy: Policy, priority: str) -> MetricClock:
    target = policy.target(priority, clock.metric)
    calendar = policy.calendar_for(target)
    since = clock.running_since
    assert since is not None  # only a running clock has due times
    left = max(target.minutes - clock.consumed, 0)
    to_warning = max(policy.warning.threshold(target.minutes) - clock.consumed, 0)
    return replace(
        clock,
        due_at=add_business_minutes(since, left, calendar),
        warn_at=add_business_minutes(since, to_warning, calendar),
    )


# A ticket's clocks and how ticket changes move them.

Clocks = dict[str, MetricClock]


def clocks_from(raw: Mapping[str, Sequence[Any]] | None) -> Clocks:
    return {m: MetricClock.from_stored(m, c) for m, c in (raw or {}).items()}


def clocks_to(clocks: Clocks) -> dict[str, list[Any]]:
    return {m: c.to_stored() for m, c in clocks.items()}


def on_intake(now: datetime, policy: Policy, priority: str) -> Clocks:
    return {m: start(m, now, policy, priority) for m in ("first_response", "resolution")}


def on_operator_reply(clocks: Clocks, now: datetime, policy: Policy, priority: str) -> Clocks:
    """A reply answers the customer: first and next response are achieved."""
    return _map(clocks, ("first_response", "next_response"), lambda c: stop(c, now, policy, priority))


def on_customer_message(clocks: Clocks, now: datetime, policy: Policy, priority: str) -> Clocks:
    """The customer writes (the ticket is open again): paused clocks run, and
    an answered customer is owed a next response."""
    clocks = _map(clocks, PAUSED_BY_PENDING, lambda c: resume(c, now, policy, priority))
    first = clocks.get("first_response")
    waiting = clocks.get("next_response")
    # No first-response clock: a conversation an operator started, answered from its first message.
    if (first is None or first.outcome) and (waiting is None or waiting.outcome):
        clocks = clocks | {"next_response": start("next_response", now, policy, priority)}
    return clocks


def end(clocks: Clocks, now: datetime, policy: Policy, priority: str) -> Clocks:
    """The work is done: resolution is achieved (or breached); a response
    still owed is no longer owed (cancelled)."""
    clocks = _map(clocks, ("resolution",), lambda c: stop(c, now, policy, priority))
    return _map(clocks, ("first_response", "next_response"), lambda c: stop(c, now, policy, priority, achieved=False))


def cancel(clocks: Clocks, now: datetime, policy: Policy, priority: str) -> Clocks:
    """Nothing is owed on this ticket any more (it was merged into another,
    which owes it now): every clock still running stops, cancelled, neither
    achieved nor breached; breaches recorded before stay."""
    return _map(clocks, METRICS, lambda c: stop(c, now, policy, priority, achieved=False))


def reopen(clocks: Clocks, now: datetime, policy: Policy, priority: str) -> Clocks:
    """The work is not done after all: the resolution clock runs again."""
    return _map(clocks, ("resolution",), lambda c: resume(c, now, policy, priority))


def wait(clocks: Clocks, now: datetime, policy: Policy, priority: str) -> Clocks:
    """Waiting on the customer pauses what only we can move."""
    return _map(clocks, PAUSED_BY_PENDING, lambda c: pause(c, now, policy, priority))


def stop_waiting(clocks: Clocks, now: datetime, policy: Policy, priority: str) -> Clocks:
    return _map(clocks, PAUSED_BY_PENDING, lambda c: resume(c, now, policy, priority))


def on_priority(clocks: Clocks, policy: Policy, priority: str) -> Clocks:
    return _map(clocks, METRICS, lambda c: retarget(c, policy, priority))


def on_event(clocks: Clocks, event: SlaEvent, now: datetime) -> Clocks:
    return _map(clocks, (event.metric,), lambda c: record(c, event.kind, now))


def _map(clocks: Clocks, metrics: Collection[str], change: Callable[[MetricClock], MetricClock]) -> Clocks:
    return {m: change(c) if m in metrics else c for m, c in clocks.items()}
