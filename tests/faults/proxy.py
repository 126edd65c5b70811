"""A fault-injecting proxy between the app and the AWS emulator.

Every request an AWS client makes in the tests reaches moto through this
proxy: it wraps moto's in-process stub, which botocore calls once per
attempt, beneath botocore's own retries, so those retry as they would
against AWS. Per service (and, if named, per operation), for a window of the
test's clock or for a number of requests, one fault:

- `outage`: the service cannot be reached (connection refused); nothing reaches it;
- `lost`: the request reaches the service and is carried out, but the answer
  never arrives (the connection closes);
- `error`: the service answers 500 and does nothing;
- `throttled`: the service refuses for now (its throttling error) and does nothing;
- `slow`: the answer comes `delay` later; longer than the client's read
  timeout, the client gives up after the service did the work.

Time is the test's clock: `patient(clock)` makes botocore's retry pauses
advance it instead of sleeping (the app's own pauses go through the clock
anyway), so a 60-second outage costs no 60 seconds."""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

KINDS = ("outage", "lost", "error", "throttled", "slow")
# botocore names events after each service's id; the tests name services as clients do.
_CLIENT_NAMES = {"eventbridge": "events", "dynamodb-streams": "dynamodbstreams", "secrets-manager": "secretsmanager"}
_THROTTLING = {"sesv2": "TooManyRequestsException", "s3": "SlowDown"}
READ_TIMEOUT = timedelta(seconds=5)  # adapters/aws.py and adapters/tables.py: the clients' read timeout


@dataclass
class Fault:
    service: str  # a client's name ("dynamodb", "sesv2", ...), or "*": the whole emulator
    kind: str
    operation: str | None = None  # any operation of the service unless named
    times: int | None = None  # this many requests, then the service is back (None: for the window)
    start: datetime | None = None  # the window on the test's clock (None: from now on / for ever)
    end: datetime | None = None
    delay: timedelta = timedelta(seconds=10)  # for `slow`
    code: str | None = None  # the error code `error` or `throttled` answers with, if not the service's usual

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; one of {KINDS}")

    def applies(self, service: str, operation: str, now: datetime) -> bool:
        if self.service not in ("*", service) or (self.operation and operation != self.operation):
            return False
        if self.times is not None and self.times <= 0:
            return False
        return (self.start is None or now >= self.start) and (self.end is None or now < self.end)


@dataclass
class Call:
    service: str
    operation: str
    fault: str | None  # None: it went through untouched

    @property
    def reached(self) -> bool:
        """Whether the service saw the request (and may have acted on it)."""
        return self.fault in (None, "lost", "slow")


@dataclass
class FaultProxy:
    clock: Any  # the test's clock: faults' windows, and `slow` answers' delay
    faults: list[Fault] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def outage(self, service: str, kind: str, seconds: float, **more: Any) -> Fault:
        """`service` fails as `kind` for `seconds` of the test's clock, from now."""
        now = self.clock.now()
        return self.add(Fault(service, kind, start=now, end=now + timedelta(seconds=seconds), **more))

    def clear(self) -> None:
        self.faults.clear()

    def reached(self, service: str, operation: str | None = None) -> int:
        """How many requests reached the service (of one operation, if named)."""
        return sum(1 for c in self.calls if c.service == service and operation in (None, c.operation) and c.reached)

    def handle(self, event_name: str, request: Any, forward: Callable[[], Any]) -> Any:
        """One attempt of one request: `forward` hands it to the emulator."""
        _, service_id, operation = event_name.split(".", 2)
        service = _CLIENT_NAMES.get(service_id, service_id)
        now = self.clock.now()
        fault = next((f for f in self.faults if f.applies(service, operation, now)), None)
        self.calls.append(Call(service, operation, fault.kind if fault else None))
        if fault is None:
            return forward()
        if fault.times is not None:
            fault.times -= 1
        from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

        if fault.kind == "outage":
            raise EndpointConnectionError(endpoint_url=request.url)
        if fault.kind in ("error", "throttled"):
            return _refusal(request, service, fault.kind, fault.code)
        answer = forward()
        if fault.kind == "lost":
            raise ConnectionClosedError(endpoint_url=request.url)
        self.clock.sleep(min(fault.delay, READ_TIMEOUT).total_seconds())
        if fault.delay >= READ_TIMEOUT:
            raise ReadTimeoutError(endpoint_url=request.url)
        return answer


def _refusal(request: Any, service: str, kind: str, code: str | None) -> Any:
    """The service's own error answer, as botocore parses it for its protocol."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    if kind == "error":
        status, code = 500, code or ("InternalServerError" if service != "s3" else "InternalError")
    else:
        status, code = (503 if service == "s3" else 400), code or _THROTTLING.get(service, "ThrottlingException")
    if service == "s3":
        body = f"<Error><Code>{code}</Code><Message>injected by the fault proxy</Message></Error>"
        headers = {"Content-Type": "application/xml"}
    else:
        body = json.dumps({"__type": code, "message": "injected by the fault proxy"})
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


@contextmanager
def installed(proxy: FaultProxy) -> Iterator[FaultProxy]:
    """Put the proxy between every client and moto's in-process emulator
    (`mock_aws`), and botocore's retry pauses on the test's clock."""
    import botocore.endpoint
    from moto.core.botocore_stubber import BotocoreStubber

    stub = BotocoreStubber.__call__

    def through_proxy(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        if not self.enabled:
            return None
        return proxy.handle(event_name, request, lambda: stub(self, event_name, request, **kwargs))

    real_time = botocore.endpoint.time
    BotocoreStubber.__call__ = through_proxy  # type: ignore[method-assign]
    botocore.endpoint.time = types.SimpleNamespace(  # type: ignore[attr-defined]
        **{name: getattr(real_time, name) for name in dir(real_time) if not name.startswith("_")}
        | {"sleep": proxy.clock.sleep}
    )
    try:
        yield proxy
    finally:
        BotocoreStubber.__call__ = stub  # type: ignore[method-assign]
        botocore.endpoint.time = real_time  # type: ignore[attr-defined]
