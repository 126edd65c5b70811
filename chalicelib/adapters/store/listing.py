"""The reads of inbox listings (domain/listing.py): each round trip's index
reads, tickets and search terms, run in parallel, so a page waits for at
most three DynamoDB round trips whatever it reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from typing import Any

from pynamodb.models import Model

from ...domain.listing import MOST_READS, POSTINGS, Answer, Chunk, Read
from ..tables import Claim, Posting, TicketTable
from .postings import PostingStore
from .tickets import TicketStore

# index -> (model, index name, range key attribute); the hash key is the index's own
_INDEXES: dict[str, tuple[type[Model], str | None, str]] = {
    "by_all": (TicketTable, "by_all", "pk"),
    "by_priority": (TicketTable, "by_priority", "g_st"),
    "by_assignee": (TicketTable, "by_assignee", "g_st"),
    "by_category": (TicketTable, "by_category", "g_st"),
    "by_due": (TicketTable, "by_due", "due_at"),
    "by_callback": (TicketTable, "by_callback", "pk"),
    "by_tag": (Claim, "by_tag", "ticket_id"),
    POSTINGS: (Posting, None, "tid"),
}
_HIGHEST = "\U0010ffff"  # above every character: "<prefix><value>" < "<prefix><below>" < anything after


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=MOST_READS, thread_name_prefix="listing")


def _below(value: str) -> str:
    """An upper bound just under `value` (key conditions take one range
    condition, so "starts with the prefix and comes before the value" is a
    BETWEEN)."""
    return value[:-1] + chr(ord(value[-1]) - 1) + _HIGHEST


def _condition(read: Read) -> Any:
    model, _, range_name = _INDEXES[read.stream.index]
    attribute = getattr(model, range_name)
    prefix, after = read.stream.prefix, read.after
    if after is None:
        return attribute.startswith(prefix) if prefix else None
    if read.descending:
        return attribute.between(prefix, prefix + _below(after)) if prefix else attribute < after
    return attribute.between(prefix + after, prefix + _HIGHEST) if prefix else attribute > after


def _query(read: Read) -> Chunk:
    model, index, range_name = _INDEXES[read.stream.index]
    answer = model._get_connection().query(
        read.stream.key,
        range_key_condition=_condition(read),
        index_name=index,
        limit=read.limit,
        scan_index_forward=not read.descending,
        select="COUNT" if read.count else None,
    )
    more = "LastEvaluatedKey" in answer
    if read.count:
        return Chunk(more=more, counted=int(answer.get("Count", 0)))
    cut = len(read.stream.prefix)
    values = tuple(item[range_name]["S"][cut:] for item in answer.get("Items", ()))
    if read.after is not None and not read.descending and read.stream.prefix:
        values = tuple(v for v in values if v != read.after)  # BETWEEN took the bound itself
    return Chunk(values, more)


class ListingReader:
    """One round trip of a listing's page (`domain.listing.Wave`)."""

    def __init__(self, store: TicketStore, postings: PostingStore) -> None:
        self._store, self._postings = store, postings

    def wave(self, reads: Sequence[Read], fetch: Sequence[str], terms: Sequence[str]) -> Answer:
        jobs: list[Callable[[], Any]] = [partial(_query, read) for read in reads]
        if fetch:
            jobs.append(lambda: self._store.tickets(fetch))
        if terms:
            jobs.append(lambda: self._postings.terms_of(terms))
        if len(jobs) == 1:
            results = [jobs[0]()]
        else:
            # Each model's connection and client are made here, once: botocore
            # sessions must not build clients from several threads at once.
            models = {_INDEXES[read.stream.index][0] for read in reads}
            models |= ({TicketTable} if fetch else set()) | ({Posting} if terms else set())
            for model in models:
                _ = model._get_connection().connection.client
            results = [future.result() for future in [_pool().submit(job) for job in jobs]]
        chunks = tuple(results[: len(reads)])
        rest = iter(results[len(reads) :])
        return Answer(chunks, next(rest) if fetch else {}, next(rest) if terms else {})
