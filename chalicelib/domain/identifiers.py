"""Ticket ids (time-ordered, so newest-first is a key order) and short,
human-readable references for email subjects."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime

# Crockford's base32: no I, L, O or U, so a reference read over the phone is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 8  # 40 bits; uniqueness is still enforced by a conditional write


def _encode(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


_last = (0, 0)
_lock = threading.Lock()


def new_ticket_id(now: datetime) -> str:
    """A ULID: 48 bits of milliseconds, 80 random bits, 26 characters.
    Monotonic within a process (ULID's monotonic mode): a second id in the
    same millisecond increments the random part, so newest-first holds."""
    global _last
    millis = int(now.timestamp() * 1000)
    with _lock:
        randomness = _last[1] + 1 if millis == _last[0] else secrets.randbits(79)
        _last = (millis, randomness)
    return _encode(millis, 10) + _encode(randomness, 16)


def new_reference() -> str:
    return "CL-" + _encode(secrets.randbits(5 * REFERENCE_LENGTH), REFERENCE_LENGTH)
