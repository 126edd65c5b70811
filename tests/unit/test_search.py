"""Search: the words a ticket is found by and what a query asks for (the
reading of posting lists: tests/unit/test_listing.py)."""

from types import SimpleNamespace

import pytest

from chalicelib.domain import search
from chalicelib.domain.errors import InvalidInput

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


def test_a_query_needs_a_word_and_at_most_eight():
    assert search.query_words("Parcel LEFT, the parcel") == ("parcel", "left")
    for q in ("the a I", "one two three four five six seven eight nine"):
        with pytest.raises(InvalidInput) as refused:
            search.query_words(q)
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
