"""Inbox listings (domain.listing) against an in-memory index that answers
as DynamoDB does (LastEvaluatedKey whenever a read stops at its limit):
every combination of filters, search words and order gives exactly the
matching tickets in order over its pages, each page in at most three round
trips and within its read budget, with an honest count."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain import listing, search
from chalicelib.domain import ticket as tickets
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.identifiers import _encode
from chalicelib.domain.ticket import state as ticket_state

START = datetime(2026, 11, 1, tzinfo=UTC)
AGENTS = ("kim@shop.example", "lou@shop.example")
CATEGORIES = ("shipping", "billing")
TAGS = ("vip", "refund")
WORDS = ("parcel", "jacket", "late")


@dataclass
class Ticket:
    id: str
    status: str
    priority: str
    assignee: str | None
    category: str | None
    tags: frozenset[str]
    words: frozenset[str]
    due: datetime | None = None
    callback: dict | None = None
    clocks: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.due is not None:
            self.clocks = {"first_response": SimpleNamespace(due_at=self.due, outcome=None)}

    @property
    def is_open(self) -> bool:
        return self.status in tickets.OPEN_STATUSES

    @property
    def due_value(self) -> str | None:
        return listing.due_key(self)

    @property
    def terms(self) -> frozenset[str]:
        fields = {
            "status": self.status,
            "priority": self.priority,
            "assignee": self.assignee,
            "category": self.category,
        }
        return (
            self.words
            | {search.filter_term(k, v) for k, v in fields.items() if v}
            | {search.filter_term("tag", t) for t in self.tags}
        )


class Index:
    """The app's indexes over a set of tickets, read as the store reads them."""

    def __init__(self, found: list[Ticket]) -> None:
        self.tickets = {t.id: t for t in found}
        self.reads: list[listing.Read] = []

    def _shard(self, ticket_id: str) -> int:
        return zlib.crc32(ticket_id.encode()) % listing.SHARDS

    def values(self, stream: listing.Stream) -> list[str]:
        index, key, prefix = stream.index, stream.key, stream.prefix
        ts = self.tickets.values()
        if index == "by_all":
            return [t.id for t in ts if t.status in tickets.listed_statuses() and f"all#{self._shard(t.id)}" == key]
        if index in ("by_priority", "by_assignee", "by_category"):
            name = index.removeprefix("by_")
            return [t.id for t in ts if getattr(t, name) == key and f"{t.status}#".startswith(prefix)]
        if index == "by_tag":
            return [t.id for t in ts if key in t.tags]
        if index == "by_due":
            return [t.due_value for t in ts if t.due_value and f"due#{self._shard(t.id)}" == key]
        if index == listing.POSTINGS:
            return [t.id for t in ts if key in t.terms]
        raise AssertionError(index)

    def read(self, read: listing.Read) -> listing.Chunk:
        self.reads.append(read)
        ordered = sorted(self.values(read.stream), reverse=read.descending)
        if read.after is not None:
            ordered = [v for v in ordered if (v < read.after if read.descending else v > read.after)]
        if read.count:
            return listing.Chunk(more=len(ordered) >= read.limit, counted=min(len(ordered), read.limit))
        # DynamoDB answers LastEvaluatedKey whenever the read stops at its limit, more or not.
        return listing.Chunk(tuple(ordered[: read.limit]), len(ordered) >= read.limit)

    def wave(self, reads, fetch, terms):
        assert len(fetch) <= 100 and len(terms) <= 100  # one BatchGetItem each
        return listing.Answer(
            tuple(self.read(r) for r in reads),
            {i: self.tickets[i] for i in fetch if i in self.tickets},
            {i: self.tickets[i].terms for i in terms if i in self.tickets},
        )


def ticket_ids(count: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    moments = sorted(rng.randrange(30 * 24 * 3600 * 1000) for _ in range(count))
    base = int(START.timestamp() * 1000)
    return [_encode(base + ms, 10) + _encode(rng.getrandbits(80), 16) for ms in moments]


def world(count: int, seed: int) -> list[Ticket]:
    import random

    rng = random.Random(seed)
    found = []
    for ticket_id in ticket_ids(count, seed):
        status = rng.choice(tickets.STATUSES)
        running = status in tickets.OPEN_STATUSES and rng.random() < 0.7
        found.append(
            Ticket(
                ticket_id,
                status,
                rng.choice(tickets.PRIORITIES),
                rng.choice((None, *AGENTS)),
                rng.choice((None, *CATEGORIES)),
                frozenset(t for t in TAGS if rng.random() < 0.3),
                frozenset(w for w in WORDS if rng.random() < 0.4),
                START + timedelta(minutes=rng.randrange(5000)) if running else None,
            )
        )
    return found


# Few draws, so that Hypothesis shrinks a failure quickly: the tickets follow from a seed.
worlds = st.builds(world, st.integers(min_value=0, max_value=150), st.integers(min_value=0, max_value=2**16))


queries = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(tickets.STATUSES),
        "priority": st.sampled_from(tickets.PRIORITIES),
        "assignee": st.sampled_from(AGENTS),
        "category": st.sampled_from(CATEGORIES),
        "tag": st.sampled_from(TAGS),
    },
)


def expected(found, filters, words, sort):
    listed = [t for t in found if listing.matches(t, filters) and set(words) <= t.words]
    if sort == "sla":
        return [t.id for t in sorted((t for t in listed if t.due_value), key=lambda t: t.due_value)]
    return [t.id for t in sorted(listed, key=lambda t: t.id, reverse=True)]


def every_page(found, filters, words, sort, limit):
    index = Index(found)
    chosen = listing.plan(filters, words, sort)
    pages, after, known = [], None, None
    for _ in range(len(found) + 3):
        reads_before = len(index.reads)
        page = listing.page(chosen, filters, after, limit, index.wave, known)
        pages.append(page)
        assert page.round_trips <= 3
        assert len(page.tickets) <= limit
        assert page.queries == len(index.reads) - reads_before
        entries = sum(r.limit for r in index.reads[reads_before:] if not r.count)
        assert page.entries <= entries
        if page.count is not None:
            known = (page.count, page.exact)
        after = page.after
        if after is None:
            return pages
    raise AssertionError("the listing never ended")


SMALL = {
    "WAVE_ENTRIES": 6,
    "PAGE_ENTRIES": 30,
    "DUE_SLICE": 12,
    "SET_ENTRIES": 10,
    "MISSING": 3,
    "CHECKED_TICKETS": 4,
    "CHECKED_TERMS": 2,
    "COUNT_ENTRIES": 9,
}


@pytest.fixture(params=["page budgets", "small budgets"])
def budgets(request, monkeypatch):
    """The app's budgets, and budgets far smaller than the listings, so that
    pages stop short and continue where they reached."""
    if request.param == "small budgets":
        for name, value in SMALL.items():
            monkeypatch.setattr(listing, name, value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    found=worlds,
    filters=queries,
    words=st.lists(st.sampled_from(WORDS), max_size=2, unique=True),
    sort=st.sampled_from(listing.SORTS),
    limit=st.integers(min_value=1, max_value=12),
)
def test_every_combination_pages_through_exactly_its_tickets_in_order(budgets, found, filters, words, sort, limit):
    pages = every_page(found, filters, tuple(words), sort, limit)

    shown = [t.id for page in pages for t in page.tickets]
    assert shown == expected(found, filters, words, sort)
    total = len(shown)
    for page in pages:
        if page.count is not None:  # a count is the number of matching tickets, or a floor under it
            assert page.count == total if page.exact else page.count <= total
        if len(page.tickets) < limit and page.after is not None:
            assert page.searched_to == page.after  # a short page says how far it looked
    first = pages[0]
    if len(found) <= 9 and listing.WAVE_ENTRIES >= 400:  # read whole by its first page: it knows its count
        assert first.count == total and first.exact


OWN_INDEX = st.sampled_from(
    [
        {},
        {"status": "open"},
        {"status": "closed"},
        {"priority": "high"},
        {"assignee": AGENTS[0]},
        {"category": "billing"},
        # not {"tag": ...}: a tag's index holds hidden (spam) tickets, which its plan leaves out by their postings
        {"status": "new", "assignee": AGENTS[1]},
        {"status": "closed", "category": "shipping"},
    ]
)


@settings(max_examples=60, deadline=None)
@given(found=worlds, filters=OWN_INDEX, limit=st.integers(min_value=1, max_value=12))
def test_a_listing_with_its_own_index_fills_every_page_but_the_last_and_counts(found, filters, limit):
    assert listing.plan(filters).own_index
    pages = every_page(found, filters, (), "newest", limit)

    assert all(len(page.tickets) == limit for page in pages[:-1])
    assert all(page.round_trips <= 2 for page in pages)
    total = sum(len(page.tickets) for page in pages)
    assert pages[0].count is not None and (pages[0].count == total or not pages[0].exact)


def test_filters_an_index_serves_and_those_it_does_not_are_planned_alike():
    own = {
        "": listing.plan({}),
        "status": listing.plan({"status": "open"}),
        "assignee": listing.plan({"assignee": "kim@shop.example"}),
        "status+priority": listing.plan({"status": "open", "priority": "urgent"}),
        "sla": listing.plan({}, (), "sla"),
    }
    assert all(chosen.own_index for chosen in own.values())
    # A tag's index holds spam too (a hidden status): its postings are left out.
    tag = listing.plan({"tag": "vip"})
    assert [s.streams[0].index for s in tag.include] == ["by_tag"]
    assert [s.streams[0].key for s in tag.exclude] == [f"status:{s}" for s in sorted(tickets.HIDDEN_STATUSES)]
    assert [s.index for s in own[""].include[0].streams] == ["by_all"] * listing.SHARDS
    assert own["status+priority"].include[0].streams == (listing.Stream("by_priority", "urgent", "open#"),)
    # Pairs no index serves: their postings, or the status-ranged index of each field, intersected.
    pair = listing.plan({"assignee": "kim@shop.example", "priority": "urgent"})
    assert [s.streams[0].key for s in pair.include] == ["assignee:kim@shop.example", "priority:urgent"]
    triple = listing.plan({"status": "open", "assignee": "kim@shop.example", "category": "shipping"})
    assert [s.streams[0] for s in triple.include] == [
        listing.Stream("by_assignee", "kim@shop.example", "open#"),
        listing.Stream("by_category", "shipping", "open#"),
    ]
    words = listing.plan({"tag": "vip"}, ("parcel",))
    assert [s.streams[0].index for s in words.include] == ["by_tag", listing.POSTINGS]
    # The SLA order narrowed by the open tickets of each filter.
    due = listing.plan({"assignee": "kim@shop.example"}, (), "sla")
    assert [s.prefix for s in due.include[1].streams] == [f"{s}#" for s in tickets.OPEN_STATUSES]


def test_the_callback_queue_stays_on_its_own_and_bad_values_are_refused_by_field():
    chosen = listing.plan({"callback": "requested"})
    assert [(s.index, s.key) for s in chosen.include[0].streams] == [("by_callback", "callback")]
    assert chosen.order == listing.OLDEST
    for refused, name in (
        (lambda: listing.plan({"callback": "requested", "status": "new"}), "callback"),
        (lambda: listing.plan({"callback": "maybe"}), "callback"),
        (lambda: listing.plan({}, (), "oldest"), "sort"),
    ):
        with pytest.raises(InvalidInput) as error:
            refused()
        assert error.value.errors[0].field == name


@pytest.mark.parametrize("hidden", ["closed", "pending"])
def test_a_hidden_status_is_listed_only_when_asked_for(monkeypatch, hidden):
    """Any status the vocabulary marks hidden (#21's spam will be one) leaves
    every default listing, search and SLA order, and is listed when asked for."""
    monkeypatch.setattr(ticket_state, "HIDDEN_STATUSES", frozenset({hidden}))
    found = [
        Ticket(i, status, "normal", AGENTS[0], "shipping", frozenset({"vip"}), frozenset({"parcel"}), due)
        for i, status, due in zip(
            ticket_ids(4, 1), ("new", hidden, "open", hidden), (START, START, None, START), strict=True
        )
    ]
    hidden_ids = [t.id for t in found if t.status == hidden]
    for filters, words, sort in (
        ({}, (), "newest"),
        ({"assignee": AGENTS[0]}, (), "newest"),
        ({"tag": "vip"}, (), "newest"),
        ({"assignee": AGENTS[0], "category": "shipping"}, (), "newest"),
        ({}, ("parcel",), "newest"),
        ({}, (), "sla"),
        ({"priority": "normal"}, (), "sla"),
    ):
        shown = [t.id for page in every_page(found, filters, words, sort, 10) for t in page.tickets]
        assert not set(shown) & set(hidden_ids), (filters, words, sort)
        assert shown == expected(found, filters, words, sort)
    asked = [t.id for page in every_page(found, {"status": hidden}, (), "newest", 10) for t in page.tickets]
    assert asked == sorted(hidden_ids, reverse=True)


def test_a_rare_pair_among_many_tickets_pages_within_the_read_budget():
    """Two filters no index serves together, each common, their pair rare:
    each page reads at most PAGE_ENTRIES index entries and fetches only what
    it shows, and every matching ticket comes out in order."""
    ids = ticket_ids(6000, 3)
    found = [
        Ticket(
            i,
            "closed",
            "urgent" if n % 7 == 0 else "normal",
            AGENTS[n % 2],
            None,
            frozenset(),
            frozenset(),
        )
        for n, i in enumerate(ids)
    ]
    filters = {"assignee": AGENTS[1], "priority": "urgent"}
    pages = every_page(found, filters, (), "newest", 25)

    assert [t.id for page in pages for t in page.tickets] == expected(found, filters, (), "newest")
    assert all(page.entries <= listing.PAGE_ENTRIES + 25 * 2 and page.fetched <= 25 for page in pages)
    assert sum(1 for page in pages if len(page.tickets) == 25) >= len(pages) - 2


def test_a_round_trip_never_reads_more_than_the_store_reads_at_once():
    """Every read of a round trip goes out at once (MOST_READS threads and
    connections): the widest plans, 8 words with every filter, fit."""
    words = tuple(f"word{n}" for n in range(search.MAX_QUERY_WORDS))
    every = {"priority": "urgent", "assignee": AGENTS[0], "category": "shipping", "tag": "vip"}
    for filters in (every, every | {"status": "open"}):
        for sort in listing.SORTS:
            chosen = listing.plan(filters, words, sort)
            reads = sum(len(source.streams) for source in (*chosen.include, *chosen.exclude))
            assert reads <= listing.MOST_READS, (filters, sort)
