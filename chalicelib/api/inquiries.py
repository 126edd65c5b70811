"""POST /inquiries: the storefront contact form."""
from __future__ import annotations

from chalice import Response

from ..clock import parse_iso
from ..container import container
from ..domain.emails import readable_time
from ..domain.errors import Conflict, FieldError, InvalidInput, TooManyRequests
from ..domain.inquiry import parse_body
from .http import (MAX_BODY_BYTES, cors_headers, errors_response, header, html_response,
                   json_response, prefers_html, source_ip)


def post(request) -> Response:
    from ..services.intake import DependencyUnavailable

    services = container()
    cors = cors_headers(request, services.settings.cors_origins)
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        return errors_response(413, [FieldError("body", "must be at most 64 KiB")], cors)
    try:
        fields = parse_body(raw, header(request, "content-type") or "application/json")
        answer = services.intake.submit(fields, idempotency_key=header(request, "idempotency-key"),
                                        sender=source_ip(request))
    except InvalidInput as invalid:
        return errors_response(400, invalid.errors, cors)
    except Conflict as conflict:
        return errors_response(409, [FieldError("Idempotency-Key", str(conflict))], cors)
    except TooManyRequests as flood:
        retry = {"Retry-After": str(flood.retry_after_seconds)}
        return errors_response(429, [FieldError("email", "too many requests; please try again later")],
                               cors | retry)
    except DependencyUnavailable:
        return errors_response(503, [FieldError("body", "we could not take your request just now; "
                                                        "please send it again in a minute")],
                               cors | {"Retry-After": "30"})
    if prefers_html(request):
        return _thank_you(answer, services.settings)
    return json_response(201, answer, cors)


def _thank_you(answer: dict, settings) -> Response:
    if settings.thank_you_url:
        separator = "&" if "?" in settings.thank_you_url else "?"
        return Response("", status_code=303,
                        headers={"Location": f"{settings.thank_you_url}{separator}reference={answer['reference']}"})
    due = readable_time(parse_iso(answer["first_response_due"]), settings.timezone)
    return html_response(201, "Thank you, we have your request", [
        f"Your reference is {answer['reference']}.",
        f"You will hear from us by {due} at the latest. We have also sent you a confirmation by email.",
    ])
