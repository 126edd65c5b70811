"""Effects redone, never lost: the reconcile job's part besides the
schedules (services/timers.py). Two ways back, both through the stream
consumer's `redo`, which does a change's effects again for the ticket as it
is now and skips a change settled meanwhile:

1. The on-failure queue. When Lambda's event source mapping gives up on a
   batch (after its retries), it sends the batch's position there: the
   shard and the first and last sequence numbers, not the records. The
   range is read again from the stream, which keeps records 24 hours.
2. The redo markers. A change's entry whose effects are not all done stays
   on the `by_retry` index until the consumer settles it (store/items.py).
   Entries still there REDO_AFTER after their change are done again: this
   finds what the queue cannot (a range the stream no longer holds, a
   record that never reached the queue).

Every effect is idempotent by its own key (an email's claim, a schedule's
name, an event's id, the settlement's condition), so a change redone while
the stream is still at it, or twice, does nothing twice."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from ..adapters import queue
from ..adapters.store.tickets import TicketStore
from ..adapters.stream import read_range
from ..clock import Clock
from ..config import Settings
from ..log import logger
from .consumer import Consumer, pending_of

log = logger(__name__)
# The stream delivers a change within seconds; Lambda's own retries of a
# failing batch take a few minutes. An entry unsettled this long is redone.
REDO_AFTER = timedelta(minutes=5)
ROUNDS = 10  # of up to 10 messages each, per run: a run stays short; the next one goes on


class Recovery:
    def __init__(self, settings: Settings, clock: Clock, store: TicketStore, consumer: Consumer) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._consumer = consumer

    def run(self) -> dict[str, int]:
        """Both ways back; what each redid. Logs `redo_backlog`: the changes
        still unsettled after this run (they are tried again next run)."""
        done = {"ranges": self.redo_failed_batches(), "changes": self.redo_unsettled()}
        backlog = sum(len(sks) for sks in self._store.unsettled(self._clock.now() - REDO_AFTER).values())
        log.info("effects redone", extra={**done, "redo_backlog": backlog})
        return done

    def redo_failed_batches(self) -> int:
        """The ranges Lambda gave up on, read again and done; how many."""
        arn = self._settings.change_failures_arn
        if not arn:
            return 0
        done = 0
        for _ in range(ROUNDS):
            messages = queue.receive(arn)
            if not messages:
                break
            for message in messages:
                batch = _batch_info(message["body"])
                if batch is None:
                    log.error("not an on-failure record; dropped", extra={"body": message["body"][:300]})
                    queue.delete(arn, message["receipt"])
                    continue
                records = read_range(
                    batch["streamArn"], batch["shardId"], batch["startSequenceNumber"], batch["endSequenceNumber"]
                )
                if records is None:
                    log.warning("failed range no longer in the stream; the redo markers find its changes", extra=batch)
                elif not self._consumer.redo(pending_of(records)):
                    continue  # hidden for a while, then received again
                queue.delete(arn, message["receipt"])
                done += 1
        return done

    def redo_unsettled(self) -> int:
        """Changes left unsettled REDO_AFTER or longer, done again ticket by
        ticket, oldest first; how many were done."""
        done = 0
        for ticket_id, sks in self._store.unsettled(self._clock.now() - REDO_AFTER).items():
            collection = self._store.collection(ticket_id)
            wanted = set(sks)
            entries = [e for e in collection.entries if e.sk in wanted and e.unsettled] if collection else []
            if entries and self._consumer.redo([(ticket_id, entry) for entry in entries]):
                done += len(entries)
        return done


def _batch_info(body: str) -> dict[str, Any] | None:
    """The failed batch's position in an on-failure record (DDBStreamBatchInfo)."""
    try:
        info = json.loads(body).get("DDBStreamBatchInfo")
    except (ValueError, AttributeError):
        return None
    keys = ("streamArn", "shardId", "startSequenceNumber", "endSequenceNumber")
    if not isinstance(info, dict) or not all(isinstance(info.get(k), str) for k in keys):
        return None
    return info
