"""AWS API calls per intake: POST /inquiries through Chalice's test client on
moto, counting every call the app makes (its boto3 clients and pynamodb's own
botocore clients alike). Each call is a billed request and a network round
trip in AWS, so the count is the intake's cost and latency floor."""
from __future__ import annotations

import json
import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator
from unittest import mock

GOAL = 4  # calls per intake (the budget)
ROOT = Path(__file__).resolve().parent.parent
# A Tuesday inside business hours, as in the tests: due times are stable.
START = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)

# Fake credentials and no endpoint URL: mock_aws intercepts every call and
# nothing can reach real AWS, whatever the caller's shell has set.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "CARELINE_STAGE": "local",
}
UNSET = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_CONFIG_FILE", "CARELINE_PUBLIC_URL")


@dataclass
class Tally:
    calls: Counter = field(default_factory=Counter)  # (service, operation) -> count
    clients: int = 0  # botocore clients created

    @property
    def total(self) -> int:
        return sum(self.calls.values())


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
        tally.calls[(client.meta.service_model.service_name, operation_name)] += 1
        return call(client, operation_name, api_params)

    def counted_create(session, *args, **kwargs):
        tally.clients += 1
        return create(session, *args, **kwargs)

    with mock.patch.object(BaseClient, "_make_api_call", counted_call), \
            mock.patch.object(Session, "create_client", counted_create):
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
        from chalicelib.adapters.aws import reset_clients
        from chalicelib.clock import FixedClock
        from chalicelib.config import load_settings
        from chalicelib.dev.provision import provision

        with mock_aws():
            reset_clients()  # clients made outside mock_aws would bypass it
            settings = load_settings()
            provision(settings)
            wiring.use(wiring.Container(settings, FixedClock(START)))
            try:
                with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
                    yield client
            finally:
                wiring.use(None)
                reset_clients()


def _post(client, n: int, idempotency_key: str | None = None):
    # A different customer each time, so the per-email rate limit never bites.
    body = {"name": "Ann Lee", "email": f"customer{n}@example.com", "subject": "Parcel",
            "message": "Where is my parcel?"}
    headers = {"Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return client.http.post("/inquiries", headers=headers, body=json.dumps(body))


def _intake(client, n: int, *, key: str | None = None) -> Tally:
    with counting_calls() as tally:
        response = _post(client, n, key)
    if response.status_code != 201:  # a replay answers 201 with the first answer too
        raise RuntimeError(f"intake {n}: HTTP {response.status_code}: {response.body!r}")
    return tally


def _breakdown(calls: Counter) -> dict[str, int]:
    return {f"{service}:{operation}": count for (service, operation), count in sorted(calls.items())}


def measure(intakes: int = 5) -> dict:
    """Calls per intake in steady state (after a warm-up intake that builds
    clients), per operation, and for an idempotent replay."""
    with emulated_app() as client:
        warm_up = _intake(client, 0)
        steady = [_intake(client, n) for n in range(1, intakes + 1)]
        keyed = _intake(client, intakes + 1, key="bench-replay")
        replay = _intake(client, intakes + 1, key="bench-replay")  # same body, same key: the first answer

    totals = [t.total for t in steady]
    worst = steady[totals.index(max(totals))]
    return {
        "intakes": intakes,
        "per_intake": max(totals),
        "per_intake_min": min(totals),
        "breakdown": _breakdown(worst.calls),
        "clients_per_intake": max(t.clients for t in steady),
        "warm_up": warm_up.total,
        "with_idempotency_key": keyed.total,
        "replay": replay.total,
        "replay_breakdown": _breakdown(replay.calls),
        "goal": GOAL,
        "passed": max(totals) <= GOAL and keyed.total <= GOAL,
    }


def report(result: dict) -> list[str]:
    verdict = "PASS" if result["passed"] else "FAIL"
    spread = "" if result["per_intake"] == result["per_intake_min"] else f" (min {result['per_intake_min']})"
    lines = [f"AWS calls per intake: {result['per_intake']}{spread} over {result['intakes']} intakes, "
             f"goal <= {result['goal']}: {verdict}"]
    lines += [f"    {count}  {name}" for name, count in result["breakdown"].items()]
    lines.append(f"  first intake (warm-up): {result['warm_up']}; "
                 f"with an Idempotency-Key: {result['with_idempotency_key']}")
    lines.append(f"  botocore clients built per steady intake: {result['clients_per_intake']} "
                 "(a warm container should build 0)")
    lines.append(f"  idempotent replay: {result['replay']}")
    lines += [f"    {count}  {name}" for name, count in result["replay_breakdown"].items()]
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
