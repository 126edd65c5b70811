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
    problems = errors_of(
        {
            "name": "   ",
            "email": "not-an-address",
            "subject": "a\r\nBcc: x@evil.example",
            "channel": "fax",
            "category": "gossip",
        }
    )
    assert set(problems) == {"name", "email", "message", "subject", "channel", "category"}
    assert problems["message"] == "is required"
    assert "single line" in problems["subject"]
    assert "web, email, chat, phone, social" in problems["channel"]
    assert "order, returns" in problems["category"]


@pytest.mark.parametrize(
    "field,value,limit", [("name", "n" * 201, 200), ("message", "m" * 20001, 20000), ("subject", "s" * 201, 200)]
)
def test_lengths_follow_the_contract(field, value, limit):
    assert errors_of(VALID | {field: value}) == {field: f"must be at most {limit:,} characters"}
    validate_inquiry(VALID | {field: value[:limit]}, CATEGORIES)


def test_name_is_trimmed_and_line_breaks_cannot_reach_a_header():
    inquiry = validate_inquiry(VALID | {"name": "  Ann\r\nBcc: x@evil.example  "}, CATEGORIES)
    assert inquiry.name == "Ann Bcc: x@evil.example"


@pytest.mark.parametrize(
    "address",
    [
        "ann@example",
        "ann@@example.com",
        "ann @example.com",
        "ann@example.com\nBcc: x@y.z",
        "a" * 65 + "@example.com",
        "ann@" + "d" * 250 + ".com",
    ],
)
def test_invalid_addresses_are_rejected(address):
    assert "email" in errors_of(VALID | {"email": address})


def test_empty_optional_form_fields_count_as_absent():
    inquiry = validate_inquiry(VALID | {"subject": "", "category": " ", "phone": ""}, CATEGORIES)
    assert inquiry.subject is None and inquiry.category is None and inquiry.details["phone"] is None


def test_callback_needs_a_phone_and_may_borrow_the_top_level_one():
    assert errors_of(VALID | {"callback": {"window": "mornings"}}) == {"callback.phone": "is required to call you back"}
    inquiry = validate_inquiry(VALID | {"phone": "+49 30 1234", "callback": {"window": "mornings"}}, CATEGORIES)
    assert (inquiry.callback.phone, inquiry.callback.window) == ("+49 30 1234", "mornings")


def test_wrong_types_are_named():
    assert errors_of(VALID | {"name": 42, "callback": "yes"}) == {
        "name": "must be a string",
        "callback": "must be an object",
    }


def test_filled_honeypot_is_flagged_not_rejected():
    assert validate_inquiry(VALID | {"website": "http://spam.example"}, CATEGORIES).honeypot_filled


def test_form_body_with_nested_callback_fields():
    fields = parse_body(
        b"name=Ann&email=ann%40example.com&message=Hi&callback%5Bphone%5D=123&callback%5Bwindow%5D=after+5pm",
        "application/x-www-form-urlencoded; charset=utf-8",
    )
    inquiry = validate_inquiry(fields, CATEGORIES)
    assert inquiry.callback.phone == "123" and inquiry.callback.window == "after 5pm"


@pytest.mark.parametrize(
    "raw,message",
    [
        (b"[1, 2]", "must be a JSON object of the form's fields"),
        (b"{oops", "is not valid JSON"),
        (b"", "is empty; send the form's fields"),
        (b"\xff\xfe", "must be UTF-8 encoded"),
    ],
)
def test_unusable_bodies_are_named(raw, message):
    with pytest.raises(InvalidInput) as raised:
        parse_body(raw, "application/json")
    assert [(e.field, e.message) for e in raised.value.errors] == [("body", message)]


def test_same_content_has_the_same_canonical_form_whatever_the_whitespace():
    a = validate_inquiry(VALID | {"subject": " Hi "}, CATEGORIES).canonical()
    b = validate_inquiry(VALID | {"subject": "Hi", "website": ""}, CATEGORIES).canonical()
    assert a == b


# Anything that can reach an email header (name, email, subject) is one line of
# text: Unicode line and paragraph separators and control characters are
# refused by field (a name's whitespace is folded instead); NUL nowhere.
HEADER_BREAKERS = [
    "\u2028",
    "\u2029",
    "\u0085",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x1f",
    "\x00",
    "\x1b",
    "\x7f",
    "\u202e",
    "\ufeff",
    "\ud800",
]


@pytest.mark.parametrize("character", HEADER_BREAKERS)
def test_subject_with_a_separator_or_control_character_is_refused_by_field(character):
    problems = errors_of(VALID | {"subject": f"Parcel{character}Bcc: x@evil.example"})
    assert set(problems) == {"subject"}
    assert f"U+{ord(character):04X}" in problems["subject"]


@pytest.mark.parametrize("character", ["\x00", "\x1c", "\x1f", "\x1b", "\x7f", "\u202e", "\u2066", "\ufeff", "\ud800"])
def test_name_with_a_control_or_format_character_is_refused(character):
    problems = errors_of(VALID | {"name": f"Ann{character}Lee"})
    assert set(problems) == {"name"} and f"U+{ord(character):04X}" in problems["name"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\t", "\r\n", "\u00a0", "\u3000"])
def test_whitespace_in_a_name_is_folded_to_one_space(separator):
    assert validate_inquiry(VALID | {"name": f"Ann{separator}{separator}Lee"}, CATEGORIES).name == "Ann Lee"


def test_names_in_any_script_and_emoji_with_joiners_are_kept():
    for name in ("Zoë Ågren-Øst", "محمد‌علی", "李小龍", "Ann 👩‍💻 Lee"):  # ZWNJ in the Persian name, ZWJ in the emoji
        assert validate_inquiry(VALID | {"name": name}, CATEGORIES).name == name


@pytest.mark.parametrize("character", ["\x00", "\ud800", "\x1b", "\x07"])
def test_message_refuses_nul_and_control_characters(character):
    problems = errors_of(VALID | {"message": f"Hello{character}there"})
    assert set(problems) == {"message"} and f"U+{ord(character):04X}" in problems["message"]


def test_message_keeps_its_line_breaks_and_tabs():
    text = "Line one\r\nLine two\n\tindented\u2028pasted from a word processor"
    assert validate_inquiry(VALID | {"message": text}, CATEGORIES).message == text


@pytest.mark.parametrize("field", ["order_id", "phone", "locale", "category", "timezone"])
def test_nul_in_any_optional_field_is_refused(field):
    assert field in errors_of(VALID | {field: "ab\x00cd"})


def test_callback_window_is_one_line():
    assert set(errors_of(VALID | {"callback": {"phone": "123", "window": "mornings\u2028Bcc: x"}})) == {
        "callback.window"
    }


@pytest.mark.parametrize(
    "address", ["ann@example.com\n", "ann@example.com\u2028", "ann\x00@example.com", "ann@exämple.com"]
)
def test_an_address_is_plain_ascii_on_one_line(address):
    from chalicelib.domain.text import is_email

    assert not is_email(address)


@pytest.mark.parametrize("value", [{}, [], 3, True, {"zone": "Europe/Berlin"}])
def test_timezone_of_another_type_is_a_field_error(value):
    assert errors_of(VALID | {"timezone": value}) == {"timezone": "must be a string"}


@pytest.mark.parametrize("value", ["Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Europe/Berlin\x00"])
def test_timezone_must_be_a_known_iana_zone(value):
    assert "timezone" in errors_of(VALID | {"timezone": value})


def test_a_known_timezone_is_kept():
    assert (
        validate_inquiry(VALID | {"timezone": "America/New_York"}, CATEGORIES).details["timezone"] == "America/New_York"
    )


def test_an_empty_callback_from_a_plain_form_is_absent():
    """The shipped form always sends callback[phone]; empty when the customer skips it."""
    fields = parse_body(
        b"name=Ann&email=ann%40example.com&message=Hi&callback%5Bphone%5D=&callback%5Bwindow%5D=",
        "application/x-www-form-urlencoded",
    )
    assert validate_inquiry(fields, CATEGORIES).callback is None
    assert validate_inquiry(VALID | {"callback": {}}, CATEGORIES).callback is None


def test_a_form_field_that_is_both_flat_and_nested_is_a_field_error():
    for raw in (
        b"name=Ann&email=a%40b.co&message=Hi&callback=yes&callback%5Bphone%5D=1",
        b"name=Ann&email=a%40b.co&message=Hi&callback%5Bphone%5D=1&callback=yes",
    ):
        with pytest.raises(InvalidInput) as raised:
            validate_inquiry(parse_body(raw, "application/x-www-form-urlencoded"), CATEGORIES)
        assert {e.field for e in raised.value.errors} == {"callback"}


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 1000 + b"]" * 1000,
        b'{"a":' * 500 + b"1" + b"}" * 500,
        b'{"name": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
    ],
)
def test_deep_nesting_is_refused_before_parsing(raw):
    with pytest.raises(InvalidInput) as raised:
        parse_body(raw, "application/json")
    assert [e.field for e in raised.value.errors] == ["body"]
    assert "nested" in raised.value.errors[0].message


def test_brackets_inside_strings_do_not_count_as_nesting():
    fields = parse_body(
        ('{"name": "Ann", "email": "ann@example.com", "message": "' + "[{" * 5000 + '"}').encode(), "application/json"
    )
    assert validate_inquiry(fields, CATEGORIES).message == "[{" * 5000


@pytest.mark.parametrize("raw", [b'{"name": NaN}', b'{"name": Infinity}', b'{"name": 1' + b"0" * 5000 + b"}"])
def test_non_standard_or_huge_numbers_are_invalid_json(raw):
    with pytest.raises(InvalidInput):
        parse_body(raw, "application/json")
