"""The customer's status page, `/status/{token}` (contract section 6): GET
shows it and records nothing (mail scanners open every link); POST adds a
message (with files) exactly as an emailed reply, or says the problem is
solved: a browser's form gets 303 back to the page, a script 200 JSON.
`/status/{token}/link` emails a fresh link when the token expired;
`/status/{token}/files/{sha256}` redirects to a five-minute download link.
A forged, edited or unknown token is 404, an expired one 410 (with the
form that asks for a fresh link). Links inside the pages are relative, so
they work wherever the API is mounted (`/api` behind CloudFront)."""

from __future__ import annotations

from chalice import Response

from ..container import container
from ..domain.errors import CarelineError, Gone, InvalidInput
from .errors import endpoint, public_cors
from .http import header, json_response, prefers_html, private_page

DONE = ("sent", "solved", "continued")


def _html(status: int, body: str) -> Response:
    from ..views.status_page import STATUS_STYLE

    return private_page(status, body, STATUS_STYLE)


def _shop():
    from ..views.pages import Shop

    return Shop.of(container().settings)


def _refusal(request, error: CarelineError, token: str, to_token: str = "") -> Response:
    """No ticket to say whose language: the browser's. `to_token`: the way
    from this page's address to the token's (relative)."""
    from ..views.i18n import negotiate
    from ..views.status_page import expired_page, unknown_page

    lang = negotiate(header(request, "accept-language"), container().settings.locale)
    if isinstance(error, Gone):
        return _html(410, expired_page(lang, _shop(), f"{to_token}{token}/link"))
    return _html(error.status, unknown_page(lang, _shop()))


def _page(ticket, token: str, status: int = 200, **shown) -> Response:
    from ..views.i18n import resolve
    from ..views.status_page import status_page

    services = container()
    settings = services.settings
    view = services.status.view(ticket)
    lang = resolve(view.ticket.details["locale"], settings.locale)
    timezone = view.ticket.details["timezone"] or settings.timezone
    return _html(status, status_page(lang, _shop(), view, token, services.clock.now(), timezone, **shown))


@endpoint(cors=public_cors)
def page(request, token: str) -> Response:
    try:
        ticket = container().status.ticket_for(token)
    except CarelineError as error:
        return _refusal(request, error, token)
    done = (request.query_params or {}).get("done")
    return _page(ticket, token, done=done if done in DONE else None)


@endpoint(cors=public_cors)
def post(request, token: str) -> Response:
    from ..domain.status import check, read_post

    services = container()
    html = prefers_html(request)
    try:
        ticket = services.status.ticket_for(token)
    except CarelineError as error:
        if not html:
            raise
        return _refusal(request, error, token)
    uploads: list = []
    fields: dict = {}
    try:
        fields, uploads = read_post(request.raw_body or b"", header(request, "content-type") or "application/json")
        sent = check(fields, uploads)
    except InvalidInput as invalid:
        if not html:
            raise
        # The page again: each problem beside its control, their words kept (files must be chosen again).
        message = fields.get("message") if isinstance(fields.get("message"), str) else ""
        return _page(ticket, token, invalid.status, errors=invalid.errors, uploads=uploads, message=message)
    done, ticket_id = services.status.post(ticket, sent)
    if not html:
        after = services.store.ticket(ticket_id)
        answer = {"done": done, "reference": after.reference if after else ticket.reference}
        return json_response(200, answer | {"status": after.status if after else ticket.status})
    # Back to the page (of the new ticket, if a closed one was continued): reloading it sends nothing again.
    target = token if ticket_id == ticket.id else services.status.token(ticket_id)
    return Response("", status_code=303, headers={"Location": f"{target}?done={done}"})


@endpoint(cors=public_cors)
def fresh_link(request, token: str) -> Response:
    """Email a fresh link to the ticket's own address; the same answer whatever the token was."""
    from ..views.i18n import negotiate
    from ..views.status_page import expired_page

    services = container()
    services.status.fresh_link(token)
    if not prefers_html(request):
        return json_response(202, {"status": "accepted"})
    lang = negotiate(header(request, "accept-language"), services.settings.locale)
    return _html(200, expired_page(lang, _shop(), "", sent=True))


@endpoint(cors=public_cors)
def download(request, token: str, sha256: str) -> Response:
    services = container()
    try:
        ticket = services.status.ticket_for(token)
        url = services.status.download(ticket, sha256)
    except CarelineError as error:
        return _refusal(request, error, token, to_token="../../")
    return Response("", status_code=303, headers={"Location": url, "Cache-Control": "no-store"})
