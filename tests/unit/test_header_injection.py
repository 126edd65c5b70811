"""Whatever a storefront sends, what validation accepts composes into an
acknowledgement whose MIME has exactly the headers Careline writes: no field
adds, breaks or forges a header, and composing never fails after the ticket
would have been stored (issue 13: a U+2028 in the subject answered 500 after
storing; NUL reached To: and Subject:)."""

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.mailer import to_mime
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.inquiry import validate_inquiry
from chalicelib.views.emails import AcknowledgementFacts, acknowledgement

HEADERS = {"From", "To", "Reply-To", "Subject", "Date", "Message-ID", "Auto-Submitted", "MIME-Version", "Content-Type"}
# Every character class that has broken or forged a header somewhere, mixed with ordinary text.
HOSTILE = st.lists(
    st.sampled_from(
        [
            *list("aZ :<>\"'@,;=?\\"),
            "\r",
            "\n",
            "\r\n",
            "\x00",
            "\x0b",
            "\x0c",
            "\x1c",
            "\x1d",
            "\x1e",
            "\x1f",
            "\x85",
            "\u2028",
            "\u2029",
            "\u202e",
            "\ufeff",
            "�",
            "\t",
            "=?utf-8?q?",
            "Bcc: x@evil.example",
            "é",
            "👩\u200d💻",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(name=HOSTILE, subject=HOSTILE, order_id=HOSTILE, window=HOSTILE, local=st.sampled_from(["ann", "a.b+c"]))
def test_no_field_reaches_a_header_it_could_break(name, subject, order_id, window, local):
    fields = {
        "name": name,
        "email": f"{local}@example.com",
        "message": "Where is my parcel?",
        "subject": subject,
        "order_id": order_id,
        "callback": {"phone": "+49 30 1234", "window": window},
    }
    try:
        inquiry = validate_inquiry(fields, ())
    except InvalidInput:
        return  # refused by field before anything is stored
    email = acknowledgement(
        AcknowledgementFacts(
            brand="Shop",
            reference="CL-ABC123",
            name=inquiry.name,
            email=inquiry.email,
            message=inquiry.message,
            subject=inquiry.subject,
            details=inquiry.details,
            callback_phone=inquiry.callback.phone,
            callback_window=inquiry.callback.window,
            first_response_due=datetime(2026, 11, 25, 9, tzinfo=UTC),
            timezone="Europe/Berlin",
        )
    )
    raw = to_mime(
        email,
        sender="support@shop.example",
        sender_name="Shop",
        reply_to="support@shop.example",
        message_id="<1@shop.example>",
        date=datetime(2026, 11, 24, 9, tzinfo=UTC),
    )
    assert b"\x00" not in raw
    parsed = message_from_bytes(raw, policy=default)
    assert set(parsed.keys()) == HEADERS and len(parsed.keys()) == len(HEADERS)
    assert parsed["To"].addresses[0].addr_spec == f"{local}@example.com"
    # the same words (folding a long header may add or keep a space between encoded words: cosmetic)
    assert squeezed(parsed["To"].addresses[0].display_name) == squeezed(inquiry.name)
    assert squeezed(parsed["Subject"]) == squeezed(email.subject)


def squeezed(text: str) -> str:
    return "".join(text.split())
