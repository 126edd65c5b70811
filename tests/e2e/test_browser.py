"""In a real browser (Debian's Chromium, headless, driven by Playwright)
against the `make run` stack: a customer writes through the storefront
widget, an operator signs in, finds the ticket, answers with a macro and
resolves it. A message carrying markup shows as text and runs nothing.
Screenshots of each step land in test-artifacts/browser/."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import Console, api, opened, require_chromium, shot, sign_in, token

pytestmark = pytest.mark.e2e
ATTACK = '<img src=x onerror="window.__pwned = true">Where is my parcel?'
require_chromium()


@pytest.fixture
def page(browser):
    with opened(browser) as (page, _):
        yield page


def test_customer_to_operator_to_resolution(stack, page):
    base = stack["base"]
    console = Console(page)
    admin = token(base, "lead@shop.example", "admin")
    api(
        base,
        "PUT",
        "/macros/parcel-is-coming",
        {
            "title": "Parcel is coming",
            "body": "Hi {{first_name}}, your parcel is on its way and should arrive within two days.",
        },
        admin,
    )

    # The customer: a field error beside its field, then a successful send.
    page.goto(f"{base}/shop")
    page.fill("#cl-name", "Ann Lee")
    page.fill("#cl-email", "ann@example")
    page.fill("#cl-message", ATTACK)
    page.evaluate("document.querySelector('#cl-email').type = 'text'")  # let the server judge the address
    page.click("button[type=submit]")
    page.wait_for_selector("#careline-error-email:has-text('valid email address')")
    shot(page, "1-widget-field-error")
    page.fill("#cl-email", "ann@example.com")
    page.fill("#cl-message", ATTACK)
    page.click("button[type=submit]")
    page.wait_for_selector(".careline-ok")
    confirmation = page.text_content("[data-careline-result]")
    assert "Your reference is CL-" in confirmation and "We will answer by" in confirmation
    reference = confirmation.split("reference is ")[1].split(".")[0]
    shot(page, "2-widget-sent")
    console.errors.clear()  # the widget's deliberate 400 is the storefront's, not the admin page's

    # The operator: sign in, find the ticket, read the message as text.
    sign_in(page, base, "kim@shop.example")
    row = page.locator(f"tr.ticket-row:has-text('{reference}')")
    row.wait_for()
    assert row.locator(".badge").get_attribute("class") == "badge sla-ok"
    assert row.locator(".badge").text_content() in ("due in 1 d", "due in 23 h 59 min")
    page.select_option("#f-category", "returns")
    row.wait_for(state="detached")  # not a returns ticket
    page.select_option("#f-category", "")
    row.wait_for()
    shot(page, "3-inbox")
    row.locator(".subject a").click()
    page.wait_for_selector(f"h1:has-text('{reference}')")
    assert page.locator(".msg-customer .body").first.text_content() == ATTACK
    assert page.locator(".thread img").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    shot(page, "4-ticket")

    # Reply with the macro, filled in by the server for this customer, and resolve.
    page.select_option("#macro", "parcel-is-coming")
    expect(page.locator("#reply-body")).to_have_value(re.compile(r"^Hi Ann,"))
    assert "{{" not in page.input_value("#reply-body")
    page.check("#resolve")
    page.click("#send-reply")
    page.wait_for_selector(".flash:has-text('ticket resolved')")
    expect(page.locator("#status")).to_have_value("resolved")
    shot(page, "5-resolved")
    mail = api(base, "GET", "/_dev/mail")
    reply = [m for m in mail if m["subject"].startswith("Re:") and reference in m["subject"]]
    assert reply and "Hi Ann, your parcel is on its way" in reply[0]["text"]
    assert console.unexpected() == []


def test_a_stale_edit_says_another_operator_was_first(stack, page):
    base = stack["base"]
    console = Console(page)
    ticket = api(base, "POST", "/inquiries", {"name": "Bob", "email": "bob@example.com", "message": "Hello"})
    other = token(base, "lou@shop.example")
    sign_in(page, base, "kim@shop.example")
    page.goto(f"{base}/admin/index.html#/tickets/{ticket['id']}")
    page.wait_for_selector("#priority")
    api(base, "PATCH", f"/tickets/{ticket['id']}", {"priority": "high"}, other)  # meanwhile
    page.select_option("#priority", "urgent")
    page.click("#save-fields")
    page.wait_for_selector(".flash.error:has-text('Another operator changed this ticket first')")
    shot(page, "7-stale-edit")
    assert console.unexpected("412") == []


def test_keyboard_moves_through_the_inbox(stack, page):
    base = stack["base"]
    sign_in(page, base, "kim@shop.example")
    page.wait_for_selector("tr.ticket-row")
    page.keyboard.press("j")
    assert "current" in page.locator("tr.ticket-row").nth(1).get_attribute("class")
    page.keyboard.press("Enter")
    page.wait_for_selector("#reply-body")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply-body"
    page.keyboard.press("Escape")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
