"""A ticket's timed actions on EventBridge Scheduler: one one-time schedule
per ticket at a time (its next SLA warning or breach, or while it waits on
the customer their reminder and the automatic resolution; then the
follow-up, then the automatic close), what a schedule does when it fires, and the
repair of schedules that failed or went missing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..adapters.scheduler import Scheduler, SchedulerError
from ..adapters.store.schedules import ScheduleStore
from ..adapters.store.tickets import TicketStore
from ..clock import Clock
from ..config import Settings
from ..domain import ticket as tickets
from ..log import logger
from .writer import TicketWriter

log = logger(__name__)
GRACE = timedelta(minutes=2)  # a schedule this late has not fired
LOOKAHEAD = timedelta(minutes=15)  # schedules due this soon are checked to exist


class Transition(Protocol):
    def __call__(
        self, ticket: tickets.Ticket, payload: Mapping[str, Any], *, now: datetime, rules: tickets.Rules
    ) -> tickets.Change | None: ...


TRANSITIONS: dict[str, Transition] = {
    "sla": tickets.sla_event,
    "followup": lambda t, payload, now, rules: tickets.follow_up(t, now=now, rules=rules),
    "close": lambda t, payload, now, rules: tickets.close(t, now=now, rules=rules),
    "remind": lambda t, payload, now, rules: tickets.remind(t, now=now, rules=rules),
    "autoresolve": lambda t, payload, now, rules: tickets.resolve_unanswered(t, now=now, rules=rules),
}
# What a fired schedule did, as its answer says it (an update says the status it set: closed, resolved).
ACTIONS = {"follow_up": "followed_up", "pending_reminder": "reminded"}


class Timers:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: TicketStore,
        schedules: ScheduleStore,
        writer: TicketWriter,
        scheduler: Scheduler,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._schedules = schedules
        self._writer = writer
        self._scheduler = scheduler

    def follow(self, arm: tickets.Schedule | None, disarm: str | None, ticket_id: str | None = None) -> bool:
        """Make Scheduler match a change's wake. A failure never fails the
        change: the ticket is flagged, and the reconciler's next run repairs it."""
        try:
            if disarm:
                self._scheduler.delete(disarm)
            if arm:
                self._scheduler.put(arm.name, arm.at, arm.payload)
        except SchedulerError as error:
            log.warning("schedule not in step", extra={"error": str(error), "event": "schedule"})
            if ticket_id:
                self._schedules.flag_schedule_repair(ticket_id, disarm, self._clock.now())
            return False
        return True

    def restore(
        self,
        ticket_id: str,
        ticket: tickets.Ticket | None,
        once: tuple[tickets.Schedule | None, str | None],
    ) -> bool:
        """After a change's effects are done out of order (redone later): the
        ticket's schedule made what it needs now, and what the change once
        armed or meant to remove (`once`: its arm and disarm) deleted unless
        that is still it."""
        wake = tickets.wake_of(ticket, self._settings.ticket_rules) if ticket else None
        current = wake.name(ticket_id) if wake else None
        arm, disarm = once
        stale = {name for name in (arm.name if arm else None, disarm) if name and name != current}
        try:
            for name in sorted(stale):
                self._scheduler.delete(name)
        except SchedulerError as error:
            log.warning("schedule not in step", extra={"error": str(error), "event": "schedule"})
            self._schedules.flag_schedule_repair(ticket_id, min(stale), self._clock.now())
            return False
        return self.follow(wake.schedule(ticket_id) if wake else None, None, ticket_id)

    def fire(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """What a schedule invokes. The ticket is read again and the action
        taken only if it is still the ticket's next and due: duplicate, stale
        and late invocations do nothing twice."""
        kind, ticket_id = payload.get("type"), str(payload.get("ticket_id", ""))
        transition = TRANSITIONS.get(str(kind))
        if transition is None:
            return {"action": "ignored", "reason": f"unknown schedule type {kind!r}"}
        ticket = self._store.ticket(ticket_id)
        if ticket is None:
            return {"action": "ignored", "reason": "unknown ticket"}
        rules = self._settings.ticket_rules
        wake = tickets.wake_of(ticket, rules)
        if wake is None or not wake.matches(payload):
            return {"action": "ignored", "reason": "no longer due"}
        if wake.at > self._clock.now():  # fired early: put it back for its time
            self.follow(wake.schedule(ticket_id), None)
            return {"action": "rearmed", "reason": "not yet due"}
        written = self._writer.apply(ticket_id, lambda t, _, now: transition(t, payload, now=now, rules=rules))
        if written.change is None:
            return {"action": "ignored", "reason": "no longer due"}
        event = written.change.entry.event
        return {
            "action": written.change.after.status if event == "updated" else ACTIONS.get(event, event),
            "ticket_id": ticket_id,
        } | ({"metric": wake.metric} if wake.metric else {})

    def reconcile(self) -> dict[str, list[Any]]:
        """Act on what is overdue and re-create what is missing, reading only
        tickets whose next timed action is overdue or due soon (an index,
        not a scan)."""
        now, rules = self._clock.now(), self._settings.ticket_rules
        acted, repaired = [], []
        for ticket_id, disarm in self._schedules.schedule_repairs():  # what Scheduler refused: put it right now
            ticket = self._store.ticket(ticket_id)
            wake = tickets.wake_of(ticket, rules) if ticket else None
            if self.follow(wake.schedule(ticket_id) if wake else None, disarm):
                self._schedules.repaired(ticket_id)
                repaired.append(ticket_id)
        for kind in ("sla", "life"):
            for ticket_id in self._schedules.due_wakes(kind=kind, since=None, until=now - GRACE):
                ticket = self._store.ticket(ticket_id)
                wake = tickets.wake_of(ticket, rules) if ticket else None
                if wake is not None:
                    acted.append({"ticket_id": ticket_id, **self.fire(wake.payload(ticket_id))})
            for ticket_id in self._schedules.due_wakes(kind=kind, since=now - GRACE, until=now + LOOKAHEAD):
                ticket = self._store.ticket(ticket_id)
                wake = tickets.wake_of(ticket, rules) if ticket else None
                if wake is not None and not self._exists(wake.name(ticket_id)):
                    self.follow(wake.schedule(ticket_id), None)
                    repaired.append(ticket_id)
        return {"acted": acted, "repaired": repaired}

    def _exists(self, name: str) -> bool:
        try:
            return self._scheduler.exists(name)
        except SchedulerError:
            return True  # cannot tell: the next run looks again
