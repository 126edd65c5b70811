"""The search index, kept by the stream consumer: after each change that can
alter what a ticket is found by, its postings become those of the ticket as
it is now (read again, consistently), so a redelivered or late record
converges on the same index."""

from __future__ import annotations

from ..adapters.store.postings import PostingStore
from ..adapters.store.tickets import Collection, TicketStore
from ..domain import search
from ..domain.ticket import Entry


class SearchIndex:
    def __init__(self, store: TicketStore, postings: PostingStore) -> None:
        self._store = store
        self._postings = postings

    def follow(self, ticket_id: str, entry: Entry, collection: Collection | None = None) -> None:
        """`collection`: the ticket as the consumer just read it for this
        record's other effects, if it did (read again otherwise)."""
        if search.affects(entry.kind, entry.event, entry.direction, entry.data):
            self.refresh(ticket_id, collection, created=entry.event == "created")

    def refresh(self, ticket_id: str, collection: Collection | None = None, *, created: bool = False) -> None:
        """The ticket's postings made those of the ticket as it is now."""
        collection = collection or self._store.collection(ticket_id)
        # A ticket still as it was created has no postings but those its own
        # creation puts (again, when redelivered); once it has changed, a
        # redelivered creation must remove what an earlier pass indexed.
        new = created and collection is not None and len(collection.entries) == 1
        terms: frozenset[str] = frozenset()
        if collection is not None:
            texts = [  # the thread as it reads: merged tickets' messages too, not those split off
                e.entry.body
                for _, e in collection.everything()
                if e.entry.kind == "message" and e.entry.direction == "in"
            ]
            terms = search.ticket_terms(collection.ticket, texts)
        indexed: frozenset[str] = frozenset() if new else self._postings.indexed_terms(ticket_id)
        if terms != indexed:
            self._postings.index_terms(ticket_id, terms, indexed, new=new)
