"""The local stage's record of outgoing ticket events (GET /_dev/events):
everything published goes to the emulated bus and into this list, and, as
there is no webhook queue locally, straight to the stage's webhooks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.adapters.bus import EventBus
from chalicelib.log import logger

log = logger(__name__)
_published: list[dict[str, Any]] = []
_lock = threading.Lock()


class RecordingBus(EventBus):
    def __init__(self, inner: EventBus, deliver: Callable[[Sequence[dict[str, Any]]], Any] | None = None) -> None:
        self._inner = inner
        self._deliver = deliver

    def publish(self, events: Sequence[dict[str, Any]]) -> None:
        self._inner.publish(events)
        with _lock:
            _published.extend(events)
        if self._deliver is not None:
            try:  # what AWS retries from the queue is only logged here: the stream must go on
                for event_id, failed in self._deliver(events).items():
                    log.warning(
                        "webhook delivery failed (no retries locally)",
                        extra={"event_id": event_id, "endpoints": failed},
                    )
            except Exception:
                log.exception("webhook delivery failed (no retries locally)")


def published() -> list[dict[str, Any]]:
    """Every event published so far, oldest first, as the contract lists them."""
    with _lock:
        return [
            {
                "type": e["type"],
                "ticket_id": e["data"]["ticket_id"],
                "time": e["time"],
                "id": e["id"],
                "detail": e["data"],
            }
            for e in _published
        ]


def envelopes() -> list[dict[str, Any]]:
    """Every event published so far, oldest first, as webhooks receive them."""
    with _lock:
        return [dict(e) for e in _published]


def forget() -> None:
    with _lock:
        _published.clear()
