"""The one place that turns errors into HTTP answers, for every route.

A `CarelineError` (domain/errors.py) answers its status with
`{"errors": [{"field", "message", "code"}]}` and its headers, CORS included
on public routes. A dependency that cannot answer just now (pynamodb's and
botocore's errors for an unreachable service, a lost answer, throttling or
a failure inside the service: `recognised`) is ServiceUnavailable: 503 with
Retry-After, never 500. Anything else is unexpected: logged with the
request id and answered 500 with that id only. Every log line a request
writes carries the function and the request id."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Response

from ..container import container
from ..domain.errors import TRY_AGAIN_CODES, CarelineError, ServiceUnavailable, UnsupportedMediaType
from ..log import bound, logger
from .http import header, json_response, stage_cors

log = logger(__name__)


def request_id(request: Any) -> str:
    context = getattr(request, "context", None) or {}
    return str(context.get("requestId") or uuid.uuid4())


def recognised(error: BaseException) -> CarelineError | None:
    """The answer an error deserves, if it is one the table knows: a
    CarelineError itself, or an AWS dependency failing for now (looked for
    along the chain of causes: pynamodb wraps botocore's errors)."""
    if isinstance(error, CarelineError):
        return error
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (ConnectionError, HTTPClientError)):
            return _unavailable(seen)
        if isinstance(seen, ClientError):
            response = seen.response or {}
            code = response.get("Error", {}).get("Code")
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if code in TRY_AGAIN_CODES or status >= 500:
                return _unavailable(seen)
        seen = getattr(seen, "cause", None) or seen.__cause__ or seen.__context__
    return None


def _unavailable(cause: BaseException) -> ServiceUnavailable:
    log.warning("a dependency failed", extra={"event": "request.unavailable", "error": str(cause)[:300]})
    return ServiceUnavailable("This could not be done just now; please try again in a moment.")


def error_response(error: CarelineError, headers: dict[str, str] | None = None) -> Response:
    errors = [e.as_dict() | {"code": error.code} for e in error.errors]
    return json_response(error.status, {"errors": errors}, {**(headers or {}), **error.headers})


def endpoint(cors: Callable[[Any], dict[str, str]] | None = None, function: str = "api"):
    """Wrap a view `(request, *args) -> Response`: log context, errors
    answered from the table, CORS headers (if the route has them) on every
    answer, errors included. `function` names who does the work in the logs
    (the local stage's dev routes are not the deployed API)."""

    def wrap(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def run(request: Any, *args: Any) -> Response:
            rid = request_id(request)
            with bound(function=function, request_id=rid):
                headers = cors(request) if cors else {}
                try:
                    response = view(request, *args)
                except Exception as error:
                    known = recognised(error)
                    if known is not None:
                        return error_response(known, headers)
                    log.exception("unexpected error", extra={"event": "request.failed"})
                    return json_response(
                        500,
                        {
                            "errors": [
                                {"field": "request", "code": "internal", "message": f"unexpected error; request {rid}"}
                            ],
                            "request_id": rid,
                        },
                        headers,
                    )
                for name, value in headers.items():
                    response.headers.setdefault(name, value)
                return response

        return run

    return wrap


def refuse_content_type(request: Any, routes: Mapping[str, Mapping[str, Any]]) -> Response | None:
    """415 from the table for a Content-Type the route does not take (the
    route's `content_types`), before Chalice would answer it in its own
    shape; None when the route takes it. No Content-Type is JSON, as Chalice
    and API Gateway read it. A path with a CORS preflight is public: its
    refusal carries the stage's CORS headers, like its other answers."""
    path = (getattr(request, "context", None) or {}).get("resourcePath")
    methods = routes.get(path) or {}
    entry = methods.get(request.method)
    accepted = [media.lower() for media in entry.content_types] if entry is not None else []
    given = header(request, "content-type") or "application/json"
    # Chalice's own test: any part of the header (split at , and ;) that the route takes, or */* anywhere.
    parts = {part.strip() for part in re.split("[,;]", given.lower())}
    if not accepted or "*/*" in given or "*/*" in accepted or parts & set(accepted):
        return None
    refusal = UnsupportedMediaType(f"must be {' or '.join(accepted)}, not {given[:100]}")
    return error_response(refusal, public_cors(request) if "OPTIONS" in methods else None)


def public_cors(request: Any) -> dict[str, str]:
    """The CORS headers of a public route (forms, ratings, status pages), by the stage's allow-list."""
    return stage_cors(request, container().settings)
