"""The local stage's wiring: the app's services as in AWS, but for what the
local stage stands in for itself, and with a clock that `POST /_dev/clock`
moves forward."""

from __future__ import annotations

from functools import cached_property

from chalicelib import container as wiring
from chalicelib.adapters.bus import EventBus
from chalicelib.adapters.secrets import IntegrationSecrets, WebhookSecrets
from chalicelib.auth import TokenVerifier
from chalicelib.clock import Clock, OffsetClock
from chalicelib.config import Settings, load_settings

# Shared by every request of the `make run` process.
DEV_CLOCK = OffsetClock()


class LocalContainer(wiring.Container):
    @cached_property
    def bus(self) -> EventBus:
        """The emulated bus, recorded for GET /_dev/events; with no queue
        locally, the stage's webhooks get each event right away."""
        from .events import RecordingBus

        return RecordingBus(
            EventBus(self.settings.event_bus), self.webhooks.deliver if self.settings.webhooks else None
        )

    @cached_property
    def webhook_secrets(self) -> WebhookSecrets:
        return WebhookSecrets(from_secrets_manager=False)  # the stage names the secrets themselves

    @cached_property
    def integration_secrets(self) -> IntegrationSecrets:
        """The local store's credentials (local/shop.py), as AWS stages keep theirs in Secrets Manager."""
        from .shop import CREDENTIALS

        return IntegrationSecrets(None, CREDENTIALS)

    @cached_property
    def verifier(self) -> TokenVerifier:
        """Tokens from POST /_dev/token."""
        from .tokens import local_verifier

        return local_verifier(self.settings.public_url, self.clock)


def install(settings: Settings | None = None, clock: Clock = DEV_CLOCK) -> LocalContainer:
    """The local stage's services, installed as the app's (until the next install)."""
    built = LocalContainer(settings or load_settings(), clock)
    wiring.use(built)
    return built
