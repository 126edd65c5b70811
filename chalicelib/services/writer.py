"""The one writer of ticket changes (the unit of work). Operators, customers'
emails, SLA events, the lifecycle jobs, assignment and erasure all change a
ticket the same way: read it, let the domain decide the change, store the
ticket and the entry that records it in one transaction, retry on a
concurrent change. Nothing else happens here: the table's stream performs
the change's effects."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..adapters.store.claims import IntakeClaims
from ..adapters.store.items import entry_key
from ..adapters.store.tickets import Claimed, Collection, Refused, StaleTicket, TicketStore, Unavailable
from ..clock import Clock
from ..domain.errors import NotFound, PreconditionFailed, ServiceUnavailable
from ..domain.identifiers import new_reference
from ..domain.ticket import Change, Ticket
from ..log import logger

log = logger(__name__)
# Writers without If-Match apply their change on the ticket as it is: a
# concurrent change means read again, decide again, write again, for up to
# CONTENDED_BUDGET, the pauses jittered so the writers spread out (full
# jitter, doubling from FIRST_CONTENDED_PAUSE to MAX_CONTENDED_PAUSE). A caller
# without If-Match never hears 412: past the budget the ticket is busy (503).
CONTENDED_BUDGET = timedelta(seconds=10)
FIRST_CONTENDED_PAUSE = 0.01
MAX_CONTENDED_PAUSE = 0.5
# How long a write whose answer was lost is sent again before the request
# gives up: well inside API Gateway's 29 s, and longer than DynamoDB's usual
# hiccups. The pauses between sends double from FIRST_PAUSE_SECONDS to 2 s.
UNKNOWN_OUTCOME_BUDGET = timedelta(seconds=8)
REFERENCE_ATTEMPTS = 5
FIRST_PAUSE_SECONDS = 0.1

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

    def open_new(
        self, build: Callable[[str], Change], claims: Callable[[Change], IntakeClaims] | None = None
    ) -> Change:
        """Store a new ticket (`build` makes it under the reference it is
        given) under a fresh reference, drawn again while another ticket has
        it; the change stored. Other refusals are the caller's (Claimed,
        RateLimited)."""
        for _ in range(REFERENCE_ATTEMPTS):
            change = build(new_reference())
            try:
                self.create(change, claims(change) if claims else IntakeClaims(change.after.reference))
            except Claimed as taken:
                if taken.key.startswith("ref#"):
                    continue  # another ticket has this reference: draw again
                raise
            return change
        raise ServiceUnavailable("could not find a free reference; please send it again")

    def apply(
        self,
        ticket_id: str,
        decide: Decide,
        *,
        if_match: int | None = None,
        with_thread: bool = False,
        merged: bool = False,
        known: Ticket | None = None,
    ) -> Written:
        """Read the ticket (with its thread if the decision needs it), decide,
        write; again from a fresh read if someone changed it meanwhile. With
        If-Match, a change made meanwhile is the caller's to see (412).
        `merged`: the thread with the tickets merged into it (their own
        collections). `known`: the ticket as the caller already holds it,
        decided on first without a read (its version guards the write like
        any read's)."""
        started, attempt = self._clock.now(), 0
        while True:
            collection = self._store.collection(ticket_id, merged=merged) if with_thread else None
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
                if self._clock.now() - started >= CONTENDED_BUDGET:
                    log.warning("ticket too busy to change", extra={"ticket_id": ticket_id, "attempts": attempt + 1})
                    raise ServiceUnavailable(
                        "the ticket is being changed by many at once; please send it again", retry_after_seconds=1
                    ) from None
                pause = min(MAX_CONTENDED_PAUSE, FIRST_CONTENDED_PAUSE * 2 ** min(attempt, 10))
                self._clock.sleep(random.uniform(0, pause))
                attempt += 1
                continue
            return Written(change.after, change, collection)

    def _commit(self, change: Change, claims: IntakeClaims | None) -> str:
        """One transaction, idempotent by its token. When DynamoDB's answer
        is lost, the outcome is unknown: the same transaction (same token) is
        sent again until DynamoDB answers, for UNKNOWN_OUTCOME_BUDGET, since
        within ten minutes of a commit DynamoDB answers a repeat of it with
        success and does nothing. A refusal of a repeat is looked into: our
        own entry stored means the first attempt committed. So the caller
        hears "not stored" (ServiceUnavailable) only when it was not, unless
        DynamoDB stays silent for the whole budget."""
        after = change.after
        sk = entry_key(after.updated_at, after.version)
        token = hashlib.sha256(f"{after.id}#{after.version}#{after.updated_at.isoformat()}".encode()).hexdigest()[:36]
        started, pause, sent = self._clock.now(), FIRST_PAUSE_SECONDS, 0
        while True:
            sent += 1
            try:
                return self._store.commit(change, intake=claims, token=token)
            except Refused as refusal:
                if (sent > 1 or refusal.after_retry) and self._store.entry_exists(after.id, sk):
                    return sk  # our own earlier commit
                raise
            except Unavailable as error:
                log.warning("ticket write not acknowledged", extra={"ticket_id": after.id, "error": str(error)})
                if self._clock.now() - started >= UNKNOWN_OUTCOME_BUDGET:
                    if self._committed(after.id, sk):
                        return sk
                    raise ServiceUnavailable() from error
            self._clock.sleep(pause)
            pause = min(pause * 2, 2.0)

    def _committed(self, ticket_id: str, sk: str) -> bool:
        try:
            return self._store.entry_exists(ticket_id, sk)
        except Exception:  # still unreachable: nothing can be said to have been written
            return False
