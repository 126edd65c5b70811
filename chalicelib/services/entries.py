"""Thread entries, built the same way wherever a ticket changes."""
from __future__ import annotations

import itertools
import secrets
from dataclasses import asdict
from datetime import datetime, timedelta

from ..adapters.mailer import new_message_id
from ..adapters.store import PENDING
from ..adapters.tables import Entry
from ..domain.emails import Email

# The request that writes an outgoing email sends it at once; the outbox
# sweeper only takes what is still pending after this grace period.
SEND_GRACE = timedelta(minutes=2)


_WRITES = itertools.count()


def sort_key(now: datetime) -> str:
    # Time order first; within one instant, the order this process created
    # them in; the random tail keeps two containers' writes apart.
    return f"{now:%Y-%m-%dT%H:%M:%S.%f}Z#{next(_WRITES) % 10**8:08d}{secrets.token_hex(2)}"


def event_entry(ticket_id: str, now: datetime, event: str, actor: str, **data) -> Entry:
    return Entry(ticket_id, sort_key(now), kind="event", created_at=now, author=actor,
                 event=event, data=data)


def outgoing_entry(ticket_id: str, now: datetime, email: Email, *, sender: str,
                   author: str, kind: str = "message", message_id: str | None = None) -> Entry:
    """An email to send, stored first: `message` to the customer, `notice` to operators."""
    rendered = asdict(email) | {"message_id": message_id or new_message_id(sender)}
    return Entry(ticket_id, sort_key(now), kind=kind, direction="out", created_at=now,
                 author=author, body=email.text, email=rendered, outbox=PENDING,
                 next_attempt_at=now + SEND_GRACE, attempts=0)
