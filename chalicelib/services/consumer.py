"""The stream consumer: every change's entry, read from the `tickets`
table's stream, turned into its effects. The request wrote once; this does
the rest: emails, the ticket's schedule, the customer's contact data,
automatic assignment, the search index, outgoing events and the metric
counters.

Idempotent under redelivery: an email is claimed before it is sent, a
schedule is put by name, contact data is set (not added), assignment only
assigns the unassigned, removing an erased ticket's files again finds none,
events carry stable ids, and counters remember the batch they applied.
Records are handled in order (a ticket's records share a shard); the first
that fails is reported (ReportBatchItemFailures), so the ones before it are
never redone and the ones after it wait their turn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..adapters.bus import EventBus
from ..adapters.counters import Contribution, MetricCounters, family_of
from ..adapters.store.customers import CustomerStore
from ..adapters.store.items import StoredEntry, stream_entry
from ..adapters.store.tickets import Collection, TicketStore
from ..config import Settings
from ..log import bound, logger
from .assignment import Assignment, Workloads
from .attachments import Attachments
from .delivery import UNKNOWN, MailDelivery
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

    def handle(self, records: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, str]]]:
        """A batch of stream records; the first that failed, for Lambda to
        deliver again from there."""
        if not records:
            return {"batchItemFailures": []}
        events: list[dict[str, Any]] = []
        contributions: list[Contribution] = []
        failed: Mapping[str, Any] | None = None
        workloads = self._assignment.workloads()  # the roster, read once for the batch if it assigns
        for record in records:
            if not actionable(record):
                continue
            ticket_id, stored = stream_entry(record["dynamodb"]["NewImage"])
            with bound(ticket_id=ticket_id, event=stored.entry.event):
                try:
                    collection = self._effects(ticket_id, stored, workloads)
                    self._search.follow(ticket_id, stored.entry, collection)
                except Exception:
                    log.exception("effects failed; the stream delivers the record again")
                    failed = record
                    break
            events += self._envelopes(ticket_id, stored)
            contributions.append(_contribution(record, stored.effects.counters))
        try:
            # Events first, counters last: a failure here redoes the batch,
            # which the claims make harmless, and counts nothing twice.
            if events:
                self._bus.publish(events)
            self._counters.apply(records[0]["eventID"], contributions)
        except Exception:
            log.exception("events or counters failed; the stream delivers the batch again")
            failed = records[0]
        return {"batchItemFailures": [{"itemIdentifier": failed["dynamodb"]["SequenceNumber"]}] if failed else []}

    def _effects(self, ticket_id: str, stored: StoredEntry, workloads: Workloads) -> Collection | None:
        """Performs a record's effects; the ticket as read for them, if it was."""
        collection = None
        fx, bounced = stored.effects, UNKNOWN
        if fx.remember_customer or fx.mail:
            collection = self._store.collection(ticket_id)  # one read serves every effect of the record
        if fx.remember_customer and collection is not None and not collection.ticket.erased:
            bounced = self._customers.remember_customer(collection.ticket)
        for index, mail in enumerate(fx.mail):
            self._delivery.deliver(
                ticket_id, stored.sk, index, mail.kind, mail.to, collection=collection, bounced=bounced
            )
        if fx.arm or fx.disarm:
            self._timers.follow(fx.arm, fx.disarm, ticket_id)
        if fx.assign:
            self._assignment.assign(ticket_id, workloads, collection.ticket if collection else None)
        if fx.purge_files:
            self._attachments.purge(ticket_id)
        return collection

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


def _contribution(record: Mapping[str, Any], moved: Mapping[str, Mapping[str, int]]) -> Contribution:
    deltas: dict[tuple[str, str], dict[str, int]] = {}
    for day, by_counter in moved.items():
        for counter, delta in by_counter.items():
            deltas.setdefault((day, family_of(counter)), {})[counter] = delta
    return Contribution(int(record["dynamodb"]["SequenceNumber"]), deltas)
