"""Intake: a contact form becomes a stored ticket, an acknowledgement and an
SLA schedule, in that order: nothing is sent for what was not stored."""
from __future__ import annotations

import hashlib
import random
import time
import json
import logging
from datetime import datetime, timedelta

from ..adapters.store import (AssigneeUnavailable, CustomerContact, IdempotencyKeyUsed, RateLimited,
                              RateWindow, ReferenceTaken, StoreBusy, TicketStore)
from ..adapters.tables import Claim, Entry, Ticket
from ..clock import Clock, iso
from ..config import Limit, Settings
from ..domain.emails import AcknowledgementFacts, acknowledgement
from ..domain.errors import Conflict, FieldError, InvalidInput, TooManyRequests
from ..domain.identifiers import new_reference, new_ticket_id
from ..domain.inquiry import Inquiry, validate_inquiry
from ..domain.priority import assign_priority
from ..domain.sla import on_intake
from .entries import event_entry, outgoing_entry, sort_key
from .assignment import Assignment
from ..domain.metrics import difference
from .metrics import facts_of
from .outbox import Outbox
from .sla import SlaService, plan

log = logging.getLogger(__name__)
MAX_IDEMPOTENCY_KEY = 128
_ATTEMPTS = 5  # reference collisions and transaction conflicts are retried


class DependencyUnavailable(Exception):
    """The ticket could not be stored; nothing was sent (503: retry)."""


class IntakeService:
    def __init__(self, settings: Settings, clock: Clock, store: TicketStore, outbox: Outbox,
                 sla: SlaService, assignment: Assignment) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._outbox = outbox
        self._sla = sla
        self._assignment = assignment

    def submit(self, fields: dict, *, idempotency_key: str | None, sender: str | None) -> dict:
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

        now = self._clock.now()
        priority = assign_priority(inquiry, self._settings.rules, self._settings.vip_customers)
        clocks = on_intake(now, self._settings.sla, priority)
        ticket_id = new_ticket_id(now)
        answer = {"id": ticket_id, "reference": new_reference(), "status": "new", "priority": priority,
                  "first_response_due": iso(clocks["first_response"].due_at),
                  "resolution_due": iso(clocks["resolution"].due_at)}
        if inquiry.honeypot_filled:
            log.info("honeypot filled: nothing stored or sent")
            return answer

        digest = hashlib.sha256(json.dumps(inquiry.canonical(), sort_keys=True).encode()).hexdigest()
        windows = self._rate_windows(inquiry.email, sender, now)
        for _ in range(_ATTEMPTS):
            ticket = self._ticket(ticket_id, answer["reference"], inquiry, priority, clocks, now)
            ticket.assignee = self._assignment.choose()
            entries = self._entries(ticket, inquiry, now)
            claim = None if idempotency_key is None else Claim(
                key=f"idem#{idempotency_key}", ticket_id=ticket_id, body_hash=digest, response=answer,
                expires_at=now + timedelta(hours=self._settings.idempotency_hours))
            try:
                self._store.record_intake(ticket, entries, self._contact(inquiry), claim, windows, now,
                                          difference(None, facts_of(ticket, entries)))
                break
            except ReferenceTaken:
                answer = answer | {"reference": new_reference()}
            except AssigneeUnavailable:
                self._assignment.forget()
            except StoreBusy:  # concurrent intakes share the day's metric counters
                time.sleep(random.uniform(0.01, 0.05))
                continue
            except IdempotencyKeyUsed:
                return self._replay(f"idem#{idempotency_key}", digest)
            except RateLimited as limited:
                raise TooManyRequests(max(1, int((limited.window.ends_at - now).total_seconds()))) from None
            except Exception as error:  # DynamoDB down or throttling: say so, store nothing
                log.exception("intake not stored")
                raise DependencyUnavailable(str(error)) from error
        else:
            raise DependencyUnavailable("could not store the inquiry after retries")

        self._outbox.send(entries[-1])
        self._sla.arm(ticket, None)
        return answer

    def _replay(self, key: str, digest: str) -> dict:
        first = self._store.get_claim(key)
        if first is None or first.body_hash != digest:
            raise Conflict("this Idempotency-Key was used with a different request")
        return first.response

    def _rate_windows(self, email: str, sender: str | None, now: datetime) -> list[RateWindow]:
        def window(kind: str, who: str, limit: Limit) -> RateWindow:
            length = limit.window_minutes * 60
            start = int(now.timestamp()) // length * length
            return RateWindow(f"rate#{kind}#{who}#{start}", limit.requests,
                              datetime.fromtimestamp(start + length, now.tzinfo))
        windows = [window("email", email.lower(), self._settings.per_email)]
        if sender:
            windows.append(window("sender", sender, self._settings.per_sender))
        return windows

    def _ticket(self, ticket_id, reference, inquiry: Inquiry, priority, clocks, now) -> Ticket:
        ticket = Ticket(
            ticket_id, reference=reference, status="new", priority=priority, channel=inquiry.channel,
            category=inquiry.category, subject=inquiry.subject, customer_email=inquiry.email.lower(),
            customer_name=inquiry.name, phone=inquiry.phone, order_id=inquiry.order_id,
            locale=inquiry.locale, timezone=inquiry.timezone,
            callback=_callback(inquiry),
            created_at=now, updated_at=now)
        plan(ticket, clocks)
        return ticket

    def _entries(self, ticket: Ticket, inquiry: Inquiry, now: datetime) -> list[Entry]:
        """The customer's message, the creation event, and (last) the acknowledgement."""
        message = Entry(ticket.id, sort_key(now), kind="message", direction="in", created_at=now,
                        author=inquiry.email, body=inquiry.message,
                        data={"subject": inquiry.subject, "channel": inquiry.channel})
        created = event_entry(ticket.id, now, "created", "system", priority=ticket.priority,
                              channel=ticket.channel, reference=ticket.reference, assignee=ticket.assignee,
                              first_response_due=iso(ticket.first_response_due),
                              resolution_due=iso(ticket.resolution_due))
        ack = acknowledgement(AcknowledgementFacts(
            brand=self._settings.brand, reference=ticket.reference, name=inquiry.name,
            email=inquiry.email, message=inquiry.message, subject=inquiry.subject,
            order_id=inquiry.order_id, callback_phone=inquiry.callback.phone if inquiry.callback else None,
            callback_window=inquiry.callback.window if inquiry.callback else None,
            first_response_due=ticket.first_response_due,
            timezone=inquiry.timezone or self._settings.timezone))
        mail = outgoing_entry(ticket.id, now, ack, sender=self._settings.sender, author="system")
        return [message, created, mail]

    @staticmethod
    def _contact(inquiry: Inquiry) -> CustomerContact:
        return CustomerContact(inquiry.email.lower(), inquiry.name, inquiry.phone, inquiry.locale,
                               inquiry.timezone)


def _callback(inquiry: Inquiry) -> dict | None:
    if inquiry.callback is None:
        return None
    task = {"phone": inquiry.callback.phone, "status": "requested"}
    if inquiry.callback.window:
        task["window"] = inquiry.callback.window
    return task
