"""A failing dependency never loses a customer's request: it is stored first,
and what failed is retried."""
import json
from datetime import timedelta

from chalicelib.adapters.aws import client as aws_client

FORM = {"name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?"}


def post(client):
    return client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM))


def test_ses_rejecting_still_stores_and_answers_then_retries_until_sent_once(client, services, settings,
                                                                               clock, mailbox):
    ses = aws_client("sesv2")
    ses.delete_email_identity(EmailIdentity=settings.sender)  # SES now rejects: MessageRejected

    response = post(client)
    assert response.status_code == 201
    ticket_id = response.json_body["id"]
    assert services.store.get_ticket(ticket_id) is not None
    assert mailbox() == []
    ack = services.store.thread(ticket_id)[-1]
    assert ack.outbox == "pending" and "MessageRejected" in ack.last_error

    clock.advance(timedelta(minutes=1))
    assert services.outbox.retry_due() == []  # still rejected: stays pending, backs off
    assert mailbox() == []

    ses.create_email_identity(EmailIdentity=settings.sender)
    clock.advance(timedelta(minutes=2))
    assert len(services.outbox.retry_due()) == 1
    clock.advance(timedelta(hours=2))
    assert services.outbox.retry_due() == []  # sent: never again
    [mail] = mailbox()
    assert response.json_body["reference"] in mail["subject"]
    assert services.store.thread(ticket_id)[-1].outbox is None


def test_a_retry_resends_the_same_message_id(client, services, settings, clock, mailbox):
    aws_client("sesv2").delete_email_identity(EmailIdentity=settings.sender)
    ticket_id = post(client).json_body["id"]
    stored_id = services.store.thread(ticket_id)[-1].email["message_id"]
    aws_client("sesv2").create_email_identity(EmailIdentity=settings.sender)
    clock.advance(timedelta(minutes=5))
    services.outbox.retry_due()
    assert mailbox()[0]["headers"]["Message-ID"] == stored_id


def test_ses_throttling_is_retried_like_a_rejection(client, services, clock, failing, mailbox):
    failing("sesv2", "SendEmail", "TooManyRequestsException")
    ticket_id = post(client).json_body["id"]
    assert "TooManyRequestsException" in services.store.thread(ticket_id)[-1].last_error
    assert mailbox() == []


def test_scheduler_failing_does_not_fail_the_intake(client, services, failing, mailbox):
    failing("scheduler", "CreateSchedule")
    response = post(client)
    assert response.status_code == 201
    ticket = services.store.get_ticket(response.json_body["id"])
    assert ticket.next_sla_at is not None  # kept for the reconciler to repair
    assert len(mailbox()) == 1


def test_dynamodb_failing_is_503_and_nothing_is_sent(client, services, mailbox):
    aws_client("dynamodb").delete_table(TableName=services.settings.table_prefix + "tickets")
    response = post(client)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json_body["errors"][0]["field"] == "body"
    assert mailbox() == []
