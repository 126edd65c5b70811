"""The customer's own pages in Chromium at phone width with JavaScript off,
against the `make run` stack: the no-JS thank-you page leads back to the
shop; the status page from the acknowledgement, in English and German,
names the shop, fits 390 px, takes a message with a file and shows it; the
rating page names the shop. No page logs an error in the console (a
/favicon.ico the API answers 403, an icon the page's policy blocks).
Screenshots land in test-artifacts/browser/."""

import re
from urllib.parse import urlparse

import pytest

from tests.e2e.browsing import PHONE, Console, api, fits, require_chromium, serious_violations, shot

pytestmark = pytest.mark.e2e
require_chromium()


@pytest.fixture
def phone(browser):
    """A phone without JavaScript (unless asked: axe runs as a script): (page, console), in the language asked for."""
    contexts = []

    def open_in(locale: str, javascript: bool = False):
        context = browser.new_context(viewport=PHONE, java_script_enabled=javascript, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page, Console(page)

    yield open_in
    for context in contexts:
        context.close()


def status_link(base: str, address: str) -> str:
    """The status page path in the latest email to `address`."""
    mail = [m for m in api(base, "GET", "/_dev/mail") if any(address in to for to in m["to"])]
    return urlparse(re.findall(r"https?://\S+/status/\S+", mail[-1]["text"])[0]).path


def test_the_thank_you_page_leads_back_to_the_shop(stack, phone):
    page, console = phone("en-GB")
    page.goto(f"{stack['base']}/shop")
    page.fill("#cl-name", "Ann Lee")
    page.fill("#cl-email", "ann.back@example.com")
    page.fill("#cl-message", "Where is my parcel?")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "Careline Demo Shop" in page.text_content(".brand")
    with page.expect_navigation():
        page.click("text=Back to Careline Demo Shop")
    assert urlparse(page.url).path == "/shop"
    assert console.errors == []


@pytest.mark.parametrize(
    "locale,words",
    [
        (
            "en-GB",
            {"title": "Your request", "send": "Send", "sent": "Thank you, we have your message", "back": "Back to"},
        ),
        ("de-DE", {"title": "Ihre Anfrage", "send": "Senden", "sent": "Danke, Ihre Nachricht", "back": "Zurück zu"}),
    ],
)
def test_the_status_page_on_a_phone_takes_a_message_with_a_file(stack, phone, locale, words):
    base, address = stack["base"], f"status.{locale.lower()}@example.com"
    api(
        base, "POST", "/inquiries", {"name": "Ann Lee", "email": address, "message": "The mug broke.", "locale": locale}
    )
    page, console = phone(locale)
    answer = page.goto(base + status_link(base, address))
    assert answer.status == 200 and answer.headers["cache-control"] == "no-store"
    assert page.title().startswith(words["title"]) and page.text_content(".brand") == "Careline Demo Shop"
    assert "The mug broke." in page.text_content(".thread")
    assert fits(page)
    shot(page, f"status-1-{locale}")

    page.fill("textarea[name=message]", "A photo of the mug.")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "mug.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff" + b"m" * 4000}],
    )
    with page.expect_navigation():
        page.click(f"button:has-text('{words['send']}')")
    assert page.text_content(".notice").startswith(words["sent"])
    assert page.locator(".thread a", has_text="mug.jpg").count() == 1
    assert page.locator(f"a:has-text('{words['back']}')").count() == 1
    assert fits(page)
    shot(page, f"status-2-{locale}-sent")
    assert console.errors == []  # no /favicon.ico, no blocked icon, nothing failed

    checked, _ = phone(locale, javascript=True)  # the same page (it has no script), for axe to scan
    checked.goto(page.url)
    assert serious_violations(checked) == []
