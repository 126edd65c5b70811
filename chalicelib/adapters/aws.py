"""boto3 clients, created lazily once per container.

No endpoint is ever passed here: botocore reads AWS_ENDPOINT_URL (and
AWS_ENDPOINT_URL_<SERVICE>) itself, so the local stack and tests point every
client at the emulator by environment alone.
"""
from __future__ import annotations

import threading
from functools import lru_cache

# Short timeouts and few retries: a request path must not hang on a slow
# dependency; what fails is retried by the outbox and the reconciler instead.
_RETRIES = {"mode": "standard", "max_attempts": 3}


_CREATING = threading.Lock()


@lru_cache(maxsize=1)
def botocore_session():
    """One botocore session per container for every client, boto3's and
    pynamodb's: each new session re-reads the service models (~130 ms of CPU
    a client here, against ~20 ms from a shared one). Sessions are not
    thread-safe, so client creation is serialised."""
    import botocore.session

    session = botocore.session.get_session()
    create = session.create_client

    def create_client(*args, **kwargs):
        with _CREATING:
            return create(*args, **kwargs)

    session.create_client = create_client
    return session


@lru_cache(maxsize=1)
def _boto3_session():
    # One boto3 session too: each one registers its customisations on the
    # botocore session's events, and S3's refuse to be registered twice.
    import boto3

    return boto3.session.Session(botocore_session=botocore_session())


@lru_cache(maxsize=None)
def client(service: str):
    from botocore.config import Config

    return _boto3_session().client(service, config=Config(retries=_RETRIES, connect_timeout=2, read_timeout=5))


def reset_clients() -> None:
    """Forget every client and connection (tests: after the emulator or the endpoint changes)."""
    from .tables import MODELS, transaction_connection

    client.cache_clear()
    transaction_connection.cache_clear()
    for model in MODELS.values():
        model._connection = None
