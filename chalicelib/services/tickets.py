"""Operator work on tickets: read, list, change, reply, note, log calls; a
customer's emailed message and rating. Every change goes through the one
writer; the view answers from what the change wrote."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..adapters.store.directory import DirectoryStore
from ..adapters.store.items import StoredEntry, entry_key
from ..adapters.store.tickets import Collection, TicketStore
from ..adapters.tables import Directory
from ..clock import Clock
from ..config import Settings
from ..domain import ticket as tickets
from ..domain.errors import FieldError, InvalidInput, NotFound
from ..domain.inquiry import DETAILS
from ..domain.macros import ORDER_PLACEHOLDERS, first_name, placeholders, render
from ..domain.ticket import Actor, Ticket
from ..domain.validation import check, one_of
from ..views.i18n import resolve
from ..views.tickets import ticket_view
from .audit import AuditTrail
from .directory import display_name, macro_texts
from .writer import TicketWriter, Written

MAX_MERGE_HOPS = 10  # a chain of merges is short: each merge refuses a merged target

if TYPE_CHECKING:
    from .purchases import PurchaseHistory

# A ticket's move into or out of spam (domain/ticket/ entries) -> the audit trail's kind.
_SPAM_AUDIT = {"marked_spam": "ticket.marked_spam", "released": "ticket.unmarked_spam"}


class TicketService:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: TicketStore,
        directory: DirectoryStore,
        writer: TicketWriter,
        audit: AuditTrail,
        purchases: Callable[[], PurchaseHistory] | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._directory = directory
        self._writer = writer
        self._audit = audit
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

    # Changing

    def patch(self, ticket_id: str, body: object, if_match: int | None, actor: Actor) -> dict[str, Any]:
        check("ticket-patch", body)
        assert isinstance(body, dict)
        settings, rules = self._settings, self._rules

        def decide(ticket: Ticket, _: Collection | None, now: datetime) -> tickets.Change | None:
            errors = []
            if body.get("category") is not None and body["category"] not in settings.categories:
                errors.append(FieldError("category", one_of(settings.categories)))
            errors += tickets.follower_problems(
                body.get("cc") or (), customer=ticket.customer_email, own=settings.own_addresses
            )
            if errors:
                raise InvalidInput(errors)
            return tickets.update(ticket, actor=actor, fields=body, now=now, rules=rules)

        written = self._writer.apply(ticket_id, decide, if_match=if_match, with_thread=True)
        spam_move = _SPAM_AUDIT.get(written.change.entry.event) if written.change else None
        if spam_move:  # the sender is blocked or unblocked with it: who did that is the admins' to see
            self._audit.record(actor, spam_move, written.ticket.reference)
        return self._answer(written)

    def reply(
        self,
        ticket_id: str,
        body: object,
        actor: Actor,
        files: tuple[Mapping[str, Any], ...] = (),
        if_match: int | None = None,
    ) -> dict[str, Any]:
        """An operator's answer, emailed. `macro` starts from a shared answer,
        placeholders are filled per ticket, `offer` adds a goodwill gesture,
        `files` (services/attachments.py's checked uploads) go with the email.
        With `if_match`, a ticket changed meanwhile is 412 and nothing is sent
        (the operator reads what arrived first); without, the reply is
        applied on the ticket as it is."""
        return self._answer(
            self._writer.apply(ticket_id, self._replying(body, actor, files), if_match=if_match, with_thread=True)
        )

    def preview(self, ticket_id: str, body: object, actor: Actor, compose: Callable[..., Any]) -> dict[str, Any]:
        """The reply as the customer would get it, stored nowhere: the decision
        a reply makes, composed as the stream consumer composes the email
        (`compose` is services.delivery's). `language_missing`: the customer's
        language, when the macro has no text in it (its body stands in): the
        operator sees it before sending."""
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
        answer = {
            "body": change.entry.body,
            "subject": email.subject,
            "text": email.text,
            "cc": [address.addr_spec for address in email.cc],
        }
        assert isinstance(body, dict)  # checked by _replying
        macro = (
            self._directory.get_macro(body["macro"])
            if body.get("macro") and not (body.get("body") or "").strip()
            else None
        )
        missing = self._macro_text(macro, change.after)[1] if macro is not None else None
        return answer | ({"language_missing": missing} if missing else {})

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
        if not typed and (macro is None or macro.body is None):  # a macro always has a body (its schema)
            raise InvalidInput([FieldError("body", "is required (or name a macro)")])
        rules, operator_name = self._rules, display_name(self._directory, actor.email)

        def decide(ticket: Ticket, _: Collection | None, now: datetime) -> tickets.Change:
            template, source = (typed, "body") if typed else (self._macro_text(macro, ticket)[0], "macro")
            values = {
                "first_name": first_name(ticket.customer_name),
                "name": ticket.customer_name,
                "reference": ticket.reference,
                "brand": self._settings.brand,
                "operator_name": operator_name,
            } | {f.name: ticket.details[f.name] for f in DETAILS if f.placeholder}
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

    def _macro_text(self, macro: Directory | None, ticket: Ticket) -> tuple[str, str | None]:
        """The macro's text in the customer's language, and the language it
        lacks (None when it has it): then its body, in the shop's language,
        which the preview flags before the operator sends it."""
        assert macro is not None and macro.body is not None
        customer = resolve(ticket.details["locale"], self._settings.locale).code
        texts = macro_texts(macro)
        if customer in texts:
            return texts[customer], None
        return macro.body, (None if customer == resolve(None, self._settings.locale).code else customer)

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
        cc: tuple[str, ...] = (),
        sender: str | None = None,
        channel: str = "email",
    ) -> Written:
        """The customer wrote again: an emailed reply, or a message on their status page (channel web)."""
        rules = self._rules
        return self._writer.apply(
            ticket_id,
            lambda t, c, now: tickets.customer_wrote(
                t,
                text=text,
                now=now,
                rules=rules,
                subject=subject,
                message_id=message_id,
                attachments=attachments,
                cc=cc,
                sender=sender,
                channel=channel,
            ),
        )

    def belongs_to(self, ticket: Ticket) -> Ticket:
        """The ticket a customer's words about `ticket` join now (their mail,
        their status page): the ticket itself, or the one it was merged into
        (and that one's, if merged again). The one place this redirect is
        decided; it reads only for a merged ticket."""
        for _ in range(MAX_MERGE_HOPS):
            if ticket.merged_into is None:
                break
            target = self._store.ticket(ticket.merged_into)
            if target is None:
                break
            ticket = target
        return ticket

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
        if written.change is not None or written.ticket.merged_from:  # the writer reads the ticket's own thread
            collection = self._store.collection(written.ticket.id) or collection
        return self.view(collection)

    def view(self, collection: Collection) -> dict[str, Any]:
        names = {agent.name: agent.display_name for agent in self._directory.roster() if agent.display_name}
        return ticket_view(collection, self._settings, self._clock.now(), names)
