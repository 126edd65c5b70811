"""A ticket's life in one place: the vocabulary (statuses, priorities,
channels), the ticket's state, every transition, and what each transition
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
from .metrics import TicketFacts, day, difference

STATUSES = ("new", "open", "pending", "resolved", "closed")
OPEN_STATUSES = ("new", "open", "pending")  # work to do: SLA clocks run (pending pauses some)
DONE_STATUSES = ("resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")  # ascending urgency
CHANNELS = ("web", "email", "chat", "phone", "social")
# Outgoing events (docs/events.md, schemas/event.schema.json): what changes publish.
EVENT_TYPES = (
    "ticket.created",
    "ticket.replied",
    "ticket.status_changed",
    "ticket.assigned",
    "sla.warning",
    "sla.breached",
    "feedback.received",
)
CALL_OUTCOMES = ("reached", "no_answer", "voicemail")
ERASED_DOMAIN = "erased.invalid"


def erased_alias(email: str) -> str:
    """The pseudonym erasure gives a customer: the same for the same address,
    nothing of the address left in it (the audit trail names customers so)."""
    return f"erased-{hashlib.sha256(email.strip().lower().encode()).hexdigest()[:12]}@{ERASED_DOMAIN}"


ERASED = "[erased]"
PREVIEW_CHARACTERS = 140


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
    phone: str | None = None
    order_id: str | None = None
    locale: str | None = None
    timezone: str | None = None
    callback: Mapping[str, Any] | None = None  # {"phone", "window"?, "status": requested | done, "done_at"?}
    assignee: str | None = None
    tags: frozenset[str] = frozenset()
    clocks: Mapping[str, sla.MetricClock] = field(default_factory=dict)
    sla_priority: str | None = None  # the priority the clocks follow, once an escalation raised `priority`
    first_responded_at: datetime | None = None
    first_responder: str | None = None
    resolved_at: datetime | None = None
    feedback: Mapping[str, Any] | None = None  # {"csat", "nps"?, "comment"?, "at"}
    followup_sent_at: datetime | None = None
    operator_replies: int = 0
    customer_messages: int = 0
    offer_days: tuple[str, ...] = ()
    linked_to: str | None = None  # an earlier ticket this one continues
    version: int = 0

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
    kind: str  # acknowledgement | reply | resolution | follow_up | sla_warning | sla_breach | low_rating | assigned
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


@dataclass(frozen=True)
class Change:
    before: Ticket | None
    after: Ticket
    entry: Entry
    effects: Effects
    claims: tuple[str, ...] = ()  # keys the change claims for good (an inbound Message-ID)
    scrub: tuple[str, ...] = ()  # thread entries whose words the change erases


# The ticket's one timed action at a time: its next SLA event while open,
# then the follow-up, then the automatic close.


@dataclass(frozen=True)
class Wake:
    kind: str  # sla | followup | close
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
    if ticket is None:
        return None
    if ticket.is_open:
        event = sla.next_event(dict(ticket.clocks))
        return Wake("sla", event.at, event.metric, event.kind) if event else None
    if ticket.resolved_at is None:
        return None
    if ticket.followup_sent_at is None and follow_up_wanted(ticket):
        return Wake("followup", ticket.resolved_at + rules.follow_up_after)
    if ticket.status == "resolved":
        return Wake("close", ticket.resolved_at + rules.close_after)
    return None


def follow_up_wanted(ticket: Ticket) -> bool:
    return not ticket.erased and "spam" not in ticket.tags


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
    name: str,
    email: str,
    message: str,
    channel: str,
    subject: str | None = None,
    category: str | None = None,
    phone: str | None = None,
    order_id: str | None = None,
    locale: str | None = None,
    timezone: str | None = None,
    callback: Mapping[str, Any] | None = None,
    message_id: str | None = None,
    linked_to: str | None = None,
    attachments: tuple[Mapping[str, Any], ...] = (),
) -> Change:
    ticket = Ticket(
        id=ticket_id,
        reference=reference,
        status="new",
        priority=priority,
        channel=channel,
        customer_email=email.lower(),
        customer_name=name,
        created_at=now,
        updated_at=now,
        subject=subject,
        preview=_preview(message),
        category=category,
        phone=phone,
        order_id=order_id,
        locale=locale,
        timezone=timezone,
        callback=dict(callback, status="requested") if callback else None,
        clocks=sla.on_intake(now, rules.sla, priority),
        customer_messages=1,
        linked_to=linked_to,
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
    entry = Entry(
        "message", "created", CUSTOMER.label, body=message, direction="in", data={k: v for k, v in data.items() if v}
    )
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
    resolves in the same step."""
    priority = ticket.clock_priority
    after = replace(
        ticket,
        clocks=sla.on_operator_reply(dict(ticket.clocks), now, rules.sla, priority),
        first_responded_at=ticket.first_responded_at or now,
        first_responder=ticket.first_responder or actor.email,
        operator_replies=ticket.operator_replies + 1,
        offer_days=ticket.offer_days + ((day(now),) if offer else ()),
    )
    target = "resolved" if resolve else ("open" if ticket.status == "new" else ticket.status)
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


def update(ticket: Ticket, *, actor: Actor, fields: Mapping[str, Any], now: datetime, rules: Rules) -> Change | None:
    """An operator's (or the system's) change of status, priority, assignee,
    category or tags; None when nothing changes."""
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
    if not changes:
        return None
    resolved_now = after.status == "resolved" and ticket.status != "resolved"
    mail = (Mail("resolution", "customer"),) if resolved_now and not ticket.erased else ()
    return _conclude(
        ticket, after, Entry("event", "updated", actor.label, data={"changes": changes}), now, rules, mail=mail
    )


def note(ticket: Ticket, *, actor: Actor, text: str, now: datetime, rules: Rules) -> Change:
    """Internal: never emailed."""
    return _conclude(ticket, ticket, Entry("note", "note", actor.label, body=text), now, rules)


def log_call(ticket: Ticket, *, actor: Actor, outcome: str, summary: str, now: datetime, rules: Rules) -> Change:
    """A phone call with the customer: reaching them completes a requested
    callback and is a response."""
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
) -> Change:
    """The customer wrote again: paused clocks run, an answered customer is
    owed a next response, a pending or resolved ticket is open again."""
    priority = ticket.clock_priority
    after = replace(
        ticket,
        clocks=sla.on_customer_message(dict(ticket.clocks), now, rules.sla, priority),
        customer_messages=ticket.customer_messages + 1,
    )
    changes = {}
    if ticket.status in ("pending", "resolved"):
        changes["status"] = [ticket.status, "open"]
        after = _move(after, "open", now, rules)
    data: dict[str, Any] = {
        "subject": subject,
        "message_id": message_id,
        "channel": channel,
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


def follow_up(ticket: Ticket, *, now: datetime, rules: Rules) -> Change | None:
    """Two days after resolution: is anything still open, how did we do."""
    wake = wake_of(ticket, rules)
    if wake is None or wake.kind != "followup" or wake.at > now:
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
    wake = wake_of(ticket, rules)
    if wake is None or wake.kind != "close" or wake.at > now:
        return None
    return update(ticket, actor=SYSTEM, fields={"status": "closed"}, now=now, rules=rules)


def rate(ticket: Ticket, *, rating: Mapping[str, Any], now: datetime, rules: Rules) -> Change | None:
    """The customer's rating (again, if they change their mind): a later
    rating updates only the answers it carries. An unhappy one reaches a person."""
    previous = {k: v for k, v in (ticket.feedback or {}).items() if k != "at"} or None
    merged = feedback.merge_rating(previous, dict(rating))
    if merged == previous:
        return None  # the same rating again: nothing new, nobody notified twice
    after = replace(ticket, feedback=merged | {"at": now.isoformat()})
    scores = {k: v for k, v in rating.items() if k != "comment"}
    entry = Entry("event", "feedback", CUSTOMER.label, data=scores | ({"comment": True} if "comment" in rating else {}))
    mail = (
        (Mail("low_rating", ticket.assignee or rules.team_lead),) if feedback.needs_follow_up(previous, merged) else ()
    )
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
        phone=None,
        order_id=None,
        locale=None,
        timezone=None,
        callback=None,
        feedback=feedback,
    )
    entry = Entry("event", "erased", actor.label, data={"reason": "customer's request"})
    return _conclude(ticket, after, entry, now, rules, scrub=customer_entries, purge_files=True)


# What every transition causes.


def _move(ticket: Ticket, status: str, now: datetime, rules: Rules) -> Ticket:
    """A new status and what it does to the clocks: done ends them, reopening
    runs the resolution clock again, waiting on the customer pauses."""
    old, priority, clocks = ticket.status, ticket.clock_priority, dict(ticket.clocks)
    resolved_at = ticket.resolved_at
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
    )
    return Change(before, after, entry, effects, claims, scrub)


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
    return detail


def facts(ticket: Ticket | None) -> TicketFacts | None:
    """What the metrics need of a ticket (and nothing personal)."""
    if ticket is None:
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
