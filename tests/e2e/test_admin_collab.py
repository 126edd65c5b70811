"""Two operators on one customer, in Debian's Chromium against the `make
run` stack (issue 22): each sees the other on the ticket (writing, or just
reading it); the second reply of two is refused with what arrived meanwhile
and the draft kept; tickets merge from the ticket and from the inbox, and
a merged ticket's mail lands on its target; an agent writes to a customer
first. Desktop and 390 px, no sideways scrolling, nothing serious for
axe-core. Screenshots: test-artifacts/browser/collab-*.png."""

import uuid

import pytest

from tests.e2e.browsing import (
    PHONE,
    api,
    inbound,
    inquiry,
    opened,
    require_chromium,
    screen,
    sign_in,
)

pytestmark = pytest.mark.e2e
require_chromium()
KIM, LOU = "kim@shop.example", "lou@shop.example"


def customer():
    return f"ann.{uuid.uuid4().hex[:8]}@example.com"


def mails(base, reference):
    return [m for m in api(base, "GET", "/_dev/mail") if f"[{reference}]" in m["subject"]]


def test_operators_see_each_other_and_the_second_reply_is_not_sent(stack, browser):
    base = stack["base"]
    ticket = inquiry(base, email=customer(), message="My parcel A-1001 has not arrived.", subject="Parcel")
    with opened(browser) as (lou, lou_console), opened(browser) as (kim, kim_console):
        sign_in(lou, base, LOU)
        lou.goto(f"{base}/admin#/tickets/{ticket['id']}")
        lou.wait_for_selector("#reply-body")
        lou.fill("#reply-body", "Hi Ann, I am asking the courier now.")

        sign_in(kim, base, KIM)
        kim.goto(f"{base}/admin#/tickets/{ticket['id']}")
        kim.wait_for_selector("#presence:has-text('Lou Brandt is writing a reply to this customer')")
        screen(kim, "collab-1-presence")
        kim.fill("#reply-body", "Hi Ann, your parcel arrives tomorrow.")
        kim.click("#send-reply")
        kim.wait_for_selector(".flash:has-text('Reply sent')")

        lou.click("#send-reply")
        lou.wait_for_selector("#meanwhile:has-text('Hi Ann, your parcel arrives tomorrow.')")
        assert lou.input_value("#reply-body") == "Hi Ann, I am asking the courier now."  # the draft is kept
        assert len([m for m in mails(base, ticket["reference"]) if m["subject"].startswith("Re:")]) == 1
        screen(lou, "collab-2-stale-reply")
        lou.fill("#reply-body", "Hi Ann, to add to Kim's answer: the courier confirmed it.")
        lou.click("#send-reply")
        lou.wait_for_selector(".flash:has-text('Reply sent')")
        assert len([m for m in mails(base, ticket["reference"]) if m["subject"].startswith("Re:")]) == 2

        with opened(browser, PHONE) as (phone, phone_console):
            sign_in(phone, base, "sam@shop.example")
            phone.goto(f"{base}/admin#/tickets/{ticket['id']}")
            phone.wait_for_selector("#presence:has-text('have this ticket open')")  # Kim and Lou
            screen(phone, "collab-1-presence-phone")
            assert phone_console.unexpected() == []
        assert lou_console.unexpected("412") == [] and kim_console.unexpected() == []


def test_merging_from_the_ticket_and_from_the_inbox(stack, browser):
    base = stack["base"]
    email = customer()
    first = inquiry(base, email=email, message="My parcel A-1001 has not arrived.", subject="Parcel")
    second = inquiry(base, email=email, message="Also, the invoice for A-1001 is wrong.", subject="Invoice")
    third = inquiry(base, email=email, message="And the parcel box was wet.", subject="Box")
    with opened(browser) as (page, console):
        sign_in(page, base, KIM)
        page.goto(f"{base}/admin#/tickets/{first['id']}")
        page.select_option("#merge-with", second["id"])
        page.click("#merge-into-this")
        page.click("dialog.confirm button[value=yes]")
        page.wait_for_selector(f".from-ticket:has-text('from {second['reference']}')")
        page.wait_for_selector(f"#merged-from:has-text('{second['reference']}')")
        screen(page, "collab-3-merge")

        # From the inbox: the customer's tickets found, two selected, merged into one.
        page.goto(f"{base}/admin#/inbox?q={email}")
        page.check(f"input[aria-label='Select {first['reference']}']")
        page.check(f"input[aria-label='Select {third['reference']}']")
        page.click("#bulk-merge")
        page.select_option("#merge-target", first["id"])
        page.click("dialog.confirm button[value=yes]")
        page.wait_for_selector(f".flash:has-text('1 merged into {first['reference']}')")
        assert console.unexpected() == []

    # Mail about a merged ticket lands on its target.
    raw = (
        f"From: Ann Lee <{email}>\r\nTo: support@careline.example\r\nSubject: Re: Box [{third['reference']}]\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.com>\r\n\r\nIt is dry now."
    ).encode()
    landed = inbound(base, raw)
    assert (landed["action"], landed["ticket_id"]) == ("appended", first["id"])

    with opened(browser, PHONE) as (phone, console):
        sign_in(phone, base, KIM)
        phone.goto(f"{base}/admin#/tickets/{first['id']}")
        phone.wait_for_selector("article:has-text('It is dry now.')")
        screen(phone, "collab-3-merge-phone")
        phone.goto(f"{base}/admin#/tickets/{third['id']}")
        phone.wait_for_selector(f"#merged-into:has-text('{first['reference']}')")
        assert phone.is_hidden("form.reply")
        screen(phone, "collab-4-merged-phone")
        assert console.unexpected() == []


def test_an_agent_writes_to_a_customer_first(stack, browser):
    base = stack["base"]
    email = customer()
    with opened(browser) as (page, console):
        sign_in(page, base, KIM)
        page.click("#write-first")
        page.fill("#out-email", email)
        page.fill("#out-name", "Ann Lee")
        page.fill("#out-subject", "Your order A-2002 is delayed")
        page.fill("#out-body", "Hello Ann, the courier is two days late. Would you like to wait or get a refund?")
        page.fill("#out-cc", "tom@example.com")
        screen(page, "collab-5-outbound")
        page.click("#send-outbound")
        page.wait_for_selector("h1:has-text('Your order A-2002 is delayed')")
        reference = page.text_content("h1").split(" ")[0]
        [sent] = mails(base, reference)
        assert sent["subject"] == f"Your order A-2002 is delayed [{reference}]" and sent["cc"] == ["tom@example.com"]
        assert console.unexpected() == []
