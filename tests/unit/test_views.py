"""A saved view's count says no more than the listing knows."""

from chalicelib.services.views import count_of


def test_a_page_that_ends_is_counted_exactly_and_one_that_goes_on_at_least():
    assert count_of({"items": [{}, {}], "next_cursor": None}) == {"value": 2, "exact": True}
    assert count_of({"items": [{}] * 50, "next_cursor": "c"}) == {"value": 50, "exact": False}


def test_the_listings_own_count_wins_where_it_reads_one():
    assert count_of({"items": [{}], "next_cursor": "c", "count": {"value": 1200, "exact": True}}) == {
        "value": 1200,
        "exact": True,
    }
