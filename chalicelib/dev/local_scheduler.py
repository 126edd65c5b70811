"""Fires due one-time schedules from the emulated EventBridge Scheduler,
through the same handler Scheduler invokes in AWS, then deletes them as
`ActionAfterCompletion: DELETE` does."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

from ..adapters.aws import client
from ..clock import iso

_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")


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
