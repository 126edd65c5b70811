"""Value formats shared by request validation and stage settings."""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Dot-atom local part and a dotted DNS domain: what SES accepts as a recipient.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")


def is_email(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 254:
        return False
    local, _, _ = value.partition("@")
    return len(local) <= 64 and _EMAIL.match(value) is not None


@lru_cache(maxsize=256)
def is_timezone(value: object) -> bool:
    if not isinstance(value, str) or not value or value.startswith("/"):
        return False
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
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


def format_checker():
    """A jsonschema FormatChecker that knows Careline's formats."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("email")(is_email)
    checker.checks("iana-timezone")(is_timezone)
    checker.checks("date")(is_date)
    checker.checks("date-time")(is_date_time)
    return checker
