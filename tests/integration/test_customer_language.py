"""The customer's language and zone (issue 21.1): from the widget's fields, a
plain form's Accept-Language, an email's Content-Language or the sender's last
ticket; German priority keywords; a macro without the customer's language is
flagged before sending."""

import json
from urllib.parse import urlencode

from tests.calls import inbound
from tests.mails import raw


def acknowledgement_to(mailbox, address):
    return [m for m in mailbox() if any(address in to for to in m["to"])][-1]


def test_a_german_browser_in_new_york_gets_german_with_new_york_time(client, operator, mailbox):
    """What the widget sends: navigator.language and the browser's time zone."""
    body = {"name": "Jürgen Schmidt", "email": "js@example.com", "message": "Wo ist mein Paket?"}
    body |= {"locale": "de-DE", "timezone": "America/New_York"}
    answer = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(body))
    mail = acknowledgement_to(mailbox, "js@example.com")
    assert mail["text"].startswith("Guten Tag Jürgen Schmidt,\n\nIhre Nachricht an")
    assert "(Ortszeit New York) von uns." in mail["text"] and "Z)" not in mail["text"]
    assert answer.json_body["reference"] in mail["subject"]


def test_a_plain_form_post_takes_the_browsers_accept_language(client, operator, mailbox):
    form = urlencode({"name": "Jürgen Schmidt", "email": "js@example.com", "message": "Wo ist mein Paket?"})
    answer = client.http.post(
        "/inquiries",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Accept-Language": "fr-FR,de-DE;q=0.8,en;q=0.5",
        },
        body=form,
    ).json_body
    view = client.http.get(f"/tickets/{answer['id']}", headers=operator()).json_body
    assert view["customer"]["locale"] == "de-DE"
    assert acknowledgement_to(mailbox, "js@example.com")["text"].startswith("Guten Tag Jürgen Schmidt,")


def test_new_mail_speaks_its_content_language_else_the_senders_last_tickets(client, operator, mailbox):
    first = inbound(client, raw(sender="Jürgen <js@example.com>", subject="Paket", body="Wo?", Content_Language="de"))
    assert acknowledgement_to(mailbox, "js@example.com")["subject"].startswith("Wir haben Ihre Anfrage erhalten")
    client.http.request("PATCH", f"/tickets/{first['ticket_id']}", headers=operator(), body='{"status": "closed"}')
    again = inbound(
        client, raw(sender="Jürgen <js@example.com>", subject="Noch was", body="Hallo", Message_ID="<m-2@example.com>")
    )
    assert again["action"] == "created"
    assert acknowledgement_to(mailbox, "js@example.com")["text"].startswith("Guten Tag Jürgen,")
    english = inbound(client, raw(sender="Bob <bob@example.com>", subject="Hi", body="Where?", Message_ID="<m-3@x>"))
    assert english["action"] == "created"
    assert acknowledgement_to(mailbox, "bob@example.com")["text"].startswith("Hello Bob,")


def test_german_words_raise_the_priority(client):
    body = {
        "name": "Jürgen",
        "email": "js@example.com",
        "message": "Das Paket kam beschädigt an. Ich möchte eine Erstattung.",
    }
    answer = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(body))
    assert answer.json_body["priority"] == "high"


def test_a_macro_without_the_customers_language_is_flagged_before_sending(client, operator, new_ticket):
    admin = operator(role="admin", email="admin@shop.example")
    macro = {"title": "On its way", "body": "Your parcel is on its way, {{first_name}}."}
    client.http.put("/macros/on-its-way", headers=admin, body=json.dumps(macro))
    german = new_ticket(locale="de-DE", email="js@example.com", name="Jürgen Schmidt")
    preview = client.http.post(
        f"/tickets/{german['id']}/preview", headers=operator(), body=json.dumps({"macro": "on-its-way"})
    ).json_body
    assert preview["language_missing"] == "de"
    macro["texts"] = {"de": "Ihr Paket ist unterwegs, {{first_name}}."}
    client.http.put("/macros/on-its-way", headers=admin, body=json.dumps(macro))
    preview = client.http.post(
        f"/tickets/{german['id']}/preview", headers=operator(), body=json.dumps({"macro": "on-its-way"})
    ).json_body
    assert "language_missing" not in preview and preview["body"] == "Ihr Paket ist unterwegs, Jürgen."
    assert "Your parcel" not in preview["text"] and "Freundliche Grüße" in preview["text"]
