"""The one place that turns errors into HTTP answers, for every route.

A `CarelineError` (domain/errors.py) answers its status with
`{"errors": [{"field", "message", "code"}]}` and its headers, CORS included
on public routes. Anything else is unexpected: logged with the request id
and answered 500 with that id only. Every log line a request writes carries
the function and the request id."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from chalice import Response

from ..domain.errors import CarelineError, FieldError
from ..log import bound, logger
from .http import json_response

log = logger(__name__)


def request_id(request: Any) -> str:
    context = getattr(request, "context", None) or {}
    return str(context.get("requestId") or uuid.uuid4())


def error_response(error: CarelineError, headers: dict[str, str] | None = None) -> Response:
    errors = [e.as_dict() | {"code": error.code} for e in error.errors]
    return json_response(error.status, {"errors": errors}, {**(headers or {}), **error.headers})


def errors_body(errors: list[FieldError], code: str) -> dict:
    return {"errors": [e.as_dict() | {"code": code} for e in errors]}


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
                except CarelineError as error:
                    return error_response(error, headers)
                except Exception:
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
