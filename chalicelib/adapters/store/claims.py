"""Claims: keys taken with a conditional write, in the `claims` table. A new
ticket claims its reference and the request's Idempotency-Key, and a place
in the sender's and address's rate windows, in its own transaction
(`TicketStore.commit`); the rest claim a key on their own: a mark (put if
absent, for a while) or one more in a fixed window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from ..tables import Claim
from .items import refused


@dataclass(frozen=True)
class RateWindow:
    key: str
    limit: int
    ends_at: datetime


@dataclass(frozen=True)
class IntakeClaims:
    """What a new ticket claims besides itself: its reference, the request's
    Idempotency-Key, and a place in the sender's and address's rate windows."""

    reference: str
    idempotency_key: str | None = None
    body_hash: str | None = None
    answer: dict[str, Any] | None = None
    idempotency_until: datetime | None = None
    windows: tuple[RateWindow, ...] = ()
    # The sender's address, checked in the same transaction to be one no
    # operator marked as spam (else: Blocked, and the ticket is quarantined).
    unless_blocked: str | None = None


class ClaimStore:
    def claim(self, key: str) -> Claim | None:
        try:
            return Claim.get(key, consistent_read=True)
        except DoesNotExist:
            return None

    def ticket_id_for_reference(self, reference: str) -> str | None:
        found = self.claim(f"ref#{reference}")
        return found.ticket_id if found else None

    def mark(self, key: str, until: datetime) -> bool:
        """Claim a key for a while (put if absent); False if it is taken."""
        try:
            Claim(key, expires_at=until).save(condition=Claim.key.does_not_exist())
        except PutError as error:
            if refused(error):
                return False
            raise
        return True

    def keep_answer(self, key: str, body_hash: str, answer: dict[str, Any], until: datetime) -> Claim | None:
        """Remember an answer under a key for a while (put if absent): None
        if kept now, else the claim that holds the key already."""
        try:
            Claim(key, body_hash=body_hash, response=answer, expires_at=until).save(
                condition=Claim.key.does_not_exist()
            )
        except PutError as error:
            if refused(error):
                return self.claim(key)
            raise
        return None

    def count_window(self, key: str, limit: int, until: datetime) -> bool:
        """One more in a fixed window; False if the window is full."""
        try:
            Claim(key).update(
                actions=[Claim.hits.set((Claim.hits | 0) + 1), Claim.expires_at.set(until)],
                condition=Claim.hits.does_not_exist() | (Claim.hits < limit),
            )
        except UpdateError as error:
            if refused(error):
                return False
            raise
        return True
