"""Macros: shared answers with placeholders, filled in per ticket so they read
as a person wrote them. Only known placeholders exist; a reply never leaves
with `{{something}}` in it."""

from __future__ import annotations

import re

from .errors import FieldError, InvalidInput
from .inquiry import DETAILS

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# Filled from the shop's store (services/purchases.py): asked only when a reply uses them.
ORDER_PLACEHOLDERS = frozenset({"order_status", "tracking_url"})
# The ticket's own, then the customer's details that macros may use (domain/inquiry.py), then the store's.
KNOWN = (
    "first_name",
    "name",
    "reference",
    *(f.name for f in DETAILS if f.placeholder),
    "operator_name",
    "brand",
    *sorted(ORDER_PLACEHOLDERS),
)


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def check_placeholders(text: str, field: str) -> None:
    unknown = sorted({p for p in placeholders(text) if p not in KNOWN})
    if unknown:
        raise InvalidInput(
            [FieldError(field, f"has unknown placeholders: {', '.join(unknown)} (known: {', '.join(KNOWN)})")]
        )


# Lower-case words that belong to a surname ("von Berg", "van der Meer").
_SURNAME_PARTICLES = frozenset(
    {"von", "van", "der", "den", "de", "del", "della", "di", "da", "du", "le", "la", "zu", "ter", "ten"}
)


def name_parts(name: str) -> tuple[str, str | None]:
    """(first name, surname or None) of a name as the customer wrote it: "Jürgen Schmidt" →
    ("Jürgen", "Schmidt"); "Anna von Berg" → ("Anna", "von Berg"); "Cher" → ("Cher", None)."""
    words = name.split()
    if len(words) < 2:
        return (words[0] if words else name), None
    start = len(words) - 1
    while start > 1 and words[start - 1] in _SURNAME_PARTICLES:
        start -= 1
    return words[0], " ".join(words[start:])


def first_name(name: str) -> str:
    return name_parts(name)[0]


def render(text: str, values: dict[str, str | None], field: str) -> str:
    """Fill every placeholder; one without a value for this ticket is a 400,
    not a gap in the customer's email."""
    check_placeholders(text, field)
    missing = sorted({p for p in placeholders(text) if not values.get(p)})
    if missing:
        raise InvalidInput([FieldError(field, f"needs {', '.join(missing)}, which this ticket does not have")])
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)
