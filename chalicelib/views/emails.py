"""What each email says, in the customer's language (operators' notices in
the shop's): every text from the catalogues (`views.i18n`), laid out in
text and HTML by the templates `templates/email/<kind>.txt` and `.html`
(`views.render`: HTML escapes every value). Pure: the mailer turns an
`Email` into MIME and sends it; `views.compose` says which email a change
asked for."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..clock import iso
from ..domain.inbound import MAX_FILE_BYTES, MAX_FILES, MAX_MESSAGE_BYTES
from ..domain.inquiry import Details
from .i18n import DEFAULT_LOCALE, Language, catalogue, languages, resolve
from .render import render

# The contract marks every automatic email so (operators' notices too): mail
# systems then never answer them, and Careline's own inbound ignores them.
AUTO_REPLIED = {"Auto-Submitted": "auto-replied"}
CSAT_KEYS = {1: "csat_1", 2: "csat_2", 3: "csat_3", 4: "csat_4", 5: "csat_5"}
METRIC_KEYS = {
    "first_response": "sla_first_response",
    "next_response": "sla_next_response",
    "resolution": "sla_resolution",
}
REFUSAL_KEYS = {
    "type": "attachment_refused_type",
    "empty": "attachment_refused_empty",
    "size": "attachment_refused_size",
    "total": "attachment_refused_total",
    "count": "attachment_refused_count",
    "storage": "attachment_refused_storage",
    "virus": "attachment_refused_virus",
}
# An offer is worded by its type (the reply schema's): a refund is no thank-you gift; "gift" and "other" are.
OFFER_KEYS = {"refund": "offer_refund", "coupon": "offer_coupon", "shipping": "offer_shipping"}
_SLOT = "\x00"  # where markup goes into a catalogue sentence


@dataclass(frozen=True)
class Email:
    to_address: str
    to_name: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)
    cc: tuple[str, ...] = ()  # copied: the ticket's followers, on operator replies only


def customer_subject(text: str, reference: str) -> str:
    """Every customer email's subject carries `[<reference>]` so replies find their ticket."""
    return f"{text.strip()} [{reference}]"


def greeting(facts: AcknowledgementFacts | ReplyFacts | FollowUpFacts | NoteFacts, lang: Language) -> str:
    return lang.greeting(facts.name, salutation=facts.salutation, tone=facts.tone)


def readable_time(moment: datetime, timezone: str, locale: str | None = None, shop_locale: str = DEFAULT_LOCALE) -> str:
    return resolve(locale, shop_locale).when(moment, timezone)


def _email(
    template: str,
    lang: Language,
    to: tuple[str, str],
    subject: str,
    headers: dict[str, str],
    status_url: str | None = None,
    **words: Any,
) -> Email:
    """The email laid out by `email/<template>.txt` and `.html` from `words`.
    A customer's email ends with the link to their request's status page
    (`status_url`): the HTML layout's footer, and `email/footer.txt` after the text."""
    footer = {"text": lang.t("status_footer"), "link": lang.t("status_footer_link"), "url": status_url}
    text = render(f"email/{template}.txt", lang=lang, **words)
    html = render(f"email/{template}.html", lang=lang, footer=footer if status_url else None, **words)
    if status_url:
        text = text.rstrip("\n") + "\n\n" + render("email/footer.txt", footer=footer)
    return Email(to[0], to[1], subject, text, html, headers)


def refused_attachments(refused: tuple[tuple[str, str], ...], lang: Language) -> str | None:
    """The customer's files we kept out, each with why, and what to do instead
    (`refused`: (file name, reason from domain.inbound.REFUSALS))."""
    if not refused:
        return None
    limits = {"size": MAX_FILE_BYTES // 2**20, "total": MAX_MESSAGE_BYTES // 2**20, "count": MAX_FILES}
    items = [f"- {lang.t(REFUSAL_KEYS[reason], name=name, limit=limits.get(reason, ''))}" for name, reason in refused]
    return "\n".join([lang.t("attachments_refused"), *items, lang.t("attachments_refused_help")])


# --- The acknowledgement ------------------------------------------------------------------------


@dataclass(frozen=True)
class AcknowledgementFacts:
    brand: str
    reference: str
    name: str
    email: str
    message: str
    subject: str | None
    details: Details  # those its fields mark `acknowledged` are quoted
    callback_phone: str | None
    callback_window: str | None
    first_response_due: datetime
    timezone: str
    locale: str | None = None  # the customer's BCP 47 tag, as given
    shop_locale: str = DEFAULT_LOCALE
    refused_attachments: tuple[tuple[str, str], ...] = ()  # (file name, reason) the customer should know of
    salutation: str | None = None  # "ms" or "mr", when the customer said (domain/inquiry.py)
    tone: str = "formal"  # the shop's: how a language that distinguishes greets (Settings.tone)
    status_url: str | None = None  # their request's page (the signed link)


def acknowledgement(facts: AcknowledgementFacts) -> Email:
    lang = resolve(facts.locale, facts.shop_locale)
    subject = customer_subject(
        lang.t("ack_subject_about", subject=facts.subject) if facts.subject else lang.t("ack_subject"), facts.reference
    )
    details = [(lang.t("label_reference"), facts.reference)]
    if facts.subject:
        details.append((lang.t("label_subject"), facts.subject))
    details += [(lang.t(f.label), value) for f, value in facts.details.given(lambda f: f.acknowledged)]
    if facts.callback_phone:
        window = f" ({facts.callback_window})" if facts.callback_window else ""
        details.append((lang.t("label_callback"), facts.callback_phone + window))
    # The HTML marks the due time up as a <time> inside the catalogue's sentence.
    before, _, after = lang.t("ack_due", due=_SLOT).partition(_SLOT)
    return _email(
        "acknowledgement",
        lang,
        (facts.email, facts.name),
        subject,
        dict(AUTO_REPLIED),
        facts.status_url,
        greeting=greeting(facts, lang),
        intro=lang.t("ack_intro", brand=facts.brand),
        due_text=lang.t("ack_due", due=lang.when(facts.first_response_due, facts.timezone)),
        due={
            "before": before,
            "iso": iso(facts.first_response_due),
            "readable": lang.when(facts.first_response_due, facts.timezone),
            "after": after,
        },
        details=details,
        quote_intro=lang.t("ack_quote_intro"),
        message=facts.message,
        message_lines=facts.message.splitlines() or [""],
        refused=refused_attachments(facts.refused_attachments, lang),
        add_more=lang.t("ack_add_more", reference=facts.reference),
        closing=f"{lang.t('sign_off')}\n{lang.t('team_signature', brand=facts.brand)}",
    )


# --- SLA notices (to operators, in the shop's language) -----------------------------------------


@dataclass(frozen=True)
class SlaNoticeFacts:
    reference: str
    ticket_url: str
    customer: str
    metric: str
    kind: str
    due: datetime
    now: datetime
    timezone: str
    to_address: str
    shop_locale: str = DEFAULT_LOCALE


def sla_notice(facts: SlaNoticeFacts) -> Email:
    """The warning before, and the notice at, a missed due time (to
    operators). Past its due time it says how long overdue, whatever fired it."""
    lang = resolve(None, facts.shop_locale)
    what = lang.t(METRIC_KEYS[facts.metric])
    minutes = (facts.due - facts.now).total_seconds() / 60
    kind = "sla_warning" if facts.kind == "warning" else "sla_breach"
    if minutes > 0:
        headline = lang.t("sla_due_in", kind=lang.t(kind), what=what, remaining=lang.duration(minutes))
    elif minutes > -1:
        headline = lang.t("sla_overdue_now", kind=lang.t(kind), what=what)
    else:
        headline = lang.t("sla_overdue_by", kind=lang.t(kind), what=what, overdue=lang.duration(-minutes))
    facts_lines = [
        f"{lang.t('label_ticket')}: {facts.reference}",
        f"{lang.t('label_customer')}: {facts.customer}",
        f"{lang.t('label_due')}: {lang.when(facts.due, facts.timezone, utc=True)}",
    ]
    return _email(
        "sla_notice",
        lang,
        (facts.to_address, ""),
        f"{headline} [{facts.reference}]",
        dict(AUTO_REPLIED),
        headline=headline,
        facts="\n".join(facts_lines),
        follow=lang.t("open_ticket"),
        ticket_url=facts.ticket_url,
    )


# --- Operator replies and the resolution notice: one voice --------------------------------------


@dataclass(frozen=True)
class ReplyFacts:
    brand: str
    reference: str
    name: str
    email: str
    subject: str | None
    body: str
    operator: str | None  # the agent's display name (an address is turned into one); None: the team
    resolved: bool
    thread_ids: tuple[str, ...]  # Message-IDs of the conversation so far, oldest first
    offer: Mapping[str, Any] | None = None  # a goodwill gesture: {"type", "description", "code"?}
    locale: str | None = None
    shop_locale: str = DEFAULT_LOCALE
    refused_attachments: tuple[tuple[str, str], ...] = ()  # since the last email: (file name, reason)
    cc: tuple[str, ...] = ()  # the followers' addresses, copied on an operator's reply
    first: bool = False  # the operator writes first (an outbound ticket): the subject is theirs as it is
    salutation: str | None = None  # "ms" or "mr", when the customer said (domain/inquiry.py)
    tone: str = "formal"  # the shop's: how a language that distinguishes greets (Settings.tone)
    status_url: str | None = None


def agent_display_name(name: str | None, email: str) -> str:
    """What signs an agent's emails: their roster name, else one made from
    their address's local part (kim.meyer+care@… → Kim Meyer), never the address."""
    if name and name.strip():
        return " ".join(name.split())
    local = email.partition("@")[0].partition("+")[0]
    return " ".join(part.capitalize() for part in re.split(r"[._\-]+", local) if part) or local


@lru_cache(maxsize=1)
def _greeting_pattern() -> re.Pattern[str]:
    words = {w for code in languages() for w in catalogue(code)["greeting_words"]}
    return re.compile(
        r"^(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")(?=$|[\s,!.:;])", re.I
    )


@lru_cache(maxsize=1)
def _sign_off_pattern() -> re.Pattern[str]:
    words = {w for code in languages() for w in catalogue(code)["sign_off_words"]}
    # The phrase alone ("Kind regards,", "Thanks!", "thanks."), or with a short name after it ("Best, Kim").
    return re.compile(
        r"^(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")"
        r"(?P<alone>[\s,.!]*$)?(?:,\s*\S.{0,40}$)?",
        re.I,
    )


def greets(body: str) -> bool:
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    return bool(_greeting_pattern().match(first))


@dataclass(frozen=True)
class Closing:
    main: str  # the message without the operator's sign-off
    sign_off: str  # the sign-off phrase and name(s) that close it
    own: bool  # the operator wrote this sign-off (kept as typed)


def split_sign_off(body: str, signer: str | None, phrase: str) -> Closing:
    """Exactly one sign-off. The operator's own block (a sign-off phrase
    among the last four lines, then their name) stays theirs, starting with
    a capital and their name added when it has none; a message signed with
    the name alone ("… Kim") gets `phrase` above the name; else `phrase`
    and the signer close it."""
    rows = body.strip().splitlines()
    filled = [i for i, line in enumerate(rows) if line.strip()]
    names = {signer, signer.split()[0]} if signer else set()
    for i in filled[1:][-4:]:  # the first line is the message (or its greeting), never a sign-off
        found = _sign_off_pattern().match(rows[i].strip())
        if found and found.end() == len(rows[i].strip()):
            block = [line.strip() for line in rows[i:] if line.strip()]
            block[0] = block[0][0].upper() + block[0][1:]  # "thanks." closes as "Thanks."
            if len(block) == 1 and found["alone"] is not None and signer:
                block.append(signer)
            return Closing("\n".join(rows[:i]).rstrip(), "\n".join(block), True)
    if filled and names:
        last = rows[filled[-1]].strip()
        for name in sorted(names, key=len, reverse=True):
            before = last.removesuffix(name).strip()
            phrase_before = _sign_off_pattern().match(before) if last.endswith(name) and before else None
            if phrase_before and phrase_before.end() == len(before):  # "Cheers Kim"
                return Closing("\n".join(rows[: filled[-1]]).rstrip(), last, True)
            signed = re.search(rf"(^|(?<=[.!?])\s+){re.escape(name)}[.!]?$", last)
            if signed:
                rows[filled[-1]] = last[: signed.start()].rstrip()
                return Closing("\n".join(rows).strip(), f"{phrase}\n{name}", False)
    return Closing(body.strip(), "\n".join([phrase, *([signer] if signer else [])]), False)


def sentence_start(main: str, greeted: bool) -> str:
    """The first sentence after a greeting starts with a capital letter:
    after ours, the message's first line; after the operator's own greeting
    on a line of its own, the line after it."""
    rows = main.splitlines()
    filled = [i for i, line in enumerate(rows) if line.strip()]
    if not greeted:
        if len(filled) < 2 or not rows[filled[0]].rstrip().endswith((",", "!", ":")):
            return main
        filled = filled[1:]
    if filled:
        rows[filled[0]] = _FIRST_WORD.sub(lambda m: m[1] + m[2][0].upper() + m[2][1:], rows[filled[0]], count=1)
    return "\n".join(rows)


# A first word in lower case only ("your", "vielen"), not "iPhone" nor "https:".
_FIRST_WORD = re.compile(r"^(\s*)([^\W\d_A-Z]*[a-zß-ÿ][^\W\d_]*)(?=[\s,.!?;]|$)")


def offer_line(offer: Mapping[str, Any], lang: Language) -> str:
    """Worded by what is offered: a refund is no thank-you gift."""
    key = OFFER_KEYS.get(offer.get("type") or "", "offer_gift")
    line = lang.t(key, description=offer["description"].strip().rstrip(".!"))
    return f"{line} {lang.t('offer_code', code=offer['code'])}" if offer.get("code") else line


def _letter(
    facts: ReplyFacts, lang: Language, body: str, extras: list[str], subject: str, headers: dict[str, str]
) -> Email:
    """Greeting (unless the body greets), the body, extras, one sign-off
    (the operator's own, else the agent's name), the shop, the reply hint."""
    signer = agent_display_name(None, facts.operator) if facts.operator and "@" in facts.operator else facts.operator
    team = lang.t("team_signature", brand=facts.brand)
    closing = split_sign_off(body, signer, lang.t("sign_off"))
    signature = closing.sign_off if facts.brand.lower() in closing.sign_off.lower() else f"{closing.sign_off}\n{team}"
    ours = not greets(closing.main)
    return _email(
        "letter",
        lang,
        (facts.email, facts.name),
        customer_subject(subject, facts.reference),
        headers,
        facts.status_url,
        opening=greeting(facts, lang) if ours else None,
        main=sentence_start(closing.main, greeted=ours),
        extras=extras,
        closing=signature,
        own_sign_off=closing.own,
        hint=lang.t("reply_hint", reference=facts.reference),
    )


def _threading(thread_ids: tuple[str, ...]) -> dict[str, str]:
    """In-Reply-To and References keep the customer's mail client threading the conversation."""
    if not thread_ids:
        return {}
    return {"In-Reply-To": thread_ids[-1], "References": " ".join(thread_ids[-20:])}


def operator_reply(facts: ReplyFacts) -> Email:
    """An operator's answer: their words are the body, in one voice. The
    preview of a reply (typed or from a macro) is this same function."""
    lang = resolve(facts.locale, facts.shop_locale)
    refused = refused_attachments(facts.refused_attachments, lang)
    extras = (
        ([offer_line(facts.offer, lang)] if facts.offer else [])
        + ([refused] if refused else [])
        + ([lang.t("resolved_line")] if facts.resolved else [])
    )
    if facts.first and facts.subject:
        subject = facts.subject
    else:
        subject = lang.t("reply_subject_about", subject=facts.subject) if facts.subject else lang.t("reply_subject")
    letter = _letter(facts, lang, facts.body, extras, subject, _threading(facts.thread_ids))
    return replace(letter, cc=facts.cc)


def resolution_notice(facts: ReplyFacts) -> Email:
    """Sent when a ticket is resolved without a reply saying so."""
    lang = resolve(facts.locale, facts.shop_locale)
    subject = lang.t("resolved_subject_about", subject=facts.subject) if facts.subject else lang.t("resolved_subject")
    body = f"{lang.t('resolved_line')} {lang.t('resolved_thanks')}"
    return _letter(facts, lang, body, [], subject, AUTO_REPLIED | _threading(facts.thread_ids))


# --- The follow-up ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpFacts:
    brand: str
    reference: str
    name: str
    email: str
    subject: str | None
    feedback_url: str  # the signed link; ?score=N preselects
    thread_ids: tuple[str, ...]
    locale: str | None = None
    shop_locale: str = DEFAULT_LOCALE
    salutation: str | None = None  # "ms" or "mr", when the customer said (domain/inquiry.py)
    tone: str = "formal"  # the shop's: how a language that distinguishes greets (Settings.tone)
    status_url: str | None = None


def csat_label(score: int, lang: Language) -> str:
    return lang.t(CSAT_KEYS[score])


def follow_up(facts: FollowUpFacts) -> Email:
    """A friendly close: thanks, is anything still open, how was it."""
    lang = resolve(facts.locale, facts.shop_locale)
    subject = lang.t("follow_up_subject_about", subject=facts.subject) if facts.subject else lang.t("follow_up_subject")
    return _email(
        "follow_up",
        lang,
        (facts.email, facts.name),
        customer_subject(subject, facts.reference),
        AUTO_REPLIED | _threading(facts.thread_ids),
        facts.status_url,
        greeting=greeting(facts, lang),
        intro=lang.t("follow_up_intro", reference=facts.reference, brand=facts.brand),
        question=lang.t("follow_up_open_question"),
        answer=lang.t("follow_up_open_answer"),
        rate=lang.t("follow_up_rate"),
        links=[(score, csat_label(score, lang), f"{facts.feedback_url}?score={score}") for score in range(1, 6)],
        nps=lang.t("follow_up_nps"),
        nps_link=lang.t("follow_up_nps_link"),
        feedback_url=facts.feedback_url,
        closing=f"{lang.t('thanks_sign_off')}\n{lang.t('team_signature', brand=facts.brand)}",
    )


# --- Notes about the request: the pending reminder, a fresh status link -----------------------


@dataclass(frozen=True)
class NoteFacts:
    brand: str
    reference: str
    name: str
    email: str
    subject: str | None
    status_url: str
    thread_ids: tuple[str, ...]
    timezone: str
    resolves_at: datetime | None = None  # the pending reminder: resolved then without an answer
    locale: str | None = None
    shop_locale: str = DEFAULT_LOCALE
    salutation: str | None = None  # "ms" or "mr", when the customer said (domain/inquiry.py)
    tone: str = "formal"  # the shop's: how a language that distinguishes greets (Settings.tone)


def _note(facts: NoteFacts, lang: Language, subjects: tuple[str, str], paragraphs: list[str]) -> Email:
    """`subjects`: the catalogue's subject, and the one that names the request's own."""
    subject = lang.t(subjects[1], subject=facts.subject) if facts.subject else lang.t(subjects[0])
    return _email(
        "note",
        lang,
        (facts.email, facts.name),
        customer_subject(subject, facts.reference),
        AUTO_REPLIED | _threading(facts.thread_ids),
        facts.status_url,
        greeting=greeting(facts, lang),
        paragraphs=paragraphs,
        closing=f"{lang.t('sign_off')}\n{lang.t('team_signature', brand=facts.brand)}",
    )


def pending_reminder(facts: NoteFacts) -> Email:
    """We asked the customer something days ago: once, a friendly nudge, and
    when the request will be resolved if they do not answer."""
    lang = resolve(facts.locale, facts.shop_locale)
    assert facts.resolves_at is not None  # a reminder says when
    return _note(
        facts,
        lang,
        ("reminder_subject", "reminder_subject_about"),
        [
            lang.t("reminder_intro", reference=facts.reference),
            lang.t("reminder_how"),
            lang.t("reminder_resolves", when=lang.when(facts.resolves_at, facts.timezone)),
        ],
    )


def status_link(facts: NoteFacts) -> Email:
    """The fresh link a customer asked for on an expired status page."""
    lang = resolve(facts.locale, facts.shop_locale)
    paragraphs = [lang.t("link_intro", reference=facts.reference), lang.t("link_rest")]
    return _note(facts, lang, ("link_subject", "link_subject_about"), paragraphs)


# --- Low ratings (to operators, in the shop's language) -----------------------------------------


def low_rating_notice(
    reference: str,
    customer: str,
    rating: Mapping[str, Any],
    to_address: str,
    ticket_url: str,
    shop_locale: str = DEFAULT_LOCALE,
) -> Email:
    """To the ticket's owner: an unhappy customer; someone should follow up."""
    lang = resolve(None, shop_locale)
    scores = f"CSAT {rating['csat']}/5" + (f", NPS {rating['nps']}/10" if "nps" in rating else "")
    comment = rating.get("comment") or ""
    said = lang.t(
        "low_rating_wrote" if comment else "low_rating_silent", customer=customer, reference=reference, scores=scores
    )
    return _email(
        "low_rating",
        lang,
        (to_address, ""),
        f"{lang.t('low_rating_subject', scores=scores)} [{reference}]",
        dict(AUTO_REPLIED),
        said=said,
        comment=comment,
        follow=lang.t("low_rating_follow_up"),
        ticket_url=ticket_url,
    )


def assignment_notice(
    reference: str,
    customer: str,
    subject: str | None,
    to_address: str,
    ticket_url: str,
    shop_locale: str = DEFAULT_LOCALE,
) -> Email:
    """To the agent a ticket was just given to."""
    lang = resolve(None, shop_locale)
    headline = (
        lang.t("assignment_subject", subject=subject)
        if subject
        else lang.t("assignment_subject_unnamed", customer=customer)
    )
    return _email(
        "assigned",
        lang,
        (to_address, ""),
        f"{headline} [{reference}]",
        dict(AUTO_REPLIED),
        said=lang.t("assignment_body", reference=reference, customer=customer),
        follow=lang.t("open_ticket"),
        ticket_url=ticket_url,
    )
