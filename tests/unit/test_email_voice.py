"""One voice (issue 21): every kind of email (views/compose.py's COMPOSERS)
rendered in every language, each held to the rules a customer notices: wholly
in one language, greeted by first name in the language's own form (German by
the shop's tone), the first sentence after the greeting capitalised, times
only in the customer's zone and form (never an ISO UTC instant), exactly one
sign-off, offers worded by type, subjects that start with a word."""

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.store.items import StoredEntry, entry_key
from chalicelib.adapters.store.tickets import Collection
from chalicelib.config import load_settings
from chalicelib.domain import ticket as tickets
from chalicelib.domain.inquiry import Details, Inquiry
from chalicelib.domain.ticket import Entry
from chalicelib.views.compose import COMPOSERS, Occasion, compose
from chalicelib.views.i18n import catalogue, languages, resolve

NOW = datetime(2026, 12, 7, 11, 5, tzinfo=UTC)
CUSTOMER_KINDS = ("acknowledgement", "reply", "resolution", "follow_up", "pending_reminder", "status_link")
# What operators type: plain, with their own greeting, their own sign-off, a
# last sentence that only looks like one ("thanks."), a bare name, both.
BODIES = {
    "plain": "your parcel left our warehouse today.",
    "greets": "Hi Jürgen,\n\nyour parcel left our warehouse today.",
    "signs": "your parcel left our warehouse today.\n\nKind regards,\nKim",
    "thanks.": "your parcel left our warehouse today.\n\nthanks.",
    "name only": "your parcel left our warehouse today.\n\nKim",
    "greets and signs": "Hallo Jürgen,\n\nIhr Paket ist unterwegs.\n\nViele Grüße\nKim",
}
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def entries(due: str) -> dict[str, Entry]:
    return {
        "reply": Entry(
            "message",
            "replied",
            "kim@shop.example",
            body=BODIES["plain"],
            direction="out",
            data={"offer": {"type": "refund", "description": "€12.90"}},
        ),
        "resolution": Entry("event", "updated", "kim@shop.example", data={"changes": {"status": ["open", "resolved"]}}),
        "follow_up": Entry("event", "follow_up", "system"),
        "sla_warning": Entry("event", "sla_warning", "system", data={"metric": "first_response", "due": due}),
        "sla_breach": Entry("event", "sla_breach", "system", data={"metric": "resolution", "due": due}),
        "low_rating": Entry("event", "feedback", "customer", body="slow", data={"csat": 1, "comment": True}),
        "assigned": Entry("event", "assigned", "system"),
        "pending_reminder": Entry("event", "pending_reminder", "system", data={"resolves_at": due}),
        "status_link": Entry("event", "status_link", "customer"),
    }


def render(kind, language, *, tone="formal", salutation="mr", body=None, offer=None):
    """The email of `kind` to a customer Jürgen Schmidt in New York who writes
    `language`, from a shop in Berlin that speaks it too (operators' notices)."""
    settings = replace(load_settings(), locale=language, timezone="Europe/Berlin", tone=tone)
    opened = tickets.open_ticket(
        ticket_id="01KAHR0000000000000000000A",
        reference="CL-7K3M9QX2",
        now=NOW,
        rules=settings.ticket_rules,
        priority="normal",
        inquiry=Inquiry(
            name="Jürgen Schmidt",
            email="js@example.com",
            message="Das Paket kam beschädigt an.",
            subject="Paket",
            details=Details({"locale": language, "timezone": "America/New_York", "salutation": salutation}),
        ),
    )
    entry = opened.entry if kind == "acknowledgement" else entries((NOW + timedelta(hours=8)).isoformat())[kind]
    if body is not None or offer is not None:
        entry = replace(entry, body=body or entry.body, data=dict(entry.data) | {"offer": offer})
    stored = StoredEntry(entry_key(NOW, 2), NOW, entry)
    to = "customer" if kind in CUSTOMER_KINDS else "kim@shop.example"
    occasion = Occasion(
        kind, to, Collection(opened.after, [stored]), stored, NOW, settings, lambda _: "Kim Meyer", lambda: b"k" * 32
    )
    return compose(occasion)


def words_of_other_languages(language: str) -> list[str]:
    """Phrases only another language's catalogue writes (its texts' literal parts of 12+ characters)."""
    own = " ".join(v for v in catalogue(language).values() if isinstance(v, str))
    found = []
    for other in languages() - {language}:
        for text in catalogue(other).values():
            if isinstance(text, str):
                found += [part.strip() for part in re.split(r"\{\w+\}", text) if len(part.strip()) >= 12]
    return [phrase for phrase in found if phrase not in own]


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "\n", html)


def sign_off_lines(text: str, language: str) -> list[str]:
    """Lines that are a sign-off phrase (of any language: operators type what they type)."""
    phrases = {w for code in languages() for w in resolve(code).words("sign_off_words")}
    phrases |= {resolve(language).t("sign_off"), resolve(language).t("thanks_sign_off")}
    pattern = re.compile(r"^(?:" + "|".join(map(re.escape, phrases)) + r")[,!.]?(?:,? \w+)?$", re.I)
    return [line for line in text.splitlines() if pattern.match(line.strip())]


@pytest.mark.parametrize("language", sorted(languages()))
@pytest.mark.parametrize("kind", sorted(COMPOSERS))
def test_every_email_kind_in_every_language_keeps_the_rules(kind, language):
    email = render(kind, language)
    lang = resolve(language)
    assert email.subject == email.subject.strip() and "  " not in email.subject
    assert f'lang="{language}"' in email.html
    foreign = [p for p in words_of_other_languages(language) if p in email.text or p in email.html]
    assert foreign == [], "wholly in one language"
    if kind not in CUSTOMER_KINDS:  # operators' notices also give the UTC instant, for their tools
        return
    assert not ISO_INSTANT.search(email.subject + email.text + plain(email.html)), "no ISO instant in words"
    lines = [line for line in email.text.splitlines() if line.strip()]
    assert lines[0] == lang.greeting("Jürgen Schmidt", salutation="mr")
    assert lines[0] in ("Hello Jürgen,", "Guten Tag Herr Schmidt,")
    assert lines[1][0].isupper(), "the first sentence after the greeting starts as a sentence"
    closing = sign_off_lines(email.text, language)
    assert len(closing) == 1, "exactly one sign-off"
    signature = lang.t("team_signature", brand=load_settings().brand)
    assert email.text.count(signature) == 1
    assert lines.index(signature) > lines.index(closing[0].strip())
    rows = email.text.splitlines()
    assert rows[rows.index(closing[0]) - 1] == "", "the sign-off stands apart, never glued to a sentence"
    if kind == "acknowledgement":
        assert ("New York time" if language == "en" else "Ortszeit New York") in email.text


@pytest.mark.parametrize("language", sorted(languages()))
@pytest.mark.parametrize("body", sorted(BODIES))
def test_a_reply_has_exactly_one_sign_off_whatever_the_operator_typed(body, language):
    email = render("reply", language, body=BODIES[body])
    text = email.text
    assert len(sign_off_lines(text, language)) == 1, text
    assert text.count("Kim") == 1, text  # the agent signs once
    after_greeting = [line for line in text.splitlines() if line.strip()][1]
    assert after_greeting[0].isupper(), text
    assert "thanks.\n" + resolve(language).t("team_signature", brand=load_settings().brand) not in text
    if body == "thanks.":
        assert "\n\nThanks.\nKim Meyer\n" in text  # theirs, as a sign-off should read


@pytest.mark.parametrize(
    "tone,salutation,greeting",
    [
        ("formal", "ms", "Guten Tag Frau Schmidt,"),
        ("formal", "mr", "Guten Tag Herr Schmidt,"),
        ("formal", None, "Guten Tag Jürgen Schmidt,"),
        ("informal", "mr", "Hallo Jürgen,"),
    ],
)
def test_german_greets_in_the_shops_tone(tone, salutation, greeting):
    for kind in CUSTOMER_KINDS:
        assert render(kind, "de", tone=tone, salutation=salutation).text.startswith(greeting + "\n")
        assert render(kind, "en", tone=tone, salutation=salutation).text.startswith("Hello Jürgen,\n")


@pytest.mark.parametrize(
    "offer_type,en,de",
    [
        ("refund", "Your refund: €12.90.", "Ihre Erstattung: €12.90."),
        ("coupon", "here is a voucher: €12.90.", "erhalten Sie einen Gutschein: €12.90."),
        ("shipping", "Shipping is on us: €12.90.", "Die Versandkosten übernehmen wir: €12.90."),
    ],
)
def test_an_offer_is_worded_by_its_type(offer_type, en, de):
    offer = {"type": offer_type, "description": "€12.90"}
    english, german = render("reply", "en", offer=offer).text, render("reply", "de", offer=offer).text
    assert en in english and de in german
    if offer_type != "coupon":
        assert "thank-you" not in english and "Dankeschön" not in german
