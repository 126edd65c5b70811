"""The local stage's stand-in for EventBridge Scheduler and the periodic
functions: due one-time schedules fire through the same handler Scheduler
invokes in AWS and are then deleted (as `ActionAfterCompletion: DELETE`
does); the reconciler and the mail retries run as their rates would. The
dev routes, the demo loader and `make run`'s background tick take turns."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from chalicelib.adapters.aws import client
from chalicelib.clock import iso

from . import stream

_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")
_ROUNDS = 50
PERIODIC = timedelta(minutes=1)
RUNNING = threading.RLock()
_periodic_at: datetime | None = None


def settle() -> None:
    """Everything caused so far has finished: the stream is drained."""
    with RUNNING:
        stream.drain()


def run_due(services, *, everything: bool = False) -> list[dict]:
    """Everything AWS would have run by now: due one-time schedules, the
    reconciler and the mail retries, each change's effects included. The
    background tick (every second) runs the reconciler and the retries at
    most once a minute of the dev clock, as their AWS rates would: each reads
    indexes that the emulator scans whole."""
    global _periodic_at
    with RUNNING:
        now = services.clock.now()
        # A clock behind the last run is another stack's (tests start each at the same time): due now.
        periodic = everything or _periodic_at is None or not timedelta() <= now - _periodic_at < PERIODIC
        if periodic:
            _periodic_at = now
        return _run_due(services, periodic)


def _run_due(services, periodic: bool) -> list[dict]:
    stream.drain()
    fired: list[dict] = []
    for _ in range(_ROUNDS):  # an action's effects may arm a next action that is already due
        round_ = fire_due(services.settings.scheduler_group, services.clock.now, services.timers.fire)
        stream.drain()
        if periodic:  # the reconcile job: schedules, then effects left undone
            reconciled = services.timers.reconcile()
            stream.drain()
            services.recovery.run()
            stream.drain()
            round_ += [
                {
                    "schedule": "reconcile",
                    "at": iso(services.clock.now()),
                    "payload": {"ticket_id": r["ticket_id"]},
                    "result": r,
                }
                for r in reconciled["acted"]
            ]
            for sent in services.delivery.retry_due():
                round_.append({"schedule": "retry_mail", "at": iso(services.clock.now()), "payload": {"sent": sent}})
        stream.drain()
        fired += round_
        if not any(item.get("result", {}).get("action") not in ("ignored", "rearmed") for item in round_):
            break
    return fired


def fire_due(group: str, now: Callable[[], datetime], invoke: Callable[[dict], dict]) -> list[dict]:
    """Fire every schedule due now, oldest first, once (as Scheduler would)."""
    scheduler = client("scheduler")
    due = []
    for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group):
        for summary in page["Schedules"]:
            detail = scheduler.get_schedule(GroupName=group, Name=summary["Name"])
            at = _when(detail["ScheduleExpression"])
            if at is not None and at <= now():
                due.append((at, detail))
    fired: list[dict] = []
    for at, detail in sorted(due, key=lambda pair: pair[0]):
        scheduler.delete_schedule(GroupName=group, Name=detail["Name"])
        payload = json.loads(detail["Target"]["Input"])
        fired.append({"schedule": detail["Name"], "at": iso(at), "payload": payload, "result": invoke(payload)})
    return fired


def _when(expression: str) -> datetime | None:
    match = _AT.match(expression)
    if not match:
        return None
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
