"""Time is injected, never read ad hoc: SLA logic is testable and the local
stage can move time forward."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None:
        """Wait (a retry's pause): real time passes, or a test's clock moves."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class OffsetClock:
    """Real time plus an offset that only moves forward (the local stage's
    dev clock: `POST /_dev/clock`)."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta():
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()


class FixedClock:
    """A clock that stands still until told to move (tests)."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        """A pause takes no real time: the clock moves instead."""
        self.advance(timedelta(seconds=seconds))

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with a Z, second precision: the contract's due-time format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
