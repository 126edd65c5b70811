"""The search index's postings, in the `search` table: one item per (term,
ticket), and per ticket a record of the terms it is posted under."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from ...domain.listing import Seek
from ..tables import Posting


class PostingStore:
    def search_reader(self, terms: tuple[str, ...]) -> Seek:
        """Seeks in the postings, for domain.listing.intersect."""

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
