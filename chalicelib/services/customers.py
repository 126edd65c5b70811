"""Customer records: contact data and history for operators; export and
erasure on request (admins), audited on every ticket they touch and in the
audit trail (under the customer's pseudonym, never their address)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..adapters.store.customers import CustomerStore
from ..adapters.store.tickets import Collection, TicketStore
from ..adapters.tables import Customer
from ..clock import Clock, iso
from ..config import Settings
from ..domain import ticket as tickets
from ..domain.errors import FieldError, InvalidInput, NotFound
from ..domain.identifiers import new_ticket_id
from ..domain.text import mailbox
from ..domain.ticket import Actor, Change, Ticket, erased_alias
from ..domain.validation import check
from ..views.emails import agent_display_name
from ..views.tickets import summary, ticket_view
from .audit import AuditTrail
from .writer import TicketWriter

HISTORY_LIMIT = 50


class CustomerService:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: TicketStore,
        customers: CustomerStore,
        writer: TicketWriter,
        audit: AuditTrail,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._customers = customers
        self._writer = writer
        self._audit = audit

    def get(self, email: str) -> dict[str, Any]:
        email = email.lower()
        customer = self._customers.customer(email)
        ids = self._store.ticket_ids_of(email, HISTORY_LIMIT)
        found = self._store.tickets(ids)
        history = [found[i] for i in ids if i in found]
        # The customer record, else (before the stream has written it) their newest ticket;
        # an id the index still lists for a ticket that is gone is no customer.
        if customer is not None:
            contact: dict[str, str | None] = {
                "name": customer.name,
                "phone": customer.phone,
                "locale": customer.locale,
                "timezone": customer.timezone,
                "first_seen": iso(customer.first_seen),
                "last_seen": iso(customer.last_seen),
            }
        elif history:
            newest = history[0]
            contact = {
                "name": newest.customer_name,
                "phone": newest.details["phone"],
                "locale": newest.details["locale"],
                "timezone": newest.details["timezone"],
                "first_seen": iso(history[-1].created_at),
                "last_seen": iso(newest.created_at),
            }
        else:
            raise NotFound(f"no customer {email}", field="email")
        return (
            {"email": email}
            | contact
            | {
                "bounced_at": iso(customer.bounced_at) if customer and customer.bounced_at else None,
                "bounce_reason": customer.bounce_reason if customer and customer.bounced_at else None,
                "note": _note(customer),
                # An operator marked a ticket of theirs as spam: their mail and forms are quarantined.
                "spam_since": iso(customer.spam_since) if customer and customer.spam_since else None,
                "ticket_count": self._store.count_tickets_of(email),
                "tickets": [summary(t, self._clock.now()) for t in history],
            }
        )

    def set_note(self, email: str, body: object, actor: Actor) -> dict[str, Any]:
        """The operators' note on a customer (`{"note": ""}` removes it),
        shown on all their tickets; the customer as `get` shows them."""
        check("customer-patch", body)
        assert isinstance(body, dict)
        email = email.lower()
        ids = self._store.ticket_ids_of(email, 1)
        newest = self._store.tickets(ids).get(ids[0]) if ids else None
        if newest is None and self._customers.customer(email) is None:
            raise NotFound(f"no customer {email}", field="email")
        note = body["note"].strip() or None
        self._customers.set_note(email, note, actor.label, self._clock.now(), newest)
        return self.get(email)

    def write_to(self, body: object, actor: Actor) -> str:
        """An operator starts a conversation with a customer by their address:
        a new ticket whose first message is the operator's, emailed to them
        (and the followers); its id."""
        check("outbound", body)
        assert isinstance(body, dict)
        email = body["email"].lower()
        cc = tuple(body.get("cc") or ())
        errors = tickets.follower_problems(cc, customer=email, own=self._settings.own_addresses)
        if mailbox(email) in {mailbox(a) for a in self._settings.own_addresses}:
            errors.append(FieldError("email", "is one of our own addresses"))
        if errors:
            raise InvalidInput(errors)
        known = self._customers.customer(email)
        name = body.get("name") or (known.name if known is not None and known.name else agent_display_name(None, email))
        rules, now = self._settings.ticket_rules, self._clock.now()
        ticket_id = new_ticket_id(now)
        change = self._writer.open_new(
            lambda reference: tickets.open_outbound(
                ticket_id=ticket_id,
                reference=reference,
                now=now,
                rules=rules,
                actor=actor,
                email=email,
                name=name,
                subject=body["subject"],
                text=body["body"],
                status=body.get("status") or "pending",
                cc=cc,
            )
        )
        return change.after.id

    def export(self, email: str, actor: Actor) -> dict[str, Any]:
        """Everything stored about the customer, as JSON (a data-access
        request); recorded in the audit trail before any of it leaves."""
        contact = self.get(email)
        views = []
        for ticket_id in self._store.ticket_ids_of(contact["email"]):
            collection = self._store.collection(ticket_id)
            if collection is not None:
                views.append(ticket_view(collection, self._settings, self._clock.now()))
        self._audit.record(actor, "customer.exported", erased_alias(contact["email"]), {"tickets": len(views)})
        return contact | {"tickets": views}

    def erase(self, email: str, actor: Actor) -> dict[str, Any]:
        """Anonymise every ticket and scrub the customer's words; the fact of
        the erasure stays on each ticket (who, when). Safe to run again if it
        stopped half-way: each ticket is one change."""
        email = email.lower()
        ids = self._store.ticket_ids_of(email)
        if self._customers.customer(email) is None and not ids:
            raise NotFound(f"no customer {email}", field="email")
        alias = erased_alias(email)
        rules = self._settings.ticket_rules

        def decide(ticket: Ticket, collection: Collection | None, now: datetime) -> Change:
            assert collection is not None  # read with its thread
            words = tuple(
                e.sk
                for e in collection.entries
                if (e.entry.kind in ("message", "call") or e.entry.event == "feedback")
                and e.entry.body not in (None, tickets.ERASED)
            )
            return tickets.erase(ticket, actor=actor, alias=alias, now=now, rules=rules, customer_entries=words)

        for ticket_id in ids:
            self._writer.apply(ticket_id, decide, with_thread=True)
        self._customers.forget_customer(email)
        self._audit.record(actor, "customer.erased", alias, {"tickets": len(ids)})
        return {"erased_tickets": len(ids), "alias": alias}


def _note(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None or not customer.note:
        return None
    return {"text": customer.note, "by": customer.note_by, "at": iso(customer.note_at) if customer.note_at else None}
