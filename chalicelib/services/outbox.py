"""Delivery of outgoing email: stored first, sent, retried until SES takes it."""
from __future__ import annotations

import logging
from datetime import timedelta

from ..adapters.mailer import MailerError, SesMailer
from ..adapters.store import TicketStore
from ..adapters.tables import Entry
from ..clock import Clock
from ..domain.emails import Email

log = logging.getLogger(__name__)
BACKOFF_MINUTES = (1, 2, 4, 8, 15, 30, 60)  # then hourly, for as long as it takes


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES) - 1)])


class Outbox:
    def __init__(self, store: TicketStore, mailer: SesMailer, clock: Clock) -> None:
        self._store = store
        self._mailer = mailer
        self._clock = clock

    def send(self, entry: Entry) -> bool:
        """Try once; on failure the entry stays pending for `retry_due`."""
        rendered = dict(entry.email)
        message_id = rendered.pop("message_id")
        try:
            ses_id = self._mailer.send(Email(**rendered), message_id=message_id, date=entry.created_at)
        except MailerError as error:
            log.warning("email %s for ticket %s not sent: %s", message_id, entry.ticket_id, error)
            self._defer(entry, str(error))
            return False
        self._store.mark_sent(entry, ses_id, self._clock.now())
        return True

    def retry_due(self, limit: int = 25) -> list[str]:
        """Send what is pending and due; the ids of entries sent."""
        now = self._clock.now()
        sent = []
        for entry in self._store.due_outgoing(now, limit):
            # Moving the next attempt first keeps a concurrent sweeper off it.
            if self._store.claim_attempt(entry, now + backoff(entry.attempts or 0)):
                if self.send(entry):
                    sent.append(f"{entry.ticket_id}/{entry.sk}")
        return sent

    def _defer(self, entry: Entry, error: str) -> None:
        try:
            self._store.defer(entry, self._clock.now() + backoff(entry.attempts or 0), error)
        except Exception:  # the stored next_attempt_at still brings it back
            log.exception("could not record the failed attempt for %s", entry.ticket_id)
