"""Outage scenarios: one dependency fails for a while (on the dev clock)
while customers keep writing in, through the web form and by email with a
photo (two just before it begins, so their effects meet it); then the local
stage runs on for 10 minutes of dev clock as `make run` would (its
background tick: the stream reader, due schedules, the reconcile job, the
mail retries), without a person. What each customer
got is counted: tickets answered 201 (or, by email, taken), stored,
acknowledged exactly once, with their `ticket.created` event, with their
SLA schedule, counted in the metrics; and answers of 503 for tickets that
were stored all the same.

The guarantee (docs/reliability.md): after an outage of any single
dependency of up to 60 s, every ticket taken gets all of it within 10
minutes of recovery. `make faults` runs every scenario; `make test` the
fast subset (tests/integration/test_fault_scenarios.py)."""

from __future__ import annotations

import contextlib
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

FORM = {"name": "Ann Lee", "message": "Where is my parcel? It was due on Monday.", "subject": "Parcel"}
PHOTO = b"\xff\xd8\xff\xe0 a photo of the parcel label"
RECOVERY = timedelta(minutes=10)  # the guarantee: all of it within this long after the fault ends
TICK = timedelta(seconds=15)  # how often the local stage's background work runs, on the dev clock


@dataclass(frozen=True)
class Scenario:
    service: str  # dynamodb | sesv2 | events | scheduler | s3, or * (every one at once)
    kind: str  # tests/faults/proxy.py: outage | lost | error | slow
    seconds: int = 60  # how long the fault lasts, on the dev clock
    fast: bool = False  # part of `make test`'s subset
    before: int = 2  # web-form inquiries taken just before it begins (their effects meet it)
    web: int = 8  # web-form inquiries sent while it lasts
    email: int = 2  # emails with a photo while it lasts
    delay: int = 10  # seconds, for `slow`: longer than the clients' read timeout is an answer lost
    # DynamoDB answers nothing for longer than a request waits to find out
    # (services/writer.py UNKNOWN_OUTCOME_BUDGET): a 503 may then be stored.
    unknowable: bool = False

    @property
    def name(self) -> str:
        return f"{self.service.replace('*', 'all')} {self.kind} {self.seconds} s"


SCENARIOS = (
    Scenario("*", "outage", 6),  # the first: the whole emulator unreachable for 6 s
    Scenario("dynamodb", "outage", fast=True),
    Scenario("dynamodb", "lost", 4, fast=True),  # the issue's: answers lost for 4 s
    Scenario("dynamodb", "error"),
    Scenario("dynamodb", "slow", delay=3),  # late, within the read timeout
    Scenario("dynamodb", "lost", unknowable=True),
    Scenario("sesv2", "outage", fast=True),
    Scenario("sesv2", "lost", fast=True),
    Scenario("sesv2", "error"),
    Scenario("sesv2", "slow"),
    Scenario("events", "outage", fast=True),
    Scenario("events", "lost"),
    Scenario("events", "error"),
    Scenario("scheduler", "outage", fast=True),
    Scenario("scheduler", "lost"),
    Scenario("scheduler", "error"),
    Scenario("s3", "outage", fast=True),
    Scenario("s3", "error"),
    # Longer than the stream's retries last: its batches go to the on-failure
    # queue and the reconcile job redoes them (beyond the guarantee's 60 s).
    Scenario("events", "outage", 600),
    Scenario("sesv2", "outage", 600),
)


@dataclass
class Result:
    scenario: Scenario
    taken: list[str] = field(default_factory=list)  # ticket ids answered 201 (web) or "created" (email)
    refused: int = 0  # answered 503 (web) or failed (email: SES would deliver it again)
    errors: int = 0  # answered anything else of 5xx
    stored: int = 0
    acknowledged_once: int = 0
    acknowledged_twice: int = 0
    with_event: int = 0
    with_schedule: int = 0
    counted: int = 0  # the metrics' volume for the day
    refused_yet_stored: int = 0

    @property
    def complete(self) -> bool:
        n = len(self.taken)
        return (
            self.errors == 0
            and (self.refused_yet_stored == 0 or self.scenario.unknowable)
            and self.acknowledged_twice == 0
            and n == self.stored == self.acknowledged_once == self.with_event == self.with_schedule
            and self.counted == n + self.refused_yet_stored  # a stored ticket is counted, however it was answered
        )

    def row(self) -> str:
        s = self.scenario
        n, service = len(self.taken), s.service.replace("*", "all")
        return (
            f"| {service} | {s.kind} {s.seconds} s | {n} | {self.stored} | {self.acknowledged_once} "
            f"({self.acknowledged_twice} twice) | {self.with_event} | {self.with_schedule} | {self.counted} "
            f"| {self.refused} ({self.refused_yet_stored} stored) | {self.errors} |"
        )


HEADER = (
    "| dependency | fault | taken (201) | stored | acknowledged once | with event | with schedule | counted "
    "| answered 503 | other 5xx |\n|---|---|---|---|---|---|---|---|---|---|"
)


def run(scenario: Scenario, client: Any, services: Any, clock: Any, faults: Any) -> Result:
    """Customers write in while the fault lasts; the local stage runs on for
    RECOVERY after it ends; what each customer got is counted."""
    random.seed(scenario.name)  # botocore's retry jitter, and so the table, the same every run
    result = Result(scenario)
    refused: list[str] = []  # the addresses of refused requests
    for n in range(scenario.before):  # taken just before: their effects meet the fault
        _web_form(client, f"early{n}@example.com", result, refused)
    fault = faults.outage(scenario.service, scenario.kind, scenario.seconds, delay=timedelta(seconds=scenario.delay))
    sends = scenario.web + scenario.email
    by_email = {int((k + 0.5) * sends / scenario.email) for k in range(scenario.email)}  # spread among the forms
    for n in range(sends):
        address = f"customer{n}@example.com"
        if n in by_email:
            _email_in(client, address, result, refused)
        else:
            _web_form(client, address, result, refused)
        _tick(services)
        clock.advance(timedelta(seconds=scenario.seconds) / sends)
    while clock.now() < fault.end:
        _tick(services)
        clock.advance(TICK)
    recovered = clock.now()
    while clock.now() < recovered + RECOVERY:
        clock.advance(TICK)
        _tick(services)
    faults.clear()
    _count(result, refused, services)
    return result


def _web_form(client: Any, address: str, result: Result, refused: list[str]) -> None:
    response = client.http.post(
        "/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM | {"email": address})
    )
    if response.status_code == 201:
        result.taken.append(response.json_body["id"])
    elif response.status_code == 503:
        result.refused += 1
        refused.append(address)
    elif response.status_code >= 500:
        result.errors += 1


def _email_in(client: Any, address: str, result: Result, refused: list[str]) -> None:
    """A new inquiry by email with a photo, as SES inbound hands it over."""
    message = EmailMessage()
    message["From"] = f"Ann Lee <{address}>"
    message["To"] = "support@careline.example"
    message["Subject"] = "Damaged parcel"
    message["Message-ID"] = f"<{address}@example.com>"
    message.set_content("The parcel arrived damaged, photo attached.")
    message.add_attachment(PHOTO, maintype="image", subtype="jpeg", filename="label.jpg")
    response = client.http.post("/_dev/inbound", headers={"Content-Type": "message/rfc822"}, body=message.as_bytes())
    if response.status_code == 200 and response.json_body.get("action") == "created":
        result.taken.append(response.json_body["ticket_id"])
    elif response.status_code >= 500:  # AWS would hand the mail over again; counted as refused
        result.refused += 1
        refused.append(address)


def _tick(services: Any) -> None:
    """`make run`'s background tick (local/devserver.py), which carries on when a dependency fails."""
    from local.scheduler import run_due

    with contextlib.suppress(Exception):  # the devserver logs it and ticks again a second later
        run_due(services)


def _count(result: Result, refused: list[str], services: Any) -> None:
    from chalicelib.adapters.aws import client as aws_client
    from local.events import published
    from local.mailbox import sent_messages

    store = services.store
    taken = set(result.taken)
    stored = {ticket_id: store.ticket(ticket_id) for ticket_id in taken}
    result.stored = sum(1 for ticket in stored.values() if ticket is not None)
    addresses = {t.customer_email: t.reference for t in stored.values() if t is not None}
    acknowledgements = Counter(
        address
        for mail in sent_messages()
        for address, reference in addresses.items()
        if address in mail["to"][0] and f"[{reference}]" in mail["subject"]
    )
    result.acknowledged_once = sum(1 for a in addresses if acknowledgements[a] == 1)
    result.acknowledged_twice = sum(1 for a in addresses if acknowledgements[a] > 1)
    created = {e["ticket_id"] for e in published() if e["type"] == "ticket.created"}
    result.with_event = len(taken & created)
    names = {
        s["Name"]
        for page in aws_client("scheduler")
        .get_paginator("list_schedules")
        .paginate(GroupName=services.settings.scheduler_group)
        for s in page["Schedules"]
    }
    result.with_schedule = sum(1 for ticket_id in taken if any(n.startswith(f"cl-{ticket_id}-") for n in names))
    now = services.clock.now()
    days = [(now + timedelta(days=d)).strftime("%Y-%m-%d") for d in (-1, 0, 1)]  # the shop's day may differ
    counters = services.counters.read(days)
    result.counted = sum(
        v
        for families in counters.values()
        for k, v in families.get("all", {}).items()
        if k.startswith("volume:channel:")
    )
    result.refused_yet_stored = sum(1 for address in refused if store.ticket_ids_of(address))
