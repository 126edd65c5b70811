"""Tickets: the one write of a change (`commit`: the ticket, the entry that
records the change and what it claims, in one transaction; services/writer.py
calls it) and every read of tickets: one, a few, a collection (the ticket
with its thread and deliveries, one Query), and the indexes that list them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ...clock import iso
from ...domain.ticket import ERASED, PRIORITIES, Change, Rules, Ticket
from ..tables import SHARDS, TICKET_SK, Claim, Customer, TicketTable, transaction_connection
from .claims import IntakeClaims, RateWindow
from .deliveries import DeliveryRecord, to_delivery
from .items import REDO, StoredEntry, entry_item, entry_key, retried, to_item, to_stored_entry, to_ticket

MAX_MERGED = 50  # tickets read into one thread: merges of merges end there


class Refused(Exception):
    """A condition of the change's transaction said no. `after_retry`: the
    client had sent it before (an answer was lost), so the refusal may be
    of the transaction's own earlier, committed attempt."""

    after_retry = False


class StaleTicket(Refused):
    """The ticket changed since it was read (its version moved on)."""


class Claimed(Refused):
    """A key the change claims is taken already (a reference, a Message-ID...)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class MovedAlready(Refused):
    """A thread entry the change moves was moved (or is gone) already."""


class Blocked(Refused):
    """The sender is one an operator marked as spam (their customer record says so)."""


class RateLimited(Refused):
    def __init__(self, window: RateWindow) -> None:
        super().__init__(window.key)
        self.window = window


class Unavailable(Exception):
    """DynamoDB did not answer, or answered with an error that is not a refusal."""


@dataclass
class Collection:
    """A ticket with its thread and deliveries, as one Query reads them; and
    the collections of the tickets merged into it (one Query each), whose
    threads are its own now."""

    ticket: Ticket
    entries: list[StoredEntry] = field(default_factory=list)
    deliveries: list[DeliveryRecord] = field(default_factory=list)
    merged: list[Collection] = field(default_factory=list)

    def everything(self) -> Iterator[tuple[Collection, StoredEntry]]:
        """Every entry of the thread as it reads now, with the collection that
        holds it: this ticket's and its merged tickets' (and theirs), less
        what a split moved away."""
        for holder in self.family():
            for stored in holder.entries:
                if stored.moved_to is None:
                    yield holder, stored

    def family(self) -> Iterator[Collection]:
        yield self
        for merged in self.merged:
            yield from merged.family()


class TicketStore:
    def __init__(self, rules: Rules) -> None:
        self._rules = rules

    # Reading

    def ticket(self, ticket_id: str) -> Ticket | None:
        try:
            return to_ticket(TicketTable.get(ticket_id, TICKET_SK, consistent_read=True))
        except DoesNotExist:
            return None

    def collection(self, ticket_id: str, *, merged: bool = True) -> Collection | None:
        """The ticket, its thread and its deliveries: one consistent Query;
        with `merged`, one more for each ticket merged into it (and into those)."""
        found = self._partition(ticket_id)
        if found is not None and merged:
            seen = {ticket_id}
            waiting = [found]
            while waiting:
                holder = waiting.pop()
                for source in holder.ticket.merged_from:
                    if source in seen or len(seen) > MAX_MERGED:
                        continue
                    seen.add(source)
                    part = self._partition(source)
                    if part is not None:
                        holder.merged.append(part)
                        waiting.append(part)
        return found

    def _partition(self, ticket_id: str) -> Collection | None:
        found: Collection | None = None
        entries, deliveries = [], []
        for item in TicketTable.query(ticket_id, consistent_read=True):
            if item.kind == "ticket":
                found = Collection(to_ticket(item))
            elif item.kind == "delivery":
                deliveries.append(to_delivery(item))
            elif item.kind not in ("repair", "presence"):
                entries.append(to_stored_entry(item))
        if found is not None:
            found.entries, found.deliveries = entries, deliveries
        return found

    def tickets(self, ids: Iterable[str]) -> dict[str, Ticket]:
        keys = [(i, TICKET_SK) for i in dict.fromkeys(ids)]
        return {item.pk: to_ticket(item) for item in TicketTable.batch_get(keys)} if keys else {}

    def entry_exists(self, ticket_id: str, sk: str) -> bool:
        try:
            TicketTable.get(ticket_id, sk, consistent_read=True, attributes_to_get=["pk"])
            return True
        except DoesNotExist:
            return False

    # The one write of a change

    def commit(self, change: Change, *, intake: IntakeClaims | None = None, token: str | None = None) -> str:
        """Store the ticket after the change and the entry that records it,
        with what the change claims, in one transaction; only if the ticket is
        still at the version it was read at (or does not exist yet, for a new
        one). The entry's sort key, or StaleTicket / Claimed / RateLimited."""
        after, before = change.after, change.before
        sk = entry_key(after.updated_at, after.version)
        labels: list[object] = []  # what each transaction item stands for, in pynamodb's order
        checks: list[tuple[object, Any, Any]] = []
        deletes: list[tuple[object, Any]] = []
        puts: list[tuple[object, Any, Any]] = []
        updates: list[tuple[object, Any, list[Action], Any]] = []

        condition = TicketTable.pk.does_not_exist() if before is None else TicketTable.version == before.version
        puts.append((StaleTicket, to_item(after, self._rules), condition))
        puts.append(("entry", entry_item(after.id, sk, change), TicketTable.sk.does_not_exist()))
        for key in change.claims:
            puts.append((key, Claim(key, ticket_id=after.id), Claim.key.does_not_exist()))
        old_tags = before.tags if before else frozenset()
        for tag in sorted(after.tags - old_tags):
            puts.append(("tag", Claim(f"tag#{tag}#{after.id}", ticket_id=after.id, g_tag=tag), None))
        for tag in sorted(old_tags - after.tags):
            deletes.append(("tag", Claim(f"tag#{tag}#{after.id}")))
        if intake is not None:
            intake_puts, window_updates = _intake_items(intake, after.id)
            puts += intake_puts
            updates += window_updates
            if intake.unless_blocked:  # one call still: the check rides in the transaction
                checks.append((Blocked, intake.unless_blocked.lower(), Customer.spam_since.does_not_exist()))
        for moved in change.moves:
            updates.append(
                (
                    "moved",
                    TicketTable(moved.ticket_id, moved.sk),
                    [TicketTable.moved_to.set(moved.to)],
                    TicketTable.sk.exists() & TicketTable.moved_to.does_not_exist(),
                )
            )
        for entry_sk in change.scrub:
            updates.append(
                (
                    "scrub",
                    TicketTable(after.id, entry_sk),
                    [TicketTable.body.set(ERASED), TicketTable.data.remove()],
                    None,
                )
            )

        try:
            with TransactWrite(connection=transaction_connection(), client_request_token=token) as tx:
                for label, key, cond in checks:
                    tx.condition_check(Customer, key, condition=cond)
                    labels.append(label)
                for label, item in deletes:
                    tx.delete(item)
                    labels.append(label)
                for label, item, cond in puts:
                    tx.save(item, condition=cond)
                    labels.append(label)
                for label, item, actions, cond in updates:
                    tx.update(item, actions=actions, condition=cond)
                    labels.append(label)
        except TransactWriteError as error:
            _raise_refusal(error, labels)
            raise Unavailable(str(error)) from error
        return sk

    # Reads of the indexes (listings: adapters/store/listing.py)

    def unsettled(self, until: datetime) -> dict[str, list[str]]:
        """Tickets with entries whose effects were not all done by `until`
        (their redo markers on `by_retry`, every shard): ticket id -> the
        entries' sort keys, oldest first."""
        found: dict[str, list[str]] = {}
        for n in range(SHARDS):
            for key in TicketTable.by_retry.query(f"{REDO}#{n}", TicketTable.retry_at <= f"{iso(until)}#~"):
                found.setdefault(key.pk, []).append(key.sk)
        return {ticket_id: sorted(sks) for ticket_id, sks in found.items()}

    def ticket_ids_of(self, email: str, limit: int | None = None) -> list[str]:
        return [key.pk for key in TicketTable.by_customer.query(email, scan_index_forward=False, limit=limit)]

    def open_tickets_of(self, agent: str) -> int:
        """The agent's tickets in an open status (new < open < pending sort together)."""
        return TicketTable.by_assignee.count(agent, TicketTable.g_st.between("new#", "pending#~"))

    def open_ticket_keys(self) -> Iterator[tuple[str, str]]:
        """(priority, status) of every open ticket, from index keys alone."""
        for priority in PRIORITIES:
            for key in TicketTable.by_priority.query(priority, TicketTable.g_st.between("new#", "pending#~")):
                yield priority, key.g_st.split("#", 1)[0]

    def count_tickets_of(self, email: str) -> int:
        return TicketTable.by_customer.count(email)

    def all_tickets(self) -> Iterator[Ticket]:
        """Every ticket (a Scan: for the recompute command only)."""
        for item in TicketTable.scan(TicketTable.sk == TICKET_SK):
            yield to_ticket(item)


def _raise_refusal(error: TransactWriteError, labels: list[object]) -> None:
    """Turn a cancelled transaction into the reason that matters to the caller."""
    reasons = error.cancellation_reasons or []
    codes = [r.code if r else None for r in reasons]
    refusal: Refused | None = None
    # No reasons at all (a transaction cancelled for another cause) match no label.
    for label, code in zip(labels, codes, strict=False):
        if code != "ConditionalCheckFailed":
            continue
        if label is StaleTicket or label == "entry":
            refusal = StaleTicket()
        elif label == "moved":
            refusal = MovedAlready()
        elif label is Blocked:
            refusal = Blocked()
        elif isinstance(label, RateWindow):
            refusal = RateLimited(label)
        elif isinstance(label, str) and label not in ("tag", "scrub"):
            refusal = Claimed(label)
        if refusal is not None:
            break
    if refusal is None and "TransactionConflict" in codes:
        refusal = StaleTicket()
    if refusal is not None:
        refusal.after_retry = retried(error)
        raise refusal from error


def _intake_items(
    intake: IntakeClaims, ticket_id: str
) -> tuple[list[tuple[object, Any, Any]], list[tuple[object, Any, list[Action], Any]]]:
    """A new ticket's claims as transaction items: its reference and
    Idempotency-Key (puts), one more in each rate window (updates)."""
    puts: list[tuple[object, Any, Any]] = [
        (f"ref#{intake.reference}", Claim(f"ref#{intake.reference}", ticket_id=ticket_id), Claim.key.does_not_exist())
    ]
    if intake.idempotency_key is not None:
        key = f"idem#{intake.idempotency_key}"
        claim = Claim(
            key,
            ticket_id=ticket_id,
            body_hash=intake.body_hash,
            response=intake.answer,
            expires_at=intake.idempotency_until,
        )
        puts.append((key, claim, Claim.key.does_not_exist()))
    updates: list[tuple[object, Any, list[Action], Any]] = [
        (
            window,
            Claim(window.key),
            [Claim.hits.set((Claim.hits | 0) + 1), Claim.expires_at.set(window.ends_at + timedelta(minutes=1))],
            Claim.hits.does_not_exist() | (Claim.hits < window.limit),
        )
        for window in intake.windows
    ]
    return puts, updates
