"""The customer's rating behind the follow-up email's signed link."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.errors import Gone
from ..domain.feedback import FEEDBACK
from ..domain.ticket import Ticket
from .links import Links
from .tickets import TicketService


class FeedbackService:
    def __init__(self, links: Links, tickets: TicketService) -> None:
        self._links = links
        self._tickets = tickets

    def ticket_for(self, token: str) -> Ticket:
        """The ticket a link is for: 404 when forged or unknown, 410 when expired."""
        ticket = self._links.ticket_for(token, FEEDBACK, "feedback link")
        if ticket.erased:  # its customer asked to be forgotten: nothing of theirs is taken again
            raise Gone("This feedback link has expired.", field="token")
        return ticket

    def record(self, ticket: Ticket, rating: Mapping[str, Any]) -> Ticket:
        return self._tickets.rate(ticket.id, rating)
