"""Presence: which operators have a ticket open, or are writing a reply to
it. One small item per operator in the ticket's collection (sort key
`~presence#<email>`, after every entry and delivery), put again while the
page stays open and gone after `expires_at`: DynamoDB's TTL removes it,
within days, so reads compare the time themselves. Not a ticket change: no
version, no entry; the stream's filter (INSERT with effects) passes it by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..tables import TicketTable

PREFIX = "~presence#"


@dataclass(frozen=True)
class Seen:
    email: str
    state: str  # viewing | typing
    since: datetime  # when this state began
    seen_at: datetime
    until: datetime


class PresenceStore:
    def put(self, ticket_id: str, seen: Seen) -> None:
        TicketTable(
            ticket_id,
            PREFIX + seen.email,
            kind="presence",
            author=seen.email,
            state=seen.state,
            created_at=seen.since,
            updated_at=seen.seen_at,
            expires_at=seen.until,
        ).save()

    def present(self, ticket_id: str, now: datetime) -> list[Seen]:
        """Who is on the ticket now (an item past its time is gone, whether
        or not DynamoDB has removed it yet)."""
        found = []
        for item in TicketTable.query(ticket_id, TicketTable.sk.startswith(PREFIX)):
            if item.expires_at is not None and item.expires_at > now:
                found.append(Seen(item.author, item.state, item.created_at, item.updated_at, item.expires_at))
        return found

    def remove(self, ticket_id: str, email: str) -> None:
        TicketTable(ticket_id, PREFIX + email).delete()
