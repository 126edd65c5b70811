"""The shop's store, read for the orders beside a ticket: Shopify's Admin
GraphQL API or WooCommerce's REST API v3, each translated into the domain's
orders (domain/commerce.py). Read only, with the stage's timeout on every
call; whatever goes wrong is StoreUnavailable, never an error of the page.

Shopify: one POST to `/admin/api/<version>/graphql.json` with the app's
`X-Shopify-Access-Token`, asking `orders(query: "email:...")` for the recent
orders and, in the same request, `orders(query: "name:...")` for the order
the ticket names. Orders older than 60 days are visible only with the app's
`read_all_orders` scope (Shopify's rule).
WooCommerce: `GET /wp-json/wc/v3/orders?search=<email>` with the REST API
key as HTTP Basic credentials (HTTPS), and, when the ticket's order is not
among those, the order itself (`/orders/<id>` for a number, else a search);
tracking comes from the Shipment Tracking extension's order meta
`_wc_shipment_tracking_items`."""

from __future__ import annotations

import base64
import html
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from ..domain.commerce import LineItem, Lookup, Order, Shipment, belongs_to, safe_link, same_number
from .outbound import opener

MAX_ANSWER_BYTES = 2 * 1024 * 1024  # a page of orders is far smaller: more is not an answer to us
RECENT = 5  # recent orders shown beside a ticket


class StoreUnavailable(Exception):
    """The store did not answer in time, refused the credentials or answered nonsense."""


def _request(method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Any:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
    try:
        with opener.open(request, timeout=timeout) as answer:
            raw = answer.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        refusals = {401: "refused the credentials", 403: "refused the credentials", 429: "asked us to slow down"}
        raise StoreUnavailable(refusals.get(error.code, f"answered {error.code}")) from None
    except TimeoutError:
        raise StoreUnavailable(f"did not answer within {timeout:g} s") from None
    except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out while connecting
        reason = getattr(error, "reason", None) or error
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise StoreUnavailable(f"did not answer within {timeout:g} s") from None
        raise StoreUnavailable(f"could not be reached ({reason})") from None
    if len(raw) > MAX_ANSWER_BYTES:
        raise StoreUnavailable("answered more than a page of orders")
    try:
        return json.loads(raw)
    except ValueError:
        raise StoreUnavailable("answered something that is not JSON") from None


def _moment(value: object) -> datetime:
    """An ISO-8601 time from the store; one without an offset is UTC (WooCommerce's *_gmt fields)."""
    if not isinstance(value, str) or not value:
        return datetime(1970, 1, 1, tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _quantity(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# Shopify

SHOPIFY_API_VERSION = "2026-10"  # a supported version (Shopify keeps each for at least 12 months)
_ORDER_FIELDS = """
fragment CarelineOrder on Order {
  name
  processedAt
  email
  cancelledAt
  displayFinancialStatus
  displayFulfillmentStatus
  totalPriceSet { shopMoney { amount currencyCode } }
  lineItems(first: 10) { nodes { title quantity } }
  fulfillments(first: 5) { displayStatus trackingInfo(first: 3) { company number url } }
}"""
# Fulfillment display statuses, most advanced first: the order is as far as its furthest shipment.
_DELIVERY = (
    ("delivered", ("DELIVERED", "PICKED_UP")),
    ("out_for_delivery", ("OUT_FOR_DELIVERY", "READY_FOR_PICKUP")),
    ("in_transit", ("IN_TRANSIT", "CARRIER_PICKED_UP", "ATTEMPTED_DELIVERY", "DELAYED", "NOT_DELIVERED")),
)


def shopify_query(named: bool) -> str:
    """The one request: recent orders by email and, when asked, the named order (the values are variables)."""
    fields = "nodes { ...CarelineOrder }"
    parts = [f"recent: orders(first: $first, query: $recent, sortKey: PROCESSED_AT, reverse: true) {{ {fields} }}"]
    arguments = ["$recent: String!", "$first: Int!"]
    if named:
        parts.append(f"named: orders(first: 5, query: $named) {{ {fields} }}")
        arguments.append("$named: String!")
    return f"query CarelineOrders({', '.join(arguments)}) {{\n  " + "\n  ".join(parts) + "\n}" + _ORDER_FIELDS


def shopify_search(field: str, value: str) -> str:
    """A term of Shopify's search syntax, quoted so that its value is only ever a value."""
    return f'{field}:"{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'


def shopify_order(node: Mapping[str, Any]) -> Order:
    financial = _text(node.get("displayFinancialStatus"))
    fulfillment = _text(node.get("displayFulfillmentStatus"))
    fulfillments = [f for f in node.get("fulfillments") or () if isinstance(f, Mapping)]
    shipped = {_text(f.get("displayStatus")) for f in fulfillments}
    money = (node.get("totalPriceSet") or {}).get("shopMoney") or {}
    if node.get("cancelledAt"):
        status = "cancelled"
    elif financial == "REFUNDED":
        status = "refunded"
    elif financial in ("VOIDED", "EXPIRED"):
        status = "cancelled" if financial == "VOIDED" else "failed"
    elif fulfillment == "FULFILLED":
        status = next((s for s, displays in _DELIVERY if shipped & set(displays)), "shipped")
    elif fulfillment == "PARTIALLY_FULFILLED":
        status = "partially_shipped"
    elif fulfillment == "ON_HOLD":
        status = "on_hold"
    elif financial == "PENDING":
        status = "awaiting_payment"
    else:
        status = "processing"
    return Order(
        number=_text(node.get("name")),
        status=status,
        placed_at=_moment(node.get("processedAt")),
        total=_text(money.get("amount")),
        currency=_text(money.get("currencyCode")),
        email=node.get("email") if isinstance(node.get("email"), str) else None,
        items=tuple(
            LineItem(_text(i.get("title")), _quantity(i.get("quantity")))
            for i in (node.get("lineItems") or {}).get("nodes") or ()
            if isinstance(i, Mapping)
        ),
        shipments=tuple(
            Shipment(t.get("company") or None, t.get("number") or None, safe_link(t.get("url")))
            for f in fulfillments
            for t in f.get("trackingInfo") or ()
            if isinstance(t, Mapping)
        ),
        store_status=" · ".join(s for s in (fulfillment, financial) if s),
    )


class ShopifyStore:
    platform = "shopify"

    def __init__(
        self, url: str, credentials: Callable[[], Mapping[str, str]], timeout: float, api_version: str | None = None
    ) -> None:
        self._endpoint = f"{url.rstrip('/')}/admin/api/{api_version or SHOPIFY_API_VERSION}/graphql.json"
        self._credentials = credentials
        self._timeout = timeout

    def lookup(self, email: str, order_id: str | None) -> Lookup:
        variables: dict[str, Any] = {"recent": shopify_search("email", email), "first": RECENT}
        if order_id:
            variables["named"] = shopify_search("name", order_id)
        token = self._credentials().get("access_token", "")
        body = json.dumps({"query": shopify_query(bool(order_id)), "variables": variables}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json", "X-Shopify-Access-Token": token}
        answer = _request("POST", self._endpoint, headers, body, self._timeout)
        if not isinstance(answer, Mapping):
            raise StoreUnavailable("answered without data")
        data = answer.get("data")
        if answer.get("errors") or not isinstance(data, Mapping):  # GraphQL reports throttling and bad queries here
            errors = answer.get("errors")
            first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else {}
            code = (first.get("extensions") or {}).get("code")
            raise StoreUnavailable("asked us to slow down" if code == "THROTTLED" else "answered with an error")

        def orders(alias: str) -> list[Order]:
            connection = data.get(alias) or {}
            return [shopify_order(n) for n in connection.get("nodes") or () if isinstance(n, Mapping)]

        named = next((o for o in orders("named") if same_number(o.number, order_id)), None) if order_id else None
        return Lookup(tuple(orders("recent")), named)


# WooCommerce

_WOO_STATUSES = {
    "pending": "awaiting_payment",
    "checkout-draft": "awaiting_payment",
    "processing": "processing",
    "on-hold": "on_hold",
    "completed": "shipped",
    "cancelled": "cancelled",
    "trash": "cancelled",
    "refunded": "refunded",
    "failed": "failed",
}
TRACKING_META = "_wc_shipment_tracking_items"  # WooCommerce Shipment Tracking's order meta


def woocommerce_order(document: Mapping[str, Any]) -> Order:
    raw = _text(document.get("status"))
    shipments: list[Shipment] = []
    for meta in document.get("meta_data") or ():
        if isinstance(meta, Mapping) and meta.get("key") == TRACKING_META and isinstance(meta.get("value"), list):
            for item in meta["value"]:
                if isinstance(item, Mapping):
                    carrier = item.get("custom_tracking_provider") or item.get("tracking_provider") or None
                    link = item.get("custom_tracking_link") or item.get("tracking_link")
                    shipments.append(Shipment(carrier, item.get("tracking_number") or None, safe_link(link)))
    billing = document.get("billing") or {}
    return Order(
        number=_text(document.get("number") or document.get("id")),
        status=_WOO_STATUSES.get(raw, "processing"),
        placed_at=_moment(document.get("date_created_gmt")),
        total=_text(document.get("total")),
        currency=_text(document.get("currency")),
        email=billing.get("email") if isinstance(billing.get("email"), str) else None,
        # Product names come HTML-escaped ("Shirt &ndash; Blue"): the page shows text, so unescape once.
        items=tuple(
            LineItem(html.unescape(_text(i.get("name"))), _quantity(i.get("quantity")))
            for i in document.get("line_items") or ()
            if isinstance(i, Mapping)
        ),
        shipments=tuple(shipments),
        store_status=raw,
    )


class WooCommerceStore:
    platform = "woocommerce"

    def __init__(self, url: str, credentials: Callable[[], Mapping[str, str]], timeout: float) -> None:
        self._base = f"{url.rstrip('/')}/wp-json/wc/v3"
        self._credentials = credentials
        self._timeout = timeout

    def _get(self, path: str, query: Mapping[str, str | int] | None = None) -> Any:
        keys = self._credentials()
        pair = f"{keys.get('consumer_key', '')}:{keys.get('consumer_secret', '')}".encode()
        headers = {"Accept": "application/json", "Authorization": "Basic " + base64.b64encode(pair).decode()}
        url = self._base + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        return _request("GET", url, headers, None, self._timeout)

    def _orders(self, search: str) -> list[Order]:
        answer = self._get("/orders", {"search": search, "per_page": RECENT, "orderby": "date", "order": "desc"})
        if not isinstance(answer, list):
            raise StoreUnavailable("answered without a list of orders")
        return [woocommerce_order(o) for o in answer if isinstance(o, Mapping)]

    def _named(self, order_id: str) -> Order | None:
        bare = order_id.strip().lstrip("#").strip()
        if bare.isdigit():  # WooCommerce's own numbers are its ids
            found = self._get(f"/orders/{bare}")
            if isinstance(found, Mapping) and same_number(woocommerce_order(found).number, order_id):
                return woocommerce_order(found)
        return next((o for o in self._orders(bare) if same_number(o.number, order_id)), None)

    def lookup(self, email: str, order_id: str | None) -> Lookup:
        # The search matches more than the address (names, notes): only the customer's own orders count.
        if not order_id:
            return Lookup(tuple(o for o in self._orders(email) if belongs_to(o, email)))
        # Both at once: the page waits for the slower of two calls, not for their sum.
        with ThreadPoolExecutor(max_workers=2) as pool:
            recent_call, named_call = pool.submit(self._orders, email), pool.submit(self._named, order_id)
            recent = tuple(o for o in recent_call.result() if belongs_to(o, email))
            named = named_call.result()
        return Lookup(recent, named)
