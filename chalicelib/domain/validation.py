"""Request bodies checked against the JSON Schemas in `schemas/` with the
jsonschema library, every problem reported at once as a field and a message a
person can act on."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import unquote_plus

from .errors import FieldError, InvalidInput, PayloadTooLarge
from .formats import FORMATS

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from jsonschema import Draft202012Validator, FormatChecker, ValidationError

SCHEMAS = Path(__file__).parent.parent / "schemas"
MAX_BODY_BYTES = 64 * 1024
# Deeper than any request schema (an inquiry needs 2); far below what would
# exhaust Python's recursion in the parser or in schema validation.
MAX_JSON_DEPTH = 16
# A JSON string (to the end of input when unterminated) or a bracket: one left-to-right pass.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def load_json(raw: bytes, *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH) -> object:
    """A request body as JSON, its size and nesting checked before the parser
    sees it: a 2 KB body nested 1,000 deep is a 400, not a RecursionError."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput([FieldError("body", "must be UTF-8 encoded")]) from None
    if not text.strip():
        raise InvalidInput([FieldError("body", "is empty; send a JSON object")])
    if _depth(raw) > max_depth:
        raise InvalidInput([FieldError("body", f"is nested more than {max_depth} levels deep")])
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidInput([FieldError("body", "is not valid JSON")]) from None
    if _SURROGATE_ESCAPE.search(raw):  # only an escape writes one; a paired one is a character (an emoji)
        lone = list(_lone_surrogates(document, ""))
        if lone:
            raise InvalidInput([FieldError(path or "body", LONE_SURROGATE) for path in lone])
    return document


LONE_SURROGATE = "must not contain a lone surrogate (\\ud800 to \\udfff alone is no character)"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _lone_surrogates(value: object, path: str) -> Iterator[str]:
    """Where a JSON document holds a string no encoder can write (DynamoDB
    and SES refuse it forever): each field's path, a key counting as its field."""
    if isinstance(value, str):
        if not _encodable(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else key
            if not _encodable(inner):
                yield inner.encode("utf-8", "backslashreplace").decode()
            else:
                yield from _lone_surrogates(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _lone_surrogates(item, f"{path}.{index}" if path else str(index))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load_form(raw: bytes, *, max_bytes: int = MAX_BODY_BYTES) -> list[tuple[str, str]]:
    """A form post's fields in order, blank values kept. Percent-escapes must
    decode as UTF-8: `name=%FF` is a 400 for `name`, never a U+FFFD stored."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput([FieldError("body", "must be UTF-8 encoded")]) from None
    fields, errors = [], []
    for pair in text.split("&"):
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        try:
            key = unquote_plus(raw_key, errors="strict")
        except UnicodeDecodeError:
            errors.append(FieldError("body", "has a field name that is not UTF-8 encoded"))
            continue
        try:
            fields.append((key, unquote_plus(raw_value, errors="strict")))
        except UnicodeDecodeError:
            errors.append(FieldError(key, "must be UTF-8 encoded (a percent-escape is not UTF-8)"))
    if errors:
        raise InvalidInput(errors)
    return fields


def _depth(raw: bytes) -> int:
    """How deep [ and { nest outside strings (unbalanced input counts as written;
    the parser refuses it afterwards)."""
    depth = deepest = 0
    for token in _TOKENS.findall(raw):
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, JSON does not


@cache
def validator(name: str) -> Draft202012Validator:
    """The named schema's validator, built on first use and kept for the
    container's life."""
    validator_class, formats = _jsonschema()
    return validator_class(json.loads((SCHEMAS / f"{name}.schema.json").read_text()), format_checker=formats)


@cache
def _jsonschema() -> tuple[type[Draft202012Validator], FormatChecker]:
    """jsonschema's Draft 2020-12 validator with patterns read as ECMA-262
    reads them, and a checker that asserts Careline's formats (2020-12 makes
    formats annotations unless one is given). Imported on first use: it costs
    a cold start about 25 ms, which only an invocation that validates pays."""
    from jsonschema import Draft202012Validator, FormatChecker, validators

    formats = FormatChecker(formats=())
    for format_name, rule in FORMATS.items():
        # A format speaks only to strings; "type" reports anything else, once.
        formats.checks(format_name)(lambda value, rule=rule: not isinstance(value, str) or rule(value))
    # The same validator with one keyword replaced (its stubs leave extend untyped).
    extended: type[Draft202012Validator] = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, {"pattern": _pattern}
    )
    return extended, formats


def _pattern(_: object, pattern: str, instance: object, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if isinstance(instance, str) and _ecma_regex(pattern).search(instance) is None:
        from jsonschema import ValidationError

        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    """The pattern as ECMA-262 (and so JSON Schema) reads it, where `$` is the
    end of the string. jsonschema uses Python's `re` as it is, whose `$` also
    matches before a final newline: a tag "vip" and a line break would pass
    "^[a-z]+$"; `\\Z` does not. A `$` escaped or in a class is the character."""
    translated, in_class, escaped = [], False, False
    for character in pattern:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif in_class:
            in_class = character != "]"
        elif character == "[":
            in_class = True
        elif character == "$":
            character = r"\Z"
        translated.append(character)
    return re.compile("".join(translated))


def problems(name: str, data: object, pattern_messages: Mapping[str, str] = {}) -> list[FieldError]:
    errors = [_field_error(e, pattern_messages) for e in validator(name).iter_errors(data)]
    unique = {(e.field, e.message): e for e in errors}
    return sorted(unique.values(), key=lambda e: e.field)


def check(name: str, data: object) -> None:
    found = problems(name, data)
    if found:
        raise InvalidInput(found)


def one_of(values: Iterable[str]) -> str:
    return "must be one of: " + ", ".join(values)


def _field_error(error: ValidationError, pattern_messages: Mapping[str, str]) -> FieldError:
    path = ".".join(str(p) for p in error.absolute_path)
    # Set on every error iter_errors yields: the keyword, its value in the
    # schema (any JSON) and the subschema holding it.
    kind = error.validator
    detail: Any = error.validator_value
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if kind == "required":
        # One error for each missing name, told apart only by its message.
        missing = next(name for name in detail if error.message == f"{name!r} is a required property")
        return FieldError(f"{path}.{missing}" if path else missing, "is required")
    if kind == "type":
        kinds = detail if isinstance(detail, list) else [detail]
        names = [
            {"object": "an object", "array": "a list", "null": "null", "integer": "a whole number"}.get(k, f"a {k}")
            for k in kinds
        ]
        return FieldError(path or "body", "must be " + " or ".join(names))
    if kind == "minLength":
        return FieldError(path, "must not be empty")
    if kind == "maxLength":
        return FieldError(path, f"must be at most {detail:,} characters")
    if kind == "format" and detail in ("line", "text") and isinstance(error.instance, str):
        from .text import describe, forbidden_characters

        forbidden = forbidden_characters(error.instance, multiline=detail == "text")
        if not forbidden:
            return FieldError(path, "must contain letters, digits or signs, not only invisible characters")
        found = ", ".join(describe(c) for c in forbidden[:3])
        return FieldError(
            path,
            (
                "must be a single line without control characters"
                if detail == "line"
                else "must not contain control characters"
            )
            + f"; found {found}",
        )
    if kind == "format":
        return FieldError(
            path,
            {
                "email": "must be a valid email address, like name@example.com",
                "iana-timezone": "must be an IANA time zone, like Europe/Berlin",
                "date": "must be a date, like 2026-12-24",
            }.get(detail, f"must be a {detail}"),
        )
    if kind == "pattern":
        return FieldError(
            path,
            pattern_messages.get(
                path.split(".")[0] if path.startswith("tags") else path, "is not in the expected form"
            ),
        )
    if kind in ("enum", "const"):
        return FieldError(path, one_of(tuple(detail)) if kind == "enum" else f"must be {detail!r}")
    if kind == "additionalProperties" and isinstance(error.instance, Mapping):
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        return FieldError(path or "body", f"has unknown fields: {', '.join(extra)}")
    if kind == "minProperties":
        return FieldError(path or "body", "names nothing to change")
    if kind in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        return FieldError(path, f"must be a whole number from {low} to {high}")
    if kind in ("maxItems", "uniqueItems"):
        return FieldError(
            path, f"must list at most {detail} different items" if kind == "maxItems" else "must not repeat an item"
        )
    return FieldError(path or "body", error.message)
