"""Given a storefront's form fields, the validator accepts what the contract
allows and names every problem at once, by field."""
import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.inquiry import parse_body, validate_inquiry

CATEGORIES = ("order", "returns")
VALID = {"name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?"}


def errors_of(fields):
    with pytest.raises(InvalidInput) as raised:
        validate_inquiry(fields, CATEGORIES)
    return {e.field: e.message for e in raised.value.errors}


def test_minimal_inquiry_is_accepted_with_web_channel():
    inquiry = validate_inquiry(VALID, CATEGORIES)
    assert (inquiry.name, inquiry.email, inquiry.channel) == ("Ann Lee", "ann@example.com", "web")


def test_every_problem_is_reported_at_once():
    problems = errors_of({"name": "   ", "email": "not-an-address", "subject": "a\r\nBcc: x@evil.example",
                          "channel": "fax", "category": "gossip"})
    assert set(problems) == {"name", "email", "message", "subject", "channel", "category"}
    assert problems["message"] == "is required"
    assert "single line" in problems["subject"]
    assert "web, email, chat, phone, social" in problems["channel"]
    assert "order, returns" in problems["category"]


@pytest.mark.parametrize("field,value,limit", [("name", "n" * 201, 200), ("message", "m" * 20001, 20000),
                                               ("subject", "s" * 201, 200)])
def test_lengths_follow_the_contract(field, value, limit):
    assert errors_of(VALID | {field: value}) == {field: f"must be at most {limit:,} characters"}
    validate_inquiry(VALID | {field: value[:limit]}, CATEGORIES)


def test_name_is_trimmed_and_line_breaks_cannot_reach_a_header():
    inquiry = validate_inquiry(VALID | {"name": "  Ann\r\nBcc: x@evil.example  "}, CATEGORIES)
    assert inquiry.name == "Ann Bcc: x@evil.example"


@pytest.mark.parametrize("address", ["ann@example", "ann@@example.com", "ann @example.com",
                                     "ann@example.com\nBcc: x@y.z", "a" * 65 + "@example.com",
                                     "ann@" + "d" * 250 + ".com"])
def test_invalid_addresses_are_rejected(address):
    assert "email" in errors_of(VALID | {"email": address})


def test_empty_optional_form_fields_count_as_absent():
    inquiry = validate_inquiry(VALID | {"subject": "", "category": " ", "phone": ""}, CATEGORIES)
    assert inquiry.subject is None and inquiry.category is None and inquiry.phone is None


def test_callback_needs_a_phone_and_may_borrow_the_top_level_one():
    assert errors_of(VALID | {"callback": {"window": "mornings"}}) == {
        "callback.phone": "is required to call you back"}
    inquiry = validate_inquiry(VALID | {"phone": "+49 30 1234", "callback": {"window": "mornings"}}, CATEGORIES)
    assert (inquiry.callback.phone, inquiry.callback.window) == ("+49 30 1234", "mornings")


def test_wrong_types_are_named():
    assert errors_of(VALID | {"name": 42, "callback": "yes"}) == {
        "name": "must be a string", "callback": "must be an object"}


def test_filled_honeypot_is_flagged_not_rejected():
    assert validate_inquiry(VALID | {"website": "http://spam.example"}, CATEGORIES).honeypot_filled


def test_form_body_with_nested_callback_fields():
    fields = parse_body(b"name=Ann&email=ann%40example.com&message=Hi&callback%5Bphone%5D=123&"
                        b"callback%5Bwindow%5D=after+5pm", "application/x-www-form-urlencoded; charset=utf-8")
    inquiry = validate_inquiry(fields, CATEGORIES)
    assert inquiry.callback.phone == "123" and inquiry.callback.window == "after 5pm"


@pytest.mark.parametrize("raw,message", [(b"[1, 2]", "must be a JSON object of the form's fields"),
                                         (b"{oops", "is not valid JSON"), (b"", "is empty; send the form's fields"),
                                         (b"\xff\xfe", "must be UTF-8 encoded")])
def test_unusable_bodies_are_named(raw, message):
    with pytest.raises(InvalidInput) as raised:
        parse_body(raw, "application/json")
    assert [(e.field, e.message) for e in raised.value.errors] == [("body", message)]


def test_same_content_has_the_same_canonical_form_whatever_the_whitespace():
    a = validate_inquiry(VALID | {"subject": " Hi "}, CATEGORIES).canonical()
    b = validate_inquiry(VALID | {"subject": "Hi", "website": ""}, CATEGORIES).canonical()
    assert a == b
