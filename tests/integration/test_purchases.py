"""Purchase history beside the ticket: the customer's orders from the shop's
store (Shopify or WooCommerce; here the local store of `make run`, on a port
of its own, with its fixtures), never holding the ticket up, and the order's
status and tracking link in macros."""

import json
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from local import shop
from tests.calls import call


@pytest.fixture
def store():
    shop.forget()
    with shop.serving() as origin:
        yield origin
    shop.forget()


@pytest.fixture
def platform():
    return "shopify"


@pytest.fixture
def settings(store, platform):
    from chalicelib.config import Commerce, load_settings

    return replace(load_settings(), webhooks=(), commerce=Commerce(platform, f"{store}/{platform}", 1.0))


def orders_of(client, operator, ticket):
    response = call(client, "GET", f"/tickets/{ticket['id']}/orders", operator())
    assert response.status_code == 200, response.body
    return response.json_body


@pytest.mark.parametrize(("platform", "in_transit"), [("shopify", "in_transit"), ("woocommerce", "shipped")])
def test_the_ticket_shows_its_order_and_the_customers_recent_ones(client, operator, new_ticket, platform, in_transit):
    answer = orders_of(client, operator, new_ticket(order_id="#a-1001"))
    assert (answer["state"], answer["platform"], answer["named_state"]) == ("ok", platform, "found")
    named = answer["named"]
    # WooCommerce says only "completed" where Shopify knows the parcel is travelling.
    assert (named["number"], named["status"], named["total"], named["currency"]) == (
        "A-1001",
        in_transit,
        "108.80",
        "EUR",
    )
    assert [(i["quantity"], i["title"]) for i in named["items"]] == [
        (1, "Rain jacket, navy, M"),
        (1, "Running socks (2 pairs)"),
    ]
    assert (
        named["tracking_url"].startswith("https://www.dhl.de/")
        and named["shipments"][0]["number"] == "00340434161094042557"
    )
    assert [o["number"] for o in answer["orders"]] == ["A-1001", "A-0934"]  # newest first
    assert answer["fetched_at"] == "2026-11-24T09:00:00Z"


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_an_order_another_customer_placed_shows_only_that_it_exists(client, operator, new_ticket, platform):
    answer = orders_of(client, operator, new_ticket(email="eve@example.com", name="Eve", order_id="A-1001"))
    assert (answer["state"], answer["named_state"], answer["orders"]) == ("ok", "other_customer", [])
    assert set(answer["named"]) == {"number", "placed_at"}  # not what Ann bought, nor where it goes


def test_an_order_the_store_does_not_know_and_a_customer_without_orders(client, operator, new_ticket):
    answer = orders_of(client, operator, new_ticket(email="new@example.com", name="New", order_id="A-4242"))
    assert (answer["state"], answer["named_state"], answer["named"], answer["orders"]) == ("ok", "not_found", None, [])
    answer = orders_of(client, operator, new_ticket(email="ben.schmidt@example.com", name="Ben"))
    assert (answer["named_state"], [o["status"] for o in answer["orders"]]) == (None, ["processing"])


def test_a_slow_store_never_holds_the_ticket_up_and_is_left_alone_for_a_while(
    client, operator, new_ticket, clock, services
):
    ticket = new_ticket(order_id="A-1001")
    shop.behave(delay_ms=3000)  # the stage gives it 1 s
    started = time.monotonic()
    answer = orders_of(client, operator, ticket)
    waited = time.monotonic() - started
    assert answer["state"] == "unavailable" and waited < 2.5
    assert answer["message"] == "The shop (Shopify) did not answer within 1 s."
    assert call(client, "GET", f"/tickets/{ticket['id']}", operator()).status_code == 200
    # Asked again at once: answered from the pause, without waiting on the store.
    asked = len(shop.asked())
    started = time.monotonic()
    again = orders_of(client, operator, ticket)
    assert again["state"] == "unavailable" and time.monotonic() - started < 0.5 and len(shop.asked()) == asked
    assert 1 <= again["retry_after_seconds"] <= 30
    shop.behave()
    clock.advance(timedelta(seconds=31))
    assert orders_of(client, operator, ticket)["named_state"] == "found"


def test_a_silent_store_and_refused_credentials_say_so(client, operator, new_ticket, services):
    from chalicelib.adapters.secrets import IntegrationSecrets

    ticket = new_ticket(order_id="A-1001")
    shop.behave(silent=True)
    started = time.monotonic()
    assert orders_of(client, operator, ticket)["message"] == "The shop (Shopify) did not answer within 1 s."
    assert time.monotonic() - started < 2.5
    shop.behave()
    services.__dict__.pop("purchases")  # a fresh container: no pause, no answers kept
    services.__dict__["integration_secrets"] = IntegrationSecrets(None, {"commerce": {"access_token": "shpat_old"}})
    assert orders_of(client, operator, ticket)["message"] == "The shop (Shopify) refused the credentials."


def test_answers_are_kept_briefly(client, operator, new_ticket, clock):
    ticket = new_ticket(order_id="A-1001")
    orders_of(client, operator, ticket)
    orders_of(client, operator, ticket)
    assert shop.asked() == ["shopify"]
    clock.advance(timedelta(minutes=3))
    orders_of(client, operator, ticket)
    assert shop.asked() == ["shopify", "shopify"]


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_macros_tell_the_order_status_in_the_customers_language_and_the_tracking_link(
    client, operator, new_ticket, mailbox, platform
):
    admin = operator("admin", "lead@shop.example")
    body = "Ihre Bestellung {{order_id}} ist {{order_status}}: {{tracking_url}}"
    assert call(client, "PUT", "/macros/parcel", admin, {"title": "Parcel", "body": body}).status_code == 200
    ticket = new_ticket(order_id="A-1001", locale="de-DE")
    reply = call(client, "POST", f"/tickets/{ticket['id']}/replies", operator(), {"macro": "parcel"})
    assert reply.status_code == 201, reply.body
    # In transit (Shopify) and completed (WooCommerce) both read "on its way" to the customer.
    assert "Ihre Bestellung A-1001 ist unterwegs zu Ihnen: https://www.dhl.de/" in mailbox()[-1]["text"]


def test_a_reply_that_needs_the_order_says_what_is_missing_and_sends_nothing(client, operator, new_ticket, mailbox):
    without = new_ticket(email="ann@example.com")
    preview = call(client, "POST", f"/tickets/{without['id']}/preview", operator(), {"body": "It is {{order_status}}."})
    assert (preview.status_code, preview.json_body["errors"][0]["field"]) == (400, "body")
    assert "order_status" in preview.json_body["errors"][0]["message"]
    someone_elses = new_ticket(email="eve@example.com", name="Eve", order_id="A-1001")
    wrong = call(client, "POST", f"/tickets/{someone_elses['id']}/preview", operator(), {"body": "{{tracking_url}}"})
    assert (
        wrong.status_code == 400 and "has no order A-1001 of eve@example.com" in wrong.json_body["errors"][0]["message"]
    )
    ticket = new_ticket(order_id="A-1001")
    shop.behave(silent=True)
    sent = len(mailbox())
    reply = call(client, "POST", f"/tickets/{ticket['id']}/replies", operator(), {"body": "Tracking: {{tracking_url}}"})
    assert (reply.status_code, reply.json_body["errors"][0]["field"]) == (503, "body")
    assert "Retry-After" in reply.headers and len(mailbox()) == sent
    # Placeholders the store does not fill never ask it.
    shop.behave()
    plain = call(
        client, "POST", f"/tickets/{ticket['id']}/replies", operator(), {"body": "Order {{order_id}} is fine."}
    )
    assert plain.status_code == 201


def test_without_a_store_the_page_says_none_is_connected(client, operator, new_ticket, services):
    services.__dict__.pop("purchases", None)
    services.settings = replace(services.settings, commerce=None)
    ticket = new_ticket(order_id="A-1001")
    assert orders_of(client, operator, ticket)["state"] == "not_configured"
    preview = call(client, "POST", f"/tickets/{ticket['id']}/preview", operator(), {"body": "{{order_status}}"})
    assert preview.status_code == 400 and "connected shop" in preview.json_body["errors"][0]["message"]
    assert shop.asked() == []


def test_an_erased_customers_ticket_asks_the_store_nothing(client, operator, new_ticket):
    ticket = new_ticket(order_id="A-1001")
    assert call(client, "DELETE", "/customers/ann@example.com", operator("admin")).status_code == 200
    assert orders_of(client, operator, ticket)["state"] == "no_customer"
    assert shop.asked() == []


def test_the_local_store_answers_as_the_platforms_do(client):
    token = shop.CREDENTIALS["commerce"]["access_token"]
    query = {"query": "query Q($q: String!) { recent: orders(first: 2, query: $q) { nodes { name } } }"}
    path = "/_dev/shop-api/shopify/admin/api/2026-10/graphql.json"
    body = json.dumps(query | {"variables": {"q": 'email:"ann@example.com"'}})
    headers = {"Content-Type": "application/json"}
    refused = client.http.post(path, headers=headers | {"X-Shopify-Access-Token": "nope"}, body=body)
    assert refused.status_code == 401
    answer = client.http.post(path, headers=headers | {"X-Shopify-Access-Token": token}, body=body).json_body
    assert [n["name"] for n in answer["data"]["recent"]["nodes"]] == ["A-0934", "A-1001"]  # ascending unless reverse
    woo = client.http.get("/_dev/shop-api/woocommerce/wp-json/wc/v3/orders?search=ben.schmidt%40example.com")
    assert woo.status_code == 401 and woo.json_body["code"] == "woocommerce_rest_cannot_view"
    bad = client.http.post("/_dev/shop", headers=headers, body=json.dumps({"delay_ms": -1, "silent": "yes"}))
    assert bad.status_code == 400 and {e["field"] for e in bad.json_body["errors"]} == {"delay_ms", "silent"}
