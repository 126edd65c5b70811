"""Collaboration (#22): followers, merges, splits, tickets operators open."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from .. import sla
from ..errors import FieldError
from ..files import key_of
from ..text import mailbox
from .effects import _conclude, _move, _owes_answer
from .state import DONE_STATUSES, MAX_FOLLOWERS, Actor, Change, Entry, Mail, Moved, Rules, Ticket, _preview


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
