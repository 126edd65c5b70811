"""A ticket's collection in the `tickets` table: the keys of its items, the
ticket and its thread entries mapped to items and back, and the effects
document each change's entry carries ("fx"), encoded and decoded here only:
the stream consumer works on the decoded `Effects`. Also how the store tells
a refused condition from DynamoDB failing to answer."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...clock import iso, parse_iso
from ...domain import sla
from ...domain.inquiry import Details
from ...domain.listing import due_key, most_urgent
from ...domain.ticket import Change, Effects, Entry, Mail, Published, Rules, Schedule, Ticket, listed_statuses, wake_of
from ..tables import SHARDS, TICKET_SK, TicketTable


@dataclass(frozen=True)
class StoredEntry:
    sk: str
    created_at: datetime
    entry: Entry
    effects: Effects = field(default_factory=Effects)
    version: int | None = None
    unsettled: bool = False  # its effects are not all done yet (see `redo_key`)
    moved_to: str | None = None  # a split moved it to that ticket: it is no longer this one's


def shard(ticket_id: str) -> int:
    return zlib.crc32(ticket_id.encode()) % SHARDS


def entry_key(now: datetime, version: int) -> str:
    # Time order first; the ticket's version keeps two changes in one instant
    # apart and makes the key the same when a lost answer is retried.
    return f"{now.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}Z#{version:06d}"


def refused(error: Exception) -> bool:
    """A condition said no (as opposed to DynamoDB failing to answer)."""
    response = getattr(getattr(error, "cause", None), "response", None) or {}
    code: str | None = response.get("Error", {}).get("Code")
    return code == "ConditionalCheckFailedException"


def retried(error: BaseException) -> bool:
    """The client sent the request more than once (an earlier answer was
    lost), so what DynamoDB answered last may be about its own earlier
    attempt. botocore counts the retries in the answer's metadata; pynamodb
    keeps botocore's error as the cause of its own."""
    seen: BaseException | None = error
    while seen is not None:
        metadata = (getattr(seen, "response", None) or {}).get("ResponseMetadata", {})
        if metadata.get("RetryAttempts"):
            return True
        seen = getattr(seen, "cause", None) or seen.__cause__
    return False


def to_item(ticket: Ticket, rules: Rules) -> TicketTable:
    wake = wake_of(ticket, rules)
    n = shard(ticket.id)
    callback_open = bool(ticket.callback and ticket.callback.get("status") == "requested" and ticket.is_open)
    urgent = most_urgent(ticket)
    return TicketTable(
        ticket.id,
        TICKET_SK,
        kind="ticket",
        reference=ticket.reference,
        status=ticket.status,
        priority=ticket.priority,
        channel=ticket.channel,
        category=ticket.category,
        subject=ticket.subject,
        preview=ticket.preview,
        customer_email=ticket.customer_email,
        customer_name=ticket.customer_name,
        details=dict(ticket.details.values) or None,
        callback=dict(ticket.callback) if ticket.callback else None,
        assignee=ticket.assignee,
        tags=set(ticket.tags) or None,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        clocks=sla.clocks_to(dict(ticket.clocks)) or None,
        sla_priority=ticket.sla_priority,
        first_responded_at=ticket.first_responded_at,
        first_responder=ticket.first_responder,
        resolved_at=ticket.resolved_at,
        feedback=dict(ticket.feedback) if ticket.feedback else None,
        followup_sent_at=ticket.followup_sent_at,
        operator_replies=ticket.operator_replies or None,
        customer_messages=ticket.customer_messages or None,
        offer_days=list(ticket.offer_days) or None,
        linked_to=ticket.linked_to,
        cc=list(ticket.cc) or None,
        merged_into=ticket.merged_into,
        merged_from=list(ticket.merged_from) or None,
        version=ticket.version,
        pending_since=ticket.pending_since,
        reminded_at=ticket.reminded_at,
        g_all=f"all#{n}" if ticket.status in listed_statuses() else None,  # the default listing: hidden ones stay out
        g_cust=ticket.customer_email,
        g_asg=ticket.assignee,
        g_pri=ticket.priority,
        g_cat=ticket.category,
        g_st=f"{ticket.status}#{ticket.id}",
        g_wake=f"{'sla' if wake.kind == 'sla' else 'life'}#{n}" if wake else None,
        wake_at=f"{iso(wake.at)}#{ticket.id}" if wake else None,
        g_due=f"due#{n}" if urgent else None,
        due_at=due_key(ticket),
        g_cb="callback" if callback_open else None,
    )


def to_ticket(item: TicketTable) -> Ticket:
    return Ticket(
        id=item.pk,
        reference=item.reference,
        status=item.status,
        priority=item.priority,
        channel=item.channel,
        customer_email=item.customer_email,
        customer_name=item.customer_name,
        created_at=item.created_at,
        updated_at=item.updated_at,
        subject=item.subject,
        preview=item.preview,
        category=item.category,
        details=details_of(item),
        callback=item.callback,
        assignee=item.assignee,
        tags=frozenset(item.tags or ()),
        clocks=sla.clocks_from(item.clocks),
        sla_priority=item.sla_priority,
        first_responded_at=item.first_responded_at,
        first_responder=item.first_responder,
        resolved_at=item.resolved_at,
        feedback=item.feedback,
        followup_sent_at=item.followup_sent_at,
        operator_replies=int(item.operator_replies or 0),
        customer_messages=int(item.customer_messages or 0),
        offer_days=tuple(item.offer_days or ()),
        linked_to=item.linked_to,
        cc=tuple(item.cc or ()),
        merged_into=item.merged_into,
        merged_from=tuple(item.merged_from or ()),
        version=int(item.version or 0),
        pending_since=item.pending_since,
        reminded_at=item.reminded_at,
    )


def details_of(item: TicketTable) -> Details:
    """The ticket's details: its `details` map, and those a ticket written
    before the map keeps as attributes of their own."""
    written_before = {
        "phone": item.old_phone,
        "order_id": item.old_order_id,
        "locale": item.old_locale,
        "timezone": item.old_timezone,
    }
    return Details(written_before | (item.details or {}))


# An entry whose effects are not all done carries the redo marker: its place
# on the sparse `by_retry` index (`redo#<shard>`, by the change's time), put
# with the change in its transaction and removed by the stream consumer, in
# one transaction with the entry's counters, once every effect is done
# (adapters/counters.py `settle`). The reconcile job reads the index for
# entries left unsettled too long and has their effects redone.
REDO = "redo"


def redo_key(ticket_id: str, created_at: datetime) -> tuple[str, str]:
    """The marker's index key: (g_retry, retry_at)."""
    return f"{REDO}#{shard(ticket_id)}", f"{iso(created_at)}#{ticket_id}"


def entry_item(ticket_id: str, sk: str, change: Change) -> TicketTable:
    entry = change.entry
    effects = effects_document(change.effects)
    g_retry, retry_at = redo_key(ticket_id, change.after.updated_at) if effects else (None, None)
    return TicketTable(
        ticket_id,
        sk,
        kind=entry.kind,
        event=entry.event,
        author=entry.author,
        body=entry.body,
        direction=entry.direction,
        data=dict(entry.data) or None,
        created_at=change.after.updated_at,
        version=change.after.version,
        effects=effects,
        g_retry=g_retry,
        retry_at=retry_at,
    )


def to_stored_entry(item: TicketTable) -> StoredEntry:
    return StoredEntry(
        item.sk,
        item.created_at,
        Entry(
            item.kind,
            item.event or item.kind,
            item.author or "",
            body=item.body,
            direction=item.direction,
            data=item.data or {},
        ),
        effects_of(item.effects),
        int(item.version) if item.version is not None else None,
        unsettled=item.g_retry is not None,
        moved_to=item.moved_to,
    )


def stream_entry(image: Mapping[str, Any]) -> tuple[str, StoredEntry]:
    """The ticket id and the entry a stream record's new image holds."""
    item = TicketTable.from_raw_data(dict(image))
    return item.pk, to_stored_entry(item)


# The effects document: JSON, so a stream record written by any earlier
# version still decodes. A key is present only when the effect is.


def effects_document(effects: Effects) -> dict[str, Any]:
    """The change's effects as its entry stores them."""
    document: dict[str, Any] = {}
    if effects.mail:
        document["mail"] = [[m.kind, m.to] for m in effects.mail]
    if effects.arm:
        arm = effects.arm
        document["arm"] = {"name": arm.name, "at": iso(arm.at), "payload": dict(arm.payload)}
    if effects.disarm:
        document["disarm"] = effects.disarm
    if effects.counters:
        document["counters"] = {day: dict(moved) for day, moved in effects.counters.items()}
    if effects.publish:
        document["publish"] = [{"type": p.type, "detail": dict(p.detail)} for p in effects.publish]
    if effects.assign:
        document["assign"] = True
    if effects.remember_customer:
        document["customer"] = True
    if effects.purge_files:
        document["purge_files"] = True
    if effects.counterpart:
        document["counterpart"] = dict(effects.counterpart)
    if effects.block_sender is not None:
        document["block_sender"] = effects.block_sender
    return document


def effects_of(document: Mapping[str, Any] | None) -> Effects:
    """The effects a stored document describes (none for an entry without one).
    A schedule's time comes back to the second, as Scheduler takes it."""
    if not document:
        return Effects()
    arm = document.get("arm")
    return Effects(
        mail=tuple(Mail(kind, to) for kind, to in document.get("mail", ())),
        arm=Schedule(arm["name"], parse_iso(arm["at"]), arm["payload"]) if arm else None,
        disarm=document.get("disarm"),
        counters={
            day: {counter: int(delta) for counter, delta in moved.items()}
            for day, moved in document.get("counters", {}).items()
        },
        publish=tuple(Published(p["type"], p["detail"]) for p in document.get("publish", ())),
        assign=bool(document.get("assign")),
        remember_customer=bool(document.get("customer")),
        purge_files=bool(document.get("purge_files")),
        counterpart=document.get("counterpart"),
        block_sender=document.get("block_sender"),
    )
