"""What the customer reads in the acknowledgement."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.inquiry import Details
from chalicelib.domain.sla import warning_still_useful
from chalicelib.views.emails import AcknowledgementFacts, acknowledgement

DUE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def facts(**changes):
    base = dict(
        brand="Demo Shop",
        reference="CL-7K3M9QX2",
        name="Ann Lee",
        email="ann@example.com",
        message="Where is my parcel?\nOrder placed Monday.",
        subject="Parcel",
        details=Details({"order_id": "A-1001"}),
        callback_phone=None,
        callback_window=None,
        first_response_due=DUE,
        timezone="Europe/Berlin",
    )
    return AcknowledgementFacts(**(base | changes))


def test_subject_carries_the_reference():
    assert acknowledgement(facts()).subject == "We received your request: Parcel [CL-7K3M9QX2]"
    assert acknowledgement(facts(subject=None)).subject == "We received your request [CL-7K3M9QX2]"


def test_names_the_customer_quotes_the_request_and_states_the_due_time_plainly():
    email = acknowledgement(facts())
    assert email.text.startswith("Hello Ann,\n\nThank you for contacting Demo Shop.")
    assert "> Where is my parcel?\n> Order placed Monday." in email.text
    assert "by Wednesday, 25 November 2026 at 10:00 (Berlin time) at the latest" in email.text
    assert "Z)" not in email.text and "UTC" not in email.text
    assert "Order: A-1001" in email.text
    assert "Wednesday, 25 November 2026 at 10:00" in email.html


def test_due_time_in_the_customers_own_time_zone():
    email = acknowledgement(facts(timezone="America/New_York"))
    assert "Wednesday, 25 November 2026 at 04:00 (New York time)" in email.text


def test_is_marked_as_automatic():
    assert acknowledgement(facts()).headers == {"Auto-Submitted": "auto-replied"}


def test_customer_strings_are_escaped_in_html():
    email = acknowledgement(
        facts(name="<b>Ann</b>", message="<img src=x onerror=alert(1)>", subject="<script>x</script>")
    )
    assert "<img" not in email.html and "<script>" not in email.html and "<b>Ann" not in email.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in email.html


def test_callback_request_is_confirmed():
    email = acknowledgement(facts(callback_phone="+49 30 1234", callback_window="after 5pm"))
    assert "Call back: +49 30 1234 (after 5pm)" in email.text


# --- One voice per email (issue 12, item 4) -----------------------------------------------------

from chalicelib.domain.macros import render  # noqa: E402
from chalicelib.views.emails import (  # noqa: E402
    FollowUpFacts,
    ReplyFacts,
    SlaNoticeFacts,
    agent_display_name,
    assignment_notice,
    follow_up,
    low_rating_notice,
    operator_reply,
    resolution_notice,
    sla_notice,
)


def reply(body, **changes):
    base = dict(
        brand="Demo Shop",
        reference="CL-7K3M9QX2",
        name="Ann Lee",
        email="ann@example.com",
        subject="Parcel",
        body=body,
        operator="Kim Meyer",
        resolved=False,
        thread_ids=(),
    )
    return operator_reply(ReplyFacts(**(base | changes)))


def lines(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize(
    "body",
    [
        "Hi Ann,\n\nyour parcel left our warehouse today.",
        "Hello Ann, your parcel left our warehouse today.",
        "Dear Ms Lee,\nyour parcel left our warehouse today.",
        "Hallo Ann,\nIhr Paket hat heute unser Lager verlassen.",
        "Guten Tag Frau Lee,\nIhr Paket hat heute unser Lager verlassen.",
        "hey Ann! your parcel left our warehouse today.",
    ],
)
def test_an_operator_who_greets_is_not_greeted_over(body):
    email = reply(body)
    assert lines(email.text)[0] == lines(body)[0]
    assert "Hello Ann," not in lines(email.text) and "<p>Hello Ann,</p>" not in email.html  # ours stands alone


def test_an_operator_who_does_not_greet_gets_the_customers_name_first():
    email = reply("Your parcel left our warehouse today.")
    assert lines(email.text)[:2] == ["Hello Ann,", "Your parcel left our warehouse today."]
    assert reply("History lesson: parcels take 2 days.").text.startswith("Hello Ann,")  # "Hi…" is not "History"


@pytest.mark.parametrize(
    "body",
    [
        "Hi Ann,\n\nyour parcel left today.\n\nKind regards,\nKim",
        "Hi Ann,\n\nyour parcel left today.\n\nThanks!\nKim",
        "Hi Ann,\n\nyour parcel left today.\n\nBest, Kim",
        "Hallo Ann,\n\nIhr Paket ist unterwegs.\n\nViele Grüße\nKim",
        "Hi Ann, your parcel left today. I'll keep an eye on it. Kim",
    ],
)
def test_an_operator_who_signs_off_is_not_signed_off_twice(body):
    email = reply(body)
    closings = ("Kind regards", "Thanks!", "Best,", "Viele Grüße")
    assert sum(line.startswith(closings) for line in lines(email.text)) <= 1
    assert email.text.count("Kim") == 1 and email.html.count("Kim") == 1
    assert "Demo Shop" in email.text  # the shop still signs, once, under the operator


def test_the_sign_off_names_the_agent_and_the_shop_never_an_address():
    email = reply("Your parcel left today.", operator="kim.meyer@shop.example")
    assert "kim.meyer@shop.example" not in email.text + email.html
    assert lines(email.text)[-4:-1] == ["Kind regards,", "Kim Meyer", "Demo Shop customer care"]


def test_extras_come_before_the_operators_own_sign_off():
    email = reply(
        "Hi Ann,\n\nsorry for the wait.\n\nKind regards,\nKim",
        resolved=True,
        offer={"type": "coupon", "description": "10% off your next order", "code": "SORRY10"},
    )
    text = lines(email.text)
    assert text.index("Kind regards,") > text.index(
        "As a small thank-you for your patience, here is a voucher: 10% off your next order. Your code: SORRY10"
    )
    assert text.index("Kind regards,") > next(i for i, line in enumerate(text) if line.startswith("We have marked"))


def test_a_macro_signed_with_operator_name_is_not_signed_again():
    """The macro's {{operator_name}} and the sign-off come from the same name."""
    name = agent_display_name(None, "kim@shop.example")
    body = render(
        "Hi {{first_name}}, your order A-1001 is on its way. {{operator_name}}",
        {"first_name": "Ann", "operator_name": name},
        "macro",
    )
    email = reply(body, operator="kim@shop.example")
    assert lines(email.text)[:4] == [
        "Hi Ann, your order A-1001 is on its way.",
        "Kind regards,",
        "Kim",
        "Demo Shop customer care",
    ]


@pytest.mark.parametrize(
    "name,address,shown",
    [
        ("  Kim   Meyer ", "kim@shop.example", "Kim Meyer"),
        (None, "kim.meyer+care@shop.example", "Kim Meyer"),
        ("", "j_doe-smith@shop.example", "J Doe Smith"),
        (None, "KIM@shop.example", "Kim"),
    ],
)
def test_an_agent_is_shown_by_name_never_by_address(name, address, shown):
    assert agent_display_name(name, address) == shown


# --- Emails in the customer's language (issue 12, item 5) ---------------------------------------


def test_the_acknowledgement_speaks_german_to_a_german_customer_with_german_dates():
    email = acknowledgement(facts(locale="de-DE"))
    assert email.subject == "Wir haben Ihre Anfrage erhalten: Parcel [CL-7K3M9QX2]"
    assert email.text.startswith("Guten Tag Ann Lee,")
    assert "spätestens am Mittwoch, 25. November 2026 um 10:00 (Ortszeit Berlin) von uns." in email.text
    assert "Bestellung: A-1001" in email.text and "Vorgangsnummer: CL-7K3M9QX2" in email.text
    assert "Mittwoch, 25. November 2026 um 10:00" in email.html and 'lang="de"' in email.html


@pytest.mark.parametrize("locale", ["de", "de-AT", "DE_de", "de-CH-1996"])
def test_any_german_tag_gets_german(locale):
    assert acknowledgement(facts(locale=locale)).text.startswith("Guten Tag Ann Lee,")


@pytest.mark.parametrize("locale", [None, "", "fr-FR", "xx", "not a tag", "en"])
def test_an_unknown_or_missing_language_gets_the_shops(locale):
    assert acknowledgement(facts(locale=locale)).text.startswith("Hello Ann,")
    german_shop = acknowledgement(facts(locale=locale, shop_locale="de-DE"))
    assert german_shop.text.startswith("Hello" if locale == "en" else "Guten Tag")


def test_american_english_gets_american_dates_and_a_german_shop_keeps_its_region_for_bare_tags():
    assert (
        "Wednesday, November 25, 2026 at 4:00\u202fAM"
        in acknowledgement(facts(locale="en-US", timezone="America/New_York")).text
    )
    assert "Wednesday, 25 November 2026 at 10:00" in acknowledgement(facts(locale="en")).text  # shop is en-GB


def test_every_customer_email_follows_the_locale():
    german = dict(locale="de-DE")
    answer = reply(
        "Ihr Paket ist unterwegs.",
        resolved=True,
        **german,
        offer={"type": "coupon", "description": "5 € Gutschein", "code": "DANKE5"},
    )
    assert lines(answer.text)[0] == "Guten Tag Ann Lee,"
    assert (
        "Als kleines Dankeschön für Ihre Geduld erhalten Sie einen Gutschein: 5 € Gutschein. Ihr Code: DANKE5"
        in answer.text
    )
    assert "Freundliche Grüße" in answer.text and "Kundenservice Demo Shop" in answer.text
    assert answer.subject == "Re: Parcel [CL-7K3M9QX2]"
    notice = resolution_notice(
        ReplyFacts(
            brand="Demo Shop",
            reference="CL-7K3M9QX2",
            name="Ann Lee",
            email="ann@example.com",
            subject=None,
            body="",
            operator=None,
            resolved=True,
            thread_ids=(),
            **german,
        )
    )
    assert notice.subject == "Ihre Anfrage ist erledigt [CL-7K3M9QX2]"
    assert "Freundliche Grüße\nKundenservice Demo Shop" in notice.text  # no agent: the team signs
    later = follow_up(
        FollowUpFacts(
            brand="Demo Shop",
            reference="CL-7K3M9QX2",
            name="Ann Lee",
            email="ann@example.com",
            subject="Paket",
            feedback_url="https://x.example/f/T",
            thread_ids=(),
            **german,
        )
    )
    assert later.subject == "Wie zufrieden waren Sie mit uns? Paket [CL-7K3M9QX2]"
    assert "1 – Sehr unzufrieden: https://x.example/f/T?score=1" in later.text and "Sehr zufrieden" in later.html
    for email in (answer, notice, later):
        assert 'lang="de"' in email.html and "Hello" not in email.text + email.html


# --- SLA notices tell the truth (issue 12, item 2) ----------------------------------------------


def notice(kind, due, now, metric="first_response", **changes):
    base = dict(
        reference="CL-7K3M9QX2",
        ticket_url="http://x/admin/#/tickets/1",
        customer="Ann Lee <ann@example.com>",
        metric=metric,
        kind=kind,
        due=due,
        now=now,
        timezone="Europe/Berlin",
        to_address="kim@shop.example",
    )
    return sla_notice(SlaNoticeFacts(**(base | changes)))


def test_a_late_warning_says_overdue_never_due_in_a_past_time():
    email = notice("warning", due=DUE, now=DUE + timedelta(minutes=2652))
    assert "due in" not in email.subject + email.text + email.html
    assert "overdue by 1 d 20 h" in email.subject


@pytest.mark.parametrize(
    "minutes,said",
    [
        (0, "SLA breached: first response overdue ["),
        (45, "overdue by 45 min"),
        (132, "overdue by 2 h 12 min"),
        (1500, "overdue by 1 d 1 h"),
    ],
)
def test_a_breach_states_how_long_overdue(minutes, said):
    assert said in notice("breach", due=DUE, now=DUE + timedelta(minutes=minutes)).subject


def test_a_timely_warning_says_when_it_is_due_and_each_metric_has_its_name():
    assert notice("warning", due=DUE, now=DUE - timedelta(minutes=60)).subject.startswith(
        "SLA warning: first response due in 1 h"
    )
    assert "next response" in notice("breach", DUE, DUE, metric="next_response").subject
    assert "resolution" in notice("breach", DUE, DUE, metric="resolution").subject


def test_a_warning_is_useful_only_while_still_ahead_of_its_due_time():
    assert warning_still_useful(DUE, DUE - timedelta(minutes=1))
    assert not warning_still_useful(DUE, DUE)
    assert not warning_still_useful(DUE, DUE + timedelta(minutes=2652))


def test_operator_notices_speak_the_shops_language_not_the_customers():
    german_shop = notice("breach", DUE, DUE + timedelta(minutes=132), shop_locale="de-DE")
    assert german_shop.subject.startswith("SLA verletzt: Erstantwort überfällig seit 2 Std. 12 Min.")
    assert "Mittwoch, 25. November 2026 um 10:00" in german_shop.text
    unhappy = low_rating_notice("CL-7K3M9QX2", "Ann Lee", {"csat": 1}, "kim@shop.example", "http://x/t/1")
    assert unhappy.subject == "Unhappy customer: CSAT 1/5 [CL-7K3M9QX2]" and "(no comment)" in unhappy.text
    german = low_rating_notice(
        "CL-7K3M9QX2",
        "Ann <Lee>",
        {"csat": 2, "nps": 3, "comment": "<b>slow</b>"},
        "kim@shop.example",
        "http://x/t/1",
        shop_locale="de",
    )
    assert german.subject == "Schlechte Bewertung: CSAT 2/5, NPS 3/10 [CL-7K3M9QX2]"
    assert "&lt;b&gt;slow&lt;/b&gt;" in german.html and "Ann &lt;Lee&gt;" in german.html


# --- Attachments kept out are told to the customer (issue 12, item 6) ---------------------------


def test_the_customer_learns_which_files_were_kept_out_and_why_in_their_language():
    refused = (("setup.exe", "type"), ("film.mov", "size"), ("<b>x</b>.pdf", "total"))
    email = acknowledgement(facts(refused_attachments=refused))
    assert (
        "We could not accept these attachments:\n- setup.exe (we do not accept this kind of file)\n"
        "- film.mov (larger than 20 MB)\n- <b>x</b>.pdf (all attachments of one email together may be at most "
        "30 MB)" in email.text
    )
    assert "&lt;b&gt;x&lt;/b&gt;.pdf" in email.html and "<b>x" not in email.html
    german = reply("Danke für die Fotos.", locale="de", refused_attachments=(("virus.zip", "type"),))
    assert "- virus.zip (diesen Dateityp nehmen wir nicht an)" in german.text
    assert "attachments" not in acknowledgement(facts()).text


def test_an_assignment_notice_names_the_request_in_the_shops_language():
    email = assignment_notice(
        "CL-7K3M9QX2", "Ann <Lee>", "Parcel & more", "kim@shop.example", "http://x/t/1", shop_locale="de-DE"
    )
    assert email.subject == "Ihnen zugewiesen: Parcel & more [CL-7K3M9QX2]" and email.to_address == "kim@shop.example"
    assert "Ann &lt;Lee&gt;" in email.html and 'href="http://x/t/1"' in email.html
    assert email.headers == {"Auto-Submitted": "auto-replied"}
    assert (
        assignment_notice("CL-7K3M9QX2", "Ann Lee", None, "kim@shop.example", "http://x/t/1").subject
        == "Assigned to you: a request from Ann Lee [CL-7K3M9QX2]"
    )
