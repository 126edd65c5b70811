"""Deliveries: the state of each email a change causes, an item in the
ticket's collection after the entry that caused it (sk "<entry sk>#mail#<n>").
Failed sends wait in a sparse, sharded index until their next attempt."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from ...clock import iso
from ..tables import SHARDS, TicketTable
from .items import refused, retried, shard


@dataclass(frozen=True)
class DeliveryRecord:
    """One email's delivery as stored."""

    ticket_id: str
    sk: str
    entry_sk: str
    mail: str
    to: str
    state: str  # sending | sent | retry | unconfirmed | refused | failed
    attempts: int
    message_id: str
    created_at: datetime
    retry_at: datetime | None = None
    last_error: str | None = None


def delivery_key(entry_sk: str, index: int) -> str:
    return f"{entry_sk}#mail#{index}"


def to_delivery(item: TicketTable) -> DeliveryRecord:
    retry_at = None
    if item.retry_at:
        retry_at = datetime.strptime(item.retry_at.split("#", 1)[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return DeliveryRecord(
        item.pk,
        item.sk,
        item.sk.split("#mail#", 1)[0],
        item.mail,
        item.to,
        item.state,
        int(item.attempts or 0),
        item.message_id,
        item.created_at,
        retry_at,
        item.last_error,
    )


class DeliveryStore:
    def claim_delivery(self, ticket_id: str, sk: str, mail: str, to: str, message_id: str, now: datetime) -> bool:
        """Take this email for sending; False if a delivery exists already (a
        redelivered stream record)."""
        nonce = uuid.uuid4().hex  # whose claim it is, should the answer to the write be lost
        item = TicketTable(
            ticket_id,
            sk,
            kind="delivery",
            mail=mail,
            to=to,
            state="sending",
            attempts=1,
            message_id=message_id,
            created_at=now,
            updated_at=now,
            event=nonce,
        )
        try:
            item.save(condition=TicketTable.sk.does_not_exist())
        except PutError as error:
            if refused(error) and not retried(error):
                return False  # another attempt at this email took it first
            # The answer was lost, or a retry of the put was refused: did our
            # first attempt happen all the same? Then the claim is ours.
            try:
                stored = TicketTable.get(ticket_id, sk, consistent_read=True)
            except DoesNotExist:
                raise error from None
            if stored.event != nonce:
                return False
        return True

    def retake_delivery(self, delivery: DeliveryRecord, now: datetime) -> bool:
        """Take a failed email for another attempt, unless someone else did."""
        try:
            TicketTable(delivery.ticket_id, delivery.sk).update(
                actions=[
                    TicketTable.state.set("sending"),
                    TicketTable.attempts.add(1),
                    TicketTable.updated_at.set(now),
                    TicketTable.g_retry.remove(),
                    TicketTable.retry_at.remove(),
                ],
                condition=(TicketTable.state == "retry") & (TicketTable.attempts == delivery.attempts),
            )
        except UpdateError as error:
            if refused(error):
                return False
            raise
        return True

    def settle_delivery(
        self,
        ticket_id: str,
        sk: str,
        state: str,
        now: datetime,
        *,
        ses_id: str | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        actions: list[Action] = [TicketTable.state.set(state), TicketTable.updated_at.set(now)]
        actions.append(TicketTable.ses_id.set(ses_id) if ses_id else TicketTable.ses_id.remove())
        actions.append(TicketTable.last_error.set(error[:500]) if error else TicketTable.last_error.remove())
        if retry_at is not None:
            actions += [
                TicketTable.g_retry.set(f"retry#{shard(ticket_id)}"),
                TicketTable.retry_at.set(f"{iso(retry_at)}#{ticket_id}"),
            ]
        else:
            actions += [TicketTable.g_retry.remove(), TicketTable.retry_at.remove()]
        TicketTable(ticket_id, sk).update(actions=actions)

    def deliveries_due(self, now: datetime, limit: int = 50) -> list[DeliveryRecord]:
        """Failed emails whose next attempt is due: up to `limit` from each shard."""
        found: list[DeliveryRecord] = []
        for n in range(SHARDS):
            for key in TicketTable.by_retry.query(f"retry#{n}", TicketTable.retry_at <= f"{iso(now)}#~", limit=limit):
                try:
                    found.append(to_delivery(TicketTable.get(key.pk, key.sk, consistent_read=True)))
                except DoesNotExist:
                    continue
        return [d for d in found if d.state == "retry"]

    def deliveries_waiting(self) -> int:
        """Emails waiting for another attempt, due or not (the index holds exactly those)."""
        return sum(TicketTable.by_retry.count(f"retry#{n}") for n in range(SHARDS))
