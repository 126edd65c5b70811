"""A failing dependency never loses a customer's request: it is stored first,
and what failed is retried, and nothing is ever sent twice."""

import json
from datetime import datetime, timedelta

from chalicelib.adapters.aws import client as aws_client
from tests.calls import FORM, post
from tests.logs import log_lines


def deliveries(services, ticket_id):
    return services.store.collection(ticket_id).deliveries


def backlog(services) -> list[int]:
    """retry_mail's run, as the RetryBacklogAlarm's metric filter reads it."""
    with log_lines() as lines:
        services.delivery.retry_due()
    return [line["retry_backlog"] for line in lines if "retry_backlog" in line]


def test_ses_rejecting_still_stores_and_answers_then_retries_until_sent_once(
    client, services, settings, clock, mailbox
):
    ses = aws_client("sesv2")
    ses.delete_email_identity(EmailIdentity=settings.sender)  # SES now rejects: MessageRejected

    response = post(client)
    assert response.status_code == 201
    ticket_id = response.json_body["id"]
    assert services.store.ticket(ticket_id) is not None
    assert mailbox() == []
    [ack] = deliveries(services, ticket_id)
    assert ack.state == "retry" and "MessageRejected" in ack.last_error

    clock.advance(timedelta(minutes=1))
    assert services.delivery.retry_due() == []  # still rejected: stays for later, backs off
    assert mailbox() == [] and deliveries(services, ticket_id)[0].attempts == 2

    ses.create_email_identity(EmailIdentity=settings.sender)
    clock.advance(timedelta(minutes=1))
    assert backlog(services) == [1]  # not due yet (the second attempt backs off 2 minutes), still waiting
    clock.advance(timedelta(minutes=1))
    assert len(services.delivery.retry_due()) == 1
    clock.advance(timedelta(hours=2))
    assert services.delivery.retry_due() == []  # sent: never again
    assert backlog(services) == [0]
    [mail] = mailbox()
    assert response.json_body["reference"] in mail["subject"]
    assert deliveries(services, ticket_id)[0].state == "sent"


def test_a_retry_resends_the_same_message_id(client, services, settings, clock, mailbox):
    aws_client("sesv2").delete_email_identity(EmailIdentity=settings.sender)
    ticket_id = post(client).json_body["id"]
    mailbox()
    stored_id = deliveries(services, ticket_id)[0].message_id
    aws_client("sesv2").create_email_identity(EmailIdentity=settings.sender)
    clock.advance(timedelta(minutes=5))
    services.delivery.retry_due()
    assert mailbox()[0]["headers"]["Message-ID"] == stored_id


def test_ses_throttling_is_retried_until_the_email_is_sent(client, services, clock, failing, mailbox):
    stop = failing("sesv2", "SendEmail", "TooManyRequestsException")
    ticket_id = post(client).json_body["id"]
    assert mailbox() == []
    assert "TooManyRequestsException" in deliveries(services, ticket_id)[0].last_error
    stop()
    clock.advance(timedelta(minutes=1))
    services.delivery.retry_due()
    [mail] = mailbox()
    assert mail["to"] == ["Ann Lee <ann@example.com>"]


def test_scheduler_failing_does_not_fail_the_intake_and_is_repaired(client, services, failing, mailbox, clock):
    stop = failing("scheduler", "CreateSchedule")
    response = post(client)
    assert response.status_code == 201
    assert len(mailbox()) == 1  # the acknowledgement went out all the same
    assert aws_client("scheduler").list_schedules(GroupName=services.settings.scheduler_group)["Schedules"] == []
    stop()
    clock.advance(timedelta(hours=19))  # the warning is due within the reconciler's look-ahead
    assert services.timers.reconcile()["repaired"] == [response.json_body["id"]]


def test_dynamodb_failing_is_503_and_nothing_is_sent(client, services, mailbox):
    aws_client("dynamodb").delete_table(TableName=services.settings.table_prefix + "tickets")
    response = post(client)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json_body["errors"][0]["field"] == "body"
    assert mailbox() == []


def test_ses_refusing_for_days_backs_off_to_hourly_then_gives_up_after_48_attempts(
    client, services, settings, clock, mailbox, operator
):
    ses = aws_client("sesv2")
    ses.delete_email_identity(EmailIdentity=settings.sender)
    ticket_id = post(client).json_body["id"]
    mailbox()

    def acknowledgement():
        view = client.http.get(f"/tickets/{ticket_id}", headers=operator()).json_body
        return next(m["delivery"] for m in view["messages"] if m["direction"] == "out")

    waits = []
    while (delivery := acknowledgement())["status"] == "retry":
        due = datetime.fromisoformat(delivery["next_attempt_at"])
        waits.append((due - clock.now()) // timedelta(minutes=1))
        clock.advance(due - clock.now() - timedelta(seconds=1))
        services.delivery.retry_due()
        assert acknowledgement()["attempts"] == delivery["attempts"]  # not a second early
        clock.advance(timedelta(seconds=1))
        services.delivery.retry_due()
    assert waits == [1, 2, 4, 8, 15, 30] + [60] * 41  # backing off to hourly
    assert acknowledgement() | {"last_error": None} == {
        "status": "failed",
        "attempts": 48,
        "last_error": None,
        "next_attempt_at": None,
    }  # about two days: given up

    ses.create_email_identity(EmailIdentity=settings.sender)
    clock.advance(timedelta(days=1))
    assert services.delivery.retry_due() == [] and mailbox() == []  # never sent later, out of context


def test_two_retry_workers_taking_the_same_emails_send_each_once(
    client, services, settings, clock, mailbox, monkeypatch
):
    ses = aws_client("sesv2")
    ses.delete_email_identity(EmailIdentity=settings.sender)
    first, second = (
        client.http.post(
            "/inquiries",
            headers={"Content-Type": "application/json"},
            body=json.dumps(FORM | {"email": f"{who}@example.com"}),
        ).json_body["id"]
        for who in ("ann", "bob")
    )
    mailbox()
    ses.create_email_identity(EmailIdentity=settings.sender)
    clock.advance(timedelta(minutes=1))
    seen_by_both = sorted(services.delivery_store.deliveries_due(clock.now()), key=lambda d: d.ticket_id != first)
    assert [d.ticket_id for d in seen_by_both] == [first, second]  # two invocations overlap: both read these
    assert services.delivery_store.retake_delivery(seen_by_both[0], clock.now())  # the other one took Ann's first
    monkeypatch.setattr(services.delivery_store, "deliveries_due", lambda *_: seen_by_both)
    assert services.delivery.retry_due() == [f"{second}/{deliveries(services, second)[0].sk}"]  # skips Ann's, not Bob's
    assert [m["to"] for m in mailbox()] == [["Ann Lee <bob@example.com>"]]


def test_ses_whose_answer_is_lost_is_asked_once_and_the_customer_gets_one_email(client, services, faults, mailbox):
    # SES has no idempotency key: a retry after a lost answer sends the mail again.
    from tests.faults.proxy import Fault

    faults.add(Fault("sesv2", "lost", operation="SendEmail", times=1))
    ticket_id = post(client).json_body["id"]
    assert len(mailbox()) == 1
    assert faults.reached("sesv2", "SendEmail") == 1
    assert deliveries(services, ticket_id)[0].state == "unconfirmed"  # it may have gone out: never sent again


def test_every_client_counts_attempts_not_retries(services):
    # botocore reads retries' max_attempts as retries (N + 1 attempts); total_max_attempts counts attempts.
    from chalicelib.adapters.tables import TicketTable

    expected = {"sesv2": 1, "dynamodb": 3, "scheduler": 3, "events": 3, "s3": 3, "dynamodbstreams": 3, "sqs": 3}
    found = {name: aws_client(name).meta.config.retries["total_max_attempts"] for name in expected}
    assert found == expected
    assert TicketTable._get_connection().connection.client.meta.config.retries["total_max_attempts"] == 4
