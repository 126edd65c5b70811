"""After resolution: a follow-up email once, a close after a quiet period,
each on a one-time schedule; reopening cancels both."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

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
from .tickets import PreconditionFailed, TicketService, message_id_of

log = logging.getLogger(__name__)
SYSTEM = Principal("system", "system", frozenset({"admin"}), "Careline")
ERASED_DOMAIN = "@erased.invalid"
KINDS = ("close", "followup")
DONE = ("resolved", "closed")
_ATTEMPTS = 3


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
        try:
            if ticket.status == "resolved" and before_status != "resolved":
                for kind in KINDS:
                    if not (kind == "followup" and ticket.followup_sent_at):
                        self._arm(ticket, kind)
            elif before_status in DONE and ticket.status != before_status:
                # Closing keeps the follow-up; reopening cancels both.
                for kind in ("close",) if ticket.status == "closed" else KINDS:
                    self._scheduler.delete(schedule_name(ticket.id, kind))
        except SchedulerError as error:  # the handlers re-check the ticket; a stray schedule does nothing
            log.warning("lifecycle schedules of %s not in step: %s", ticket.id, error)

    def handle(self, payload: dict) -> dict:
        """What a close or follow-up schedule invokes. Re-reads the ticket and
        acts only if it is still resolved (closed, for the follow-up) and the
        quiet period is over: stale and duplicate invocations do nothing."""
        kind = "close" if payload.get("type") == "close" else "followup"
        ticket_id = str(payload.get("ticket_id", ""))
        for _ in range(_ATTEMPTS - 1):
            try:
                return self._attempt(ticket_id, kind)
            except (StaleTicket, PreconditionFailed):
                continue  # the schedule fires once: a concurrent change (a note, say) must not cost it
        return self._attempt(ticket_id, kind)  # if this one fails too, Scheduler retries the invocation

    def _attempt(self, ticket_id: str, kind: str) -> dict:
        ticket = self._store.get_ticket(ticket_id)
        refusal = self._refusal(ticket, kind)
        if refusal:
            return refusal
        if self._clock.now() < self._due(ticket, kind):
            self._arm(ticket, kind)  # early, or armed for an earlier resolution: put back for this one
            return {"action": "rearmed", "reason": "not yet due"}
        return self._close(ticket) if kind == "close" else self._follow_up(ticket)

    @staticmethod
    def _refusal(ticket: Ticket | None, kind: str) -> dict | None:
        if ticket is None:
            return {"action": "ignored", "reason": "unknown ticket"}
        if ticket.status not in (("resolved",) if kind == "close" else DONE) or ticket.resolved_at is None:
            return {"action": "ignored", "reason": "no longer resolved"}
        if kind == "followup" and ticket.followup_sent_at:
            return {"action": "ignored", "reason": "already followed up"}
        if kind == "followup" and (ticket.customer_email.endswith(ERASED_DOMAIN) or "spam" in (ticket.tags or ())):
            return {"action": "ignored", "reason": "erased or spam"}
        return None

    def _due(self, ticket: Ticket, kind: str) -> datetime:
        hours = self._settings.close_after_hours if kind == "close" else self._settings.follow_up_after_hours
        return ticket.resolved_at + timedelta(hours=hours)

    def _arm(self, ticket: Ticket, kind: str) -> None:
        self._scheduler.put(schedule_name(ticket.id, kind), self._due(ticket, kind),
                            {"type": kind, "ticket_id": ticket.id})

    def _close(self, ticket: Ticket) -> dict:
        self._tickets.patch(ticket.id, {"status": "closed"}, ticket.version, SYSTEM)  # as checked, or stale
        return {"action": "closed", "ticket_id": ticket.id}

    def _follow_up(self, ticket: Ticket) -> dict:
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
