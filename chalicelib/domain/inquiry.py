"""The contact form: parsing (JSON or form fields), normalising and
validating against `schemas/inquiry.schema.json`, all problems at once."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl

from .errors import FieldError, InvalidInput

SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "inquiry.schema.json"
_OPTIONAL_STRINGS = ("subject", "channel", "category", "order_id", "phone", "locale", "timezone")
_FORM_NESTED = re.compile(r"^(callback)\[(phone|window)\]$")
_WHITESPACE = re.compile(r"\s+")


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

    def canonical(self) -> dict:
        """What identifies this request's content (for Idempotency-Key)."""
        fields = {k: v for k, v in self.__dict__.items() if v is not None and k != "honeypot_filled"}
        if self.callback:
            fields["callback"] = {k: v for k, v in self.callback.__dict__.items() if v is not None}
        return fields


def parse_body(raw: bytes, content_type: str) -> dict:
    """The request body as a dict of fields; a 400 for what is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput([FieldError("body", "must be UTF-8 encoded")]) from None
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields: dict = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            nested = _FORM_NESTED.match(key)
            if nested:
                fields.setdefault(nested.group(1), {}).setdefault(nested.group(2), value)
            else:
                fields.setdefault(key, value)  # first value wins, like most form handlers
        return fields
    if not text.strip():
        raise InvalidInput([FieldError("body", "is empty; send the form's fields")])
    try:
        document = json.loads(text)
    except ValueError:
        raise InvalidInput([FieldError("body", "is not valid JSON")]) from None
    if not isinstance(document, dict):
        raise InvalidInput([FieldError("body", "must be a JSON object of the form's fields")])
    return document


def validate_inquiry(fields: dict, categories: tuple[str, ...]) -> Inquiry:
    data = _normalise(fields)
    errors = [_field_error(e, categories) for e in _validator().iter_errors(data)]
    if "category" in data and isinstance(data["category"], str) and data["category"] not in categories:
        errors.append(FieldError("category", _one_of(categories)))
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
        if isinstance(callback, dict) else None,
        honeypot_filled=bool(data.get("website")),
    )


def _normalise(fields: dict) -> dict:
    data = dict(fields)
    for key in ("name", "email", "message", "website", *_OPTIONAL_STRINGS):
        if isinstance(data.get(key), str):
            data[key] = data[key].strip()
    if isinstance(data.get("name"), str):
        # A name ends up in a To: header; line breaks in it are never meant.
        data["name"] = _WHITESPACE.sub(" ", data["name"])
    for key in _OPTIONAL_STRINGS:
        if data.get(key) in ("", None):
            data.pop(key, None)
    callback = data.get("callback")
    if isinstance(callback, dict):
        callback = {k: v.strip() if isinstance(v, str) else v for k, v in callback.items()}
        callback = {k: v for k, v in callback.items() if v not in ("", None)}
        data["callback"] = callback
    elif callback in ("", None):
        data.pop("callback", None)
    return data


@lru_cache(maxsize=1)
def _validator():
    # Built once per container: jsonschema validators are costly to build.
    from jsonschema import Draft202012Validator

    from .formats import format_checker

    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text()), format_checker=format_checker())


def _field_error(error, categories: tuple[str, ...]) -> FieldError:
    path = ".".join(str(p) for p in error.absolute_path)
    kind, detail = error.validator, error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1]
        return FieldError(f"{path}.{missing}" if path else missing, "is required")
    if kind == "type":
        return FieldError(path or "body", f"must be {'an object' if detail == 'object' else 'a ' + str(detail)}")
    if kind == "minLength":
        return FieldError(path, "must not be empty")
    if kind == "maxLength":
        return FieldError(path, f"must be at most {detail:,} characters")
    if kind == "format" and detail == "email":
        return FieldError(path, "must be a valid email address, like name@example.com")
    if kind == "format" and detail == "iana-timezone":
        return FieldError(path, "must be an IANA time zone, like Europe/Berlin")
    if kind == "pattern" and path == "subject":
        return FieldError(path, "must be a single line")
    if kind == "pattern" and path.endswith("phone"):
        return FieldError(path, "may contain only digits, spaces and + ( ) - . /")
    if kind == "pattern" and path == "locale":
        return FieldError(path, "must be a language tag, like de-DE")
    if kind == "enum":
        return FieldError(path, _one_of(tuple(detail)))
    if kind == "additionalProperties":
        return FieldError(path, f"has unknown fields ({error.message.split('(')[-1].rstrip(')')}")
    return FieldError(path or "body", error.message)


def _one_of(values: tuple[str, ...]) -> str:
    return "must be one of: " + ", ".join(values)
