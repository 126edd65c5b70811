"""Customers' emails: a reply joins its ticket (and reopens a resolved one),
new mail opens a ticket, automatic mail never opens, reopens or gets an answer."""

import json
from datetime import timedelta

import pytest

from tests.mails import raw


def test_at_most_ten_automatic_emails_to_one_address_in_three_hours(client, clock, mailbox):
    """A loop the rules miss (a mailer that answers without saying so) stops at the cap."""
    for n in range(12):
        decision = inbound(client, raw(subject=f"Question {n}", body=f"Question number {n}"))
        assert decision["action"] == "created", decision
        clock.advance(timedelta(minutes=10))  # apart enough for the per-address rate limit
    acknowledged = [m for m in mailbox() if m["to"] == ["Ann Lee <ann@example.com>"]]
    assert len(acknowledged) == 10


def inbound(client, message: bytes):
    return client.http.post("/_dev/inbound", headers={"Content-Type": "message/rfc822"}, body=message).json_body


def test_a_reply_joins_its_ticket_and_reopens_it_when_resolved(client, operator, new_ticket):
    ticket = new_ticket()
    client.http.request(
        "PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"status": "resolved"})
    )
    answer = inbound(client, raw(subject=f"Re: Parcel [{ticket['reference']}]", body="It did not arrive after all."))
    assert answer == {"ticket_id": ticket["id"], "action": "appended", "reason": f"reply to {ticket['reference']}"}
    view = client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body
    assert view["status"] == "open" and view["messages"][-1]["body"] == "It did not arrive after all."


def test_an_auto_reply_never_reopens_or_gets_an_answer(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    client.http.request(
        "PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"status": "resolved"})
    )
    sent = len(mailbox())
    answer = inbound(
        client, raw(subject=f"Automatic reply: Re: Parcel [{ticket['reference']}]", Auto_Submitted="auto-replied")
    )
    assert answer["action"] == "ignored" and "automatic" in answer["reason"]
    assert client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body["status"] == "resolved"
    assert len(mailbox()) == sent


def test_new_mail_opens_an_email_ticket_and_is_acknowledged(client, operator, mailbox):
    answer = inbound(
        client,
        raw(
            sender="Bob Stone <bob@example.com>", subject="Do you ship to Norway?", body="Hello, do you ship to Norway?"
        ),
    )
    assert answer["action"] == "created"
    view = client.http.get(f"/tickets/{answer['ticket_id']}", headers=operator()).json_body
    assert (view["channel"], view["customer"]["name"], view["subject"]) == (
        "email",
        "Bob Stone",
        "Do you ship to Norway?",
    )
    assert mailbox()[-1]["to"] == ["Bob Stone <bob@example.com>"]


def test_the_same_mail_delivered_twice_opens_one_ticket(client):
    message = raw(sender="bob@example.com", subject="Hello", body="Question")
    assert inbound(client, message)["ticket_id"] == inbound(client, message)["ticket_id"]


def test_a_reference_from_someone_else_or_a_closed_ticket_opens_a_new_ticket(client, operator, new_ticket):
    ticket = new_ticket()
    stranger = inbound(client, raw(sender="eve@example.com", subject=f"Re: [{ticket['reference']}]", body="Hi"))
    assert stranger["action"] == "created" and stranger["ticket_id"] != ticket["id"]
    client.http.request("PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"status": "closed"}))
    later = inbound(client, raw(subject=f"Re: Parcel [{ticket['reference']}]", body="One more thing"))
    assert later["action"] == "created"


def test_ses_inbound_through_s3_is_handled_the_same_way(services, new_ticket, client):
    from app import on_inbound_email
    from chalicelib.adapters.aws import client as aws_client

    ticket = new_ticket()
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="careline-inbound")
    s3.put_object(
        Bucket="careline-inbound", Key="mail/abc", Body=raw(subject=f"Re: [{ticket['reference']}]", body="Via SES")
    )
    event = {"Records": [{"s3": {"bucket": {"name": "careline-inbound"}, "object": {"key": "mail/abc"}}}]}
    assert on_inbound_email(event, None) == [
        {"ticket_id": ticket["id"], "action": "appended", "reason": f"reply to {ticket['reference']}"}
    ]


def expire_claims(now):
    """What DynamoDB's TTL does in time (the emulator never does): a claim past its `expires_at` is gone."""
    from chalicelib.adapters.tables import Claim

    for claim in Claim.scan(Claim.expires_at <= now):
        claim.delete()


def tickets_of(client, operator, email):
    return [
        t for t in client.http.get("/tickets", headers=operator()).json_body["items"] if t["customer"]["email"] == email
    ]


@pytest.mark.parametrize("which", ["new", "reply"])
def test_a_mail_redriven_on_the_dead_letter_queues_last_day_is_recognised(which, client, operator, new_ticket, clock):
    """Lambda retries the S3 event for up to 6 hours, then its dead-letter
    queue keeps it 14 days for an operator to re-drive: the mail is still
    taken, so a re-drive adds nothing (the day after the idempotency window
    it used to open a second ticket)."""
    from chalicelib.adapters.queue import ASYNC_EVENT_AGE, RETENTION

    if which == "new":
        message = raw(sender="bob@example.com", subject="Hello", body="Do you ship to Norway?")
    else:
        message = raw(subject=f"Re: Parcel [{new_ticket()['reference']}]", body="It did not arrive after all.")
    first = inbound(client, message)
    assert first["action"] == {"new": "created", "reply": "appended"}[which]
    clock.advance(ASYNC_EVENT_AGE + RETENTION)
    expire_claims(clock.now())
    again = inbound(client, message)
    email = "bob@example.com" if which == "new" else "ann@example.com"
    assert [t["id"] for t in tickets_of(client, operator, email)] == [first["ticket_id"]]
    view = client.http.get(f"/tickets/{first['ticket_id']}", headers=operator()).json_body
    assert [m["body"] for m in view["messages"] if m["direction"] == "in"].count(raw_body(message)) == 1
    assert (again["action"], again["ticket_id"]) == ("ignored", first["ticket_id"])


def raw_body(message: bytes) -> str:
    return message.decode().rpartition("\r\n\r\n")[2]


def test_a_new_mail_after_a_closed_ticket_continues_it_once_however_often_it_arrives(client, operator, new_ticket):
    ticket = new_ticket()
    client.http.request("PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"status": "closed"}))
    message = raw(subject=f"Re: Parcel [{ticket['reference']}]", body="One more thing")
    first, again = inbound(client, message), inbound(client, message)
    view = client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body
    assert [e["event"] for e in view["events"]].count("continued") == 1
    assert (first["action"], again["action"], again["ticket_id"]) == ("created", "ignored", first["ticket_id"])


def test_a_reply_delivered_again_after_its_ticket_closed_opens_nothing(client, operator, new_ticket):
    """The mail joined its ticket; the ticket closed since. The same mail
    again (a duplicate S3 event, a re-drive) is the one taken already, not
    new mail continuing the closed ticket."""
    ticket = new_ticket()
    message = raw(subject=f"Re: Parcel [{ticket['reference']}]", body="It did not arrive after all.")
    assert inbound(client, message)["action"] == "appended"
    client.http.request("PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"status": "closed"}))
    again = inbound(client, message)
    assert (again["action"], again["ticket_id"]) == ("ignored", ticket["id"])
    assert [t["id"] for t in tickets_of(client, operator, "ann@example.com")] == [ticket["id"]]
