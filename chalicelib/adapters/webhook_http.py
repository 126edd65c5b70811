"""Webhook deliveries over HTTP: one POST with its own timeout, through the
outbound opener (no redirects, no proxy: adapters/outbound.py)."""

from __future__ import annotations

import urllib.error
import urllib.request

from .outbound import opener


class DeliveryFailed(Exception):
    """The endpoint did not take the delivery (no answer, or not a 2xx)."""


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST the body; the answer's status (2xx), else DeliveryFailed saying why."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=timeout) as answer:
            answer.read(64 * 1024)  # let the endpoint finish its answer; what it says is not ours to keep
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"answered {error.code}") from None
    except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out
        reason = getattr(error, "reason", None) or error
        raise DeliveryFailed(f"no answer: {reason}") from None
