"""Customers: contact data kept for next time, why mail to an address
stopped (a bounce or a complaint), and whether an operator marked the
address as a spammer, in the `customers` table."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from ...domain.ticket import Ticket
from ..tables import Customer
from .items import refused


def mail_stopped(customer: Customer | None) -> str | None:
    """Why no more mail goes to the customer's address: "bounce" (it bounced
    for good) or "complaint" (they marked our mail as spam); None if it takes mail."""
    if customer is None or customer.bounced_at is None:
        return None
    return customer.bounce_reason or "bounce"


class CustomerStore:
    def customer(self, email: str) -> Customer | None:
        try:
            return Customer.get(email, consistent_read=True)
        except DoesNotExist:
            return None

    def remember_customer(self, ticket: Ticket) -> str | None:
        """Contact data for next time: the newest values win (a ticket older
        than the last one seen, its effects redone late, changes nothing); the
        same values again change nothing (a redelivered record). Why the
        address takes no more mail, if it does not (`mail_stopped`)."""
        actions: list[Action] = [
            Customer.name.set(ticket.customer_name),
            Customer.last_seen.set(ticket.created_at),
            Customer.first_seen.set(Customer.first_seen | ticket.created_at),
        ]
        for attribute, value in (
            (Customer.phone, ticket.details["phone"]),
            (Customer.locale, ticket.details["locale"]),
            (Customer.timezone, ticket.details["timezone"]),
        ):
            if value:
                actions.append(attribute.set(value))
        customer = Customer(ticket.customer_email)
        try:  # pynamodb reads the item's new values back into it
            customer.update(
                actions=actions,
                condition=Customer.last_seen.does_not_exist() | (Customer.last_seen <= ticket.created_at),
            )
        except UpdateError as error:
            if not refused(error):
                raise
            return mail_stopped(self.customer(ticket.customer_email))  # a newer ticket's data stays
        return mail_stopped(customer)

    def mark_bounced(self, email: str, now: datetime, reason: str = "bounce") -> None:
        """Mail to the address stops: it bounced for good, or its owner
        complained. A customer never seen before gets a record saying so."""
        Customer(email.lower()).update(
            actions=[
                Customer.bounced_at.set(now),
                Customer.bounce_reason.set(reason),
                Customer.name.set(Customer.name | email.lower()),
                Customer.first_seen.set(Customer.first_seen | now),
                Customer.last_seen.set(Customer.last_seen | now),
            ]
        )

    def set_note(self, email: str, note: str | None, by: str, at: datetime, newest: Ticket | None) -> Customer:
        """The operators' note on the customer (None removes it). A customer
        known only from a ticket so far gets a record from it (`newest`),
        which their contact data, saved from that ticket, then agrees with."""
        actions: list[Action] = [
            Customer.note.set(note) if note else Customer.note.remove(),
            Customer.note_by.set(by),
            Customer.note_at.set(at),
        ]
        if newest is not None:
            actions += [
                Customer.name.set(Customer.name | newest.customer_name),
                Customer.first_seen.set(Customer.first_seen | newest.created_at),
                Customer.last_seen.set(Customer.last_seen | newest.created_at),
            ]
        customer = Customer(email)
        customer.update(actions=actions)
        return customer

    def blocked(self, email: str) -> bool:
        """An operator marked a ticket of this address as spam (and has not released it)."""
        customer = self.customer(email.lower())
        return customer is not None and customer.spam_since is not None

    def block(self, email: str, now: datetime) -> None:
        """The address's later mail and forms are quarantined as spam. A
        sender never seen before (spam is not remembered) gets a record saying so."""
        Customer(email.lower()).update(
            actions=[
                Customer.spam_since.set(Customer.spam_since | now),
                Customer.name.set(Customer.name | email.lower()),
                Customer.first_seen.set(Customer.first_seen | now),
                Customer.last_seen.set(Customer.last_seen | now),
            ]
        )

    def unblock(self, email: str) -> None:
        try:
            Customer(email.lower()).update(actions=[Customer.spam_since.remove()], condition=Customer.email.exists())
        except UpdateError as error:
            if not refused(error):  # no record: nothing to unblock
                raise

    def forget_customer(self, email: str) -> None:
        Customer(email).delete()
