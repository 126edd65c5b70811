"""Outgoing webhooks (docs/events.md): every published event POSTed to each
endpoint of the stage that wants it, signed with the endpoint's secret.

All deliveries of a batch run at once, each with its endpoint's timeout, so
a slow or dead endpoint delays nobody else by more than its own timeout. In
AWS the stage's bus feeds an SQS queue and `deliver_webhooks` takes batches
from it: a message some endpoint failed is reported (ReportBatchItemFailures)
and hidden for a growing while, so SQS retries only it, with backoff, and
moves it to the dead-letter queue after the last attempt. The endpoints that
did take it are remembered and not sent it again. Delivery is at least once:
receivers dedupe by the event's `id`. The stream never waits for any of it."""

from __future__ import annotations

import contextvars
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from functools import partial
from typing import Any, Protocol

from ..adapters import queue
from ..adapters.store.claims import ClaimStore
from ..adapters.webhook_http import DeliveryFailed, post
from ..clock import Clock
from ..domain.webhooks import SIGNATURE_HEADER, Endpoint, signature_header
from ..log import logger

log = logger(__name__)
# How long a failed message stays hidden, by how often SQS has handed it out;
# after the queue's maxReceiveCount (infra/build.py) it goes to the dead letters.
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)
GRACE_SECONDS = 1.0  # beyond an endpoint's timeout, before its delivery counts as lost
USER_AGENT = "Careline-Webhooks/1"


class Post(Protocol):
    """adapters/webhook_http.py's post: (url, body, headers, timeout; the local stage's allowance) -> status."""

    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float, *, loopback: bool) -> int: ...


def body_of(event: Mapping[str, Any]) -> bytes:
    """The bytes that are sent and signed: the envelope as compact JSON."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def envelope_of(message_body: str) -> dict[str, Any]:
    """The envelope an SQS message carries: EventBridge puts the whole event
    in the message, our envelope is its detail."""
    event = json.loads(message_body)
    envelope = event.get("detail", event) if isinstance(event, dict) else None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("id"), str) or "type" not in envelope:
        raise ValueError("not a Careline event")
    return envelope


class Webhooks:
    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        claims: ClaimStore,
        clock: Clock,
        secret: Callable[[str], bytes],
        wall_seconds: Callable[[], float] = time.time,
        transport: Post = post,
    ) -> None:
        self._endpoints = tuple(endpoints)
        self._claims = claims
        self._clock = clock  # when remembered deliveries may be forgotten
        self._secret = secret
        self._wall_seconds = wall_seconds  # signatures carry real time, whatever the business clock says
        self._post = transport

    def deliver(
        self, events: Iterable[Mapping[str, Any]], skip: frozenset[tuple[str, str]] = frozenset()
    ) -> dict[str, dict[str, str]]:
        """POST each event to every endpoint that wants it, all at once (but
        not where `skip` has (event id, endpoint name)); for each event id that
        some endpoint failed, those endpoints and why."""
        jobs: list[tuple[str, Endpoint, bytes, dict[str, str]]] = []
        failed: dict[str, dict[str, str]] = {}
        signed_at = int(self._wall_seconds())
        for event in events:
            body = body_of(event)
            for endpoint in self._endpoints:
                if not endpoint.wants(event["type"]) or (event["id"], endpoint.name) in skip:
                    continue
                try:
                    secret = self._secret(endpoint.secret)
                except Exception:  # Secrets Manager did not answer: this endpoint waits for the retry
                    log.exception("webhook secret unavailable", extra={"endpoint": endpoint.name})
                    failed.setdefault(event["id"], {})[endpoint.name] = "its secret could not be read"
                    continue
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    "Careline-Event-Id": event["id"],
                    "Careline-Event-Type": event["type"],
                    SIGNATURE_HEADER: signature_header(secret, signed_at, body),
                }
                jobs.append((event["id"], endpoint, body, headers))
        if not jobs:
            return failed
        # One thread per delivery (a batch is at most 10 events): none waits for another's endpoint.
        pool = ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="webhook")
        try:
            # Each delivery logs with the handler's context (function, request id).
            futures = {pool.submit(contextvars.copy_context().run, partial(self._send, *job)): job for job in jobs}
            longest = max(endpoint.timeout_seconds for _, endpoint, _, _ in jobs)
            done, _ = wait(futures, timeout=longest + GRACE_SECONDS)
            for future, (event_id, endpoint, _, _) in futures.items():
                error = future.result() if future in done else f"no answer within {endpoint.timeout_seconds:g} s"
                if error:
                    failed.setdefault(event_id, {})[endpoint.name] = error
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # a hung delivery keeps its thread, not us
        return failed

    def _send(self, event_id: str, endpoint: Endpoint, body: bytes, headers: dict[str, str]) -> str | None:
        started = time.monotonic()
        try:
            status = self._post(endpoint.url, body, headers, endpoint.timeout_seconds, loopback=endpoint.loopback)
        except DeliveryFailed as error:
            log.warning(
                "webhook not delivered",
                extra={
                    "event": headers["Careline-Event-Type"],
                    "event_id": event_id,
                    "endpoint": endpoint.name,
                    "error": str(error),
                },
            )
            return str(error)
        except Exception as error:  # a fault of ours with one endpoint is still only that endpoint's failure
            log.exception("webhook delivery broke", extra={"event_id": event_id, "endpoint": endpoint.name})
            return f"not sent: {error}"
        log.info(
            "webhook delivered",
            extra={
                "event": headers["Careline-Event-Type"],
                "event_id": event_id,
                "endpoint": endpoint.name,
                "status": status,
                "ms": round((time.monotonic() - started) * 1000),
            },
        )
        return None

    def handle(self, records: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, str]]]:
        """A batch from the webhook queue; the messages to hand out again."""
        failures: list[str] = []
        parsed: list[tuple[Mapping[str, Any], dict[str, Any]]] = []
        for record in records:
            try:
                parsed.append((record, envelope_of(record["body"])))
            except (ValueError, KeyError, TypeError):
                log.error(
                    "not a Careline event: left for the dead-letter queue",
                    extra={"message_id": record.get("messageId")},
                )
                failures.append(record["messageId"])
        retried = [envelope for record, envelope in parsed if _receive_count(record) > 1]
        failed = self.deliver([envelope for _, envelope in parsed], skip=self._taken_already(retried))
        for record, envelope in parsed:
            if envelope["id"] in failed:
                self._remember_the_others(envelope, failed[envelope["id"]])
                self._back_off(record)
                failures.append(record["messageId"])
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failures]}

    # Retries: only to the endpoints that failed, after a growing pause.

    def _taken_already(self, events: Sequence[Mapping[str, Any]]) -> frozenset[tuple[str, str]]:
        return frozenset(
            (event["id"], endpoint.name)
            for event in events
            for endpoint in self._endpoints
            if endpoint.wants(event["type"])
            and self._claims.claim(_delivered_key(endpoint.name, event["id"])) is not None
        )

    def _remember_the_others(self, event: Mapping[str, Any], failed: Mapping[str, str]) -> None:
        until = self._clock.now() + queue.RETENTION  # SQS hands the event out no later
        for endpoint in self._endpoints:
            if endpoint.wants(event["type"]) and endpoint.name not in failed:
                self._claims.mark(_delivered_key(endpoint.name, event["id"]), until)

    def _back_off(self, record: Mapping[str, Any]) -> None:
        attempt = _receive_count(record)
        seconds = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]
        try:
            queue.postpone(record["eventSourceARN"], record["receiptHandle"], seconds)
        except Exception:  # then the queue's own visibility timeout paces the retry
            log.exception("could not postpone a failed webhook message", extra={"message_id": record["messageId"]})


def _receive_count(record: Mapping[str, Any]) -> int:
    return int((record.get("attributes") or {}).get("ApproximateReceiveCount", 1))


def _delivered_key(endpoint: str, event_id: str) -> str:
    return f"hook#{endpoint}#{event_id}"
