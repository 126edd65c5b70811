"""The ticket store: every DynamoDB read and write of tickets, threads,
deliveries and claims. It maps the domain's dataclasses to items and back;
`commit` is the one write of a ticket change (services/writer.py calls it)."""

from __future__ import annotations

import hashlib
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain import sla
from ..domain.listing import Fetch, Plan, Seek, most_urgent
from ..domain.ticket import ERASED, PRIORITIES, Change, Entry, Rules, Ticket, wake_of
from .tables import SHARDS, TICKET_SK, Claim, Customer, Directory, Posting, TicketTable, transaction_connection


class StaleTicket(Exception):
    """The ticket changed since it was read (its version moved on)."""


class Claimed(Exception):
    """A key the change claims is taken already (a reference, a Message-ID...)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class RateLimited(Exception):
    def __init__(self, window: RateWindow) -> None:
        super().__init__(window.key)
        self.window = window


class Unavailable(Exception):
    """DynamoDB did not answer, or answered with an error that is not a refusal."""


@dataclass(frozen=True)
class RateWindow:
    key: str
    limit: int
    ends_at: datetime


@dataclass(frozen=True)
class IntakeClaims:
    """What a new ticket claims besides itself: its reference, the request's
    Idempotency-Key, and a place in the sender's and address's rate windows."""

    reference: str
    idempotency_key: str | None = None
    body_hash: str | None = None
    answer: dict[str, Any] | None = None
    idempotency_until: datetime | None = None
    windows: tuple[RateWindow, ...] = ()


@dataclass(frozen=True)
class StoredEntry:
    sk: str
    created_at: datetime
    entry: Entry
    effects: dict[str, Any] | None = None
    version: int | None = None


@dataclass(frozen=True)
class Delivery:
    ticket_id: str
    sk: str
    entry_sk: str
    mail: str
    to: str
    state: str  # sending | sent | retry | unconfirmed | refused | failed
    attempts: int
    message_id: str
    created_at: datetime
    retry_at: datetime | None = None
    last_error: str | None = None


@dataclass
class Collection:
    """A ticket with its thread and deliveries, as one Query reads them."""

    ticket: Ticket
    entries: list[StoredEntry] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


_INDEXES = {
    "by_all": (TicketTable.by_all, "g_all", "pk"),
    "by_priority": (TicketTable.by_priority, "g_pri", "g_st"),
    "by_assignee": (TicketTable.by_assignee, "g_asg", "g_st"),
    "by_category": (TicketTable.by_category, "g_cat", "g_st"),
    "by_tag": (Claim.by_tag, "g_tag", "ticket_id"),
    "by_due": (TicketTable.by_due, "g_due", "due_at"),
    "by_callback": (TicketTable.by_callback, "g_cb", "pk"),
}


REPAIR_SK = "~repair"  # after every entry in the ticket's collection


def shard(ticket_id: str) -> int:
    return zlib.crc32(ticket_id.encode()) % SHARDS


def entry_key(now: datetime, version: int) -> str:
    # Time order first; the ticket's version keeps two changes in one instant
    # apart and makes the key the same when a lost answer is retried.
    return f"{now.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}Z#{version:06d}"


def delivery_key(entry_sk: str, index: int) -> str:
    return f"{entry_sk}#mail#{index}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TicketStore:
    def __init__(self, rules: Rules) -> None:
        self._rules = rules

    # Reading

    def ticket(self, ticket_id: str) -> Ticket | None:
        try:
            return to_ticket(TicketTable.get(ticket_id, TICKET_SK, consistent_read=True))
        except DoesNotExist:
            return None

    def collection(self, ticket_id: str) -> Collection | None:
        """The ticket, its thread and its deliveries: one consistent Query."""
        found: Collection | None = None
        entries, deliveries = [], []
        for item in TicketTable.query(ticket_id, consistent_read=True):
            if item.kind == "ticket":
                found = Collection(to_ticket(item))
            elif item.kind == "delivery":
                deliveries.append(to_delivery(item))
            elif item.kind != "repair":
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
            puts.append(
                (
                    f"ref#{intake.reference}",
                    Claim(f"ref#{intake.reference}", ticket_id=after.id),
                    Claim.key.does_not_exist(),
                )
            )
            if intake.idempotency_key is not None:
                key = f"idem#{intake.idempotency_key}"
                puts.append(
                    (
                        key,
                        Claim(
                            key,
                            ticket_id=after.id,
                            body_hash=intake.body_hash,
                            response=intake.answer,
                            expires_at=intake.idempotency_until,
                        ),
                        Claim.key.does_not_exist(),
                    )
                )
            for window in intake.windows:
                updates.append(
                    (
                        window,
                        Claim(window.key),
                        [
                            Claim.hits.set((Claim.hits | 0) + 1),
                            Claim.expires_at.set(window.ends_at + timedelta(minutes=1)),
                        ],
                        Claim.hits.does_not_exist() | (Claim.hits < window.limit),
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

    # Claims

    def claim(self, key: str) -> Claim | None:
        try:
            return Claim.get(key, consistent_read=True)
        except DoesNotExist:
            return None

    def ticket_id_for_reference(self, reference: str) -> str | None:
        found = self.claim(f"ref#{reference}")
        return found.ticket_id if found else None

    def mark(self, key: str, until: datetime) -> bool:
        """Claim a key for a while (put if absent); False if it is taken."""
        try:
            Claim(key, expires_at=until).save(condition=Claim.key.does_not_exist())
        except PutError as error:
            if _refused(error):
                return False
            raise
        return True

    def count_window(self, key: str, limit: int, until: datetime) -> bool:
        """One more in a fixed window; False if the window is full."""
        try:
            Claim(key).update(
                actions=[Claim.hits.set((Claim.hits | 0) + 1), Claim.expires_at.set(until)],
                condition=Claim.hits.does_not_exist() | (Claim.hits < limit),
            )
        except UpdateError as error:
            if _refused(error):
                return False
            raise
        return True

    # Deliveries: the state of each email a change causes.

    def claim_delivery(self, ticket_id: str, sk: str, mail: str, to: str, message_id: str, now: datetime) -> bool:
        """Take this email for sending; False if a delivery exists already (a
        redelivered stream record)."""
        nonce = uuid.uuid4().hex  # whose claim it is, should the answer to the write be lost
        item = TicketTable(
            ticket_id,
            sk,
            kind="delivery",
            mail=mail,
            to=to,
            state="sending",
            attempts=1,
            message_id=message_id,
            created_at=now,
            updated_at=now,
            event=nonce,
        )
        try:
            item.save(condition=TicketTable.sk.does_not_exist())
        except PutError as error:
            if _refused(error):
                return False
            try:  # did it happen all the same? Then the claim is ours.
                stored = TicketTable.get(ticket_id, sk, consistent_read=True)
            except DoesNotExist:
                raise error from None
            if stored.event != nonce:
                return False
        return True

    def retake_delivery(self, delivery: Delivery, now: datetime) -> bool:
        """Take a failed email for another attempt, unless someone else did."""
        try:
            TicketTable(delivery.ticket_id, delivery.sk).update(
                actions=[
                    TicketTable.state.set("sending"),
                    TicketTable.attempts.add(1),
                    TicketTable.updated_at.set(now),
                    TicketTable.g_retry.remove(),
                    TicketTable.retry_at.remove(),
                ],
                condition=(TicketTable.state == "retry") & (TicketTable.attempts == delivery.attempts),
            )
        except UpdateError as error:
            if _refused(error):
                return False
            raise
        return True

    def settle_delivery(
        self,
        ticket_id: str,
        sk: str,
        state: str,
        now: datetime,
        *,
        ses_id: str | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        actions: list[Action] = [TicketTable.state.set(state), TicketTable.updated_at.set(now)]
        actions.append(TicketTable.ses_id.set(ses_id) if ses_id else TicketTable.ses_id.remove())
        actions.append(TicketTable.last_error.set(error[:500]) if error else TicketTable.last_error.remove())
        if retry_at is not None:
            actions += [
                TicketTable.g_retry.set(f"retry#{shard(ticket_id)}"),
                TicketTable.retry_at.set(f"{_iso(retry_at)}#{ticket_id}"),
            ]
        else:
            actions += [TicketTable.g_retry.remove(), TicketTable.retry_at.remove()]
        TicketTable(ticket_id, sk).update(actions=actions)

    def deliveries_due(self, now: datetime, limit: int = 50) -> list[Delivery]:
        """Failed emails whose next attempt is due: up to `limit` from each shard."""
        found: list[Delivery] = []
        for n in range(SHARDS):
            for key in TicketTable.by_retry.query(f"retry#{n}", TicketTable.retry_at <= f"{_iso(now)}#~", limit=limit):
                try:
                    found.append(to_delivery(TicketTable.get(key.pk, key.sk, consistent_read=True)))
                except DoesNotExist:
                    continue
        return [d for d in found if d.state == "retry"]

    def deliveries_waiting(self) -> int:
        """Emails waiting for another attempt, due or not (the index holds exactly those)."""
        return sum(TicketTable.by_retry.count(f"retry#{n}") for n in range(SHARDS))

    # Schedules that Scheduler did not take: repaired by the reconciler

    def flag_schedule_repair(self, ticket_id: str, disarm: str | None, now: datetime) -> None:
        TicketTable(
            ticket_id,
            REPAIR_SK,
            kind="repair",
            mail=disarm,
            created_at=now,
            updated_at=now,
            g_retry=f"repair#{shard(ticket_id)}",
            retry_at=f"{_iso(now)}#{ticket_id}",
        ).save()

    def schedule_repairs(self) -> list[tuple[str, str | None]]:
        """(ticket id, schedule to delete) of every change whose schedule did not take."""
        found: list[tuple[str, str | None]] = []
        for n in range(SHARDS):
            for key in TicketTable.by_retry.query(f"repair#{n}"):
                try:
                    found.append((key.pk, TicketTable.get(key.pk, REPAIR_SK, consistent_read=True).mail))
                except DoesNotExist:
                    continue
        return found

    def repaired(self, ticket_id: str) -> None:
        TicketTable(ticket_id, REPAIR_SK).delete()

    # Index reads

    def index_reader(self, chosen: Plan) -> Fetch:
        """Reads of a listing's key ranges, for domain.listing.page."""

        def fetch(i: int, after: str | None, limit: int) -> tuple[list[str], bool]:
            stream = chosen.streams[i]
            index, hash_name, range_name = _INDEXES[stream.index]
            range_attr = getattr(Claim if stream.index == "by_tag" else TicketTable, range_name)
            condition = range_attr.startswith(stream.prefix) if stream.prefix else None
            start = None
            if after is not None:
                ticket_id = after.rsplit("#", 1)[-1]
                start = {hash_name: {"S": stream.key}, range_name: {"S": stream.prefix + after}}
                start |= (
                    {"key": {"S": f"tag#{stream.key}#{ticket_id}"}}
                    if stream.index == "by_tag"
                    else {"pk": {"S": ticket_id}, "sk": {"S": TICKET_SK}}
                )
            results = index.query(
                stream.key, condition, scan_index_forward=not chosen.newest_first, limit=limit, last_evaluated_key=start
            )
            values = [getattr(item, range_name)[len(stream.prefix) :] for item in results]
            return values, results.last_evaluated_key is None

        return fetch

    def search_reader(self, terms: tuple[str, ...]) -> Seek:
        """Seeks in the search index's postings, for domain.listing.intersect."""

        def seek(i: int, bound: str | None, inclusive: bool, limit: int) -> tuple[list[str], bool]:
            condition = None if bound is None else (Posting.tid <= bound if inclusive else Posting.tid < bound)
            results = Posting.query(terms[i], condition, scan_index_forward=False, limit=limit)
            values = [item.tid for item in results]
            return values, results.last_evaluated_key is None

        return seek

    def indexed_terms(self, ticket_id: str) -> frozenset[str]:
        try:
            return frozenset(Posting.get(f"#{ticket_id}", "#", consistent_read=True).terms or ())
        except DoesNotExist:
            return frozenset()

    def index_terms(self, ticket_id: str, terms: frozenset[str], indexed: frozenset[str], *, new: bool = False) -> None:
        """Make the ticket's postings `terms`, from `indexed`: the postings
        first, then the record of them, so a stop half-way is redone by the
        next run (each write is a put or delete by key, safe to repeat).
        Batches of 25, not a transaction: a transaction bills each item twice.
        A new ticket's record rides in the postings' last batch: its redone
        run ignores the record anyway (see SearchIndex.follow)."""
        record = Posting(f"#{ticket_id}", "#", terms=set(terms))
        with Posting.batch_write() as batch:
            for term in sorted(terms - indexed):
                batch.save(Posting(term, ticket_id))
            for term in sorted(indexed - terms):
                batch.delete(Posting(term, ticket_id))
            if new and terms:
                batch.save(record)
        if new:
            return
        if terms:
            record.save()
        else:
            record.delete()

    def due_wakes(self, *, kind: str, since: datetime | None, until: datetime) -> list[str]:
        """Ids of tickets whose next timed action of a kind ("sla" or
        "life") falls in [since, until], from every shard."""
        ids: list[str] = []
        for n in range(SHARDS):
            condition = (
                TicketTable.wake_at.between(f"{_iso(since)}#", f"{_iso(until)}#~")
                if since
                else TicketTable.wake_at <= f"{_iso(until)}#~"
            )
            ids += [key.pk for key in TicketTable.by_wake.query(f"{kind}#{n}", condition)]
        return ids

    # Directory

    def roster(self) -> list[Directory]:
        return list(Directory.query("agent"))

    def put_agent(self, email: str, available: bool, display_name: str | None, now: datetime) -> Directory:
        agent = Directory("agent", email)
        actions: list[Action] = [Directory.available.set(available), Directory.updated_at.set(now)]
        if display_name:
            actions.append(Directory.display_name.set(display_name))
        agent.update(actions=actions)
        return agent

    def delete_agent(self, email: str) -> None:
        Directory("agent", email).delete()

    def agent(self, email: str) -> Directory | None:
        try:
            return Directory.get("agent", email, consistent_read=True)
        except DoesNotExist:
            return None

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

    def customer(self, email: str) -> Customer | None:
        try:
            return Customer.get(email, consistent_read=True)
        except DoesNotExist:
            return None

    def remember_customer(self, ticket: Ticket) -> str | None:
        """Contact data for next time: the newest values win; the same values
        again change nothing (a redelivered record). Why the address takes no
        more mail, if it does not (`mail_stopped`)."""
        actions: list[Action] = [
            Customer.name.set(ticket.customer_name),
            Customer.last_seen.set(ticket.created_at),
            Customer.first_seen.set(Customer.first_seen | ticket.created_at),
        ]
        for attribute, value in (
            (Customer.phone, ticket.phone),
            (Customer.locale, ticket.locale),
            (Customer.timezone, ticket.timezone),
        ):
            if value:
                actions.append(attribute.set(value))
        customer = Customer(ticket.customer_email)
        customer.update(actions=actions)  # pynamodb reads the item's new values back into it
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

    def forget_customer(self, email: str) -> None:
        Customer(email).delete()

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


def _refused(error: Exception) -> bool:
    """A condition said no (as opposed to DynamoDB failing to answer)."""
    response = getattr(getattr(error, "cause", None), "response", None) or {}
    code: str | None = response.get("Error", {}).get("Code")
    return code == "ConditionalCheckFailedException"


def mail_stopped(customer: Customer | None) -> str | None:
    """Why no more mail goes to the customer's address: "bounce" (it bounced
    for good) or "complaint" (they marked our mail as spam); None if it takes mail."""
    if customer is None or customer.bounced_at is None:
        return None
    return customer.bounce_reason or "bounce"


def _raise_refusal(error: TransactWriteError, labels: list[object]) -> None:
    """Turn a cancelled transaction into the reason that matters to the caller."""
    reasons = error.cancellation_reasons or []
    codes = [r.code if r else None for r in reasons]
    # No reasons at all (a transaction cancelled for another cause) match no label.
    for label, code in zip(labels, codes, strict=False):
        if code != "ConditionalCheckFailed":
            continue
        if label is StaleTicket:
            raise StaleTicket() from error
        if isinstance(label, RateWindow):
            raise RateLimited(label) from error
        if isinstance(label, str) and label not in ("entry", "tag", "scrub"):
            raise Claimed(label) from error
        if label == "entry":
            raise StaleTicket() from error
    if "TransactionConflict" in codes:
        raise StaleTicket() from error


# Mapping between the domain's dataclasses and items.


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
        phone=ticket.phone,
        order_id=ticket.order_id,
        locale=ticket.locale,
        timezone=ticket.timezone,
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
        version=ticket.version,
        g_all=f"all#{n}",
        g_cust=ticket.customer_email,
        g_asg=ticket.assignee,
        g_pri=ticket.priority,
        g_cat=ticket.category,
        g_st=f"{ticket.status}#{ticket.id}",
        g_wake=f"{'sla' if wake.kind == 'sla' else 'life'}#{n}" if wake else None,
        wake_at=f"{_iso(wake.at)}#{ticket.id}" if wake else None,
        g_due=f"due#{n}" if urgent else None,
        due_at=f"{_iso(urgent[1].due_at)}#{ticket.id}" if urgent else None,
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
        phone=item.phone,
        order_id=item.order_id,
        locale=item.locale,
        timezone=item.timezone,
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
        version=int(item.version or 0),
    )


def entry_item(ticket_id: str, sk: str, change: Change) -> TicketTable:
    entry = change.entry
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
        effects=effects_document(change),
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
        item.effects,
        int(item.version) if item.version is not None else None,
    )


def to_delivery(item: TicketTable) -> Delivery:
    retry_at = None
    if item.retry_at:
        retry_at = datetime.strptime(item.retry_at.split("#", 1)[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return Delivery(
        item.pk,
        item.sk,
        item.sk.split("#mail#", 1)[0],
        item.mail,
        item.to,
        item.state,
        int(item.attempts or 0),
        item.message_id,
        item.created_at,
        retry_at,
        item.last_error,
    )


def effects_document(change: Change) -> dict[str, Any]:
    """The change's effects as the stream consumer reads them back."""
    fx = change.effects
    document: dict[str, Any] = {}
    if fx.mail:
        document["mail"] = [[m.kind, m.to] for m in fx.mail]
    if fx.arm:
        document["arm"] = {"name": fx.arm.name, "at": _iso(fx.arm.at), "payload": dict(fx.arm.payload)}
    if fx.disarm:
        document["disarm"] = fx.disarm
    if fx.counters:
        document["counters"] = {d: dict(c) for d, c in fx.counters.items()}
    if fx.publish:
        document["publish"] = [{"type": p.type, "detail": dict(p.detail)} for p in fx.publish]
    if fx.assign:
        document["assign"] = True
    if fx.remember_customer:
        document["customer"] = True
    if fx.purge_files:
        document["purge_files"] = True
    return document


def body_hash(document: dict[str, Any]) -> str:
    import json

    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
