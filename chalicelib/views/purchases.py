"""The orders beside a ticket, as the admin page shows them, and an order's
status in the customer's words for `{{order_status}}`. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..clock import iso
from ..domain.commerce import Order
from .i18n import resolve

# The operator's words for each status (the admin page is English).
STATUS_TEXT = {
    "awaiting_payment": "awaiting payment",
    "processing": "being prepared",
    "on_hold": "on hold",
    "partially_shipped": "partly shipped",
    "shipped": "shipped",
    "in_transit": "in transit",
    "out_for_delivery": "out for delivery",
    "delivered": "delivered",
    "cancelled": "cancelled",
    "refunded": "refunded",
    "failed": "payment failed",
}


def order_view(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "status": order.status,
        "status_text": STATUS_TEXT[order.status],
        "store_status": order.store_status,
        "placed_at": iso(order.placed_at),
        "total": order.total,
        "currency": order.currency,
        "items": [{"title": i.title, "quantity": i.quantity} for i in order.items],
        "shipments": [{"carrier": s.carrier, "number": s.number, "url": s.url} for s in order.shipments],
        "tracking_url": order.tracking_url,
    }


def other_customers_order(order: Order) -> dict[str, Any]:
    """An order of someone else's that the ticket names: only that it exists, never what is in it."""
    return {"number": order.number, "placed_at": iso(order.placed_at)}


# The customer's words (their language's catalogue) for `{{order_status}}`.
CUSTOMER_WORDS = {
    "awaiting_payment": "order_status_awaiting_payment",
    "processing": "order_status_processing",
    "on_hold": "order_status_on_hold",
    "partially_shipped": "order_status_partially_shipped",
    "shipped": "order_status_shipped",
    "in_transit": "order_status_in_transit",
    "out_for_delivery": "order_status_out_for_delivery",
    "delivered": "order_status_delivered",
    "cancelled": "order_status_cancelled",
    "refunded": "order_status_refunded",
    "failed": "order_status_failed",
}


def order_status_words(status: str, locale: str | None, shop_locale: str) -> str:
    """What `{{order_status}}` becomes in the customer's email: the status in their language."""
    return resolve(locale, shop_locale).t(CUSTOMER_WORDS[status])


PLATFORMS = {"shopify": "Shopify", "woocommerce": "WooCommerce"}


def unavailable_view(platform: str, reason: str, retry_after: int, now: datetime) -> dict[str, Any]:
    return {
        "state": "unavailable",
        "message": f"The shop ({PLATFORMS.get(platform, platform)}) {reason}.",
        "retry_after_seconds": retry_after,
        "server_time": iso(now),
    }
