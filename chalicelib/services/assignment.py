"""Who gets a new ticket: read from the stream when a ticket is created, so
the request that created it never queries the roster. The roster is one
Query; each available agent's open tickets are counted from the by_assignee
index (keys only), so no counter has to be kept in step."""

from __future__ import annotations

from ..adapters.store import TicketStore
from ..config import Settings
from ..domain import ticket as tickets
from ..domain.assignment import Agent, choose
from .writer import TicketWriter


class Assignment:
    def __init__(self, settings: Settings, store: TicketStore, writer: TicketWriter) -> None:
        self._settings = settings
        self._store = store
        self._writer = writer

    def assign(self, ticket_id: str) -> str | None:
        """Give a new, unassigned ticket to an agent; the agent, or None."""
        agents = [Agent(a.name, True, self._store.open_tickets_of(a.name)) for a in self._store.roster() if a.available]
        agent = choose(agents)
        if agent is None:
            return None
        rules = self._settings.ticket_rules
        written = self._writer.apply(
            ticket_id, lambda t, _, now: tickets.assign(t, agent=agent.email, now=now, rules=rules)
        )
        return agent.email if written.change else None
