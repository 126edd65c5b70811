"""The operator API (Authorization: Bearer <token>): tickets and their work."""

from __future__ import annotations

from urllib.parse import unquote

from chalice import Response

from ..auth import Principal
from ..container import container
from ..domain.errors import FieldError, Forbidden, InvalidInput, Unauthorized
from ..domain.listing import FILTERS
from .errors import endpoint
from .http import header, json_response, parse_json_body

AGENTS = ("agent", "admin")
ADMINS = ("admin",)


def authenticate(request, roles=AGENTS) -> Principal:
    value = header(request, "authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer token is required")
    services = container()
    principal = services.verifier.verify(token.strip())
    if not principal.roles & set(roles):
        raise Forbidden(f"this needs the role {' or '.join(roles)}")
    services.directory.admit(principal.email, principal.roles)
    return principal


def operator_call(roles=AGENTS):
    """Authenticate, then run; errors are answered by the one error table."""

    def wrap(handler):
        @endpoint()
        def call(request, *args) -> Response:
            return handler(request, authenticate(request, roles), *args)

        call.roles = roles  # the authorisation matrix test and the OpenAPI document read this
        return call

    return wrap


def body_of(request) -> object:
    return parse_json_body(request.raw_body)


def _ticket_response(view: dict, status: int = 200) -> Response:
    return json_response(status, view, {"ETag": f'"{view["version"]}"'})


@operator_call()
def list_tickets(request, principal: Principal) -> Response:
    params = request.query_params or {}
    raw_limit = params.get("limit", "25")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise InvalidInput([FieldError("limit", "must be a whole number from 1 to 100")])
    filters = {k: params[k] for k in FILTERS if params.get(k)}
    if filters.get("assignee") == "me":
        filters["assignee"] = principal.email
    return json_response(
        200,
        container().listing.list(
            filters, int(raw_limit), params.get("cursor"), q=params.get("q"), sort=params.get("sort") or "newest"
        ),
    )


@operator_call()
def get_ticket(request, principal: Principal, ticket_id: str) -> Response:
    return _ticket_response(container().tickets.get(ticket_id))


def if_match(request) -> int | None:
    """The version an If-Match header names (`3`, `"3"` or `W/"3"`), or None without one."""
    raw = header(request, "if-match")
    if raw is None:
        return None
    digits = raw.strip().removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise InvalidInput([FieldError("If-Match", "must be the ticket's version, like 3")])
    return int(digits)


@operator_call()
def ticket_orders(request, principal: Principal, ticket_id: str) -> Response:
    """The customer's orders from the shop's store; asked apart from the ticket so a slow store never holds it up."""
    return json_response(200, container().purchases.for_ticket(ticket_id))


@operator_call()
def patch_ticket(request, principal: Principal, ticket_id: str) -> Response:
    return _ticket_response(container().tickets.patch(ticket_id, body_of(request), if_match(request), principal.actor))


@operator_call()
def reply(request, principal: Principal, ticket_id: str) -> Response:
    body, version = body_of(request), if_match(request)
    files = container().attachments.for_reply(ticket_id, body)  # none named: no S3 client is built
    return _ticket_response(container().tickets.reply(ticket_id, body, principal.actor, files, version), 201)


@operator_call()
def open_ticket(request, principal: Principal) -> Response:
    """An operator writes to a customer first: a new ticket, its first message emailed."""
    services = container()
    ticket_id = services.customers.write_to(body_of(request), principal.actor)
    view = services.tickets.get(ticket_id)
    response = _ticket_response(view, 201)
    response.headers["Location"] = f"/tickets/{ticket_id}"
    return response


@operator_call()
def merge(request, principal: Principal, ticket_id: str) -> Response:
    return _ticket_response(container().merges.merge(ticket_id, body_of(request), principal.actor))


@operator_call()
def split(request, principal: Principal, ticket_id: str) -> Response:
    view = container().merges.split(ticket_id, body_of(request), principal.actor)
    response = _ticket_response(view, 201)
    response.headers["Location"] = f"/tickets/{view['id']}"
    return response


@operator_call()
def presence(request, principal: Principal, ticket_id: str) -> Response:
    return json_response(200, container().presence.here(ticket_id, principal.email, body_of(request)))


@operator_call()
def leave(request, principal: Principal, ticket_id: str) -> Response:
    container().presence.leave(ticket_id, principal.email)
    return Response("", status_code=204)


@operator_call()
def note(request, principal: Principal, ticket_id: str) -> Response:
    return _ticket_response(container().tickets.note(ticket_id, body_of(request), principal.actor), 201)


@operator_call()
def log_call(request, principal: Principal, ticket_id: str) -> Response:
    return _ticket_response(container().tickets.log_call(ticket_id, body_of(request), principal.actor), 201)


@operator_call()
def preview_reply(request, principal: Principal, ticket_id: str) -> Response:
    services = container()
    return json_response(
        200, services.tickets.preview(ticket_id, body_of(request), principal.actor, services.delivery.compose)
    )


@operator_call()
def me(request, principal: Principal) -> Response:
    return json_response(200, container().directory.me(principal.email, principal.roles))


@operator_call()
def list_agents(request, principal: Principal) -> Response:
    return json_response(200, {"items": container().directory.agents()})


@operator_call()
def put_agent(request, principal: Principal, email: str) -> Response:
    email = principal.email if email == "me" else unquote(email).lower()
    admin = "admin" in principal.roles
    if email != principal.email and not admin:
        raise Forbidden("only admins set other agents' availability")
    return json_response(200, container().directory.set_agent(email, body_of(request), principal.actor, by_admin=admin))


@operator_call(ADMINS)
def remove_agent(request, principal: Principal, email: str) -> Response:
    container().directory.remove_agent(unquote(email), principal.actor)
    return Response("", status_code=204)


@operator_call()
def list_macros(request, principal: Principal) -> Response:
    return json_response(200, {"items": container().directory.macros()})


@operator_call(ADMINS)
def put_macro(request, principal: Principal, name: str) -> Response:
    return json_response(200, container().directory.put_macro(name, body_of(request), principal.actor))


@operator_call(ADMINS)
def delete_macro(request, principal: Principal, name: str) -> Response:
    container().directory.delete_macro(name, principal.actor)
    return Response("", status_code=204)


@operator_call()
def list_views(request, principal: Principal) -> Response:
    return json_response(200, {"items": container().views.views(principal.email)})


@operator_call()
def put_view(request, principal: Principal, scope: str, name: str) -> Response:
    admin = "admin" in principal.roles
    return json_response(200, container().views.put(scope, name, body_of(request), principal.actor, admin))


@operator_call()
def delete_view(request, principal: Principal, scope: str, name: str) -> Response:
    container().views.delete(scope, name, principal.actor, "admin" in principal.roles)
    return Response("", status_code=204)


@operator_call()
def get_customer(request, principal: Principal, email: str) -> Response:
    return json_response(200, container().customers.get(unquote(email)))


@operator_call()
def patch_customer(request, principal: Principal, email: str) -> Response:
    return json_response(200, container().customers.set_note(unquote(email), body_of(request), principal.actor))


@operator_call(ADMINS)
def export_customer(request, principal: Principal, email: str) -> Response:
    return json_response(200, container().customers.export(unquote(email), principal.actor))


@operator_call(ADMINS)
def erase_customer(request, principal: Principal, email: str) -> Response:
    return json_response(200, container().customers.erase(unquote(email), principal.actor))


@operator_call(ADMINS)
def audit_trail(request, principal: Principal) -> Response:
    """Who did what, when: newest first, by person and kind."""
    params = request.query_params or {}
    return json_response(200, container().audit.list(params.get("person"), params.get("kind"), params.get("cursor")))


@operator_call()
def get_metrics(request, principal: Principal) -> Response:
    params = request.query_params or {}
    if params.get("format") not in (None, "json", "csv"):
        raise InvalidInput([FieldError("format", "must be json or csv")])
    if params.get("format") == "csv":
        text = container().metrics.csv(params.get("since"), params.get("until"), params.get("table"))
        name = f"careline-metrics-{params.get('table') or 'daily'}.csv"
        return Response(
            text,
            status_code=200,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )
    return json_response(200, container().metrics.report(params.get("since"), params.get("until")))


@operator_call()
def upload(request, principal: Principal, ticket_id: str) -> Response:
    """A signed form to upload one file for a reply (POST it to `url` with `fields` and the file)."""
    return json_response(201, container().attachments.upload(ticket_id, body_of(request)))


@operator_call()
def download(request, principal: Principal, ticket_id: str, sha256: str) -> Response:
    """A link to download one of the ticket's files, valid for minutes."""
    return json_response(200, container().attachments.download(ticket_id, sha256))
