"""Outgoing ticket events on the stage's EventBridge bus (docs/events.md):
other systems subscribe with rules; the webhook delivery queue is one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .aws import client

SOURCE = "careline"
_BATCH = 10  # PutEvents takes at most ten entries


class PublishError(Exception):
    """EventBridge did not take every event; the stream delivers the batch again."""


class EventBus:
    def __init__(self, name: str) -> None:
        self._name = name

    def publish(self, events: Sequence[dict[str, Any]]) -> None:
        """Each event is the documented envelope ({"id", "type", ...}); its
        `type` is the detail-type rules match on."""
        events_client = client("events")
        for start in range(0, len(events), _BATCH):
            chunk = events[start : start + _BATCH]
            answer = events_client.put_events(
                Entries=[
                    {
                        "Source": SOURCE,
                        "DetailType": event["type"],
                        "Detail": json.dumps(event, separators=(",", ":")),
                        "EventBusName": self._name,
                    }
                    for event in chunk
                ]
            )
            if answer.get("FailedEntryCount"):
                failed = [e.get("ErrorCode") for e in answer.get("Entries", []) if e.get("ErrorCode")]
                raise PublishError(f"{len(failed)} of {len(chunk)} events refused: {', '.join(map(str, failed))}")
