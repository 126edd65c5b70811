"""Delivery of the emails a change causes, exactly once as the customer sees it.

Each email is claimed first (a delivery item, put only if absent), then
rendered from the ticket as it is now and handed to SES once, then settled:
sent, retry later (SES surely refused), unconfirmed (the answer was lost: it
may have gone out, so it is never sent again), or refused (nobody should get
it: an erased customer, a bounced address, a mail loop). A redelivered stream
record finds the claim and sends nothing. `retry_due` is the `retry_mail`
job's work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from ..adapters.files import FileError
from ..adapters.mailer import MailerError, MailerUncertain, SesMailer, Unsendable
from ..adapters.store.claims import ClaimStore
from ..adapters.store.customers import CustomerStore, mail_stopped
from ..adapters.store.deliveries import DeliveryStore, delivery_key
from ..adapters.store.directory import DirectoryStore
from ..adapters.store.items import StoredEntry
from ..adapters.store.tickets import Collection, TicketStore
from ..clock import Clock
from ..config import Settings
from ..domain.inbound import LOOP_CAP, LOOP_WINDOW
from ..domain.ticket import Ticket
from ..log import logger
from ..views.compose import Occasion, compose
from ..views.emails import Email
from .attachments import Attachments, FileGone
from .directory import display_name

log = logger(__name__)
BACKOFF_MINUTES = (1, 2, 4, 8, 15, 30, 60)  # then hourly
GIVE_UP_AFTER = 48  # attempts: about two days of trying
CUSTOMER = "customer"
AUTOMATIC = ("acknowledgement", "resolution", "follow_up", "pending_reminder", "status_link")


UNKNOWN = object()  # not read yet: whether the customer's address takes mail (see store.customers.mail_stopped)


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts - 1, len(BACKOFF_MINUTES) - 1)])


def message_id(ticket_id: str, entry_sk: str, index: int, domain: str) -> str:
    """The same for every attempt at one email, so a mail client shows one message."""
    version = entry_sk.rsplit("#", 1)[-1]  # the change's version: unique within the ticket
    return f"<{ticket_id}.{version}.{index}@{domain}>"


class MailDelivery:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: TicketStore,
        deliveries: DeliveryStore,
        claims: ClaimStore,
        customers: CustomerStore,
        directory: DirectoryStore,
        mailer: SesMailer,
        signing_key: Callable[[], bytes],
        attachments: Attachments,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._deliveries = deliveries
        self._claims = claims  # the mail-loop cap's windows
        self._customers = customers
        self._directory = directory
        self._mailer = mailer
        self._signing_key = signing_key
        self._attachments = attachments
        self._domain = settings.sender.rpartition("@")[2]

    def deliver(
        self,
        ticket_id: str,
        entry_sk: str,
        index: int,
        mail: str,
        to: str,
        *,
        collection: Collection | None = None,
        bounced: object = UNKNOWN,
    ) -> str:
        """The email a change's entry asked for; what became of it. The
        consumer passes what it has read already (the ticket's collection,
        whether the address bounced), so nothing is read twice."""
        sk = delivery_key(entry_sk, index)
        mid = message_id(ticket_id, entry_sk, index, self._domain)
        if not self._deliveries.claim_delivery(ticket_id, sk, mail, to, mid, self._clock.now()):
            return "claimed already"
        return self._send(ticket_id, sk, entry_sk, mail, to, mid, attempts=1, collection=collection, bounced=bounced)

    def retry_due(self, limit: int = 50) -> list[str]:
        """Send again what SES refused earlier and is due; the keys sent. Logs
        `retry_backlog`, the emails still waiting after this run (due or
        backing off): the deploy template's RetryBacklogAlarm reads it."""
        sent = []
        for delivery in self._deliveries.deliveries_due(self._clock.now(), limit):
            if not self._deliveries.retake_delivery(delivery, self._clock.now()):
                continue  # another worker took it
            outcome = self._send(
                delivery.ticket_id,
                delivery.sk,
                delivery.entry_sk,
                delivery.mail,
                delivery.to,
                delivery.message_id,
                attempts=delivery.attempts + 1,
            )
            if outcome == "sent":
                sent.append(f"{delivery.ticket_id}/{delivery.sk}")
        log.info(
            "due emails retried", extra={"sent": len(sent), "retry_backlog": self._deliveries.deliveries_waiting()}
        )
        return sent

    def _send(
        self,
        ticket_id: str,
        sk: str,
        entry_sk: str,
        mail: str,
        to: str,
        mid: str,
        attempts: int,
        *,
        collection: Collection | None = None,
        bounced: object = UNKNOWN,
    ) -> str:
        now = self._clock.now()
        collection = collection or self._store.collection(ticket_id)
        entry = next((e for e in collection.entries if e.sk == entry_sk), None) if collection else None
        if collection is None or entry is None:
            self._deliveries.settle_delivery(ticket_id, sk, "refused", now, error="the ticket is gone")
            return "refused"
        refusal = self._refusal(collection.ticket, mail, to, bounced)
        if refusal:
            self._deliveries.settle_delivery(ticket_id, sk, "refused", now, error=refusal)
            log.info("email not sent", extra={"ticket_id": ticket_id, "event": mail, "reason": refusal})
            return "refused"
        try:
            email = self.compose(mail, to, collection, entry, now)
            files = (
                self._attachments.contents(ticket_id, entry.entry.data.get("attachments") or ())
                if mail == "reply"
                else ()
            )
            ses_id = self._mailer.send(email, message_id=mid, date=entry.created_at, attachments=files)
        except (Unsendable, FileGone) as error:
            self._deliveries.settle_delivery(ticket_id, sk, "refused", now, error=f"cannot be sent: {error}")
            log.error("email cannot be sent", extra={"ticket_id": ticket_id, "event": mail, "error": str(error)})
            return "refused"
        except MailerUncertain as error:
            self._deliveries.settle_delivery(ticket_id, sk, "unconfirmed", now, error=str(error))
            log.warning("email may have been sent", extra={"ticket_id": ticket_id, "event": mail})
            return "unconfirmed"
        except (MailerError, FileError) as error:  # SES refused it, or its files could not be read: later
            if attempts >= GIVE_UP_AFTER:
                self._deliveries.settle_delivery(ticket_id, sk, "failed", now, error=str(error))
                log.error("email given up", extra={"ticket_id": ticket_id, "event": mail, "error": str(error)})
                return "failed"
            self._deliveries.settle_delivery(
                ticket_id, sk, "retry", now, error=str(error), retry_at=now + backoff(attempts)
            )
            log.warning(
                "email not sent, will retry", extra={"ticket_id": ticket_id, "event": mail, "error": str(error)}
            )
            return "retry"
        try:
            self._deliveries.settle_delivery(ticket_id, sk, "sent", now, ses_id=ses_id)
        except Exception:  # it went out: never send it again; the view shows it as unconfirmed
            log.exception("sent email not recorded", extra={"ticket_id": ticket_id, "event": mail})
        return "sent"

    def _refusal(self, ticket: Ticket, mail: str, to: str, bounced: object) -> str | None:
        if mail == "low_rating" and ticket.erased:  # the notice would quote the customer's words
            return "the customer's data was erased"
        if to != CUSTOMER:
            return None
        if ticket.erased:
            return "the customer's data was erased"
        if bounced is UNKNOWN:
            bounced = mail_stopped(self._customers.customer(ticket.customer_email))
        if bounced is not None:
            return "the customer marked our email as spam" if bounced == "complaint" else "the address bounced"
        if mail in AUTOMATIC and ticket.channel == "email":
            # A mail loop the inbound rules miss stops here.
            limit, window = LOOP_CAP, LOOP_WINDOW
            start = int(self._clock.now().timestamp()) // int(window.total_seconds()) * int(window.total_seconds())
            key = f"automail#{ticket.customer_email}#{start}"
            if not self._claims.count_window(key, limit, self._clock.now() + window):
                return f"more than {limit} automatic emails to this address in {window}"
        return None

    def compose(self, mail: str, to: str, collection: Collection, entry: StoredEntry, now: datetime) -> Email:
        """The email as it goes out now (a reply's preview is this same email)."""
        signer = partial(display_name, self._directory)
        return compose(Occasion(mail, to, collection, entry, now, self._settings, signer, self._signing_key))
