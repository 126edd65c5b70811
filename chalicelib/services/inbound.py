"""SES inbound mail to the support address: a customer's reply joins its
ticket, new mail opens a ticket (channel email), and automatic mail, mail
from our own addresses and a message already seen are ignored. Every
decision is an event on a ticket or, when no ticket results, a log line.
The files a mail carries are stored under its ticket before the message is
written (services/attachments.py)."""

from __future__ import annotations

from typing import TypedDict

from ..adapters.store import Claimed, TicketStore
from ..config import Settings
from ..domain.errors import Conflict, InvalidInput, TooManyRequests
from ..domain.inbound import InboundMail, parse
from ..domain.inquiry import validate_inquiry
from ..domain.ticket import Ticket
from ..log import logger
from .attachments import Attachments
from .intake import IntakeService
from .tickets import TicketService

log = logger(__name__)
ATTACHMENTS_ONLY = "(no text: see the attached files)"


class Decision(TypedDict):
    """What became of one inbound mail."""

    ticket_id: str | None
    action: str  # appended | created | ignored
    reason: str


class InboundService:
    def __init__(
        self,
        settings: Settings,
        store: TicketStore,
        tickets: TicketService,
        intake: IntakeService,
        attachments: Attachments,
    ) -> None:
        self._settings = settings
        self._store = store
        self._tickets = tickets
        self._intake = intake
        self._attachments = attachments

    def handle(self, raw: bytes) -> Decision:
        decision = self._decide(raw)
        log.info(
            "inbound mail",
            extra={
                "ticket_id": decision.get("ticket_id"),
                "event": "inbound." + decision["action"],
                "reason": decision["reason"],
            },
        )
        return decision

    def _decide(self, raw: bytes) -> Decision:
        mail = parse(raw, own_addresses=self._settings.own_addresses)
        if mail.automatic:  # machines and our own addresses never open, reopen or get an answer
            return _ignored(f"automatic mail ({mail.automatic})")
        text = mail.body or (ATTACHMENTS_ONLY if any(a.kept and not a.inline for a in mail.attachments) else "")
        if not text:
            return _ignored("no text in the message")
        ticket = self._named_ticket(mail)
        if ticket is not None and ticket.status != "closed":
            files = self._attachments.keep(ticket.id, mail.attachments)
            try:
                self._tickets.customer_wrote(
                    ticket.id, text, message_id=mail.message_id, subject=mail.subject, attachments=files
                )
            except Claimed:
                return _ignored("this message was added already", ticket.id)
            return {"ticket_id": ticket.id, "action": "appended", "reason": f"reply to {ticket.reference}"}
        subject = mail.subject
        if mail.reference:
            subject = subject.replace(f"[{mail.reference}]", "").strip()
        fields = {
            "name": mail.sender_name or mail.sender.partition("@")[0],
            "email": mail.sender,
            "message": text,
            "subject": subject[:200],
            "channel": "email",
        }
        try:
            inquiry = validate_inquiry(fields, self._settings.categories)
        except InvalidInput as invalid:
            return _ignored("; ".join(f"{e.field} {e.message}" for e in invalid.errors))
        # The Message-ID makes a redelivery (SES retries) open one ticket; a
        # different mail reusing an ID (broken mailers do) still gets its own.
        key = f"mail:{mail.message_id}"[:128] if mail.message_id else None
        linked = ticket.id if ticket is not None else None
        new_id = self._intake.new_id()
        files = self._attachments.keep(new_id, mail.attachments)
        try:
            try:
                answer = self._intake.open(
                    inquiry,
                    idempotency_key=key,
                    message_id=mail.message_id,
                    linked_to=linked,
                    attachments=files,
                    ticket_id=new_id,
                )
            except Conflict:
                answer = self._intake.open(
                    inquiry, message_id=mail.message_id, linked_to=linked, attachments=files, ticket_id=new_id
                )
        except TooManyRequests:
            answer = None
        if (answer is None or answer["id"] != new_id) and files:
            self._attachments.purge(new_id)  # the files went under an id no ticket took
        if answer is None:
            return _ignored("too many new messages from this address just now")
        if ticket is not None:
            self._tickets.link(ticket.id, answer["id"], answer["reference"])
            return {
                "ticket_id": answer["id"],
                "action": "created",
                "reason": f"{ticket.reference} is closed; continued in {answer['reference']}",
            }
        return {"ticket_id": answer["id"], "action": "created", "reason": "matches no open ticket"}

    def _named_ticket(self, mail: InboundMail) -> Ticket | None:
        """The ticket the subject's reference names, if its customer wrote."""
        if not mail.reference:
            return None
        ticket_id = self._store.ticket_id_for_reference(mail.reference)
        ticket = self._store.ticket(ticket_id) if ticket_id else None
        if ticket is None or ticket.customer_email != mail.sender:
            return None
        return ticket


def _ignored(reason: str, ticket_id: str | None = None) -> Decision:
    return {"ticket_id": ticket_id, "action": "ignored", "reason": reason}
