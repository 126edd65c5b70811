"""Customer records: contact data and history for operators; export and
erasure on request (admins), audited on every ticket they touch."""
from __future__ import annotations

import hashlib

from ..adapters.store import TicketStore
from ..adapters.tables import Ticket
from ..auth import Principal
from ..clock import Clock, iso
from ..config import Settings
from .entries import event_entry
from .tickets import NotFound, summary, ticket_view

ERASED = "[erased]"
HISTORY_LIMIT = 50


class CustomerService:
    def __init__(self, settings: Settings, clock: Clock, store: TicketStore) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store

    def get(self, email: str) -> dict:
        customer = self._store.get_customer(email.lower())
        if customer is None:
            raise NotFound(email)
        return {"email": customer.email, "name": customer.name, "phone": customer.phone,
                "locale": customer.locale, "timezone": customer.timezone,
                "first_seen": iso(customer.first_seen), "last_seen": iso(customer.last_seen),
                "ticket_count": int(customer.ticket_count or 0),
                "tickets": [summary(t) for t in self._store.tickets_of(customer.email, HISTORY_LIMIT)]}

    def export(self, email: str) -> dict:
        """Everything stored about the customer, as JSON (a data-access request)."""
        contact = self.get(email)
        tickets = self._store.tickets_of(contact["email"])
        return contact | {"tickets": [ticket_view(t, self._store.thread(t.id), self._settings.sla)
                                      for t in tickets]}

    def erase(self, email: str, actor: Principal) -> dict:
        """Anonymise every ticket and scrub the customer's words and address;
        the fact of the erasure stays on each ticket (who, when). Safe to
        run again if it stopped half-way."""
        email = email.lower()
        tickets = self._store.tickets_of(email)
        if self._store.get_customer(email) is None and not tickets:
            raise NotFound(email)
        alias = f"erased-{hashlib.sha256(email.encode()).hexdigest()[:12]}@erased.invalid"
        now = self._clock.now()
        for ticket in tickets:
            thread = self._store.thread(ticket.id)
            for entry in thread:
                # Notices to operators quote the customer too (name, address, a rating's comment).
                if entry.kind in ("message", "call", "notice") and entry.body != ERASED:
                    self._store.scrub_entry(entry, ERASED)
            _anonymise(ticket, alias)
            ticket.updated_at = now
            self._store.save_change(ticket, [event_entry(ticket.id, now, "erased", actor.email,
                                                         reason="customer's request")])
        self._store.delete_customer(email)
        return {"erased_tickets": len(tickets), "alias": alias}


def _anonymise(ticket: Ticket, alias: str) -> None:
    ticket.customer_name, ticket.customer_email = "Erased customer", alias
    ticket.subject = ERASED if ticket.subject else None
    # The SLA clocks carry no personal data and stay, for the metrics.
    ticket.phone = ticket.order_id = ticket.locale = ticket.timezone = ticket.callback = None
    if ticket.feedback and "comment" in ticket.feedback:  # the scores stay, for the metrics; the words go
        ticket.feedback = {k: v for k, v in ticket.feedback.items() if k != "comment"}
