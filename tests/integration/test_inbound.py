"""Customers' emails: a reply joins its ticket (and reopens a resolved one),
new mail opens a ticket, automatic mail never opens, reopens or gets an answer."""

import json
from datetime import timedelta

import pytest

from tests.calls import inbound
from tests.mails import raw


def test_at_most_ten_automatic_emails_to_one_address_in_three_hours(client, clock, mailbox):
    """A loop the rules miss (a mailer that answers without saying so) stops at the cap."""
    for n in range(12):
        decision = inbound(client, raw(subject=f"Question {n}", body=f"Question number {n}"))
        assert decision["action"] == "created", decision
        clock.advance(timedelta(minutes=10))  # apart enough for the per-address rate limit
    acknowledged = [m for m in mailbox() if m["to"] == ["Ann Lee <ann@example.com>"]]
    assert len(acknowledged) == 10


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


# Hostile mail (issue 24): an encoded CR/LF in From or Subject answered 500, a
# charset Python does not know answered 500, NUL and bidi overrides were kept.
@pytest.mark.parametrize(
    "message,name,subject,body",
    [
        (
            raw(sender="=?utf-8?q?Evil=0D=0ABcc:_x@evil.example?= <bob@example.com>", subject="Hello"),
            "Evil Bcc: x@evil.example",
            "Hello",
            "Thanks!",
        ),
        (
            raw(sender="Bob <bob@example.com>", subject="=?utf-8?q?Parcel=0D=0ABcc:_x@evil.example?="),
            "Bob",
            "Parcel Bcc: x@evil.example",
            "Thanks!",
        ),
        (
            raw(sender="Bob <bob@example.com>", subject="=?utf-8?q?Par=00cel_=E2=80=AEkcab=E2=80=AC?="),
            "Bob",
            "Parcel kcab",
            "Thanks!",
        ),
        (
            raw(sender="=?x-no-such-charset?q?B=F6b?= <bob@example.com>", subject="=?x-unknown?q?Gr=FC=DFe?="),
            "Böb",
            "Grüße",
            "Thanks!",
        ),
        (
            b"From: Bob <bob@example.com>\r\nSubject: Hello\r\nMessage-ID: <m-2@example.com>\r\n"
            b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nGr\xfc\xdfe\x00 aus Berlin\r\n",
            "Bob",
            "Hello",
            "Grüße aus Berlin",
        ),
    ],
)
def test_hostile_mail_is_taken_as_plain_text_never_a_500(client, operator, mailbox, message, name, subject, body):
    response = client.http.post("/_dev/inbound", headers={"Content-Type": "message/rfc822"}, body=message)
    assert response.status_code == 200, response.body
    assert response.json_body["action"] == "created", response.json_body
    view = client.http.get(f"/tickets/{response.json_body['ticket_id']}", headers=operator()).json_body
    assert (view["customer"]["name"], view["subject"], view["messages"][0]["body"]) == (name, subject, body)
    [ack] = mailbox()
    assert ack["to"][0].endswith("<bob@example.com>") and "Bcc" not in ack["headers"]
    assert set(ack["headers"]) == {
        "From",
        "To",
        "Reply-To",
        "Subject",
        "Date",
        "Message-ID",
        "Auto-Submitted",
        "MIME-Version",
        "Content-Type",
    }


def test_a_sender_whose_address_is_an_encoded_word_is_no_sender(client):
    # `=?utf-8?q?ann?=@example.com` is no address anyone can write back to (SES refuses it forever).
    answer = inbound(client, raw(sender="=?utf-8?q?ann?=@example.com", subject="Hello"))
    assert answer["action"] == "ignored" and answer["reason"] == "automatic mail (no sender)"
