"""The ticket store: every DynamoDB read and write the services make."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from .tables import Claim, Customer, Directory, Entry, Tally, Ticket, transaction_connection

METRICS_SCOPE = "metrics"

PENDING = "pending"


class ReferenceTaken(Exception):
    pass


class IdempotencyKeyUsed(Exception):
    pass


class RateLimited(Exception):
    def __init__(self, window: "RateWindow") -> None:
        super().__init__(window.key)
        self.window = window


class AssigneeUnavailable(Exception):
    """The agent chosen for a new ticket went unavailable meanwhile."""


class StaleTicket(Exception):
    """The ticket changed since it was read (its version moved on)."""


class StoreBusy(Exception):
    """Concurrent transactions kept colliding; the caller may retry."""


@dataclass(frozen=True)
class RateWindow:
    key: str
    limit: int
    ends_at: datetime


@dataclass(frozen=True)
class CustomerContact:
    email: str
    name: str
    phone: str | None
    locale: str | None
    timezone: str | None


class TicketStore:
    def record_intake(self, ticket: Ticket, entries: list[Entry], contact: CustomerContact,
                      idempotency: Claim | None, windows: list[RateWindow], now: datetime,
                      metrics: dict[tuple[str, str], int] | None = None) -> None:
        # Automatic assignment (ticket.assignee) counts on an agent still available.
        """Store a new ticket, its thread, the customer and the claims in one
        transaction: all of it, or (with the reason raised) none of it."""
        # pynamodb sends puts before updates; labels follow that order.
        labels: list[object] = []
        try:
            with TransactWrite(connection=transaction_connection()) as tx:
                tx.save(ticket)
                labels.append("ticket")
                for entry in entries:
                    tx.save(entry, condition=Entry.sk.does_not_exist())
                    labels.append("entry")
                tx.save(Claim(key=f"ref#{ticket.reference}", ticket_id=ticket.id),
                        condition=Claim.key.does_not_exist())
                labels.append(ReferenceTaken)
                if idempotency is not None:
                    tx.save(idempotency, condition=Claim.key.does_not_exist())
                    labels.append(IdempotencyKeyUsed)
                tx.update(Customer(contact.email), actions=_customer_actions(contact, now))
                labels.append("customer")
                if ticket.assignee:
                    tx.update(Directory("agent", ticket.assignee),
                              actions=[Directory.open_tickets.add(1), Directory.last_assigned_at.set(now)],
                              condition=Directory.available == True)  # noqa: E712 (a DynamoDB condition)
                    labels.append(AssigneeUnavailable)
                _add_metrics(tx, metrics)
                labels += ["metric"] * len(metrics or {})
                for window in windows:
                    tx.update(
                        Claim(window.key),
                        actions=[Claim.hits.set((Claim.hits | 0) + 1),
                                 Claim.expires_at.set(window.ends_at + timedelta(minutes=1))],
                        condition=Claim.hits.does_not_exist() | (Claim.hits < window.limit))
                    labels.append(window)
        except TransactWriteError as error:
            _raise_cancellation(error, labels)
            raise

    def save_change(self, ticket: Ticket, entries: list[Entry], workload: dict[str, int] | None = None,
                    metrics: dict[tuple[str, str], int] | None = None) -> None:
        """Save a changed ticket with the entries that record the change (and
        the agents' open-ticket counts it moves), only if nobody changed it
        since it was read."""
        try:
            with TransactWrite(connection=transaction_connection()) as tx:
                tx.save(ticket)  # conditioned on the version it was read at
                for entry in entries:
                    tx.save(entry, condition=Entry.sk.does_not_exist())
                for agent, delta in (workload or {}).items():
                    tx.update(Directory("agent", agent), actions=[Directory.open_tickets.add(delta)])
                _add_metrics(tx, metrics)
        except TransactWriteError as error:
            codes = [r.code if r else None for r in error.cancellation_reasons or []]
            if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
                raise StaleTicket() from error
            raise

    def sla_due(self, *, until: datetime, since: datetime | None = None) -> list[Ticket]:
        """Open tickets whose next SLA event falls in [since, until]."""
        condition = (Ticket.next_sla_at <= until if since is None
                     else Ticket.next_sla_at.between(since, until))
        return list(Ticket.by_sla_due.query("open", condition))

    def list_tickets(self, filters: dict[str, str], limit: int,
                     start: dict | None) -> tuple[list[Ticket], dict | None]:
        """A page of tickets, newest first, and where the next page starts.
        The first filter given (status, assignee, priority, category) picks the
        index, so a one-filter page reads only the items it returns; further
        filters are applied on that index."""
        indexes = {"status": Ticket.by_status, "assignee": Ticket.by_assignee,
                   "priority": Ticket.by_priority, "category": Ticket.by_category}
        chosen = next((name for name in indexes if filters.get(name)), None)
        index, key = (indexes[chosen], filters[chosen]) if chosen else (Ticket.by_listing, "all")
        condition = None
        for name in indexes:
            if name != chosen and filters.get(name):
                clause = getattr(Ticket, name) == filters[name]
                condition = clause if condition is None else condition & clause
        results = index.query(key, filter_condition=condition, scan_index_forward=False, limit=limit,
                              last_evaluated_key=start)
        items = list(results)
        return items, results.last_evaluated_key

    # The directory: agents and macros, each read whole by one Query.

    def roster(self) -> list[Directory]:
        return list(Directory.query("agent"))

    def put_agent(self, email: str, available: bool, display_name: str | None, now: datetime) -> Directory:
        agent = Directory("agent", email)
        actions = [Directory.available.set(available), Directory.updated_at.set(now),
                   Directory.open_tickets.set(Directory.open_tickets | 0)]
        if display_name:
            actions.append(Directory.display_name.set(display_name))
        agent.update(actions=actions)
        return agent

    def macros(self) -> list[Directory]:
        return list(Directory.query("macro"))

    def get_macro(self, name: str) -> Directory | None:
        try:
            return Directory.get("macro", name)
        except DoesNotExist:
            return None

    def put_macro(self, macro: Directory) -> None:
        macro.save()

    def delete_macro(self, name: str) -> None:
        Directory("macro", name).delete()

    # Customers

    def get_customer(self, email: str) -> Customer | None:
        try:
            return Customer.get(email, consistent_read=True)
        except DoesNotExist:
            return None

    def tickets_of(self, email: str, limit: int | None = None) -> list[Ticket]:
        return list(Ticket.by_customer.query(email, scan_index_forward=False, limit=limit))

    def delete_customer(self, email: str) -> None:
        Customer(email).delete()

    # Metrics

    def metric_counters(self, first_day: str, last_day: str) -> list[Tally]:
        return list(Tally.query(METRICS_SCOPE, Tally.key.between(f"{first_day}#", f"{last_day}#~")))

    def current_counters(self) -> list[Tally]:
        return list(Tally.query(METRICS_SCOPE, Tally.key.startswith("current#")))

    def replace_metrics(self, counters: dict[tuple[str, str], int]) -> None:
        """Recompute's write: every counter anew (an admin command, not a request path)."""
        with Tally.batch_write() as batch:
            for item in Tally.query(METRICS_SCOPE):
                batch.delete(item)
        with Tally.batch_write() as batch:
            for (day, counter), value in counters.items():
                batch.save(Tally(METRICS_SCOPE, f"{day}#{counter}", value=value))

    def all_tickets(self):
        """Every ticket (a Scan: for the recompute command only)."""
        return Ticket.scan()

    def get_claim(self, key: str) -> Claim | None:
        try:
            return Claim.get(key, consistent_read=True)
        except DoesNotExist:
            return None

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        try:
            return Ticket.get(ticket_id, consistent_read=True)
        except DoesNotExist:
            return None

    def thread(self, ticket_id: str) -> list[Entry]:
        return list(Entry.query(ticket_id, consistent_read=True))

    def scrub_entry(self, entry: Entry, placeholder: str) -> None:
        """Erase a message's words and address; a pending email is not sent."""
        entry.update(actions=[Entry.body.set(placeholder), Entry.email.remove(), Entry.data.remove(),
                              Entry.outbox.remove(), Entry.next_attempt_at.remove(),
                              Entry.author.set(placeholder) if entry.direction == "in" else Entry.last_error.remove()])

    # The outbox: outgoing emails are entries first, then sent.

    def mark_sent(self, entry: Entry, ses_message_id: str, now: datetime) -> None:
        entry.update(actions=[Entry.outbox.remove(), Entry.next_attempt_at.remove(),
                              Entry.sent_at.set(now), Entry.ses_message_id.set(ses_message_id),
                              Entry.last_error.remove()])

    def defer(self, entry: Entry, next_attempt_at: datetime, error: str) -> None:
        entry.update(actions=[Entry.next_attempt_at.set(next_attempt_at),
                              Entry.last_error.set(error[:500])])

    def due_outgoing(self, now: datetime, limit: int) -> list[Entry]:
        return list(Entry.pending.query(PENDING, Entry.next_attempt_at <= now, limit=limit))

    def claim_attempt(self, entry: Entry, next_attempt_at: datetime) -> bool:
        """Take one delivery attempt for this worker: moves the next attempt
        on only if nobody else did since `entry` was read."""
        try:
            entry.update(
                actions=[Entry.next_attempt_at.set(next_attempt_at), Entry.attempts.add(1)],
                condition=(Entry.outbox == PENDING) & (Entry.next_attempt_at == entry.next_attempt_at))
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _add_metrics(tx: TransactWrite, metrics: dict[tuple[str, str], int] | None) -> None:
    """The change's metric counters move with it, atomically."""
    for (day, counter), delta in sorted((metrics or {}).items()):
        tx.update(Tally(METRICS_SCOPE, f"{day}#{counter}"), actions=[Tally.value.add(delta)])


def _customer_actions(contact: CustomerContact, now: datetime) -> list:
    actions = [Customer.name.set(contact.name), Customer.last_seen.set(now),
               Customer.first_seen.set(Customer.first_seen | now), Customer.ticket_count.add(1)]
    for attribute, value in ((Customer.phone, contact.phone), (Customer.locale, contact.locale),
                             (Customer.timezone, contact.timezone)):
        if value:
            actions.append(attribute.set(value))
    return actions


def _raise_cancellation(error: TransactWriteError, labels: list[object]) -> None:
    """Turn a cancelled transaction into the reason that matters to the caller."""
    codes = [r.code if r else None for r in error.cancellation_reasons or []]
    if "TransactionConflict" in codes:
        raise StoreBusy() from error
    for label, code in zip(labels, codes):
        if code != "ConditionalCheckFailed":
            continue
        if isinstance(label, RateWindow):
            raise RateLimited(label) from error
        if label in (ReferenceTaken, IdempotencyKeyUsed, AssigneeUnavailable):
            raise label() from error
