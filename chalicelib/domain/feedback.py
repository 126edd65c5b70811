"""Customers' links (the rating page, the status page): signed (HMAC with
the stage secret) for one purpose, scoped to one ticket, expiring. A link is
only an invitation: opening it records nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import FieldError, InvalidInput
from .validation import problems

FEEDBACK, STATUS = "feedback", "status"  # what a link is for: its signature says so


class UnknownToken(Exception):
    """Forged, edited or not ours (404)."""


class ExpiredToken(Exception):
    """Genuine but past its time (410)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(ticket_id: str, expires_at: datetime, key: bytes, purpose: str = FEEDBACK) -> str:
    """A link's token: signed for one purpose (a rating link opens no status page)."""
    payload = f"{ticket_id}.{int(expires_at.timestamp())}".encode()
    return _b64(payload) + "." + _b64(_sign(key, purpose, payload))


def status_token(ticket_id: str, now: datetime, days: int, key: bytes) -> str:
    """The token of the ticket's status page (`/status/{token}`), valid `days` from now."""
    return make_token(ticket_id, now + timedelta(days=days), key, purpose=STATUS)


def _sign(key: bytes, purpose: str, payload: bytes) -> bytes:
    return hmac.new(key, f"{purpose}:".encode() + payload, hashlib.sha256).digest()[:16]


def read_token(
    token: str, keys: bytes | Sequence[bytes], now: datetime, purpose: str = FEEDBACK, *, expired_ok: bool = False
) -> str:
    """The ticket id the token is for; any accepted key (the current or the
    previous, across a rotation) may have signed it. `expired_ok`: a genuine
    expired token still names its ticket (to send its owner a fresh link)."""
    try:
        encoded, signature = token.split(".")
        payload = _unb64(encoded)
        given = _unb64(signature)
        if not any(
            hmac.compare_digest(given, _sign(key, purpose, payload))
            for key in ([keys] if isinstance(keys, bytes) else keys)
        ):
            raise UnknownToken()
        ticket_id, expires = payload.decode().rsplit(".", 1)
        expires_at = datetime.fromtimestamp(int(expires), UTC)
    except (ValueError, UnicodeDecodeError, OverflowError, OSError):
        raise UnknownToken() from None
    if now >= expires_at and not expired_ok:
        raise ExpiredToken()
    return ticket_id


def parse_rating(fields: Mapping[str, Any]) -> dict[str, Any]:
    """{"csat": 1-5, "nps": 0-10 optional, "comment" optional}, from JSON or
    form strings; every problem at once."""
    rating = {}
    for name, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        if name not in ("csat", "nps", "comment") or value in (None, ""):
            continue
        if name != "comment" and isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)  # a form's digits (not "²" or "١": isdigit() says yes, int() no or yes)
        rating[name] = value
    errors = problems("feedback", rating)
    if errors:
        raise InvalidInput(
            [
                FieldError(e.field, "is required: a score from 1 to 5") if e.message == "is required" else e
                for e in errors
            ]
        )
    # JSON Schema counts 4.0 as an integer; stored and counted, a score must be 4.
    return {name: value if name == "comment" else int(value) for name, value in rating.items()}


ANSWERS = ("csat", "nps", "comment")


def is_low(rating: Mapping[str, Any]) -> bool:
    """Someone should follow up: any CSAT of 2 or less, with or without
    words. NPS alone never alerts: it asks about the brand, not this
    conversation (a 6 counts as a detractor yet is often content), and CSAT,
    the question about our help, is answered in every rating."""
    csat: int = rating["csat"]
    return csat <= 2


def merge_rating(previous: Mapping[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """A later rating changes only the answers it carries: NPS stays when
    only CSAT is sent again, a comment stays unless a new one comes."""
    return {k: v for k, v in (previous or {}).items() if k in ANSWERS} | new


def needs_follow_up(previous: Mapping[str, Any] | None, merged: Mapping[str, Any], *, told: bool = False) -> bool:
    """Tell a person the first time a rating is low, and again only when the
    customer adds new words to a low one: never twice for the same thing, and
    not again for a rating that went up and down again (20 quick posts of 1
    and 5 are one unhappy customer, not ten). `told`: a person heard of a low
    rating of this ticket before (a ticket rated before this rule knew that
    says so by a low previous rating)."""
    if not is_low(merged):
        return False
    if not told and (previous is None or not is_low(previous)):
        return True
    return bool(merged.get("comment")) and merged.get("comment") != (previous or {}).get("comment")
