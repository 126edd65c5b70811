"""Effects are redone, never lost. The local stream reader behaves as the
event source mapping is configured (retries with backoff, bisect on error,
then only the batch's position to the on-failure queue); the reconcile job
reads that range again from the stream, and finds by their redo markers the
changes whose effects never completed; each effect happens once."""

import json
from datetime import timedelta

import pytest

from chalicelib.adapters.aws import client as aws_client
from chalicelib.adapters.queue import queue_url
from chalicelib.services.consumer import STREAM_RETRY_ATTEMPTS
from tests.calls import FORM, submit, volume


def failures(settings):
    """The on-failure queue's messages, left where they are."""
    answer = aws_client("sqs").receive_message(
        QueueUrl=queue_url(settings.change_failures_arn), MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def acknowledgements(mailbox, email):
    return [m for m in mailbox.unsettled() if email in m["to"][0]]


def created_events(client, ticket_id):
    return [e for e in client.http.get("/_dev/events").json_body if e["ticket_id"] == ticket_id]


@pytest.fixture
def broken_for(services, monkeypatch):
    """The consumer fails on one ticket's effects (its acknowledgement cannot be sent) until mended."""
    deliver = services.delivery.deliver
    broken: set[str] = set()

    def failing(ticket_id, *args, **kwargs):
        if ticket_id in broken:
            raise RuntimeError("SES answered 500")
        return deliver(ticket_id, *args, **kwargs)

    monkeypatch.setattr(services.delivery, "deliver", failing)
    return broken


def give_up(settle, clock):
    """Let the stream reader retry until it gives up (its back-off is on the dev clock)."""
    for _ in range(STREAM_RETRY_ATTEMPTS + 1):
        settle()
        clock.advance(timedelta(seconds=20))
    settle()


def test_a_failing_batch_is_retried_with_backoff_then_only_its_position_goes_to_the_queue(
    client, services, settings, settle, clock, mailbox, broken_for
):
    first = submit(client, email="ann@example.com")
    broken_for.add(first["id"])
    settle()
    second = submit(client, email="bob@example.com")  # behind the failing batch in its shard: it waits
    settle()
    assert acknowledgements(mailbox, "bob@example.com") == []
    clock.advance(timedelta(seconds=1))
    settle()  # the first retry, a second later; still failing
    assert failures(settings) == [] and acknowledgements(mailbox, "bob@example.com") == []

    give_up(settle, clock)
    [record] = failures(settings)
    info = record["DDBStreamBatchInfo"]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == STREAM_RETRY_ATTEMPTS + 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] and info["batchSize"] == 1
    assert "Records" not in record and first["id"] not in json.dumps(record)  # the position, not the record
    [ack] = acknowledgements(mailbox, "bob@example.com")  # the shard moved on
    assert second["reference"] in ack["subject"]
    assert acknowledgements(mailbox, "ann@example.com") == [] and volume() == 1


def test_the_reconcile_job_reads_a_failed_range_again_and_does_its_effects_once(
    client, services, settings, settle, clock, mailbox, broken_for
):
    ticket = submit(client, email="ann@example.com")
    broken_for.add(ticket["id"])
    give_up(settle, clock)
    assert len(failures(settings)) == 1 and volume() == 0

    broken_for.clear()  # the cause is gone
    assert services.recovery.run() == {"ranges": 1, "changes": 0}
    assert failures(settings) == []
    [ack] = acknowledgements(mailbox, "ann@example.com")
    assert ticket["reference"] in ack["subject"]
    assert [e["type"] for e in created_events(client, ticket["id"])] == ["ticket.created"]
    assert volume() == 1
    assert services.store.unsettled(clock.now() + timedelta(days=1)) == {}  # settled

    clock.advance(timedelta(minutes=10))
    assert services.recovery.run() == {"ranges": 0, "changes": 0}  # nothing twice
    assert len(acknowledgements(mailbox, "ann@example.com")) == 1 and volume() == 1


def test_a_change_whose_failure_record_is_lost_is_found_by_its_redo_marker(
    client, services, settings, settle, clock, mailbox, broken_for
):
    ticket = submit(client, email="ann@example.com")
    broken_for.add(ticket["id"])
    give_up(settle, clock)
    aws_client("sqs").purge_queue(QueueUrl=queue_url(settings.change_failures_arn))  # or past the stream's 24 h
    broken_for.clear()
    assert list(services.store.unsettled(clock.now())) == [ticket["id"]]  # its marker is still there
    assert services.recovery.run() == {"ranges": 0, "changes": 0}  # not yet 5 minutes: the stream may be at it
    clock.advance(timedelta(minutes=5))
    assert services.recovery.run() == {"ranges": 0, "changes": 1}
    assert len(acknowledgements(mailbox, "ann@example.com")) == 1
    assert [e["type"] for e in created_events(client, ticket["id"])] == ["ticket.created"]
    assert volume() == 1
    schedules = aws_client("scheduler").list_schedules(GroupName=settings.scheduler_group)["Schedules"]
    assert [s["Name"] for s in schedules] == [f"cl-{ticket['id']}-fr-warn"]


def test_a_change_redone_after_later_ones_gets_the_schedule_the_ticket_needs_now(
    client, services, settings, settle, clock, mailbox, operator, broken_for
):
    ticket = submit(client, email="ann@example.com")
    broken_for.add(ticket["id"])
    give_up(settle, clock)  # the intake's effects (its first-response schedule among them) never happened
    broken_for.clear()
    answer = client.http.post(
        f"/tickets/{ticket['id']}/replies", headers=operator(), body=json.dumps({"body": "It arrives tomorrow."})
    )
    assert answer.status_code == 201
    settle()  # the reply's effects, in the stream's order
    clock.advance(timedelta(minutes=5))
    assert services.recovery.run()["ranges"] == 1  # the intake's, long after the reply
    schedules = aws_client("scheduler").list_schedules(GroupName=settings.scheduler_group)["Schedules"]
    assert [s["Name"] for s in schedules] == [f"cl-{ticket['id']}-res-warn"]  # not the intake's stale warning
    assert len(acknowledgements(mailbox, "ann@example.com")) == 2  # the acknowledgement and the reply, once each


def test_a_batch_whose_invocation_fails_is_split_to_find_the_record_that_breaks_it(
    client, services, settings, settle, clock, mailbox, monkeypatch
):
    import app

    ids = [submit(client, email=f"c{n}@example.com")["id"] for n in range(4)]
    poison = ids[2]
    on_change, seen = app.on_change, []

    def crashing(event, context):  # a crash, not a reported failure: Lambda sees a function error
        seen.append(len(event["Records"]))
        if any(r["dynamodb"]["Keys"]["pk"]["S"] == poison for r in event["Records"]):
            raise MemoryError("the function ran out of memory")
        return on_change(event, context)

    monkeypatch.setattr(app, "on_change", crashing)
    give_up(settle, clock)
    assert seen[:3] == [4, 2, 2] and seen.count(1) == STREAM_RETRY_ATTEMPTS + 2  # halves cost no retry
    assert sorted(m["to"][0] for m in mailbox.unsettled()) == [f"Ann Lee <c{n}@example.com>" for n in (0, 1, 3)]
    [record] = failures(settings)
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1


def test_an_older_ticket_redone_late_keeps_the_customers_newer_contact_data(
    client, services, settings, settle, clock, mailbox, broken_for, operator
):
    older = submit(client, email="ann@example.com")
    broken_for.add(older["id"])
    give_up(settle, clock)  # the first ticket's effects wait for the reconcile job
    broken_for.clear()
    clock.advance(timedelta(hours=1))
    client.http.post(
        "/inquiries",
        headers={"Content-Type": "application/json"},
        body=json.dumps(FORM | {"email": "ann@example.com", "name": "Ann Lee-Meyer", "phone": "+49 30 1234567"}),
    )
    settle()
    assert services.recovery.run()["ranges"] == 1  # the older ticket's, done now
    contact = client.http.get("/customers/ann@example.com", headers=operator()).json_body
    assert (contact["name"], contact["phone"]) == ("Ann Lee-Meyer", "+49 30 1234567")
    assert len(acknowledgements(mailbox, "ann@example.com")) == 2
