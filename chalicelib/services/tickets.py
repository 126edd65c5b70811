"""Operator work on tickets: read, list, change, reply, note. Every change is
one conditional write of the ticket with the entries that record it (who,
what, when), then its emails and its SLA schedule."""
from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Callable

from ..adapters.store import StaleTicket, TicketStore
from ..adapters.tables import Entry, Ticket
from ..auth import Principal
from ..clock import Clock, iso
from ..config import Settings
from ..domain import cursor as cursors
from ..domain import sla
from ..domain.assignment import workload_changes
from ..domain.emails import ReplyFacts, low_rating_notice, operator_reply, resolution_notice
from ..domain.feedback import is_low
from ..domain.macros import first_name, render
from ..domain.errors import FieldError, InvalidInput
from ..domain.validation import check, one_of
from .entries import event_entry, outgoing_entry, sort_key
from ..domain.metrics import difference
from .metrics import facts_of
from .outbox import Outbox
from .sla import SlaService, clocks_of, next_event_of, plan, sla_priority

MAX_LIMIT = 100
FILTERS = ("status", "assignee", "priority", "category")  # the first one given picks the index
_ATTEMPTS = 8  # writers without If-Match retry on a stale version; jittered so they spread out


class NotFound(Exception):
    pass


class PreconditionFailed(Exception):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"the ticket is at version {current_version}")
        self.current_version = current_version


Change = Callable[[Ticket, list[Entry], datetime], list[Entry]]


class TicketService:
    def __init__(self, settings: Settings, clock: Clock, store: TicketStore, outbox: Outbox,
                 sla_service: SlaService, signing_key: Callable[[], bytes]) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._outbox = outbox
        self._sla = sla_service
        self._signing_key = signing_key
        # Told of every saved change (status before), e.g. to schedule the follow-up.
        self.after_change: Callable[[Ticket, str], None] = lambda ticket, before_status: None

    # Reading

    def get(self, ticket_id: str) -> dict:
        ticket = self._store.get_ticket(ticket_id)
        if ticket is None:
            raise NotFound(ticket_id)
        return ticket_view(ticket, self._store.thread(ticket_id), self._settings.sla)

    def list(self, filters: dict[str, str], limit: int, cursor: str | None) -> dict:
        unknown = [FieldError(name, one_of(values)) for name, values in (
            ("status", ("new", "open", "pending", "resolved", "closed")),
            ("priority", ("low", "normal", "high", "urgent"))) if filters.get(name) not in (None, *values)]
        if unknown:
            raise InvalidInput(unknown)
        scope = "&".join(f"{k}={filters[k]}" for k in FILTERS if filters.get(k))
        start = cursors.decode(cursor, scope, self._signing_key()) if cursor else None
        items, position = self._store.list_tickets(filters, limit, start)
        return {"items": [summary(t) for t in items],
                "next_cursor": cursors.encode(position, scope, self._signing_key()) if position else None}

    # Changing

    def patch(self, ticket_id: str, body: object, if_match: int | None, actor: Principal) -> dict:
        check("ticket-patch", body)
        if body.get("category") is not None and body["category"] not in self._settings.categories:
            raise InvalidInput([FieldError("category", one_of(self._settings.categories))])

        def change(ticket: Ticket, thread: list[Entry], now: datetime) -> list[Entry]:
            changes, clocks = {}, clocks_of(ticket)
            if "priority" in body and body["priority"] != ticket.priority:
                changes["priority"] = [ticket.priority, body["priority"]]
                ticket.priority, ticket.sla_priority = body["priority"], None
                clocks = sla.on_priority(clocks, self._settings.sla, ticket.priority)
            outgoing = []
            if "status" in body and body["status"] != ticket.status:
                changes["status"] = [ticket.status, body["status"]]
                clocks, outgoing = self._set_status(ticket, thread, clocks, body["status"], now, actor, reply=None)
            for field in ("assignee", "category"):
                if field in body and body[field] != getattr(ticket, field):
                    changes[field] = [getattr(ticket, field), body[field]]
                    setattr(ticket, field, body[field])
            if "tags" in body and set(body["tags"]) != (ticket.tags or set()):
                changes["tags"] = [sorted(ticket.tags or ()), sorted(body["tags"])]
                ticket.tags = set(body["tags"]) or None
            if not changes:
                return []
            plan(ticket, clocks)
            return [event_entry(ticket.id, now, "updated", actor.email, changes=changes), *outgoing]

        return self._change(ticket_id, if_match, change)

    def reply(self, ticket_id: str, body: object, actor: Principal) -> dict:
        """An operator's answer, emailed. `macro` starts from a shared answer,
        placeholders are filled per ticket, `offer` adds a goodwill gesture."""
        check("reply", body)
        macro = None
        if body.get("macro"):
            macro = self._store.get_macro(body["macro"])
            if macro is None:
                raise InvalidInput([FieldError("macro", "no such macro")])
        if not (body.get("body") or "").strip() and macro is None:
            raise InvalidInput([FieldError("body", "is required (or name a macro)")])

        def change(ticket: Ticket, thread: list[Entry], now: datetime) -> list[Entry]:
            values = {"first_name": first_name(ticket.customer_name), "name": ticket.customer_name,
                      "reference": ticket.reference, "order_id": ticket.order_id, "brand": self._settings.brand,
                      "operator_name": actor.name or actor.email.partition("@")[0].title()}
            text = (body.get("body") or "").strip() or macro.body
            text = render(text, values, "body" if (body.get("body") or "").strip() else "macro")
            clocks = sla.on_operator_reply(clocks_of(ticket), now, self._settings.sla, sla_priority(ticket))
            ticket.first_responded_at = ticket.first_responded_at or now
            entries = [outgoing_entry(ticket.id, now, operator_reply(self._reply_facts(
                ticket, thread, text, actor, resolved=bool(body.get("resolve")), offer=body.get("offer"))),
                sender=self._settings.sender, author=actor.email)]
            if macro is not None:
                entries[0].data = {"macro": macro.name}
            if body.get("offer"):
                entries.append(event_entry(ticket.id, now, "offer", actor.email, **body["offer"]))
            target = "resolved" if body.get("resolve") else ("open" if ticket.status == "new" else ticket.status)
            if target != ticket.status:
                entries.append(event_entry(ticket.id, now, "updated", actor.email,
                                           changes={"status": [ticket.status, target]}))
                clocks, _ = self._set_status(ticket, thread, clocks, target, now, actor, reply=entries[0])
            plan(ticket, clocks)
            return entries

        return self._change(ticket_id, None, change)

    def note(self, ticket_id: str, body: object, actor: Principal) -> dict:
        check("note", body)

        def change(ticket: Ticket, thread: list[Entry], now: datetime) -> list[Entry]:
            return [Entry(ticket.id, sort_key(now), kind="note", created_at=now, author=actor.email,
                          body=body["body"])]

        return self._change(ticket_id, None, change)

    def log_call(self, ticket_id: str, body: object, actor: Principal) -> dict:
        """A phone call with the customer (a requested callback, say): when
        they were reached, it is the first response."""
        check("call", body)

        def change(ticket: Ticket, thread: list[Entry], now: datetime) -> list[Entry]:
            entries = [Entry(ticket.id, sort_key(now), kind="call", created_at=now, author=actor.email,
                             body=body.get("summary") or "", data={"outcome": body["outcome"]})]
            if body["outcome"] != "reached":
                return entries
            if ticket.callback:
                ticket.callback = dict(ticket.callback.as_dict()) | {"status": "done", "done_at": iso(now)}
            clocks = sla.on_operator_reply(clocks_of(ticket), now, self._settings.sla, sla_priority(ticket))
            ticket.first_responded_at = ticket.first_responded_at or now
            if ticket.status == "new":
                entries.append(event_entry(ticket.id, now, "updated", actor.email,
                                           changes={"status": ["new", "open"]}))
                clocks, _ = self._set_status(ticket, thread, clocks, "open", now, actor, reply=entries[0])
            plan(ticket, clocks)
            return entries

        return self._change(ticket_id, None, change)

    def record_feedback(self, ticket_id: str, rating: dict) -> dict:
        """The customer's rating (again, if they change their mind); an
        unhappy one with a comment goes to a person."""
        def change(ticket: Ticket, thread: list[Entry], now: datetime) -> list[Entry]:
            if {k: v for k, v in (ticket.feedback or {}).items() if k != "at"} == rating:
                return []  # the same rating sent again: nothing new, nobody notified twice
            ticket.feedback = rating | {"at": iso(now)}
            # Scores only: the comment stays on the ticket, where erasure removes it.
            entries = [event_entry(ticket.id, now, "feedback", "customer",
                                   **{k: v for k, v in rating.items() if k != "comment"})]
            if is_low(rating):
                recipient = ticket.assignee or self._settings.team_lead_address
                entries.append(outgoing_entry(ticket.id, now, low_rating_notice(
                    ticket.reference, ticket.customer_name, rating, recipient,
                    f"{self._settings.public_url}/admin/#/tickets/{ticket.id}"),
                    sender=self._settings.sender, author="system", kind="notice"))
            return entries

        return self._change(ticket_id, None, change)

    def customer_message(self, ticket_id: str, body: str, *, message_id: str | None = None,
                         subject: str | None = None) -> dict:
        """The customer wrote again (an emailed reply): added to the thread;
        paused clocks run again, a resolved ticket reopens, an answered
        customer is owed a next response."""
        def change(ticket: Ticket, thread: list[Entry], now: datetime) -> list[Entry]:
            entries = [Entry(ticket.id, sort_key(now), kind="message", direction="in", created_at=now,
                             author=ticket.customer_email, body=body,
                             data={"subject": subject, "message_id": message_id, "channel": "email"})]
            clocks = sla.on_customer_message(clocks_of(ticket), now, self._settings.sla, sla_priority(ticket))
            if ticket.status in ("pending", "resolved"):
                entries.append(event_entry(ticket.id, now, "updated", ticket.customer_email,
                                           changes={"status": [ticket.status, "open"]}))
                clocks, _ = self._set_status(ticket, thread, clocks, "open", now, None, reply=None)
            plan(ticket, clocks)
            return entries

        return self._change(ticket_id, None, change)

    def _set_status(self, ticket: Ticket, thread: list[Entry], clocks, status: str, now: datetime,
                    actor: Principal | None, reply: Entry | None) -> tuple[sla.Clocks, list[Entry]]:
        """Move the status and its clocks; resolving without a reply that says
        so sends the customer a resolution notice."""
        old, ticket.status = ticket.status, status
        clocks = sla.on_status(clocks, old, status, now, self._settings.sla, sla_priority(ticket))
        outgoing = []
        if status == "resolved":
            ticket.resolved_at = now
            if reply is None:
                outgoing.append(outgoing_entry(ticket.id, now, resolution_notice(self._reply_facts(
                    ticket, thread, "", actor, resolved=True)), sender=self._settings.sender, author="system"))
        elif old in ("resolved", "closed") and status != "closed":  # closing keeps when it was resolved
            ticket.resolved_at = None
        return clocks, outgoing

    def _reply_facts(self, ticket: Ticket, thread: list[Entry], body: str, actor: Principal | None,
                     resolved: bool, offer: dict | None = None) -> ReplyFacts:
        thread_ids = tuple(i for i in (message_id_of(e) for e in thread) if i)
        return ReplyFacts(brand=self._settings.brand, reference=ticket.reference, name=ticket.customer_name,
                          email=ticket.customer_email, subject=ticket.subject, body=body,
                          operator=(actor.name or actor.email) if actor else "Your support team",
                          resolved=resolved, thread_ids=thread_ids, offer=offer)

    def _change(self, ticket_id: str, if_match: int | None, change: Change) -> dict:
        for _ in range(_ATTEMPTS):
            ticket = self._store.get_ticket(ticket_id)
            if ticket is None:
                raise NotFound(ticket_id)
            if if_match is not None and ticket.version != if_match:
                raise PreconditionFailed(ticket.version)
            previous_schedule = ticket.sla_schedule
            before = (ticket.assignee, ticket.status)
            now = self._clock.now()
            thread = self._store.thread(ticket_id)
            facts_before = facts_of(ticket, thread)
            entries = change(ticket, thread, now)
            if not entries:
                return ticket_view(ticket, thread, self._settings.sla)
            ticket.updated_at = now
            try:
                self._store.save_change(ticket, entries, workload_changes(before, (ticket.assignee, ticket.status)),
                                        difference(facts_before, facts_of(ticket, thread + entries)))
            except StaleTicket:
                if if_match is not None:
                    raise PreconditionFailed(self._store.get_ticket(ticket_id).version) from None
                time.sleep(random.uniform(0, 0.02))
                continue  # no If-Match: apply the change to the fresh ticket
            for entry in entries:
                if entry.outbox:
                    self._outbox.send(entry)
            self._sla.arm(ticket, previous_schedule)
            self.after_change(ticket, before[1])
            return ticket_view(ticket, sorted(thread + entries, key=lambda e: e.sk), self._settings.sla)
        raise PreconditionFailed(self._store.get_ticket(ticket_id).version)


def message_id_of(entry: Entry) -> str | None:
    """The email Message-ID of a customer conversation entry, either way."""
    if entry.kind != "message":
        return None
    return (entry.email or {}).get("message_id") or (entry.data or {}).get("message_id")


def summary(ticket: Ticket) -> dict:
    return {
        "id": ticket.id, "reference": ticket.reference, "status": ticket.status, "priority": ticket.priority,
        "channel": ticket.channel, "category": ticket.category, "subject": ticket.subject,
        "assignee": ticket.assignee, "tags": sorted(ticket.tags or ()), "version": ticket.version,
        "customer": {"name": ticket.customer_name, "email": ticket.customer_email},
        "created_at": iso(ticket.created_at), "updated_at": iso(ticket.updated_at),
        "first_response_due": _iso(ticket.first_response_due), "resolution_due": _iso(ticket.resolution_due),
        "next_sla_event_at": _iso(ticket.next_sla_at),
    }


def ticket_view(ticket: Ticket, thread: list[Entry], policy: sla.Policy) -> dict:
    view = summary(ticket) | {
        "customer": {"name": ticket.customer_name, "email": ticket.customer_email, "phone": ticket.phone,
                     "locale": ticket.locale, "timezone": ticket.timezone},
        "order_id": ticket.order_id,
        "callback": dict(ticket.callback.as_dict()) if ticket.callback else None,
        "first_responded_at": _iso(ticket.first_responded_at), "resolved_at": _iso(ticket.resolved_at),
        "messages": [], "notes": [], "events": [], "notices": [], "calls": [],
        "sla": sla_view(ticket, policy), "feedback": ticket.feedback,
    }
    for entry in thread:
        item = {"id": entry.sk, "created_at": iso(entry.created_at), "author": entry.author}
        if entry.kind == "note":
            view["notes"].append(item | {"body": entry.body})
        elif entry.kind == "call":
            view["calls"].append(item | {"summary": entry.body, "outcome": (entry.data or {}).get("outcome")})
        elif entry.kind == "event":
            view["events"].append(item | {"event": entry.event, "data": entry.data or {}})
        else:
            delivered = {"status": "pending" if entry.outbox else "sent", "sent_at": _iso(entry.sent_at),
                         "attempts": entry.attempts or 0, "last_error": entry.last_error} if entry.direction == "out" else None
            email = entry.email or {}
            record = item | {"direction": entry.direction, "body": entry.body, "delivery": delivered,
                             "subject": email.get("subject") or (entry.data or {}).get("subject"),
                             "to": email.get("to_address")}
            view["notices" if entry.kind == "notice" else "messages"].append(record)
    return view


def sla_view(ticket: Ticket, policy: sla.Policy) -> dict:
    priority = sla_priority(ticket)
    metrics = {}
    for metric, clock in clocks_of(ticket).items():
        target = policy.target(priority, metric)
        metrics[metric] = {
            "state": clock.state, "target_minutes": target.minutes,
            "clock": "business" if target.business else "calendar",
            "started_at": iso(clock.started_at), "due_at": _iso(clock.due_at), "warned_at": _iso(clock.warned_at),
            "breached_at": _iso(clock.breached_at), "ended_at": _iso(clock.ended_at),
            "elapsed_minutes": clock.elapsed, "used_minutes_before_pause": round(clock.consumed, 2)}
    event = next_event_of(ticket)
    return {"priority_basis": priority, "paused": ticket.status == "pending", "metrics": metrics,
            "next_event": {"metric": event.metric, "kind": event.kind, "at": iso(event.at)} if event else None}


def _iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None
