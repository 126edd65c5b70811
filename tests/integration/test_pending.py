"""No request left waiting (contract section 6, lifecycle): a pending ticket
reminds its customer once after 72 hours and is resolved after 168, with the
resolution email, both counted in calendar hours from the moment it became
pending; the customer's answer (by email or on the status page) stops both.
And an operator's reply to a closed ticket opens it again."""

import json

from tests.integration.test_followup import actions, advance, patch, view
from tests.integration.test_inbound import inbound
from tests.mails import raw, status_path


def ask(client, operator, ticket, text="Which size do you need?"):
    client.http.post(f"/tickets/{ticket['id']}/replies", headers=operator(), body=json.dumps({"body": text}))
    patch(client, operator, ticket, {"status": "pending"})


def to_customer(mailbox):
    return [m for m in mailbox() if m["to"] == ["Ann Lee <ann@example.com>"]]


def test_a_pending_ticket_reminds_once_then_resolves_with_the_resolution_email(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    advance(client, 60)
    ask(client, operator, ticket)  # pending at 10:00 UTC
    assert actions(advance(client, 72 * 60 - 1)) == []
    assert actions(advance(client, 1)) == ["reminded"]
    reminder = to_customer(mailbox)[-1]
    assert reminder["subject"] == f"Waiting for your answer: Parcel [{ticket['reference']}]"
    assert reminder["headers"]["Auto-Submitted"] == "auto-replied"
    # It says when the request resolves: a week after it became pending, in the customer's (the shop's) zone.
    assert "by Tuesday, 1 December 2026 at 11:00 (Berlin time), we will mark the request as resolved" in (
        " ".join(reminder["text"].split())
    )
    assert client.http.get(status_path(reminder)).status_code == 200
    assert actions(advance(client, 96 * 60 - 1)) == []  # reminded once only
    assert actions(advance(client, 1)) == ["resolved"]
    resolution = to_customer(mailbox)[-1]
    assert resolution["subject"] == f"Resolved: Parcel [{ticket['reference']}]"
    seen = view(client, operator, ticket)
    assert seen["status"] == "resolved"
    assert seen["events"][-1]["text"] == (
        "Nobody answered while we waited on the customer: Careline changed status from pending to resolved"
    )
    assert [m["subject"].split(":")[0] for m in to_customer(mailbox)].count("Waiting for your answer") == 1


def test_the_customers_answer_by_email_stops_both(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    ask(client, operator, ticket)
    advance(client, 24 * 60)
    inbound(client, raw(subject=f"Re: Parcel [{ticket['reference']}]", body="Size M, please."))
    assert view(client, operator, ticket)["status"] == "open"
    sent = len(to_customer(mailbox))
    moved = advance(client, 8 * 24 * 60)
    assert "reminded" not in actions(moved) and "resolved" not in actions(moved)
    assert view(client, operator, ticket)["status"] == "open"
    assert len(to_customer(mailbox)) == sent


def test_the_customers_answer_on_the_status_page_stops_both_and_a_new_wait_counts_afresh(
    client, operator, new_ticket, mailbox
):
    ticket = new_ticket()
    ask(client, operator, ticket)
    advance(client, 71 * 60)
    path = status_path(to_customer(mailbox)[-1])
    answer = client.http.post(path, headers={"Content-Type": "application/json"}, body='{"message": "Size M"}')
    assert answer.status_code == 200 and answer.json_body["status"] == "open"
    assert actions(advance(client, 2 * 60)) == []  # no reminder at 72 hours: they answered
    ask(client, operator, ticket, "And which colour?")  # waiting again: counted from now
    assert actions(advance(client, 72 * 60 - 1)) == []
    assert actions(advance(client, 1)) == ["reminded"]


def test_an_operators_reply_to_a_closed_ticket_opens_it_and_the_answer_joins_it(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    patch(client, operator, ticket, {"status": "closed"})
    replied = client.http.post(
        f"/tickets/{ticket['id']}/replies", headers=operator(), body=json.dumps({"body": "Your refund went out today."})
    )
    assert replied.status_code == 201 and replied.json_body["status"] == "open"
    assert replied.json_body["sla"]["metrics"]["resolution"]["state"] == "running"
    assert to_customer(mailbox)[-1]["subject"] == f"Re: Parcel [{ticket['reference']}]"
    decision = inbound(client, raw(subject=f"Re: Parcel [{ticket['reference']}]", body="Got it, thanks!"))
    assert decision == {"ticket_id": ticket["id"], "action": "appended", "reason": f"reply to {ticket['reference']}"}
    # Replying and resolving in one step resolves it again.
    patch(client, operator, ticket, {"status": "closed"})
    client.http.post(
        f"/tickets/{ticket['id']}/replies", headers=operator(), body=json.dumps({"body": "Done.", "resolve": True})
    )
    assert view(client, operator, ticket)["status"] == "resolved"
