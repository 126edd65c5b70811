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

from ..adapters import counters
from ..adapters.bus import EventBus
from ..adapters.store import Collection, StoredEntry, TicketStore, to_stored_entry
from ..adapters.tables import TicketTable
from ..config import Settings
from ..log import bound, logger
from .assignment import Assignment, Workloads
from .attachments import Attachments
from .delivery import UNKNOWN, Delivery
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
        delivery: Delivery,
        timers: Timers,
        assignment: Assignment,
        bus: EventBus,
        attachments: Attachments,
    ) -> None:
        self._settings = settings
        self._store = store
        self._delivery = delivery
        self._timers = timers
        self._assignment = assignment
        self._bus = bus
        self._attachments = attachments
        self._search = SearchIndex(store)

    def handle(self, records: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, str]]]:
        """A batch of stream records; the first that failed, for Lambda to
        deliver again from there."""
        if not records:
            return {"batchItemFailures": []}
        events: list[dict[str, Any]] = []
        contributions: list[counters.Contribution] = []
        failed: Mapping[str, Any] | None = None
        workloads = self._assignment.workloads()  # the roster, read once for the batch if it assigns
        for record in records:
            if not actionable(record):
                continue
            item = TicketTable.from_raw_data(record["dynamodb"]["NewImage"])
            stored = to_stored_entry(item)
            with bound(ticket_id=item.pk, event=stored.entry.event):
                try:
                    collection = self._effects(item.pk, stored, workloads)
                    self._search.follow(item.pk, stored.entry, collection)
                except Exception:
                    log.exception("effects failed; the stream delivers the record again")
                    failed = record
                    break
            events += self._envelopes(item.pk, stored)
            contributions.append(_contribution(record, stored.effects or {}))
        try:
            # Events first, counters last: a failure here redoes the batch,
            # which the claims make harmless, and counts nothing twice.
            if events:
                self._bus.publish(events)
            counters.apply(records[0]["eventID"], contributions)
        except Exception:
            log.exception("events or counters failed; the stream delivers the batch again")
            failed = records[0]
        return {"batchItemFailures": [{"itemIdentifier": failed["dynamodb"]["SequenceNumber"]}] if failed else []}

    def _effects(self, ticket_id: str, stored: StoredEntry, workloads: Workloads) -> Collection | None:
        """Performs a record's effects; the ticket as read for them, if it was."""
        collection = None
        fx, entry_sk, bounced = stored.effects or {}, stored.sk, UNKNOWN
        if fx.get("customer") or fx.get("mail"):
            collection = self._store.collection(ticket_id)  # one read serves every effect of the record
        if fx.get("customer") and collection is not None and not collection.ticket.erased:
            bounced = self._store.remember_customer(collection.ticket)
        for index, (kind, to) in enumerate(fx.get("mail", ())):
            self._delivery.deliver(ticket_id, entry_sk, index, kind, to, collection=collection, bounced=bounced)
        if fx.get("arm") or fx.get("disarm"):
            self._timers.follow(fx.get("arm"), fx.get("disarm"), ticket_id)
        if fx.get("assign"):
            self._assignment.assign(ticket_id, workloads, collection.ticket if collection else None)
        if fx.get("purge_files"):
            self._attachments.purge(ticket_id)
        return collection

    def _envelopes(self, ticket_id: str, stored: StoredEntry) -> list[dict[str, Any]]:
        published = (stored.effects or {}).get("publish", ())
        return [
            {
                "id": f"{ticket_id}.{stored.version}.{n}",
                "type": event["type"],
                "schema_version": SCHEMA_VERSION,
                "time": stored.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "stage": self._settings.stage,
                "data": event["detail"],
            }
            for n, event in enumerate(published)
        ]


def _contribution(record: Mapping[str, Any], fx: Mapping[str, Any]) -> counters.Contribution:
    deltas: dict[tuple[str, str], dict[str, int]] = {}
    for day, moved in fx.get("counters", {}).items():
        for counter, delta in moved.items():
            deltas.setdefault((day, counters.family_of(counter)), {})[counter] = int(delta)
    return counters.Contribution(int(record["dynamodb"]["SequenceNumber"]), deltas)
