"""The ticket a customer's signed link is for (the rating page, the status
page): 404 when forged, edited or not ours, 410 when past its time."""

from __future__ import annotations

from ..adapters.secrets import SigningKey
from ..adapters.store.tickets import TicketStore
from ..clock import Clock
from ..domain.errors import Gone, NotFound
from ..domain.feedback import ExpiredToken, UnknownToken, read_token
from ..domain.ticket import Ticket


class Links:
    def __init__(self, clock: Clock, store: TicketStore, signing_key: SigningKey) -> None:
        self._clock = clock
        self._store = store
        self._signing_key = signing_key

    def ticket_for(self, token: str, purpose: str, what: str, *, expired_ok: bool = False) -> Ticket:
        """The ticket; `what` names the link in the refusal ("This feedback link is not valid.")."""
        try:
            ticket_id = read_token(
                token, self._signing_key.accepted(), self._clock.now(), purpose, expired_ok=expired_ok
            )
        except UnknownToken:
            raise NotFound(f"This {what} is not valid.", field="token") from None
        except ExpiredToken:
            raise Gone(f"This {what} has expired.", field="token") from None
        ticket = self._store.ticket(ticket_id)
        if ticket is None:
            raise NotFound(f"This {what} is not valid.", field="token")
        return ticket
