"""AWS API calls per intake: POST /inquiries through Chalice's test client on
moto, counting every call the app makes (pynamodb's botocore clients and its
own alike): on the request path (what the customer waits for), then the
stream consumer's for what the request wrote (emails, schedule, assignment,
contact data, events, counters). Each call is a billed request and a round
trip in AWS."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

GOAL = 1  # calls on an intake's request path: the one transaction
ROOT = Path(__file__).resolve().parent.parent
# A Tuesday inside business hours, as in the tests: due times are stable.
AGENTS = ("kim@shop.example", "lou@shop.example", "max@shop.example")  # a small shop's team on shift
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

# Fake credentials and no endpoint URL: mock_aws intercepts every call and
# nothing can reach real AWS, whatever the caller's shell has set.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "CARELINE_STAGE": "local",
}
UNSET = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_CONFIG_FILE", "CARELINE_PUBLIC_URL")


@dataclass
class Tally:
    calls: Counter = field(default_factory=Counter)  # (service, operation) -> count
    clients: int = 0  # botocore clients created
    entries: Counter = field(default_factory=Counter)  # (service, operation) -> items a call carries (PutEvents)
    spans: list[tuple[str, float, float]] = field(default_factory=list)  # (service, start, end) of each call

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def seconds(self, service: str | None = None) -> float:
        """Time spent inside calls (of one service), overlapping calls counted once each."""
        return sum(end - start for name, start, end in self.spans if service in (None, name))


@contextmanager
def counting_calls() -> Iterator[Tally]:
    """Count every botocore API call in the block, and the clients created.

    Wrapping BaseClient._make_api_call catches every client, whatever session
    made it: pynamodb builds its own botocore session per Connection, which an
    event handler registered on boto3's session would miss. It sees logical
    calls (what the app asks for); botocore's own retries are below it.
    Clients are counted too: building one costs tens of milliseconds of CPU,
    so a warm container should build none per request."""
    from botocore.client import BaseClient
    from botocore.session import Session

    tally = Tally()
    call, create = BaseClient._make_api_call, Session.create_client

    def counted_call(client, operation_name, api_params):
        service = client.meta.service_model.service_name
        tally.calls[(service, operation_name)] += 1
        tally.entries[(service, operation_name)] += len(api_params.get("Entries", ())) or 1
        start = time.perf_counter()
        try:
            return call(client, operation_name, api_params)
        finally:
            tally.spans.append((service, start, time.perf_counter()))

    def counted_create(session, *args, **kwargs):
        tally.clients += 1
        return create(session, *args, **kwargs)

    with (
        mock.patch.object(BaseClient, "_make_api_call", counted_call),
        mock.patch.object(Session, "create_client", counted_create),
    ):
        yield tally


@contextmanager
def emulated_app() -> Iterator[object]:
    """The app on moto with its resources provisioned, as tests/conftest.py does;
    yields a chalice.test.Client."""
    with mock.patch.dict(os.environ, FAKE_AWS_ENV):
        for name in UNSET:
            os.environ.pop(name, None)  # patch.dict restores them afterwards
        from chalice.test import Client
        from moto import mock_aws

        from app import app
        from chalicelib import container as wiring
        from chalicelib.adapters.tables import reset_clients
        from chalicelib.clock import FixedClock
        from chalicelib.config import load_settings
        from local.container import install as install_local_stage
        from local.moto_patches import install
        from local.provision import provision
        from local.routes import register

        from .moto_indexes import fast_index_queries

        install()  # the emulator's speed-ups, as in the tests and `make run`: answers unchanged
        with mock_aws(), fast_index_queries():
            reset_clients()  # clients made outside mock_aws would bypass it
            # No webhooks: the local stage's receiver is `make run`'s, and no stage in AWS names one.
            settings = replace(load_settings(), webhooks=())
            provision(settings)
            install_local_stage(settings, FixedClock(START))
            try:
                with Client(register(app), stage_name="local", project_dir=str(ROOT)) as client:
                    yield client
            finally:
                wiring.use(None)
                reset_clients()


def _post(client, n: int, idempotency_key: str | None = None):
    # A different customer each time, so the per-email rate limit never bites.
    body = {
        "name": "Ann Lee",
        "email": f"customer{n}@example.com",
        "subject": "Parcel",
        "message": "Where is my parcel?",
    }
    headers = {"Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return client.http.post("/inquiries", headers=headers, body=json.dumps(body))


def operator_headers(client, email: str, role: str = "agent") -> dict:
    """An operator's headers for the API (a dev token)."""
    token = client.http.post(
        "/_dev/token", headers={"Content-Type": "application/json"}, body=json.dumps({"email": email, "role": role})
    ).json_body["token"]
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _make_available(client, agents: tuple[str, ...]) -> None:
    admin = operator_headers(client, "lead@shop.example", role="admin")
    for email in agents:
        response = client.http.put(f"/agents/{email}", headers=admin, body=json.dumps({"available": True}))
        if response.status_code != 200:
            raise RuntimeError(f"agent {email}: HTTP {response.status_code}: {response.body!r}")


def calls_of(act) -> tuple[Tally, Tally, object]:
    """The calls `act` makes (a request, a schedule's invocation), then the
    stream consumer's for what it wrote (the local poller's reads of the
    stream itself excluded: Lambda's are not the function's); and what `act` returned."""
    from local.stream import drain

    with counting_calls() as request:
        answer = act()
    with counting_calls() as consumer:
        drain()
    consumer.calls = Counter({k: v for k, v in consumer.calls.items() if k[0] != "dynamodbstreams"})
    return request, consumer, answer


def _intake(client, n: int, *, key: str | None = None) -> tuple[Tally, Tally]:
    """The request's calls, then the stream consumer's for what the request wrote."""
    request, consumer, response = calls_of(lambda: _post(client, n, key))
    if response.status_code != 201:  # a replay answers 201 with the first answer too
        raise RuntimeError(f"intake {n}: HTTP {response.status_code}: {response.body!r}")
    return request, consumer


def _breakdown(calls: Counter) -> dict[str, int]:
    return {f"{service}:{operation}": count for (service, operation), count in sorted(calls.items())}


def _batch(client, first: int, count: int) -> int:
    """Calls the consumer makes for `count` intakes handed over in one batch (the local
    poller's reads of the stream itself excluded: Lambda's are not the function's)."""
    from local.stream import drain

    for n in range(first, first + count):
        _post(client, n)
    with counting_calls() as consumer:
        drain()
    return sum(v for k, v in consumer.calls.items() if k[0] != "dynamodbstreams")


def measure(intakes: int = 5, batch: int = 20) -> dict:
    """Calls per intake in steady state (after a warm-up intake that builds
    clients): on the request path, and the consumer's for what it wrote, one
    intake at a time and in a batch; an idempotent replay."""
    with emulated_app() as client:
        _intake(client, 0)
        steady = [_intake(client, n) for n in range(1, intakes + 1)]
        keyed, _ = _intake(client, intakes + 1, key="bench-replay")
        replay, _ = _intake(client, intakes + 1, key="bench-replay")  # same body, same key: the first answer
        batched = _batch(client, 100, batch)
        _make_available(client, AGENTS)
        _, assigned = _intake(client, 200)
        assigned_batched = _batch(client, 300, batch)

    request_totals = [r.total for r, _ in steady]
    consumer_totals = [c.total for _, c in steady]
    worst = steady[request_totals.index(max(request_totals))]
    return {
        "intakes": intakes,
        "request": max(request_totals),
        "request_breakdown": _breakdown(worst[0].calls),
        "consumer": max(consumer_totals),
        "consumer_breakdown": _breakdown(steady[consumer_totals.index(max(consumer_totals))][1].calls),
        "consumer_batched": batched / batch,
        "agents": len(AGENTS),
        "consumer_assigning": assigned.total,
        "consumer_assigning_breakdown": _breakdown(assigned.calls),
        "consumer_assigning_batched": assigned_batched / batch,
        "batch": batch,
        "clients_per_intake": max(r.clients for r, _ in steady),
        "with_idempotency_key": keyed.total,
        "replay": replay.total,
        "replay_breakdown": _breakdown(replay.calls),
        "goal": GOAL,
        "passed": max(request_totals) <= GOAL and keyed.total <= GOAL,
    }


def report(result: dict) -> list[str]:
    verdict = "PASS" if result["passed"] else "FAIL"
    lines = [
        f"AWS calls on an intake's request path: {result['request']} over {result['intakes']} intakes, "
        f"goal <= {result['goal']}: {verdict}"
    ]
    lines += [f"    {count}  {name}" for name, count in result["request_breakdown"].items()]
    lines.append(
        f"  with an Idempotency-Key: {result['with_idempotency_key']}; idempotent replay: "
        f"{result['replay']} ({', '.join(result['replay_breakdown'])})"
    )
    lines.append(
        f"  botocore clients built per steady intake: {result['clients_per_intake']} (a warm container should build 0)"
    )
    lines.append(f"The stream consumer's calls for one intake alone: {result['consumer']}")
    lines += [f"    {count}  {name}" for name, count in result["consumer_breakdown"].items()]
    lines.append(f"  per intake when {result['batch']} arrive in one batch: {result['consumer_batched']:.1f}")
    lines.append(
        f"With {result['agents']} agents available (automatic assignment), one intake alone: "
        f"{result['consumer_assigning']}"
    )
    lines += [f"    {count}  {name}" for name, count in result["consumer_assigning_breakdown"].items()]
    lines.append(f"  per intake when {result['batch']} arrive in one batch: {result['consumer_assigning_batched']:.1f}")
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
