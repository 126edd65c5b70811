"""Value formats shared by request validation and stage settings (the text
rules are `domain/text.py`'s)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .text import is_email, is_line, is_text

if TYPE_CHECKING:
    from collections.abc import Callable


def is_timezone(value: object) -> bool:
    # The type first: the cache below cannot hash a JSON object or list.
    return isinstance(value, str) and _known_zone(value)


@lru_cache(maxsize=256)
def _known_zone(value: str) -> bool:
    if not value or value.startswith("/") or "\0" in value:
        return False
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def is_date_time(value: object) -> bool:
    """RFC 3339 with a time zone, like 2026-11-24T09:00:00Z."""
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None


# The "format" values Careline's schemas use, each with its one rule (applied to strings only).
FORMATS: dict[str, Callable[[str], bool]] = {
    "email": is_email,
    "iana-timezone": is_timezone,
    "date": is_date,
    "date-time": is_date_time,
    "line": is_line,
    "text": is_text,
}
