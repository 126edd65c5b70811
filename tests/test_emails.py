"""What the customer reads in the acknowledgement."""
from datetime import datetime, timezone

from chalicelib.domain.emails import AcknowledgementFacts, acknowledgement

DUE = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def facts(**changes):
    base = dict(brand="Demo Shop", reference="CL-7K3M9QX2", name="Ann Lee", email="ann@example.com",
                message="Where is my parcel?\nOrder placed Monday.", subject="Parcel", order_id="A-1001",
                callback_phone=None, callback_window=None, first_response_due=DUE, timezone="Europe/Berlin")
    return AcknowledgementFacts(**(base | changes))


def test_subject_carries_the_reference():
    assert acknowledgement(facts()).subject == "We received your request: Parcel [CL-7K3M9QX2]"
    assert acknowledgement(facts(subject=None)).subject == "We received your request [CL-7K3M9QX2]"


def test_names_the_customer_quotes_the_request_and_states_the_due_time_plainly():
    email = acknowledgement(facts())
    assert email.text.startswith("Hello Ann Lee,")
    assert "> Where is my parcel?\n> Order placed Monday." in email.text
    assert "Wednesday, 25 November 2026 at 10:00 (CET, Europe/Berlin)" in email.text
    assert "2026-11-25T09:00:00Z" in email.text
    assert "Order: A-1001" in email.text
    assert "Wednesday, 25 November 2026 at 10:00" in email.html


def test_due_time_in_the_customers_own_time_zone():
    email = acknowledgement(facts(timezone="America/New_York"))
    assert "Wednesday, 25 November 2026 at 04:00 (EST, America/New_York)" in email.text


def test_is_marked_as_automatic():
    assert acknowledgement(facts()).headers == {"Auto-Submitted": "auto-replied"}


def test_customer_strings_are_escaped_in_html():
    email = acknowledgement(facts(name="<b>Ann</b>", message="<img src=x onerror=alert(1)>",
                                  subject="<script>x</script>"))
    assert "<img" not in email.html and "<script>" not in email.html and "<b>Ann" not in email.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in email.html


def test_callback_request_is_confirmed():
    email = acknowledgement(facts(callback_phone="+49 30 1234", callback_window="after 5pm"))
    assert "Call back: +49 30 1234 (after 5pm)" in email.text
