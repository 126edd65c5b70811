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
        from .services.intake import IntakeService
        from .services.outbox import Outbox
        from .services.sla import SlaService

        s = self.settings
        bind_tables(s.table_prefix)
        self.store = TicketStore()
        self.scheduler = Scheduler(s.scheduler_group, s.scheduler_target_arn, s.scheduler_role_arn)
        self.outbox = Outbox(self.store, SesMailer(s.sender, f"{s.brand} customer care", s.support_address),
                             self.clock)
        self.sla = SlaService(s, self.clock, self.store, self.scheduler, self.outbox)
        self.intake = IntakeService(s, self.clock, self.store, self.outbox, self.sla)


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
