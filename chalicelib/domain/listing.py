"""Inbox listings with bounded reads. Every filter combination the API
offers is a set of key ranges built for it (`plan`), each read newest first
and merged (`page`); a combination no index serves is refused with the ones
that are, never read unboundedly.

Entries read but not returned on a page travel in the cursor, so the next
page does not read them again: across a whole listing each index entry is
read once. Pure: the store passes the index reads in as `fetch`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import FieldError, InvalidInput
from .ticket import PRIORITIES, STATUSES

SHARDS = 4
FILTERS = ("status", "priority", "assignee", "category", "tag", "callback")  # GET /tickets' filter parameters


def most_urgent(ticket: Any) -> tuple[str, Any] | None:
    """(metric, clock) of an open ticket's running target due first, if any:
    the SLA order's key and the inbox badge's target."""
    running = [(m, c) for m, c in ticket.clocks.items() if c.due_at is not None and not c.outcome]
    if not running or not ticket.is_open:
        return None
    return min(running, key=lambda mc: mc[1].due_at)


@dataclass(frozen=True)
class Stream:
    """One key range of an index: `key` on its hash key, range keys starting
    with `prefix`; what follows the prefix is the sort value, whose last
    `#`-part is the ticket id."""

    index: str
    key: str
    prefix: str = ""


@dataclass(frozen=True)
class Plan:
    streams: tuple[Stream, ...]
    newest_first: bool = True


# Supported filter combinations, as the API names them.
SUPPORTED = (
    "none",
    "status",
    "priority",
    "assignee",
    "category",
    "tag",
    "status+priority",
    "status+assignee",
    "status+category",
    "callback",
    "sort=sla (alone)",
    "q (with any filters)",
)
SORTS = ("newest", "sla")


def plan(filters: Mapping[str, str], sort: str = "newest") -> Plan:
    """The key ranges of a listing. `sort=sla` lists open tickets by the due
    time of their most urgent running target, the most overdue first (a
    ticket waiting on the customer has none running); `callback=requested`
    the open callback requests, oldest first."""
    given = frozenset(k for k, v in filters.items() if v)
    status = filters.get("status")
    if sort not in SORTS:
        raise InvalidInput([FieldError("sort", "must be one of: " + ", ".join(SORTS))])
    if sort == "sla":
        if given:
            raise InvalidInput([FieldError("sort", "sort=sla takes no filters; use one of: " + ", ".join(SUPPORTED))])
        return Plan(tuple(Stream("by_due", f"due#{n}") for n in range(SHARDS)), newest_first=False)
    if given == frozenset():
        return Plan(tuple(Stream("by_all", f"all#{n}") for n in range(SHARDS)))
    if given == {"tag"}:
        return Plan((Stream("by_tag", filters["tag"]),))
    if given == {"callback"}:
        if filters["callback"] != "requested":
            raise InvalidInput([FieldError("callback", "must be: requested")])
        return Plan((Stream("by_callback", "callback"),), newest_first=False)
    if given == {"status"}:
        return Plan(tuple(Stream("by_priority", p, f"{status}#") for p in PRIORITIES))
    for dimension, index in (("priority", "by_priority"), ("assignee", "by_assignee"), ("category", "by_category")):
        if given == {dimension}:
            return Plan(tuple(Stream(index, filters[dimension], f"{s}#") for s in STATUSES))
        if given == {"status", dimension}:
            return Plan((Stream(index, filters[dimension], f"{status}#"),))
    raise InvalidInput(
        [
            FieldError(
                "filters",
                f"this combination ({' + '.join(sorted(given))}) is not supported; use one of: " + ", ".join(SUPPORTED),
            )
        ]
    )


@dataclass
class State:
    """Where each stream stands: the last sort value read from it, whether it
    is exhausted, and what was read and not yet returned."""

    after: list[str | None]
    done: list[bool]
    buffered: list[list[str]] = field(default_factory=list)

    @classmethod
    def start(cls, count: int) -> State:
        return cls([None] * count, [False] * count, [[] for _ in range(count)])

    def to_json(self) -> dict[str, Any]:
        return {"a": self.after, "d": self.done, "b": self.buffered}

    @classmethod
    def from_json(cls, document: Mapping[str, Any], count: int) -> State:
        try:
            state = cls(list(document["a"]), [bool(d) for d in document["d"]], [list(b) for b in document["b"]])
        except (KeyError, TypeError):
            raise InvalidInput([FieldError("cursor", "is not a cursor from this listing")]) from None
        if not len(state.after) == len(state.done) == len(state.buffered) == count:
            raise InvalidInput([FieldError("cursor", "is not a cursor from this listing")])
        return state

    @property
    def finished(self) -> bool:
        return all(self.done) and not any(self.buffered)


Fetch = Callable[[int, str | None, int], tuple[list[str], bool]]  # stream, after, limit -> (sort values, exhausted)


def ticket_id(sort_value: str) -> str:
    return sort_value.rsplit("#", 1)[-1]


def page(listing: Plan, state: State, limit: int, fetch: Fetch) -> tuple[list[str], State, int]:
    """Up to `limit` sort values in order, the state after them, and how many
    index entries were read."""
    streams = range(len(listing.streams))
    buffers = [list(b) for b in state.buffered]
    after, done = list(state.after), list(state.done)
    chunk = [max(1, -(-limit // len(listing.streams))) for _ in streams]
    taken: list[str] = []
    reads = 0
    while len(taken) < limit:
        for i in streams:
            if not buffers[i] and not done[i]:
                values, exhausted = fetch(i, after[i], chunk[i])
                reads += len(values)
                buffers[i] += values
                after[i] = values[-1] if values else after[i]
                done[i] = exhausted or len(values) < chunk[i]
                chunk[i] = min(chunk[i] * 2, 100)
        heads = [i for i in streams if buffers[i]]
        if not heads:
            break
        pick = (max if listing.newest_first else min)(heads, key=lambda i: buffers[i][0])
        taken.append(buffers[pick].pop(0))
    return taken, State(after, done, buffers), reads


# Search: every term's postings (ticket ids, newest first) intersected.

Seek = Callable[[int, str | None, bool, int], tuple[list[str], bool]]
"""(term, bound, bound inclusive, limit) -> (ids <= or < bound, newest first; exhausted)"""


@dataclass
class Intersection:
    """What one page of a search read: its ids, where the next page starts
    (below the last id; None when there is no more), index entries and
    queries it took."""

    ids: list[str]
    below: str | None
    entries: int
    queries: int


SEEK_READ = 64  # postings read by a seek: well within the 4 KB a read unit pays for
READ_MOST = 80  # a list read in order: about 4 KB


def intersect(terms: int, below: str | None, limit: int, seek: Seek) -> Intersection:
    """Up to `limit` ids (newest first, below `below`) present in every
    term's postings, by leapfrogging: each posting list seeks straight to the
    smallest head among them, so a common term costs a read per candidate
    the rare ones offer, not its whole list. DynamoDB bills a Query by the
    4 KB it reads (at least half a read unit), and a posting is about 50
    bytes: so each read takes up to a few dozen entries (entries are cheap,
    queries are not); one term reads its page in one go."""
    buffers: list[list[str]] = [[] for _ in range(terms)]
    exhausted = [False] * terms
    skipped = [False] * terms  # its buffer lost more than one entry at once: it is being jumped through
    # One term reads its page in one go; several start small, not knowing which is rare.
    chunk = [(min(limit + 1, READ_MOST) if terms == 1 else SEEK_READ // 2)] * terms
    read = [False] * terms
    bound, inclusive = below, below is None
    found: list[str] = []
    entries = queries = 0

    def passed(value: str) -> bool:
        return bound is not None and (value > bound or (value == bound and not inclusive))

    def drop(i: int) -> list[str]:
        buffer = buffers[i]
        gone = 0
        while buffer and passed(buffer[0]):
            buffer.pop(0)
            gone += 1
        skipped[i] = skipped[i] or gone > 1
        return buffer

    def head(i: int) -> str | None:
        nonlocal entries, queries
        buffer = drop(i)
        if not buffer and not exhausted[i]:
            if read[i]:
                chunk[i] = SEEK_READ if skipped[i] else min(chunk[i] * 2, READ_MOST)
            read[i] = True
            values, done = seek(i, bound, inclusive, chunk[i])
            entries, queries = entries + len(values), queries + 1
            exhausted[i], skipped[i] = done or len(values) < chunk[i], False
            buffer += values
        return buffer[0] if buffer else None

    while len(found) < limit:
        heads = []
        for i in range(terms):
            value = head(i)
            if value is None:
                return Intersection(found, None, entries, queries)
            heads.append(value)
        lowest = min(heads)
        if all(value == lowest for value in heads):
            found.append(lowest)
            bound, inclusive = lowest, False
        else:
            bound, inclusive = lowest, True
    # A term with nothing left below the last result: no next page (known without reading).
    over = any(exhausted[i] and not drop(i) for i in range(terms))
    return Intersection(found, None if over or not found else found[-1], entries, queries)
