"""Wiring: one set of services per container (Lambda execution environment).
Each is built on first use with its dependencies passed in, so a function
pays only for what it uses: the API builds no mailer, scheduler or bus, and
no AWS client exists until a call needs it."""

from __future__ import annotations

from functools import cached_property, partial
from typing import TYPE_CHECKING

from .clock import Clock, SystemClock
from .config import Settings, load_settings

if TYPE_CHECKING:
    from .adapters.bus import EventBus
    from .adapters.counters import MetricCounters
    from .adapters.secrets import IntegrationSecrets, SigningKey, WebhookSecrets
    from .adapters.store.claims import ClaimStore
    from .adapters.store.customers import CustomerStore
    from .adapters.store.deliveries import DeliveryStore
    from .adapters.store.directory import DirectoryStore
    from .adapters.store.postings import PostingStore
    from .adapters.store.schedules import ScheduleStore
    from .adapters.store.tickets import TicketStore
    from .auth import TokenVerifier
    from .services.assignment import Assignment
    from .services.attachments import Attachments
    from .services.audit import AuditTrail
    from .services.consumer import Consumer
    from .services.customers import CustomerService
    from .services.delivery import MailDelivery
    from .services.directory import DirectoryService
    from .services.feedback import FeedbackService
    from .services.inbound import InboundService
    from .services.intake import IntakeService
    from .services.links import Links
    from .services.listing import ListingService
    from .services.mail_events import MailEvents
    from .services.merges import Merges
    from .services.metrics import MetricsService
    from .services.presence import Presence
    from .services.purchases import PurchaseHistory
    from .services.recovery import Recovery
    from .services.search import SearchIndex
    from .services.status import StatusPages
    from .services.tickets import TicketService
    from .services.timers import Timers
    from .services.views import SavedViews
    from .services.webhooks import Webhooks
    from .services.writer import TicketWriter


class Container:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        from .adapters.tables import bind_tables

        self.settings = settings
        self.clock = clock
        bind_tables(settings.table_prefix)

    # Adapters

    # The store, one per aggregate (adapters/store/): each service gets those it uses.

    @cached_property
    def store(self) -> TicketStore:
        """Tickets: the one write of a change, and every read of tickets."""
        from .adapters.store.tickets import TicketStore

        return TicketStore(self.settings.ticket_rules)

    @cached_property
    def claim_store(self) -> ClaimStore:
        from .adapters.store.claims import ClaimStore

        return ClaimStore()

    @cached_property
    def delivery_store(self) -> DeliveryStore:
        from .adapters.store.deliveries import DeliveryStore

        return DeliveryStore()

    @cached_property
    def schedule_store(self) -> ScheduleStore:
        from .adapters.store.schedules import ScheduleStore

        return ScheduleStore()

    @cached_property
    def directory_store(self) -> DirectoryStore:
        from .adapters.store.directory import DirectoryStore

        return DirectoryStore()

    @cached_property
    def customer_store(self) -> CustomerStore:
        from .adapters.store.customers import CustomerStore

        return CustomerStore()

    @cached_property
    def posting_store(self) -> PostingStore:
        from .adapters.store.postings import PostingStore

        return PostingStore()

    @cached_property
    def counters(self) -> MetricCounters:
        from .adapters.counters import MetricCounters

        return MetricCounters()

    @cached_property
    def signing_key(self) -> SigningKey:
        from .adapters.secrets import SigningKey

        return SigningKey(self.settings.secret_arn)

    @cached_property
    def bus(self) -> EventBus:
        from .adapters.bus import EventBus

        return EventBus(self.settings.event_bus)

    @cached_property
    def webhook_secrets(self) -> WebhookSecrets:
        from .adapters.secrets import WebhookSecrets

        return WebhookSecrets(from_secrets_manager=True)

    @cached_property
    def integration_secrets(self) -> IntegrationSecrets:
        from .adapters.secrets import IntegrationSecrets

        return IntegrationSecrets(self.settings.integrations_secret_arn)

    # Services

    @cached_property
    def writer(self) -> TicketWriter:
        from .services.writer import TicketWriter

        return TicketWriter(self.store, self.clock)

    @cached_property
    def intake(self) -> IntakeService:
        from .services.intake import IntakeService

        return IntakeService(self.settings, self.clock, self.claim_store, self.writer, self.customer_store)

    @cached_property
    def tickets(self) -> TicketService:
        from .services.tickets import TicketService

        return TicketService(
            self.settings, self.clock, self.store, self.directory_store, self.writer, self.audit, lambda: self.purchases
        )

    @cached_property
    def listing(self) -> ListingService:
        """The inbox: GET /tickets."""
        from .adapters.store.listing import ListingReader
        from .services.listing import ListingService

        return ListingService(self.clock, ListingReader(self.store, self.posting_store), self.signing_key)

    @cached_property
    def purchases(self) -> PurchaseHistory:
        """The orders beside a ticket, from the stage's store (none configured: none shown)."""
        from .adapters.commerce import ShopifyStore, WooCommerceStore
        from .services.purchases import PurchaseHistory

        shop = self.settings.commerce
        credentials = partial(self.integration_secrets, "commerce")  # read when the store is first asked
        store = None
        if shop is not None and shop.platform == "shopify":
            store = ShopifyStore(shop.url, credentials, shop.timeout_seconds, shop.api_version)
        elif shop is not None:
            store = WooCommerceStore(shop.url, credentials, shop.timeout_seconds)
        return PurchaseHistory(self.settings, self.clock, self.store, store)

    @cached_property
    def links(self) -> Links:
        from .services.links import Links

        return Links(self.clock, self.store, self.signing_key)

    @cached_property
    def feedback(self) -> FeedbackService:
        from .services.feedback import FeedbackService

        return FeedbackService(self.links, self.tickets)

    @cached_property
    def status(self) -> StatusPages:
        """The customer's status page."""
        from .services.status import StatusPages

        return StatusPages(
            self.settings,
            self.clock,
            self.links,
            self.store,
            self.claim_store,
            self.directory_store,
            self.writer,
            self.tickets,
            self.intake,
            self.attachments,
            self.signing_key,
        )

    @cached_property
    def directory(self) -> DirectoryService:
        from .services.directory import DirectoryService

        return DirectoryService(self.directory_store, self.store, self.clock, self.audit)

    @cached_property
    def views(self) -> SavedViews:
        """Saved views, counted with the inbox's own listing."""
        from .services.views import SavedViews

        return SavedViews(self.directory_store, self.listing.list, self.clock, self.audit)

    @cached_property
    def customers(self) -> CustomerService:
        from .services.customers import CustomerService

        return CustomerService(self.settings, self.clock, self.store, self.customer_store, self.writer, self.audit)

    @cached_property
    def audit(self) -> AuditTrail:
        """The audit trail: `audit.record(actor, kind, subject, detail)` from any use case."""
        from .adapters.store.audit import AuditStore
        from .services.audit import AuditTrail

        return AuditTrail(AuditStore(), self.clock, self.settings.audit_retention_days, self.signing_key)

    @cached_property
    def metrics(self) -> MetricsService:
        from .services.metrics import MetricsService

        return MetricsService(self.store, self.directory_store, self.counters, self.clock)

    @cached_property
    def inbound(self) -> InboundService:
        from .services.inbound import InboundService

        return InboundService(self.settings, self.store, self.claim_store, self.tickets, self.intake, self.attachments)

    @cached_property
    def delivery(self) -> MailDelivery:
        from .adapters.mailer import SesMailer
        from .services.delivery import MailDelivery

        s = self.settings
        mailer = SesMailer(s.sender, f"{s.brand} customer care", s.support_address, s.mail_configuration_set)
        return MailDelivery(
            s,
            self.clock,
            self.store,
            self.delivery_store,
            self.claim_store,
            self.customer_store,
            self.directory_store,
            mailer,
            self.signing_key,
            self.attachments,
        )

    @cached_property
    def timers(self) -> Timers:
        from .adapters.scheduler import Scheduler
        from .services.timers import Timers

        s = self.settings
        scheduler = Scheduler(
            s.scheduler_group, s.scheduler_target_arn, s.scheduler_role_arn, s.scheduler_dead_letter_arn
        )
        return Timers(s, self.clock, self.store, self.schedule_store, self.writer, scheduler)

    @cached_property
    def assignment(self) -> Assignment:
        from .services.assignment import Assignment

        return Assignment(self.settings, self.store, self.directory_store, self.writer)

    @cached_property
    def consumer(self) -> Consumer:
        from .services.consumer import Consumer

        return Consumer(
            self.settings,
            self.store,
            self.customer_store,
            self.delivery,
            self.timers,
            self.assignment,
            self.search,
            self.attachments,
            self.bus,
            self.counters,
            self.merges,
        )

    @cached_property
    def merges(self) -> Merges:
        """Merging and splitting tickets (two changes, the second done again until done)."""
        from .services.merges import Merges

        return Merges(self.settings, self.clock, self.store, self.claim_store, self.writer, self.tickets, self.audit)

    @cached_property
    def presence(self) -> Presence:
        """Who else has a ticket open, or is writing a reply to it."""
        from .adapters.store.presence import PresenceStore
        from .services.presence import Presence

        return Presence(self.clock, PresenceStore(), self.directory_store)

    @cached_property
    def recovery(self) -> Recovery:
        """Effects redone: failed stream ranges and changes left unsettled (the reconcile job)."""
        from .services.recovery import Recovery

        return Recovery(self.settings, self.clock, self.store, self.consumer)

    @cached_property
    def search(self) -> SearchIndex:
        from .services.search import SearchIndex

        return SearchIndex(self.store, self.posting_store)

    @cached_property
    def attachments(self) -> Attachments:
        """Files on tickets; no S3 client exists until one is read, stored or signed."""
        from .adapters.files import FileStore
        from .services.attachments import Attachments

        return Attachments(self.clock, self.store, FileStore(self.settings.attachments_bucket))

    @cached_property
    def mail_events(self) -> MailEvents:
        from .services.mail_events import MailEvents

        return MailEvents(self.customer_store, self.clock)

    @cached_property
    def webhooks(self) -> Webhooks:
        from .services.webhooks import Webhooks

        return Webhooks(self.settings.webhooks, self.claim_store, self.clock, self.webhook_secrets)

    @cached_property
    def verifier(self) -> TokenVerifier:
        """Operator tokens: the Cognito pool's JWKS. Without a configured pool
        every token is refused (fail closed)."""
        from .auth import CognitoKeys, TokenVerifier

        s = self.settings
        keys = CognitoKeys(f"{s.cognito_issuer}/.well-known/jwks.json") if s.cognito_issuer else (lambda kid: None)
        return TokenVerifier(s.cognito_issuer or "", s.cognito_client_id or "", keys, self.clock)


_current: Container | None = None


def container() -> Container:
    global _current
    if _current is None:
        _current = Container(load_settings(), SystemClock())
    return _current


def use(replacement: Container | None) -> None:
    """Install a container (the local stage, tests), or None to build afresh on next use."""
    global _current
    _current = replacement
