"""Test setup: fake credentials, no endpoint URL (so mock_aws intercepts every
call and nothing can reach real AWS), the local stage, a fixed clock."""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "CARELINE_STAGE": "local",
    }
)
for _name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_CONFIG_FILE", "CARELINE_PUBLIC_URL"):
    os.environ.pop(_name, None)

# CI explores the same examples every run (a landing never hinges on luck);
# locally Hypothesis keeps looking for new counterexamples.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

# Tuesday 24 November 2026, 09:00 UTC.
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    from chalicelib.clock import FixedClock

    return FixedClock(START)


@pytest.fixture
def aws():
    """A fresh emulated AWS per test. Clients are kept across tests (moto
    intercepts inside botocore, whichever mock is active): building them per
    test would be most of the suite's time."""
    from moto import mock_aws

    from local.moto_patches import install

    install()
    global _sessions_hooked
    if not _sessions_hooked:
        # moto hooks the botocore sessions made after it is imported; one a unit
        # test made earlier (a client, a pynamodb connection) would reach real AWS.
        from chalicelib.adapters.aws import botocore_session
        from chalicelib.adapters.tables import reset_clients

        botocore_session.cache_clear()
        reset_clients()
        _sessions_hooked = True
    with mock_aws():
        yield


_sessions_hooked = False


@pytest.fixture
def settings():
    """The local stage's settings, without its webhook and its store: those are
    `make run`'s own routes, and in-process tests have no HTTP server (the port
    may even be another stack's). Webhook and store tests name their own."""
    from dataclasses import replace

    from chalicelib.config import load_settings

    return replace(load_settings(), webhooks=(), commerce=None)


@pytest.fixture
def services(aws, clock, settings):
    """The local stage's services on emulated AWS, with resources provisioned as `make run` does."""
    from chalicelib import container as wiring
    from local.container import install
    from local.provision import provision

    provision(settings)
    yield install(settings, clock)  # recording bus, dev tokens, literal webhook secrets
    wiring.use(None)


@pytest.fixture
def client(services):
    """The app as `make run` serves it (its dev routes too), through chalice.test."""
    from chalice.test import Client

    from app import app
    from local.routes import register

    with Client(register(app), stage_name="local", project_dir=str(ROOT)) as test_client:
        yield test_client


@pytest.fixture
def settle(services):
    """Let the stream consumer catch up, as `/_dev/mail` does before it answers."""
    from local.stream import drain

    return drain


@pytest.fixture
def mailbox(services, settle):
    """Every email sent so far, once everything caused so far has finished."""
    from local.mailbox import sent_messages

    def read():
        settle()
        return sent_messages()

    read.unsettled = sent_messages  # what was sent before the consumer caught up
    return read


@pytest.fixture
def isolated_requests(monkeypatch):
    """Each AWS request atomic, as DynamoDB's are. moto's are not: a failed
    transaction restores a snapshot of whole tables, erasing what another
    thread committed meanwhile. Our code still interleaves between requests."""
    import threading

    from botocore.client import BaseClient

    lock, call = threading.Lock(), BaseClient._make_api_call

    def one_at_a_time(self, operation, params):
        with lock:
            return call(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", one_at_a_time)


@pytest.fixture
def faults(services, clock):
    """The fault-injecting proxy between the app and the emulator
    (tests/faults/proxy.py), its windows and botocore's retry pauses on the test's clock."""
    from tests.faults.proxy import FaultProxy, installed

    with installed(FaultProxy(clock)) as proxy:
        yield proxy


@pytest.fixture
def failing(faults):
    """Make one AWS operation answer with an AWS error code until told to
    stop, the way a throttled or broken service does (through the proxy)."""
    from tests.faults.proxy import Fault

    def fail(service: str, operation: str, code: str = "ThrottlingException"):
        fault = faults.add(Fault(service, "throttled", operation=operation, code=code))
        return lambda: fault in faults.faults and faults.faults.remove(fault)

    return fail


@pytest.fixture
def operator(client):
    """Bearer headers for an operator of the given role, from the local stage's token route."""
    import json

    def headers(role="agent", email="agent@shop.example"):
        token = client.http.post(
            "/_dev/token", headers={"Content-Type": "application/json"}, body=json.dumps({"email": email, "role": role})
        ).json_body["token"]
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    return headers


@pytest.fixture
def new_ticket(client, settle):
    """A ticket as the customer's form creates it, once its effects are done
    (acknowledgement, schedule, assignment), as `make run` shows it a moment later."""
    from tests.calls import submit

    def create(**fields):
        ticket = submit(client, **fields)
        settle()
        return ticket

    return create
