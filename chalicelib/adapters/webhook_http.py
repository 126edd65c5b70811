"""Webhook deliveries over HTTP: one POST, its own timeout, no redirects
followed (a delivery goes where the stage says, nowhere else) and no proxy.
Before it connects, the URL is held to the rules again and its host name is
resolved: every address it resolves to must be public (domain/webhooks.py),
and the connection goes to the address that was checked, so a name that
answers differently a moment later (DNS rebinding) cannot send it elsewhere.
Standard library only: nothing to load at cold start."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from functools import cache
from urllib.parse import urlsplit

from ..domain.webhooks import address_allowed, url_problem

READ_LIMIT = 64 * 1024  # what is read of an answer: let the endpoint finish; what it says is not ours to keep


class DeliveryFailed(Exception):
    """The endpoint did not take the delivery (refused here, no answer, or not a 2xx)."""


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, *, loopback: bool = False) -> int:
    """POST the body; the answer's status (2xx), else DeliveryFailed saying
    why. `loopback`: the local stage's allowance (Endpoint.loopback)."""
    problem = url_problem(url, loopback=loopback)
    if problem:
        raise DeliveryFailed(f"refused: the URL {problem}")
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _checked_address(host, port, loopback)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _PinnedHTTPS(host, port, address, timeout)
    else:
        connection = _PinnedHTTP(host, port, address, timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(READ_LIMIT)
    except (OSError, http.client.HTTPException) as error:  # refused, unreachable, timed out, not HTTP
        raise DeliveryFailed(f"no answer: {error}") from None
    finally:
        connection.close()
    if not 200 <= answer.status < 300:  # a 3xx too: its Location is not followed
        raise DeliveryFailed(f"answered {answer.status}")
    return answer.status


def _checked_address(host: str, port: int, loopback: bool) -> str:
    """The address to connect to: the host's, if every address the name
    resolves to is allowed."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise DeliveryFailed(f"no answer: {host} does not resolve ({error})") from None
    addresses = [str(info[4][0]).split("%", 1)[0] for info in found]
    for address in addresses:
        if not address_allowed(ipaddress.ip_address(address), loopback=loopback):
            raise DeliveryFailed(f"refused: {host} resolves to {address}, not a public address")
    if not addresses:
        raise DeliveryFailed(f"no answer: {host} resolves to no address")
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address; the Host header names the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """Connects to the checked address; TLS verifies the certificate for the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=_tls())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = _tls().wrap_socket(raw, server_hostname=self.host)


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()
