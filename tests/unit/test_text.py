"""Text hygiene (domain/text.py): what a valid name, subject, message and
address is; how outside text is made plain; the one form of a mailbox."""

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.text import is_email, is_line, is_text, mailbox, plain_line, plain_text
from chalicelib.domain.validation import LONE_SURROGATE, load_form, load_json, problems


@pytest.mark.parametrize(
    "value,line,text",
    [
        ("Ann Lee", True, True),
        ("", True, True),  # emptiness is minLength's to judge
        ("👩\u200d💻", True, True),  # an emoji sequence needs its joiner
        ("مهر\u200cسا", True, True),  # so does Persian
        ("\u200d\u200d\u200c", False, False),  # joiners only: nothing to read
        ("\u0301\u0301", False, False),  # combining marks with nothing to mark
        ("Ann\nLee", False, True),
        ("Ann\u202eLee", False, False),
        ("Ann\ud800", False, False),
        ("Ann\x00", False, False),
        ("Ann\ufffd", False, False),  # damaged on its way
    ],
)
def test_a_line_or_text_has_something_visible_and_nothing_forbidden(value, line, text):
    assert (is_line(value), is_text(value)) == (line, text)


def test_invisible_only_text_is_named_in_words():
    assert [(e.field, e.message) for e in problems("note", {"body": "\u200d"})] == [
        ("body", "must contain letters, digits or signs, not only invisible characters")
    ]


@pytest.mark.parametrize("address", ["=?utf-8?q?a?=@example.com", "a=?b@example.com", "ann@example.com\n"])
def test_an_address_with_an_encoded_word_or_a_line_break_is_none(address):
    assert not is_email(address)


@pytest.mark.parametrize(
    "address,key",
    [
        ("Ann+Shop@Example.com", "ann@example.com"),
        ("a.nn@example.com", "a.nn@example.com"),  # dots matter at most providers
        ("a.n.n+x@gmail.com", "ann@gmail.com"),
        ("A.nn@GoogleMail.com", "ann@gmail.com"),  # the same mailboxes
        ("support", "support"),
    ],
)
def test_one_mailbox_one_form(address, key):
    assert mailbox(address) == key


def test_outside_text_is_made_plain():
    assert plain_line(" Par\x00cel\r\n\u202eBcc:\ufffd x\u2028y ") == "Parcel Bcc: x y"
    assert plain_text("one\r\ntwo\u2028three\x00\tfour\x85five") == "one\ntwo\nthree\tfour\nfive"
    assert plain_line("👩\u200d💻 Ann") == "👩\u200d💻 Ann"


@pytest.mark.parametrize(
    "raw,fields",
    [
        (b'{"name": "\\ud800"}', ["name"]),
        (b'{"callback": {"window": "am\\udc00"}}', ["callback.window"]),
        (b'{"tags": ["ok", "\\uDFFF"]}', ["tags.1"]),
        (b'{"\\ud800": 1}', ["\\ud800"]),
    ],
)
def test_a_lone_surrogate_anywhere_in_json_is_a_400_for_its_field(raw, fields):
    with pytest.raises(InvalidInput) as refused:
        load_json(raw)
    assert [(e.field, e.message) for e in refused.value.errors] == [(f, LONE_SURROGATE) for f in fields]


def test_a_surrogate_pair_is_one_character_and_welcome():
    assert load_json(b'{"name": "\\ud83d\\ude00"}') == {"name": "😀"}


def test_form_fields_decode_strictly_as_utf_8():
    assert load_form(b"name=J%C3%BCrgen+M&empty=&flag") == [("name", "Jürgen M"), ("empty", ""), ("flag", "")]
    with pytest.raises(InvalidInput) as refused:
        load_form(b"name=Ann%FF&message=%E2%82")
    assert [e.field for e in refused.value.errors] == ["name", "message"]
