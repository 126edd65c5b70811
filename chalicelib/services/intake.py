"""Intake: a contact form becomes a stored ticket, in one transaction with
its reference, its Idempotency-Key and its place in the rate windows. The
acknowledgement, the SLA schedule, the assignment and the counters follow
from the table's stream: nothing is sent for what was not stored, and the
request waits for none of it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..adapters.store.claims import ClaimStore, IntakeClaims, RateWindow
from ..adapters.store.customers import CustomerStore
from ..adapters.store.tickets import Blocked, Claimed, RateLimited
from ..clock import Clock, iso
from ..config import Limit, Settings
from ..domain import ticket as tickets
from ..domain.errors import Conflict, FieldError, InvalidInput, TooManyRequests
from ..domain.identifiers import new_reference, new_ticket_id
from ..domain.inquiry import Inquiry, validate_inquiry
from ..domain.priority import assign_priority
from ..domain.text import mailbox
from ..log import logger
from .writer import TicketWriter

log = logger(__name__)
MAX_IDEMPOTENCY_KEY = 128


class IntakeService:
    def __init__(
        self, settings: Settings, clock: Clock, claims: ClaimStore, writer: TicketWriter, customers: CustomerStore
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._claims = claims
        self._writer = writer
        self._customers = customers

    def submit(self, fields: Mapping[str, Any], *, idempotency_key: str | None, sender: str | None) -> dict[str, Any]:
        """The 201 answer for a valid inquiry (the first answer again for a
        replayed Idempotency-Key)."""
        errors: list[FieldError] = []
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            errors.append(FieldError("Idempotency-Key", f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters"))
        try:
            inquiry = validate_inquiry(fields, self._settings.categories)
        except InvalidInput as invalid:
            errors.extend(invalid.errors)
        if errors:
            raise InvalidInput(errors)
        return self.open(inquiry, idempotency_key=idempotency_key or form_key(fields), sender=sender)

    def blocked(self, email: str) -> bool:
        """An operator marked a ticket from this address as spam: what it sends is quarantined."""
        return self._customers.blocked(email)

    def new_id(self) -> str:
        """An id for a ticket about to be opened (its files are stored under it first)."""
        return new_ticket_id(self._clock.now())

    def open(
        self,
        inquiry: Inquiry,
        *,
        idempotency_key: str | None = None,
        sender: str | None = None,
        message_id: str | None = None,
        linked_to: str | None = None,
        attachments: tuple[Mapping[str, Any], ...] = (),
        ticket_id: str | None = None,
        idempotency_for: timedelta | None = None,
        cc: tuple[str, ...] = (),
        quarantine: str | None = None,
    ) -> dict[str, Any]:
        """Store a valid inquiry as a new ticket (the web form's, or a new
        email's); the key is remembered for the stage's idempotency window
        unless the caller needs it longer. `quarantine` (why it is spam, one of
        domain.ticket.SPAM_REASONS) stores it as spam: the answer looks the
        same, and nothing else follows. A sender an operator marked as spam
        is found in the same transaction (Blocked), and quarantined then."""
        now = self._clock.now()
        priority = assign_priority(inquiry, self._settings.priority_rules, self._settings.vip_customers)
        ticket_id = ticket_id or new_ticket_id(now)
        digest = _body_hash(inquiry.canonical())
        windows = self._rate_windows(inquiry.email, sender, now) if self._settings.rate_limits else ()

        # The answer each drawn reference gets: a spam ticket's looks like any other (it tells a spammer nothing).
        shown: dict[str, dict[str, Any]] = {}

        def build(reference: str) -> tickets.Change:
            change = tickets.open_ticket(
                ticket_id=ticket_id,
                reference=reference,
                now=now,
                rules=self._settings.ticket_rules,
                priority=priority,
                inquiry=inquiry,
                message_id=message_id,
                linked_to=linked_to,
                attachments=attachments,
                cc=cc,
            )
            shown[reference] = _answer(change.after)
            if quarantine:
                return tickets.quarantined(change, reason=quarantine, now=now, rules=self._settings.ticket_rules)
            return change

        until = now + (idempotency_for or timedelta(hours=self._settings.idempotency_hours))

        if inquiry.honeypot_filled:
            log.info("honeypot filled: nothing stored or sent")
            decoy = build(new_reference())
            return self._decoy(shown[decoy.after.reference], idempotency_key, digest, until)

        def claims(change: tickets.Change) -> IntakeClaims:
            return IntakeClaims(
                reference=change.after.reference,
                idempotency_key=idempotency_key,
                body_hash=digest,
                answer=shown[change.after.reference],
                idempotency_until=until,
                windows=windows,
                unless_blocked=None if quarantine else inquiry.email,
            )

        try:
            try:
                change = self._writer.open_new(build, claims)
            except Blocked:  # an operator marked the sender as spam: stored as spam (build and claims read it)
                quarantine = "blocked_sender"
                change = self._writer.open_new(build, claims)
        except Claimed:
            first = self._first_answer(idempotency_key, digest) if idempotency_key else None
            if first is None:  # taken, and expired since: no first answer to give
                raise _reused() from None
            return first
        except RateLimited as limited:
            raise TooManyRequests(max(1, int((limited.window.ends_at - now).total_seconds()))) from None
        log.info(
            f"spam quarantined ({quarantine})" if quarantine else "ticket opened",
            extra={"ticket_id": ticket_id, "event": "ticket.spam" if quarantine else "ticket.created"},
        )
        return shown[change.after.reference]

    def _decoy(
        self, answer: dict[str, Any], idempotency_key: str | None, digest: str, until: datetime
    ) -> dict[str, Any]:
        """A filled honeypot's normal-looking answer. Under an Idempotency-Key
        only that answer is kept (no ticket, nothing sent), so a replay gets
        the same reference, as a real ticket's replay would: a different one
        would tell the bot it was seen."""
        if idempotency_key is None:
            return answer
        first = self._claims.keep_answer(f"idem#{idempotency_key}", digest, answer, until)
        if first is None:
            return answer
        if first.body_hash != digest:
            raise _reused()
        return dict(first.response)

    def answered(self, inquiry: Inquiry, idempotency_key: str) -> dict[str, Any] | None:
        """The first answer to this inquiry under this key, or None if the key
        is free; Conflict if another inquiry took it. One read, so a caller
        learns of a replay before it does any work for a new ticket."""
        return self._first_answer(idempotency_key, _body_hash(inquiry.canonical()))

    def _first_answer(self, idempotency_key: str, digest: str) -> dict[str, Any] | None:
        first = self._claims.claim(f"idem#{idempotency_key}")
        if first is None:
            return None
        if first.body_hash != digest:
            raise _reused()
        return dict(first.response)

    def _rate_windows(self, email: str, sender: str | None, now: datetime) -> tuple[RateWindow, ...]:
        def window(kind: str, who: str, limit: Limit) -> RateWindow:
            length = limit.window_minutes * 60
            start = int(now.timestamp()) // length * length
            return RateWindow(
                f"rate#{kind}#{who}#{start}", limit.requests, datetime.fromtimestamp(start + length, now.tzinfo)
            )

        # Keyed by mailbox (domain/text.py): ann+1@, ann+2@ (and a.nn@ at Gmail) share ann@'s window.
        windows = [window("email", mailbox(email), self._settings.per_email)]
        if sender:
            windows.append(window("sender", sender, self._settings.per_sender))
        return tuple(windows)


def form_key(fields: Mapping[str, Any]) -> str | None:
    """A plain form's one-time key (its hidden `form_key`): a post without an
    Idempotency-Key header uses it as one, so a form sent again (after a
    503, or by the browser) returns the first ticket."""
    key = fields.get("form_key")
    return key.strip() or None if isinstance(key, str) else None


def _body_hash(document: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def _reused() -> Conflict:
    return Conflict("this Idempotency-Key was used with a different request", field="Idempotency-Key")


def _answer(ticket: tickets.Ticket) -> dict[str, Any]:
    due = tickets.due_times(ticket)
    first_response, resolution = due["first_response"], due["resolution"]
    assert first_response is not None and resolution is not None  # a new ticket's clocks run
    return {
        "id": ticket.id,
        "reference": ticket.reference,
        "status": ticket.status,
        "priority": ticket.priority,
        "first_response_due": iso(first_response),
        "resolution_due": iso(resolution),
    }
