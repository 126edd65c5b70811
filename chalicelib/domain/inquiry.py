"""The contact form: its fields declared once (`FIELDS`), parsing (JSON or
form fields), normalising and validating against the schema the definition
generates (`schemas/inquiry.schema.json`), all problems at once.

A field is declared once, here: its JSON Schema rule, and for the customer's
optional details (`DETAIL` fields, carried on the ticket as one `Details`
value) whether it is personal, shown to operators, quoted in the
acknowledgement, a macro placeholder, and the catalogue key it is labelled
with. The request schema, the ticket, the views and the OpenAPI document
follow from it: adding an optional detail is a line here and its label in
each catalogue (`views/locales/`), then `python -m infra.openapi`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import FieldError, InvalidInput
from .validation import load_form, load_json, one_of, problems

# Where a field's value goes.
TICKET = "ticket"  # an attribute of the ticket's own: rules act on it (domain/ticket/)
DETAIL = "detail"  # one of the ticket's `details`, handled by the flags below
REQUEST = "request"  # only in the request (the honeypot, the form's one-time key)

CHANNELS = ("web", "email", "chat", "phone", "social")  # where a request came in (domain/ticket/ uses them)
PHONE = {"type": "string", "maxLength": 40, "pattern": "^[0-9+()./ -]*$"}
PHONE_MESSAGE = "may contain only digits, spaces and + ( ) - . /"


@dataclass(frozen=True)
class Field:
    """One field of the contact form. The flags after `pattern_message` steer
    how a DETAIL field is handled everywhere; a TICKET field's handling is
    written out with the ticket's rules."""

    name: str
    rule: Mapping[str, Any]  # its JSON Schema keywords: type, limits, pattern, format
    kept: str = DETAIL
    required: bool = False
    pattern_message: str | None = None  # what a value its pattern refuses is told
    label: str = ""  # the catalogue key it is labelled with (views/locales/<language>.json)
    personal: bool = False  # erasure removes it
    operators: bool = False  # the operator's view of the ticket shows it
    contact: bool = False  # contact data: the operator's view shows it with the customer
    acknowledged: bool = False  # quoted, labelled, in the acknowledgement's copy of the request
    placeholder: bool = False  # macros may write {{<name>}}
    input: str = "text"  # the HTML input type a form asks for it with
    example: str | None = None

    def __post_init__(self) -> None:
        if (self.operators or self.acknowledged) and not self.label:
            raise ValueError(f"{self.name}: a field people are shown needs a label")

    def schema(self) -> dict[str, Any]:
        return dict(self.rule) | ({"examples": [self.example]} if self.example else {})


FIELDS = (
    Field("name", {"type": "string", "minLength": 1, "maxLength": 200, "format": "line"}, TICKET, required=True),
    Field(
        "email",
        {
            "type": "string",
            "maxLength": 254,
            "format": "email",
            "description": "a plain ASCII address; not one with an RFC 2047 encoded word (=?) in it",
        },
        TICKET,
        required=True,
    ),
    Field("message", {"type": "string", "minLength": 1, "maxLength": 20000, "format": "text"}, TICKET, required=True),
    Field("subject", {"type": "string", "maxLength": 200, "format": "line"}, TICKET),
    Field("channel", {"enum": list(CHANNELS), "default": "web"}, TICKET),
    Field(
        "category",
        {"type": "string", "format": "line", "description": "one of the stage's configured categories"},
        TICKET,
    ),
    Field(
        "order_id",
        {"type": "string", "maxLength": 100, "format": "line"},
        label="label_order",
        personal=True,
        operators=True,
        acknowledged=True,
        placeholder=True,
        example="A-1001",
    ),
    Field(
        "phone",
        PHONE,
        pattern_message=PHONE_MESSAGE,
        label="label_phone",
        personal=True,
        operators=True,
        contact=True,
        input="tel",
        example="+49 30 1234567",
    ),
    Field(
        "locale",
        {"type": "string", "maxLength": 35, "pattern": "^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$"},
        pattern_message="must be a language tag, like de-DE",
        label="label_locale",
        personal=True,
        operators=True,
        contact=True,
        example="de-DE",
    ),
    Field(
        "salutation",
        {
            "enum": ["ms", "mr"],
            "description": 'how the customer is addressed: a formal German greeting then reads "Guten Tag Frau '
            'Schmidt,"; absent, it names them in full',
        },
        label="label_salutation",
        personal=True,
        operators=True,
        contact=True,
        example="ms",
    ),
    Field(
        "timezone",
        {
            "type": "string",
            "format": "iana-timezone",
            "description": "the customer's IANA time zone, so due times read in local time",
        },
        label="label_timezone",
        personal=True,
        operators=True,
        contact=True,
        example="Europe/Berlin",
    ),
    Field(
        "contact_time",
        {
            "type": "string",
            "maxLength": 100,
            "format": "line",
            "description": "when the customer prefers to be reached",
        },
        label="label_contact_time",
        personal=True,
        operators=True,
        acknowledged=True,
        example="weekdays after 6 pm",
    ),
    Field(
        "callback",
        {
            "type": "object",
            "description": "the customer asks to be called back; phone falls back to the top-level phone",
            "additionalProperties": False,
            "properties": {"phone": PHONE, "window": {"type": "string", "maxLength": 200, "format": "line"}},
        },
        TICKET,
    ),
    Field("website", {"type": "string", "description": "honeypot: must be absent or empty"}, REQUEST),
    Field(
        "form_key",
        {
            "type": "string",
            "maxLength": 128,
            "format": "line",
            "description": "a one-time key a plain HTML form carries (a hidden field): the Idempotency-Key of a "
            "post without that header, so a form sent again returns the first ticket",
        },
        REQUEST,
    ),
)
DETAILS = tuple(f for f in FIELDS if f.kept == DETAIL)
_DETAIL_NAMES = frozenset(f.name for f in DETAILS)
_PATTERN_MESSAGES = {f.name: f.pattern_message for f in FIELDS if f.pattern_message} | {"callback.phone": PHONE_MESSAGE}
_TEXTS = tuple(f.name for f in FIELDS if f.rule.get("type") != "object")  # trimmed
_OPTIONAL_TEXTS = tuple(f.name for f in FIELDS if f.name in _TEXTS and not f.required)  # empty: absent
_FORM_NESTED = re.compile(r"^(callback)\[(phone|window)\]$")
# A name reaches a To: header. Whitespace a person may paste into it (tabs,
# line breaks of any kind, Unicode spaces) folds to one space; every other
# control or format character is refused by the schema's "line" format.
_NAME_WHITESPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def schema() -> dict[str, Any]:
    """The request's JSON Schema, as `schemas/inquiry.schema.json` holds it
    (`python -m infra.openapi` writes it; a test holds the file to this)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://careline.dev/schemas/inquiry.schema.json",
        "$comment": "Generated from FIELDS in chalicelib/domain/inquiry.py by `python -m infra.openapi`: edit there.",
        "title": "Inquiry",
        "description": "A storefront contact form, as posted to POST /inquiries (JSON, or form fields of the same "
        "names; callback[phone] and callback[window] in forms). Strings are trimmed first; empty optional fields "
        'count as absent (an empty callback too). Format "line": one line of text without control characters, '
        "Unicode line or paragraph separators or invisible format characters (the joiners ZWNJ and ZWJ are "
        'allowed), with something visible in it; "text": the same, but tabs and line breaks are allowed. '
        "In a name, whitespace of any kind "
        "(line breaks included) first folds to one space.",
        "type": "object",
        "required": [f.name for f in FIELDS if f.required],
        "properties": {f.name: f.schema() for f in FIELDS},
    }


@dataclass(frozen=True)
class Details:
    """The customer's optional details (the DETAIL fields) that were given, by
    field name: one value on the ticket, stored as one map."""

    values: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", {k: v for k, v in self.values.items() if v})  # absent, not empty

    def __getitem__(self, name: str) -> str | None:
        """The detail's value, None if not given; a name FIELDS does not declare is a mistake."""
        if name not in _DETAIL_NAMES:
            raise KeyError(f"{name!r} is no detail of the inquiry (domain/inquiry.py FIELDS)")
        return self.values.get(name)

    def given(self, shown: Callable[[Field], bool]) -> list[tuple[Field, str]]:
        """The details given whose field `shown` selects, in FIELDS order."""
        return [(f, self.values[f.name]) for f in DETAILS if shown(f) and f.name in self.values]

    def scrubbed(self) -> Details:
        """What erasure leaves: no personal detail (nor one this version does not know)."""
        return Details({f.name: value for f, value in self.given(lambda f: not f.personal)})


@dataclass(frozen=True)
class Callback:
    phone: str
    window: str | None = None


@dataclass(frozen=True)
class Inquiry:
    name: str
    email: str
    message: str
    subject: str | None = None
    channel: str = "web"
    category: str | None = None
    callback: Callback | None = None
    details: Details = field(default_factory=Details)
    honeypot_filled: bool = False

    def canonical(self) -> dict[str, Any]:
        """What identifies this request's content (for Idempotency-Key): every
        field given, by its request name, so a key taken before a deploy still
        recognises its request after it."""
        fields: dict[str, Any] = {"name": self.name, "email": self.email, "message": self.message}
        fields |= {"subject": self.subject, "channel": self.channel, "category": self.category}
        if self.callback:
            fields["callback"] = {k: v for k, v in self.callback.__dict__.items() if v is not None}
        return {k: v for k, v in fields.items() if v is not None} | dict(self.details.values)


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The request body as a dict of fields; a 400 for what is not one (413
    over the size limit), checked before anything is parsed."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _form_fields(raw)
    if not raw.strip():
        raise InvalidInput([FieldError("body", "is empty; send the form's fields")])
    document = load_json(raw)
    if not isinstance(document, dict):
        raise InvalidInput([FieldError("body", "must be a JSON object of the form's fields")])
    return document


def _form_fields(raw: bytes) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in load_form(raw):
        nested = _FORM_NESTED.match(key)
        name = nested.group(1) if nested else key
        current = fields.get(name)
        if nested and (current is None or isinstance(current, dict)):
            fields.setdefault(name, {}).setdefault(nested.group(2), value)
        elif current is None:
            fields[name] = value  # first value wins, like most form handlers
        elif nested or isinstance(current, dict):
            fields[name] = _BOTH_SHAPES  # `callback=x` and `callback[phone]=1`: neither wins silently
    return fields


class _BothShapes:
    """A form field sent both as one value and as nested fields: the schema refuses it by type."""


_BOTH_SHAPES = _BothShapes()


def validate_inquiry(fields: Mapping[str, Any], categories: tuple[str, ...]) -> Inquiry:
    data = _normalise(fields)
    errors = problems("inquiry", data, _PATTERN_MESSAGES)
    if "category" in data and isinstance(data["category"], str) and data["category"] not in categories:
        errors.append(FieldError("category", one_of(categories)))
    callback = data.get("callback")
    if isinstance(callback, dict) and not callback.get("phone") and not data.get("phone"):
        errors.append(FieldError("callback.phone", "is required to call you back"))
    if errors:
        unique = {(e.field, e.message): e for e in errors}
        raise InvalidInput(sorted(unique.values(), key=lambda e: e.field))
    return Inquiry(
        name=data["name"],
        email=data["email"],
        message=data["message"],
        subject=data.get("subject"),
        channel=data.get("channel", "web"),
        category=data.get("category"),
        callback=Callback(phone=callback.get("phone") or data["phone"], window=callback.get("window"))
        if isinstance(callback, dict)
        else None,
        details=Details({f.name: data[f.name] for f in DETAILS if f.name in data}),
        honeypot_filled=bool(data.get("website")),
    )


def _normalise(fields: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(fields)
    for key in _TEXTS:
        if isinstance(data.get(key), str):
            data[key] = data[key].strip()
    if isinstance(data.get("name"), str):
        data["name"] = _NAME_WHITESPACE.sub(" ", data["name"])
    for key in _OPTIONAL_TEXTS:
        if data.get(key) in ("", None):
            data.pop(key, None)
    callback = data.get("callback")
    if isinstance(callback, dict):
        callback = {k: v.strip() if isinstance(v, str) else v for k, v in callback.items()}
        callback = {k: v for k, v in callback.items() if v not in ("", None)}
        data["callback"] = callback
    if callback in ("", None, {}):  # the shipped form sends callback[phone] empty when skipped
        data.pop("callback", None)
    return data
