"""Priority rules from stage configuration: the most urgent matching rule wins."""

from chalicelib.config import Rule
from chalicelib.domain.inquiry import Callback, Inquiry
from chalicelib.domain.priority import assign_priority

RULES = (
    Rule(priority="urgent", vip=True),
    Rule(priority="high", callback=True),
    Rule(priority="high", categories=("complaint",)),
    Rule(priority="high", keywords=("refund", "never arrived")),
    Rule(priority="low", channels=("social",)),
)
VIPS = ("*@vip.example", "boss@shop.example")


def inquiry(**changes):
    return Inquiry(**({"name": "Ann", "email": "ann@example.com", "message": "Hello"} | changes))


def test_plain_inquiry_is_normal():
    assert assign_priority(inquiry(), RULES, VIPS) == "normal"


def test_keywords_match_whole_words_in_subject_or_message_any_case():
    assert assign_priority(inquiry(subject="REFUND please"), RULES, VIPS) == "high"
    assert assign_priority(inquiry(message="My parcel never arrived."), RULES, VIPS) == "high"
    assert assign_priority(inquiry(message="refundable deposit?"), RULES, VIPS) == "normal"


def test_category_and_callback_raise_priority():
    assert assign_priority(inquiry(category="complaint"), RULES, VIPS) == "high"
    assert assign_priority(inquiry(callback=Callback("123")), RULES, VIPS) == "high"


def test_vip_by_domain_pattern_or_address_wins_over_everything():
    assert assign_priority(inquiry(email="Kim@VIP.example", channel="social"), RULES, VIPS) == "urgent"
    assert assign_priority(inquiry(email="boss@shop.example"), RULES, VIPS) == "urgent"
    assert assign_priority(inquiry(email="boss@shop.example.evil"), RULES, VIPS) == "normal"


def test_a_rule_can_lower_priority_when_nothing_more_urgent_matches():
    assert assign_priority(inquiry(channel="social"), RULES, VIPS) == "low"
    assert assign_priority(inquiry(channel="social", subject="refund"), RULES, VIPS) == "high"


def test_every_condition_of_a_rule_must_hold():
    rules = (Rule(priority="urgent", categories=("order",), keywords=("fraud",)),)
    assert assign_priority(inquiry(category="order"), rules, ()) == "normal"
    assert assign_priority(inquiry(category="order", message="fraud!"), rules, ()) == "urgent"
