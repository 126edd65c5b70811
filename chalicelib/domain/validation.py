"""Request bodies checked against the JSON Schemas in `schemas/`, every
problem reported at once as a field and a message a person can act on."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .errors import FieldError, InvalidInput, PayloadTooLarge

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .schema import SchemaError, Validator

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
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidInput([FieldError("body", "is not valid JSON")]) from None


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
def validator(name: str) -> Validator:
    # Once per container: the schema file is read and its keywords checked once.
    from .schema import Validator

    return Validator(json.loads((SCHEMAS / f"{name}.schema.json").read_text()))


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


def _field_error(error: SchemaError, pattern_messages: Mapping[str, str]) -> FieldError:
    path = ".".join(str(p) for p in error.path)
    kind = error.keyword
    detail: Any = error.value  # the schema's value for the keyword (any JSON)
    if kind == "required":
        return FieldError(f"{path}.{error.missing}" if path else str(error.missing), "is required")
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
        from .formats import describe, forbidden_characters

        found = ", ".join(describe(c) for c in forbidden_characters(error.instance, multiline=detail == "text")[:3])
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
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return FieldError(path or "body", f"has unknown fields: {', '.join(extra)}")
    if kind == "minProperties":
        return FieldError(path or "body", "names nothing to change")
    if kind in ("minimum", "maximum"):
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        return FieldError(path, f"must be a whole number from {low} to {high}")
    if kind in ("maxItems", "uniqueItems"):
        return FieldError(
            path, f"must list at most {detail} different items" if kind == "maxItems" else "must not repeat an item"
        )
    return FieldError(path or "body", error.message)
