"""Outgoing webhooks (docs/events.md): which endpoint wants which event, and
the signature every delivery carries. Pure: secrets and time are given.

The signature is Stripe's scheme with our header name: HMAC-SHA256 over
`<unix seconds>.<raw body>` with the endpoint's secret, sent as
`Careline-Signature: t=<unix seconds>,v1=<hex>`. The timestamp inside the
signed text lets a receiver refuse a replay of an old delivery."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

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
    # The local stage's own receiver is on a loopback address: allowed there
    # (and http://), for stage local's settings only (config.py sets it).
    loopback: bool = False

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


# Where a webhook may go: https, a public host by its DNS name or a public IP
# address. Never the stage's own network: a private, loopback, link-local
# (169.254.169.254, the instance metadata) or otherwise reserved address,
# however the address is written (0x7f.1 and 2130706433 are 127.0.0.1, as a
# URL parser reads them). Checked when the settings load, and again at each
# delivery against what the name resolves to then.

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_NUMBER = re.compile(r"0x[0-9a-f]*|[0-9]+")
LOOPBACK_NAMES = ("localhost",)


def url_problem(url: str, *, loopback: bool = False) -> str | None:
    """Why this URL may not receive webhooks (a phrase after "url:"), or
    None. `loopback`: the local stage's allowance, a loopback host over http."""
    scheme_rule = "must be an https:// URL" + (" (or http:// on a loopback address)" if loopback else "")
    if not url.isascii() or not url.isprintable() or " " in url:
        return "must be one line of plain ASCII, without spaces or control characters"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        return scheme_rule
    host = parts.hostname
    if not host:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password (the signature says who is sending)"
    try:
        parts.port  # noqa: B018 (raises for a port that is not one)
    except ValueError:
        return "has a port that is not a number from 0 to 65535"
    try:
        address = ip_literal(host)
    except ValueError:
        address = None
        host = ""  # a number that is no address is no name either
    if address is None and not (_is_dns_name(host) or _is_loopback_name(host)):
        return "must name its host by a DNS name or an IP address"
    local = _is_loopback_name(host) if address is None else address.is_loopback
    if parts.scheme != "https" and not (loopback and local):
        return scheme_rule
    if address is None and local and not loopback:
        return "must name a public host, not a loopback one"
    if address is not None and not address_allowed(address, loopback=loopback):
        return f"must name a public host, not {address} (a private, loopback, link-local or reserved address)"
    return None


def address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, loopback: bool = False) -> bool:
    """A public unicast address (an IPv6 one that carries an IPv4 address is
    judged by that); `loopback` lets the local stage reach its own receiver."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if carried is not None and not address_allowed(carried):
            return False
    if loopback and address.is_loopback:
        return True
    return address.is_global and not address.is_multicast


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a URL's host is, as a URL parser reads it (WHATWG's
    IPv4 parser: 1 to 4 parts, each decimal, 0x-hex or 0-octal, the last
    filling the bytes left), or None for a host name. A host ending in a
    number that is no address is not a name either: ValueError."""
    host = host.lower()
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ValueError(f"not an IPv6 address: {host}") from None
    parts = host.removesuffix(".").split(".")
    if not _NUMBER.fullmatch(parts[-1]):
        return None
    if len(parts) > 4 or not all(_NUMBER.fullmatch(p) for p in parts):
        raise ValueError(f"not an IPv4 address: {host}")
    numbers = [
        int(p[2:] or "0", 16) if p.startswith("0x") else int(p, 8 if len(p) > 1 and p[0] == "0" else 10) for p in parts
    ]
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise ValueError(f"not an IPv4 address: {host}")
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(leading))
    return ipaddress.IPv4Address(value)


def _is_dns_name(host: str) -> bool:
    labels = host.lower().removesuffix(".").split(".")
    return len(labels) >= 2 and all(_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()


def _is_loopback_name(host: str) -> bool:
    name = host.lower().removesuffix(".")
    return name in LOOPBACK_NAMES or name.endswith(".localhost")
