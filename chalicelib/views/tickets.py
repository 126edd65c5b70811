"""The operator's views of tickets: a summary per inbox row, the whole
ticket (thread, notes, calls, offers, events in words, each email's delivery)
and its SLA clocks, as the admin page and the API's JSON show them. Seen from
the server's clock; pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..adapters.store.deliveries import DeliveryRecord
from ..adapters.store.tickets import Collection
from ..clock import iso
from ..config import Settings
from ..domain import listing
from ..domain import ticket as tickets
from ..domain.inquiry import DETAILS
from ..domain.ticket import Ticket
from . import story
from .i18n import resolve

STALE_SENDING = timedelta(minutes=10)  # a send this old without an outcome never finished


def summary(ticket: Ticket, now: datetime) -> dict[str, Any]:
    due = tickets.due_times(ticket)
    return {
        "id": ticket.id,
        "reference": ticket.reference,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "category": ticket.category,
        "subject": ticket.subject,
        "preview": ticket.preview,
        "assignee": ticket.assignee,
        "tags": sorted(ticket.tags),
        "version": ticket.version,
        "customer": {"name": ticket.customer_name, "email": ticket.customer_email},
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "first_response_due": _iso(due.get("first_response")),
        "resolution_due": _iso(due.get("resolution")),
        "sla_badge": sla_badge(ticket, now),
        "linked_to": ticket.linked_to,
        "callback": dict(ticket.callback) if ticket.callback else None,
        "cc": list(ticket.cc),
        "merged_into": ticket.merged_into,
    }


def sla_badge(ticket: Ticket, now: datetime) -> dict[str, Any] | None:
    """The most urgent running target, seen from the server's clock: breached
    (red), due soon (within the warning share: amber) or on track."""
    urgent = listing.most_urgent(ticket)
    if urgent is None:
        return None
    metric, clock = urgent
    minutes = int((clock.due_at - now).total_seconds() // 60)
    state = (
        "breached"
        if clock.breached_at or now >= clock.due_at
        else ("warning" if clock.warn_at is not None and now >= clock.warn_at else "ok")
    )
    return {
        "metric": metric,
        "state": state,
        "due_at": iso(clock.due_at),
        "warn_at": _iso(clock.warn_at),
        "remaining_minutes": max(minutes, 0),
        "overdue_minutes": max(-minutes, 0),
    }


def ticket_view(
    collection: Collection, settings: Settings, now: datetime, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The whole ticket; `names` are the operators' display names (else
    made from their addresses) for the events told in words."""
    ticket = collection.ticket
    shown, english = [f for f in DETAILS if f.operators], resolve(None)  # the admin page speaks English
    view = summary(ticket, now) | {
        "customer": {"name": ticket.customer_name, "email": ticket.customer_email}
        | {f.name: ticket.details[f.name] for f in shown if f.contact},
        **{f.name: ticket.details[f.name] for f in shown if not f.contact},
        # The same, labelled, for a page to list (contact data is the customer's).
        "details": [
            {"field": f.name, "label": english.t(f.label), "value": value}
            for f, value in ticket.details.given(lambda f: f.operators and not f.contact)
        ],
        "first_responded_at": _iso(ticket.first_responded_at),
        "resolved_at": _iso(ticket.resolved_at),
        "messages": [],
        "notes": [],
        "events": [],
        "notices": [],
        "calls": [],
        "offers": [],
        "sla": sla_view(ticket, settings, now),
        "feedback": dict(ticket.feedback) if ticket.feedback else None,
        "merged_from": [{"id": m.ticket.id, "reference": m.ticket.reference} for m in collection.family()][1:],
        "server_time": iso(now),
    }
    deliveries: dict[tuple[str, str], list[DeliveryRecord]] = {}
    for holder in collection.family():
        for delivery in holder.deliveries:
            deliveries.setdefault((holder.ticket.id, delivery.entry_sk), []).append(delivery)
    for holder, stored in sorted(collection.everything(), key=lambda found: found[1].sk):
        entry, data = stored.entry, dict(stored.entry.data)
        item = {"id": stored.sk, "created_at": iso(stored.created_at), "author": entry.author}
        if holder is not collection:  # a merged ticket's: said where it came from
            item |= {"ticket_id": holder.ticket.id, "reference": holder.ticket.reference}
        sent_for = deliveries.get((holder.ticket.id, stored.sk), [])
        if entry.kind == "note":
            view["notes"].append(item | {"body": entry.body})
        elif entry.kind == "call":
            view["calls"].append(item | {"summary": entry.body, "outcome": data.get("outcome")})
        elif entry.kind == "message":
            mails = [d for d in sent_for if d.to == "customer"]
            view["messages"].append(
                item
                | {
                    "direction": entry.direction,
                    "body": entry.body,
                    "subject": data.get("subject"),
                    "channel": data.get("channel"),
                    "from": data.get("from"),  # a follower who wrote, not the customer
                    "attachments": [_file(a) for a in data.get("attachments") or ()],
                    "delivery": _delivery(mails[0], now) if mails and entry.direction == "out" else None,
                }
            )
        # A merged ticket's own history stays on it; here its words count, and the merge says when they came.
        if holder is collection and (entry.kind == "event" or data.get("changes") or entry.event == "created"):
            view["events"].append(
                item
                | {
                    "event": entry.event,
                    "text": story.describe(entry.event, entry.author, data, names or {}),
                    "data": {
                        k: v
                        for k, v in data.items()
                        if k
                        in (
                            "changes",
                            "metric",
                            "due",
                            "notified",
                            "reason",
                            "spam",
                            "outcome",
                            "csat",
                            "nps",
                            "macro",
                            "ticket_id",
                            "reference",
                            "split_from",
                        )
                    },
                }
            )
        if data.get("offer"):
            view["offers"].append(item | dict(data["offer"]))
        for delivery in sent_for:
            sent = {
                "id": delivery.sk,
                "created_at": iso(delivery.created_at),
                "kind": delivery.mail,
                "delivery": _delivery(delivery, now),
            } | {k: item[k] for k in ("ticket_id", "reference") if k in item}
            if delivery.to != "customer":
                view["notices"].append(sent | {"to": delivery.to})
            elif entry.direction != "out":  # Careline's own email to the customer: acknowledgement, follow-up...
                view["messages"].append(
                    sent | {"direction": "out", "author": "system", "body": None, "subject": None, "attachments": []}
                )
    return view


def _file(listed: Mapping[str, Any]) -> dict[str, Any]:
    """A file on a message: name, type, size, SHA-256 (GET /tickets/{id}/attachments/{sha256}), why refused."""
    return {k: v for k, v in listed.items() if k in ("name", "type", "size", "sha256", "refused")}


def _delivery(delivery: DeliveryRecord, now: datetime) -> dict[str, Any]:
    return {
        "status": delivery_state(delivery, now),
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "next_attempt_at": _iso(delivery.retry_at),
    }


def sla_view(ticket: Ticket, settings: Settings, now: datetime) -> dict[str, Any]:
    priority = ticket.clock_priority
    metrics = {}
    for metric, clock in ticket.clocks.items():
        target = settings.sla.target(priority, metric)
        metrics[metric] = {
            "state": clock.state,
            "target_minutes": target.minutes,
            "clock": "business" if target.business else "calendar",
            "started_at": iso(clock.started_at),
            "due_at": _iso(clock.due_at),
            "warn_at": _iso(clock.warn_at),
            "warned_at": _iso(clock.warned_at),
            "breached_at": _iso(clock.breached_at),
            "ended_at": _iso(clock.ended_at),
            "elapsed_minutes": clock.elapsed,
            "used_minutes_before_pause": round(clock.consumed, 2),
            "remaining_minutes": max(int((clock.due_at - now).total_seconds() // 60), 0) if clock.due_at else None,
            "overdue_minutes": max(int((now - clock.due_at).total_seconds() // 60), 0) if clock.due_at else None,
        }
    wake = tickets.wake_of(ticket, settings.ticket_rules)
    event = {"metric": wake.metric, "kind": wake.sla_kind, "at": iso(wake.at)} if wake and wake.kind == "sla" else None
    return {
        "priority_basis": priority,
        "paused": ticket.status == "pending",
        "metrics": metrics,
        "next_event": event,
        "badge": sla_badge(ticket, now),
    }


def _iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


def delivery_state(delivery: DeliveryRecord, now: datetime) -> str:
    """What the ticket view says of an email: a send that never finished is unconfirmed."""
    if delivery.state == "sending" and now - delivery.created_at > STALE_SENDING:
        return "unconfirmed"
    return delivery.state
