"""Spam is quarantined, never answered (contract section 6): mail with SES's
spam or virus verdict FAIL, and mail or forms from a sender an operator
marked as spam, become a ticket in status spam: no acknowledgement, no SLA,
not in the default inbox, not in the metrics; a virus's files are never
stored. Marking a ticket as spam blocks its sender; releasing it (not spam)
acknowledges it then, with its SLA counted from then."""

import json
from datetime import timedelta

import pytest

from tests.integration.test_attachments import objects
from tests.integration.test_followup import patch, view
from tests.integration.test_inbound import inbound
from tests.mails import mail, raw

PHOTO = b"\xff\xd8\xff\xe0" + b"cheap pills" * 500


def listed(client, operator, query=""):
    return [t["id"] for t in client.http.get(f"/tickets{query}", headers=operator()).json_body["items"]]


def volume(client, operator):
    return client.http.get("/metrics", headers=operator()).json_body["volume"]["total"]


@pytest.mark.parametrize(
    "header,reason", [("X-SES-Spam-Verdict", "spam_verdict"), ("X-SES-Virus-Verdict", "virus_verdict")]
)
def test_a_fail_verdict_makes_a_spam_ticket_that_nothing_answers_or_counts(
    client, operator, mailbox, settle, header, reason
):
    sent = len(mailbox())
    decision = inbound(client, raw(sender="Pill Shop <pills@spam.example>", subject="Cheap pills", **{header: "FAIL"}))
    assert decision["action"] == "created" and decision["reason"] == f"quarantined as spam ({reason})"
    settle()
    ticket = view(client, operator, {"id": decision["ticket_id"]})
    assert (ticket["status"], ticket["assignee"], ticket["sla"]["metrics"]) == ("spam", None, {})
    assert len(mailbox()) == sent  # no acknowledgement, no notice to anyone
    assert decision["ticket_id"] not in listed(client, operator)  # not in the default inbox
    assert decision["ticket_id"] not in listed(client, operator, "?priority=normal")
    assert listed(client, operator, "?status=spam") == [decision["ticket_id"]]
    assert volume(client, operator) == 0  # not in the metrics
    assert ticket["events"][0]["text"].startswith("The customer wrote in by email: quarantined as spam")


def test_a_virus_mails_files_are_never_stored(client, operator, settings, mailbox):
    sent = len(mailbox())
    infected = mail(("invoice.pdf", "application/pdf", b"%PDF-1.7 evil"), ("photo.jpg", "image/jpeg", PHOTO))
    infected = infected.replace(b"From: ", b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: FAIL\r\nFrom: ", 1)
    decision = inbound(client, infected)
    ticket_id = decision["ticket_id"]
    [message] = view(client, operator, {"id": ticket_id})["messages"]
    assert [(f["name"], f["refused"]) for f in message["attachments"]] == [
        ("invoice.pdf", "virus"),
        ("photo.jpg", "virus"),
    ]
    assert objects(settings, ticket_id) == [] and objects(settings) == []  # nothing stored, anywhere
    assert (
        client.http.get(
            f"/tickets/{ticket_id}/attachments/{message['attachments'][0]['sha256']}", headers=operator()
        ).status_code
        == 404
    )
    assert len(mailbox()) == sent


def test_only_the_topmost_verdict_counts_as_ses_puts_its_own_above_the_senders(client, operator):
    """SES adds its verdict headers at the top of the stored mail; a sender's own copy further down is not SES's."""
    forged = raw(sender="eve@spam.example", subject="Totally legit", body="Hi").replace(
        b"From: ", b"X-SES-Spam-Verdict: FAIL\r\nFrom: ", 1
    )
    forged = forged.replace(
        b"Message-ID: <m-1@example.com>", b"Message-ID: <m-1@example.com>\r\nX-SES-Spam-Verdict: PASS"
    )
    assert inbound(client, forged)["reason"] == "quarantined as spam (spam_verdict)"
    honest = raw(sender="bob@example.com", subject="Question", body="Hi", X_SES_Spam_Verdict="GRAY").replace(
        b"Message-ID: <m-1@example.com>", b"Message-ID: <m-2@example.com>"
    )
    assert inbound(client, honest)["reason"] == "matches no open ticket"  # only FAIL quarantines


def test_marking_spam_blocks_the_sender_and_releasing_acknowledges_with_the_sla_from_then(
    client, operator, new_ticket, mailbox, clock, settle
):
    ticket = new_ticket(email="pills@spam.example", name="Pill Shop")
    assert volume(client, operator) == 1
    marked = patch(client, operator, ticket, {"status": "spam"})
    assert marked.status_code == 200 and marked.json_body["status"] == "spam"
    settle()
    assert volume(client, operator) == 0 and ticket["id"] not in listed(client, operator)
    assert client.http.get("/customers/pills@spam.example", headers=operator()).json_body["spam_since"] is not None
    assert marked.json_body["events"][-1]["text"].startswith("Agent marked it as spam")
    sent = len(mailbox())

    # Later mail and forms from the sender are quarantined too; the form's answer looks like any other.
    form = client.http.post(
        "/inquiries",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"name": "Pill Shop", "email": "Pills@Spam.example", "message": "Buy now"}),
    )
    assert form.status_code == 201 and form.json_body["status"] == "new"
    again = inbound(client, raw(sender="pills@spam.example", subject=f"Re: [{ticket['reference']}]", body="Buy!"))
    assert again["reason"] == "quarantined as spam (blocked_sender)" and again["ticket_id"] != ticket["id"]
    settle()
    assert view(client, operator, {"id": form.json_body["id"]})["status"] == "spam"
    assert len(mailbox()) == sent and volume(client, operator) == 0
    # An operator's reply to spam is refused: nothing is sent.
    refused = client.http.post(f"/tickets/{ticket['id']}/replies", headers=operator(), body=json.dumps({"body": "Hi"}))
    assert refused.status_code == 409 and refused.json_body["errors"][0]["field"] == "status"
    assert patch(client, operator, ticket, {"status": "open"}).status_code == 400  # released to new only
    assert patch(client, operator, {"id": form.json_body["id"]}, {"status": "resolved"}).status_code == 400

    # Not spam after all: acknowledged now, due from now, counted, the sender unblocked.
    clock.advance(timedelta(hours=5))
    released = patch(client, operator, ticket, {"status": "new"})
    assert released.status_code == 200 and released.json_body["status"] == "new"
    settle()
    ack = mailbox()[-1]
    assert ack["to"] == ["Pill Shop <pills@spam.example>"] and ack["subject"].startswith("We received your request")
    assert "Where is my parcel?" in ack["text"]  # their request, quoted as on intake
    due = view(client, operator, ticket)["sla"]["metrics"]["first_response"]["due_at"]
    assert due == "2026-11-25T14:00:00Z"  # 24 hours from the release, not from the first mail
    assert volume(client, operator) == 1 and ticket["id"] in listed(client, operator)
    assert client.http.get("/customers/pills@spam.example", headers=operator()).json_body["spam_since"] is None
    later = inbound(
        client,
        raw(sender="pills@spam.example", subject="Another question", body="Hello").replace(
            b"<m-1@example.com>", b"<m-9@example.com>"
        ),
    )
    assert later["reason"] == "matches no open ticket"


def test_the_spam_status_is_only_listed_when_asked_for_and_in_no_backlog(client, operator, new_ticket, settle):
    kept, quarantined = new_ticket(), new_ticket(email="bulk@spam.example")
    patch(client, operator, quarantined, {"status": "spam"})
    settle()
    assert listed(client, operator) == [kept["id"]]
    assert listed(client, operator, "?status=spam") == [quarantined["id"]]
    backlog = client.http.get("/metrics", headers=operator()).json_body["backlog"]["by_status"]
    assert "spam" not in backlog and sum(backlog.values()) == 1
