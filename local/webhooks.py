"""The local stage's webhook receiver (POST /_dev/webhooks): it checks each
delivery's signature as a real receiver would (docs/events.md) and keeps
what arrived for GET /_dev/webhooks, oldest first."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

from chalicelib.domain.webhooks import SIGNATURE_HEADER, BadSignature, verify

_received: list[dict[str, Any]] = []
_lock = threading.Lock()


def receive(headers: dict[str, str], body: bytes, secrets: Iterable[bytes], now: int) -> dict[str, Any]:
    """Check and keep one delivery; what was kept (`verified`, and `error` when not)."""
    named = {k.lower(): v for k, v in headers.items()}
    delivery: dict[str, Any] = {
        "received_at": now,
        "event_id": named.get("careline-event-id"),
        "type": named.get("careline-event-type"),
        "signature": named.get(SIGNATURE_HEADER.lower()),
    }
    try:
        verify(delivery["signature"], body, secrets, now)
        delivery["verified"] = True
    except BadSignature as error:
        delivery |= {"verified": False, "error": str(error)}
    try:
        delivery["event"] = json.loads(body)
    except ValueError:
        delivery["event"] = None
    with _lock:
        _received.append(delivery)
    return delivery


def received() -> list[dict[str, Any]]:
    with _lock:
        return [dict(d) for d in _received]
