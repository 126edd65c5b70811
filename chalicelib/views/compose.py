"""Which email a change asked for, composed from the ticket as it is now and
the thread entry that asked for it: one composer per kind of email
(`domain.ticket.Mail.kind`), all in the table `COMPOSERS`. Each gathers the
facts its email needs; `views.emails` says it in words."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..adapters.store.items import StoredEntry
from ..adapters.store.tickets import Collection
from ..config import Settings
from ..domain.feedback import make_token, status_token
from ..domain.ticket import CUSTOMER, Ticket
from . import emails
from .emails import Email


@dataclass(frozen=True)
class Occasion:
    """What an email is composed from."""

    mail: str  # the kind: acknowledgement, reply, ...
    to: str  # "customer", or an operator's address
    collection: Collection  # the ticket as it is now, with its thread and deliveries
    entry: StoredEntry  # the change's entry that asked for the email
    now: datetime
    settings: Settings
    signer: Callable[[str], str]  # an operator's address -> the name they sign with
    signing_key: Callable[[], bytes]  # signs the follow-up's rating link

    @property
    def ticket(self) -> Ticket:
        return self.collection.ticket

    @property
    def data(self) -> Mapping[str, Any]:
        return self.entry.entry.data

    @property
    def ticket_url(self) -> str:
        return f"{self.settings.admin_url}#/tickets/{self.ticket.id}"

    @property
    def customer(self) -> str:
        return f"{self.ticket.customer_name} <{self.ticket.customer_email}>"

    @property
    def status_url(self) -> str:
        """The ticket's status page, signed afresh for every email (contract: every customer email links it)."""
        token = status_token(self.ticket.id, self.now, self.settings.status_token_days, self.signing_key())
        return f"{self.settings.public_url}/status/{token}"


def compose(occasion: Occasion) -> Email:
    composer = COMPOSERS.get(occasion.mail)
    if composer is None:
        raise ValueError(f"unknown email {occasion.mail!r}")
    return composer(occasion)


def _acknowledgement(o: Occasion) -> Email:
    """On intake, or when an operator released a spam ticket (its first message is quoted then)."""
    ticket, callback = o.ticket, o.ticket.callback or {}
    opening = (
        o.entry
        if o.entry.entry.event == "created"
        else next(e for e in o.collection.entries if e.entry.event == "created")
    )
    return emails.acknowledgement(
        emails.AcknowledgementFacts(
            brand=o.settings.brand,
            reference=ticket.reference,
            name=ticket.customer_name,
            email=ticket.customer_email,
            message=opening.entry.body or "",
            subject=ticket.subject,
            details=ticket.details,
            callback_phone=callback.get("phone"),
            callback_window=callback.get("window"),
            first_response_due=datetime.fromisoformat(o.data["first_response_due"]),
            timezone=ticket.details["timezone"] or o.settings.timezone,
            refused_attachments=refused(opening),
            salutation=ticket.details["salutation"],
            tone=o.settings.tone,
            locale=ticket.details["locale"],
            shop_locale=o.settings.locale,
            status_url=o.status_url,
        )
    )


def _letter(o: Occasion, cc: tuple[str, ...] = ()) -> emails.ReplyFacts:
    """An operator's reply and the resolution notice: one voice."""
    ticket, author = o.ticket, o.entry.entry.author
    status = o.data.get("changes", {}).get("status", [None, None])
    return emails.ReplyFacts(
        brand=o.settings.brand,
        reference=ticket.reference,
        name=ticket.customer_name,
        email=ticket.customer_email,
        subject=ticket.subject,
        body=o.entry.entry.body or "",
        operator=o.signer(author) if "@" in author else None,
        resolved=o.mail == "resolution" or status[1] == "resolved",
        thread_ids=thread_ids(o.collection, o.entry.sk),
        offer=o.data.get("offer"),
        refused_attachments=refused_since(o.collection, o.entry.sk),
        salutation=ticket.details["salutation"],
        tone=o.settings.tone,
        locale=ticket.details["locale"],
        shop_locale=o.settings.locale,
        cc=cc,
        first=bool(o.data.get("outbound")),
        status_url=o.status_url,
    )


def _reply(o: Occasion) -> Email:
    """An operator's reply: to the customer, the ticket's followers in Cc."""
    return emails.operator_reply(_letter(o, o.ticket.cc))


def _resolution(o: Occasion) -> Email:
    return emails.resolution_notice(_letter(o))


def _follow_up(o: Occasion) -> Email:
    ticket, s = o.ticket, o.settings
    token = make_token(ticket.id, o.now + timedelta(days=s.feedback_token_days), o.signing_key())
    return emails.follow_up(
        emails.FollowUpFacts(
            brand=s.brand,
            reference=ticket.reference,
            name=ticket.customer_name,
            email=ticket.customer_email,
            subject=ticket.subject,
            feedback_url=f"{s.public_url}/feedback/{token}",
            thread_ids=thread_ids(o.collection, o.entry.sk),
            salutation=ticket.details["salutation"],
            tone=s.tone,
            locale=ticket.details["locale"],
            shop_locale=s.locale,
            status_url=o.status_url,
        )
    )


def _note(o: Occasion) -> emails.NoteFacts:
    ticket, resolves = o.ticket, o.data.get("resolves_at")
    return emails.NoteFacts(
        brand=o.settings.brand,
        reference=ticket.reference,
        name=ticket.customer_name,
        email=ticket.customer_email,
        subject=ticket.subject,
        status_url=o.status_url,
        thread_ids=thread_ids(o.collection, o.entry.sk),
        timezone=ticket.details["timezone"] or o.settings.timezone,
        resolves_at=datetime.fromisoformat(resolves) if resolves else None,
        locale=ticket.details["locale"],
        shop_locale=o.settings.locale,
        salutation=ticket.details["salutation"],
        tone=o.settings.tone,
    )


def _sla_notice(o: Occasion) -> Email:
    return emails.sla_notice(
        emails.SlaNoticeFacts(
            reference=o.ticket.reference,
            ticket_url=o.ticket_url,
            customer=o.customer,
            metric=o.data["metric"],
            kind=o.mail.removeprefix("sla_"),
            due=datetime.fromisoformat(o.data["due"]),
            now=o.entry.created_at,
            timezone=o.settings.timezone,
            to_address=o.to,
            shop_locale=o.settings.locale,
        )
    )


def _low_rating(o: Occasion) -> Email:
    """The rating that asked for the notice (its entry), not the ticket's
    latest: a customer may have rated again before the notice went out."""
    rating = {k: o.data[k] for k in ("csat", "nps") if k in o.data}
    if o.entry.entry.body:
        rating["comment"] = o.entry.entry.body
    return emails.low_rating_notice(
        o.ticket.reference, o.customer, rating, o.to, o.ticket_url, shop_locale=o.settings.locale
    )


def _assigned(o: Occasion) -> Email:
    return emails.assignment_notice(
        o.ticket.reference, o.customer, o.ticket.subject, o.to, o.ticket_url, shop_locale=o.settings.locale
    )


COMPOSERS: Mapping[str, Callable[[Occasion], Email]] = {
    "acknowledgement": _acknowledgement,
    "reply": _reply,
    "resolution": _resolution,
    "follow_up": _follow_up,
    "pending_reminder": lambda o: emails.pending_reminder(_note(o)),
    "status_link": lambda o: emails.status_link(_note(o)),
    "sla_warning": _sla_notice,
    "sla_breach": _sla_notice,
    "low_rating": _low_rating,
    "assigned": _assigned,
}


def thread_ids(collection: Collection, before_sk: str) -> tuple[str, ...]:
    """Message-IDs of the customer conversation before this email, oldest
    first: the customer's mail client threads the reply into it."""
    found: list[tuple[str, str]] = []
    for holder in collection.family():  # merged tickets' conversations are this one's
        for stored in holder.entries:
            mid = stored.entry.data.get("message_id")
            if stored.entry.direction == "in" and mid and stored.sk < before_sk:
                found.append((stored.sk, mid))
        for delivery in holder.deliveries:
            if _reached_customer(delivery.to, delivery.state) and delivery.entry_sk < before_sk:
                found.append((delivery.sk, delivery.message_id))
    return tuple(mid for _, mid in sorted(found))


def refused(stored: StoredEntry) -> tuple[tuple[str, str], ...]:
    """Files the customer sent that were kept out, to tell them so."""
    return tuple((a["name"], a["refused"]) for a in stored.entry.data.get("attachments") or () if a.get("refused"))


def refused_since(collection: Collection, before_sk: str) -> tuple[tuple[str, str], ...]:
    """Files kept out of the customer's messages since our last email to them."""
    last_out = max(
        (d.entry_sk for d in collection.deliveries if _reached_customer(d.to, d.state) and d.entry_sk < before_sk),
        default="",
    )
    return tuple(
        f for e in collection.entries if last_out < e.sk < before_sk and e.entry.direction == "in" for f in refused(e)
    )


def _reached_customer(to: str, state: str) -> bool:
    """An email to the customer that went out (or may have)."""
    return to == CUSTOMER.label and state in ("sent", "unconfirmed")
