"""The stage's signing secret (paging cursors, feedback links): a Secrets
Manager secret in AWS stages, rotated there; a per-process random secret in
the local stage. New links are signed with the current version; links signed
with the previous one still verify, so a rotation never breaks a link
already mailed."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

from .aws import client

REFRESH_SECONDS = 3600  # a rotation reaches a running container within the hour


class SigningKey:
    def __init__(self, secret_arn: str | None) -> None:
        self._secret_arn = secret_arn
        self._keys: tuple[bytes, ...] = ()
        self._read_at = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        """The key new links and cursors are signed with."""
        return self.accepted()[0]

    def accepted(self) -> tuple[bytes, ...]:
        """The current key, then the previous one if there is one."""
        if not self._keys or (self._secret_arn and time.monotonic() - self._read_at > REFRESH_SECONDS):
            with self._lock:
                if not self._keys or (self._secret_arn and time.monotonic() - self._read_at > REFRESH_SECONDS):
                    self._keys = self._load()
                    self._read_at = time.monotonic()
        return self._keys

    def _load(self) -> tuple[bytes, ...]:
        if not self._secret_arn:
            return (secrets.token_bytes(32),)
        manager = client("secretsmanager")
        current = manager.get_secret_value(SecretId=self._secret_arn, VersionStage="AWSCURRENT")
        keys = [current["SecretString"].encode()]
        try:
            previous = manager.get_secret_value(SecretId=self._secret_arn, VersionStage="AWSPREVIOUS")
            keys.append(previous["SecretString"].encode())
        except manager.exceptions.ResourceNotFoundException:
            pass  # never rotated yet
        return tuple(keys)


class WebhookSecrets:
    """Each webhook endpoint's secret by the name the stage gives: a Secrets
    Manager secret in AWS stages (read once per container and hour, so a
    rotation reaches running containers), the secret itself in stage local."""

    def __init__(self, from_secrets_manager: bool) -> None:
        self._managed = from_secrets_manager
        self._read: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str) -> bytes:
        if not self._managed:
            return name.encode()
        with self._lock:
            known = self._read.get(name)
            if known is None or time.monotonic() - known[1] > REFRESH_SECONDS:
                value = client("secretsmanager").get_secret_value(SecretId=name)["SecretString"].encode()
                known = self._read[name] = (value, time.monotonic())
        return known[0]


class IntegrationSecrets:
    """The stage's third-party credentials: one Secrets Manager secret holding
    a JSON object with a part per integration (`{"commerce": {...}}`), so a
    stage pays for one secret however many it connects. Read once per
    container and hour, like the webhook secrets; `parts` stand in for it
    where there is no Secrets Manager (stage local, tests)."""

    def __init__(self, secret_arn: str | None, parts: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._secret_arn = secret_arn
        self._parts = parts
        self._read: tuple[dict[str, Any], float] | None = None
        self._lock = threading.Lock()

    def __call__(self, part: str) -> Mapping[str, str]:
        """One integration's credentials; empty when the secret has none for it (its calls are then refused)."""
        if self._parts is not None or not self._secret_arn:
            return (self._parts or {}).get(part, {})
        with self._lock:
            if self._read is None or time.monotonic() - self._read[1] > REFRESH_SECONDS:
                value = client("secretsmanager").get_secret_value(SecretId=self._secret_arn)["SecretString"]
                self._read = (json.loads(value), time.monotonic())
            found = self._read[0].get(part)
        return found if isinstance(found, dict) else {}
