"""A customer's orders as the shop's store (Shopify, WooCommerce) knows
them, in one vocabulary: what an operator sees beside a ticket, and what the
macros' `{{order_status}}` and `{{tracking_url}}` say. Pure: the adapters
(adapters/commerce.py) translate each platform's answers into these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

# Where an order stands, from the customer's side: the platforms' own
# statuses (Shopify's financial and fulfillment statuses, WooCommerce's one
# status and its shipment-tracking meta) map onto these.
ORDER_STATUSES = (
    "awaiting_payment",  # placed, not paid
    "processing",  # paid, being prepared
    "on_hold",
    "partially_shipped",
    "shipped",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "cancelled",
    "refunded",
    "failed",  # payment failed
)


@dataclass(frozen=True)
class LineItem:
    title: str
    quantity: int


@dataclass(frozen=True)
class Shipment:
    carrier: str | None
    number: str | None
    url: str | None  # only ever an http(s) link (safe_link)


@dataclass(frozen=True)
class Order:
    number: str  # as the customer sees it ("#1001", "A-10428")
    status: str  # one of ORDER_STATUSES
    placed_at: datetime
    total: str  # the decimal string the store answers ("29.35"): never a float
    currency: str
    email: str | None  # the buyer's address as the store has it
    items: tuple[LineItem, ...] = ()
    shipments: tuple[Shipment, ...] = ()
    store_status: str = ""  # the platform's own words, for operators ("FULFILLED · PAID", "completed")

    @property
    def tracking_url(self) -> str | None:
        return next((s.url for s in self.shipments if s.url), None)


@dataclass(frozen=True)
class Lookup:
    """What the store answered for one ticket: the customer's recent orders,
    newest first, and the order the ticket names (None when it names none or
    the store has no such order)."""

    recent: tuple[Order, ...] = ()
    named: Order | None = None


def same_number(a: str, b: str) -> bool:
    """An order number as a customer writes it matches the store's: "#1001"
    is "1001", case and surrounding spaces aside."""
    return _bare(a) == _bare(b)


def _bare(number: str) -> str:
    return number.strip().lstrip("#").strip().casefold()


def safe_link(url: object) -> str | None:
    """A tracking link an operator may click and a customer may get: http(s)
    with a host, nothing else (a store's meta field could hold `javascript:`)."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("https", "http") and parts.netloc else None


def belongs_to(order: Order, email: str) -> bool:
    """Whether the order is the ticket's customer's: an order number in a
    form may be anyone's, and an operator must not quote another buyer's."""
    return order.email is not None and order.email.strip().casefold() == email.strip().casefold()
