"""Value formats shared by request validation and stage settings."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from collections.abc import Callable

# Dot-atom local part and a dotted DNS domain: what SES accepts as a recipient.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")


def is_email(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 254:
        return False
    local, _, _ = value.partition("@")
    # fullmatch: `$` would also match before a trailing newline.
    return len(local) <= 64 and _EMAIL.fullmatch(value) is not None


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


# Characters a person never means in a form field, and which can break or
# forge an email header (Python's email package treats every str.splitlines()
# boundary as a line break), spoof what a reader sees (bidi overrides), or not
# encode at all (a lone surrogate from JSON's "\ud800").
#   Cc  control characters (NUL, ESC, VT, FF, 0x1C-0x1F, DEL, NEL and the C1 set)
#   Cf  invisible format characters, except the two joiners that names and
#       emoji need: ZWNJ (Persian, Indic scripts) and ZWJ (emoji sequences)
#   Zl, Zp  Unicode line and paragraph separators
#   Cs  lone surrogates
_JOINERS = {"\u200c", "\u200d"}
_MULTILINE_ALLOWED = {"\t", "\n", "\r", "\u0085", "\u2028", "\u2029"}


def forbidden_characters(value: str, *, multiline: bool) -> list[str]:
    """The characters of `value` that a field of this kind refuses, in order,
    each once. One-line fields (anything that may reach a header) refuse every
    line break; multi-line text keeps tabs and line breaks."""
    if value.isprintable():  # the common case, decided in C
        return []
    found: dict[str, None] = {}
    for character in value:
        if character in found or character.isprintable():
            continue  # only C* and Z* (other than the space) are not printable: look closer at those
        category = unicodedata.category(character)
        if category == "Zs" or character in _JOINERS:
            continue
        if multiline and character in _MULTILINE_ALLOWED:
            continue
        if category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            found[character] = None
    return list(found)


def describe(character: str) -> str:
    """U+2028 (LINE SEPARATOR): how an error names a character it cannot show."""
    name = unicodedata.name(character, "") or {"Cc": "control character", "Cs": "lone surrogate"}.get(
        unicodedata.category(character), "invisible character"
    )
    return f"U+{ord(character):04X} ({name})"


def is_line(value: str) -> bool:
    return not forbidden_characters(value, multiline=False)


def is_text(value: str) -> bool:
    return not forbidden_characters(value, multiline=True)


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
