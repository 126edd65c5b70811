"""SES inbound mail to the support address: a customer's reply joins its
ticket, new mail opens a ticket (channel email), and automatic mail, mail
from our own addresses and a message already seen are ignored. Every
decision is an event on a ticket or, when no ticket results, a log line."""
from __future__ import annotations

from ..adapters.store import Claimed, TicketStore
from ..config import Settings
from ..domain.errors import Conflict, InvalidInput, TooManyRequests
from ..domain.inbound import Attachment, parse
from ..domain.inquiry import validate_inquiry
from ..log import logger
from .intake import IntakeService
from .tickets import TicketService

log = logger(__name__)
ATTACHMENTS_ONLY = "(no text: see the attached files)"


class InboundService:
    def __init__(self, settings: Settings, store: TicketStore, tickets: TicketService, intake: IntakeService) -> None:
        self._settings = settings
        self._store = store
        self._tickets = tickets
        self._intake = intake

    def handle(self, raw: bytes) -> dict:
        decision = self._decide(raw)
        log.info("inbound mail", extra={"ticket_id": decision.get("ticket_id"), "event": "inbound." + decision["action"],
                                        "reason": decision["reason"]})
        return decision

    def _decide(self, raw: bytes) -> dict:
        mail = parse(raw, own_addresses=self._settings.own_addresses)
        if mail.automatic:  # machines and our own addresses never open, reopen or get an answer
            return _ignored(f"automatic mail ({mail.automatic})")
        files = tuple(_described(a) for a in mail.attachments if not a.inline)
        text = mail.body or (ATTACHMENTS_ONLY if any(not f.get("refused") for f in files) else "")
        if not text:
            return _ignored("no text in the message")
        ticket = self._named_ticket(mail)
        if ticket is not None and ticket.status != "closed":
            try:
                self._tickets.customer_wrote(ticket.id, text, message_id=mail.message_id, subject=mail.subject,
                                             attachments=files)
            except Claimed:
                return _ignored("this message was added already", ticket.id)
            return {"ticket_id": ticket.id, "action": "appended", "reason": f"reply to {ticket.reference}"}
        subject = mail.subject
        if mail.reference:
            subject = subject.replace(f"[{mail.reference}]", "").strip()
        fields = {"name": mail.sender_name or mail.sender.partition("@")[0], "email": mail.sender,
                  "message": text, "subject": subject[:200], "channel": "email"}
        try:
            inquiry = validate_inquiry(fields, self._settings.categories)
        except InvalidInput as invalid:
            return _ignored("; ".join(f"{e.field} {e.message}" for e in invalid.errors))
        # The Message-ID makes a redelivery (SES retries) open one ticket; a
        # different mail reusing an ID (broken mailers do) still gets its own.
        key = f"mail:{mail.message_id}"[:128] if mail.message_id else None
        linked = ticket.id if ticket is not None else None
        try:
            try:
                answer = self._intake.open(inquiry, idempotency_key=key, message_id=mail.message_id, linked_to=linked,
                                           attachments=files)
            except Conflict:
                answer = self._intake.open(inquiry, message_id=mail.message_id, linked_to=linked, attachments=files)
        except TooManyRequests:
            return _ignored("too many new messages from this address just now")
        if ticket is not None:
            self._tickets.link(ticket.id, answer["id"], answer["reference"])
            return {"ticket_id": answer["id"], "action": "created",
                    "reason": f"{ticket.reference} is closed; continued in {answer['reference']}"}
        return {"ticket_id": answer["id"], "action": "created", "reason": "matches no open ticket"}

    def _named_ticket(self, mail):
        """The ticket the subject's reference names, if its customer wrote."""
        if not mail.reference:
            return None
        ticket_id = self._store.ticket_id_for_reference(mail.reference)
        ticket = self._store.ticket(ticket_id) if ticket_id else None
        if ticket is None or ticket.customer_email != mail.sender:
            return None
        return ticket


def _described(attachment: Attachment) -> dict:
    """What the thread records of a file: never its bytes."""
    described = {"name": attachment.name, "type": attachment.content_type, "size": attachment.size,
                 "sha256": attachment.sha256}
    return described | ({"refused": attachment.refused} if attachment.refused else {})


def _ignored(reason: str, ticket_id: str | None = None) -> dict:
    return {"ticket_id": ticket_id, "action": "ignored", "reason": reason}
