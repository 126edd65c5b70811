"""SES inbound mail to the support address: a reply joins its ticket, new
mail opens a ticket (channel email), automatic mail is ignored."""
from __future__ import annotations

import logging

from ..adapters.store import TicketStore
from ..domain.errors import Conflict, InvalidInput
from ..domain.inbound import parse
from .intake import IntakeService
from .tickets import TicketService

log = logging.getLogger(__name__)


class InboundService:
    def __init__(self, store: TicketStore, tickets: TicketService, intake: IntakeService) -> None:
        self._store = store
        self._tickets = tickets
        self._intake = intake

    def handle(self, raw: bytes) -> dict:
        mail = parse(raw)
        if mail.automatic:
            return {"ticket_id": None, "action": "ignored", "reason": f"automatic mail ({mail.automatic})"}
        if not mail.body:
            return {"ticket_id": None, "action": "ignored", "reason": "no text in the message"}
        ticket = self._named_ticket(mail)
        if ticket is not None:
            self._tickets.customer_message(ticket.id, mail.body, message_id=mail.message_id, subject=mail.subject)
            return {"ticket_id": ticket.id, "action": "appended", "reason": f"reply to {ticket.reference}"}
        subject = mail.subject
        if mail.reference:
            subject = subject.replace(f"[{mail.reference}]", "").strip()
        fields = {"name": mail.sender_name or mail.sender.partition("@")[0], "email": mail.sender,
                  "message": mail.body, "subject": subject[:200], "channel": "email"}
        # The Message-ID makes a redelivery (SES retries) open one ticket; a
        # different mail reusing an ID (broken mailers do) still gets its own.
        key = f"mail:{mail.message_id}"[:128] if mail.message_id else None
        try:
            try:
                answer = self._intake.submit(fields, idempotency_key=key, sender=None)
            except Conflict:
                answer = self._intake.submit(fields, idempotency_key=None, sender=None)
        except InvalidInput as invalid:
            return {"ticket_id": None, "action": "ignored",
                    "reason": "; ".join(f"{e.field} {e.message}" for e in invalid.errors)}
        return {"ticket_id": answer["id"], "action": "created", "reason": "matches no open ticket"}

    def _named_ticket(self, mail):
        """The ticket the subject's reference names, if the customer of that
        ticket wrote and it is not closed (a closed one gets a new ticket)."""
        if not mail.reference:
            return None
        claim = self._store.get_claim(f"ref#{mail.reference}")
        ticket = self._store.get_ticket(claim.ticket_id) if claim else None
        if ticket is None or ticket.status == "closed" or ticket.customer_email != mail.sender:
            return None
        return ticket
