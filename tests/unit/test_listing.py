"""The inbox's merge of several key ranges (domain.listing.page): pages come
out exact and in order across cursors, whatever the ranges hold."""

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import listing


def _split(owner: list[int], newest_first: bool, count: int) -> list[list[str]]:
    """`count` ranges of sort values: value n (zero-padded, so text order is
    number order) belongs to range owner[n]; each range in its listing order."""
    ranges: list[list[str]] = [[] for _ in range(count)]
    for n, i in enumerate(owner):
        ranges[i].append(f"{n:06d}#t{n}")
    return [sorted(r, reverse=newest_first) for r in ranges]


def _reader(ranges):
    def fetch(i, after, size):
        start = 0 if after is None else ranges[i].index(after) + 1
        return ranges[i][start : start + size], start + size >= len(ranges[i])

    return fetch


@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=6),
    limit=st.integers(min_value=1, max_value=40),
    newest_first=st.booleans(),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_pages_are_the_merge_in_order_with_nothing_skipped_or_repeated(sizes, limit, newest_first, seed):
    owner = [i for i, n in enumerate(sizes) for _ in range(n)]
    random.Random(seed).shuffle(owner)
    ranges = _split(owner, newest_first, len(sizes))
    plan = listing.Plan(tuple(listing.Stream("by_test", str(i)) for i in range(len(sizes))), newest_first)
    fetch = _reader(ranges)
    state, shown, entries = listing.State.start(len(ranges)), [], 0
    for _ in range(len(owner) // limit + 2):  # each page from the last one's cursor, through its JSON
        values, state, read = listing.page(plan, state, limit, fetch)
        shown.append(values)
        entries += read
        state = listing.State.from_json(json.loads(json.dumps(state.to_json())), len(ranges))

    assert [v for page in shown for v in page] == sorted((v for r in ranges for v in r), reverse=newest_first)
    assert all(len(page) == limit for page in shown[: len(owner) // limit])  # full pages until the listing runs out
    assert state.finished and entries == len(owner)  # every index entry read exactly once
