"""Inbox listings: every combination of filters, search words and order the
API offers, each page in at most three round trips of bounded reads.

A listing is planned (`plan`) as sources, each a set of tickets read as the
union of its streams: key ranges of an index, or a term's postings in the
search table (every ticket is posted under its words and its filter values,
domain/search.py). Every stream is read in the listing's order, so a page
reads the same short range of each in parallel (`page`):

- A combination with an index of its own (none, one filter, status with one
  other, a tag, the SLA order alone, the callback queue) is one source: each
  of its streams reads one more than a page from where the last page ended,
  and the merge is exact. 2 round trips (the index, then the tickets).
- Any other newest-first combination, search words included, intersects its
  sources over the range of ticket ids (time order) that all of them have
  been read through: a first short read of each shows how dense each is, a
  second reads on just far enough to fill the page or to the page's read
  budget. What lies beyond that range is left to the next page (the cursor
  is the position reached), so a page may hold fewer tickets than asked,
  and says how far it looked (`searched_to`). 3 round trips.
- The SLA order with filters or words reads a bounded slice of the due-time
  index, narrowed by the filters' sets of open tickets (read whole when they
  fit the budget); what no set settled is checked on the candidates
  themselves (their record of search terms, or the tickets): again bounded,
  again a cursor at the position reached. At most 3 round trips.

Counts: a listing read to its end on its first page knows its count; a
listing with an index of its own counts the rest of its ranges (Select=COUNT,
up to COUNT_ENTRIES entries) in the same round trip as the page's tickets;
either travels in the cursor. Otherwise the count is unknown and the page
says how far it looked.

Pure: the store runs each round trip (`Wave`), reading everything asked in
parallel."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..clock import iso
from . import search
from . import ticket as tickets
from .errors import FieldError, InvalidInput

SHARDS = 4  # write shards of by_all and by_due (adapters/tables.py)
FILTERS = ("status", "priority", "assignee", "category", "tag", "callback")  # GET /tickets' filter parameters
SORTS = ("newest", "sla")
NEWEST, OLDEST, SLA = "newest", "oldest", "sla"
# Indexes keyed by a field, ranged by "<status>#<ticket id>".
FIELD_INDEXES = {"assignee": "by_assignee", "category": "by_category", "priority": "by_priority"}
POSTINGS = "postings"  # a term's postings in the search table, by ticket id

# Read budgets per page, in index entries (an entry is 40 to 100 bytes; a read
# unit covers 8 KB of them read eventually consistent), tickets and records.
# With the page's 25 tickets (half a unit each) a page stays under 50 units.
WAVE_ENTRIES = 400  # the first read of an intersection, shared by its streams
PAGE_ENTRIES = 2_400  # all index reads of an intersection's page
DUE_SLICE = 700  # due-index entries of a filtered SLA page
SET_ENTRIES = 1_000  # the filters' and words' sets of an SLA page, between them
MISSING = 15  # tickets of sets read whole that the due slice did not reach, fetched to place them
CHECKED_TICKETS = 48  # tickets a filtered SLA page fetches: those to show and those no set settled, to check
CHECKED_TERMS = 24  # with words: candidates no set settled, checked on their record of terms first
COUNT_ENTRIES = 1_000  # index entries a first page may count beyond what it read
MOST_READS = 24  # reads of one round trip at most (8 words and every filter): the store makes them all at once


def due_key(ticket: Any) -> str | None:
    """A ticket's place in the SLA order (by_due's range key): its most urgent due time, then its id."""
    urgent = most_urgent(ticket)
    return f"{iso(urgent[1].due_at)}#{ticket.id}" if urgent else None


def most_urgent(ticket: Any) -> tuple[str, Any] | None:
    """(metric, clock) of an open ticket's running target due first, if any:
    the SLA order's key and the inbox badge's target."""
    running = [(m, c) for m, c in ticket.clocks.items() if c.due_at is not None and not c.outcome]
    if not running or not ticket.is_open:
        return None
    return min(running, key=lambda mc: mc[1].due_at)


@dataclass(frozen=True)
class Stream:
    """One key range: `key` on the index's hash key, range keys starting with
    `prefix`. What follows the prefix is the stream's value: a ticket id, or
    for by_due "<due time>#<ticket id>"."""

    index: str
    key: str
    prefix: str = ""


@dataclass(frozen=True)
class Source:
    """A set of tickets: the union of its streams (they never overlap)."""

    streams: tuple[Stream, ...]


@dataclass(frozen=True)
class Plan:
    """`include`: every ticket listed is in each (the SLA order: the first is
    the due order, the others the sets of the filters' open tickets and of
    the words); `exclude`: in none of these; `words`: the search words (the
    SLA order checks them on the candidates no set settled)."""

    order: str
    include: tuple[Source, ...]
    exclude: tuple[Source, ...] = ()
    words: tuple[str, ...] = ()

    @property
    def own_index(self) -> bool:
        """One source and nothing else to check: the merge of its streams is the listing."""
        return len(self.include) == 1 and not self.exclude and not self.words


def _union(*streams: Stream) -> Source:
    return Source(tuple(streams))


def _posting(name: str, value: str) -> Source:
    return _union(Stream(POSTINGS, search.filter_term(name, value)))


def plan(filters: Mapping[str, str], words: Sequence[str] = (), sort: str = "newest") -> Plan:
    """The sources of a listing. `sort=sla` lists open tickets with a running
    SLA target by the due time of the most urgent one, the most overdue first;
    `callback=requested` the open callback requests, oldest first."""
    given = {k: v for k, v in filters.items() if v}
    if sort not in SORTS:
        raise InvalidInput([FieldError("sort", "must be one of: " + ", ".join(SORTS))])
    if "callback" in given:
        if given["callback"] != "requested":
            raise InvalidInput([FieldError("callback", "must be: requested")])
        if len(given) > 1 or words or sort != "newest":
            raise InvalidInput(
                [FieldError("callback", "is the callback queue, in its own order: it takes no other filter or search")]
            )
        return Plan(OLDEST, (_union(Stream("by_callback", "callback")),))
    status = given.get("status")
    fields = [name for name in FIELD_INDEXES if name in given]
    if sort == SLA:
        return _by_due(given, tuple(words), status, fields)
    tag = (_union(Stream("by_tag", given["tag"])),) if "tag" in given else ()
    postings = tuple(_union(Stream(POSTINGS, word)) for word in words)
    if status and fields:  # the field's index ranged by the status: the most selective sets there are
        include = tuple(_union(Stream(FIELD_INDEXES[f], given[f], f"{status}#")) for f in fields)
    elif status:
        include = (
            (_posting("status", status),)
            if tag or postings
            else (_union(*(Stream("by_priority", p, f"{status}#") for p in tickets.PRIORITIES)),)
        )
    elif len(fields) == 1 and not tag and not postings:
        field_ = fields[0]
        statuses = tickets.listed_statuses()
        return Plan(NEWEST, (_union(*(Stream(FIELD_INDEXES[field_], given[field_], f"{s}#") for s in statuses)),))
    elif fields:
        include = tuple(_posting(f, given[f]) for f in fields)
    elif not tag and not postings:
        return Plan(NEWEST, (_union(*(Stream("by_all", f"all#{n}") for n in range(SHARDS))),))
    else:
        include = ()
    # Without a status, postings and tags hold hidden tickets too: the hidden statuses' postings leave them out.
    shown = tickets.listed_statuses()
    hidden = () if status else tuple(_posting("status", s) for s in sorted(tickets.STATUSES) if s not in shown)
    return Plan(NEWEST, include + tag + postings, hidden)


def _by_due(given: Mapping[str, str], words: tuple[str, ...], status: str | None, fields: list[str]) -> Plan:
    """The SLA order: the due index, and each filter as the set of open
    tickets it holds (only open tickets have a running target)."""
    due = _union(*(Stream("by_due", f"due#{n}") for n in range(SHARDS)))
    if status is not None and status not in tickets.OPEN_STATUSES:
        return Plan(SLA, (due, Source(())), words=words)  # an empty set: nothing is listed
    statuses = (status,) if status else tuple(s for s in tickets.OPEN_STATUSES if s in tickets.listed_statuses())
    sets = [_union(*(Stream(FIELD_INDEXES[f], given[f], f"{s}#") for s in statuses)) for f in fields]
    if status and not fields:
        sets.append(_union(*(Stream("by_priority", p, f"{status}#") for p in tickets.PRIORITIES)))
    if "tag" in given:
        sets.append(_union(Stream("by_tag", given["tag"])))
    sets += [_union(Stream(POSTINGS, word)) for word in words]
    return Plan(SLA, (due, *sets), words=words)


def matches(ticket: Any, filters: Mapping[str, str]) -> bool:
    """Whether a ticket, as it is now, belongs in a listing with these filters
    (indexes follow their table within moments: a ticket that has just left a
    listing is not shown in it)."""
    if not filters.get("status") and ticket.status not in tickets.listed_statuses():
        return False
    for name, value in filters.items():
        if name == "tag":
            if value not in ticket.tags:
                return False
        elif name == "callback":
            if not (ticket.is_open and ticket.callback and ticket.callback.get("status") == value):
                return False
        elif getattr(ticket, name) != value:
            return False
    return True


# Reading


@dataclass(frozen=True)
class Read:
    """Up to `limit` values of a stream after `after` (exclusive) in the
    stream's order; `count`: only how many (Select=COUNT)."""

    stream: Stream
    after: str | None
    limit: int
    descending: bool
    count: bool = False


@dataclass(frozen=True)
class Chunk:
    """What a read found: its values (or `counted`), and whether the stream
    may hold more beyond them (DynamoDB's LastEvaluatedKey)."""

    values: tuple[str, ...] = ()
    more: bool = False
    counted: int = 0


@dataclass(frozen=True)
class Answer:
    chunks: tuple[Chunk, ...] = ()
    tickets: Mapping[str, Any] = field(default_factory=dict)  # id -> domain Ticket, of those that exist
    terms: Mapping[str, frozenset[str]] = field(default_factory=dict)  # id -> search terms


Wave = Callable[[Sequence[Read], Sequence[str], Sequence[str]], Answer]
"""One round trip: (index reads, ticket ids to fetch, ticket ids whose search
terms to fetch), all in parallel."""


@dataclass
class Page:
    """A page of a listing: its tickets in order; the position after them
    (None at the end); the count where known (`exact` False: at least);
    how far it looked when it stopped short of its limit; what it read."""

    tickets: list[Any]
    after: str | None
    count: int | None = None
    exact: bool = True
    searched_to: str | None = None
    round_trips: int = 0
    queries: int = 0
    entries: int = 0
    counted: int = 0
    fetched: int = 0
    terms: int = 0


def ticket_id(value: str) -> str:
    return value.rsplit("#", 1)[-1]


class _Reading:
    """The round trips of one page and what they read."""

    def __init__(self, wave: Wave, result: Page) -> None:
        self._wave, self._page = wave, result

    def __call__(self, reads: Sequence[Read] = (), fetch: Sequence[str] = (), terms: Sequence[str] = ()) -> Answer:
        if not (reads or fetch or terms):
            return Answer()
        answer = self._wave(reads, fetch, terms)
        page = self._page
        page.round_trips += 1
        page.queries += len(reads)
        page.entries += sum(len(c.values) for c in answer.chunks)
        page.counted += sum(c.counted for c in answer.chunks)
        page.fetched += len(fetch)
        page.terms += len(terms)
        return answer


class _Stream:
    """A stream's progress within a page."""

    def __init__(self, stream: Stream, source: int) -> None:
        self.stream, self.source = stream, source
        self.values: list[str] = []
        self.more = True

    def took(self, chunk: Chunk) -> None:
        self.values += chunk.values
        self.more = chunk.more and bool(chunk.values)

    @property
    def last(self) -> str | None:
        return self.values[-1] if self.values else None


def page(
    chosen: Plan,
    filters: Mapping[str, str],
    after: str | None,
    limit: int,
    wave: Wave,
    count: tuple[int, bool] | None = None,
) -> Page:
    """The page after position `after` (None: the first page). `count` is
    what an earlier page of the listing knew of its count."""
    result = Page([], None)
    reading = _Reading(wave, result)
    if any(not source.streams for source in chosen.include):  # a set known to be empty
        result.count = 0
    elif chosen.order == SLA and not chosen.own_index:
        _due_page(chosen, filters, after, limit, reading, result)
    else:
        _merged_page(chosen, filters, after, limit, reading, result)
    if count is not None and result.count is None:
        result.count, result.exact = count
    return result


def _before(a: str, b: str, descending: bool) -> bool:
    return a > b if descending else a < b


def _reach(streams: Sequence[_Stream], descending: bool) -> str | None:
    """The position up to which every stream is known (None: all of them to their end)."""
    open_ends = [s.last for s in streams if s.more and s.last is not None]
    if not open_ends:
        return None
    return (max if descending else min)(open_ends)


def _known(value: str, reach: str | None, descending: bool) -> bool:
    return reach is None or value == reach or _before(value, reach, descending)


def _bounded(chosen: Plan, streams: Sequence[_Stream], reach: str | None, descending: bool) -> str | None:
    """None (the listing ends) when a source to include was read to its end
    and all of it lies within the known range: nothing beyond can match."""
    for i in range(len(chosen.include)):
        parts = [s for s in streams if s.source == i]
        if not any(s.more for s in parts) and all(_known(v, reach, descending) for s in parts for v in s.values):
            return None
    return reach


def _members(chosen: Plan, streams: Sequence[_Stream], reach: str | None, descending: bool) -> list[str]:
    """Values every include source holds and no exclude source does, within the known range, in order."""
    sets: list[set[str]] = [set() for _ in range(len(chosen.include) + len(chosen.exclude))]
    for s in streams:
        sets[s.source].update(ticket_id(v) for v in s.values if _known(v, reach, descending))
    included, excluded = sets[: len(chosen.include)], sets[len(chosen.include) :]
    first = [v for s in streams if s.source == 0 for v in s.values if _known(v, reach, descending)]
    found = {
        v
        for v in first
        if all(ticket_id(v) in members for members in included[1:])
        and not any(ticket_id(v) in members for members in excluded)
    }
    return sorted(found, reverse=descending)


def _merged_page(
    chosen: Plan, filters: Mapping[str, str], after: str | None, limit: int, reading: _Reading, result: Page
) -> None:
    """Newest or oldest first by id (or by due time for the SLA order alone):
    one source merged, or several intersected over the range all have been read through."""
    descending = chosen.order == NEWEST
    streams = [_Stream(s, i) for i, source in enumerate((*chosen.include, *chosen.exclude)) for s in source.streams]
    if not streams:
        return
    single = chosen.own_index
    first = limit + 1 if single else max(limit + 1, WAVE_ENTRIES // len(streams))
    answer = reading([Read(s.stream, after, first, descending) for s in streams])
    for s, chunk in zip(streams, answer.chunks, strict=True):
        s.took(chunk)
    reach = _bounded(chosen, streams, _reach(streams, descending), descending)
    found = _members(chosen, streams, reach, descending)
    if not single and len(found) <= limit and reach is not None:
        extension = _extension(streams, after, found, limit, PAGE_ENTRIES - result.entries)
        if extension:
            answer = reading([Read(s.stream, s.last, n, descending) for s, n in extension])
            for (s, _), chunk in zip(extension, answer.chunks, strict=True):
                s.took(chunk)
            reach = _bounded(chosen, streams, _reach(streams, descending), descending)
            found = _members(chosen, streams, reach, descending)
    shown = found[:limit]
    counting: list[Read] = []
    if after is None and reach is None:
        result.count, result.exact = len(found), True
    elif after is None and single:
        share = max(1, COUNT_ENTRIES // sum(1 for s in streams if s.more))
        counting = [Read(s.stream, s.last, share, descending, count=True) for s in streams if s.more]
    answer = reading(counting, [ticket_id(v) for v in shown], ())
    if counting:
        more = [c for c in answer.chunks if c.more]
        result.count = sum(len(s.values) for s in streams) + sum(c.counted for c in answer.chunks)
        result.exact = not more
    _finish(result, shown, found, reach, limit, answer.tickets, filters, open_only=chosen.order == SLA)


def _finish(
    result: Page,
    shown: Sequence[str],
    candidates: Sequence[str],
    reach: str | None,
    limit: int,
    fetched: Mapping[str, Any],
    filters: Mapping[str, str],
    *,
    open_only: bool = False,
    settled: str | None = None,
) -> None:
    """The page's tickets (as they are now) and the position after them: the
    last one shown when more candidates are known, else how far the reads
    reached (`settled`: how far the checks did)."""
    for value in shown:
        found = fetched.get(ticket_id(value))
        if found is not None and matches(found, filters) and (most_urgent(found) is not None or not open_only):
            result.tickets.append(found)
    if len(candidates) > limit:
        result.after = shown[-1]
    else:
        result.after = settled or reach
    if result.after is not None and len(shown) < limit:
        result.searched_to = result.after


def _extension(
    streams: Sequence[_Stream], after: str | None, found: Sequence[str], limit: int, budget: int
) -> list[tuple[_Stream, int]]:
    """How far to read on each stream that ends the known range: as far as
    the page still needs at the rate it found tickets so far (all of the
    budget when it found none), each stream by its density so that all reach
    the same position; within the budget."""
    going = [s for s in streams if s.more and s.last is not None]
    if not going or budget <= 0:
        return []
    values = [v for s in streams for v in s.values]
    top = position(after) if after is not None else max(position(v) for v in values)
    reach = max(position(s.last) for s in going if s.last is not None)
    rate = {id(s): len(s.values) / max(top - position(s.last or ""), 1e-9) for s in going}

    def cost(target: float) -> float:
        return sum(rate[id(s)] * max(0.0, position(s.last or "") - target) for s in going)

    # Below every stream's end by budget / total rate, the cost exceeds the budget.
    lowest = min(position(s.last or "") for s in going) - budget / max(sum(rate.values()), 1e-9) - 1
    target = lowest
    if found:
        needed = (limit + 1 - len(found)) * (top - reach) / len(found) * 1.25
        target = max(lowest, reach - needed)
    if cost(target) > budget:  # the furthest position the budget reaches
        low, high = target, reach
        for _ in range(50):
            middle = (low + high) / 2
            low, high = (middle, high) if cost(middle) > budget else (low, middle)
        target = high
    plan = []
    for s in going:
        n = int(rate[id(s)] * max(0.0, position(s.last or "") - target)) + 1
        if position(s.last or "") > target:
            plan.append((s, min(max(n, limit + 1), budget)))
    return plan


def _due_page(
    chosen: Plan, filters: Mapping[str, str], after: str | None, limit: int, reading: _Reading, result: Page
) -> None:
    """The SLA order with filters or words: a slice of the due index from
    `after`, and each filter's or word's set read newest first, in one round
    trip. When the sets are read whole, they name the tickets to list: those
    the slice did not reach are fetched and placed by their own due time, if
    few. Otherwise open tickets are mostly recent, so the sets settle most
    candidates, and the others (old, forgotten tickets, which the SLA order
    puts first) are checked on their ticket, or for words on their record
    of search terms first, as many as the page may fetch; the page ends
    before the first candidate it could not settle."""
    due, sets = chosen.include[0], chosen.include[1:]
    streams = [_Stream(s, 0) for s in due.streams]
    members = [_Stream(s, i + 1) for i, source in enumerate(sets) for s in source.streams]
    slice_ = max(limit + 1, DUE_SLICE // len(streams))
    share = max(limit + 1, SET_ENTRIES // len(members))
    answer = reading(
        [Read(s.stream, after, slice_, False) for s in streams] + [Read(s.stream, None, share, True) for s in members]
    )
    for s, chunk in zip([*streams, *members], answer.chunks, strict=True):
        s.took(chunk)
    reach = _reach(streams, False)
    candidates = sorted(v for s in streams for v in s.values if _known(v, reach, False))
    parts = [[m for m in members if m.source == i + 1] for i in range(len(sets))]
    if all(not m.more for m in members):
        _whole_sets(filters, after, limit, reading, result, candidates, parts, reach)
        return
    if after is None and reach is None:
        result.count = _settled_count(candidates, parts)  # when the sets settled every candidate
    taken, unsure, stopped = _settle(candidates, parts, limit, bool(chosen.words))
    settled = taken[-1] if stopped else None
    if chosen.words and unsure:
        required = set(chosen.words) | {search.filter_term(k, v) for k, v in filters.items() if k in search.FILTERS}
        terms = reading((), (), [ticket_id(v) for v in unsure]).terms
        failed = {v for v in unsure if not required <= terms.get(ticket_id(v), frozenset())}
        taken, unsure = [v for v in taken if v not in failed], set()
    fetched = reading((), [ticket_id(v) for v in (taken[:limit] if chosen.words else taken)], ()).tickets
    passing = [
        v for v in taken if v not in unsure or ((t := fetched.get(ticket_id(v))) is not None and matches(t, filters))
    ]
    if after is None and reach is None and not stopped and result.count is None:
        result.count = len(passing)
    _finish(result, passing[:limit], passing, reach, limit, fetched, filters, open_only=True, settled=settled)


def _whole_sets(
    filters: Mapping[str, str],
    after: str | None,
    limit: int,
    reading: _Reading,
    result: Page,
    candidates: Sequence[str],
    parts: Sequence[Sequence[_Stream]],
    reach: str | None,
) -> None:
    """The SLA order when every set was read whole: the tickets in all of
    them are the ones to list, in due order; those beyond the slice read are
    fetched and placed by their own due time when they are few."""
    held = set.intersection(*({v for m in part for v in m.values} for part in parts))
    listed = [v for v in candidates if ticket_id(v) in held]
    missing = held - {ticket_id(v) for v in candidates}
    if reach is None or not missing or len(missing) > MISSING:
        fetched = reading((), [ticket_id(v) for v in listed[:limit]], ()).tickets
        if after is None and reach is None:
            result.count = len(listed)
        _finish(result, listed[:limit], listed, reach, limit, fetched, filters, open_only=True)
        return
    fetched = reading((), [*(ticket_id(v) for v in listed[:limit]), *sorted(missing)], ()).tickets
    for ticket_id_ in missing:
        found = fetched.get(ticket_id_)
        key = due_key(found) if found is not None else None
        if key is not None and (after is None or key > after):
            listed.append(key)
    listed.sort()
    if after is None:
        result.count = len(listed)
    _finish(result, listed[:limit], listed, None, limit, fetched, filters, open_only=True)


def _memberships(candidates: Sequence[str], parts: Sequence[Sequence[_Stream]]) -> list[list[bool | None]]:
    """Per candidate, whether each set holds it (None: not read that far)."""
    known = [(_reach(part, True), {v for m in part for v in m.values}) for part in parts]
    return [[_member(ticket_id(v), below, held) for below, held in known] for v in candidates]


def _settled_count(candidates: Sequence[str], parts: Sequence[Sequence[_Stream]]) -> int | None:
    memberships = _memberships(candidates, parts)
    return None if any(None in m for m in memberships) else sum(1 for m in memberships if all(m))


def _settle(
    candidates: Sequence[str], parts: Sequence[Sequence[_Stream]], limit: int, words: bool
) -> tuple[list[str], set[str], bool]:
    """Walking the candidates in order: those the page takes (up to `limit`
    the sets say belong, and those no set could settle, to be checked: as
    many as the page may fetch), the unsettled among them, and whether the
    walk stopped before the end."""
    taken: list[str] = []
    unsure: set[str] = set()
    sure = 0
    for value, membership in zip(candidates, _memberships(candidates, parts), strict=True):
        if False in membership:
            continue
        unsettled = None in membership
        if sure >= limit or (len(unsure) >= CHECKED_TERMS and unsettled if words else len(taken) >= CHECKED_TICKETS):
            return taken, unsure, True
        if unsettled:
            unsure.add(value)
        else:
            sure += 1
        taken.append(value)
    return taken, unsure, False


def _member(ticket: str, below: str | None, held: set[str]) -> bool | None:
    """Whether a set read newest first down to `below` (None: whole) holds a ticket; None: unknown."""
    if ticket in held:
        return True
    return None if below is not None and ticket < below else False


# Positions


_CROCKFORD = {c: i for i, c in enumerate("0123456789ABCDEFGHJKMNPQRSTVWXYZ")}


def position(value: str) -> float:
    """A number that grows with the value: a ULID's milliseconds (ticket ids
    are ULIDs, so equal spans are equal times), else its first characters."""
    head = ticket_id(value)[:10]
    if len(head) == 10 and all(c in _CROCKFORD for c in head):
        number = 0
        for c in head:
            number = number * 32 + _CROCKFORD[c]
        return float(number)
    number = 0
    for c in head.ljust(10, "\0"):
        number = number * 128 + min(ord(c), 127)
    return float(number)


def moment(chosen: Plan, value: str) -> datetime | None:
    """When a position is: the due time (the SLA order) or the ticket's creation (ids are ULIDs)."""
    if chosen.order == SLA:
        try:
            return datetime.fromisoformat(value.split("#", 1)[0].replace("Z", "+00:00"))
        except ValueError:
            return None
    head = ticket_id(value)[:10]
    if len(head) != 10 or not all(c in _CROCKFORD for c in head):
        return None
    return datetime.fromtimestamp(position(value) / 1000, UTC)
