"""What every transition causes: `_conclude` is the one function that decides
it, so no transition can forget a consequence; the status moves and the
guards transitions share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from .. import sla
from ..errors import Conflict
from ..metrics import difference
from .state import DONE_STATUSES, SPAM, Change, Effects, Entry, Mail, Moved, Published, Rules, Ticket, facts, wake_of


def _not_merged(ticket: Ticket) -> None:
    """A merged ticket is history: its work goes on where it was merged (or in a split from there)."""
    if ticket.merged_into is not None:
        raise Conflict(f"{ticket.reference} was merged into another ticket: work on that one", field="ticket_id")


def _owes_answer(ticket: Ticket) -> bool:
    """The customer waits for an answer on this ticket: it is new or open and
    a response clock has not ended."""
    return ticket.status in ("new", "open") and any(
        clock.outcome is None for metric, clock in ticket.clocks.items() if metric != "resolution"
    )


# What every transition causes.


def _move(ticket: Ticket, status: str, now: datetime, rules: Rules) -> Ticket:
    """A new status and what it does to the clocks: done ends them, reopening
    runs the resolution clock again, waiting on the customer pauses (and
    starts the wait's count); spam has none, and released they start afresh."""
    old, priority, clocks = ticket.status, ticket.clock_priority, dict(ticket.clocks)
    resolved_at = ticket.resolved_at
    ticket = replace(ticket, pending_since=now if status == "pending" else None, reminded_at=None)  # a new wait
    if status == SPAM:
        return replace(ticket, status=status, clocks={}, resolved_at=None)
    if old == SPAM:
        return replace(ticket, status=status, clocks=sla.on_intake(now, rules.sla, priority))
    if status in DONE_STATUSES:
        clocks = sla.end(clocks, now, rules.sla, priority)
        resolved_at = now if status == "resolved" or resolved_at is None else resolved_at  # closing keeps it
    else:
        if old in DONE_STATUSES:
            clocks, resolved_at = sla.reopen(clocks, now, rules.sla, priority), None
        if status == "pending":
            clocks = sla.wait(clocks, now, rules.sla, priority)
        elif old == "pending":
            clocks = sla.stop_waiting(clocks, now, rules.sla, priority)
    return replace(ticket, status=status, clocks=clocks, resolved_at=resolved_at)


def _conclude(
    before: Ticket | None,
    after: Ticket,
    entry: Entry,
    now: datetime,
    rules: Rules,
    *,
    mail: tuple[Mail, ...] = (),
    publish: tuple[str, ...] = (),
    assign: bool = False,
    remember_customer: bool = False,
    claims: tuple[str, ...] = (),
    scrub: tuple[str, ...] = (),
    purge_files: bool = False,
    counterpart: Mapping[str, str] | None = None,
    moves: tuple[Moved, ...] = (),
    block_sender: bool | None = None,
) -> Change:
    after = replace(after, version=(before.version if before else 0) + 1, updated_at=now)
    old_wake, new_wake = wake_of(before, rules), wake_of(after, rules)
    arm = disarm = None
    if new_wake is not None and new_wake != old_wake:
        arm = new_wake.schedule(after.id)
    if old_wake is not None and (new_wake is None or old_wake.name(after.id) != new_wake.name(after.id)):
        disarm = old_wake.name(after.id)
    counters: dict[str, dict[str, int]] = {}
    for (when, counter), delta in difference(facts(before), facts(after)).items():
        counters.setdefault(when, {})[counter] = delta
    events = list(publish)
    if before is not None and before.status != after.status:
        events.append("ticket.status_changed")
    if (before.assignee if before else None) != after.assignee and after.assignee:
        events.append("ticket.assigned")
    effects = Effects(
        mail=mail,
        arm=arm,
        disarm=disarm,
        counters=counters,
        publish=tuple(Published(kind, _detail(kind, before, after, entry)) for kind in events),
        assign=assign,
        remember_customer=remember_customer,
        purge_files=purge_files,
        counterpart=counterpart,
        block_sender=block_sender,
    )
    return Change(before, after, entry, effects, claims, scrub, moves)


def _detail(kind: str, before: Ticket | None, after: Ticket, entry: Entry) -> dict[str, Any]:
    """An outgoing event's detail (docs/events.md): the ticket as it is now,
    no personal data, plus what this kind of event is about."""
    detail: dict[str, Any] = {
        "ticket_id": after.id,
        "reference": after.reference,
        "status": after.status,
        "priority": after.priority,
        "channel": after.channel,
        "category": after.category,
        "assignee": after.assignee,
        "version": after.version,
    }
    if kind == "ticket.status_changed":
        detail["previous_status"] = before.status if before else None
    elif kind == "ticket.assigned":
        detail["previous_assignee"] = before.assignee if before else None
    elif kind == "ticket.replied":
        detail["author"] = entry.author
        detail["resolved"] = after.status == "resolved"
    elif kind in ("sla.warning", "sla.breached"):
        detail["metric"] = entry.data.get("metric")
        detail["due"] = entry.data.get("due")
    elif kind == "feedback.received":
        detail |= {k: v for k, v in entry.data.items() if k in ("csat", "nps")}
    elif kind == "ticket.merged":
        detail["merged_into"] = after.merged_into
    elif kind == "ticket.split":
        detail["split_to"] = entry.data.get("ticket_id")
    elif kind == "ticket.created" and "split_from" in entry.data:
        detail["split_from"] = entry.data["split_from"]["ticket_id"]
    return detail
