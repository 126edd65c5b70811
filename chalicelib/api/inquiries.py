"""POST /inquiries: the storefront contact form. A script gets JSON; a
browser's plain form post (no JavaScript) gets pages: the thank-you page, or
the form again with what went wrong, every value kept."""

from __future__ import annotations

import secrets

from chalice import Response

from ..clock import parse_iso
from ..container import container
from ..domain.errors import CarelineError, Conflict, PayloadTooLarge, ServiceUnavailable, TooManyRequests
from ..domain.inquiry import parse_body
from ..services.intake import form_key
from ..views import pages
from ..views.i18n import customer_tag
from .errors import endpoint, public_cors, recognised
from .http import header, html_page, json_response, prefers_html, source_ip


@endpoint(cors=public_cors)
def post(request) -> Response:
    services = container()
    fields: dict = {}
    try:
        content_type = header(request, "content-type") or "application/json"
        fields = parse_body(request.raw_body or b"", content_type)
        if content_type.startswith("application/x-www-form-urlencoded") and not fields.get("locale"):
            # A plain form post (no script to send the browser's language): the browser's header says it.
            fields["locale"] = customer_tag(header(request, "accept-language"))
        answer = services.intake.submit(
            fields,
            idempotency_key=header(request, "idempotency-key"),
            sender=source_ip(request, services.settings.origin_secret),
        )
    except Exception as error:
        known = recognised(error)
        if known is None or not prefers_html(request):
            raise  # the one error table answers scripts
        return _form_again(known, fields, services)
    if prefers_html(request):
        return _thank_you(answer, services.settings)
    return json_response(201, answer)


def _form_again(error: CarelineError, fields: dict, services) -> Response:
    """For a browser: the form again, each problem beside its field, or a notice above it."""
    settings, notice = services.settings, None
    if isinstance(error, PayloadTooLarge):
        title = "Your message is too long to send"
    elif isinstance(error, Conflict):
        title = "This form was already sent"
    elif isinstance(error, TooManyRequests):
        title = "Please send your message a little later"
        notice = pages.retry_notice(error.retry_after_seconds, services.clock.now(), settings.timezone)
    elif isinstance(error, ServiceUnavailable):
        title = "Please send your message again in a minute"
        notice = "We could not take your message just now; nothing was sent. Your message is kept below."
    else:
        title = "Please check your message"
    # The form again carries a one-time key: sent again, it cannot make a second
    # ticket. The same key while nothing was stored; a new one once the first
    # form was taken (409: whatever is sent now is another message).
    key = None if isinstance(error, Conflict) else form_key(fields)
    page = pages.form_page(
        settings.brand,
        title,
        fields,
        [] if notice else error.errors,
        [notice] if notice else [],
        settings.categories,
        form_key=key or secrets.token_urlsafe(18),
    )
    return html_page(error.status, page, error.headers)


def _thank_you(answer: dict, settings) -> Response:
    if settings.thank_you_url:
        separator = "&" if "?" in settings.thank_you_url else "?"
        return Response(
            "",
            status_code=303,
            headers={"Location": f"{settings.thank_you_url}{separator}reference={answer['reference']}"},
        )
    return html_page(
        201,
        pages.thank_you_page(
            pages.Shop.of(settings),
            answer["reference"],
            parse_iso(answer["first_response_due"]),
            settings.timezone,
        ),
    )
