"""Automatic assignment: the available agent with the fewest open tickets,
ties broken by address so the choice is the same wherever it is made (the
next new ticket then goes to the other, whose count is now lower)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Agent:
    email: str
    available: bool
    open_tickets: int


def choose(agents: list[Agent]) -> Agent | None:
    candidates = [a for a in agents if a.available]
    return min(candidates, default=None, key=lambda a: (a.open_tickets, a.email))
