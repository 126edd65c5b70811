"""The contact form: parsing (JSON or form fields), normalising and
validating against `schemas/inquiry.schema.json`, all problems at once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import FieldError, InvalidInput
from .validation import load_form, load_json, one_of, problems

_PATTERN_MESSAGES = {
    "phone": "may contain only digits, spaces and + ( ) - . /",
    "callback.phone": "may contain only digits, spaces and + ( ) - . /",
    "locale": "must be a language tag, like de-DE",
}
_OPTIONAL_STRINGS = ("subject", "channel", "category", "order_id", "phone", "locale", "timezone", "form_key")
_FORM_NESTED = re.compile(r"^(callback)\[(phone|window)\]$")
# A name reaches a To: header. Whitespace a person may paste into it (tabs,
# line breaks of any kind, Unicode spaces) folds to one space; every other
# control or format character is refused by the schema's "line" format.
_NAME_WHITESPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


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
    order_id: str | None = None
    phone: str | None = None
    locale: str | None = None
    timezone: str | None = None
    callback: Callback | None = None
    honeypot_filled: bool = False

    def canonical(self) -> dict[str, Any]:
        """What identifies this request's content (for Idempotency-Key)."""
        fields = {k: v for k, v in self.__dict__.items() if v is not None and k != "honeypot_filled"}
        if self.callback:
            fields["callback"] = {k: v for k, v in self.callback.__dict__.items() if v is not None}
        return fields


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
        order_id=data.get("order_id"),
        phone=data.get("phone"),
        locale=data.get("locale"),
        timezone=data.get("timezone"),
        callback=Callback(phone=callback.get("phone") or data["phone"], window=callback.get("window"))
        if isinstance(callback, dict)
        else None,
        honeypot_filled=bool(data.get("website")),
    )


def _normalise(fields: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(fields)
    for key in ("name", "email", "message", "website", *_OPTIONAL_STRINGS):
        if isinstance(data.get(key), str):
            data[key] = data[key].strip()
    if isinstance(data.get("name"), str):
        data["name"] = _NAME_WHITESPACE.sub(" ", data["name"])
    for key in _OPTIONAL_STRINGS:
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
