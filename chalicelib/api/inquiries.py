"""POST /inquiries: the storefront contact form. A script gets JSON; a
browser's plain form post (no JavaScript) gets pages: the thank-you page, or
the form again with what went wrong."""
from __future__ import annotations

from chalice import Response

from ..clock import parse_iso
from ..container import container
from ..domain.errors import Conflict, FieldError, InvalidInput, TooManyRequests
from ..domain.inquiry import parse_body
from . import pages
from .http import (cors_headers, errors_response, header, html_page, json_response, loopback_origins,
                   prefers_html, source_ip, status_of)

RETRY_UNAVAILABLE_SECONDS = 30


def post(request) -> Response:
    from ..services.intake import DependencyUnavailable

    services = container()
    settings = services.settings
    refuse = _Refusal(request, settings, cors_headers(request, settings.cors_origins, loopback_origins(settings)))
    try:
        refuse.fields = parse_body(request.raw_body or b"", header(request, "content-type") or "application/json")
        answer = services.intake.submit(refuse.fields, idempotency_key=header(request, "idempotency-key"),
                                        sender=source_ip(request))
    except InvalidInput as invalid:
        title = "Your message is too long to send" if status_of(invalid) == 413 else "Please check your message"
        return refuse(status_of(invalid), invalid.errors, title)
    except Conflict as conflict:
        return refuse(409, [FieldError("Idempotency-Key", str(conflict))], "This form was already sent")
    except TooManyRequests as flood:
        return refuse(429, [FieldError("email", "too many requests; please try again later")],
                      "Please send your message a little later", {"Retry-After": str(flood.retry_after_seconds)},
                      pages.retry_notice(flood.retry_after_seconds, services.clock.now(), settings.timezone))
    except DependencyUnavailable:
        return refuse(503, [FieldError("body", "we could not take your request just now; "
                                               "please send it again in a minute")],
                      "Please send your message again in a minute",
                      {"Retry-After": str(RETRY_UNAVAILABLE_SECONDS)},
                      "We could not take your message just now; nothing was sent. Your message is kept below.")
    if refuse.html:
        return _thank_you(answer, settings)
    return json_response(201, answer, refuse.cors)


class _Refusal:
    """The error answer in the form the caller reads: JSON for scripts; for a
    browser's form post the form again, each problem beside its field, or a
    notice above it, every value kept."""

    def __init__(self, request, settings, cors: dict[str, str]) -> None:
        self.html = prefers_html(request)
        self.settings = settings
        self.cors = cors
        self.fields: dict = {}

    def __call__(self, status: int, errors: list[FieldError], title: str, headers: dict[str, str] | None = None,
                 notice: str | None = None) -> Response:
        headers = self.cors | (headers or {})
        if not self.html:
            return errors_response(status, errors, headers)
        page = pages.form_page(self.settings.brand, title, self.fields, [] if notice else errors,
                               [notice] if notice else [], self.settings.categories)
        return html_page(status, page, headers)


def _thank_you(answer: dict, settings) -> Response:
    if settings.thank_you_url:
        separator = "&" if "?" in settings.thank_you_url else "?"
        return Response("", status_code=303,
                        headers={"Location": f"{settings.thank_you_url}{separator}reference={answer['reference']}"})
    return html_page(201, pages.thank_you_page(settings.brand, answer["reference"],
                                               parse_iso(answer["first_response_due"]), settings.timezone))
