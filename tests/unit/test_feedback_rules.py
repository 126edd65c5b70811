"""Who hears of a rating, and what a second rating changes."""

import pytest

from chalicelib.domain.feedback import is_low, merge_rating, needs_follow_up


@pytest.mark.parametrize(
    "rating,low",
    [
        ({"csat": 1}, True),
        ({"csat": 2}, True),
        ({"csat": 2, "comment": "Slow."}, True),
        ({"csat": 1, "nps": 10}, True),
        ({"csat": 3}, False),
        ({"csat": 3, "comment": "Meh."}, False),
        ({"csat": 5, "nps": 0, "comment": "Too expensive."}, False),
        ({"csat": 4, "nps": 6}, False),
    ],
)
def test_any_csat_of_two_or_less_is_low_with_or_without_words_and_nps_alone_never(rating, low):
    assert is_low(rating) is low


def test_a_later_rating_updates_only_the_answers_it_carries():
    earlier = {"csat": 4, "nps": 9, "comment": "Quick and kind", "at": "2026-11-26T10:00:00Z"}
    assert merge_rating(earlier, {"csat": 5}) == {"csat": 5, "nps": 9, "comment": "Quick and kind"}
    assert merge_rating(earlier, {"csat": 2, "comment": "Actually it broke."}) == {
        "csat": 2,
        "nps": 9,
        "comment": "Actually it broke.",
    }
    assert merge_rating(None, {"csat": 3, "nps": 7}) == {"csat": 3, "nps": 7}
    assert merge_rating({"csat": 1, "nps": 2}, {"nps": 8}) == {"csat": 1, "nps": 8}


@pytest.mark.parametrize(
    "previous,new,notified",
    [
        (None, {"csat": 1}, True),
        ({"csat": 4, "nps": 9}, {"csat": 2}, True),  # turned unhappy
        ({"csat": 1}, {"csat": 1}, False),  # the same again: a double click
        ({"csat": 1}, {"csat": 2}, False),  # still unhappy, nothing new to read
        ({"csat": 1}, {"csat": 1, "comment": "Nobody called."}, True),  # now with words to act on
        ({"csat": 1, "comment": "Nobody called."}, {"nps": 0}, False),
        ({"csat": 2}, {"csat": 5}, False),
    ],
)
def test_a_person_hears_once_of_an_unhappy_customer_and_again_only_for_new_words(previous, new, notified):
    assert needs_follow_up(previous, merge_rating(previous, new)) is notified


@pytest.mark.parametrize(
    "previous,new,notified",
    [
        ({"csat": 5}, {"csat": 1}, False),  # down again after a person was told: the same unhappy customer
        ({"csat": 5, "comment": "Fine."}, {"csat": 1, "comment": "Broken again."}, True),  # new words
        ({"csat": 1}, {"csat": 1, "comment": "Nobody called."}, True),
    ],
)
def test_once_a_person_was_told_only_new_words_tell_them_again(previous, new, notified):
    assert needs_follow_up(previous, merge_rating(previous, new), told=True) is notified
