"""The customer's rating behind the follow-up email's signed link."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..adapters.secrets import SigningKey
from ..adapters.store.tickets import TicketStore
from ..clock import Clock
from ..config import Settings
from ..domain.errors import Gone, NotFound
from ..domain.feedback import ExpiredToken, UnknownToken, read_token
from ..domain.ticket import Ticket
from .tickets import TicketService


class FeedbackService:
    def __init__(
        self, settings: Settings, clock: Clock, store: TicketStore, tickets: TicketService, signing_key: SigningKey
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._tickets = tickets
        self._signing_key = signing_key

    def ticket_for(self, token: str) -> Ticket:
        """The ticket a link is for: 404 when forged or unknown, 410 when expired."""
        try:
            ticket_id = read_token(token, self._signing_key.accepted(), self._clock.now())
        except UnknownToken:
            raise NotFound("This feedback link is not valid.", field="token") from None
        except ExpiredToken:
            raise Gone("This feedback link has expired.", field="token") from None
        ticket = self._store.ticket(ticket_id)
        if ticket is None:
            raise NotFound("This feedback link is not valid.", field="token")
        if ticket.erased:  # its customer asked to be forgotten: nothing of theirs is taken again
            raise Gone("This feedback link has expired.", field="token")
        return ticket

    def record(self, ticket: Ticket, rating: Mapping[str, Any]) -> Ticket:
        return self._tickets.rate(ticket.id, rating)
