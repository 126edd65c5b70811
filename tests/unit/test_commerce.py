"""Orders as the stores answer them (the documented shapes of Shopify's Admin
GraphQL API and WooCommerce's REST API v3) read into one vocabulary, and
what an operator or a macro may take from them."""

from datetime import UTC, datetime

import pytest

from chalicelib.adapters.commerce import (
    TRACKING_META,
    shopify_order,
    shopify_query,
    shopify_search,
    woocommerce_order,
)
from chalicelib.domain.commerce import ORDER_STATUSES, belongs_to, safe_link, same_number
from chalicelib.domain.macros import KNOWN, ORDER_PLACEHOLDERS
from chalicelib.views.purchases import STATUS_TEXT, order_status_words


def shopify(**fields):
    return {
        "name": "#1001",
        "processedAt": "2026-11-20T10:00:00Z",
        "email": "ann@example.com",
        "cancelledAt": None,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "totalPriceSet": {"shopMoney": {"amount": "108.80", "currencyCode": "EUR"}},
        "lineItems": {"nodes": [{"title": "Rain jacket", "quantity": 1}]},
        "fulfillments": [],
    } | fields


def shipped(display, url="https://track.example/1"):
    return [{"displayStatus": display, "trackingInfo": [{"company": "DHL", "number": "0034", "url": url}]}]


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({}, "processing"),
        ({"displayFinancialStatus": "PENDING"}, "awaiting_payment"),
        ({"displayFulfillmentStatus": "ON_HOLD"}, "on_hold"),
        ({"displayFulfillmentStatus": "PARTIALLY_FULFILLED"}, "partially_shipped"),
        ({"displayFulfillmentStatus": "FULFILLED", "fulfillments": shipped("FULFILLED")}, "shipped"),
        ({"displayFulfillmentStatus": "FULFILLED", "fulfillments": shipped("IN_TRANSIT")}, "in_transit"),
        ({"displayFulfillmentStatus": "FULFILLED", "fulfillments": shipped("OUT_FOR_DELIVERY")}, "out_for_delivery"),
        ({"displayFulfillmentStatus": "FULFILLED", "fulfillments": shipped("DELIVERED")}, "delivered"),
        # One parcel delivered, another still travelling: the order is as far as its furthest shipment.
        (
            {
                "displayFulfillmentStatus": "FULFILLED",
                "fulfillments": shipped("IN_TRANSIT") + shipped("DELIVERED"),
            },
            "delivered",
        ),
        ({"displayFinancialStatus": "REFUNDED", "displayFulfillmentStatus": "FULFILLED"}, "refunded"),
        ({"cancelledAt": "2026-11-21T09:00:00Z", "displayFinancialStatus": "REFUNDED"}, "cancelled"),
        ({"displayFinancialStatus": "VOIDED"}, "cancelled"),
        ({"displayFinancialStatus": "EXPIRED"}, "failed"),
    ],
)
def test_shopify_statuses_become_the_customers_side_of_the_order(fields, status):
    assert shopify_order(shopify(**fields)).status == status


def test_a_shopify_order_keeps_number_money_items_and_tracking():
    order = shopify_order(shopify(displayFulfillmentStatus="FULFILLED", fulfillments=shipped("IN_TRANSIT")))
    assert (order.number, order.total, order.currency, order.email) == ("#1001", "108.80", "EUR", "ann@example.com")
    assert order.placed_at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert [(i.title, i.quantity) for i in order.items] == [("Rain jacket", 1)]
    assert order.tracking_url == "https://track.example/1"
    assert order.store_status == "FULFILLED · PAID"


def test_shopify_search_values_stay_values():
    assert shopify_search("email", "ann@example.com") == 'email:"ann@example.com"'
    # A quote in a customer's order number cannot end the term and add another.
    assert shopify_search("name", 'A" OR email:"x') == 'name:"A\\" OR email:\\"x"'
    assert "$recent" in shopify_query(False) and "$named" not in shopify_query(False)
    assert "named: orders(" in shopify_query(True)


def woo(**fields):
    return {
        "id": 727,
        "number": "727",
        "status": "processing",
        "currency": "EUR",
        "date_created": "2026-11-20T11:00:00",
        "date_created_gmt": "2026-11-20T10:00:00",
        "total": "29.35",
        "billing": {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"},
        "line_items": [{"id": 315, "name": "Ship Your Idea &ndash; Color: Black", "quantity": 2}],
        "meta_data": [{"id": 13106, "key": "_download_permissions_granted", "value": "yes"}],
    } | fields


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("pending", "awaiting_payment"),
        ("processing", "processing"),
        ("on-hold", "on_hold"),
        ("completed", "shipped"),
        ("cancelled", "cancelled"),
        ("refunded", "refunded"),
        ("failed", "failed"),
        ("trash", "cancelled"),
        ("a-plugins-own-status", "processing"),
    ],
)
def test_woocommerce_statuses_become_the_customers_side_of_the_order(raw, status):
    assert woocommerce_order(woo(status=raw)).status == status


def test_a_woocommerce_order_reads_its_gmt_time_plain_names_and_tracking_meta():
    tracking = {
        "tracking_provider": "",
        "custom_tracking_provider": "DHL",
        "custom_tracking_link": "https://track.example/0034",
        "tracking_number": "0034",
        "date_shipped": "1700000000",
    }
    order = woocommerce_order(woo(meta_data=[{"id": 1, "key": TRACKING_META, "value": [tracking]}]))
    assert order.placed_at == datetime(2026, 11, 20, 10, tzinfo=UTC)  # the *_gmt field, not the site's time
    assert order.items[0].title == "Ship Your Idea – Color: Black"  # shown as text: unescaped once
    assert (order.shipments[0].carrier, order.tracking_url) == ("DHL", "https://track.example/0034")


def test_a_tracking_link_that_is_not_http_is_never_offered():
    tracking = {"custom_tracking_provider": "X", "custom_tracking_link": "javascript:alert(1)", "tracking_number": "1"}
    order = woocommerce_order(woo(meta_data=[{"key": TRACKING_META, "value": [tracking]}]))
    assert order.shipments[0].number == "1" and order.tracking_url is None
    assert shopify_order(shopify(fulfillments=shipped("IN_TRANSIT", "data:text/html,x"))).tracking_url is None
    assert [safe_link(u) for u in ("https://a.example/x", "http://a.example", "ftp://a", "https://", None)] == [
        "https://a.example/x",
        "http://a.example",
        None,
        None,
        None,
    ]


def test_order_numbers_match_as_customers_write_them():
    assert same_number("#1001", "1001") and same_number(" a-1001 ", "A-1001")
    assert not same_number("A-1001", "A-10011")
    order = woocommerce_order(woo())
    assert belongs_to(order, "ANN@example.com") and not belongs_to(order, "ben@example.com")


def test_every_status_has_words_for_operators_and_customers_and_macros_know_the_order_placeholders():
    assert set(STATUS_TEXT) == set(ORDER_STATUSES)
    for status in ORDER_STATUSES:
        assert order_status_words(status, "de-DE", "en-GB") != order_status_words(status, None, "en-GB")
    assert order_status_words("in_transit", "de", "en-GB") == "unterwegs zu Ihnen"
    assert set(KNOWN) >= ORDER_PLACEHOLDERS
