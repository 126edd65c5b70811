"""Wiring: one set of services per container (Lambda execution environment),
built lazily on first use so cold starts pay only for what a request needs."""
from __future__ import annotations

from dataclasses import dataclass

from .clock import Clock, OffsetClock, SystemClock
from .config import Settings, load_settings

# The local stage's clock: shared by every request in the `make run` process,
# moved forward by POST /_dev/clock.
DEV_CLOCK = OffsetClock()


@dataclass
class Container:
    settings: Settings
    clock: Clock

    def __post_init__(self) -> None:
        from .adapters.mailer import SesMailer
        from .adapters.scheduler import Scheduler
        from .adapters.store import TicketStore
        from .adapters.tables import bind_tables
        from .adapters.secrets import SigningKey
        from .services.assignment import Assignment
        from .services.customers import CustomerService
        from .services.directory import DirectoryService
        from .services.inbound import InboundService
        from .services.intake import IntakeService
        from .services.lifecycle import LifecycleService
        from .services.metrics import MetricsService
        from .services.outbox import Outbox
        from .services.sla import SlaService
        from .services.tickets import TicketService

        s = self.settings
        bind_tables(s.table_prefix)
        self.store = TicketStore()
        self.scheduler = Scheduler(s.scheduler_group, s.scheduler_target_arn, s.scheduler_role_arn,
                                   s.scheduler_dead_letter_arn)
        self.outbox = Outbox(self.store, SesMailer(s.sender, f"{s.brand} customer care", s.support_address),
                             self.clock)
        self.sla = SlaService(s, self.clock, self.store, self.scheduler, self.outbox)
        self.assignment = Assignment(self.store, self.clock)
        self.intake = IntakeService(s, self.clock, self.store, self.outbox, self.sla, self.assignment)
        self.signing_key = SigningKey(s.secret_parameter)
        self.tickets = TicketService(s, self.clock, self.store, self.outbox, self.sla, self.signing_key)
        self.inbound = InboundService(self.store, self.tickets, self.intake)
        self.lifecycle = LifecycleService(s, self.clock, self.store, self.scheduler, self.outbox, self.tickets,
                                          self.signing_key)
        self.tickets.after_change = self.lifecycle.after_change
        self.directory = DirectoryService(self.store, self.clock, self.assignment)
        self.metrics = MetricsService(self.store, self.clock)
        self.customers = CustomerService(s, self.clock, self.store)
        self._verifier = None

    def on_schedule(self, payload: dict) -> dict:
        """Every one-time schedule invokes this with its payload."""
        kind = payload.get("type")
        if kind == "sla":
            return self.sla.handle(payload)
        if kind in ("close", "followup"):
            return self.lifecycle.handle(payload)
        return {"action": "ignored", "reason": f"unknown schedule type {kind!r}"}

    @property
    def verifier(self):
        """Operator tokens: the local stage's own key, or the Cognito pool's
        JWKS. Without a configured pool every token is refused (fail closed)."""
        if self._verifier is None:
            from .auth import CognitoKeys, TokenVerifier, local_verifier

            s = self.settings
            if s.stage == "local":
                self._verifier = local_verifier(s.public_url, self.clock)
            else:
                keys = CognitoKeys(f"{s.cognito_issuer}/.well-known/jwks.json") if s.cognito_issuer else (
                    lambda kid: None)
                self._verifier = TokenVerifier(s.cognito_issuer or "", s.cognito_client_id or "", keys, self.clock)
        return self._verifier


_current: Container | None = None


def container() -> Container:
    global _current
    if _current is None:
        settings = load_settings()
        _current = Container(settings, DEV_CLOCK if settings.stage == "local" else SystemClock())
    return _current


def use(replacement: Container | None) -> None:
    """Install a container (tests), or None to build afresh on next use."""
    global _current
    _current = replacement
