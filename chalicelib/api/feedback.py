"""GET and POST /feedback/{token}: the customer's rating page. GET only
shows the form (mail scanners open every link); POST records."""
from __future__ import annotations

from chalice import Response

from ..container import container
from ..domain.errors import FieldError, InvalidInput
from ..domain.feedback import ExpiredToken, UnknownToken, parse_rating, read_token
from ..domain.feedback_page import rating_page, refusal_page, thanks_page
from ..domain.i18n import negotiate, resolve
from ..domain.inquiry import parse_body
from .http import cors_headers, errors_response, header, json_response, prefers_html

# The token is in the address: never cached, indexed or passed on as a referrer;
# the page needs nothing but its own inline style and its own form.
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                           "frame-ancestors 'none'"}


def _html(status: int, body: str) -> Response:
    return Response(body, status_code=status, headers={"Content-Type": "text/html; charset=utf-8", **PAGE_HEADERS})


def _ticket_for(token: str):
    services = container()
    ticket_id = read_token(token, services.signing_key(), services.clock.now())
    ticket = services.store.get_ticket(ticket_id)
    if ticket is None:
        raise UnknownToken()
    return ticket


def _refusal(request, error: Exception, html: bool) -> Response:
    expired = isinstance(error, ExpiredToken)
    status = 410 if expired else 404
    if html:  # no ticket to say whose language: the browser's
        return _html(status, refusal_page(negotiate(header(request, "accept-language")), expired))
    message = "This feedback link has expired." if expired else "This feedback link is not valid."
    return errors_response(status, [FieldError("token", message)], _cors(request))


def _cors(request) -> dict[str, str]:
    return cors_headers(request, container().settings.cors_origins)


def page(request, token: str) -> Response:
    try:
        ticket = _ticket_for(token)
    except (UnknownToken, ExpiredToken) as error:
        return _refusal(request, error, True)
    clicked = (request.query_params or {}).get("score")
    return _html(200, rating_page(resolve(ticket.locale), ticket.reference, ticket.feedback, clicked))


def record(request, token: str) -> Response:
    html = prefers_html(request)
    fields: dict = {}
    try:
        ticket = _ticket_for(token)
        fields = parse_body(request.raw_body or b"", header(request, "content-type") or "application/json")
        rating = parse_rating(fields)
    except (UnknownToken, ExpiredToken) as error:
        return _refusal(request, error, html)
    except InvalidInput as invalid:
        if html:  # the form again, each problem beside its field, every answer kept
            return _html(400, rating_page(resolve(ticket.locale), ticket.reference, fields,
                                          errors=(e.field for e in invalid.errors)))
        return errors_response(400, invalid.errors, _cors(request))
    container().tickets.record_feedback(ticket.id, rating)
    if html:
        return _html(200, thanks_page(resolve(ticket.locale)))
    return json_response(200, {"status": "recorded", "reference": ticket.reference, "feedback": rating},
                         _cors(request))
