"""Who gets a new ticket. The roster is read whole (one Query) and kept for a
short while per container, so an intake usually costs no extra call; the
intake transaction itself refuses an agent who went unavailable meanwhile."""
from __future__ import annotations

from datetime import datetime, timedelta

from ..adapters.store import TicketStore
from ..clock import Clock
from ..domain.assignment import Agent, choose

ROSTER_TTL = timedelta(seconds=30)


class Assignment:
    def __init__(self, store: TicketStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._roster: list[Agent] | None = None
        self._read_at: datetime | None = None

    def choose(self) -> str | None:
        now = self._clock.now()
        if self._roster is None or now - self._read_at > ROSTER_TTL:
            self._roster = [Agent(a.name, bool(a.available), int(a.open_tickets or 0), a.last_assigned_at)
                            for a in self._store.roster()]
            self._read_at = now
        agent = choose(self._roster)
        if agent is None:
            return None
        # Count it here too, so the next intake in this container goes round.
        self._roster = [Agent(a.email, a.available, a.open_tickets + 1, now) if a is agent else a
                        for a in self._roster]
        return agent.email

    def forget(self) -> None:
        self._roster = None
