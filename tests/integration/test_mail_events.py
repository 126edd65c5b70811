"""SES's bounces and complaints, as the configuration set publishes them to
SNS and SNS invokes on_mail_event: a permanent bounce or a complaint marks
the address and no email goes to it again (the ticket view says why); a
transient bounce changes nothing."""

import json

from tests.mails import complaint, permanent_bounce, ses_event


def sns(*messages) -> dict:
    """SNS's invocation of a subscribed Lambda function."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:careline-local-mail-events:2bcf-example",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": f"95df01b4-ee98-5cb9-9903-4c221d41eb5e-{n}",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:careline-local-mail-events",
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": "2026-11-24T09:00:03.000Z",
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {},
                },
            }
            for n, message in enumerate(messages)
        ]
    }


def reply(client, operator, ticket_id, text="Here is the tracking link."):
    response = client.http.post(f"/tickets/{ticket_id}/replies", headers=operator(), body=json.dumps({"body": text}))
    assert response.status_code == 201, response.body


def customer_deliveries(client, operator, ticket_id):
    """The delivery of each operator reply's email, once the consumer tried it."""
    from local.stream import drain

    drain()
    view = client.http.get(f"/tickets/{ticket_id}", headers=operator()).json_body
    return [m["delivery"] for m in view["messages"] if m["direction"] == "out" and m["author"] != "system"]


def test_a_bounced_address_is_marked_and_not_mailed_again(client, operator, new_ticket, mailbox):
    from app import on_mail_event

    ticket = new_ticket()
    assert on_mail_event(sns(permanent_bounce("ann@example.com")), None) == {
        "marked": [{"email": "ann@example.com", "reason": "bounce"}]
    }
    sent = len(mailbox())
    reply(client, operator, ticket["id"])
    assert len(mailbox()) == sent  # SES never got it
    [delivery] = customer_deliveries(client, operator, ticket["id"])
    assert (delivery["status"], delivery["last_error"]) == ("refused", "the address bounced")
    customer = client.http.get("/customers/ann@example.com", headers=operator()).json_body
    assert customer["bounced_at"] and customer["bounce_reason"] == "bounce"


def test_a_bounced_address_opening_a_new_ticket_gets_it_stored_but_not_acknowledged(client, operator, mailbox):
    from app import on_mail_event

    on_mail_event(sns(permanent_bounce("ann@example.com")), None)
    answer = client.http.post(
        "/inquiries",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?"}),
    )
    assert answer.status_code == 201
    assert mailbox() == []  # SES never got it
    view = client.http.get(f"/tickets/{answer.json_body['id']}", headers=operator()).json_body
    [acknowledgement] = [m["delivery"] for m in view["messages"] if m["direction"] == "out"]
    assert (acknowledgement["status"], acknowledgement["last_error"]) == ("refused", "the address bounced")


def test_a_complaint_is_marked_with_its_own_reason(client, operator, new_ticket, mailbox):
    from app import on_mail_event

    ticket = new_ticket()
    on_mail_event(sns(complaint("ann@example.com")), None)
    reply(client, operator, ticket["id"])
    [delivery] = customer_deliveries(client, operator, ticket["id"])
    assert (delivery["status"], delivery["last_error"]) == ("refused", "the customer marked our email as spam")


def test_a_transient_bounce_and_other_events_change_nothing(client, operator, new_ticket, mailbox):
    from app import on_mail_event

    ticket = new_ticket()
    delivered = ses_event("Delivery", delivery={"timestamp": "2026-11-24T09:00:02Z", "recipients": ["ann@example.com"]})
    assert on_mail_event(sns(permanent_bounce("ann@example.com", bounce_type="Transient"), delivered), None) == {
        "marked": []
    }
    reply(client, operator, ticket["id"])
    assert customer_deliveries(client, operator, ticket["id"])[0]["status"] == "sent"
    assert client.http.get("/customers/ann@example.com", headers=operator()).json_body["bounced_at"] is None


def test_a_redelivered_notification_and_an_unknown_address_are_fine(client, operator, services):
    from app import on_mail_event

    twice = sns(permanent_bounce("new@example.com"), permanent_bounce("new@example.com"))
    assert len(on_mail_event(twice, None)["marked"]) == 2
    unreadable = {"Records": [{"Sns": {"Message": "not json"}}]}
    assert on_mail_event(unreadable, None) == {"marked": []}
    customer = client.http.get("/customers/new@example.com", headers=operator()).json_body
    assert customer["bounce_reason"] == "bounce" and customer["ticket_count"] == 0


def test_the_local_stage_simulates_an_ses_event(client, operator, new_ticket):
    ticket = new_ticket()
    json_type = {"Content-Type": "application/json"}
    minimal = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "ann@example.com"}]},
    }
    answer = client.http.post("/_dev/mail-event", headers=json_type, body=json.dumps(minimal))
    assert (answer.status_code, answer.json_body) == (
        200,
        {"marked": [{"email": "ann@example.com", "reason": "bounce"}]},
    )
    reply(client, operator, ticket["id"])
    assert customer_deliveries(client, operator, ticket["id"])[0]["status"] == "refused"
    refused = client.http.post("/_dev/mail-event", headers=json_type, body=json.dumps({"bounce": {}}))
    assert refused.status_code == 400 and refused.json_body["errors"][0]["field"] == "eventType"
