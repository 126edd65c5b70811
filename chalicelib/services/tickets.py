"""Operator work on tickets: read, list, change, reply, note, log calls; a
customer's emailed message and rating. Every change goes through the one
writer; the view answers from what the change wrote."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..adapters.secrets import SigningKey
from ..adapters.store.directory import DirectoryStore
from ..adapters.store.items import StoredEntry, entry_key
from ..adapters.store.postings import PostingStore
from ..adapters.store.tickets import Collection, TicketStore
from ..clock import Clock, iso
from ..config import Settings
from ..domain import cursor as cursors
from ..domain import listing, search
from ..domain import ticket as tickets
from ..domain.errors import FieldError, InvalidInput, NotFound
from ..domain.listing import FILTERS
from ..domain.macros import ORDER_PLACEHOLDERS, first_name, placeholders, render
from ..domain.ticket import Actor, Ticket
from ..domain.validation import check, one_of
from ..views.tickets import summary, ticket_view
from .directory import display_name
from .writer import TicketWriter, Written

if TYPE_CHECKING:
    from .purchases import PurchaseHistory


class TicketService:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: TicketStore,
        directory: DirectoryStore,
        postings: PostingStore,
        writer: TicketWriter,
        signing_key: SigningKey,
        purchases: Callable[[], PurchaseHistory] | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._directory = directory
        self._postings = postings
        self._writer = writer
        self._signing_key = signing_key
        self._purchases = purchases  # built when a reply first uses {{order_status}} or {{tracking_url}}

    @property
    def _rules(self) -> tickets.Rules:
        return self._settings.ticket_rules

    # Reading

    def get(self, ticket_id: str) -> dict[str, Any]:
        collection = self._store.collection(ticket_id)
        if collection is None:
            raise NotFound(f"no ticket {ticket_id}", field="ticket_id")
        return self.view(collection)

    def list(
        self, filters: Mapping[str, str], limit: int, cursor: str | None, *, q: str | None = None, sort: str = "newest"
    ) -> dict[str, Any]:
        unknown = [
            FieldError(name, one_of(values))
            for name, values in (("status", tickets.STATUSES), ("priority", tickets.PRIORITIES))
            if filters.get(name) not in (None, *values)
        ]
        if unknown:
            raise InvalidInput(unknown)
        given = {k: filters[k] for k in FILTERS if filters.get(k)}
        if q is not None and q.strip():
            return self._search(q, given, limit, cursor)
        chosen = listing.plan(given, sort)
        scope = "&".join(f"{k}={v}" for k, v in sorted(given.items())) + ("&sort=sla" if sort == "sla" else "")
        state = (
            listing.State.from_json(cursors.decode(cursor, scope, self._signing_key.accepted()), len(chosen.streams))
            if cursor
            else listing.State.start(len(chosen.streams))
        )
        values, state, reads = listing.page(chosen, state, limit, self._store.index_reader(chosen))
        next_cursor = None if state.finished else cursors.encode(state.to_json(), scope, self._signing_key())
        return self._page([listing.ticket_id(v) for v in values], given, next_cursor, reads, open_only=sort == "sla")

    def _search(self, q: str, given: Mapping[str, str], limit: int, cursor: str | None) -> dict[str, Any]:
        """Every word of `q` (and every filter), newest first, from the
        search index: postings intersected, never a scan."""
        if "callback" in given:
            raise InvalidInput(
                [
                    FieldError(
                        "q",
                        "searches with status, priority, assignee, category and tag filters; not the callback queue",
                    )
                ]
            )
        terms = search.query_terms(q, given)
        scope = "q=" + "&".join(terms)
        below = cursors.decode(cursor, scope, self._signing_key.accepted()).get("below") if cursor else None
        if cursor and not isinstance(below, str):
            raise InvalidInput([FieldError("cursor", "is not a cursor from this listing")])
        found = listing.intersect(len(terms), below, limit, self._postings.search_reader(terms))
        next_cursor = cursors.encode({"below": found.below}, scope, self._signing_key()) if found.below else None
        page = self._page(found.ids, given, next_cursor, found.entries)
        page["read"]["queries"] = found.queries
        return page

    def _page(
        self, ids: Sequence[str], given: Mapping[str, str], next_cursor: str | None, reads: int, open_only: bool = False
    ) -> dict[str, Any]:
        found = self._store.tickets(ids)
        # An index follows its table within moments: a ticket that has just
        # left this listing is not shown in it.
        items = [
            summary(t, self._clock.now())
            for t in (found.get(i) for i in ids)
            if t is not None and _matches(t, given) and (t.is_open or not open_only)
        ]
        return {
            "items": items,
            "next_cursor": next_cursor,
            "server_time": iso(self._clock.now()),
            "read": {"index_entries": reads, "returned": len(items)},
        }

    # Changing

    def patch(self, ticket_id: str, body: object, if_match: int | None, actor: Actor) -> dict[str, Any]:
        check("ticket-patch", body)
        assert isinstance(body, dict)
        if body.get("category") is not None and body["category"] not in self._settings.categories:
            raise InvalidInput([FieldError("category", one_of(self._settings.categories))])
        rules = self._rules
        return self._answer(
            self._writer.apply(
                ticket_id,
                lambda t, c, now: tickets.update(t, actor=actor, fields=body, now=now, rules=rules),
                if_match=if_match,
                with_thread=True,
            )
        )

    def reply(
        self, ticket_id: str, body: object, actor: Actor, files: tuple[Mapping[str, Any], ...] = ()
    ) -> dict[str, Any]:
        """An operator's answer, emailed. `macro` starts from a shared answer,
        placeholders are filled per ticket, `offer` adds a goodwill gesture,
        `files` (services/attachments.py's checked uploads) go with the email."""
        return self._answer(self._writer.apply(ticket_id, self._replying(body, actor, files), with_thread=True))

    def preview(self, ticket_id: str, body: object, actor: Actor, compose: Callable[..., Any]) -> dict[str, Any]:
        """The reply as the customer would get it, stored nowhere: the decision
        a reply makes, composed as the stream consumer composes the email
        (`compose` is services.delivery's)."""
        decide = self._replying(body, actor)
        collection = self._store.collection(ticket_id)
        if collection is None:
            raise NotFound(f"no ticket {ticket_id}", field="ticket_id")
        now = self._clock.now()
        change = decide(collection.ticket, collection, now)
        entry = StoredEntry(entry_key(now, change.after.version), now, change.entry)
        email = compose(
            "reply", "customer", Collection(change.after, collection.entries, collection.deliveries), entry, now
        )
        return {"body": change.entry.body, "subject": email.subject, "text": email.text}

    def _replying(
        self, body: object, actor: Actor, files: tuple[Mapping[str, Any], ...] = ()
    ) -> Callable[[Ticket, Collection | None, datetime], tickets.Change]:
        check("reply", body)
        assert isinstance(body, dict)
        typed = (body.get("body") or "").strip()
        macro = None
        if body.get("macro"):
            macro = self._directory.get_macro(body["macro"])
            if macro is None:
                raise InvalidInput([FieldError("macro", "no such macro")])
        if typed:
            template, source = typed, "body"
        elif macro is not None and macro.body is not None:  # a macro always has a body (its schema)
            template, source = macro.body, "macro"
        else:
            raise InvalidInput([FieldError("body", "is required (or name a macro)")])
        rules, operator_name = self._rules, display_name(self._directory, actor.email)

        def decide(ticket: Ticket, _: Collection | None, now: datetime) -> tickets.Change:
            values = {
                "first_name": first_name(ticket.customer_name),
                "name": ticket.customer_name,
                "reference": ticket.reference,
                "order_id": ticket.order_id,
                "brand": self._settings.brand,
                "operator_name": operator_name,
            }
            if self._purchases is not None and ORDER_PLACEHOLDERS & set(placeholders(template)):
                values |= self._purchases().placeholder_values(ticket, template, source)
            text = render(template, values, source)
            return tickets.reply(
                ticket,
                actor=actor,
                text=text,
                now=now,
                rules=rules,
                resolve=bool(body.get("resolve")),
                offer=body.get("offer"),
                macro=macro.name if macro else None,
                attachments=files,
            )

        return decide

    def note(self, ticket_id: str, body: object, actor: Actor) -> dict[str, Any]:
        check("note", body)
        assert isinstance(body, dict)
        rules = self._rules
        return self._answer(
            self._writer.apply(
                ticket_id,
                lambda t, c, now: tickets.note(t, actor=actor, text=body["body"], now=now, rules=rules),
                with_thread=True,
            )
        )

    def log_call(self, ticket_id: str, body: object, actor: Actor) -> dict[str, Any]:
        """A phone call with the customer: reaching them completes a requested
        callback and is the first response."""
        check("call", body)
        assert isinstance(body, dict)
        rules = self._rules
        return self._answer(
            self._writer.apply(
                ticket_id,
                lambda t, c, now: tickets.log_call(
                    t, actor=actor, outcome=body["outcome"], summary=body.get("summary") or "", now=now, rules=rules
                ),
                with_thread=True,
            )
        )

    def rate(self, ticket_id: str, rating: Mapping[str, Any]) -> Ticket:
        """The customer's rating (again, if they change their mind)."""
        rules = self._rules
        return self._writer.apply(
            ticket_id, lambda t, c, now: tickets.rate(t, rating=rating, now=now, rules=rules)
        ).ticket

    def customer_wrote(
        self,
        ticket_id: str,
        text: str,
        *,
        message_id: str | None = None,
        subject: str | None = None,
        attachments: tuple[Mapping[str, Any], ...] = (),
    ) -> Written:
        rules = self._rules
        return self._writer.apply(
            ticket_id,
            lambda t, c, now: tickets.customer_wrote(
                t, text=text, now=now, rules=rules, subject=subject, message_id=message_id, attachments=attachments
            ),
        )

    def link(self, ticket_id: str, continued_in: str, reference: str) -> None:
        """A closed ticket the customer wrote to again points to the new one (once)."""
        rules = self._rules
        self._writer.apply(
            ticket_id,
            lambda t, c, now: tickets.continued(
                t,
                [stored.entry for stored in c.entries] if c else (),
                ticket_id=continued_in,
                reference=reference,
                now=now,
                rules=rules,
            ),
            with_thread=True,
        )

    # Views

    def _answer(self, written: Written) -> dict[str, Any]:
        collection = written.collection
        assert collection is not None
        if written.change is not None:
            collection = self._store.collection(written.ticket.id) or collection
        return self.view(collection)

    def view(self, collection: Collection) -> dict[str, Any]:
        names = {agent.name: agent.display_name for agent in self._directory.roster() if agent.display_name}
        return ticket_view(collection, self._settings, self._clock.now(), names)


def _matches(ticket: Ticket, filters: Mapping[str, str]) -> bool:
    for name, value in filters.items():
        if name == "tag":
            if value not in ticket.tags:
                return False
        elif name == "callback":
            if not (ticket.is_open and ticket.callback and ticket.callback.get("status") == value):
                return False
        elif getattr(ticket, name) != value:
            return False
    return True
