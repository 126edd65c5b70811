"""SLA events on EventBridge Scheduler: arm the next one, act when it fires."""
from __future__ import annotations

import logging
from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..adapters.scheduler import Scheduler, SchedulerError, schedule_name
from ..adapters.store import TicketStore
from ..adapters.tables import Ticket
from ..clock import Clock, iso
from ..config import Settings
from ..domain import sla
from ..domain.emails import SlaNoticeFacts, sla_notice
from .entries import event_entry, outgoing_entry
from .outbox import Outbox

log = logging.getLogger(__name__)
OPEN_STATUSES = ("new", "open", "pending")
_SHORT = {"first_response": "fr", "resolution": "res", "warning": "warn", "breach": "breach"}


def schedule_for(ticket_id: str, event: sla.SlaEvent) -> str:
    return schedule_name(ticket_id, f"{_SHORT[event.metric]}-{_SHORT[event.kind]}")


def done_events(ticket: Ticket) -> frozenset[tuple[str, str]]:
    return frozenset(tuple(d.split(":", 1)) for d in ticket.sla_done or ())


def next_event(ticket: Ticket, settings: Settings,
               also_done: frozenset[tuple[str, str]] = frozenset()) -> sla.SlaEvent | None:
    if ticket.status not in OPEN_STATUSES:
        return None
    return sla.next_event(
        ticket.created_at, sla.DueTimes(ticket.first_response_due, ticket.resolution_due),
        settings.warning_percent, first_responded=ticket.first_responded_at is not None,
        done=done_events(ticket) | also_done)


class SlaService:
    def __init__(self, settings: Settings, clock: Clock, store: TicketStore,
                 scheduler: Scheduler, outbox: Outbox) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._scheduler = scheduler
        self._outbox = outbox

    def arm(self, ticket: Ticket) -> None:
        """Schedule the ticket's next SLA event. A failure never fails the
        change that caused it: the ticket keeps `next_sla_at` for repair."""
        event = next_event(ticket, self._settings)
        if event is None:
            return
        payload = {"type": "sla", "ticket_id": ticket.id, "metric": event.metric, "kind": event.kind}
        try:
            self._scheduler.put(schedule_for(ticket.id, event), event.at, payload)
        except SchedulerError as error:
            log.warning("SLA schedule for %s not set: %s", ticket.id, error)

    def handle(self, payload: dict) -> dict:
        """What Scheduler invokes. Re-reads the ticket and acts only if this
        event is still its next one and due: duplicates and stale
        invocations do nothing."""
        ticket = self._store.get_ticket(str(payload.get("ticket_id", "")))
        if ticket is None:
            return {"action": "ignored", "reason": "unknown ticket"}
        now = self._clock.now()
        event = next_event(ticket, self._settings)
        if event is None or (event.metric, event.kind) != (payload.get("metric"), payload.get("kind")):
            return {"action": "ignored", "reason": "no longer due"}
        if event.at > now:
            self.arm(ticket)  # fired early (clock skew): put it back
            return {"action": "rearmed", "reason": "not yet due"}
        try:
            self._record(ticket, event, now)
        except TransactWriteError:
            return {"action": "ignored", "reason": "ticket changed meanwhile; the next invocation decides"}
        self.arm(ticket)
        return {"action": f"sla_{event.kind}", "metric": event.metric, "ticket_id": ticket.id}

    def _record(self, ticket: Ticket, event: sla.SlaEvent, now: datetime) -> None:
        due = ticket.first_response_due if event.metric == "first_response" else ticket.resolution_due
        recipient = ticket.assignee or self._settings.team_lead_address
        notice = sla_notice(SlaNoticeFacts(
            reference=ticket.reference, ticket_url=f"{self._settings.public_url}/admin/#/tickets/{ticket.id}",
            customer=f"{ticket.customer_name} <{ticket.customer_email}>", metric=event.metric,
            kind=event.kind, due=due, now=now, timezone=self._settings.timezone, to_address=recipient))
        mail = outgoing_entry(ticket.id, now, 1, notice, sender=self._settings.sender, author="system",
                              purpose=f"sla_{event.kind}")
        record = event_entry(ticket.id, now, 0, f"sla_{event.kind}", "system", metric=event.metric,
                             due=iso(due), recorded_at=iso(now), notified=recipient)
        following = next_event(ticket, self._settings, frozenset({(event.metric, event.kind)}))
        with TransactWrite(connection=Connection()) as tx:
            tx.update(ticket, actions=[
                Ticket.sla_done.add({f"{event.metric}:{event.kind}"}), Ticket.updated_at.set(now),
                Ticket.next_sla_at.set(following.at) if following else Ticket.next_sla_at.remove()])
            tx.save(record)
            tx.save(mail)
        ticket.sla_done = (ticket.sla_done or set()) | {f"{event.metric}:{event.kind}"}
        self._outbox.send(mail)
