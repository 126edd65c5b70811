"""Opaque, tamper-evident paging cursors: the position is signed, so a
forged or edited cursor is refused (400) instead of reading elsewhere."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from .errors import FieldError, InvalidInput


def encode(position: dict[str, Any], scope: str, key: bytes) -> str:
    payload = json.dumps({"p": position, "s": scope}, separators=(",", ":"), sort_keys=True).encode()
    signature = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(signature + payload).decode().rstrip("=")


def decode(cursor: str, scope: str, keys: Sequence[bytes]) -> dict[str, Any]:
    """The position; InvalidInput when forged, edited or from another query.
    Any of the accepted keys may have signed it (the current or the previous)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        signature, payload = raw[:16], raw[16:]
        valid = any(
            hmac.compare_digest(signature, hmac.new(key, payload, hashlib.sha256).digest()[:16]) for key in keys
        )
        document = json.loads(payload) if valid else None
    except (ValueError, TypeError):
        document = None
    if not document or document.get("s") != scope:
        raise InvalidInput([FieldError("cursor", "is not a cursor from this listing")])
    position: dict[str, Any] = document["p"]  # signed: it is what encode was given
    return position
