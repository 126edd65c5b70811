"""Webhook deliveries over HTTP: one POST, its own timeout, no redirects
followed (a delivery goes where the stage says, nowhere else) and no proxy
from the environment. Standard library only: nothing to load at cold start."""

from __future__ import annotations

import urllib.error
import urllib.request


class DeliveryFailed(Exception):
    """The endpoint did not take the delivery (no answer, or not a 2xx)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx itself is the answer: a failure


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST the body; the answer's status (2xx), else DeliveryFailed saying why."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as answer:
            answer.read(64 * 1024)  # let the endpoint finish its answer; what it says is not ours to keep
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"answered {error.code}") from None
    except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out
        reason = getattr(error, "reason", None) or error
        raise DeliveryFailed(f"no answer: {reason}") from None
