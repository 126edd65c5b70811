"""Search: the words a ticket is found by, and the leapfrog intersection of
posting lists (against an in-memory index)."""

import random
from types import SimpleNamespace

import pytest

from chalicelib.domain import search
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.listing import intersect

# Words


def test_words_ignore_case_accents_and_common_words_and_keep_addresses_and_references_whole():
    assert search.words("Hi, MÜLLER here: my Straße order #1001 to ann.lee@Example.com (CL-K32SR5DY) ok?") == [
        "ann.lee@example.com",
        "k32sr5dy",
        "muller",
        "here",
        "strasse",
        "order",
        "1001",
        "ok",
    ]
    assert search.words("K32SR5DY") == ["k32sr5dy"]


def test_a_ticket_is_found_by_reference_customer_words_and_its_filtered_fields():
    ticket = SimpleNamespace(
        reference="CL-K32SR5DY",
        customer_email="ann@example.com",
        customer_name="Ann Lee",
        subject="Parcel",
        status="open",
        priority="high",
        assignee="kim@shop.example",
        category=None,
        tags=frozenset({"vip"}),
    )
    terms = search.ticket_terms(ticket, ["Where is my parcel?", "It left today."])
    assert terms == {
        "k32sr5dy",
        "ann@example.com",
        "ann",
        "lee",
        "parcel",
        "left",
        "today",
        "status:open",
        "priority:high",
        "assignee:kim@shop.example",
        "tag:vip",
    }


def test_a_query_needs_a_word_and_adds_the_filters_as_terms():
    assert search.query_terms("Parcel LEFT", {"status": "open", "tag": "vip"}) == (
        "parcel",
        "left",
        "status:open",
        "tag:vip",
    )
    with pytest.raises(InvalidInput) as refused:
        search.query_terms("the a I", {})
    assert refused.value.errors[0].field == "q"


def test_only_the_customers_words_field_changes_and_erasure_move_the_index():
    assert search.affects("message", "created", "in", {})
    assert search.affects("message", "customer_wrote", "in", {})
    assert search.affects("event", "updated", None, {"changes": {"status": ["open", "pending"]}})
    assert search.affects("message", "replied", "out", {"changes": {"status": ["new", "open"]}})
    assert search.affects("event", "erased", None, {})
    assert not search.affects("message", "replied", "out", {})
    assert not search.affects("note", "note", None, {})
    assert not search.affects("event", "feedback", None, {"csat": 5})


# Intersection


def _index(lists):
    def seek(i, bound, inclusive, limit):
        values = [v for v in lists[i] if bound is None or (v <= bound if inclusive else v < bound)]
        return values[:limit], len(values) <= limit

    return seek


@pytest.mark.parametrize("shares", [(0.5,), (0.02, 0.6, 0.9), (0.3, 0.3), (0.9, 0.02)])
def test_intersection_pages_give_exactly_the_common_ids_newest_first(shares):
    rng = random.Random(7)
    ids = [f"{n:05d}" for n in range(2000)]
    lists = [sorted((i for i in ids if rng.random() < share), reverse=True) for share in shares]
    expected = sorted(set.intersection(*map(set, lists)), reverse=True)
    found, below, queries, entries, pages = [], None, 0, 0, 0
    while True:
        page = intersect(len(lists), below, 10, _index(lists))
        assert len(page.ids) <= 10
        found, queries, entries, pages = found + page.ids, queries + page.queries, entries + page.entries, pages + 1
        if page.below is None:
            break
        below = page.below
    assert found == expected
    # The cost follows the rarest term, not the common ones: a query (what
    # DynamoDB bills) per candidate it offers at most, and the common lists
    # are never read through.
    if min(shares) < 0.1:
        rarest = min(map(len, lists))
        assert queries <= 2 * rarest + len(lists) * pages and entries < sum(map(len, lists))


def test_no_next_page_when_a_term_has_nothing_left():
    page = intersect(2, None, 2, _index([["9", "5"], ["9", "7", "5", "1"]]))
    assert page.ids == ["9", "5"] and page.below is None
