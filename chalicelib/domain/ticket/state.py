"""The ticket's vocabulary (statuses, priorities, events), its state and the
values a change is made of (Entry, Effects, Change), and when it next wakes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .. import sla
from ..inquiry import Details
from ..metrics import TicketFacts

STATUSES = ("new", "open", "pending", "resolved", "closed", "spam")
OPEN_STATUSES = ("new", "open", "pending")  # work to do: SLA clocks run (pending pauses some)
DONE_STATUSES = ("resolved", "closed")
# Quarantined mail and forms: never acknowledged or answered, no SLA, not
# counted; kept for operators to look at, and released ("not spam") to new.
SPAM = "spam"
# Why a ticket is spam (its first entry's data "spam"); an operator's mark is its own event.
SPAM_REASONS = ("spam_verdict", "virus_verdict", "blocked_sender")
PRIORITIES = ("low", "normal", "high", "urgent")  # ascending urgency
# Statuses a listing shows only when asked for by name (GET /tickets?status=...):
# tickets nobody should wade through on the way to real work (spam). A
# status added here leaves every default listing, its indexes and its counts
# (domain/listing.py and the store read only this rule).
HIDDEN_STATUSES: frozenset[str] = frozenset({SPAM})
# Outgoing events (docs/events.md, schemas/event.schema.json): what changes publish.
EVENT_TYPES = (
    "ticket.created",
    "ticket.replied",
    "ticket.status_changed",
    "ticket.assigned",
    "sla.warning",
    "sla.breached",
    "feedback.received",
    "ticket.merged",
    "ticket.split",
)
CALL_OUTCOMES = ("reached", "no_answer", "voicemail")
ERASED_DOMAIN = "erased.invalid"


def erased_alias(email: str) -> str:
    """The pseudonym erasure gives a customer: the same for the same address,
    nothing of the address left in it (the audit trail names customers so)."""
    return f"erased-{hashlib.sha256(email.strip().lower().encode()).hexdigest()[:12]}@{ERASED_DOMAIN}"


ERASED = "[erased]"
PREVIEW_CHARACTERS = 140
MAX_FOLLOWERS = 10  # addresses in a ticket's `cc`


def listed_statuses(asked: str | None = None) -> tuple[str, ...]:
    """The statuses a listing shows: the one asked for, else every status but the hidden."""
    return (asked,) if asked else tuple(s for s in STATUSES if s not in HIDDEN_STATUSES)


@dataclass(frozen=True)
class Actor:
    """Who made a change: an operator, the customer, or Careline itself."""

    kind: str  # operator | customer | system
    email: str = ""
    name: str = ""

    @property
    def label(self) -> str:
        # The customer's address never lands in the audit trail: erasure would miss it.
        return self.email if self.kind == "operator" else self.kind


SYSTEM = Actor("system", name="Careline")
CUSTOMER = Actor("customer")


@dataclass(frozen=True)
class Rules:
    """The stage's policy as the transitions need it."""

    sla: sla.Policy
    follow_up_after: timedelta
    close_after: timedelta
    team_lead: str
    # Waiting on the customer: one reminder after this long, resolved after that
    # long (calendar time from the moment the ticket became pending).
    pending_reminder_after: timedelta = timedelta(hours=72)
    pending_resolve_after: timedelta = timedelta(hours=168)


@dataclass(frozen=True)
class Ticket:
    id: str
    reference: str
    status: str
    priority: str
    channel: str
    customer_email: str
    customer_name: str
    created_at: datetime
    updated_at: datetime
    subject: str | None = None
    preview: str | None = None
    category: str | None = None
    details: Details = field(default_factory=Details)  # the customer's optional details (domain/inquiry.py)
    callback: Mapping[str, Any] | None = None  # {"phone", "window"?, "status": requested | done, "done_at"?}
    assignee: str | None = None
    tags: frozenset[str] = frozenset()
    clocks: Mapping[str, sla.MetricClock] = field(default_factory=dict)
    sla_priority: str | None = None  # the priority the clocks follow, once an escalation raised `priority`
    first_responded_at: datetime | None = None
    first_responder: str | None = None
    resolved_at: datetime | None = None
    feedback: Mapping[str, Any] | None = None  # {"csat", "nps"?, "comment"?, "at", "told"?: a person heard of it}
    followup_sent_at: datetime | None = None
    operator_replies: int = 0
    customer_messages: int = 0
    offer_days: tuple[str, ...] = ()
    linked_to: str | None = None  # an earlier ticket this one continues
    # Collaboration (#22): followers copied on operator replies, and merges.
    cc: tuple[str, ...] = ()  # followers' addresses (lower case), in the order they came
    merged_into: str | None = None  # this ticket was merged into that one: closed, its words live on there
    merged_from: tuple[str, ...] = ()  # tickets merged into this one, oldest first (their threads show here)
    version: int = 0
    # While pending: since when (the reminder and the automatic resolution count
    # from here), and when the customer was reminded (once per wait).
    pending_since: datetime | None = None
    reminded_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def clock_priority(self) -> str:
        return self.sla_priority or self.priority

    @property
    def erased(self) -> bool:
        return self.customer_email.endswith("@" + ERASED_DOMAIN)


@dataclass(frozen=True)
class Entry:
    """The thread entry a change writes: a message, note, call or event."""

    kind: str  # message | note | call | event
    event: str  # what happened: created, replied, customer_wrote, updated, ...
    author: str
    body: str | None = None
    direction: str | None = None  # in (from the customer) | out (to them)
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mail:
    # acknowledgement | reply | resolution | follow_up | pending_reminder | status_link (to the customer);
    # sla_warning | sla_breach | low_rating | assigned (to operators)
    kind: str
    to: str  # "customer", or an operator's address


@dataclass(frozen=True)
class Schedule:
    name: str
    at: datetime
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Published:
    type: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class Effects:
    mail: tuple[Mail, ...] = ()
    arm: Schedule | None = None
    disarm: str | None = None
    counters: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # day -> counter -> delta
    publish: tuple[Published, ...] = ()
    assign: bool = False  # choose an agent for this ticket
    remember_customer: bool = False  # save the contact data for next time
    purge_files: bool = False  # remove every file kept under the ticket (erasure)
    # The other ticket's half of a change that touches two (a merge, a split),
    # done again until done: {"kind": "merge", "source", "target"} or
    # {"kind": "split", "ticket", "home", "entry", "to"}.
    counterpart: Mapping[str, str] | None = None
    block_sender: bool | None = None  # the customer's address marked as spam (True) or released (False)


@dataclass(frozen=True)
class Moved:
    """A thread entry a split moved to a new ticket: the ticket whose
    collection holds it (the split ticket's own, or one merged into it), its
    key, and the new ticket."""

    ticket_id: str
    sk: str
    to: str


@dataclass(frozen=True)
class Change:
    before: Ticket | None
    after: Ticket
    entry: Entry
    effects: Effects
    claims: tuple[str, ...] = ()  # keys the change claims for good (an inbound Message-ID)
    scrub: tuple[str, ...] = ()  # thread entries whose words the change erases
    moves: tuple[Moved, ...] = ()  # thread entries the change marks as moved to another ticket


# The ticket's one timed action at a time: its next SLA event while open
# (and, while waiting on the customer, the reminder or the automatic
# resolution, whichever comes first), then the follow-up, then the automatic close.


@dataclass(frozen=True)
class Wake:
    kind: str  # sla | remind | autoresolve | followup | close
    at: datetime
    metric: str | None = None
    sla_kind: str | None = None  # warning | breach

    def name(self, ticket_id: str) -> str:
        # EventBridge Scheduler names: 1-64 of [0-9a-zA-Z-_.]; a ULID is 26 characters.
        suffix = f"{_SHORT[self.metric or '']}-{_SHORT[self.sla_kind or '']}" if self.kind == "sla" else self.kind
        return f"cl-{ticket_id}-{suffix}"

    def payload(self, ticket_id: str) -> dict[str, Any]:
        if self.kind == "sla":
            return {"type": "sla", "ticket_id": ticket_id, "metric": self.metric, "kind": self.sla_kind}
        return {"type": self.kind, "ticket_id": ticket_id}

    def schedule(self, ticket_id: str) -> Schedule:
        """The one-time schedule that fires this wake."""
        return Schedule(self.name(ticket_id), self.at, self.payload(ticket_id))

    def matches(self, payload: Mapping[str, Any]) -> bool:
        if payload.get("type") != self.kind:
            return False
        return self.kind != "sla" or (payload.get("metric"), payload.get("kind")) == (self.metric, self.sla_kind)


_SHORT = {"first_response": "fr", "next_response": "nr", "resolution": "res", "warning": "warn", "breach": "breach"}


def wake_of(ticket: Ticket | None, rules: Rules) -> Wake | None:
    if ticket is None or ticket.status == SPAM:
        return None
    if ticket.is_open:
        event = sla.next_event(dict(ticket.clocks))
        wakes = [Wake("sla", event.at, event.metric, event.kind)] if event else []
        waiting = _waiting(ticket, rules)
        return min([*wakes, waiting], key=lambda w: w.at) if waiting else (wakes[0] if wakes else None)
    if ticket.resolved_at is None:
        return None
    if ticket.followup_sent_at is None and follow_up_wanted(ticket):
        return Wake("followup", ticket.resolved_at + rules.follow_up_after)
    if ticket.status == "resolved":
        return Wake("close", ticket.resolved_at + rules.close_after)
    return None


def _waiting(ticket: Ticket, rules: Rules) -> Wake | None:
    """A pending ticket's next step: remind the customer once, then resolve."""
    if ticket.status != "pending" or ticket.pending_since is None:
        return None
    remind_at = ticket.pending_since + rules.pending_reminder_after
    if ticket.reminded_at is None and remind_at < resolves_at(ticket, rules):
        return Wake("remind", remind_at)
    return Wake("autoresolve", resolves_at(ticket, rules))


def resolves_at(ticket: Ticket, rules: Rules) -> datetime:
    """When a pending ticket is resolved unless the customer answers first."""
    assert ticket.pending_since is not None  # only a pending ticket is waiting
    return ticket.pending_since + rules.pending_resolve_after


def follow_up_wanted(ticket: Ticket) -> bool:
    return not ticket.erased and "spam" not in ticket.tags and ticket.merged_into is None


def due_times(ticket: Ticket) -> dict[str, datetime | None]:
    """The current due time per metric (None while paused or ended)."""
    return {metric: clock.due_at for metric, clock in ticket.clocks.items()}


def facts(ticket: Ticket | None) -> TicketFacts | None:
    """What the metrics need of a ticket (and nothing personal); spam counts for nothing."""
    if ticket is None or ticket.status == SPAM:
        return None
    return TicketFacts(
        created=ticket.created_at,
        channel=ticket.channel,
        category=ticket.category,
        status=ticket.status,
        clocks={m: c for m, c in ticket.clocks.items()},
        operator_replies=ticket.operator_replies,
        customer_messages=ticket.customer_messages,
        offers=ticket.offer_days,
        feedback=ticket.feedback,
        resolved_at=ticket.resolved_at,
        done=ticket.status in DONE_STATUSES,
        assignee=ticket.assignee,
        first_responder=ticket.first_responder,
    )


def _preview(message: str) -> str:
    line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    return line if len(line) <= PREVIEW_CHARACTERS else line[: PREVIEW_CHARACTERS - 1].rstrip() + "…"
