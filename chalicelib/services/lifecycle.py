"""After resolution: a follow-up email once, a close after a quiet period,
each on a one-time schedule; reopening cancels both."""
from __future__ import annotations

import logging
from datetime import timedelta

from ..adapters.scheduler import Scheduler, SchedulerError, schedule_name
from ..adapters.store import StaleTicket, TicketStore
from ..adapters.tables import Ticket
from ..auth import Principal
from ..clock import Clock
from ..config import Settings
from ..domain.emails import FollowUpFacts, follow_up
from ..domain.feedback import make_token
from .entries import event_entry, outgoing_entry
from .outbox import Outbox
from .tickets import TicketService, message_id_of

log = logging.getLogger(__name__)
SYSTEM = Principal("system", "system", frozenset({"admin"}), "Careline")
ERASED_DOMAIN = "@erased.invalid"


class LifecycleService:
    def __init__(self, settings: Settings, clock: Clock, store: TicketStore, scheduler: Scheduler,
                 outbox: Outbox, tickets: TicketService, signing_key) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._scheduler = scheduler
        self._outbox = outbox
        self._tickets = tickets
        self._signing_key = signing_key

    def after_change(self, ticket: Ticket, before_status: str) -> None:
        """Keep the close and follow-up schedules in step with the status."""
        names = {kind: schedule_name(ticket.id, kind) for kind in ("close", "followup")}
        try:
            if ticket.status == "resolved" and before_status != "resolved":
                hours = {"close": self._settings.close_after_hours, "followup": self._settings.follow_up_after_hours}
                for kind, name in names.items():
                    if kind == "followup" and ticket.followup_sent_at:
                        continue
                    self._scheduler.put(name, ticket.resolved_at + timedelta(hours=hours[kind]),
                                        {"type": kind, "ticket_id": ticket.id})
            elif before_status == "resolved" and ticket.status != "resolved":
                self._scheduler.delete(names["close"])
                if ticket.status != "closed":  # closing keeps the follow-up; reopening cancels it
                    self._scheduler.delete(names["followup"])
        except SchedulerError as error:  # the handlers re-check the ticket; a stray schedule does nothing
            log.warning("lifecycle schedules of %s not in step: %s", ticket.id, error)

    def handle(self, payload: dict) -> dict:
        ticket = self._store.get_ticket(str(payload.get("ticket_id", "")))
        if ticket is None:
            return {"action": "ignored", "reason": "unknown ticket"}
        if payload.get("type") == "close":
            return self._close(ticket)
        return self._follow_up(ticket)

    def _close(self, ticket: Ticket) -> dict:
        quiet_until = (ticket.resolved_at or self._clock.now()) + timedelta(hours=self._settings.close_after_hours)
        if ticket.status != "resolved" or self._clock.now() < quiet_until:
            return {"action": "ignored", "reason": "no longer resolved and quiet"}
        self._tickets.patch(ticket.id, {"status": "closed"}, ticket.version, SYSTEM)
        return {"action": "closed", "ticket_id": ticket.id}

    def _follow_up(self, ticket: Ticket) -> dict:
        for _ in range(3):  # the schedule fires once: a concurrent change must not cost the follow-up
            try:
                return self._try_follow_up(ticket)
            except StaleTicket:
                ticket = self._store.get_ticket(ticket.id)
        return {"action": "ignored", "reason": "the ticket kept changing; not followed up"}

    def _try_follow_up(self, ticket: Ticket) -> dict:
        if ticket.status not in ("resolved", "closed") or ticket.followup_sent_at:
            return {"action": "ignored", "reason": "reopened, or already followed up"}
        if ticket.customer_email.endswith(ERASED_DOMAIN) or "spam" in (ticket.tags or ()):
            return {"action": "ignored", "reason": "erased or spam"}
        now = self._clock.now()
        token = make_token(ticket.id, now + timedelta(days=self._settings.feedback_token_days), self._signing_key())
        thread = self._store.thread(ticket.id)
        email = follow_up(FollowUpFacts(
            brand=self._settings.brand, reference=ticket.reference, name=ticket.customer_name,
            email=ticket.customer_email, subject=ticket.subject,
            feedback_url=f"{self._settings.public_url}/feedback/{token}",
            thread_ids=tuple(i for i in map(message_id_of, thread) if i)))
        mail = outgoing_entry(ticket.id, now, email, sender=self._settings.sender, author="system")
        ticket.followup_sent_at, ticket.updated_at = now, now
        # Conditioned on the version read: exactly one follow-up.
        self._store.save_change(ticket, [mail, event_entry(ticket.id, now, "follow_up", "system")])
        self._outbox.send(mail)
        return {"action": "followed_up", "ticket_id": ticket.id}
