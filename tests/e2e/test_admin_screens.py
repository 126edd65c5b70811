"""The operator's whole day in the admin page, in Debian's Chromium against
the `make run` stack: every screen at desktop width and at 390 px (no
sideways scrolling, axe-core finds nothing serious or critical, the console
stays clean), and each job done the way an operator does it: search, the
roster and availability, macros with the server's preview, callbacks, tags,
bulk changes, export and erasure, metrics with a range and CSV, and time
moving on until a badge turns red. Screenshots land in test-artifacts/browser/."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import (
    DESKTOP,
    PHONE,
    api,
    fits,
    inquiry,
    opened,
    require_chromium,
    screen,
    shot,
    sign_in,
    token,
    with_demo,
)
from tests.stack import shared_stack

pytestmark = pytest.mark.e2e
require_chromium()


@pytest.fixture(scope="module")
def stack():
    return with_demo(shared_stack())


@pytest.fixture
def desk(browser):
    with opened(browser) as seen:
        yield seen


@pytest.fixture
def phone(browser):
    with opened(browser, PHONE) as seen:
        yield seen


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_screen_reads_well_and_fits(stack, browser, viewport):
    base = stack["base"]
    width = viewport["width"]
    called = inquiry(
        base,
        name="Cleo Park",
        email="cleo@example.com",
        phone="+49 30 555",
        message="Please call me",
        callback={"phone": "+49 30 555", "window": "after 5pm"},
    )
    with opened(browser, viewport) as (page, console):
        page.goto(f"{base}/admin")
        screen(page, f"screen-{width}-sign-in", "#sign-in")
        sign_in(page, base, "lead@shop.example", "admin")
        visits = [
            ("inbox", "#/inbox", "tr.ticket-row"),
            ("ticket", f"#/tickets/{called['id']}", "#reply-body"),
            ("search", "#/inbox?q=parcel", "h1:has-text('Search')"),
            ("sla-order", "#/inbox?sort=sla", "#f-sort"),
            ("callbacks", "#/callbacks", "h1:has-text('Callbacks')"),
            ("customer", "#/customers/cleo%40example.com", "#erase"),
            ("agents", "#/agents", "h1:has-text('Agents')"),
            ("macros", "#/macros", "h1:has-text('Macros')"),
            ("metrics", "#/metrics", "#chart-volume"),
        ]
        for name, route, ready in visits:
            page.goto(f"{base}/admin/index.html{route}")
            screen(page, f"screen-{width}-{name}", ready)
        # On a phone every action of the inbox is still within reach: bulk bar, filters, paging, sign-out.
        page.goto(f"{base}/admin/index.html#/inbox")
        page.wait_for_selector("tr.ticket-row")
        page.locator("input.pick").first.check()
        for control in (
            "#bulk-assignee",
            "#bulk-status",
            "#bulk-apply",
            "#f-status",
            "#f-sort",
            "#signout",
            "#availability",
            "#search",
        ):
            assert page.locator(control).is_visible(), control
        assert fits(page)
        assert console.unexpected() == []


def test_what_an_operator_types_right_after_signing_in_stays_in_the_search_box(stack, desk):
    """A slow answer from the API (a busy stage) never wipes words already typed."""
    page, _ = desk
    seen = []

    def slow_second_me(route):
        seen.append(route.request.url)
        if len(seen) > 1:
            page.wait_for_timeout(1500)
        route.continue_()

    page.route("**/me", slow_second_me)
    sign_in(page, stack["base"], "kim@shop.example")
    page.keyboard.press("/")
    page.keyboard.type("parcel")
    page.wait_for_timeout(2500)  # longer than any second look-up of the operator could take
    assert page.input_value("#search") == "parcel"


def test_search_finds_every_word_and_combines_with_filters(stack, desk):
    page, console = desk
    base = stack["base"]
    quilt = inquiry(
        base,
        name="Quincy Adams",
        email="quincy@example.com",
        subject="Quilt question",
        message="Is the patchwork quilt washable at 60 degrees?",
    )
    inquiry(base, name="Una Berg", email="una@example.com", message="My patchwork cushion arrived torn")
    sign_in(page, base, "kim@shop.example")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("Patchwork quilt")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Search: Patchwork quilt')")
    assert page.locator("tr.ticket-row").count() == 1
    assert page.locator("tr.ticket-row .subject").text_content().startswith("Quilt question")
    assert "q=Patchwork+quilt" in page.url  # the search is part of the address: reload, bookmark, share
    page.fill("#search", "patchwork")
    page.press("#search", "Enter")
    expect(page.locator("tr.ticket-row")).to_have_count(2)
    page.select_option("#f-status", "open")
    page.wait_for_selector("text=No tickets match every word.")
    page.select_option("#f-status", "new")
    expect(page.locator("tr.ticket-row")).to_have_count(2)
    page.fill("#search", quilt["reference"])
    page.press("#search", "Enter")
    page.wait_for_selector(f"tr.ticket-row:has-text('{quilt['reference']}')")
    shot(page, "search")
    assert console.unexpected() == []


def test_filters_combine_in_any_way_and_the_inbox_counts_what_it_lists(stack, desk):
    """Mine → urgent, High + shipping, search words with a filter, the SLA order
    with filters: each lists what the API lists for it, with its count."""
    page, console = desk
    base = stack["base"]
    kim = token(base, "kim@shop.example")
    made = []
    for n, (priority, category) in enumerate([("urgent", "shipping"), ("high", "shipping"), ("urgent", "billing")]):
        ticket = inquiry(base, name="Ida Marsh", email=f"ida{n}@example.com", message=f"Zebrawood tray number {n}")
        change = {"priority": priority, "category": category, "assignee": "kim@shop.example"}
        api(base, "PATCH", f"/tickets/{ticket['id']}", change, token=kim)
        made.append(ticket)
    api(base, "GET", "/_dev/events")  # the search index has caught up

    def shown_matches(query):
        page.wait_for_load_state("networkidle")
        listed = api(base, "GET", f"/tickets?limit=25&{query}", token=kim)
        expect(page.locator("tr.ticket-row")).to_have_count(len(listed["items"]))
        refs = page.locator("tr.ticket-row td.ref").all_text_contents()
        assert refs == [t["reference"] for t in listed["items"]], query
        if listed["count"] and listed["count"]["exact"]:
            n = listed["count"]["value"]
            expect(page.locator("h1 .count")).to_have_text(f" · {n} ticket{'' if n == 1 else 's'}")
        assert page.locator(".flash.error").count() == 0, query
        return listed

    sign_in(page, base, "kim@shop.example")
    page.click("nav >> text=Mine")
    page.wait_for_selector("h1:has-text('My tickets')")
    page.select_option("#f-priority", "urgent")
    page.wait_for_url(re.compile(r"assignee=me&priority=urgent"))
    mine_urgent = shown_matches("assignee=me&priority=urgent")
    assert {made[0]["id"], made[2]["id"]} <= {t["id"] for t in mine_urgent["items"]}
    assert {t["priority"] for t in mine_urgent["items"]} == {"urgent"}
    shot(page, "filters-mine-urgent")

    page.select_option("#f-sort", "sla")  # the SLA order keeps the filters
    page.wait_for_url(re.compile(r"sort=sla"))
    assert "assignee=me" in page.url and "priority=urgent" in page.url
    shown_matches("assignee=me&priority=urgent&sort=sla")

    page.goto(f"{base}/admin/index.html#/inbox?priority=high&category=shipping")
    page.wait_for_selector("h1:has-text('Inbox')")
    high_shipping = shown_matches("priority=high&category=shipping")
    assert made[1]["id"] in {t["id"] for t in high_shipping["items"]}
    shot(page, "filters-high-shipping")

    page.fill("#search", "zebrawood")
    page.press("#search", "Enter")
    page.wait_for_selector("h1:has-text('Search: zebrawood')")
    shown_matches("q=zebrawood")
    page.select_option("#f-category", "shipping")
    page.wait_for_url(re.compile(r"category=shipping"))
    assert [t["id"] for t in shown_matches("q=zebrawood&category=shipping")["items"]] == [
        made[1]["id"],
        made[0]["id"],
    ]
    page.select_option("#f-priority", "low")
    page.wait_for_selector("text=No tickets match every word.")
    shot(page, "filters-search-words")
    assert console.unexpected() == []


def test_a_page_that_stopped_short_says_how_far_it_looked(stack, desk):
    """At 20,000 tickets a combination no index serves may end a page early
    (its reads' budget): the operator sees how far it looked and can go on."""
    page, console = desk
    base = stack["base"]
    real = api(base, "GET", "/tickets?limit=1", token=token(base, "kim@shop.example"))
    short = real | {"count": None, "next_cursor": "c2", "searched_to": "2026-11-03T14:02:00Z"}
    asked = []

    def answer(route):
        asked.append(route.request.url)
        later = "cursor=" in route.request.url
        route.fulfill(json=short | {"items": [], "next_cursor": None} if later else short)

    page.route("**/tickets?*", answer)
    sign_in(page, base, "kim@shop.example")
    page.goto(f"{base}/admin/index.html#/inbox?priority=urgent&tag=refund")
    page.wait_for_selector("nav.pager p.searched")
    assert "Looked through tickets created since" in page.text_content("nav.pager")
    assert page.locator("h1 .count").count() == 0  # no count it does not know
    shot(page, "filters-stopped-short")
    page.click("nav.pager a:has-text('More…')")
    page.wait_for_selector("text=No tickets match.")
    assert "cursor=c2" in asked[-1] and "priority=urgent" in asked[-1] and "tag=refund" in asked[-1]
    assert console.unexpected() == []


def test_agents_toggle_their_availability_and_admins_keep_the_roster(stack, browser):
    base = stack["base"]
    with opened(browser) as (page, console):
        sign_in(page, base, "kim@shop.example")
        toggle = page.locator("#availability")
        before = toggle.get_attribute("aria-pressed")
        toggle.click()
        page.wait_for_selector(f"#availability[aria-pressed='{'false' if before == 'true' else 'true'}']")
        kim = next(
            a
            for a in api(base, "GET", "/agents", token=token(base, "kim@shop.example"))["items"]
            if a["email"] == "kim@shop.example"
        )
        assert kim["available"] is (before != "true")
        toggle.click()
        page.wait_for_selector(f"#availability[aria-pressed='{before}']")
        page.goto(f"{base}/admin/index.html#/agents")
        page.wait_for_selector("h1:has-text('Agents')")
        assert page.locator("text=Add an agent").count() == 0  # agents see the roster; admins change it
        assert console.unexpected() == []

    with opened(browser) as (page, console):
        sign_in(page, base, "lead@shop.example", "admin")
        page.goto(f"{base}/admin/index.html#/agents")
        page.fill("#new-agent-email", "noor@shop.example")
        page.fill("#new-agent-name", "Noor")
        page.click("text=Add agent")
        page.wait_for_selector("input[aria-label='Display name of noor@shop.example']")
        page.fill("input[aria-label='Display name of noor@shop.example']", "Noor Haddad")
        page.locator("tr:has-text('noor@shop.example') button:has-text('Save')").click()
        page.wait_for_selector(".flash:has-text('Name saved.')")
        roster = {
            a["email"]: a for a in api(base, "GET", "/agents", token=token(base, "lead@shop.example", "admin"))["items"]
        }
        assert roster["noor@shop.example"]["name"] == "Noor Haddad" and roster["noor@shop.example"]["available"]
        shot(page, "agents-admin")
        page.locator("tr:has-text('noor@shop.example') button:has-text('Remove')").click()
        assert "stay theirs" in page.text_content("dialog.confirm")
        page.click("dialog.confirm button:has-text('Remove from the roster')")
        page.wait_for_selector(".flash:has-text('noor@shop.example removed.')")
        assert "noor@shop.example" not in {
            a["email"] for a in api(base, "GET", "/agents", token=token(base, "lead@shop.example", "admin"))["items"]
        }
        assert console.unexpected() == []


def test_macros_are_kept_by_admins_and_previewed_for_the_open_ticket(stack, desk):
    page, console = desk
    base = stack["base"]
    ticket = inquiry(
        base,
        name="Mia Vogel",
        email="mia@example.com",
        order_id="A-4242",
        subject="Late order",
        message="Where is order A-4242?",
    )
    sign_in(page, base, "lead@shop.example", "admin")
    page.goto(f"{base}/admin/index.html#/macros")
    page.click("#new-macro")
    page.fill("#macro-name", "order-shipped")
    page.fill("#macro-title", "Order shipped")
    page.fill("#macro-body", "Hi {{first_name}}, order {{order_id}} left us today.")
    page.click("#save-macro")
    page.wait_for_selector("td:has-text('order-shipped')")
    page.click("button[aria-label='Edit Order shipped']")
    page.fill("#macro-body", "Hi {{first_name}}, order {{order_id}} left us today. {{operator_name}}")
    page.click("#save-macro")
    page.wait_for_selector(".flash:has-text('saved')")
    shot(page, "macros")

    page.goto(f"{base}/admin/index.html#/tickets/{ticket['id']}")
    page.select_option("#macro", "order-shipped")
    expect(page.locator("#reply-body")).to_have_value(re.compile(r"^Hi Mia"))
    assert page.input_value("#reply-body") == "Hi Mia, order A-4242 left us today. Lead"
    page.wait_for_selector("#preview .subject:has-text('Re: Late order')")
    assert "Hi Mia, order A-4242 left us today." in page.text_content("#preview .mail-text")
    page.fill("#offer", "Free shipping next time")
    page.wait_for_selector("#preview .mail-text:has-text('Free shipping next time')")
    shot(page, "reply-preview")
    page.click("#send-reply")
    page.wait_for_selector(".flash:has-text('Reply sent.')")
    sent = [
        m
        for m in api(base, "GET", "/_dev/mail")
        if ticket["reference"] in m["subject"] and "left us today" in m["text"]
    ]
    assert sent and "{{" not in sent[0]["text"]

    page.goto(f"{base}/admin/index.html#/macros")
    page.click("button[aria-label='Delete Order shipped']")
    page.click("dialog.confirm button:has-text('Delete macro')")
    page.wait_for_selector(".flash:has-text('deleted')")
    page.wait_for_selector("td:has-text('order-shipped')", state="detached")
    assert console.unexpected() == []


def test_callbacks_queue_and_a_logged_call_that_reaches_the_customer(stack, phone):
    page, console = phone
    base = stack["base"]
    ticket = inquiry(
        base,
        name="Otto Lind",
        email="otto@example.com",
        phone="+49 40 777",
        callback={"phone": "+49 40 777", "window": "weekdays 9-12"},
        message="Please call",
    )
    sign_in(page, base, "kim@shop.example")
    page.click("nav >> text=Callbacks")
    # The callbacks screen's row: the inbox's, still on screen a moment after the click, has the same reference.
    row = page.locator(f"table.callbacks tr:has-text('{ticket['reference']}')")
    row.wait_for()
    assert "weekdays 9-12" in row.text_content()
    shot(page, "callbacks-390")
    row.locator("text=Log the call").click()
    page.wait_for_selector("#call-outcome")
    page.select_option("#call-outcome", "reached")
    page.fill("#call-summary", "Explained the delivery date.")
    page.click("#log-call")
    page.wait_for_selector(".task:has-text('Callback done')")
    assert page.locator(".msg-call:has-text('Explained the delivery date.')").count() == 1
    page.click("nav >> text=Callbacks")
    page.wait_for_selector("h1:has-text('Callbacks')")
    page.wait_for_load_state("networkidle")
    assert page.locator(f"tr:has-text('{ticket['reference']}')").count() == 0
    assert console.unexpected() == []


def test_tags_on_the_ticket_filter_the_inbox(stack, desk):
    page, console = desk
    base = stack["base"]
    ticket = inquiry(base, name="Tom Rao", email="tom@example.com", message="Wrong colour delivered")
    sign_in(page, base, "kim@shop.example")
    page.goto(f"{base}/admin/index.html#/tickets/{ticket['id']}")
    page.fill("#new-tag", "wrong-colour")
    page.press("#new-tag", "Enter")
    page.wait_for_selector(".tag-editor .tag:has-text('wrong-colour')")
    page.goto(f"{base}/admin/index.html#/inbox?tag=wrong-colour")
    page.wait_for_selector(f"tr.ticket-row:has-text('{ticket['reference']}')")
    assert page.locator("tr.ticket-row").count() == 1 and page.input_value("#f-tag") == "wrong-colour"
    page.goto(f"{base}/admin/index.html#/tickets/{ticket['id']}")
    page.click("button[aria-label='Remove tag wrong-colour']")
    page.wait_for_selector(".flash:has-text('Tag wrong-colour removed.')")
    page.goto(f"{base}/admin/index.html#/inbox?tag=wrong-colour")
    page.wait_for_selector("text=No tickets match.")
    assert console.unexpected() == []


def test_bulk_assign_and_status_from_a_phone(stack, phone):
    page, console = phone
    base = stack["base"]
    made = [
        inquiry(base, name=f"Bulk {n}", email=f"bulk{n}@example.com", message=f"Bulk question number {n}")
        for n in range(2)
    ]
    sign_in(page, base, "lead@shop.example", "admin")
    page.goto(f"{base}/admin/index.html#/inbox?q=bulk")
    expect(page.locator("tr.ticket-row")).to_have_count(2)
    page.check("#pick-all")
    page.wait_for_selector("#bulk-count:has-text('2 selected')")
    page.select_option("#bulk-assignee", "lou@shop.example")
    page.select_option("#bulk-status", "pending")
    page.click("#bulk-apply")
    page.wait_for_selector(".flash:has-text('2 tickets updated.')")
    lead = token(base, "lead@shop.example", "admin")
    for ticket in made:
        view = api(base, "GET", f"/tickets/{ticket['id']}", token=lead)
        assert (view["assignee"], view["status"]) == ("lou@shop.example", "pending")
    shot(page, "bulk-390")
    assert fits(page) and console.unexpected() == []


def test_admin_exports_and_erases_a_customer_after_a_confirmation_naming_it(stack, desk):
    page, console = desk
    base = stack["base"]
    ticket = inquiry(
        base, name="Erin Falk", email="erin@example.com", phone="+49 89 1", order_id="A-7", message="My order"
    )
    sign_in(page, base, "lead@shop.example", "admin")
    page.goto(f"{base}/admin/index.html#/tickets/{ticket['id']}")
    page.click(".side a:has-text('Erin Falk')")
    page.wait_for_selector("h1:has-text('Erin Falk')")
    with page.expect_download() as download:
        page.click("#export")
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["email"] == "erin@example.com" and exported["tickets"][0]["messages"][0]["body"] == "My order"
    page.click("#erase")
    dialog = page.locator("dialog.confirm")
    text = dialog.text_content()
    assert "Erin Falk" in text and "erin@example.com" in text and "+49 89 1" in text and "1 ticket" in text
    assert page.locator("dialog.confirm button:has-text('Erase for good')").is_disabled()
    shot(page, "erase-confirmation")
    page.fill("#confirm-text", "erin@example.com")
    page.click("dialog.confirm button:has-text('Erase for good')")
    page.wait_for_selector(".flash:has-text('Erased: 1 ticket anonymised')")
    view = api(base, "GET", f"/tickets/{ticket['id']}", token=token(base, "lead@shop.example", "admin"))
    assert view["customer"]["name"] == "Erased customer" and "erin@example.com" not in json.dumps(view)
    page.goto(f"{base}/admin/index.html#/tickets/{ticket['id']}")
    page.wait_for_selector('.events li:has-text("Lead erased the customer\'s personal data")')
    assert console.unexpected() == []


def test_metrics_over_a_range_with_trends_agents_and_csv(stack, desk):
    page, console = desk
    base = stack["base"]
    sign_in(page, base, "lead@shop.example", "admin")
    page.click("nav >> text=Metrics")
    page.wait_for_selector("#chart-volume")
    for chart in ("chart-volume", "chart-first-response", "chart-csat", "chart-sla"):
        assert page.locator(f"svg#{chart}[role=img]").count() == 1
    assert page.locator("svg#chart-volume rect.bar").count() >= 3  # the demo's days
    assert page.locator("table.per-agent tbody tr").count() >= 2
    page.click("text=Last 7 days")
    expect(page).to_have_url(re.compile(r"since=\d{4}-\d\d-\d\d"))
    expect(page.locator("#since")).to_have_value(re.search(r"since=([\d-]+)", page.url).group(1))
    since, until = page.input_value("#since"), page.input_value("#until")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", since) and since < until
    with page.expect_download() as download:
        page.click("#download-csv")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("date,volume,first_responses") and len(lines) == 8 and lines[1].startswith(since)
    with page.expect_download() as download:
        page.click("#download-agents-csv")
    assert Path(download.value.path()).read_text().startswith("email,name,handled")
    shot(page, "metrics-7-days")
    assert console.unexpected() == []


def test_time_moving_on_turns_the_badge_amber_then_red_as_the_server_says(stack, desk):
    page, console = desk
    base = stack["base"]
    ticket = inquiry(base, name="Vic Ray", email="vic@vip.example", message="Where is my order?")  # VIP: urgent, 60 min
    sign_in(page, base, "kim@shop.example")
    page.goto(f"{base}/admin/index.html#/inbox?q={ticket['reference']}")
    badge = page.locator(f"tr.ticket-row:has-text('{ticket['reference']}') .badge")
    badge.wait_for()
    assert badge.get_attribute("class") == "badge sla-ok"
    api(base, "POST", "/_dev/clock", {"advance_minutes": 50})  # past the warning share (80 %) of 60 minutes
    page.reload()
    page.wait_for_selector(f"tr.ticket-row:has-text('{ticket['reference']}') .badge.sla-warning")
    assert badge.text_content().startswith("due soon · in ")
    api(base, "POST", "/_dev/clock", {"advance_minutes": 30})
    page.reload()
    page.wait_for_selector(f"tr.ticket-row:has-text('{ticket['reference']}') .badge.sla-breached")
    assert re.fullmatch(r"breached · \d+ min overdue", badge.text_content())
    shot(page, "badge-breached")
    page.goto(f"{base}/admin/index.html#/tickets/{ticket['id']}")
    page.wait_for_selector(".summary-line .badge.sla-breached")
    assert "breached" in page.text_content(".sla li:has-text('first response')")
    assert page.locator(".events li:has-text('The first response target was missed')").count() == 1
    notices = [
        m for m in api(base, "GET", "/_dev/mail") if ticket["reference"] in m["subject"] and "overdue" in m["text"]
    ]
    assert notices  # the email says so too
    # Answered late: the sidebar says how long it took against the target, once.
    agent = token(base, "kim@shop.example")
    api(base, "POST", f"/tickets/{ticket['id']}/replies", {"body": "Sorry for the wait, Vic."}, token=agent)
    page.reload()
    late = page.locator(".sla li:has-text('first response')")
    expect(late).to_contain_text("(took 1 h 2")
    assert re.fullmatch(r"first response · breached .+ \(took 1 h 2\d min, target 1 h\)", late.text_content())
    assert console.unexpected() == []
