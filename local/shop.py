"""The local stage's shop: a small store answering as Shopify's Admin GraphQL
API and WooCommerce's REST API v3 document it, so the orders beside a ticket
are visible with `make run` (the dev routes under /_dev/shop-api/ serve it)
and the tests read the same orders (`serving()` puts it on a port of its own).

Its customers are those of local/shop.json (the README's Ann Lee among them)
and, once `make demo` ran, every demo customer with the order their story is
about (local/simulation.py records it) and sometimes an earlier one.

Only what Careline asks is answered: Shopify's `orders(query: ...)` with
`email:` and `name:` terms, each alias of the request one connection of
Order nodes (name, processedAt, email, cancelledAt, displayFinancialStatus,
displayFulfillmentStatus, totalPriceSet, lineItems, fulfillments with their
displayStatus and trackingInfo); WooCommerce's `GET /wp-json/wc/v3/orders`
(search, per_page, order) and `/orders/<id>`, with the Shipment Tracking
extension's `_wc_shipment_tracking_items` meta. Wrong credentials are 401, as
there. `POST /_dev/shop` makes it slow or silent, for the page's sake."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from chalicelib.clock import iso
from chalicelib.domain.commerce import same_number

FIXTURES = Path(__file__).with_name("shop.json")
# The local stage's credentials for its store: the `commerce` part of what
# AWS stages keep in their integrations secret (local/container.py).
CREDENTIALS = {
    "commerce": {"access_token": "shpat_local_careline", "consumer_key": "ck_local", "consumer_secret": "cs_local"}
}
SHIPPING = Decimal("4.90")
CARRIERS = {
    "DHL": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={number}",
    "DPD": "https://tracking.dpd.de/status/de_DE/parcel/{number}",
    "Hermes": "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation/#{number}",
}
SHIPPED = ("shipped", "in_transit", "out_for_delivery", "delivered")
# The demo's items (local/stories.py ITEMS) as the store sells them: title, quantity, unit price.
PRODUCTS = {
    "the rain jacket": ("Rain jacket, navy, M", 1, "89.00"),
    "two pairs of running socks": ("Running socks", 2, "7.45"),
    "the linen shirt": ("Linen shirt, white, S", 1, "39.00"),
    "a ceramic teapot": ("Ceramic teapot", 1, "34.50"),
    "the kids' backpack": ("Kids' backpack", 1, "45.00"),
    "the wool scarf": ("Wool scarf", 1, "29.90"),
    "a phone case": ("Phone case", 1, "19.90"),
    "the desk lamp": ("Desk lamp", 1, "59.00"),
    "the hiking boots": ("Hiking boots, 43", 1, "129.00"),
    "a set of espresso cups": ("Espresso cups (set of 4)", 1, "24.00"),
}

_orders: list[dict[str, Any]] = []  # recorded ones (the demo's); the fixtures are added when read
_lock = threading.Lock()
_behaviour = {"delay_ms": 0, "silent": False}
_asked: list[str] = []  # every call, in order ("shopify", "woocommerce /orders"): tests count them
_released = threading.Event()  # set when the shop may answer again (a silent shop waits on it)
_released.set()


# What the store holds


def _now() -> datetime:
    from chalicelib.container import container

    return container().clock.now()


def _fixtures(now: datetime) -> list[dict[str, Any]]:
    document = json.loads(FIXTURES.read_text())
    return [
        order | {"placed_at": now - timedelta(days=order["days_ago"], hours=3), "currency": document["currency"]}
        for order in document["orders"]
    ]


def orders() -> list[dict[str, Any]]:
    """Every order, newest first, each with its customer's email and its id (WooCommerce's)."""
    with _lock:
        recorded = list(_orders)
    every = _fixtures(_now()) + recorded
    ids = {o["number"]: 5000 + i for i, o in enumerate(sorted(every, key=lambda o: o["number"]))}
    return sorted((o | {"id": ids[o["number"]]} for o in every), key=lambda o: o["placed_at"], reverse=True)


def record(email: str, name: str, number: str, item: str, state: str | None, written_at: datetime) -> None:
    """The order a demo customer writes about at `written_at` (`state` None:
    the story names no real order) and, for some, an earlier delivered one:
    each customer's history is the same whenever the demo runs."""
    rng = random.Random(hashlib.sha256(f"{email}/{number}".encode()).digest())
    fresh = state in ("processing", "awaiting_payment")  # written about before it left the warehouse
    placed_at = written_at - timedelta(days=rng.uniform(0.2, 1.2) if fresh else rng.uniform(2, 9))
    made = []
    if state is not None:
        made.append(_order(email, name, number, [item], state, placed_at, rng))
    if rng.random() < 0.45:
        earlier = rng.choice([i for i in PRODUCTS if i != item])
        digits = int(re.sub(r"\D", "", number) or 0)
        previous = f"A-{max(digits - rng.randint(300, 4000), 1):05d}"
        before = placed_at - timedelta(days=rng.randint(25, 50))
        made.append(_order(email, name, previous, [earlier], "delivered", before, rng))
    with _lock:
        known = {o["number"] for o in _orders}
        _orders.extend(o for o in made if o["number"] not in known)


def _order(
    email: str, name: str, number: str, items: list[str], state: str, placed_at: datetime, rng: random.Random
) -> dict[str, Any]:
    carrier = rng.choice(sorted(CARRIERS))
    lines = [
        {"title": PRODUCTS[i][0], "quantity": PRODUCTS[i][1], "price": PRODUCTS[i][2]} for i in items if i in PRODUCTS
    ]
    return {
        "number": number,
        "email": email,
        "name": name,
        "placed_at": placed_at,
        "state": state,
        "currency": "EUR",
        "items": lines,
        "shipments": [{"carrier": carrier, "number": f"{rng.randint(10**13, 10**14 - 1)}"}] if state in SHIPPED else [],
    }


def _total(order: Mapping[str, Any]) -> str:
    items = sum((Decimal(i["price"]) * i["quantity"] for i in order["items"]), Decimal(0))
    return str(items + SHIPPING)


def _tracking(order: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {"carrier": s["carrier"], "number": s["number"], "url": CARRIERS[s["carrier"]].format(number=s["number"])}
        for s in order.get("shipments", ())
    ]


# How it behaves


def behave(delay_ms: int = 0, silent: bool = False) -> dict[str, Any]:
    """`POST /_dev/shop`: answer after `delay_ms`, or (silent) not at all until told otherwise."""
    _behaviour.update(delay_ms=delay_ms, silent=silent)
    if silent:
        _released.clear()
    else:
        _released.set()
    return dict(_behaviour)


def _wait() -> bool:
    """Before each answer: the delay asked for; False when the shop stays silent (the caller gave up long ago)."""
    if _behaviour["delay_ms"]:
        time.sleep(_behaviour["delay_ms"] / 1000)
    return _released.wait(timeout=120)


# Shopify's Admin GraphQL API

_ALIAS = re.compile(r"(\w+)\s*:\s*orders\s*\(([^)]*)\)")
_TERM = re.compile(r'(\w+):(?:"((?:[^"\\]|\\.)*)"|(\S+))')


def asked() -> list[str]:
    return list(_asked)


def answer_shopify(headers: Mapping[str, str], body: bytes) -> tuple[int, Any]:
    _asked.append("shopify")
    if not _wait():
        return 503, {"errors": "Service Unavailable"}
    if _header(headers, "X-Shopify-Access-Token") != CREDENTIALS["commerce"]["access_token"]:
        return 401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    try:
        request = json.loads(body or b"{}")
        query, variables = request["query"], request.get("variables") or {}
    except (ValueError, KeyError, TypeError):
        return 400, {"errors": {"query": "Required parameter missing or invalid"}}
    data = {}
    for alias, arguments in _ALIAS.findall(query):
        found = re.search(r"query:\s*\$(\w+)", arguments)
        first = re.search(r"first:\s*(?:\$(\w+)|(\d+))", arguments)
        terms = variables.get(found.group(1), "") if found else ""
        count = int(variables.get(first.group(1), 0) if first and first.group(1) else (first.group(2) if first else 0))
        matching = [o for o in orders() if _matches(o, terms)]  # newest first
        if not re.search(r"reverse:\s*true", arguments):
            matching.reverse()  # Shopify's default order is ascending
        data[alias] = {"nodes": [_shopify_node(o) for o in matching[: max(count, 0)]]}
    if not data:
        return 200, {"errors": [{"message": "the local shop answers the orders query only"}]}
    return 200, {"data": data, "extensions": {"cost": {"requestedQueryCost": 12, "actualQueryCost": 6}}}


def _matches(order: Mapping[str, Any], terms: str) -> bool:
    for field, quoted, bare in _TERM.findall(terms):
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted else bare
        if field == "email" and order["email"].casefold() != value.casefold():
            return False
        if field == "name" and not same_number(order["number"], value):
            return False
    return True


def _shopify_node(order: Mapping[str, Any]) -> dict[str, Any]:
    state = order["state"]
    fulfilled = state in SHIPPED or (state == "refunded" and order.get("shipments"))
    display = {"in_transit": "IN_TRANSIT", "out_for_delivery": "OUT_FOR_DELIVERY", "delivered": "DELIVERED"}
    return {
        "name": order["number"],
        "processedAt": iso(order["placed_at"]),
        "email": order["email"],
        "cancelledAt": iso(order["placed_at"] + timedelta(hours=5)) if state == "cancelled" else None,
        "displayFinancialStatus": {"refunded": "REFUNDED", "awaiting_payment": "PENDING"}.get(state, "PAID"),
        "displayFulfillmentStatus": "FULFILLED" if fulfilled else "ON_HOLD" if state == "on_hold" else "UNFULFILLED",
        "totalPriceSet": {"shopMoney": {"amount": _total(order), "currencyCode": order["currency"]}},
        "lineItems": {"nodes": [{"title": i["title"], "quantity": i["quantity"]} for i in order["items"]]},
        "fulfillments": [
            {
                "displayStatus": display.get(state, "FULFILLED"),
                "trackingInfo": [{"company": t["carrier"], "number": t["number"], "url": t["url"]}],
            }
            for t in _tracking(order)
        ],
    }


# WooCommerce's REST API v3


def answer_woocommerce(path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, Any]:
    """`path` below /wp-json/wc/v3: `/orders` or `/orders/<id>`."""
    _asked.append(f"woocommerce {path}")
    if not _wait():
        return 503, {"code": "unavailable", "message": "Service Unavailable", "data": {"status": 503}}
    keys = CREDENTIALS["commerce"]
    expected = base64.b64encode(f"{keys['consumer_key']}:{keys['consumer_secret']}".encode()).decode()
    if _header(headers, "Authorization") != f"Basic {expected}":
        return 401, {
            "code": "woocommerce_rest_cannot_view",
            "message": "Sorry, you cannot list resources.",
            "data": {"status": 401},
        }
    every = orders()
    single = re.fullmatch(r"/orders/(\d+)", path)
    if single:
        found = next((o for o in every if o["id"] == int(single.group(1))), None)
        if found is None:
            return 404, {
                "code": "woocommerce_rest_shop_order_invalid_id",
                "message": "Invalid ID.",
                "data": {"status": 404},
            }
        return 200, _woocommerce_order(found)
    if path != "/orders":
        return 404, {"code": "rest_no_route", "message": "No route was found.", "data": {"status": 404}}
    search = (query.get("search") or "").casefold()
    matching = [o for o in every if not search or search in " ".join((o["email"], o["number"], o["name"])).casefold()]
    matching.sort(key=lambda o: o["placed_at"], reverse=query.get("order", "desc") == "desc")
    per_page = int(query.get("per_page") or 10)
    return 200, [_woocommerce_order(o) for o in matching[: max(1, min(per_page, 100))]]


def _woocommerce_order(order: Mapping[str, Any]) -> dict[str, Any]:
    state = order["state"]
    status = {
        "awaiting_payment": "pending",
        "processing": "processing",
        "on_hold": "on-hold",
        "cancelled": "cancelled",
        "refunded": "refunded",
    }.get(state, "completed")
    first, _, last = order["name"].partition(" ")
    created = order["placed_at"].astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    tracking = [
        {
            "tracking_provider": "",
            "custom_tracking_provider": t["carrier"],
            "custom_tracking_link": t["url"],
            "tracking_number": t["number"],
            "date_shipped": str(int(order["placed_at"].timestamp()) + 86400),
        }
        for t in _tracking(order)
    ]
    return {
        "id": order["id"],
        "parent_id": 0,
        "number": order["number"],
        "status": status,
        "currency": order["currency"],
        "date_created": created,
        "date_created_gmt": created,
        "total": _total(order),
        "customer_id": 0,
        "billing": {"first_name": first, "last_name": last, "email": order["email"]},
        "line_items": [
            {"id": order["id"] * 10 + n, "name": i["title"], "quantity": i["quantity"], "total": i["price"]}
            for n, i in enumerate(order["items"])
        ],
        "meta_data": [{"id": order["id"] * 10, "key": "_wc_shipment_tracking_items", "value": tracking}]
        if tracking
        else [],
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


# On a port of its own (the tests)


@contextmanager
def serving() -> Iterator[str]:
    """The store on a free loopback port; yields its origin (`http://127.0.0.1:<port>`)."""

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, document: Any) -> None:
            raw = json.dumps(document).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:
                pass  # the caller gave up waiting: nothing to tell it

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if re.fullmatch(r"/shopify/admin/api/[\w-]+/graphql\.json", urlsplit(self.path).path):
                self._send(*answer_shopify(dict(self.headers), body))
            else:
                self._send(404, {"errors": "Not Found"})

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            prefix = "/woocommerce/wp-json/wc/v3"
            if parts.path.startswith(prefix):
                self._send(
                    *answer_woocommerce(parts.path[len(prefix) :], dict(parse_qsl(parts.query)), dict(self.headers))
                )
            else:
                self._send(404, {"code": "rest_no_route"})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        behave()  # a silent shop's waiting handlers answer and end
        server.shutdown()
        server.server_close()


def forget() -> None:
    """No recorded orders (tests: each starts from the fixtures alone)."""
    with _lock:
        _orders.clear()
    _asked.clear()
    behave()
