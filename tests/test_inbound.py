"""Customers' emails: a reply joins its ticket (and reopens a resolved one),
new mail opens a ticket, automatic mail never opens, reopens or gets an answer."""
import json

import pytest

from chalicelib.domain.inbound import parse


def raw(sender="Ann Lee <ann@example.com>", subject="Re: Parcel", body="Thanks!", **headers):
    lines = [f"From: {sender}", "To: support@careline.example", f"Subject: {subject}",
             "Message-ID: <m-1@example.com>", *(f"{k.replace('_', '-')}: {v}" for k, v in headers.items()), "", body]
    return "\r\n".join(lines).encode()


def test_parse_finds_the_reference_and_only_the_new_words():
    mail = parse(raw(subject="Re: We received your request [CL-7K3M9QX2]",
                     body="Size M please.\r\n\r\nOn Tue, 24 Nov 2026, Careline wrote:\r\n> Which size?"))
    assert (mail.reference, mail.body, mail.sender, mail.automatic) == ("CL-7K3M9QX2", "Size M please.",
                                                                         "ann@example.com", None)


@pytest.mark.parametrize("headers,subject,sender", [
    ({"Auto_Submitted": "auto-replied"}, "Re: x", "ann@example.com"),
    ({"Precedence": "bulk"}, "News", "ann@example.com"),
    ({"List_Id": "<shop.lists.example>"}, "Digest", "ann@example.com"),
    ({}, "Out of Office: Re: x", "ann@example.com"),
    ({}, "Automatic reply: x", "ann@example.com"),
    ({}, "Undeliverable: x", "ann@example.com"),
    ({}, "x", "MAILER-DAEMON@mx.example.com"),
])
def test_automatic_mail_is_recognised(headers, subject, sender):
    assert parse(raw(sender=sender, subject=subject, **headers)).automatic


def inbound(client, message: bytes):
    return client.http.post("/_dev/inbound", headers={"Content-Type": "message/rfc822"}, body=message).json_body


def test_a_reply_joins_its_ticket_and_reopens_it_when_resolved(client, operator, new_ticket):
    ticket = new_ticket()
    client.http.request("PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"status": "resolved"}))
    answer = inbound(client, raw(subject=f"Re: Parcel [{ticket['reference']}]", body="It did not arrive after all."))
    assert answer == {"ticket_id": ticket["id"], "action": "appended", "reason": f"reply to {ticket['reference']}"}
    view = client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body
    assert view["status"] == "open" and view["messages"][-1]["body"] == "It did not arrive after all."


def test_an_auto_reply_never_reopens_or_gets_an_answer(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    client.http.request("PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"status": "resolved"}))
    sent = len(mailbox())
    answer = inbound(client, raw(subject=f"Automatic reply: Re: Parcel [{ticket['reference']}]", Auto_Submitted="auto-replied"))
    assert answer["action"] == "ignored" and "automatic" in answer["reason"]
    assert client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body["status"] == "resolved"
    assert len(mailbox()) == sent


def test_new_mail_opens_an_email_ticket_and_is_acknowledged(client, operator, mailbox):
    answer = inbound(client, raw(sender="Bob Stone <bob@example.com>", subject="Do you ship to Norway?",
                                 body="Hello, do you ship to Norway?"))
    assert answer["action"] == "created"
    view = client.http.get(f"/tickets/{answer['ticket_id']}", headers=operator()).json_body
    assert (view["channel"], view["customer"]["name"], view["subject"]) == ("email", "Bob Stone", "Do you ship to Norway?")
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
    from chalicelib.adapters.aws import client as aws_client
    from app import on_inbound_email

    ticket = new_ticket()
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="careline-inbound")
    s3.put_object(Bucket="careline-inbound", Key="mail/abc", Body=raw(subject=f"Re: [{ticket['reference']}]",
                                                                       body="Via SES"))
    event = {"Records": [{"s3": {"bucket": {"name": "careline-inbound"}, "object": {"key": "mail/abc"}}}]}
    assert on_inbound_email(event, None) == [
        {"ticket_id": ticket["id"], "action": "appended", "reason": f"reply to {ticket['reference']}"}]
