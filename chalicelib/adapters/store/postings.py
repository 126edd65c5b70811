"""The search index's postings, in the `search` table: one item per (term,
ticket), and per ticket a record of the terms it is posted under."""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.exceptions import DoesNotExist

from ..tables import Posting


class PostingStore:
    def terms_of(self, ticket_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        """What each ticket is indexed under (one BatchGetItem per 100, eventually consistent)."""
        keys = [(f"#{i}", "#") for i in dict.fromkeys(ticket_ids)]
        return {item.term[1:]: frozenset(item.terms or ()) for item in Posting.batch_get(keys)} if keys else {}

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
