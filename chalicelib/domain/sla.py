"""SLA due times and the one next SLA event a ticket is scheduled for."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..config import PriorityTargets


@dataclass(frozen=True)
class DueTimes:
    first_response: datetime
    resolution: datetime


@dataclass(frozen=True)
class SlaEvent:
    """A moment the SLA engine must act: warn before, or record a breach at, a due time."""
    metric: str  # "first_response" or "resolution"
    kind: str  # "warning" or "breach"
    at: datetime


def due_times(start: datetime, targets: PriorityTargets) -> DueTimes:
    return DueTimes(
        first_response=start + timedelta(minutes=targets.first_response.minutes),
        resolution=start + timedelta(minutes=targets.resolution.minutes),
    )


def warning_time(start: datetime, due: datetime, warning_percent: int) -> datetime:
    """When `warning_percent` of the time to `due` has elapsed, to the second."""
    elapsed = (due - start) * warning_percent / 100
    return start + timedelta(seconds=int(elapsed.total_seconds()))


def next_event(start: datetime, due: DueTimes, warning_percent: int, *,
               first_responded: bool, done: frozenset[tuple[str, str]]) -> SlaEvent | None:
    """The earliest warning or breach not yet handled (`done` holds the
    (metric, kind) pairs already recorded); None once nothing is left."""
    candidates = []
    metrics = [("resolution", due.resolution)]
    if not first_responded:
        metrics.insert(0, ("first_response", due.first_response))
    for metric, at in metrics:
        for kind, when in (("warning", warning_time(start, at, warning_percent)), ("breach", at)):
            if (metric, kind) not in done:
                candidates.append(SlaEvent(metric, kind, when))
    return min(candidates, key=lambda e: e.at, default=None)
