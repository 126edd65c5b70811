"""Outgoing webhooks (docs/events.md): which endpoint wants which event, and
the signature every delivery carries. Pure: secrets and time are given.

The signature is Stripe's scheme with our header name: HMAC-SHA256 over
`<unix seconds>.<raw body>` with the endpoint's secret, sent as
`Careline-Signature: t=<unix seconds>,v1=<hex>`. The timestamp inside the
signed text lets a receiver refuse a replay of an old delivery."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

SIGNATURE_HEADER = "Careline-Signature"
SCHEME = "v1"
TOLERANCE_SECONDS = 300  # a receiver refuses a delivery signed longer ago (or ahead) than this
DEFAULT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Endpoint:
    """A stage's webhook: where, which events (all when empty), and the
    secret's name (a Secrets Manager secret in AWS; the secret itself locally)."""

    name: str
    url: str
    secret: str
    events: tuple[str, ...] = ()
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class BadSignature(ValueError):
    """The delivery is not one of ours, was changed, or is too old."""


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: bytes, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},{SCHEME}={sign(secret, timestamp, body)}"


def verify(
    header: str | None, body: bytes, secrets: Iterable[bytes], now: int, tolerance: int = TOLERANCE_SECONDS
) -> int:
    """The delivery's timestamp if any `v1` signature in the header matches the
    body under one of the secrets and the timestamp is within the tolerance;
    else BadSignature saying why."""
    if not header:
        raise BadSignature(f"no {SIGNATURE_HEADER} header")
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise BadSignature(f"{SIGNATURE_HEADER} must read t=<unix seconds>,{SCHEME}=<hex>")
    if abs(now - timestamp) > tolerance:
        raise BadSignature(f"signed {now - timestamp} s ago: outside the {tolerance} s tolerance")
    expected = [sign(secret, timestamp, body) for secret in secrets]
    if not any(hmac.compare_digest(e, s) for e in expected for s in signatures):
        raise BadSignature("no signature matches the body")
    return timestamp
