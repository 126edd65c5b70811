"""SLA events on EventBridge Scheduler: plan a ticket's next event with every
change, keep Scheduler matching it, act when it fires, repair what failed."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ..adapters.scheduler import Scheduler, SchedulerError, schedule_name
from ..adapters.store import StaleTicket, TicketStore
from ..adapters.tables import Ticket
from ..clock import Clock, iso
from ..config import PRIORITIES, Settings
from ..domain import sla
from ..domain.assignment import workload_changes
from ..domain.emails import SlaNoticeFacts, sla_notice
from .entries import event_entry, outgoing_entry
from ..domain.metrics import difference
from .metrics import facts_of
from .outbox import Outbox

log = logging.getLogger(__name__)
_SHORT = {"first_response": "fr", "next_response": "nr", "resolution": "res", "warning": "warn", "breach": "breach"}
RECONCILE_GRACE = timedelta(minutes=2)  # a schedule this late has not fired
RECONCILE_LOOKAHEAD = timedelta(minutes=15)  # schedules due this soon are checked to exist


def schedule_for(ticket_id: str, event: sla.SlaEvent) -> str:
    return schedule_name(ticket_id, f"{_SHORT[event.metric]}-{_SHORT[event.kind]}")


def clocks_of(ticket: Ticket) -> sla.Clocks:
    return sla.clocks_from(ticket.sla)


def next_event_of(ticket: Ticket) -> sla.SlaEvent | None:
    if ticket.status not in sla.OPEN_STATUSES:
        return None
    return sla.next_event(clocks_of(ticket))


def sla_priority(ticket: Ticket) -> str:
    """The priority whose targets the clocks follow (an escalation raises
    `priority` for people, not this)."""
    return ticket.sla_priority or ticket.priority


def plan(ticket: Ticket, clocks: sla.Clocks) -> None:
    """Put the clocks, the current due times and the next event's schedule
    into the ticket, before it is saved."""
    ticket.sla = sla.clocks_to(clocks)
    ticket.first_response_due = _due(clocks, "first_response")
    ticket.resolution_due = _due(clocks, "resolution")
    event = next_event_of(ticket)
    ticket.sla_schedule = schedule_for(ticket.id, event) if event else None
    ticket.next_sla_at = event.at if event else None
    ticket.sla_watch = "open" if event else None


def _due(clocks: sla.Clocks, metric: str) -> datetime | None:
    clock = clocks.get(metric)
    return clock.due_at if clock else None


class SlaService:
    def __init__(self, settings: Settings, clock: Clock, store: TicketStore,
                 scheduler: Scheduler, outbox: Outbox) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._scheduler = scheduler
        self._outbox = outbox

    @property
    def policy(self) -> sla.Policy:
        return self._settings.sla

    def arm(self, ticket: Ticket, previous_schedule: str | None) -> None:
        """After the ticket is saved, make Scheduler match it: exactly the
        schedule for its next event. A failure never fails the change that
        caused it; the reconciler repairs it."""
        try:
            if previous_schedule and previous_schedule != ticket.sla_schedule:
                self._scheduler.delete(previous_schedule)
            if ticket.sla_schedule:
                event = next_event_of(ticket)
                self._scheduler.put(ticket.sla_schedule, ticket.next_sla_at, {
                    "type": "sla", "ticket_id": ticket.id, "metric": event.metric, "kind": event.kind})
        except SchedulerError as error:
            log.warning("SLA schedule of %s not in step: %s", ticket.id, error)

    def handle(self, payload: dict) -> dict:
        """What Scheduler invokes. Re-reads the ticket and acts only if this
        event is still its next one and due: duplicate, stale and late
        invocations do nothing twice."""
        ticket = self._store.get_ticket(str(payload.get("ticket_id", "")))
        if ticket is None:
            return {"action": "ignored", "reason": "unknown ticket"}
        event = next_event_of(ticket)
        if event is None or (event.metric, event.kind) != (payload.get("metric"), payload.get("kind")):
            return {"action": "ignored", "reason": "no longer due"}
        now = self._clock.now()
        if event.at > now:
            self.arm(ticket, None)  # fired early: put it back
            return {"action": "rearmed", "reason": "not yet due"}
        try:
            self._act(ticket, event, now)
        except StaleTicket:
            return {"action": "ignored", "reason": "ticket changed meanwhile; its new schedule decides"}
        return {"action": f"sla_{event.kind}", "metric": event.metric, "ticket_id": ticket.id}

    def _act(self, ticket: Ticket, event: sla.SlaEvent, now: datetime) -> None:
        previous, before, facts_before = ticket.sla_schedule, (ticket.assignee, ticket.status), facts_of(ticket, [])
        clocks = sla.on_event(clocks_of(ticket), event, now)
        due = clocks_of(ticket)[event.metric].due_at
        entries = [event_entry(ticket.id, now, f"sla_{event.kind}", "system", metric=event.metric,
                               due=iso(due), recorded_at=iso(now))]
        if event.kind == "breach":
            entries += self._escalate(ticket, now)
        recipient = ticket.assignee or self._settings.team_lead_address
        entries[0].data = entries[0].data | {"notified": recipient}
        notice = outgoing_entry(ticket.id, now, sla_notice(SlaNoticeFacts(
            reference=ticket.reference, ticket_url=f"{self._settings.public_url}/admin/#/tickets/{ticket.id}",
            customer=f"{ticket.customer_name} <{ticket.customer_email}>", metric=event.metric, kind=event.kind,
            due=due, now=now, timezone=self._settings.timezone, to_address=recipient)),
            sender=self._settings.sender, author="system", kind="notice")
        plan(ticket, clocks)
        ticket.updated_at = now
        self._store.save_change(ticket, [*entries, notice], workload_changes(before, (ticket.assignee, ticket.status)),
                                difference(facts_before, facts_of(ticket, [])))
        self._outbox.send(notice)
        self.arm(ticket, previous)

    def _escalate(self, ticket: Ticket, now: datetime) -> list:
        """The policy's escalation. A raised priority marks urgency for people;
        it does not retarget the clocks, which would turn one breach into a cascade."""
        changes = {}
        if self.policy.escalation_raise_priority and ticket.priority != PRIORITIES[-1]:
            raised = PRIORITIES[PRIORITIES.index(ticket.priority) + 1]
            changes["priority"] = [ticket.priority, raised]
            ticket.sla_priority = sla_priority(ticket)
            ticket.priority = raised
        target = self.policy.escalation_reassign_to
        if target and ticket.assignee != target:
            changes["assignee"] = [ticket.assignee, target]
            ticket.assignee = target
        if not changes:
            return []
        return [event_entry(ticket.id, now, "escalated", "system", changes=changes)]

    def reconcile(self) -> dict:
        """Repair schedules that failed or went missing, reading only tickets
        whose next SLA event is overdue or due soon (an index, not a scan)."""
        now = self._clock.now()
        acted, repaired = [], []
        for ticket in self._store.sla_due(until=now - RECONCILE_GRACE):
            event = next_event_of(ticket)
            if event is not None:
                result = self.handle({"ticket_id": ticket.id, "metric": event.metric, "kind": event.kind})
                acted.append({"ticket_id": ticket.id, **result})
        for ticket in self._store.sla_due(since=now - RECONCILE_GRACE, until=now + RECONCILE_LOOKAHEAD):
            if ticket.sla_schedule and not self._scheduler.exists(ticket.sla_schedule):
                self.arm(ticket, None)
                repaired.append(ticket.id)
        return {"acted": acted, "repaired": repaired}
