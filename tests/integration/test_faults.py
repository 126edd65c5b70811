"""Faults as tests: DynamoDB, SES, Scheduler and EventBridge failing before,
during and after each step of intake, reply, resolve, an SLA event and
inbound mail (throttled, 5xx, timed out, or answering after the write
succeeded). Each case asserts what the customer sees once the fault is over:
the answer, whether the ticket exists, every email sent exactly once, the
ticket's schedule armed exactly once."""

import contextlib
import json
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from chalicelib.adapters.aws import client as aws_client

FORM = {"name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?", "subject": "Parcel"}


@dataclass
class Fault:
    service: str
    operation: str
    kind: str  # throttled | 5xx | timeout (never reached the service) | lost (done, answer lost)
    times: int = 1  # how many calls in a row fail (then the dependency is back)

    def error(self):
        if self.kind == "throttled":
            code = "TooManyRequestsException" if self.service == "sesv2" else "ThrottlingException"
            return ClientError({"Error": {"Code": code, "Message": "slow down"}}, self.operation)
        if self.kind == "5xx":
            return ClientError(
                {
                    "Error": {"Code": "InternalServerError", "Message": "oops"},
                    "ResponseMetadata": {"HTTPStatusCode": 500},
                },
                self.operation,
            )
        if self.kind == "timeout":
            return ReadTimeoutError(endpoint_url=f"https://{self.service}.invalid")
        return ConnectionClosedError(endpoint_url=f"https://{self.service}.invalid")


@pytest.fixture
def inject(monkeypatch):
    """Make the next `times` calls of one operation fail as the fault says."""
    from botocore.client import BaseClient

    call = BaseClient._make_api_call
    active: list[Fault] = []

    def faulty(client, operation, params):
        for fault in active:
            if (client.meta.service_model.service_name, operation) == (
                fault.service,
                fault.operation,
            ) and fault.times > 0:
                fault.times -= 1
                if fault.kind == "lost":
                    call(client, operation, params)  # it happened; the answer never arrives
                raise fault.error()
        return call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", faulty)
    # A copy counts down: the parametrized fault stays as declared for the
    # next run of the same test in this process (mutation testing reruns it).
    return lambda fault: active.append(replace(fault))


def recover(services, clock, settle):
    """What AWS does after a fault: the stream delivers again, the retry and
    repair jobs run (the dev clock moves them on)."""
    for _ in range(4):
        settle()
        clock.advance(timedelta(minutes=3))
        services.delivery.retry_due()
        services.timers.reconcile()
    settle()


def schedules(services):
    return [
        s["Name"]
        for s in aws_client("scheduler").list_schedules(GroupName=services.settings.scheduler_group)["Schedules"]
    ]


def customer_mail(mailbox, address="ann@example.com"):
    return [m for m in mailbox() if address in m["to"][0]]


INTAKE_FAULTS = [
    Fault("dynamodb", "TransactWriteItems", "throttled"),
    Fault("dynamodb", "TransactWriteItems", "5xx"),
    Fault("dynamodb", "TransactWriteItems", "timeout"),
    Fault("dynamodb", "TransactWriteItems", "lost"),
    Fault("dynamodb", "Query", "throttled"),
    Fault("dynamodb", "PutItem", "5xx"),
    Fault("dynamodb", "PutItem", "lost"),
    Fault("dynamodb", "UpdateItem", "throttled"),
    Fault("dynamodb", "UpdateItem", "lost"),
    Fault("sesv2", "SendEmail", "throttled"),
    Fault("sesv2", "SendEmail", "5xx"),
    Fault("sesv2", "SendEmail", "timeout"),
    Fault("scheduler", "CreateSchedule", "throttled"),
    Fault("scheduler", "CreateSchedule", "lost"),
    Fault("events", "PutEvents", "5xx"),
    Fault("events", "PutEvents", "lost"),
]


@pytest.mark.parametrize("fault", INTAKE_FAULTS, ids=lambda f: f"{f.service}-{f.operation}-{f.kind}")
def test_intake_under_a_passing_fault(client, services, clock, mailbox, settle, inject, fault):
    inject(fault)
    response = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM))
    assert response.status_code == 201, response.body  # a fault that passes within the request is not the customer's
    ticket_id = response.json_body["id"]
    recover(services, clock, settle)
    assert services.store.ticket(ticket_id) is not None
    acknowledgements = customer_mail(mailbox)
    if fault.kind == "timeout" and fault.service == "sesv2":
        # The request reached SES and timed out: it may have gone out, so it is never sent again.
        assert len(acknowledgements) <= 1
        assert services.store.collection(ticket_id).deliveries[0].state == "unconfirmed"
    else:
        assert len(acknowledgements) == 1
    assert schedules(services) == [f"cl-{ticket_id}-fr-warn"]


def test_intake_when_dynamodb_stays_down_is_503_and_nothing_exists(client, services, mailbox, inject):
    inject(Fault("dynamodb", "TransactWriteItems", "5xx", times=50))
    response = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM))
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert services.store.ticket_ids_of("ann@example.com") == [] and mailbox() == []


def test_intake_whose_answer_is_lost_every_time_is_201_not_a_duplicate(client, services, mailbox, inject, settle):
    inject(Fault("dynamodb", "TransactWriteItems", "lost", times=3))
    response = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM))
    assert response.status_code == 201  # it recognised its own earlier commit
    assert services.store.ticket_ids_of("ann@example.com") == [response.json_body["id"]]
    assert len(customer_mail(mailbox)) == 1


def test_intake_whose_commit_took_but_no_attempt_was_answered_is_201_once(client, services, mailbox, inject):
    inject(Fault("dynamodb", "TransactWriteItems", "lost"))  # written, answer lost
    inject(Fault("dynamodb", "TransactWriteItems", "timeout", times=2))  # then every retry times out
    response = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM))
    assert response.status_code == 201  # it looked and found its own commit: not a 503 for a stored ticket
    assert services.store.ticket_ids_of("ann@example.com") == [response.json_body["id"]]
    assert len(customer_mail(mailbox)) == 1


OPERATOR_FAULTS = [
    Fault("dynamodb", "TransactWriteItems", "throttled"),
    Fault("dynamodb", "TransactWriteItems", "lost"),
    Fault("sesv2", "SendEmail", "5xx"),
    Fault("dynamodb", "UpdateItem", "lost"),
    Fault("scheduler", "CreateSchedule", "5xx"),
    Fault("scheduler", "DeleteSchedule", "throttled"),
]


@pytest.mark.parametrize("step", ["reply", "resolve"])
@pytest.mark.parametrize("fault", OPERATOR_FAULTS, ids=lambda f: f"{f.service}-{f.operation}-{f.kind}")
def test_operator_steps_under_a_passing_fault(
    client, services, clock, mailbox, settle, inject, operator, new_ticket, step, fault
):
    ticket = new_ticket()
    before = len(customer_mail(mailbox))
    inject(fault)
    body = {"body": "Your parcel arrives tomorrow.", "resolve": step == "resolve"}
    response = client.http.post(f"/tickets/{ticket['id']}/replies", headers=operator(), body=json.dumps(body))
    assert response.status_code == 201, response.body
    recover(services, clock, settle)
    view = client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body
    assert [m["body"] for m in view["messages"] if m["author"] != "system" and m["direction"] == "out"] == [
        "Your parcel arrives tomorrow."
    ]  # stored once
    assert len(customer_mail(mailbox)) == before + 1  # the reply, exactly once
    expected = [f"cl-{ticket['id']}-followup"] if step == "resolve" else [f"cl-{ticket['id']}-res-warn"]
    assert schedules(services) == expected


SLA_FAULTS = [
    Fault("dynamodb", "TransactWriteItems", "lost"),
    Fault("sesv2", "SendEmail", "throttled"),
    Fault("scheduler", "CreateSchedule", "5xx"),
    Fault("dynamodb", "GetItem", "throttled"),
]


@pytest.mark.parametrize("fault", SLA_FAULTS, ids=lambda f: f"{f.service}-{f.operation}-{f.kind}")
def test_an_sla_warning_under_a_passing_fault_warns_once(
    client, services, clock, mailbox, settle, inject, new_ticket, fault
):
    ticket = new_ticket()
    clock.advance(timedelta(hours=20))  # the first-response warning is due
    inject(fault)
    # Scheduler invokes again after a failed invocation; the reconciler acts too.
    with contextlib.suppress(Exception):
        services.timers.fire({"type": "sla", "ticket_id": ticket["id"], "metric": "first_response", "kind": "warning"})
    recover(services, clock, settle)
    warnings = [m for m in mailbox() if m["subject"].startswith("SLA warning")]
    assert len(warnings) == 1
    assert schedules(services) == [f"cl-{ticket['id']}-fr-breach"]


INBOUND_FAULTS = [
    Fault("dynamodb", "TransactWriteItems", "lost"),
    Fault("dynamodb", "TransactWriteItems", "throttled"),
    Fault("sesv2", "SendEmail", "5xx"),
]


@pytest.mark.parametrize("fault", INBOUND_FAULTS, ids=lambda f: f"{f.service}-{f.operation}-{f.kind}")
def test_a_customers_email_under_a_passing_fault_is_added_once(
    client, services, clock, mailbox, settle, inject, new_ticket, fault
):
    ticket = new_ticket()
    raw = (
        f"From: Ann Lee <ann@example.com>\r\nTo: support@careline.example\r\n"
        f"Subject: Re: Parcel [{ticket['reference']}]\r\nMessage-ID: <r1@example.com>\r\n\r\nStill waiting!"
    ).encode()
    inject(fault)
    try:
        services.inbound.handle(raw)
    except Exception:  # S3 notifies the function again after a failed invocation
        services.inbound.handle(raw)
    services.inbound.handle(raw)  # and SES may deliver the same mail twice anyway
    recover(services, clock, settle)
    thread = services.store.collection(ticket["id"]).entries
    assert [e.entry.body for e in thread if e.entry.direction == "in"] == ["Where is my parcel?", "Still waiting!"]
