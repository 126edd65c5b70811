"""The inbox (GET /tickets): any combination of filters, search words and
order, in pages of bounded reads (domain/listing.py), with the number of
matching tickets where the reads know it and, where a page stopped short,
how far it looked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..adapters.secrets import SigningKey
from ..adapters.store.listing import ListingReader
from ..clock import Clock, iso
from ..domain import cursor as cursors
from ..domain import listing, search
from ..domain import ticket as tickets
from ..domain.errors import FieldError, InvalidInput
from ..domain.validation import one_of
from ..views.tickets import summary


class ListingService:
    def __init__(self, clock: Clock, reader: ListingReader, signing_key: SigningKey) -> None:
        self._clock = clock
        self._reader = reader
        self._signing_key = signing_key

    def list(
        self, filters: Mapping[str, str], limit: int, cursor: str | None, *, q: str | None = None, sort: str = "newest"
    ) -> dict[str, Any]:
        unknown = [
            FieldError(name, one_of(values))
            for name, values in (("status", tickets.STATUSES), ("priority", tickets.PRIORITIES))
            if filters.get(name) not in (None, *values)
        ]
        if unknown:
            raise InvalidInput(unknown)
        given = {k: filters[k] for k in listing.FILTERS if filters.get(k)}
        words = search.query_words(q) if q is not None and q.strip() else ()
        chosen = listing.plan(given, words, sort)
        # A cursor continues only the listing it came from.
        scope = "&".join([*(f"{k}={v}" for k, v in sorted(given.items())), "q=" + " ".join(words), "sort=" + sort])
        after, known, seen = self._position(cursor, scope)
        page = listing.page(chosen, given, after, limit, self._reader.wave, known)
        if page.after is None and page.count is None:  # the end: every page before counted what it showed
            page.count, page.exact = seen + len(page.tickets), True
        position: dict[str, Any] = {"after": page.after, "seen": seen + len(page.tickets)}
        if page.count is not None:
            position |= {"count": page.count, "exact": page.exact}
        now = self._clock.now()
        searched = listing.moment(chosen, page.searched_to) if page.searched_to else None
        items = [summary(t, now) for t in page.tickets]
        return {
            "items": items,
            "next_cursor": cursors.encode(position, scope, self._signing_key()) if page.after else None,
            "server_time": iso(now),
            "count": {"value": page.count, "exact": page.exact} if page.count is not None else None,
            "searched_to": iso(searched) if searched else None,
            "read": {
                "round_trips": page.round_trips,
                "queries": page.queries,
                "index_entries": page.entries,
                "counted": page.counted,
                "tickets_fetched": page.fetched,
                "terms_fetched": page.terms,
                "returned": len(items),
            },
        }

    def _position(self, cursor: str | None, scope: str) -> tuple[str | None, tuple[int, bool] | None, int]:
        """Where the last page ended, the count it knew, and how many tickets the pages so far showed."""
        if not cursor:
            return None, None, 0
        position = cursors.decode(cursor, scope, self._signing_key.accepted())
        after, count, exact, seen = (position.get(k) for k in ("after", "count", "exact", "seen"))
        if not isinstance(after, str) or not isinstance(seen, int) or not (count is None or isinstance(count, int)):
            raise InvalidInput([FieldError("cursor", "is not a cursor from this listing")])
        return after, (count, exact is not False) if count is not None else None, seen
