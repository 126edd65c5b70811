"""Who else is on a ticket: each open ticket page says so every
HEARTBEAT_SECONDS (viewing, or typing while a reply is being written) and
hears who else did within the last TTL_SECONDS. No WebSocket server: a
short-lived item per operator (adapters/store/presence.py) and the page's
own polling; two operators about to answer the same customer see each
other, and If-Match on replies stops the second answer if they do not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..adapters.store.directory import DirectoryStore
from ..adapters.store.presence import PresenceStore, Seen
from ..clock import Clock, iso
from ..domain.validation import check
from .directory import display_name

HEARTBEAT_SECONDS = 15  # how often an open ticket page says it is there while it shares the ticket or types
# Alone and only reading, it says so every minute: each heartbeat is an API request (bench/cost.py:
# at 15 s they were half of what a ticket's life cost besides email). Whoever arrives sees it at once.
ALONE_HEARTBEAT_SECONDS = 60
MISSED_BEATS = 3  # gone after three heartbeats missed (a closed tab, a lost network)
TTL_SECONDS = MISSED_BEATS * HEARTBEAT_SECONDS


class Presence:
    def __init__(self, clock: Clock, store: PresenceStore, directory: DirectoryStore) -> None:
        self._clock = clock
        self._store = store
        self._directory = directory

    def here(self, ticket_id: str, email: str, body: object) -> dict[str, Any]:
        """`email` is on the ticket (`{"state": "viewing" | "typing"}`); who
        else is, and when to say so again."""
        check("presence", body)
        assert isinstance(body, dict)
        now, state = self._clock.now(), body["state"]
        present = self._store.present(ticket_id, now)
        mine = next((s for s in present if s.email == email), None)
        since = mine.since if mine is not None and mine.state == state else now
        others = sorted((s for s in present if s.email != email), key=lambda s: (s.state != "typing", s.since))
        beat = HEARTBEAT_SECONDS if others or state == "typing" else ALONE_HEARTBEAT_SECONDS
        self._store.put(ticket_id, Seen(email, state, since, now, now + timedelta(seconds=MISSED_BEATS * beat)))
        return {
            "others": [
                {
                    "email": s.email,
                    "name": display_name(self._directory, s.email),
                    "state": s.state,
                    "since": iso(s.since),
                    "seen_at": iso(s.seen_at),
                }
                for s in others
            ],
            "heartbeat_seconds": beat,
            "server_time": iso(now),
        }

    def leave(self, ticket_id: str, email: str) -> None:
        self._store.remove(ticket_id, email)
