"""The example storefront's contact form in Chromium with JavaScript off, as
a customer whose browser runs no script uses it against the `make run`
stack: the thank-you page, the form again with each problem beside its field
and everything typed kept, and the page that says when to send again after a
flood. Every page comes with its security headers and its own stylesheet
applies under them. Screenshots land in test-artifacts/browser/."""

import pytest

from tests.e2e.browsing import api, require_chromium, shot

pytestmark = pytest.mark.e2e
require_chromium()
MARKUP_NAME = "Ann <b>Lee</b>"


@pytest.fixture
def page(browser):
    context = browser.new_context(java_script_enabled=False)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def submit(page):
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    return navigation.value


def assert_protected(response):
    headers = response.headers
    policy = headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


def styled(page) -> bool:
    """The page's own stylesheet applied (the policy allows it by its hash): the text column is 38rem wide."""
    return page.locator("body").evaluate("b => getComputedStyle(b).maxWidth") == "608px"


def test_the_form_without_javascript_thanks_the_customer_in_the_shops_time(stack, page):
    page.goto(f"{stack['base']}/shop")
    page.fill("#cl-name", "Ann Lee")
    page.fill("#cl-email", "ann.nojs@example.com")
    page.fill("#cl-message", "Where is my parcel?")  # the optional call-back number stays empty
    response = submit(page)
    assert response.status == 201
    assert_protected(response)
    text = page.text_content("main")
    assert "Careline Demo Shop" in text and "Thank you, we have your request" in text
    assert "Your reference is CL-" in text and "(Berlin time)" in text
    assert styled(page)
    shot(page, "nojs-1-thank-you")


def test_the_form_comes_back_with_each_problem_beside_its_field_and_everything_kept(stack, page):
    page.goto(f"{stack['base']}/shop")
    page.fill("#cl-name", MARKUP_NAME)
    page.fill("#cl-email", "ann@example")  # a browser accepts it; the server needs a domain with a dot
    page.fill("#cl-subject", "Parcel")
    page.fill("#cl-order", "A-1001")
    page.fill("#cl-message", "Where is my parcel?\nIt was due on Monday.")
    page.fill("#cl-phone", "call me maybe")
    response = submit(page)
    assert response.status == 400
    assert_protected(response)
    assert page.text_content("#f-email-error") == "must be a valid email address, like name@example.com"
    assert page.text_content("#f-callback-phone-error").startswith("may contain only digits")
    assert page.get_attribute("#f-email", "aria-invalid") == "true"
    assert page.input_value("#f-name") == MARKUP_NAME and page.locator("main b").count() == 0
    assert page.input_value("#f-message") == "Where is my parcel?\nIt was due on Monday."
    assert (page.input_value("#f-subject"), page.input_value("#f-order_id")) == ("Parcel", "A-1001")
    assert page.locator(".problems a[href='#f-email']").count() == 1
    assert styled(page)
    shot(page, "nojs-2-field-errors")

    # Corrected on the page it came back on, it goes through.
    page.fill("#f-email", "ann.fixed@example.com")
    page.fill("#f-callback-phone", "+49 30 1234567")
    response = submit(page)
    assert response.status == 201 and "Your reference is CL-" in page.text_content("main")
    shot(page, "nojs-3-corrected")


def test_a_flood_gets_a_page_that_says_when_to_send_again(stack, page):
    address = "flood.nojs@example.com"
    for n in range(5):  # the local stage's limit per address: 5 in 10 minutes
        api(stack["base"], "POST", "/inquiries", {"name": "Ann", "email": address, "message": f"message {n}"})
    page.goto(f"{stack['base']}/shop")
    page.fill("#cl-name", "Ann Lee")
    page.fill("#cl-email", address)
    page.fill("#cl-message", "One more thing about my parcel")
    response = submit(page)
    assert response.status == 429
    assert_protected(response)
    assert 0 < int(response.headers["retry-after"]) <= 600
    notice = page.text_content(".notice")
    assert "Please send this one again in about" in notice and "(Berlin time)" in notice
    assert page.input_value("#f-message") == "One more thing about my parcel"
    assert styled(page)
    shot(page, "nojs-4-too-many")
