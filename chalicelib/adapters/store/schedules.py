"""What the timers read and flag: tickets whose next timed action is due
(a sparse, sharded index of the ticket's wake), and schedules Scheduler did
not take, flagged in the ticket's collection until the reconciler repairs them."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from ...clock import iso
from ..tables import SHARDS, TicketTable
from .items import shard

REPAIR_SK = "~repair"  # after every entry in the ticket's collection


class ScheduleStore:
    def due_wakes(self, *, kind: str, since: datetime | None, until: datetime) -> list[str]:
        """Ids of tickets whose next timed action of a kind ("sla" or
        "life") falls in [since, until], from every shard."""
        ids: list[str] = []
        for n in range(SHARDS):
            condition = (
                TicketTable.wake_at.between(f"{iso(since)}#", f"{iso(until)}#~")
                if since
                else TicketTable.wake_at <= f"{iso(until)}#~"
            )
            ids += [key.pk for key in TicketTable.by_wake.query(f"{kind}#{n}", condition)]
        return ids

    def flag_schedule_repair(self, ticket_id: str, disarm: str | None, now: datetime) -> None:
        TicketTable(
            ticket_id,
            REPAIR_SK,
            kind="repair",
            mail=disarm,
            created_at=now,
            updated_at=now,
            g_retry=f"repair#{shard(ticket_id)}",
            retry_at=f"{iso(now)}#{ticket_id}",
        ).save()

    def schedule_repairs(self) -> list[tuple[str, str | None]]:
        """(ticket id, schedule to delete) of every change whose schedule did not take."""
        found: list[tuple[str, str | None]] = []
        for n in range(SHARDS):
            for key in TicketTable.by_retry.query(f"repair#{n}"):
                try:
                    found.append((key.pk, TicketTable.get(key.pk, REPAIR_SK, consistent_read=True).mail))
                except DoesNotExist:
                    continue
        return found

    def repaired(self, ticket_id: str) -> None:
        TicketTable(ticket_id, REPAIR_SK).delete()
