"""The one writer of ticket changes (the unit of work). Operators, customers'
emails, SLA events, the lifecycle jobs, assignment and erasure all change a
ticket the same way: read it, let the domain decide the change, store the
ticket and the entry that records it in one transaction, retry on a
concurrent change. Nothing else happens here: the table's stream performs
the change's effects."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..adapters.store.claims import IntakeClaims
from ..adapters.store.items import entry_key
from ..adapters.store.tickets import Claimed, Collection, StaleTicket, TicketStore, Unavailable
from ..clock import Clock
from ..domain.errors import NotFound, PreconditionFailed, ServiceUnavailable
from ..domain.ticket import Change, Ticket
from ..log import logger

log = logger(__name__)
ATTEMPTS = 8  # writers without If-Match retry on a stale version; jittered so they spread out
AMBIGUOUS_RETRIES = 2  # a write whose answer was lost is sent again, as the same transaction

Decide = Callable[[Ticket, Collection | None, datetime], Change | None]


@dataclass(frozen=True)
class Written:
    """What a change left: the ticket after it, and the change (None when the
    decision was that nothing changes)."""

    ticket: Ticket
    change: Change | None
    collection: Collection | None


class TicketWriter:
    def __init__(self, store: TicketStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def create(self, change: Change, claims: IntakeClaims) -> str:
        """Store a new ticket with what it claims; its entry's key."""
        return self._commit(change, claims)

    def apply(
        self,
        ticket_id: str,
        decide: Decide,
        *,
        if_match: int | None = None,
        with_thread: bool = False,
        known: Ticket | None = None,
    ) -> Written:
        """Read the ticket (with its thread if the decision needs it), decide,
        write; again from a fresh read if someone changed it meanwhile. With
        If-Match, a change made meanwhile is the caller's to see (412).
        `known`: the ticket as the caller already holds it, decided on first
        without a read (its version guards the write like any read's)."""
        for attempt in range(ATTEMPTS):
            collection = self._store.collection(ticket_id) if with_thread else None
            if attempt == 0 and known is not None and collection is None:
                ticket: Ticket | None = known
            else:
                ticket = collection.ticket if collection else self._store.ticket(ticket_id)
            if ticket is None:
                raise NotFound(f"no ticket {ticket_id}", field="ticket_id")
            if if_match is not None and ticket.version != if_match:
                raise PreconditionFailed(ticket.version)
            change = decide(ticket, collection, self._clock.now())
            if change is None:
                return Written(ticket, None, collection)
            try:
                self._commit(change, None)
            except StaleTicket:
                if if_match is not None:
                    current = self._store.ticket(ticket_id)
                    raise PreconditionFailed(current.version if current else if_match) from None
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
                continue
            return Written(change.after, change, collection)
        current = self._store.ticket(ticket_id)
        raise PreconditionFailed(current.version if current else 0)

    def _commit(self, change: Change, claims: IntakeClaims | None) -> str:
        """One transaction, idempotent by its token: an answer lost after the
        write committed is sent again as the same transaction, and a retry
        that finds its own entry stored knows the first attempt committed."""
        after = change.after
        token = hashlib.sha256(f"{after.id}#{after.version}#{after.updated_at.isoformat()}".encode()).hexdigest()[:36]
        for attempt in range(AMBIGUOUS_RETRIES + 1):
            try:
                return self._store.commit(change, intake=claims, token=token)
            except (StaleTicket, Claimed):
                if attempt and self._store.entry_exists(after.id, entry_key(after.updated_at, after.version)):
                    return entry_key(after.updated_at, after.version)  # our own earlier commit
                raise
            except Unavailable as error:
                log.warning("ticket write not acknowledged", extra={"ticket_id": after.id, "error": str(error)})
                if attempt == AMBIGUOUS_RETRIES:
                    if self._committed(after):
                        return entry_key(after.updated_at, after.version)
                    raise ServiceUnavailable() from error
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _committed(self, after: Ticket) -> bool:
        try:
            return self._store.entry_exists(after.id, entry_key(after.updated_at, after.version))
        except Exception:  # still unreachable: nothing can be said to have been written
            return False
