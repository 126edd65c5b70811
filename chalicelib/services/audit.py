"""The audit trail: `record(actor, kind, subject, detail)` is the one way
any use case leaves a trace (exports, erasures, roster and role changes,
macros and views today; merges and spam marks call it too), and admins read
it newest first, by person or kind (GET /audit). Each record is kept the
stage's `audit_retention_days`, then DynamoDB's TTL removes it."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ..adapters.secrets import SigningKey
from ..adapters.store.audit import AuditStore
from ..adapters.tables import AuditRecord
from ..clock import Clock, iso
from ..domain import cursor as cursors
from ..domain.audit import KINDS
from ..domain.errors import FieldError, InvalidInput
from ..domain.ticket import Actor
from ..domain.validation import one_of

PAGE = 50
_sequence = itertools.count()  # orders one container's records made in the same instant


class AuditTrail:
    def __init__(self, store: AuditStore, clock: Clock, retention_days: int, signing_key: SigningKey) -> None:
        self._store = store
        self._clock = clock
        self._retention = timedelta(days=retention_days)
        self._signing_key = signing_key

    def record(self, actor: Actor, kind: str, subject: str, detail: Mapping[str, Any] | None = None) -> None:
        """Who (`actor`), what (`kind`, one of domain/audit.py's), to what
        (`subject`), with what else matters (`detail`, small JSON). Never a
        customer's address: name them by ticket.erased_alias."""
        if kind not in KINDS:
            raise ValueError(f"audit kind {kind!r} is not one of domain/audit.py KINDS")
        now = self._clock.now()
        at = f"{now.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{next(_sequence) % 10**6:06d}{secrets.token_hex(2)}"
        self._store.put(
            AuditRecord(
                at=at,
                actor=actor.label,
                kind=kind,
                subject=subject,
                detail=dict(detail or {}),
                expires_at=now + self._retention,
            )
        )

    def list(self, person: str | None, kind: str | None, cursor: str | None, limit: int = PAGE) -> dict[str, Any]:
        """Newest first; `person`: what they did and what was done to them (an address)."""
        if kind and kind not in KINDS:
            raise InvalidInput([FieldError("kind", one_of(KINDS))])
        person = person.strip().lower() if person and person.strip() else None
        scope = f"audit&person={person or ''}&kind={kind or ''}"
        below = cursors.decode(cursor, scope, self._signing_key.accepted()).get("below") if cursor else None
        if cursor and not isinstance(below, str):
            raise InvalidInput([FieldError("cursor", "is not a cursor from this listing")])
        records, more = self._store.newest(person, kind, below, limit)
        return {
            "items": [_record(r) for r in records],
            "next_cursor": cursors.encode({"below": more}, scope, self._signing_key()) if more else None,
            "kinds": KINDS,
            "retention_days": self._retention.days,
            "server_time": iso(self._clock.now()),
        }


def _record(record: AuditRecord) -> dict[str, Any]:
    return {
        "at": record.at[:19] + "Z",  # to the second, as every time the API gives
        "actor": record.actor,
        "kind": record.kind,
        "what": KINDS.get(record.kind, record.kind),
        "subject": record.subject,
        "detail": record.detail or {},
    }
