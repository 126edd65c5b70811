"""A ticket's own transitions: each takes the ticket as read and returns the
`Change`, or None when there is nothing to do (a stale schedule, the same
rating again)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from .. import feedback, sla
from ..errors import Conflict, FieldError, Gone, InvalidInput
from ..inquiry import Inquiry
from ..metrics import day
from .effects import _conclude, _move, _not_merged
from .state import (
    CUSTOMER,
    ERASED,
    PRIORITIES,
    SPAM,
    SYSTEM,
    Actor,
    Change,
    Entry,
    Mail,
    Rules,
    Ticket,
    _preview,
    resolves_at,
    wake_of,
)
from .teamwork import followers

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
