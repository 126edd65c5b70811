"""What a shop's team expects of the page (issue 22), in Debian's Chromium
against the `make run` stack: the customer's orders beside the ticket from
the local store, never holding the ticket up. Screenshots at 1280 and 390 px
land in test-artifacts/browser/ (team-*.png)."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import DESKTOP, PHONE, api, opened, require_chromium, sign_in
from tests.e2e.test_admin_screens import inquiry, screen

pytestmark = pytest.mark.e2e
require_chromium()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_ticket_shows_the_customers_orders_from_the_shop(stack, browser, viewport):
    base = stack["base"]
    ticket = inquiry(base, subject="Where is my parcel?", order_id="A-1001")
    with opened(browser, viewport) as (page, console):
        sign_in(page, base, "kim@shop.example")
        page.goto(f"{base}/admin/index.html#/tickets/{ticket['id']}")
        panel = page.locator("#orders")
        expect(panel).to_contain_text("Order A-1001 (this ticket's)")
        expect(panel.locator(".order").first).to_contain_text("in transit")
        expect(panel.locator(".order").first).to_contain_text("1 × Rain jacket, navy, M")
        expect(panel.get_by_role("link", name="track the parcel").first).to_have_attribute(
            "href", re.compile(r"^https://www\.dhl\.de/.*00340434161094042557$")
        )
        expect(panel).to_contain_text("Other recent orders")
        expect(panel).to_contain_text("Order A-0934")
        panel.scroll_into_view_if_needed()
        screen(page, f"team-orders-{'desktop' if viewport == DESKTOP else 'phone'}", "#orders:not([aria-busy])")
        assert console.unexpected() == []


def test_a_silent_shop_never_holds_the_ticket_up_and_the_panel_says_so(stack, browser):
    base = stack["base"]
    ticket = inquiry(base, name="Ben Schmidt", email="ben.schmidt@example.com", order_id="A-1002")
    with opened(browser) as (page, console):
        sign_in(page, base, "lou@shop.example")
        api(base, "POST", "/_dev/shop", {"silent": True})
        try:
            started = time.monotonic()
            page.goto(f"{base}/admin/index.html#/tickets/{ticket['id']}")
            page.wait_for_selector("#ticket-title")
            readable = time.monotonic() - started
            page.fill("#reply-body", "Let me check with the warehouse.")  # the ticket works while the shop is silent
            expect(page.locator("#orders-unavailable")).to_contain_text("did not answer within 2.5 s", timeout=10_000)
            expect(page.locator("#orders")).to_contain_text("The ticket is complete without it.")
            assert readable < 2.5, f"the ticket waited for the shop: {readable:.1f} s"
            assert page.input_value("#reply-body") == "Let me check with the warehouse."
            screen(page, "team-orders-silent-shop", "#orders-unavailable")
        finally:
            api(base, "POST", "/_dev/shop", {})
            api(base, "POST", "/_dev/clock", {"advance_minutes": 1})  # past the API's pause after a failure
        page.get_by_role("button", name="Ask the shop again").click()
        expect(page.locator("#orders")).to_contain_text("Order A-1002 (this ticket's)")
        assert console.unexpected() == []
