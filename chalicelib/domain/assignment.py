"""Automatic assignment: the available agent with the fewest open tickets,
ties broken round-robin (whoever was assigned longest ago)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

OPEN = ("new", "open", "pending")


@dataclass(frozen=True)
class Agent:
    email: str
    available: bool
    open_tickets: int
    last_assigned_at: datetime | None


def choose(agents: list[Agent]) -> Agent | None:
    candidates = [a for a in agents if a.available]
    never = datetime.min.replace(tzinfo=None)
    return min(candidates, default=None, key=lambda a: (
        a.open_tickets, a.last_assigned_at.replace(tzinfo=None) if a.last_assigned_at else never, a.email))


def workload_changes(before: tuple[str | None, str], after: tuple[str | None, str]) -> dict[str, int]:
    """How each agent's open-ticket count moves when a ticket's (assignee,
    status) changes: it counts for its assignee while it is open."""
    changes: dict[str, int] = {}
    for (assignee, status), sign in ((before, -1), (after, +1)):
        if assignee and status in OPEN:
            changes[assignee] = changes.get(assignee, 0) + sign
    return {agent: delta for agent, delta in changes.items() if delta}
