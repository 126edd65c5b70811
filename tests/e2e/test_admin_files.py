"""Files in the admin page, in Debian's Chromium against the `make run`
stack: an operator downloads what a customer sent (the very bytes), sees why
a file was not kept, and answers with a file of their own, uploaded from the
page straight to the emulator's S3 through the signed form (CORS and the
page's Content-Security-Policy allow it); the customer's email carries it.
At desktop width and at 390 px, with no console error and nothing serious
or critical for axe-core. Screenshots land in test-artifacts/browser/."""

import hashlib
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import (
    DESKTOP,
    PHONE,
    api,
    fits,
    inbound,
    opened,
    require_chromium,
    serious_violations,
    shot,
    sign_in,
)
from tests.mails import mail
from tests.stack import shared_stack

pytestmark = pytest.mark.e2e
require_chromium()

MANUAL = b"%PDF-1.7\n" + bytes(range(256)) * 300  # binary, so a text round trip would show
LABEL = b"%PDF-1.4\nreturn label " + bytes(range(256)) * 40


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_operator_downloads_a_customers_file_and_replies_with_one(browser, viewport):
    base = shared_stack()["base"]
    width = viewport["width"]
    customer = f"rosa-{width}-{uuid.uuid4().hex[:6]}@example.com"
    decision = inbound(
        base,
        mail(
            ("manual.pdf", "application/pdf", MANUAL),
            ("setup.exe", "application/x-msdownload", b"MZ" + bytes(100)),
            sender=f"Rosa Diaz <{customer}>",
            subject="Manual for the lamp",
            message_id=f"<{uuid.uuid4()}@example.com>",
        ),
    )
    ticket_id = decision["ticket_id"]
    with opened(browser, viewport) as (page, console):
        sign_in(page, base, "kim@shop.example")
        page.goto(f"{base}/admin/index.html#/tickets/{ticket_id}")
        attachments = page.locator(".msg-customer .attachments")
        expect(attachments.locator("li.refused")).to_contain_text("setup.exe")
        expect(attachments.locator("li.refused")).to_contain_text("not kept: a file type we do not accept")
        expect(attachments.get_by_role("button", name="Download setup.exe")).to_have_count(0)

        with page.expect_download() as saved:
            attachments.get_by_role("button", name="Download manual.pdf").click()
        assert saved.value.suggested_filename == "manual.pdf"
        assert Path(saved.value.path()).read_bytes() == MANUAL

        page.fill("#reply-body", "Here is the manual again, and your return label.")
        page.set_input_files(
            "#reply-files",
            files=[
                {"name": "label.pdf", "mimeType": "application/pdf", "buffer": LABEL},
                {"name": "tool.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ" + bytes(10)},
                {"name": "blank.pdf", "mimeType": "application/pdf", "buffer": b""},
            ],
        )
        chosen = page.locator(".chosen-files li")
        expect(chosen).to_have_count(3)
        expect(chosen.filter(has_text="label.pdf")).to_contain_text("ready to send")
        expect(chosen.filter(has_text="tool.exe")).to_contain_text(
            "cannot be sent: its type (application/x-msdownload) must be one of: image/jpeg"
        )
        expect(chosen.filter(has_text="blank.pdf")).to_contain_text("cannot be sent: the file is empty")
        page.wait_for_load_state("networkidle")
        shot(page, f"files-{width}-chosen")
        assert fits(page), "the chosen files make the page scroll sideways"
        assert serious_violations(page) == []

        page.click("#send-reply")  # refused files still listed: nothing is sent
        expect(page.locator("#flash")).to_contain_text("Remove the files that cannot be sent first.")
        page.get_by_role("button", name="Remove tool.exe").click()
        page.get_by_role("button", name="Remove blank.pdf").click()
        expect(chosen).to_have_count(1)
        page.dblclick("#send-reply")  # an impatient double press sends one reply
        expect(page.locator("#flash")).to_contain_text("Reply sent with 1 file.")

        # The reply lists the file, and the operator can fetch it back as the customer got it.
        sent_files = page.locator(".msg-operator .attachments")
        expect(sent_files).to_contain_text("label.pdf")
        with page.expect_download() as again:
            sent_files.get_by_role("button", name="Download label.pdf").click()
        assert Path(again.value.path()).read_bytes() == LABEL
        page.wait_for_load_state("networkidle")
        shot(page, f"files-{width}-sent")
        assert fits(page)
        assert serious_violations(page) == []
        assert console.unexpected("400") == []  # the refused upload forms answer 400: expected

    [email] = [m for m in api(base, "GET", "/_dev/mail") if customer in " ".join(m["to"]) and m["attachments"]]
    assert email["attachments"] == [
        {"name": "label.pdf", "type": "application/pdf", "size": len(LABEL), "sha256": sha(LABEL)}
    ]
    assert "your return label" in email["text"]
