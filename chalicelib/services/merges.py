"""Merging and splitting tickets: changes that touch two tickets.

A ticket change is one transaction on one ticket (services/writer.py), so a
merge or a split is two changes, ordered so that a failure between them
never loses a message, and each one's entry names the other half
(`Effects.counterpart`), which the stream consumer does again until it is
done (`complete`; the redo machinery guarantees a change's effects):

- merge: the target first (it reads the source's thread as its own from
  then on, and claims the source: `merge#<source>`), then the source closes
  with `merged_into`. Between the two, the source's messages show on both.
- split: the new ticket first (with a copy of the message, claiming it:
  `split#<holder>#<entry>`), then the message is marked moved on the old
  ticket. Between the two, the message shows on both.

Both are idempotent: the same merge or split again finds its claim and
finishes what is left."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any

from ..adapters.store.claims import ClaimStore
from ..adapters.store.items import StoredEntry
from ..adapters.store.tickets import Claimed, Collection, MovedAlready, TicketStore
from ..clock import Clock
from ..config import Settings
from ..domain import ticket as tickets
from ..domain.errors import Conflict, FieldError, InvalidInput, NotFound
from ..domain.identifiers import new_ticket_id
from ..domain.ticket import Actor, Change, Ticket
from ..domain.validation import check
from ..log import logger
from .audit import AuditTrail
from .tickets import TicketService
from .writer import TicketWriter

log = logger(__name__)


def actor_of(label: str) -> Actor:
    """Who made a change, from its entry's author (the redo of its other half acts as them)."""
    return Actor("operator", label) if "@" in label else tickets.SYSTEM


class Merges:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: TicketStore,
        claims: ClaimStore,
        writer: TicketWriter,
        tickets_service: TicketService,
        audit: AuditTrail,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._claims = claims
        self._writer = writer
        self._tickets = tickets_service
        self._audit = audit

    @property
    def _rules(self) -> tickets.Rules:
        return self._settings.ticket_rules

    # Merge

    def merge(self, source_id: str, body: object, actor: Actor) -> dict[str, Any]:
        """The source joins the target (`{"into": id}`); the source's view
        after it (closed, `merged_into`). 409 for itself, a merged target,
        another customer's ticket, a source merged elsewhere."""
        check("merge", body)
        assert isinstance(body, dict)
        source = self._ticket(source_id, "ticket_id")
        target = self._ticket(body["into"], "into")
        _refuse(tickets.merge_refusal(source, target))
        rules = self._rules

        def take_in(current: Ticket, _: Collection | None, now: datetime) -> Change | None:
            _refuse(tickets.merge_refusal(source, current))  # the target as it is now
            return tickets.absorb(current, source, actor=actor, now=now, rules=rules)

        try:
            target = self._writer.apply(target.id, take_in, known=target).ticket  # as read: its version guards
        except Claimed:  # the claim and the target's change are one transaction: another target has it
            raise Conflict(f"{source.reference} is being merged into another ticket already", field="into") from None
        self._close_into(source.id, target, actor, known=source)
        self._audit.record(actor, "ticket.merged", target.reference, {"merged": source.reference})
        log.info("tickets merged", extra={"ticket_id": source.id, "event": "ticket.merged", "target": target.id})
        return self._tickets.get(source.id)

    def _close_into(self, source_id: str, target: Ticket, actor: Actor, known: Ticket | None = None) -> None:
        rules = self._rules

        def close(current: Ticket, _: Collection | None, now: datetime) -> Change | None:
            if current.merged_into not in (None, target.id):
                raise Conflict(f"{current.reference} was merged into another ticket already", field="into")
            return tickets.merge_away(current, target, actor=actor, now=now, rules=rules)

        self._writer.apply(source_id, close, known=known)

    # Split

    def split(self, ticket_id: str, body: object, actor: Actor) -> dict[str, Any]:
        """One customer message (`{"message": id}`) leaves the ticket and
        opens a new one for the same customer; the new ticket's view."""
        check("split", body)
        assert isinstance(body, dict)
        collection = self._store.collection(ticket_id)
        if collection is None:
            raise NotFound(f"no ticket {ticket_id}", field="ticket_id")
        ticket = collection.ticket
        if ticket.merged_into is not None:
            raise Conflict(f"{ticket.reference} was merged into another ticket: split there", field="ticket_id")
        visible = list(collection.everything())
        found = _message(visible, body["message"], ticket.id)
        if found is None:  # split off already (the same split again): finish it, answer the same ticket
            moved = next(((h, e) for h in collection.family() for e in h.entries if e.sk == body["message"]), None)
            if moved is not None and moved[1].moved_to is not None:
                return self._finish_split(ticket, moved[0].ticket.id, moved[1], moved[1].moved_to, actor)
            raise InvalidInput([FieldError("message", "is not a message of this ticket")])
        holder, stored = found
        entry = stored.entry
        if entry.kind != "message" or entry.direction != "in":
            raise InvalidInput([FieldError("message", "must be one of the customer's messages")])
        if sum(1 for _, s in visible if s.entry.kind == "message" and s.entry.direction == "in") < 2:
            raise Conflict("this is the ticket's only message from the customer: change the ticket instead")
        rules, now = self._rules, self._clock.now()
        new_id = new_ticket_id(now)

        def build(reference: str) -> Change:
            return tickets.split_off(
                ticket,
                entry,
                home=holder.ticket.id,
                sk=stored.sk,
                ticket_id=new_id,
                reference=reference,
                actor=actor,
                now=now,
                rules=rules,
                subject=body.get("subject"),
            )

        try:
            created = self._writer.open_new(build).after
            self._audit.record(actor, "ticket.split", ticket.reference, {"into": created.reference})
            created_id = created.id
        except Claimed:  # split already (or at this very moment): finish that one
            claim = self._claims.claim(f"split#{holder.ticket.id}#{stored.sk}")
            if claim is None or claim.ticket_id is None:
                raise Conflict("this message is being split off already; try again in a moment") from None
            created_id = claim.ticket_id
        return self._finish_split(ticket, holder.ticket.id, stored, created_id, actor)

    def _finish_split(self, ticket: Ticket, home: str, stored: StoredEntry, to_id: str, actor: Actor) -> dict[str, Any]:
        self._move_out(ticket.id, home, stored, to_id, actor)
        log.info("message split off", extra={"ticket_id": ticket.id, "event": "ticket.split", "target": to_id})
        return self._tickets.get(to_id)

    def _move_out(self, ticket_id: str, home: str, stored: StoredEntry, to_id: str, actor: Actor) -> None:
        new = self._store.ticket(to_id)
        if new is None:
            return
        rules = self._rules

        def mark(current: Ticket, collection: Collection | None, now: datetime) -> Change | None:
            assert collection is not None
            holder = next((h for h in collection.family() if h.ticket.id == home), None)
            now_stored = next((s for s in holder.entries if s.sk == stored.sk), None) if holder else None
            if now_stored is None or now_stored.moved_to is not None:
                return None  # moved already (this split, done before)
            return tickets.split_out(
                current, now_stored.entry, home=home, sk=stored.sk, to=new, actor=actor, now=now, rules=rules
            )

        with suppress(MovedAlready):  # the other half of this very split, done by someone else just now
            self._writer.apply(ticket_id, mark, with_thread=True, merged=True)

    # The other half, done again until done

    def complete(self, counterpart: Mapping[str, str], author: str) -> None:
        """A merge's or a split's second half (the stream consumer, for the
        first half's entry): nothing when it is done already."""
        actor = actor_of(author)
        if counterpart.get("kind") == "merge":
            target = self._store.ticket(counterpart["target"])
            if target is not None and counterpart["source"] in target.merged_from:
                self._close_into(counterpart["source"], target, actor)
        elif counterpart.get("kind") == "split":
            collection = self._store.collection(counterpart["ticket"])
            if collection is None:
                return
            holder = next((h for h in collection.family() if h.ticket.id == counterpart["home"]), None)
            stored = next((s for s in holder.entries if s.sk == counterpart["entry"]), None) if holder else None
            if stored is not None and stored.moved_to is None:
                self._move_out(counterpart["ticket"], counterpart["home"], stored, counterpart["to"], actor)

    def _ticket(self, ticket_id: str, field: str) -> Ticket:
        found = self._store.ticket(ticket_id)
        if found is None:
            raise NotFound(f"no ticket {ticket_id}", field=field)
        return found


def _refuse(reason: str | None) -> None:
    if reason is not None:
        raise Conflict(reason, field="into")


def _message(visible: list[tuple[Collection, StoredEntry]], sk: str, own: str) -> tuple[Collection, StoredEntry] | None:
    """The entry with this id in the thread as it reads (the ticket's own first)."""
    matches = [(h, s) for h, s in visible if s.sk == sk]
    return next((m for m in matches if m[0].ticket.id == own), matches[0] if matches else None)
