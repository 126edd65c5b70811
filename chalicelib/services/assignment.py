"""Who gets a new ticket: read from the stream when a ticket is created, so
the request that created it never queries the roster. The roster is one
Query; each available agent's open tickets are counted from the by_assignee
index (keys only), so no counter has to be kept in step. A stream batch
reads them once and counts its own assignments on top."""

from __future__ import annotations

from ..adapters.store.directory import DirectoryStore
from ..adapters.store.tickets import TicketStore
from ..config import Settings
from ..domain import ticket as tickets
from ..domain.assignment import Agent, choose
from .writer import TicketWriter


class Workloads:
    """Open tickets per available agent, read when first needed."""

    def __init__(self, store: TicketStore, directory: DirectoryStore) -> None:
        self._store = store
        self._directory = directory
        self._open: dict[str, int] | None = None

    def agents(self) -> list[Agent]:
        if self._open is None:
            self._open = {a.name: self._store.open_tickets_of(a.name) for a in self._directory.roster() if a.available}
        return [Agent(email, True, count) for email, count in self._open.items()]

    def took(self, agent: str) -> None:
        """One more open ticket for an agent `agents()` offered."""
        assert self._open is not None
        self._open[agent] += 1


class Assignment:
    def __init__(self, settings: Settings, store: TicketStore, directory: DirectoryStore, writer: TicketWriter) -> None:
        self._settings = settings
        self._store = store
        self._directory = directory
        self._writer = writer

    def workloads(self) -> Workloads:
        return Workloads(self._store, self._directory)

    def assign(self, ticket_id: str, workloads: Workloads, known: tickets.Ticket | None = None) -> str | None:
        """Give a new, unassigned ticket to an agent; the agent, or None.
        `workloads`: the stream batch's, so it reads the roster once; `known`:
        the ticket as the caller holds it, to write without reading it first."""
        agent = choose(workloads.agents())
        if agent is None:
            return None
        rules = self._settings.ticket_rules
        written = self._writer.apply(
            ticket_id, lambda t, _, now: tickets.assign(t, agent=agent.email, now=now, rules=rules), known=known
        )
        if written.change is None:
            return None
        workloads.took(agent.email)
        return agent.email
