"""`on_mail_event`: SES's bounces and complaints, through the SNS topic the
stage's configuration set publishes to. Each permanently bounced or
complaining address is marked on its customer record, and the delivery of
every later email to it is refused with the reason (services/delivery.py),
which the ticket view shows. Marking is idempotent: SNS may deliver twice."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..adapters.store.customers import CustomerStore
from ..clock import Clock
from ..domain.mail_events import undeliverable
from ..log import logger

log = logger(__name__)


class MailEvents:
    def __init__(self, customers: CustomerStore, clock: Clock) -> None:
        self._customers = customers
        self._clock = clock

    def handle(self, event: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
        """An SNS invocation; the addresses marked. A store failure raises, so
        Lambda retries the invocation (then its dead-letter queue keeps it)."""
        marked = []
        for record in event.get("Records", ()):
            try:
                message = json.loads(record["Sns"]["Message"])
            except (KeyError, TypeError, ValueError):
                log.error("not an SES event: ignored", extra={"event": "mail_event.unreadable"})
                continue
            stop = undeliverable(message) if isinstance(message, dict) else []
            if not stop:
                log.info(
                    "mail event needs nothing",
                    extra={
                        "event": "mail_event.ignored",
                        "kind": message.get("eventType") or message.get("notificationType")
                        if isinstance(message, dict)
                        else None,
                    },
                )
            for address in stop:
                self._customers.mark_bounced(address.email, self._clock.now(), address.reason)
                log.warning(
                    "address marked: no more mail to it",
                    extra={"event": f"mail_event.{address.reason}", "detail": address.detail},
                )
                marked.append({"email": address.email, "reason": address.reason})
        return {"marked": marked}
