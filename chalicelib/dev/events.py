"""The local stage's record of outgoing ticket events (GET /_dev/events):
everything published goes to the emulated bus and into this list."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from ..adapters.bus import EventBus

_published: list[dict[str, Any]] = []
_lock = threading.Lock()


class RecordingBus(EventBus):
    def __init__(self, inner: EventBus) -> None:
        self._inner = inner

    def publish(self, events: Sequence[dict[str, Any]]) -> None:
        self._inner.publish(events)
        with _lock:
            _published.extend(events)


def published() -> list[dict[str, Any]]:
    """Every event published so far, oldest first, as the contract lists them."""
    with _lock:
        return [{"type": e["type"], "ticket_id": e["data"]["ticket_id"], "time": e["time"], "id": e["id"],
                 "detail": e["data"]} for e in _published]


def forget() -> None:
    with _lock:
        _published.clear()
