"""A ticket's life in one place: the vocabulary (statuses, priorities; the
channels are the inquiry's, domain/inquiry.py), the ticket's state, every transition, and what each transition
causes. Pure: no I/O, no clock of its own.

Every transition returns a `Change`: the ticket after it, the one thread entry
that records it (who, what, when), and its `Effects` (emails, the ticket's
next schedule, metric counters, outgoing events, automatic assignment). The
writer stores the ticket and the entry in one transaction; the table's stream
consumer performs the effects. `_conclude` is the one function that decides
what every transition causes, so no caller can forget a consequence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from . import feedback, sla
from .errors import Conflict, FieldError, Gone, InvalidInput
from .files import key_of
from .inquiry import Details, Inquiry
from .metrics import TicketFacts, day, difference
from .text import mailbox

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


# Transitions. Each takes the ticket as read and returns the Change, or None
# when there is nothing to do (a stale schedule, the same rating again).


def open_ticket(
    *,
    ticket_id: str,
    reference: str,
    now: datetime,
    rules: Rules,
    priority: str,
    inquiry: Inquiry,
    message_id: str | None = None,
    linked_to: str | None = None,
    attachments: tuple[Mapping[str, Any], ...] = (),
    cc: tuple[str, ...] = (),
) -> Change:
    subject, channel, asked = inquiry.subject, inquiry.channel, inquiry.callback
    callback = {k: v for k, v in (("phone", asked.phone), ("window", asked.window)) if v} if asked else None
    ticket = Ticket(
        id=ticket_id,
        reference=reference,
        status="new",
        priority=priority,
        channel=channel,
        customer_email=inquiry.email.lower(),
        customer_name=inquiry.name,
        created_at=now,
        updated_at=now,
        subject=subject,
        preview=_preview(inquiry.message),
        category=inquiry.category,
        details=inquiry.details,
        callback=dict(callback, status="requested") if callback else None,
        clocks=sla.on_intake(now, rules.sla, priority),
        customer_messages=1,
        linked_to=linked_to,
        cc=followers((), cc, inquiry.email),
    )
    promised = ticket.clocks["first_response"].due_at
    data = {
        "subject": subject,
        "channel": channel,
        "message_id": message_id,
        "linked_to": linked_to,
        "first_response_due": promised.isoformat() if promised else None,  # what the acknowledgement promises
        "attachments": [dict(a) for a in attachments] or None,
    }
    data = {k: v for k, v in data.items() if v}
    entry = Entry("message", "created", CUSTOMER.label, body=inquiry.message, direction="in", data=data)
    return _conclude(
        None,
        ticket,
        entry,
        now,
        rules,
        mail=(Mail("acknowledgement", "customer"),),
        publish=("ticket.created",),
        assign=True,
        remember_customer=True,
    )


def quarantined(change: Change, *, reason: str, now: datetime, rules: Rules) -> Change:
    """A new ticket that is spam (`reason`, one of SPAM_REASONS): kept for
    operators in status spam, and nothing else: no acknowledgement, no SLA,
    no assignment, no event, no contact data kept, not counted."""
    after = replace(change.after, status=SPAM, clocks={})
    data = {k: v for k, v in change.entry.data.items() if k != "first_response_due"} | {"spam": reason}
    return _conclude(None, after, replace(change.entry, data=data), now, rules, claims=change.claims)


def reply(
    ticket: Ticket,
    *,
    actor: Actor,
    text: str,
    now: datetime,
    rules: Rules,
    resolve: bool = False,
    offer: Mapping[str, Any] | None = None,
    macro: str | None = None,
    attachments: tuple[Mapping[str, Any], ...] = (),
) -> Change:
    """An operator's answer, emailed (with the files it lists); `resolve`
    resolves in the same step. A closed ticket opens again: the customer's
    answer to this email must find it (mail to a closed ticket would start a
    new one). Spam is never answered: it is released first."""
    _not_merged(ticket)
    if ticket.status == SPAM:
        raise Conflict("this ticket is spam: release it (status new) before replying", field="status")
    priority = ticket.clock_priority
    after = replace(
        ticket,
        clocks=sla.on_operator_reply(dict(ticket.clocks), now, rules.sla, priority),
        first_responded_at=ticket.first_responded_at or now,
        first_responder=ticket.first_responder or actor.email,
        operator_replies=ticket.operator_replies + 1,
        offer_days=ticket.offer_days + ((day(now),) if offer else ()),
    )
    target = "resolved" if resolve else ("open" if ticket.status in ("new", "closed") else ticket.status)
    changes: dict[str, list[Any]] = {}
    if target != ticket.status:
        changes["status"] = [ticket.status, target]
        after = _move(after, target, now, rules)
    data: dict[str, Any] = {"changes": changes} if changes else {}
    if offer:
        data["offer"] = {**offer, "at": now.isoformat()}
    if macro:
        data["macro"] = macro
    if attachments:
        data["attachments"] = [dict(a) for a in attachments]
    entry = Entry("message", "replied", actor.label, body=text, direction="out", data=data)
    return _conclude(ticket, after, entry, now, rules, mail=(Mail("reply", "customer"),), publish=("ticket.replied",))


def update(
    ticket: Ticket,
    *,
    actor: Actor,
    fields: Mapping[str, Any],
    now: datetime,
    rules: Rules,
    reason: str | None = None,
) -> Change | None:
    """An operator's (or the system's) change of status, priority, assignee,
    category, tags or followers (`cc`); None when nothing changes. Status
    spam quarantines the ticket and blocks its sender; spam goes back only to
    new (released: not spam), which acknowledges it then, with its SLA from then."""
    _not_merged(ticket)
    status = fields.get("status", ticket.status)
    if status != ticket.status and ticket.status == SPAM and status != "new":
        raise InvalidInput([FieldError("status", "a spam ticket is released first: set its status to new")])
    if status == "new" and ticket.status not in ("new", SPAM):
        raise InvalidInput([FieldError("status", "only a spam ticket goes back to new (released as not spam)")])
    after, changes = ticket, {}
    if "priority" in fields and fields["priority"] != ticket.priority:
        changes["priority"] = [ticket.priority, fields["priority"]]
        after = replace(
            after,
            priority=fields["priority"],
            sla_priority=None,
            clocks=sla.on_priority(dict(after.clocks), rules.sla, fields["priority"]),
        )
    if "status" in fields and fields["status"] != ticket.status:
        changes["status"] = [ticket.status, fields["status"]]
        after = _move(after, fields["status"], now, rules)
    for name in ("assignee", "category"):
        if name in fields and fields[name] != getattr(ticket, name):
            changes[name] = [getattr(ticket, name), fields[name]]
            after = replace(after, **{name: fields[name]})
    if "tags" in fields and frozenset(fields["tags"]) != ticket.tags:
        changes["tags"] = [sorted(ticket.tags), sorted(fields["tags"])]
        after = replace(after, tags=frozenset(fields["tags"]))
    if "cc" in fields:
        cc = followers((), fields["cc"], ticket.customer_email)
        if cc != ticket.cc:
            changes["cc"] = [list(ticket.cc), list(cc)]
            after = replace(after, cc=cc)
    if not changes:
        return None
    data: dict[str, Any] = {"changes": changes} | ({"reason": reason} if reason else {})
    if SPAM in (ticket.status, after.status) and ticket.status != after.status:
        return _spam_move(ticket, after, actor, data, now, rules)
    resolved_now = after.status == "resolved" and ticket.status != "resolved"
    mail = (Mail("resolution", "customer"),) if resolved_now and not ticket.erased else ()
    return _conclude(ticket, after, Entry("event", "updated", actor.label, data=data), now, rules, mail=mail)


def _spam_move(
    ticket: Ticket, after: Ticket, actor: Actor, data: dict[str, Any], now: datetime, rules: Rules
) -> Change:
    """Marked as spam: its sender's later mail and forms are quarantined too.
    Released: the request it was all along, acknowledged now (with the
    time a reply is due, counted from now), assigned, its sender unblocked."""
    if after.status == SPAM:
        return _conclude(
            ticket, after, Entry("event", "marked_spam", actor.label, data=data), now, rules, block_sender=True
        )
    due = after.clocks["first_response"].due_at
    data = data | ({"first_response_due": due.isoformat()} if due else {})
    return _conclude(
        ticket,
        after,
        Entry("event", "released", actor.label, data=data),
        now,
        rules,
        mail=() if ticket.erased else (Mail("acknowledgement", "customer"),),
        assign=True,
        remember_customer=not ticket.erased,
        block_sender=False,
    )


def note(ticket: Ticket, *, actor: Actor, text: str, now: datetime, rules: Rules) -> Change:
    """Internal: never emailed."""
    return _conclude(ticket, ticket, Entry("note", "note", actor.label, body=text), now, rules)


def log_call(ticket: Ticket, *, actor: Actor, outcome: str, summary: str, now: datetime, rules: Rules) -> Change:
    """A phone call with the customer: reaching them completes a requested
    callback and is a response."""
    _not_merged(ticket)
    after, changes = ticket, {}
    if outcome == "reached":
        priority = ticket.clock_priority
        after = replace(
            after,
            clocks=sla.on_operator_reply(dict(after.clocks), now, rules.sla, priority),
            first_responded_at=ticket.first_responded_at or now,
            first_responder=ticket.first_responder or actor.email,
            callback=dict(ticket.callback, status="done", done_at=now.isoformat()) if ticket.callback else None,
        )
        if ticket.status == "new":
            changes["status"] = ["new", "open"]
            after = _move(after, "open", now, rules)
    data: dict[str, Any] = {"outcome": outcome} | ({"changes": changes} if changes else {})
    return _conclude(ticket, after, Entry("call", "call", actor.label, body=summary, data=data), now, rules)


def customer_wrote(
    ticket: Ticket,
    *,
    text: str,
    now: datetime,
    rules: Rules,
    subject: str | None = None,
    message_id: str | None = None,
    channel: str = "email",
    attachments: tuple[Mapping[str, Any], ...] = (),
    cc: tuple[str, ...] = (),
    sender: str | None = None,
) -> Change:
    """The customer wrote again (or a follower, `sender`, answered all):
    paused clocks run, an answered customer is owed a next response, a
    pending or resolved ticket is open again; addresses the mail copied
    (`cc`) follow the ticket from now on."""
    priority = ticket.clock_priority
    after = replace(
        ticket,
        clocks=sla.on_customer_message(dict(ticket.clocks), now, rules.sla, priority),
        customer_messages=ticket.customer_messages + 1,
        cc=followers(ticket.cc, cc, ticket.customer_email),
    )
    changes: dict[str, list[Any]] = {}
    if ticket.status in ("pending", "resolved"):
        changes["status"] = [ticket.status, "open"]
        after = _move(after, "open", now, rules)
    if after.cc != ticket.cc:
        changes["cc"] = [list(ticket.cc), list(after.cc)]
    data: dict[str, Any] = {
        "subject": subject,
        "message_id": message_id,
        "channel": channel,
        "from": sender if sender and sender != ticket.customer_email else None,
        "attachments": [dict(a) for a in attachments] or None,
        "changes": changes or None,
    }
    entry = Entry(
        "message",
        "customer_wrote",
        CUSTOMER.label,
        body=text,
        direction="in",
        data={k: v for k, v in data.items() if v},
    )
    claims = (mail_claim(message_id),) if message_id else ()
    return _conclude(ticket, after, entry, now, rules, claims=claims)


def customer_solved(ticket: Ticket, *, now: datetime, rules: Rules) -> Change | None:
    """The customer says on their status page that the problem is solved:
    resolved, with no email saying so (they have just told us; the page
    thanks them, and the follow-up still asks how it went). None when it is
    not open (said twice, or resolved meanwhile)."""
    if not ticket.is_open:
        return None
    after = _move(ticket, "resolved", now, rules)
    data = {"changes": {"status": [ticket.status, "resolved"]}}
    return _conclude(ticket, after, Entry("event", "customer_solved", CUSTOMER.label, data=data), now, rules)


def link_requested(ticket: Ticket, *, now: datetime, rules: Rules) -> Change | None:
    """The customer's status link expired and they asked for a fresh one: it
    is emailed to the ticket's own address (never one they name)."""
    if ticket.erased or ticket.status == SPAM:
        return None
    return _conclude(
        ticket,
        ticket,
        Entry("event", "status_link", CUSTOMER.label),
        now,
        rules,
        mail=(Mail("status_link", "customer"),),
    )


def mail_claim(message_id: str) -> str:
    """The key a customer's mail claims when it joins a ticket, for good: the
    same mail arriving again (SES, Lambda and a re-drive all may deliver it
    twice) is recognised by it."""
    return f"mail#{message_id}"


def continued(
    ticket: Ticket, thread: Iterable[Entry], *, ticket_id: str, reference: str, now: datetime, rules: Rules
) -> Change | None:
    """The customer wrote again after the ticket closed: a new ticket carries
    on. Said once, however often the mail that opened it arrives."""
    if any(e.event == "continued" and e.data.get("ticket_id") == ticket_id for e in thread):
        return None
    return _conclude(
        ticket,
        ticket,
        Entry("event", "continued", SYSTEM.label, data={"ticket_id": ticket_id, "reference": reference}),
        now,
        rules,
    )


def sla_event(ticket: Ticket, payload: Mapping[str, Any], *, now: datetime, rules: Rules) -> Change | None:
    """A warning before, or the breach at, a due time, if it is still the
    ticket's next event and due. A breach escalates by the policy; a raised
    priority marks urgency for people and does not retarget the clocks, which
    would turn one breach into a cascade."""
    wake = wake_of(ticket, rules)
    if wake is None or wake.kind != "sla" or not wake.matches(payload) or wake.at > now:
        return None
    metric, kind = str(wake.metric), str(wake.sla_kind)
    due = ticket.clocks[metric].due_at
    after = replace(ticket, clocks=sla.on_event(dict(ticket.clocks), sla.SlaEvent(metric, kind, wake.at), now))
    changes: dict[str, list[Any]] = {}
    if kind == "breach":
        policy = rules.sla
        if policy.escalation_raise_priority and ticket.priority != PRIORITIES[-1]:
            raised = PRIORITIES[PRIORITIES.index(ticket.priority) + 1]
            changes["priority"] = [ticket.priority, raised]
            after = replace(after, sla_priority=ticket.clock_priority, priority=raised)
        target = policy.escalation_reassign_to
        if target and ticket.assignee != target:
            changes["assignee"] = [ticket.assignee, target]
            after = replace(after, assignee=target)
    recipient = after.assignee or rules.team_lead
    # A warning that is no longer ahead of its due time says nothing the breach will not.
    late_warning = kind == "warning" and due is not None and not sla.warning_still_useful(due, now)
    data: dict[str, Any] = {
        "metric": metric,
        "due": due.isoformat() if due else None,
        "notified": None if late_warning else recipient,
    }
    if changes:
        data["changes"] = changes
    entry = Entry("event", f"sla_{kind}", SYSTEM.label, data=data)
    mail = () if late_warning else (Mail(f"sla_{kind}", recipient),)
    return _conclude(
        ticket, after, entry, now, rules, mail=mail, publish=("sla.warning" if kind == "warning" else "sla.breached",)
    )


def remind(ticket: Ticket, *, now: datetime, rules: Rules) -> Change | None:
    """Waiting on the customer for `pending_reminder_after`: one reminder,
    saying when the request will be resolved if they do not answer (late,
    past that time, it is resolved instead)."""
    if not _due(ticket, "remind", now, rules):
        return None
    resolves = resolves_at(ticket, rules)
    if now >= resolves:
        return _unanswered(ticket, now, rules)
    return _conclude(
        ticket,
        replace(ticket, reminded_at=now),
        Entry("event", "pending_reminder", SYSTEM.label, data={"resolves_at": resolves.isoformat()}),
        now,
        rules,
        mail=(Mail("pending_reminder", "customer"),),
    )


def resolve_unanswered(ticket: Ticket, *, now: datetime, rules: Rules) -> Change | None:
    """Waiting on the customer for `pending_resolve_after`: resolved, with the resolution email."""
    if not _due(ticket, "autoresolve", now, rules):
        return None
    return _unanswered(ticket, now, rules)


def _due(ticket: Ticket, kind: str, now: datetime, rules: Rules) -> bool:
    """Whether the ticket's one timed action now is `kind` and its time has
    come (a duplicate, stale or early schedule does nothing)."""
    wake = wake_of(ticket, rules)
    return wake is not None and wake.kind == kind and wake.at <= now


def _unanswered(ticket: Ticket, now: datetime, rules: Rules) -> Change | None:
    return update(ticket, actor=SYSTEM, fields={"status": "resolved"}, now=now, rules=rules, reason="no answer")


def follow_up(ticket: Ticket, *, now: datetime, rules: Rules) -> Change | None:
    """Two days after resolution: is anything still open, how did we do."""
    if not _due(ticket, "followup", now, rules):
        return None
    return _conclude(
        ticket,
        replace(ticket, followup_sent_at=now),
        Entry("event", "follow_up", SYSTEM.label),
        now,
        rules,
        mail=(Mail("follow_up", "customer"),),
    )


def close(ticket: Ticket, *, now: datetime, rules: Rules) -> Change | None:
    """A quiet resolved ticket closes by itself."""
    if not _due(ticket, "close", now, rules):
        return None
    return update(ticket, actor=SYSTEM, fields={"status": "closed"}, now=now, rules=rules)


def rate(ticket: Ticket, *, rating: Mapping[str, Any], now: datetime, rules: Rules) -> Change | None:
    """The customer's rating (again, if they change their mind): a later
    rating updates only the answers it carries. An unhappy one reaches a
    person, told by the entry (its scores, its words as the body): what this
    rating said, whatever the ticket says by the time the notice goes out.
    An erased ticket takes none: its customer's words would be stored again."""
    if ticket.erased:
        raise Gone("This feedback link has expired.", field="token")
    previous = {k: v for k, v in (ticket.feedback or {}).items() if k in feedback.ANSWERS} or None
    merged = feedback.merge_rating(previous, dict(rating))
    if merged == previous:
        return None  # the same rating again: nothing new, nobody notified twice
    told = bool((ticket.feedback or {}).get("told"))
    notify = feedback.needs_follow_up(previous, merged, told=told)
    after = replace(ticket, feedback=merged | {"at": now.isoformat()} | ({"told": True} if told or notify else {}))
    scores = {k: v for k, v in rating.items() if k != "comment"}
    entry = Entry(
        "event",
        "feedback",
        CUSTOMER.label,
        body=rating.get("comment") or None,
        data=scores | ({"comment": True} if "comment" in rating else {}),
    )
    mail = (Mail("low_rating", ticket.assignee or rules.team_lead),) if notify else ()
    return _conclude(ticket, after, entry, now, rules, mail=mail, publish=("feedback.received",))


def assign(ticket: Ticket, *, agent: str, now: datetime, rules: Rules) -> Change | None:
    """Automatic assignment of a new, still unassigned ticket."""
    if ticket.assignee or not ticket.is_open:
        return None
    return _conclude(
        ticket,
        replace(ticket, assignee=agent),
        Entry("event", "assigned", SYSTEM.label, data={"changes": {"assignee": [None, agent]}}),
        now,
        rules,
        mail=(Mail("assigned", agent),),
    )


def erase(
    ticket: Ticket, *, actor: Actor, alias: str, now: datetime, rules: Rules, customer_entries: tuple[str, ...]
) -> Change:
    """Anonymise the ticket and scrub the customer's words from its thread;
    the fact of the erasure stays (who, when). The scores stay, for the
    metrics; the words go."""
    feedback = {k: v for k, v in (ticket.feedback or {}).items() if k != "comment"} or None
    after = replace(
        ticket,
        customer_name="Erased customer",
        customer_email=alias,
        subject=ERASED if ticket.subject else None,
        preview=None,
        details=ticket.details.scrubbed(),
        callback=None,
        feedback=feedback,
        cc=(),
    )
    entry = Entry("event", "erased", actor.label, data={"reason": "customer's request"})
    return _conclude(ticket, after, entry, now, rules, scrub=customer_entries, purge_files=True)


# Collaboration (#22): followers, merges, splits, tickets operators open.


def followers(current: Iterable[str], added: Iterable[str], customer: str) -> tuple[str, ...]:
    """The ticket's followers after `added` join `current`: lower case, each
    once, in the order they came, never the customer, at most MAX_FOLLOWERS
    (the first ones stay). Who may follow (not our own addresses, valid ones)
    is the caller's to check."""
    kept: list[str] = []
    for address in (*current, *added):
        address = address.strip().lower()
        if address and address != customer.lower() and address not in kept:
            kept.append(address)
    return tuple(kept[:MAX_FOLLOWERS])


def follower_problems(addresses: Iterable[str], *, customer: str, own: Iterable[str]) -> list[FieldError]:
    """What stops these addresses (an operator's `cc`) following a ticket:
    the customer gets every reply anyway, and our own addresses never
    follow (mail to them would come back as a customer's)."""
    ours = {mailbox(a) for a in own}
    problems = []
    for n, address in enumerate(addresses):
        if address.lower() == customer.lower():
            problems.append(FieldError(f"cc.{n}", "is the customer's own address: every reply goes to them anyway"))
        elif mailbox(address) in ours:
            problems.append(FieldError(f"cc.{n}", "is one of our own addresses: it cannot follow a ticket"))
    return problems


def merge_refusal(source: Ticket, target: Ticket) -> str | None:
    """Why `source` cannot be merged into `target`; None when it can (or
    already was: merging again is the same merge)."""
    if source.id == target.id:
        return "a ticket cannot be merged into itself"
    if target.merged_into is not None:
        return f"{target.reference} was merged into another ticket; merge into that one"
    if source.merged_into is not None and source.merged_into != target.id:
        return f"{source.reference} was merged into another ticket already"
    if target.id in source.merged_from:
        return f"{target.reference} was merged into {source.reference}; it cannot take it in"
    if source.customer_email != target.customer_email:
        # One customer's words on another's ticket would escape that customer's export and erasure.
        return "the tickets are different customers'; only one customer's tickets merge"
    return None


def absorb(target: Ticket, source: Ticket, *, actor: Actor, now: datetime, rules: Rules) -> Change | None:
    """The first half of a merge: the target takes in the source's thread
    (read with its own from now on), tags and followers; a customer the
    source still owed an answer is owed it here. None when taken in already.
    The source's half (`merge_away`) follows, done again until done."""
    if source.id in target.merged_from:
        return None
    after = replace(
        target,
        merged_from=(*target.merged_from, source.id),
        tags=target.tags | source.tags,
        cc=followers(target.cc, source.cc, target.customer_email),
        customer_messages=target.customer_messages + source.customer_messages,
        operator_replies=target.operator_replies + source.operator_replies,
    )
    changes: dict[str, list[Any]] = {}
    if after.tags != target.tags:
        changes["tags"] = [sorted(target.tags), sorted(after.tags)]
    if after.cc != target.cc:
        changes["cc"] = [list(target.cc), list(after.cc)]
    if _owes_answer(source):
        after = replace(after, clocks=sla.on_customer_message(dict(after.clocks), now, rules.sla, after.clock_priority))
        if target.status in ("pending", *DONE_STATUSES):
            changes["status"] = [target.status, "open"]
            after = _move(after, "open", now, rules)
    data: dict[str, Any] = {"ticket_id": source.id, "reference": source.reference}
    entry = Entry("event", "merged", actor.label, data=data | ({"changes": changes} if changes else {}))
    return _conclude(
        target,
        after,
        entry,
        now,
        rules,
        claims=(f"merge#{source.id}",),  # one target per source, whatever races
        counterpart={"kind": "merge", "source": source.id, "target": target.id},
    )


def merge_away(source: Ticket, target: Ticket, *, actor: Actor, now: datetime, rules: Rules) -> Change | None:
    """The second half of a merge: the source closes into the target, owing
    nothing (its clocks cancelled, its schedules gone, no follow-up); later
    mail about it joins the target. None when done already."""
    if source.merged_into == target.id:
        return None
    after = replace(
        source,
        status="closed",
        merged_into=target.id,
        clocks=sla.cancel(dict(source.clocks), now, rules.sla, source.clock_priority),
    )
    data: dict[str, Any] = {"ticket_id": target.id, "reference": target.reference}
    if source.status != "closed":
        data["changes"] = {"status": [source.status, "closed"]}
    return _conclude(
        source, after, Entry("event", "merged_into", actor.label, data=data), now, rules, publish=("ticket.merged",)
    )


def split_off(
    ticket: Ticket,
    message: Entry,
    *,
    home: str,
    sk: str,
    ticket_id: str,
    reference: str,
    actor: Actor,
    now: datetime,
    rules: Rules,
    subject: str | None = None,
) -> Change:
    """The first half of a split: a customer's message (`sk` in the
    collection of `home`: the ticket's own, or a ticket merged into it)
    opens a new ticket for the same customer, its own request from now on:
    no acknowledgement, the operator who split it owns it. The message
    leaves the old ticket next (`split_out`), done again until done."""
    body = message.body or ""
    new = replace(
        ticket,
        id=ticket_id,
        reference=reference,
        status="open",
        created_at=now,
        updated_at=now,
        subject=subject or ticket.subject,
        preview=_preview(body),
        callback=None,
        assignee=actor.email if actor.kind == "operator" else None,
        tags=frozenset(),
        clocks=sla.on_intake(now, rules.sla, ticket.priority),
        sla_priority=None,
        first_responded_at=None,
        first_responder=None,
        resolved_at=None,
        feedback=None,
        followup_sent_at=None,
        operator_replies=0,
        customer_messages=1,
        offer_days=(),
        linked_to=None,
        merged_into=None,
        merged_from=(),
        version=0,
    )
    # The files stay where the message's mail put them: each names its key.
    files = [{**a, "key": key_of(home, a)} for a in message.data.get("attachments") or ()]
    data = {
        "channel": message.data.get("channel") or ticket.channel,
        "subject": message.data.get("subject"),
        "message_id": message.data.get("message_id"),
        "from": message.data.get("from"),
        "attachments": files or None,
        "split_from": {"ticket_id": ticket.id, "reference": ticket.reference, "by": actor.label},
    }
    entry = Entry(
        "message", "created", message.author, body=body, direction="in", data={k: v for k, v in data.items() if v}
    )
    return _conclude(
        None,
        new,
        entry,
        now,
        rules,
        publish=("ticket.created",),
        claims=(f"split#{home}#{sk}",),  # a message opens one new ticket, whatever races
        counterpart={"kind": "split", "ticket": ticket.id, "home": home, "entry": sk, "to": ticket_id},
    )


def split_out(
    ticket: Ticket, message: Entry, *, home: str, sk: str, to: Ticket, actor: Actor, now: datetime, rules: Rules
) -> Change:
    """The second half of a split: the message leaves this ticket's thread
    for the new one (`to`), said in the thread; a split is undone only by
    another."""
    after = replace(ticket, customer_messages=max(ticket.customer_messages - (message.direction == "in"), 0))
    data = {"ticket_id": to.id, "reference": to.reference, "entry": sk}
    return _conclude(
        ticket,
        after,
        Entry("event", "split", actor.label, data=data),
        now,
        rules,
        publish=("ticket.split",),
        moves=(Moved(home, sk, to.id),),
    )


def open_outbound(
    *,
    ticket_id: str,
    reference: str,
    now: datetime,
    rules: Rules,
    actor: Actor,
    email: str,
    name: str,
    subject: str,
    text: str,
    status: str = "pending",
    cc: tuple[str, ...] = (),
) -> Change:
    """An operator starts a conversation with a customer: the first message
    is theirs, emailed (no acknowledgement: nobody asked for anything); its
    status is what the operator expects next (pending: waiting on the
    customer's answer)."""
    ticket = Ticket(
        id=ticket_id,
        reference=reference,
        status="open",
        priority="normal",
        channel="email",
        customer_email=email.lower(),
        customer_name=name,
        created_at=now,
        updated_at=now,
        subject=subject,
        preview=_preview(text),
        assignee=actor.email if actor.kind == "operator" else None,
        clocks={"resolution": sla.start("resolution", now, rules.sla, "normal")},
        first_responded_at=now,
        first_responder=actor.email or None,
        operator_replies=1,
        cc=followers((), cc, email),
    )
    if status != "open":
        ticket = _move(ticket, status, now, rules)
    entry = Entry(
        "message", "created", actor.label, body=text, direction="out", data={"subject": subject, "outbound": True}
    )
    return _conclude(None, ticket, entry, now, rules, mail=(Mail("reply", "customer"),), publish=("ticket.created",))


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
