"""What a shop's team expects of the page (issue 22), in Debian's Chromium
against the `make run` stack: the customer's orders beside the ticket from
the local store, never holding the ticket up; saved views in the navigation
with their counts; the inbox and the open ticket staying true by themselves
(the page's clock is Playwright's, so 15 s pass at once) without losing a
draft, a tick, the selection or the scroll; a ticket opened on a phone
starting at its heading; the audit trail for admins. Screenshots at 1280 and 390 px land in
test-artifacts/browser/ (team-*.png)."""

import re
import time

import pytest
from playwright.sync_api import expect

from chalicelib.domain.ticket import erased_alias
from tests.e2e.browsing import DESKTOP, PHONE, api, inquiry, opened, require_chromium, screen, sign_in, token, with_demo
from tests.stack import shared_stack

pytestmark = pytest.mark.e2e
require_chromium()
REFRESH_MS = 15_000  # admin/live.js


@pytest.fixture(scope="module")
def stack():
    return with_demo(shared_stack())


def width(viewport):
    return "desktop" if viewport == DESKTOP else "phone"


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
        screen(page, f"team-orders-{width(viewport)}", "#orders:not([aria-busy])")
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


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_saved_views_sit_in_the_navigation_with_their_counts(stack, browser, viewport):
    base, size = stack["base"], width(viewport)
    team, own = f"High priority {size}", f"My open {size}"
    admin = token(base, "sam@shop.example", "admin")
    try:
        with opened(browser, viewport) as (page, console):
            sign_in(page, base, "sam@shop.example", "admin")
            page.goto(f"{base}/admin/index.html#/inbox?priority=high")
            expect(page.locator("#f-priority")).to_have_value("high")
            page.fill("#view-title", team)
            page.check("#view-shared")
            page.click("#save-view")
            expect(page.locator("h1")).to_contain_text(team)  # then the count: " · 12 tickets"
            link = page.locator("#views-nav a", has_text=team)
            expect(link).to_have_attribute("aria-current", "page")
            high = len(api(base, "GET", "/tickets?priority=high&limit=50", token=admin)["items"])
            expect(link.locator(".count")).to_have_text(str(high))
            assert console.unexpected() == []
        with opened(browser, viewport) as (page, console):
            sign_in(page, base, "lou@shop.example")  # an agent: the team's view is there to use, not to change
            page.locator("#views-nav a", has_text=team).click()
            expect(page.locator("h1")).to_contain_text(team)  # then the count: " · 12 tickets"
            expect(page.locator("#delete-view")).to_have_count(0)
            page.goto(f"{base}/admin/index.html#/inbox?assignee=me&status=open")
            expect(page.locator("#f-status")).to_have_value("open")
            page.fill("#view-title", own)
            page.click("#save-view")
            expect(page.locator("#views-nav a", has_text=own)).to_have_attribute("aria-current", "page")
            expect(page.locator("#views-nav a", has_text=team)).to_be_visible()
            screen(page, f"team-views-{size}", "#views-nav a[aria-current='page']")
            page.click("#delete-view")
            page.get_by_role("button", name="Delete view").last.click()
            expect(page.locator("#views-nav a", has_text=own)).to_have_count(0)
            assert console.unexpected() == []
    finally:  # the run's other tests see the stack without the team's view
        api(base, "DELETE", f"/views/shared/high-priority-{size}", token=admin)


def test_the_inbox_stays_true_and_keeps_ticks_selection_and_scroll(stack, browser):
    base = stack["base"]
    with opened(browser, PHONE) as (page, console):
        page.clock.install()
        sign_in(page, base, "kim@shop.example")
        page.wait_for_load_state("networkidle")
        rows = page.locator("tr.ticket-row")
        expect(rows.nth(5)).to_be_visible()
        ticked, chosen = rows.nth(2).get_attribute("data-id"), rows.nth(1).get_attribute("data-id")
        rows.nth(2).locator("input.pick").check()
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("j")  # the second row is the selected one
        page.evaluate("window.scrollTo(0, 700)")
        arrived = inquiry(base, name="Nia Bold", email="nia@example.com", subject="Arrived meanwhile")
        page.clock.run_for(REFRESH_MS + 1000)
        expect(rows.first).to_have_attribute("data-id", arrived["id"])  # newest first: it is there by itself
        assert page.locator(f"input.pick[value='{ticked}']").is_checked()
        expect(page.locator("#bulk-count")).to_have_text("1 selected")
        assert page.locator("tr.ticket-row.current").get_attribute("data-id") == chosen
        assert page.evaluate("window.scrollY") == 700
        assert console.unexpected() == []


def test_sla_badges_turn_as_the_servers_clock_moves_without_a_reload(stack, browser):
    base = stack["base"]
    ticket = inquiry(base, name="Vic Ray", email="vic.ray@vip.example", message="Still waiting")  # urgent: 60 min
    with opened(browser) as (page, console):
        page.clock.install()
        sign_in(page, base, "kim@shop.example")
        page.goto(f"{base}/admin/index.html#/inbox?q={ticket['reference']}")
        badge = page.locator(f"tr.ticket-row:has-text('{ticket['reference']}') .badge")
        expect(badge).to_have_class("badge sla-ok")
        api(base, "POST", "/_dev/clock", {"advance_minutes": 50})
        page.clock.run_for(REFRESH_MS + 1000)
        expect(badge).to_have_class("badge sla-warning")
        api(base, "POST", "/_dev/clock", {"advance_minutes": 30})
        page.clock.run_for(REFRESH_MS + 1000)
        expect(badge).to_have_class("badge sla-breached")
        expect(badge).to_have_text(re.compile(r"breached · \d+ min overdue"))
        assert console.unexpected() == []


def test_the_open_ticket_stays_true_and_keeps_the_draft_and_the_caret(stack, browser):
    base = stack["base"]
    ticket = inquiry(base, name="Ola Berg", email="ola@example.com", subject="Refund?")
    with opened(browser) as (page, console):
        page.clock.install()
        sign_in(page, base, "kim@shop.example")
        page.goto(f"{base}/admin/index.html#/tickets/{ticket['id']}")
        page.wait_for_load_state("networkidle")
        page.fill("#reply-body", "Dear Ola, I am looking into it")
        page.evaluate("document.getElementById('reply-body').setSelectionRange(9, 9)")
        page.select_option("#priority", "high")  # changed, not saved yet: stays as the operator left it
        lou = token(base, "lou@shop.example")
        api(base, "POST", f"/tickets/{ticket['id']}/notes", {"body": "I called the bank."}, token=lou)
        api(base, "PATCH", f"/tickets/{ticket['id']}", {"status": "pending"}, token=lou)
        page.clock.run_for(REFRESH_MS + 1000)
        expect(page.locator(".msg-note")).to_contain_text("I called the bank.")
        expect(page.locator("#status")).to_have_value("pending")  # someone else's change shows
        assert page.input_value("#reply-body") == "Dear Ola, I am looking into it"
        assert page.input_value("#priority") == "high"
        assert page.evaluate("[document.activeElement.id, document.activeElement.selectionStart]") == ["reply-body", 9]
        assert console.unexpected() == []


def test_a_ticket_opened_on_a_phone_starts_at_its_heading_and_back_returns_to_the_row(stack, browser):
    base = stack["base"]
    with opened(browser, PHONE) as (page, console):
        sign_in(page, base, "kim@shop.example")
        page.wait_for_selector("tr.ticket-row")
        page.wait_for_load_state("networkidle")
        last = page.locator("tr.ticket-row .subject a").last
        last.scroll_into_view_if_needed()
        left_at = page.evaluate("window.scrollY")
        assert left_at > 1000
        last.click()
        page.wait_for_selector("#ticket-title")
        heading = page.locator("#ticket-title").bounding_box()
        assert page.evaluate("window.scrollY") == 0 and heading["y"] + heading["height"] <= PHONE["height"] / 2
        page.go_back()
        page.wait_for_selector("tr.ticket-row")
        assert abs(page.evaluate("window.scrollY") - left_at) < 5
        assert console.unexpected() == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admins_read_the_audit_trail_by_person_and_kind(stack, browser, viewport):
    base, size = stack["base"], width(viewport)
    customer = f"gil.{size}@example.com"
    inquiry(base, name="Gil Adler", email=customer)
    with opened(browser, viewport) as (page, console):
        sign_in(page, base, "lead@shop.example", "admin")
        page.goto(f"{base}/admin/index.html#/customers/{customer}")
        with page.expect_download():
            page.click("#export")
        page.goto(f"{base}/admin/index.html#/agents")
        page.get_by_role("button", name="Sam Okafor available").click()  # Sam is away: now available
        expect(page.locator(".flash")).to_contain_text("Sam Okafor is now available")
        page.get_by_role("link", name="Audit").click()
        rows = page.locator("table.audit-list tbody tr")
        expect(rows.first).to_contain_text("changed an agent's roster entry")
        expect(rows.first).to_contain_text("available: no → yes")
        expect(rows.nth(1)).to_contain_text("exported a customer's data")
        expect(rows.nth(1)).to_contain_text(erased_alias(customer))
        assert customer not in page.inner_text("table.audit-list")
        page.select_option("#a-kind", "customer.exported")
        expect(rows.first).to_contain_text("exported a customer's data")
        expect(page.locator("table.audit-list")).not_to_contain_text("roster entry")
        page.goto(f"{base}/admin/index.html#/audit?person=sam%40shop.example")
        expect(rows.first).to_contain_text("Sam Okafor")  # about Sam: the roster change
        screen(page, f"team-audit-{size}", "table.audit-list")
        api(
            base,
            "PUT",
            "/agents/sam%40shop.example",
            {"available": False},
            token=token(base, "lead@shop.example", "admin"),
        )
        assert console.unexpected() == []
    with opened(browser, viewport) as (page, console):
        sign_in(page, base, "kim@shop.example")  # an agent: no audit trail in the navigation
        expect(page.get_by_role("link", name="Audit")).to_be_hidden()
