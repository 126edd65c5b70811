"""Macros: shared answers with placeholders, filled in per ticket so they read
as a person wrote them. Only known placeholders exist; a reply never leaves
with `{{something}}` in it."""

from __future__ import annotations

import re

from .errors import FieldError, InvalidInput

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# Filled from the shop's store (services/purchases.py): asked only when a reply uses them.
ORDER_PLACEHOLDERS = frozenset({"order_status", "tracking_url"})
KNOWN = ("first_name", "name", "reference", "order_id", "operator_name", "brand", "order_status", "tracking_url")


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def check_placeholders(text: str, field: str) -> None:
    unknown = sorted({p for p in placeholders(text) if p not in KNOWN})
    if unknown:
        raise InvalidInput(
            [FieldError(field, f"has unknown placeholders: {', '.join(unknown)} (known: {', '.join(KNOWN)})")]
        )


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def render(text: str, values: dict[str, str | None], field: str) -> str:
    """Fill every placeholder; one without a value for this ticket is a 400,
    not a gap in the customer's email."""
    check_placeholders(text, field)
    missing = sorted({p for p in placeholders(text) if not values.get(p)})
    if missing:
        raise InvalidInput([FieldError(field, f"needs {', '.join(missing)}, which this ticket does not have")])
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)
