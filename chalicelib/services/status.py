"""The customer's status page behind the signed link in every email to them
(`/status/{token}`): their request as they may see it (status, when a reply
is due, the conversation and its files; never notes, calls or events), and
what they may do there: write (exactly as an emailed reply: a resolved
ticket reopens, a closed one continues in a new ticket), say the problem is
solved, and ask for a fresh link when theirs expired (to the ticket's own
address only). Opening the page records nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..adapters.secrets import SigningKey
from ..adapters.store.claims import ClaimStore
from ..adapters.store.directory import DirectoryStore
from ..adapters.store.tickets import TicketStore
from ..clock import Clock
from ..config import Settings
from ..domain import ticket as tickets
from ..domain.errors import NotFound, TooManyRequests
from ..domain.feedback import STATUS, status_token
from ..domain.inquiry import validate_inquiry
from ..domain.status import Post, reply_due
from ..domain.ticket import Ticket
from ..log import logger
from ..views.emails import agent_display_name
from .attachments import Attachments
from .inbound import ATTACHMENTS_ONLY
from .intake import IntakeService
from .links import Links
from .tickets import TicketService
from .writer import TicketWriter

log = logger(__name__)
# A link's owner may write this often to one ticket in an hour (a stolen or
# scripted link floods nobody), and ask for a fresh link this often a day.
POSTS_PER_HOUR = 20
FRESH_LINKS_PER_DAY = 3


@dataclass(frozen=True)
class PublicMessage:
    """One message of the conversation as the customer sees it."""

    mine: bool  # the customer's own (else ours)
    author: str | None  # who of us wrote it (their display name)
    at: datetime
    body: str
    files: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class StatusView:
    ticket: Ticket
    messages: tuple[PublicMessage, ...] = field(default_factory=tuple)
    reply_due: datetime | None = None  # when we owe them an answer
    resolves_at: datetime | None = None  # waiting on them: resolved then without an answer


class StatusPages:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        links: Links,
        store: TicketStore,
        claims: ClaimStore,
        directory: DirectoryStore,
        writer: TicketWriter,
        tickets: TicketService,
        intake: IntakeService,
        attachments: Attachments,
        signing_key: SigningKey,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._links = links
        self._store = store
        self._claims = claims
        self._directory = directory
        self._writer = writer
        self._tickets = tickets
        self._intake = intake
        self._attachments = attachments
        self._signing_key = signing_key

    def ticket_for(self, token: str) -> Ticket:
        """The ticket a link is for (or the one it was merged into): 404 when
        forged, unknown, erased or spam (nothing of it is shown any more), 410 when expired."""
        # A ticket merged into another lives on there: its page is that one's.
        ticket = self._tickets.belongs_to(self._links.ticket_for(token, STATUS, "link"))
        if ticket.erased or ticket.status == tickets.SPAM:
            raise NotFound("This link is not valid.", field="token")
        return ticket

    def token(self, ticket_id: str) -> str:
        """A fresh token for a ticket's page (a continued request's new one)."""
        return status_token(ticket_id, self._clock.now(), self._settings.status_token_days, self._signing_key())

    def view(self, ticket: Ticket) -> StatusView:
        """The page's facts, read once (the ticket's collection, the roster for names)."""
        collection = self._store.collection(ticket.id)
        if collection is None:
            raise NotFound("This link is not valid.", field="token")
        ticket = collection.ticket
        names = {agent.name: agent.display_name for agent in self._directory.roster()}
        messages = tuple(
            PublicMessage(
                mine=stored.entry.direction == "in",
                author=None
                if stored.entry.direction == "in" or "@" not in stored.entry.author
                else agent_display_name(names.get(stored.entry.author), stored.entry.author),
                at=stored.created_at,
                body=stored.entry.body or "",
                files=tuple(stored.entry.data.get("attachments") or ()),
            )
            # The thread as it reads now: with the tickets merged into this one, less what a split moved away.
            for stored in sorted((stored for _, stored in collection.everything()), key=lambda s: s.created_at)
            if stored.entry.kind == "message"
        )
        waiting = ticket.status == "pending" and ticket.pending_since is not None
        rules = self._settings.ticket_rules
        return StatusView(ticket, messages, reply_due(ticket), tickets.resolves_at(ticket, rules) if waiting else None)

    def post(self, ticket: Ticket, post: Post) -> tuple[str, str]:
        """What the customer sent: (what was done, the ticket it was done on):
        solved; sent (added like an emailed reply); continued (the ticket was
        closed: a new one carries on)."""
        self._count_post(ticket.id)
        rules = self._settings.ticket_rules
        if post.solved:
            self._writer.apply(ticket.id, lambda t, _, now: tickets.customer_solved(t, now=now, rules=rules))
            return "solved", ticket.id
        text = post.message or ATTACHMENTS_ONLY
        if ticket.status == "closed":
            return "continued", self._continue(ticket, text, post)
        files = self._attachments.keep(ticket.id, post.files)
        self._tickets.customer_wrote(ticket.id, text, attachments=files, channel="web")
        return "sent", ticket.id

    def _continue(self, ticket: Ticket, text: str, post: Post) -> str:
        """As an email to a closed ticket: a new ticket, linked both ways, acknowledged."""
        fields = {
            "name": ticket.customer_name,
            "email": ticket.customer_email,
            "message": text,
            "subject": ticket.subject,
            "category": ticket.category,
            "locale": ticket.details["locale"],
            "timezone": ticket.details["timezone"],
        }
        inquiry = validate_inquiry({k: v for k, v in fields.items() if v}, self._settings.categories)
        new_id = self._intake.new_id()
        files = self._attachments.keep(new_id, post.files)
        try:
            answer = self._intake.open(
                inquiry,
                linked_to=ticket.id,
                attachments=files,
                ticket_id=new_id,
                quarantine="blocked_sender" if self._intake.blocked(ticket.customer_email) else None,
            )
        except Exception:
            if files:
                self._attachments.purge(new_id)
            raise
        self._tickets.link(ticket.id, answer["id"], answer["reference"])
        return str(answer["id"])

    def fresh_link(self, token: str) -> None:
        """An expired link's owner asks for a new one: emailed to the
        ticket's own address, a few times a day at most. Says nothing either
        way: whether the link was ours is not told beyond the token."""
        try:
            ticket = self._links.ticket_for(token, STATUS, "link", expired_ok=True)
        except NotFound:
            return
        now = self._clock.now()
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if not self._claims.count_window(
            f"statuslink#{ticket.id}#{day:%Y-%m-%d}", FRESH_LINKS_PER_DAY, day + timedelta(days=1)
        ):
            log.info("fresh status link refused: too many today", extra={"ticket_id": ticket.id})
            return
        rules = self._settings.ticket_rules
        self._writer.apply(ticket.id, lambda t, _, now: tickets.link_requested(t, now=now, rules=rules))

    def download(self, ticket: Ticket, sha256: str) -> str:
        """A link valid for minutes to one file of the conversation."""
        return str(self._attachments.download(ticket.id, sha256, messages_only=True)["url"])

    def _count_post(self, ticket_id: str) -> None:
        now = self._clock.now()
        hour = now.replace(minute=0, second=0, microsecond=0)
        if not self._claims.count_window(
            f"statuspost#{ticket_id}#{hour:%Y-%m-%dT%H}", POSTS_PER_HOUR, hour + timedelta(hours=1)
        ):
            raise TooManyRequests(
                int((hour + timedelta(hours=1) - now).total_seconds()) or 1,
                "too many messages in an hour; please send it again later",
            )
