"""Purchase history beside a ticket: the customer's recent orders and the
order the ticket names, read from the shop's store when an operator opens
the ticket (its own call, after the ticket: a slow store never holds the
ticket up), and the values of `{{order_status}}` and `{{tracking_url}}`.

The store is asked with a hard deadline (the stage's timeout), each answer
is kept briefly per container, and after a failure the store is not asked
again for a short pause: a store that is down costs each ticket view
nothing, and the page says why there are no orders."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Late
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..adapters.commerce import StoreUnavailable
from ..adapters.store.tickets import TicketStore
from ..clock import Clock, iso
from ..config import Settings
from ..domain.commerce import Lookup, belongs_to
from ..domain.errors import FieldError, InvalidInput, NotFound, ServiceUnavailable
from ..domain.macros import ORDER_PLACEHOLDERS, placeholders
from ..domain.ticket import Ticket
from ..log import logger
from ..views.purchases import order_status_words, order_view, other_customers_order, unavailable_view

log = logger(__name__)

FRESH = timedelta(minutes=2)  # an answer is reused this long: an operator moving between tickets asks once
PAUSE = timedelta(seconds=30)  # after a failure the store is left alone this long
KEPT = 500  # answers kept per container before the stale ones go
# Store calls run here so that a request waits at most the deadline, however the store trickles.
_calls = ThreadPoolExecutor(max_workers=4, thread_name_prefix="store")


class Shop(Protocol):
    platform: str

    def lookup(self, email: str, order_id: str | None) -> Lookup: ...


class Unavailable(Exception):
    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


class PurchaseHistory:
    def __init__(self, settings: Settings, clock: Clock, store: TicketStore, shop: Shop | None) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._shop = shop
        self._answers: dict[tuple[str, str], tuple[datetime, Lookup]] = {}
        self._paused: tuple[datetime, str] | None = None  # (until, why)
        self._lock = threading.Lock()

    def for_ticket(self, ticket_id: str) -> dict[str, Any]:
        """GET /tickets/{id}/orders: what the store says about the ticket's customer."""
        ticket = self._store.ticket(ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket {ticket_id}", field="ticket_id")
        now = self._clock.now()
        base: dict[str, Any] = {
            "platform": self._shop.platform if self._shop else None,
            "order_id": ticket.details["order_id"],
            "orders": [],
            "named": None,
            "named_state": None,
            "server_time": iso(now),
        }
        if self._shop is None:
            return base | {"state": "not_configured"}
        if ticket.erased:
            return base | {"state": "no_customer"}
        try:
            fetched_at, lookup = self._lookup(ticket)
        except Unavailable as failed:
            retry = max(1, int((failed.until - now).total_seconds()))
            return base | unavailable_view(self._shop.platform, failed.reason, retry, now)
        named, named_state = None, None
        if ticket.details["order_id"]:
            if lookup.named is None:
                named_state = "not_found"
            elif belongs_to(lookup.named, ticket.customer_email):
                named, named_state = order_view(lookup.named), "found"
            else:
                named, named_state = other_customers_order(lookup.named), "other_customer"
        return base | {
            "state": "ok",
            "fetched_at": iso(fetched_at),
            "orders": [order_view(o) for o in lookup.recent],
            "named": named,
            "named_state": named_state,
        }

    def placeholder_values(self, ticket: Ticket, template: str, field: str) -> dict[str, str | None]:
        """`{{order_status}}` and `{{tracking_url}}` for a reply from `template`
        (nothing is asked of the store when the template uses neither)."""
        wanted = ORDER_PLACEHOLDERS & set(placeholders(template))
        if not wanted:
            return {}
        if self._shop is None:
            raise InvalidInput(
                [FieldError(field, f"{_listed(wanted)} need a connected shop (stage settings: commerce)")]
            )
        if not ticket.details["order_id"]:
            return {}  # rendering says the ticket has no order to fill them from
        try:
            _, lookup = self._lookup(ticket)
        except Unavailable as failed:
            raise ServiceUnavailable(
                f"the shop {failed.reason}, so {_listed(wanted)} cannot be filled in now: "
                "try again in a minute or write it yourself",
                retry_after_seconds=max(1, int((failed.until - self._clock.now()).total_seconds())),
                field=field,
            ) from None
        order = lookup.named
        if order is None or not belongs_to(order, ticket.customer_email):
            raise InvalidInput(
                [
                    FieldError(
                        field,
                        f"{_listed(wanted)} need the ticket's order, and the shop has no order "
                        f"{ticket.details['order_id']} of {ticket.customer_email}",
                    )
                ]
            )
        return {
            "order_status": order_status_words(order.status, ticket.details["locale"], self._settings.locale),
            "tracking_url": order.tracking_url,
        }

    def _lookup(self, ticket: Ticket) -> tuple[datetime, Lookup]:
        assert self._shop is not None
        key = (ticket.customer_email.lower(), (ticket.details["order_id"] or "").strip())
        now = self._clock.now()
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None and now - kept[0] < FRESH:
                return kept
            if self._paused is not None and now < self._paused[0]:
                raise Unavailable(self._paused[1], self._paused[0])
        deadline = self._settings.commerce.timeout_seconds if self._settings.commerce else 2.5
        call = _calls.submit(self._shop.lookup, key[0], key[1] or None)
        try:
            lookup = call.result(timeout=deadline)
        except Late:
            reason = f"did not answer within {deadline:g} s"
        except StoreUnavailable as error:
            reason = str(error)
        except Exception:  # the credentials could not be read, or the adapter met what it never expected
            log.exception("asking the store failed")
            reason = "could not be asked (see the log)"
        else:
            with self._lock:
                if len(self._answers) >= KEPT:
                    self._answers = {k: v for k, v in self._answers.items() if now - v[0] < FRESH}
                self._answers[key] = (now, lookup)
                self._paused = None
            return now, lookup
        log.warning("the store %s", reason)
        until = self._clock.now() + PAUSE
        with self._lock:
            self._paused = (until, reason)
        raise Unavailable(reason, until)


def _listed(names: set[str] | frozenset[str]) -> str:
    return " and ".join("{{" + name + "}}" for name in sorted(names))
