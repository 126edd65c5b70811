"""The local stage's own routes (the dev mailbox, clock, tokens, inbound mail,
events and webhook receiver, and the static admin page, widget and example
shop), registered on the app by `make run` and the tests: never deployed."""

from __future__ import annotations

import functools
import json
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from chalice import Blueprint, Chalice, Response

from chalicelib.api.errors import endpoint
from chalicelib.api.http import json_response, static_site_headers
from chalicelib.auth import ROLES
from chalicelib.clock import iso
from chalicelib.container import container
from chalicelib.domain.errors import FieldError, InvalidInput
from chalicelib.domain.text import is_email
from chalicelib.log import bound

from .scheduler import RUNNING, run_due, settle
from .tokens import issue_local_token

dev = Blueprint(__name__)
# `curl -d '{...}'` sends a form content type; the dev routes read JSON whatever it says.
ANY_BODY = ["application/json", "application/x-www-form-urlencoded", "text/plain"]
MAX_ADVANCE_MINUTES = 366 * 24 * 60


def register(app: Chalice) -> Chalice:
    """The app with the dev routes added (once: Chalice refuses a route twice)."""
    if not any(
        entry.view_function.__module__ == __name__ for methods in app.routes.values() for entry in methods.values()
    ):
        app.register_blueprint(dev)
    return app


def _json_object(request) -> dict | None:
    try:
        body = json.loads(request.raw_body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def handled(view):
    """A dev route's errors answered through the one error table."""

    @functools.wraps(view)
    def run(**params):  # Chalice passes a route's path parameters by name
        return endpoint(function="local stage")(lambda request: view(**params))(dev.current_request)

    return run


@dev.route("/_dev/mail")
def mailbox():
    from .mailbox import sent_messages

    settle()
    return json_response(200, sent_messages())


@dev.route("/_dev/events")
def events():
    from .events import published

    settle()
    return json_response(200, published())


@dev.route("/_dev/webhooks", methods=["POST"], content_types=ANY_BODY)
@handled
def webhook_receiver():
    """The local stage's webhook endpoint: checks the signature and keeps the delivery."""
    import time

    from .webhooks import receive

    request = dev.current_request
    secrets = [endpoint.secret.encode() for endpoint in container().settings.webhooks]  # literals locally
    delivery = receive(dict(request.headers or {}), request.raw_body or b"", secrets, int(time.time()))
    if not delivery["verified"]:
        raise InvalidInput([FieldError("Careline-Signature", delivery["error"])])
    return Response("", status_code=204)


@dev.route("/_dev/webhooks")
def webhook_deliveries():
    from .webhooks import received

    settle()
    return json_response(200, received())


@dev.route("/_dev/clock", methods=["POST"], content_types=ANY_BODY)
@handled
def advance_clock():
    body = _json_object(dev.current_request)
    minutes = None if body is None else body.get("advance_minutes", 0)
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 <= minutes <= MAX_ADVANCE_MINUTES:
        raise InvalidInput(
            [FieldError("advance_minutes", f"must be a number of minutes from 0 to {MAX_ADVANCE_MINUTES}")]
        )
    services = container()
    settle()
    services.clock.advance(timedelta(minutes=minutes))
    return json_response(200, {"now": iso(services.clock.now()), "fired": run_due(services, everything=True)})


@dev.route("/_dev/demo", methods=["POST"], content_types=ANY_BODY)
@handled
def demo():
    """Load demo tickets over the last days (`make demo`): see local/simulation.py."""
    from .simulation import load

    body = _json_object(dev.current_request)
    limits = {"tickets": (1, 1000, 200), "days": (1, 90, 30), "seed": (0, 2**31, 11)}
    errors, values = [], {}
    for name, (low, high, default) in limits.items():
        value = default if body is None else body.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors.append(FieldError(name, f"must be a whole number from {low} to {high}"))
        values[name] = value
    if errors:
        raise InvalidInput(errors)
    services = container()
    with RUNNING:  # the background tick waits: the stack runs on the demo's clock meanwhile
        settle()
        return json_response(200, load(services, **values))


@dev.route("/_dev/token", methods=["POST"], content_types=ANY_BODY)
@handled
def token():
    body = _json_object(dev.current_request) or {}
    errors = []
    if not is_email(body.get("email")):
        errors.append(FieldError("email", "must be a valid email address"))
    if body.get("role") not in ROLES:
        errors.append(FieldError("role", "must be one of: " + ", ".join(ROLES)))
    if errors:
        raise InvalidInput(errors)
    services = container()
    return json_response(
        200,
        {"token": issue_local_token(body["email"], body["role"], services.settings.public_url, services.clock.now())},
    )


@dev.route("/_dev/inbound", methods=["POST"], content_types=["message/rfc822", *ANY_BODY])
@handled
def inbound():
    """A raw RFC 5322 message, handled as SES inbound mail to the support address."""
    raw = dev.current_request.raw_body or b""
    if not raw.strip():
        raise InvalidInput([FieldError("body", "must be a raw RFC 5322 message")])
    services = container()
    with bound(function="on_inbound_email"):  # what it stands in for
        decision = services.inbound.handle(raw)
    settle()
    return json_response(200, decision)


@dev.route("/_dev/mail-event", methods=["POST"], content_types=ANY_BODY)
@handled
def mail_event():
    """An SES bounce or complaint event (the JSON SES publishes), handled as
    on_mail_event handles it when it arrives through the stage's SNS topic."""
    from app import on_mail_event

    body = _json_object(dev.current_request)
    if body is None or not (body.get("eventType") or body.get("notificationType")):
        raise InvalidInput(
            [FieldError("eventType", 'must be an SES event, like {"eventType": "Bounce", "bounce": {...}}')]
        )
    record = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "Sns": {"Type": "Notification", "Message": json.dumps(body), "MessageAttributes": {}},
    }
    return json_response(200, on_mail_event({"Records": [record]}, None))


# The local shop (local/shop.py): Shopify's and WooCommerce's APIs as the
# stage's store, and how it behaves (slow, silent) for trying the page.


@dev.route(
    "/_dev/shop-api/shopify/admin/api/{version}/graphql.json", methods=["POST"], content_types=["application/json"]
)
def shop_shopify(version):
    from .shop import answer_shopify

    request = dev.current_request
    status, document = answer_shopify(dict(request.headers or {}), request.raw_body or b"")
    return json_response(status, document)


@dev.route("/_dev/shop-api/woocommerce/wp-json/wc/v3/orders")
def shop_woocommerce_orders():
    from .shop import answer_woocommerce

    request = dev.current_request
    return json_response(*answer_woocommerce("/orders", request.query_params or {}, dict(request.headers or {})))


@dev.route("/_dev/shop-api/woocommerce/wp-json/wc/v3/orders/{order_id}")
def shop_woocommerce_order(order_id):
    from .shop import answer_woocommerce

    request = dev.current_request
    return json_response(*answer_woocommerce(f"/orders/{order_id}", {}, dict(request.headers or {})))


@dev.route("/_dev/shop", methods=["POST"], content_types=ANY_BODY)
@handled
def shop_behaviour():
    """`{"delay_ms": N}` answers each call N ms late; `{"silent": true}` answers none (until told otherwise)."""
    from .shop import behave

    body = _json_object(dev.current_request)
    delay = None if body is None else body.get("delay_ms", 0)
    silent = None if body is None else body.get("silent", False)
    errors = []
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 60_000:
        errors.append(FieldError("delay_ms", "must be a whole number of milliseconds from 0 to 60000"))
    if not isinstance(silent, bool):
        errors.append(FieldError("silent", "must be true or false"))
    if errors:
        raise InvalidInput(errors)
    return json_response(200, behave(delay, silent))


# The admin page and the widget are static files; in AWS CloudFront serves
# them from S3, locally these routes do (same origin as the API).
ROOT = Path(__file__).resolve().parent.parent
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


def _static(folder: str, name: str, *connect: str) -> Response:
    """The file, or a 404 with the same security headers: every answer under
    the site's paths carries its policy, as CloudFront's SiteHeaders puts it
    on S3's errors too (infra/stack/site.py)."""
    path = (ROOT / folder / name).resolve()
    if path.parent != (ROOT / folder).resolve() or path.suffix not in STATIC_TYPES or not path.is_file():
        return Response(
            "Not found\n",
            status_code=404,
            headers={"Content-Type": "text/plain; charset=utf-8", **static_site_headers(*connect)},
        )
    return Response(
        path.read_text(),
        status_code=200,
        headers={
            "Content-Type": STATIC_TYPES[path.suffix],
            "Cache-Control": "no-store",
            **static_site_headers(*connect),
        },
    )


def _file_store() -> tuple[str, ...]:
    """The emulator's origin, where the admin page uploads a reply's files
    (the signed forms point there, as in AWS they point at the bucket)."""
    endpoint = urlsplit(os.environ.get("AWS_ENDPOINT_URL", ""))
    return (f"{endpoint.scheme}://{endpoint.netloc}",) if endpoint.scheme and endpoint.netloc else ()


@dev.route("/admin")
def admin_home():
    return Response("", status_code=302, headers={"Location": "/admin/index.html"})


@dev.route("/admin/{name}")
@handled
def admin_file(name):
    if name == "config.js":  # what a deploy writes per stage
        services = container()
        config = {"apiBase": "", "stage": services.settings.stage, "categories": list(services.settings.categories)}
        return Response(
            f"window.CARELINE = {json.dumps(config)};\n",
            status_code=200,
            headers={
                "Content-Type": STATIC_TYPES[".js"],
                "Cache-Control": "no-store",
                **static_site_headers(*_file_store()),
            },
        )
    return _static("admin", name, *_file_store())


@dev.route("/widget/{name}")
@handled
def widget_file(name):
    return _static("widget", name)


@dev.route("/shop")
@handled
def example_storefront():
    return _static("widget", "example.html")
