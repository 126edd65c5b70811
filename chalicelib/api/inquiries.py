"""POST /inquiries: the storefront contact form."""
from __future__ import annotations

from chalice import Response

from ..clock import parse_iso
from ..container import container
from ..domain.emails import readable_time
from ..domain.errors import PayloadTooLarge
from ..domain.inquiry import parse_body
from .errors import endpoint
from .http import MAX_BODY_BYTES, cors_headers, header, html_response, json_response, prefers_html, source_ip


def _cors(request) -> dict[str, str]:
    return cors_headers(request, container().settings.cors_origins)


@endpoint(cors=_cors)
def post(request) -> Response:
    services = container()
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge("must be at most 64 KiB")
    fields = parse_body(raw, header(request, "content-type") or "application/json")
    answer = services.intake.submit(fields, idempotency_key=header(request, "idempotency-key"),
                                    sender=source_ip(request))
    if prefers_html(request):
        return _thank_you(answer, services.settings)
    return json_response(201, answer)


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


