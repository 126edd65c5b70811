"""GET and POST /feedback/{token}: the customer's rating page. GET only
shows the form (mail scanners open every link); POST records."""

from __future__ import annotations

from chalice import Response

from ..container import container
from ..domain.errors import CarelineError, Gone, InvalidInput
from ..domain.feedback import parse_rating
from ..domain.inquiry import parse_body
from .errors import endpoint, public_cors
from .http import header, json_response, prefers_html, private_page


def _html(status: int, body: str) -> Response:
    from ..views.feedback_page import PAGE_STYLE

    return private_page(status, body, PAGE_STYLE)


def _shop():
    from ..views.pages import Shop

    return Shop.of(container().settings)


def _refusal(request, error: CarelineError) -> Response:
    """No ticket to say whose language: the browser's."""
    from ..views.feedback_page import refusal_page
    from ..views.i18n import negotiate

    lang = negotiate(header(request, "accept-language"), container().settings.locale)
    return _html(error.status, refusal_page(lang, _shop(), isinstance(error, Gone)))


@endpoint(cors=public_cors)
def page(request, token: str) -> Response:
    # The pages and their catalogues load with the first page, not with the app.
    from ..views.feedback_page import rating_page
    from ..views.i18n import resolve

    services = container()
    try:
        ticket = services.feedback.ticket_for(token)
    except CarelineError as error:
        return _refusal(request, error)
    clicked = (request.query_params or {}).get("score")
    lang = resolve(ticket.details["locale"], services.settings.locale)
    return _html(200, rating_page(lang, _shop(), ticket.reference, ticket.feedback, clicked))


@endpoint(cors=public_cors)
def record(request, token: str) -> Response:
    from ..views.feedback_page import rating_page, thanks_page
    from ..views.i18n import resolve

    services = container()
    html = prefers_html(request)
    try:
        ticket = services.feedback.ticket_for(token)
    except CarelineError as error:
        if not html:
            raise
        return _refusal(request, error)
    lang = resolve(ticket.details["locale"], services.settings.locale)
    fields = parse_body(request.raw_body or b"", header(request, "content-type") or "application/json")
    try:
        rating = parse_rating(fields)
    except InvalidInput as invalid:
        if not html:
            raise
        # The form again, each problem beside its field, every answer kept.
        errors = (e.field for e in invalid.errors)
        return _html(400, rating_page(lang, _shop(), ticket.reference, fields, errors=errors))
    services.feedback.record(ticket, rating)
    if html:
        return _html(200, thanks_page(lang, _shop()))
    return json_response(200, {"status": "recorded", "reference": ticket.reference, "feedback": rating})
