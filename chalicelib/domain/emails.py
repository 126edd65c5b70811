"""Email composition: what each email says, in text and HTML. Pure: the
mailer turns an `Email` into MIME and sends it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from ..clock import iso

# The contract marks every automatic email so (operators' notices too): mail
# systems then never answer them, and Careline's own inbound ignores them.
AUTO_REPLIED = {"Auto-Submitted": "auto-replied"}


@dataclass(frozen=True)
class Email:
    to_address: str
    to_name: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AcknowledgementFacts:
    brand: str
    reference: str
    name: str
    email: str
    message: str
    subject: str | None
    order_id: str | None
    callback_phone: str | None
    callback_window: str | None
    first_response_due: datetime
    timezone: str


def customer_subject(text: str, reference: str) -> str:
    """Every customer email's subject carries `[<reference>]` so replies find their ticket."""
    return f"{text} [{reference}]"


def readable_time(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%A, %-d %B %Y at %H:%M} ({local:%Z}, {timezone})"


def acknowledgement(facts: AcknowledgementFacts) -> Email:
    due_readable = readable_time(facts.first_response_due, facts.timezone)
    due_iso = iso(facts.first_response_due)
    subject = customer_subject(
        f"We received your request: {facts.subject}" if facts.subject else "We received your request",
        facts.reference)
    details = [("Reference", facts.reference)]
    if facts.subject:
        details.append(("Subject", facts.subject))
    if facts.order_id:
        details.append(("Order", facts.order_id))
    if facts.callback_phone:
        window = f" ({facts.callback_window})" if facts.callback_window else ""
        details.append(("Call back", facts.callback_phone + window))

    quoted = "\n".join(f"> {line}" for line in facts.message.splitlines() or [""])
    text = "\n".join([
        f"Hello {facts.name},",
        "",
        f"thank you for contacting {facts.brand}. We have received your request and "
        f"someone from our team is looking after it.",
        "",
        f"You will hear from us by {due_readable} at the latest ({due_iso}).",
        "",
        *(f"{label}: {value}" for label, value in details),
        "",
        "Your message, as we received it:",
        quoted,
        "",
        f"To add anything, just reply to this email and keep [{facts.reference}] in the subject.",
        "",
        "Kind regards,",
        f"{facts.brand} customer care",
    ]) + "\n"

    rows = "".join(
        f"<tr><th align=\"left\" style=\"padding:2px 12px 2px 0\">{escape(label)}</th>"
        f"<td>{escape(value)}</td></tr>" for label, value in details)
    html = (
        "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5;color:#1a1a1a\">"
        f"<p>Hello {escape(facts.name)},</p>"
        f"<p>thank you for contacting {escape(facts.brand)}. We have received your request and "
        "someone from our team is looking after it.</p>"
        f"<p><strong>You will hear from us by <time datetime=\"{due_iso}\">{escape(due_readable)}"
        "</time> at the latest.</strong></p>"
        f"<table>{rows}</table>"
        "<p>Your message, as we received it:</p>"
        "<blockquote style=\"white-space:pre-wrap;border-left:3px solid #ccc;margin:0;padding-left:12px\">"
        f"{escape(facts.message)}</blockquote>"
        f"<p>To add anything, just reply to this email and keep [{escape(facts.reference)}] in the subject.</p>"
        f"<p>Kind regards,<br>{escape(facts.brand)} customer care</p>"
        "</body></html>"
    )
    return Email(facts.email, facts.name, subject, text, html, dict(AUTO_REPLIED))


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


def sla_notice(facts: SlaNoticeFacts) -> Email:
    """The warning before, and the notice at, a missed due time (to operators)."""
    what = "first response" if facts.metric == "first_response" else "resolution"
    minutes = int(abs((facts.due - facts.now).total_seconds()) // 60)
    if facts.kind == "warning":
        headline = f"SLA warning: {what} due in {minutes} min"
    else:
        headline = f"SLA breached: {what} overdue by {minutes} min"
    due = readable_time(facts.due, facts.timezone)
    text = (f"{headline}\n\nTicket: {facts.reference}\nCustomer: {facts.customer}\n"
            f"Due: {due} ({iso(facts.due)})\n\nOpen the ticket: {facts.ticket_url}\n")
    html = (f"<!doctype html><html><body><p><strong>{escape(headline)}</strong></p>"
            f"<p>Ticket: {escape(facts.reference)}<br>Customer: {escape(facts.customer)}<br>"
            f"Due: {escape(due)}</p><p><a href=\"{escape(facts.ticket_url)}\">Open the ticket</a></p>"
            "</body></html>")
    return Email(facts.to_address, "", f"{headline} [{facts.reference}]", text, html,
                 dict(AUTO_REPLIED))


@dataclass(frozen=True)
class ReplyFacts:
    brand: str
    reference: str
    name: str
    email: str
    subject: str | None
    body: str
    operator: str
    resolved: bool
    thread_ids: tuple[str, ...]  # Message-IDs of the conversation so far, oldest first
    offer: dict | None = None  # a goodwill gesture: {"type", "description", "code"?}


def _threading(thread_ids: tuple[str, ...]) -> dict[str, str]:
    """In-Reply-To and References keep the customer's mail client threading the conversation."""
    if not thread_ids:
        return {}
    return {"In-Reply-To": thread_ids[-1], "References": " ".join(thread_ids[-20:])}


def _reply_subject(subject: str | None, reference: str) -> str:
    return customer_subject(f"Re: {subject}" if subject else "Re: your request", reference)


def _closing(brand: str, reference: str, signature: str) -> tuple[str, str]:
    text = (f"Kind regards,\n{signature}\n{brand} customer care\n\n"
            f"Just reply to this email to answer us; please keep [{reference}] in the subject.\n")
    html = (f"<p>Kind regards,<br>{escape(signature)}<br>{escape(brand)} customer care</p>"
            f"<p style=\"color:#555\">Just reply to this email to answer us; please keep "
            f"[{escape(reference)}] in the subject.</p>")
    return text, html


RESOLVED_LINE = ("We have marked your request as resolved. If anything is still open, simply reply "
                 "to this email and we will pick it up again.")


def offer_line(offer: dict) -> str:
    code = f" Your code: {offer['code']}" if offer.get("code") else ""
    return f"As a small thank-you for your patience: {offer['description']}.{code}"


def operator_reply(facts: ReplyFacts) -> Email:
    """An operator's answer: their words, the customer's name, no template voice."""
    closing_text, closing_html = _closing(facts.brand, facts.reference, facts.operator)
    extras = ([offer_line(facts.offer)] if facts.offer else []) + ([RESOLVED_LINE] if facts.resolved else [])
    extra_text = "".join(f"\n{line}\n" for line in extras)
    text = f"Hello {facts.name},\n\n{facts.body.strip()}\n{extra_text}\n{closing_text}"
    html = ("<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5;color:#1a1a1a\">"
            f"<p>Hello {escape(facts.name)},</p>"
            f"<div style=\"white-space:pre-wrap\">{escape(facts.body.strip())}</div>"
            + "".join(f"<p>{escape(line)}</p>" for line in extras)
            + closing_html + "</body></html>")
    return Email(facts.email, facts.name, _reply_subject(facts.subject, facts.reference), text, html,
                 _threading(facts.thread_ids))


def resolution_notice(facts: ReplyFacts) -> Email:
    """Sent when a ticket is resolved without a reply saying so."""
    closing_text, closing_html = _closing(facts.brand, facts.reference, facts.operator)
    text = (f"Hello {facts.name},\n\nthank you for your patience. {RESOLVED_LINE}\n\n{closing_text}")
    html = ("<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5;color:#1a1a1a\">"
            f"<p>Hello {escape(facts.name)},</p><p>thank you for your patience. {escape(RESOLVED_LINE)}</p>"
            + closing_html + "</body></html>")
    return Email(facts.email, facts.name,
                 customer_subject(f"Resolved: {facts.subject}" if facts.subject else "Your request is resolved",
                                  facts.reference),
                 text, html, AUTO_REPLIED | _threading(facts.thread_ids))


@dataclass(frozen=True)
class FollowUpFacts:
    brand: str
    reference: str
    name: str
    email: str
    subject: str | None
    feedback_url: str  # the signed link; ?score=N preselects
    thread_ids: tuple[str, ...]


CSAT_LABELS = {1: "Very unhappy", 2: "Unhappy", 3: "OK", 4: "Happy", 5: "Very happy"}


def follow_up(facts: FollowUpFacts) -> Email:
    """A friendly close: thanks, is anything still open, how was it."""
    links = [(score, f"{facts.feedback_url}?score={score}") for score in range(1, 6)]
    text = "\n".join([
        f"Hello {facts.name},",
        "",
        f"a couple of days ago we resolved your request [{facts.reference}]. Thank you for getting in touch with "
        f"{facts.brand}.",
        "",
        "Is anything still unresolved? Then simply reply to this email and tell us; it goes straight back "
        "to the team, and you can always come back to us.",
        "",
        "How happy were you with our help? One click is enough:",
        *(f"  {score} – {CSAT_LABELS[score]}: {url}" for score, url in links),
        "",
        f"You can also tell us how likely you are to recommend us (0–10) on the same page: {facts.feedback_url}",
        "",
        "Thank you,",
        f"{facts.brand} customer care",
    ]) + "\n"
    buttons = "".join(
        f"<a href=\"{escape(url)}\" style=\"display:inline-block;margin:0 6px 6px 0;padding:8px 12px;"
        f"border:1px solid #1f5fcf;border-radius:4px;color:#1f5fcf;text-decoration:none\">"
        f"{score} · {escape(CSAT_LABELS[score])}</a>" for score, url in links)
    html = ("<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5;color:#1a1a1a\">"
            f"<p>Hello {escape(facts.name)},</p>"
            f"<p>a couple of days ago we resolved your request [{escape(facts.reference)}]. Thank you for "
            f"getting in touch with {escape(facts.brand)}.</p>"
            "<p><strong>Is anything still unresolved?</strong> Then simply reply to this email and tell us; it goes "
            "straight back to the team, and you can always come back to us.</p>"
            f"<p>How happy were you with our help? One click is enough:</p><p>{buttons}</p>"
            f"<p>You can also tell us how likely you are to recommend us (0–10) on "
            f"<a href=\"{escape(facts.feedback_url)}\">the same page</a>.</p>"
            f"<p>Thank you,<br>{escape(facts.brand)} customer care</p></body></html>")
    subject = customer_subject(f"How did we do? {facts.subject}" if facts.subject else "How did we do?",
                               facts.reference)
    return Email(facts.email, facts.name, subject, text, html, AUTO_REPLIED | _threading(facts.thread_ids))


def low_rating_notice(reference: str, customer: str, rating: dict, to_address: str, ticket_url: str) -> Email:
    """To the ticket's owner: an unhappy customer said why; someone should follow up."""
    scores = f"CSAT {rating['csat']}/5" + (f", NPS {rating['nps']}/10" if "nps" in rating else "")
    text = (f"{customer} rated [{reference}] {scores} and wrote:\n\n{rating.get('comment', '')}\n\n"
            f"Please follow up: {ticket_url}\n")
    html = (f"<!doctype html><html><body><p>{escape(customer)} rated [{escape(reference)}] {escape(scores)} "
            f"and wrote:</p><blockquote style=\"white-space:pre-wrap\">{escape(rating.get('comment', ''))}</blockquote>"
            f"<p><a href=\"{escape(ticket_url)}\">Please follow up</a></p></body></html>")
    return Email(to_address, "", f"Unhappy customer: {scores} [{reference}]", text, html,
                 dict(AUTO_REPLIED))


def assignment_notice(reference: str, customer: str, subject: str | None, preview: str | None, to_address: str,
                      ticket_url: str) -> Email:
    """To the agent automatic assignment chose: a new ticket is theirs."""
    about = subject or preview or "(no subject)"
    text = (f"A new ticket is assigned to you: [{reference}] {about}\nCustomer: {customer}\n\n"
            f"Open the ticket: {ticket_url}\n")
    html = (f"<!doctype html><html><body><p>A new ticket is assigned to you: [{escape(reference)}] "
            f"{escape(about)}</p><p>Customer: {escape(customer)}</p>"
            f"<p><a href=\"{escape(ticket_url)}\">Open the ticket</a></p></body></html>")
    return Email(to_address, "", f"Assigned to you: {about} [{reference}]", text, html, dict(AUTO_REPLIED))
