"""The stream consumer: every change's entry, read from the `tickets`
table's stream, turned into its effects. The request wrote once; this does
the rest: emails, the ticket's schedule, the customer's contact data,
automatic assignment, the search index, outgoing events, the metric
counters, and a spam mark on the sender.

Idempotent under redelivery: an email is claimed before it is sent, a
schedule is put by name, contact data is set (not added), assignment only
assigns the unassigned, removing an erased ticket's files again finds none,
events carry stable ids, and counters move in the transaction that settles
the change's entry (its redo marker goes), so a settled entry counts nothing
again. Records are handled in order (a ticket's records share a shard); the
first that fails is reported (ReportBatchItemFailures), so the ones before
it are never redone and the ones after it wait their turn.

Effects are redone, never lost (`redo`): a failed batch's range read again
from the stream, and entries the reconcile job finds unsettled (services/
recovery.py), out of the stream's order: so their schedules are made what
the ticket needs now, and an entry settled meanwhile is skipped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..adapters.bus import EventBus
from ..adapters.counters import MetricCounters, Settlement, family_of
from ..adapters.store.customers import CustomerStore
from ..adapters.store.items import StoredEntry, stream_entry
from ..adapters.store.tickets import TicketStore
from ..config import Settings
from ..domain.ticket import SPAM
from ..log import bound, logger
from .assignment import Assignment, Workloads
from .attachments import Attachments
from .delivery import UNKNOWN, MailDelivery
from .merges import Merges
from .search import SearchIndex
from .timers import Timers

log = logger(__name__)
SCHEMA_VERSION = 1
# Only a change's entry carries effects ("fx"); the ticket's own writes and
# the delivery items in the stream are not for the consumer. A new ticket's
# stream image is not enough for its first effects: it says nothing of what
# happened to the ticket since (an erasure in a later batch), so they read
# the ticket as it is now. The same rule is the event source mapping's
# filter in AWS (infra/build.py); `fx` is stored as a JSON string ("S"), and
# Lambda's "exists" sees only such leaves, never a map.
FILTER_PATTERNS = ({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"fx": {"S": [{"exists": True}]}}}},)


def actionable(record: Mapping[str, Any]) -> bool:
    return record.get("eventName") == "INSERT" and "fx" in (record.get("dynamodb", {}).get("NewImage") or {})


# How Lambda's event source mapping runs `on_change` (infra/stack/functions.py
# puts it in the template; local/stream.py, the local stand-in, follows it):
# a failing batch is retried this often, then its position goes to the
# on-failure queue; a batch whose invocation fails is split in two first.
STREAM_BATCH_SIZE = 100
STREAM_RETRY_ATTEMPTS = 10
STREAM_BISECT_ON_ERROR = True

Pending = tuple[str, StoredEntry]  # a change's entry whose effects are to be done: (ticket id, entry)


def pending_of(records: Sequence[Mapping[str, Any]]) -> list[Pending]:
    """The changes' entries among stream records (Lambda's shape)."""
    return [stream_entry(r["dynamodb"]["NewImage"]) for r in records if actionable(r)]


class Consumer:
    def __init__(
        self,
        settings: Settings,
        store: TicketStore,
        customers: CustomerStore,
        delivery: MailDelivery,
        timers: Timers,
        assignment: Assignment,
        search: SearchIndex,
        attachments: Attachments,
        bus: EventBus,
        counters: MetricCounters,
        merges: Merges,
    ) -> None:
        self._settings = settings
        self._store = store
        self._customers = customers
        self._delivery = delivery
        self._timers = timers
        self._assignment = assignment
        self._search = search
        self._attachments = attachments
        self._bus = bus
        self._counters = counters
        self._merges = merges

    def handle(self, records: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, str]]]:
        """A batch of stream records; the first that failed, for Lambda to
        deliver again from there."""
        changes = [r for r in records if actionable(r)]
        failed = self._perform(pending_of(changes), redo=False)
        if failed is None:
            return {"batchItemFailures": []}
        first = changes[failed] if failed < len(changes) else records[0]
        return {"batchItemFailures": [{"itemIdentifier": first["dynamodb"]["SequenceNumber"]}]}

    def redo(self, pending: Sequence[Pending]) -> bool:
        """Effects of changes done again, out of the stream's order (a failed
        range read again, entries found unsettled), oldest first; whether all
        are done now."""
        return self._perform(pending, redo=True) is None

    def _perform(self, pending: Sequence[Pending], *, redo: bool) -> int | None:
        """Each entry's effects in order, then the events and the settlement
        of those done; None when all are done, else the index of the first
        entry not done (0 when the events or the settlement failed)."""
        if not pending:
            return None
        events: list[dict[str, Any]] = []
        settlements: list[Settlement] = []
        failed: int | None = None
        workloads = self._assignment.workloads()  # the roster, read once for the batch if it assigns
        for index, (ticket_id, stored) in enumerate(pending):
            with bound(ticket_id=ticket_id, event=stored.entry.event):
                try:
                    if not self._effects(ticket_id, stored, workloads, redo=redo):
                        continue  # settled meanwhile: done already
                except Exception:
                    log.exception("effects failed; they are done again later")
                    failed = index
                    break
            events += self._envelopes(ticket_id, stored)
            settlements.append(_settlement(ticket_id, stored))
        try:
            # Events first, the settlement last: a failure here redoes the
            # batch, which the claims make harmless and the settlement counts once.
            if events:
                self._bus.publish(events)
            self._counters.settle(settlements)
        except Exception:
            log.exception("events or counters failed; the changes' effects are done again later")
            failed = 0
        return failed

    def _effects(self, ticket_id: str, stored: StoredEntry, workloads: Workloads, *, redo: bool) -> bool:
        """Performs a change's effects; False when a redo finds its entry
        settled already. A redo reads the ticket as it is now (one read
        serves every effect) and makes its schedule what it needs now, not
        what this change once armed."""
        collection, fx, bounced = None, stored.effects, UNKNOWN
        if redo or fx.remember_customer or fx.mail or fx.block_sender is not None:
            collection = self._store.collection(ticket_id)
        if redo and collection is not None:
            current = next((e for e in collection.entries if e.sk == stored.sk), None)
            if current is not None and not current.unsettled:
                return False
        if fx.block_sender is not None and collection is not None:
            # As the ticket is now (a mark and its release redone out of order agree).
            ticket = collection.ticket
            if ticket.status == SPAM:
                self._customers.block(ticket.customer_email, stored.created_at)
            else:
                self._customers.unblock(ticket.customer_email)
        if fx.remember_customer and collection is not None and not collection.ticket.erased:
            bounced = self._customers.remember_customer(collection.ticket)
        for index, mail in enumerate(fx.mail):
            self._delivery.deliver(
                ticket_id, stored.sk, index, mail.kind, mail.to, collection=collection, bounced=bounced
            )
        if redo and (fx.arm or fx.disarm):
            self._timers.restore(ticket_id, collection.ticket if collection else None, (fx.arm, fx.disarm))
        elif fx.arm or fx.disarm:
            self._timers.follow(fx.arm, fx.disarm, ticket_id)
        if fx.assign:
            self._assignment.assign(ticket_id, workloads, collection.ticket if collection else None)
        if fx.purge_files:
            self._attachments.purge(ticket_id)
        if fx.counterpart:  # a merge's or split's other ticket: done now if the request could not
            self._merges.complete(fx.counterpart, stored.entry.author)
        self._search.follow(ticket_id, stored.entry, collection)
        return True

    def _envelopes(self, ticket_id: str, stored: StoredEntry) -> list[dict[str, Any]]:
        return [
            {
                "id": f"{ticket_id}.{stored.version}.{n}",
                "type": event.type,
                "schema_version": SCHEMA_VERSION,
                "time": stored.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "stage": self._settings.stage,
                "data": dict(event.detail),
            }
            for n, event in enumerate(stored.effects.publish)
        ]


def _settlement(ticket_id: str, stored: StoredEntry) -> Settlement:
    deltas: dict[tuple[str, str], dict[str, int]] = {}
    for day, by_counter in stored.effects.counters.items():
        for counter, delta in by_counter.items():
            deltas.setdefault((day, family_of(counter)), {})[counter] = delta
    return Settlement(ticket_id, stored.sk, deltas, marked=stored.unsettled)
