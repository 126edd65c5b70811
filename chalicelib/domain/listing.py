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

from .errors import FieldError, InvalidInput
from .ticket import PRIORITIES, STATUSES

SHARDS = 4


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
SUPPORTED = ("none", "status", "priority", "assignee", "category", "tag", "status+priority", "status+assignee",
             "status+category")


def plan(filters: Mapping[str, str]) -> Plan:
    given = frozenset(k for k, v in filters.items() if v)
    status = filters.get("status")
    if given == frozenset():
        return Plan(tuple(Stream("by_all", f"all#{n}") for n in range(SHARDS)))
    if given == {"tag"}:
        return Plan((Stream("by_tag", filters["tag"]),))
    if given == {"status"}:
        return Plan(tuple(Stream("by_priority", p, f"{status}#") for p in PRIORITIES))
    for dimension, index in (("priority", "by_priority"), ("assignee", "by_assignee"), ("category", "by_category")):
        if given == {dimension}:
            return Plan(tuple(Stream(index, filters[dimension], f"{s}#") for s in STATUSES))
        if given == {"status", dimension}:
            return Plan((Stream(index, filters[dimension], f"{status}#"),))
    raise InvalidInput([FieldError(
        "filters", f"this combination ({' + '.join(sorted(given))}) is not supported; use one of: "
                   + ", ".join(SUPPORTED))])


@dataclass
class State:
    """Where each stream stands: the last sort value read from it, whether it
    is exhausted, and what was read and not yet returned."""
    after: list[str | None]
    done: list[bool]
    buffered: list[list[str]] = field(default_factory=list)

    @classmethod
    def start(cls, count: int) -> "State":
        return cls([None] * count, [False] * count, [[] for _ in range(count)])

    def to_json(self) -> dict:
        return {"a": self.after, "d": self.done, "b": self.buffered}

    @classmethod
    def from_json(cls, document: Mapping, count: int) -> "State":
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
        pick = (max if listing.newest_first else min)(heads, key=lambda i: _order(buffers[i][0]))
        taken.append(buffers[pick].pop(0))
    return taken, State(after, done, buffers), reads


def _order(sort_value: str) -> str:
    # Newest first compares ticket ids (time-ordered); other orders compare the whole value.
    return sort_value
