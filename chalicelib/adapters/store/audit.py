"""The audit trail, in the `audit` table: written once per record, read
newest first, whole, by kind, or for one person (what they did, by_actor,
and what was done to them, by_subject, merged)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from itertools import islice

from ..tables import AuditRecord

TRAIL = "audit"


class AuditStore:
    def put(self, record: AuditRecord) -> None:
        record.trail = TRAIL
        record.save()

    def newest(
        self, person: str | None, kind: str | None, below: str | None, limit: int
    ) -> tuple[list[AuditRecord], str | None]:
        """Up to `limit` records older than `below`, newest first, and where the next page starts (None: no more)."""
        condition = AuditRecord.at < below if below else None
        of_kind = (AuditRecord.kind == kind) if kind else None
        found: Iterable[AuditRecord]
        if person:
            by, about = (
                index.query(person, condition, filter_condition=of_kind, scan_index_forward=False, page_size=limit + 1)
                for index in (AuditRecord.by_actor, AuditRecord.by_subject)
            )
            merged = heapq.merge(by, about, key=lambda r: r.at, reverse=True)
            found = (r for r, previous in _pairs(merged) if previous is None or r.at != previous.at)
        elif kind:
            found = AuditRecord.by_kind.query(kind, condition, scan_index_forward=False, limit=limit + 1)
        else:
            found = AuditRecord.query(TRAIL, condition, scan_index_forward=False, limit=limit + 1)
        page = list(islice(found, limit + 1))  # one more than asked: whether another page follows
        return page[:limit], (page[limit - 1].at if len(page) > limit else None)


def _pairs(records: Iterable[AuditRecord]) -> Iterable[tuple[AuditRecord, AuditRecord | None]]:
    """Each record with the one before it (a record by and about the same person comes twice)."""
    previous = None
    for record in records:
        yield record, previous
        previous = record
