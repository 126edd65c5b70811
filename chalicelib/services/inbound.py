"""SES inbound mail to the support address: a customer's reply joins its
ticket, new mail opens a ticket (channel email), and automatic mail, mail
from our own addresses and a message already seen are ignored. Spam (SES's
spam or virus verdict FAIL, or a sender an operator marked as spam) becomes
a spam ticket of its own that nothing answers; a virus's files are never stored. Every
decision is an event on a ticket or, when no ticket results, a log line.
The files a mail carries are stored under its ticket before the message is
written (services/attachments.py), and only once: a mail is first looked up
by its Message-ID's claim, so one already taken stores nothing again.

A mail can come back long after it was taken: Lambda retries the S3 event
for hours, then dead-letters it, and an operator may re-drive it until the
dead-letter queue lets it go. Its claim outlives all of that."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any, TypedDict

from ..adapters.queue import ASYNC_EVENT_AGE, RETENTION
from ..adapters.store.claims import ClaimStore
from ..adapters.store.tickets import Claimed, TicketStore
from ..config import Settings
from ..domain.errors import Conflict, InvalidInput, TooManyRequests
from ..domain.inbound import InboundMail, parse
from ..domain.inquiry import Inquiry, validate_inquiry
from ..domain.ticket import Ticket, mail_claim
from ..log import logger
from ..views.i18n import customer_tag
from .attachments import Attachments
from .intake import IntakeService
from .tickets import TicketService

log = logger(__name__)
ATTACHMENTS_ONLY = "(no text: see the attached files)"
ADDED_ALREADY = "this message was added already"
# How long a new ticket's mail is remembered by its Message-ID: Lambda's
# retries, then the dead-letter queue's whole retention, plus a day for the
# operator who read the message on its last day and re-drives it after.
REMEMBER_MAIL = ASYNC_EVENT_AGE + RETENTION + timedelta(days=1)


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
        claims: ClaimStore,
        tickets: TicketService,
        intake: IntakeService,
        attachments: Attachments,
    ) -> None:
        self._settings = settings
        self._store = store
        self._claims = claims
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
        sent_files = any(not a.inline and (a.kept or a.refused == "virus") for a in mail.attachments)
        text = mail.body or (ATTACHMENTS_ONLY if sent_files else "")
        if not text:
            return _ignored("no text in the message")
        # Spam (SES's verdict, or a sender an operator blocked) joins no ticket: it is a spam ticket of its own.
        quarantine = mail.verdict or ("blocked_sender" if self._intake.blocked(mail.sender) else None)
        ticket = None if quarantine else self._named_ticket(mail)
        if ticket is not None and mail.message_id:
            # Before the status: the ticket the mail joined may have closed since.
            joined = self._claims.claim(mail_claim(mail.message_id))
            if joined is not None:
                return _ignored(ADDED_ALREADY, joined.ticket_id or ticket.id)
        if ticket is not None and ticket.status != "closed":
            files = self._attachments.keep(ticket.id, mail.attachments)
            try:
                self._tickets.customer_wrote(
                    ticket.id,
                    text,
                    message_id=mail.message_id,
                    subject=mail.subject,
                    attachments=files,
                    cc=mail.cc,
                    sender=mail.sender,
                )
            except Claimed:  # the same mail, delivered twice at once, was quicker
                return _ignored(ADDED_ALREADY, ticket.id)
            merged = f"{mail.reference}, merged into " if mail.reference != ticket.reference else ""
            return {"ticket_id": ticket.id, "action": "appended", "reason": f"reply to {merged}{ticket.reference}"}
        subject = mail.subject
        if mail.reference:
            subject = subject.replace(f"[{mail.reference}]", "").strip()
        fields = {
            "name": mail.sender_name or mail.sender.partition("@")[0],
            "email": mail.sender,
            "message": text,
            "subject": subject[:200],
            "channel": "email",
        } | self._language_and_zone(mail)
        try:
            inquiry = validate_inquiry(fields, self._settings.categories)
        except InvalidInput as invalid:
            return _ignored("; ".join(f"{e.field} {e.message}" for e in invalid.errors))
        # The Message-ID makes a redelivery (SES retries, a re-drive) open one
        # ticket; a different mail reusing an ID (broken mailers do) still gets its own.
        key = f"mail:{mail.message_id}"[:128] if mail.message_id else None
        if key is not None:
            try:
                first = self._intake.answered(inquiry, key)
            except Conflict:
                key = None  # another mail has this Message-ID: this one gets a ticket of its own
            else:
                if first is not None:  # taken already: nothing is stored again
                    if ticket is not None:  # in case the first delivery stopped before it
                        self._tickets.link(ticket.id, first["id"], first["reference"])
                    return _ignored(f"this message opened {first['reference']} already", first["id"])
        answer = self._open(
            inquiry, mail, key, linked_to=ticket.id if ticket is not None else None, quarantine=quarantine
        )
        if answer is None:
            return _ignored("too many new messages from this address just now")
        if quarantine:
            return {"ticket_id": answer["id"], "action": "created", "reason": f"quarantined as spam ({quarantine})"}
        if ticket is not None:
            self._tickets.link(ticket.id, answer["id"], answer["reference"])
            return {
                "ticket_id": answer["id"],
                "action": "created",
                "reason": f"{ticket.reference} is closed; continued in {answer['reference']}",
            }
        return {"ticket_id": answer["id"], "action": "created", "reason": "matches no open ticket"}

    def _open(
        self, inquiry: Inquiry, mail: InboundMail, key: str | None, linked_to: str | None, quarantine: str | None
    ) -> dict[str, Any] | None:
        """A new ticket for the mail, its files stored under its id first: the
        intake's answer (the first ticket's if the same mail, delivered twice
        at once, won the race), or None if the sender is rate limited. Files
        under an id no ticket took are removed."""
        new_id = self._intake.new_id()
        files = self._attachments.keep(new_id, mail.attachments)
        opening = partial(
            self._intake.open,
            inquiry,
            message_id=mail.message_id,
            linked_to=linked_to,
            attachments=files,
            ticket_id=new_id,
            cc=mail.cc,
            quarantine=quarantine,
        )
        answer = None
        try:
            try:
                answer = opening(idempotency_key=key, idempotency_for=REMEMBER_MAIL)
            except Conflict:  # another mail took the Message-ID since it was looked up
                answer = opening()
        except TooManyRequests:
            pass
        if (answer is None or answer["id"] != new_id) and files:
            self._attachments.purge(new_id)
        return answer

    def _language_and_zone(self, mail: InboundMail) -> dict[str, str]:
        """The mail's language (its Content-Language or Accept-Language), else
        the one the sender's last ticket had; their last ticket's time zone."""
        found = {"locale": customer_tag(mail.languages)}
        last_ids = self._store.ticket_ids_of(mail.sender, 1) if mail.sender else []
        last = self._store.tickets(last_ids).get(last_ids[0]) if last_ids else None
        if last is not None:
            found = {"locale": found["locale"] or last.details["locale"], "timezone": last.details["timezone"]}
        return {k: v for k, v in found.items() if v}

    def _named_ticket(self, mail: InboundMail) -> Ticket | None:
        """The ticket the subject's reference names, if its customer (or one
        of its followers) wrote: for a merged ticket, the one it was merged into."""
        if not mail.reference:
            return None
        ticket_id = self._claims.ticket_id_for_reference(mail.reference)
        ticket = self._store.ticket(ticket_id) if ticket_id else None
        if ticket is None or mail.sender not in (ticket.customer_email, *ticket.cc):
            return None
        return self._tickets.belongs_to(ticket)


def _ignored(reason: str, ticket_id: str | None = None) -> Decision:
    return {"ticket_id": ticket_id, "action": "ignored", "reason": reason}
