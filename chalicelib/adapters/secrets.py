"""The stage's signing secret (paging cursors, feedback tokens): an SSM
SecureString in AWS stages, read once per container; a per-process random
secret in the local stage."""
from __future__ import annotations

import secrets
import threading

from .aws import client


class SigningKey:
    def __init__(self, parameter: str | None) -> None:
        self._parameter = parameter
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = self._load()
        return self._key

    def _load(self) -> bytes:
        if not self._parameter:
            return secrets.token_bytes(32)
        answer = client("ssm").get_parameter(Name=self._parameter, WithDecryption=True)
        return answer["Parameter"]["Value"].encode()
