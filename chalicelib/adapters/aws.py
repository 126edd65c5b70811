"""AWS clients, created lazily once per container.

No endpoint is ever passed here: botocore reads AWS_ENDPOINT_URL (and
AWS_ENDPOINT_URL_<SERVICE>) itself, so the local stack and tests point every
client at the emulator by environment alone. Clients come straight from
botocore: boto3's resource layer is never used, and a cold start should not
pay for importing it.
"""

from __future__ import annotations

import threading
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.session import Session

# Short timeouts and few retries: a request path must not hang on a slow
# dependency; what fails is retried by the stream and the repair jobs instead.
# Attempts are counted with `total_max_attempts`: botocore reads the retries'
# `max_attempts` as the number of *retries* (3 would be 4 attempts, 1 would be 2).
_RETRIES = {"mode": "standard", "total_max_attempts": 3}
_OVERRIDES: dict[str, dict[str, Any]] = {
    # SES has no idempotency key: a retry after a lost answer would send the
    # mail twice. One attempt; the mailer retries only what SES surely refused.
    "sesv2": {"retries": {"mode": "standard", "total_max_attempts": 1}},
    # Streams calls carry a table ARN; the account-based endpoint boto3 would
    # derive from it is not one the local emulator answers on.
    "dynamodbstreams": {"account_id_endpoint_mode": "disabled"},
    # Download and upload links are signed with Signature Version 4 (botocore
    # would sign upload forms with the retired version 2).
    "s3": {"signature_version": "s3v4"},
}

_CREATING = threading.Lock()


@lru_cache(maxsize=1)
def botocore_session() -> Session:
    """One botocore session per container for every client, ours and
    pynamodb's: each new session re-reads the service models (~130 ms of CPU
    a client here, against ~20 ms from a shared one). Sessions are not
    thread-safe, so client creation is serialised."""
    import botocore.session

    class SerialSession(botocore.session.Session):
        def create_client(self, *args: Any, **kwargs: Any) -> BaseClient:
            with _CREATING:
                return super().create_client(*args, **kwargs)

    return SerialSession()


@cache
def client(service: str) -> Any:
    """A service's client (Any: botocore builds each service's client class at run time)."""
    from botocore.config import Config

    settings: dict[str, Any] = {"retries": _RETRIES, "connect_timeout": 2, "read_timeout": 5} | _OVERRIDES.get(
        service, {}
    )
    return botocore_session().create_client(service, config=Config(**settings))
