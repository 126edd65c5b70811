"""Faults as tests: DynamoDB, SES, Scheduler and EventBridge failing before,
during and after each step of intake, reply, resolve, an SLA event and
inbound mail (throttled, 500, answering too late, or answering after the
write succeeded), injected by the proxy between the app and the emulator
(tests/faults/proxy.py). Each case asserts what the customer sees once the
fault is over: the answer, whether the ticket exists, every email sent
exactly once, the ticket's schedule armed exactly once."""

import contextlib
import json
from datetime import timedelta

import pytest

from tests.calls import FORM, schedules
from tests.faults.proxy import Fault


def once(service, operation, kind, times=1):
    """The next `times` requests of one operation fail as `kind` (tests/faults/proxy.py),
    beneath botocore's retries: a single failure is usually absorbed by them."""
    return Fault(service, kind, operation=operation, times=times)


def fault_id(fault):
    return f"{fault.service}-{fault.operation}-{fault.kind}"


@pytest.fixture
def inject(faults):
    # A copy counts down: the parametrized fault stays as declared for the
    # next run of the same test in this process (mutation testing reruns it).
    from dataclasses import replace

    return lambda fault: faults.add(replace(fault))


def recover(services, clock, settle):
    """What AWS does after a fault: the stream delivers again, the retry and
    repair jobs run (the dev clock moves them on)."""
    for _ in range(4):
        settle()
        clock.advance(timedelta(minutes=3))
        services.delivery.retry_due()
        services.timers.reconcile()
    settle()


def customer_mail(mailbox, address="ann@example.com"):
    return [m for m in mailbox() if address in m["to"][0]]


INTAKE_FAULTS = [
    once("dynamodb", "TransactWriteItems", "throttled"),
    once("dynamodb", "TransactWriteItems", "error"),
    once("dynamodb", "TransactWriteItems", "slow"),
    once("dynamodb", "TransactWriteItems", "lost"),
    once("dynamodb", "Query", "throttled"),
    once("dynamodb", "PutItem", "error"),
    once("dynamodb", "PutItem", "lost"),
    once("dynamodb", "UpdateItem", "throttled"),
    once("dynamodb", "UpdateItem", "lost"),
    once("sesv2", "SendEmail", "throttled"),
    once("sesv2", "SendEmail", "error"),
    once("sesv2", "SendEmail", "slow"),
    once("scheduler", "CreateSchedule", "throttled"),
    once("scheduler", "CreateSchedule", "lost"),
    once("events", "PutEvents", "error"),
    once("events", "PutEvents", "lost"),
]


@pytest.mark.parametrize("fault", INTAKE_FAULTS, ids=fault_id)
def test_intake_under_a_passing_fault(client, services, clock, mailbox, settle, inject, fault):
    inject(fault)
    response = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM))
    assert response.status_code == 201, response.body  # a fault that passes within the request is not the customer's
    ticket_id = response.json_body["id"]
    recover(services, clock, settle)
    assert services.store.ticket(ticket_id) is not None
    acknowledgements = customer_mail(mailbox)
    if fault.kind == "slow" and fault.service == "sesv2":
        # The request reached SES and timed out: it may have gone out, so it is never sent again.
        assert len(acknowledgements) <= 1
        assert services.store.collection(ticket_id).deliveries[0].state == "unconfirmed"
    else:
        assert len(acknowledgements) == 1
    assert schedules(services.settings) == [f"cl-{ticket_id}-fr-warn"]


def test_intake_when_dynamodb_stays_down_is_503_and_nothing_exists(client, services, mailbox, inject):
    inject(once("dynamodb", "TransactWriteItems", "error", 50))
    response = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM))
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert services.store.ticket_ids_of("ann@example.com") == [] and mailbox() == []


def test_intake_whose_answer_is_lost_every_time_is_201_not_a_duplicate(client, services, mailbox, inject, settle):
    inject(once("dynamodb", "TransactWriteItems", "lost", 3))
    response = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM))
    assert response.status_code == 201  # it recognised its own earlier commit
    assert services.store.ticket_ids_of("ann@example.com") == [response.json_body["id"]]
    assert len(customer_mail(mailbox)) == 1


def test_intake_whose_commit_took_but_no_attempt_was_answered_is_201_once(client, services, mailbox, inject):
    inject(once("dynamodb", "TransactWriteItems", "lost"))  # written, answer lost
    inject(once("dynamodb", "TransactWriteItems", "slow", 2))  # then every retry times out
    response = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM))
    assert response.status_code == 201  # it looked and found its own commit: not a 503 for a stored ticket
    assert services.store.ticket_ids_of("ann@example.com") == [response.json_body["id"]]
    assert len(customer_mail(mailbox)) == 1


OPERATOR_FAULTS = [
    once("dynamodb", "TransactWriteItems", "throttled"),
    once("dynamodb", "TransactWriteItems", "lost"),
    once("sesv2", "SendEmail", "error"),
    once("dynamodb", "UpdateItem", "lost"),
    once("scheduler", "CreateSchedule", "error"),
    once("scheduler", "DeleteSchedule", "throttled"),
]


@pytest.mark.parametrize("step", ["reply", "resolve"])
@pytest.mark.parametrize("fault", OPERATOR_FAULTS, ids=fault_id)
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
    assert schedules(services.settings) == expected


SLA_FAULTS = [
    once("dynamodb", "TransactWriteItems", "lost"),
    once("sesv2", "SendEmail", "throttled"),
    once("scheduler", "CreateSchedule", "error"),
    once("dynamodb", "GetItem", "throttled"),
]


@pytest.mark.parametrize("fault", SLA_FAULTS, ids=fault_id)
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
    assert schedules(services.settings) == [f"cl-{ticket['id']}-fr-breach"]


INBOUND_FAULTS = [
    once("dynamodb", "TransactWriteItems", "lost"),
    once("dynamodb", "TransactWriteItems", "throttled"),
    once("sesv2", "SendEmail", "error"),
]


@pytest.mark.parametrize("fault", INBOUND_FAULTS, ids=fault_id)
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


def test_intake_whose_answers_are_lost_for_four_seconds_finds_out_and_is_201_once(client, services, mailbox, faults):
    # The case: every DynamoDB answer lost for 4 s. The request sends its transaction again
    # (same token) until DynamoDB answers, and answers 201 for what it stored: a 503 means not stored.
    faults.outage("dynamodb", "lost", 4)
    response = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM))
    assert response.status_code == 201, response.body
    assert services.store.ticket_ids_of("ann@example.com") == [response.json_body["id"]]
    assert len(customer_mail(mailbox)) == 1


def test_a_form_refused_while_dynamodb_is_down_carries_a_one_time_key_and_sent_again_makes_one_ticket(
    client, services, clock, mailbox, faults
):
    import re
    from html import unescape
    from urllib.parse import urlencode

    browser = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    }
    faults.outage("dynamodb", "outage", 60)
    refused = client.http.post("/inquiries", headers=browser, body=urlencode(FORM))
    assert refused.status_code == 503 and "Retry-After" in refused.headers
    page = refused.body.decode()
    [key] = re.findall(r'<input type="hidden" name="form_key" value="([^"]+)">', page)
    clock.advance(timedelta(minutes=1))  # DynamoDB is back; the customer sends the form again, as the page asks
    assert services.store.ticket_ids_of("ann@example.com") == []  # a 503 means not stored
    form = FORM | {"form_key": unescape(key)}
    first = client.http.post("/inquiries", headers=browser, body=urlencode(form))
    again = client.http.post("/inquiries", headers=browser, body=urlencode(form))  # and once more, by the browser
    assert first.status_code == again.status_code == 201
    reference = re.search(r"CL-[0-9A-Z]+", first.body.decode()).group(0)
    assert reference in again.body.decode()  # the first ticket, not a second
    assert len(services.store.ticket_ids_of("ann@example.com")) == 1
    assert len(customer_mail(mailbox)) == 1


def test_a_form_key_too_long_is_refused_by_name(client):
    response = client.http.post(
        "/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM | {"form_key": "k" * 129})
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json_body["errors"]] == ["form_key"]
