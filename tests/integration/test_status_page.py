"""The customer's status page (contract section 6): every email to a customer
links it; opening it records nothing; it shows the status in words, when a
reply is due in their zone and language, and the conversation with its
files, never notes or events; posting adds a message exactly as an emailed
reply (files too), or says the problem is solved; a tampered link is 404,
an expired one 410 with a form that emails a fresh link to the ticket's own
address only; an erased customer's link shows nothing."""

import json
from datetime import timedelta

import requests

from chalicelib.domain.feedback import status_token
from tests.integration.test_followup import advance, patch, resolve, view
from tests.mails import status_path

JSON = {"Content-Type": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
FORM = BROWSER | {"Content-Type": "application/x-www-form-urlencoded"}
PHOTO = b"\xff\xd8\xff\xe0" + b"broken mug" * 500


def customer_mail(mailbox, address="ann@example.com"):
    return [m for m in mailbox() if any(address in to for to in m["to"])]


def page_of(client, mailbox):
    """The status page as the customer opens it from our latest email: (path, html)."""
    path = status_path(customer_mail(mailbox)[-1])
    answer = client.http.get(path, headers=BROWSER)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
    return path, answer.body.decode()


def multipart(*files, **fields):
    """A browser's form with files (name, type, bytes): (headers, body)."""
    boundary = "----careline-test-boundary"
    body = b""
    for name, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for filename, content_type, data in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        body += f"{head}Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return BROWSER | {"Content-Type": f"multipart/form-data; boundary={boundary}"}, body


def test_every_email_to_a_customer_links_its_status_page(client, operator, new_ticket, mailbox, clock):
    """Acknowledgement, reply, resolution, follow-up, the pending reminder and a fresh link: each
    carries an absolute link to /status/{token}, in its text and its HTML, that opens the page."""
    ticket = new_ticket()
    client.http.post(f"/tickets/{ticket['id']}/replies", headers=operator(), body=json.dumps({"body": "Which size?"}))
    patch(client, operator, ticket, {"status": "pending"})
    advance(client, 72 * 60)  # the pending reminder
    patch(client, operator, ticket, {"status": "resolved"})  # the resolution notice
    advance(client, 48 * 60)  # the follow-up
    sent = customer_mail(mailbox)
    kinds = [m["subject"].split(" [")[0] for m in sent]
    assert kinds == [
        "We received your request: Parcel",
        "Re: Parcel",
        "Waiting for your answer: Parcel",
        "Resolved: Parcel",
        "How did we do? Parcel",
    ]
    for mail in sent:
        path = status_path(mail)
        assert path.startswith("/status/") and f'href="http://127.0.0.1:8000{path}"' in mail["html"], mail["subject"]
        assert client.http.get(path).status_code == 200, mail["subject"]
    # An expired link's fresh one is a customer email too.
    clock.advance(timedelta(days=31))
    assert client.http.post(status_path(sent[0]) + "/link", headers=FORM, body="").status_code == 200
    fresh = customer_mail(mailbox)[-1]
    assert fresh["subject"].startswith("Your link to your request") and fresh["to"] == ["Ann Lee <ann@example.com>"]
    assert client.http.get(status_path(fresh)).status_code == 200


def test_opening_records_nothing_and_shows_status_due_time_and_the_public_thread(client, operator, new_ticket, mailbox):
    ticket = new_ticket(timezone="America/New_York")
    client.http.post(f"/tickets/{ticket['id']}/notes", headers=operator(), body=json.dumps({"body": "VIP, be quick"}))
    before = view(client, operator, ticket)["version"]
    path, html = page_of(client, mailbox)
    assert client.http.get(path).status_code == 200 and view(client, operator, ticket)["version"] == before
    assert '<p class="brand">Careline Demo Shop</p>' in html and f"Your request {ticket['reference']}" in html
    assert "<strong>Received</strong>" in html and "Subject: Parcel" in html
    # Due in the customer's own zone (New York), as the acknowledgement says it.
    assert "You will hear from us by Wednesday, 25 November 2026 at 04:00 (New York time) at the latest." in html
    assert "Where is my parcel?" in html and "<strong>You</strong>" in html
    assert "VIP, be quick" not in html and "assigned" not in html.lower()  # never notes or events
    assert '<form method="post" enctype="multipart/form-data"' in html and "My problem is solved" in html
    assert "<script" not in html


def test_the_page_speaks_the_customers_language(client, operator, new_ticket, mailbox):
    ticket = new_ticket(locale="de-DE")
    client.http.post(
        f"/tickets/{ticket['id']}/replies",
        headers=operator(email="kim@shop.example"),
        body=json.dumps({"body": "Welche Größe?"}),
    )
    patch(client, operator, ticket, {"status": "pending"})
    _, html = page_of(client, mailbox)
    assert '<html lang="de">' in html and f"Ihre Anfrage {ticket['reference']}" in html
    assert "<strong>Wir warten auf Ihre Antwort</strong>" in html
    # Pending from 10:00 Berlin time: resolved a week later without an answer, said the German way.
    assert "Ohne Antwort schließen wir die Anfrage am Dienstag, 1. Dezember 2026 um 10:00 (Ortszeit Berlin)" in html
    assert "<strong>Kim, Careline Demo Shop</strong>" in html and "Welche Größe?" in html
    assert "Nachricht" in html and "Mein Anliegen ist erledigt" in html and "Your request" not in html


def test_a_message_with_a_file_is_added_like_an_emailed_reply_and_reopens_a_resolved_ticket(
    client, operator, new_ticket, mailbox, settings
):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    path, _ = page_of(client, mailbox)
    headers, body = multipart(("mug.jpg", "image/jpeg", PHOTO), message="It broke again.\nSee the photo.")
    answer = client.http.post(path, headers=headers, body=body)
    assert answer.status_code == 303 and answer.headers["Location"] == f"{path.rsplit('/', 1)[1]}?done=sent"
    seen = view(client, operator, ticket)
    assert seen["status"] == "open"  # reopened, as an emailed reply reopens it
    message = seen["messages"][-1]
    assert (message["direction"], message["channel"], message["body"]) == (
        "in",
        "web",
        "It broke again.\nSee the photo.",
    )
    assert [(f["name"], f["size"]) for f in message["attachments"]] == [("mug.jpg", len(PHOTO))]
    html = client.http.get(path + "?done=sent").body.decode()
    assert "Thank you, we have your message." in html and "<strong>In progress</strong>" in html
    # The file downloads from the page through a link of minutes, made when clicked.
    sha = message["attachments"][0]["sha256"]
    assert f'href="{path.rsplit("/", 1)[1]}/files/{sha}"' in html
    link = client.http.get(f"{path}/files/{sha}")
    assert link.status_code == 303 and "X-Amz-Expires=300" in link.headers["Location"]
    assert requests.get(link.headers["Location"], timeout=10).content == PHOTO
    assert client.http.get(f"{path}/files/{'0' * 64}").status_code == 404


def test_a_script_posts_json_and_a_closed_ticket_continues_in_a_new_one(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    path, _ = page_of(client, mailbox)
    answer = client.http.post(path, headers=JSON, body=json.dumps({"message": "Any news?"}))
    assert answer.status_code == 200 and answer.json_body == {
        "done": "sent",
        "reference": ticket["reference"],
        "status": "new",
    }
    patch(client, operator, ticket, {"status": "closed"})
    moved = client.http.post(path, headers=FORM, body="message=One+more+thing")
    assert moved.status_code == 303 and moved.headers["Location"].endswith("?done=continued")
    new_path = path.rsplit("/", 1)[0] + "/" + moved.headers["Location"].split("?")[0]
    html = client.http.get(new_path + "?done=continued").body.decode()
    assert "Your earlier request was closed" in html and "One more thing" in html and ticket["reference"] not in html
    assert "continued in" in " ".join(e["text"] for e in view(client, operator, ticket)["events"])
    assert customer_mail(mailbox)[-1]["subject"].startswith("We received your request")


def test_solved_resolves_without_an_email_and_the_follow_up_still_asks(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    path, _ = page_of(client, mailbox)
    sent = len(mailbox())
    answer = client.http.post(path, headers=FORM, body="action=solved")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("?done=solved")
    seen = view(client, operator, ticket)
    assert seen["status"] == "resolved" and len(mailbox()) == sent  # they just told us: no email says it back
    said = "The customer said on their page that the problem is solved, which resolved it"
    assert said in [e["text"] for e in seen["events"]]
    html = client.http.get(path + "?done=solved").body.decode()
    assert "We have marked your request as resolved" in html and "My problem is solved" not in html
    advance(client, 48 * 60)
    assert customer_mail(mailbox)[-1]["subject"].startswith("How did we do?")


def test_what_cannot_be_taken_comes_back_beside_its_field_with_the_words_kept(client, new_ticket, mailbox):
    new_ticket(locale="de-DE")
    path, _ = page_of(client, mailbox)
    empty = client.http.post(path, headers=FORM, body="message=++")
    assert empty.status_code == 400 and "Bitte schreiben Sie eine Nachricht" in empty.body.decode()
    headers, body = multipart(("tool.exe", "application/octet-stream", b"MZ..."), message="<b>Hier</b>")
    refused = client.http.post(path, headers=headers, body=body).body.decode()
    assert "tool.exe (diesen Dateityp nehmen wir nicht an)" in refused and 'aria-describedby="files-error"' in refused
    assert ">&lt;b&gt;Hier&lt;/b&gt;</textarea>" in refused
    too_long = client.http.post(path, headers=JSON, body=json.dumps({"message": "x" * 20_001}))
    assert too_long.status_code == 400 and too_long.json_body["errors"][0]["field"] == "message"


def test_a_tampered_link_is_404_and_an_expired_one_410_with_a_form_for_a_fresh_one(
    client, new_ticket, mailbox, clock, settings, services
):
    ticket = new_ticket()
    path = status_path(customer_mail(mailbox)[-1])
    token = path.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.http.get(f"/status/{tampered}").status_code == 404
    assert client.http.post(f"/status/{tampered}", headers=JSON, body='{"message": "hi"}').status_code == 404
    genuine = status_token(ticket["id"], clock.now(), 30, services.signing_key())
    assert client.http.get(f"/feedback/{genuine}").status_code == 404  # a status link opens no rating page
    clock.advance(timedelta(days=settings.status_token_days, minutes=1))
    expired = client.http.get(path, headers={"Accept-Language": "de-DE"})
    assert expired.status_code == 410 and "Dieser Link ist abgelaufen" in expired.body.decode()
    assert f'<form method="post" action="{token}/link">' in expired.body.decode()
    assert client.http.post(path, headers=JSON, body='{"message": "hi"}').status_code == 410
    sent = len(mailbox())
    for _ in range(5):  # asked often: three a day go out
        answer = client.http.post(f"{path}/link", headers=FORM, body="")
        assert answer.status_code == 200 and "a fresh one is on its way" in answer.body.decode()
    fresh = [m for m in mailbox()[sent:]]
    assert len(fresh) == 3 and all(m["to"] == ["Ann Lee <ann@example.com>"] for m in fresh)
    # A link that was never ours gets the same words, and nothing is sent.
    assert (
        "a fresh one is on its way" in client.http.post(f"/status/{tampered}/link", headers=FORM, body="").body.decode()
    )
    assert client.http.post(f"/status/{tampered}/link", headers=JSON, body="{}").status_code == 202
    assert len(mailbox()) == sent + 3


def test_after_erasure_the_link_shows_nothing_and_takes_nothing(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    path = status_path(customer_mail(mailbox)[-1])
    client.http.delete("/customers/ann@example.com", headers=operator("admin"))
    assert client.http.get(path).status_code == 404
    assert client.http.post(path, headers=JSON, body='{"message": "still me"}').status_code == 404
    assert client.http.post(path + "/link", headers=JSON, body="{}").status_code == 202
    seen = view(client, operator, ticket)
    assert "still me" not in json.dumps(seen) and seen["messages"][-1]["body"] != "still me"


def test_a_flood_of_posts_is_held_back(client, new_ticket, mailbox):
    new_ticket()
    path = status_path(customer_mail(mailbox)[-1])
    answers = [
        client.http.post(path, headers=JSON, body=json.dumps({"message": f"n{n}"})).status_code for n in range(21)
    ]
    assert answers == [200] * 20 + [429]


def test_a_spam_tickets_old_link_shows_nothing(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    path = status_path(customer_mail(mailbox)[-1])
    patch(client, operator, ticket, {"status": "spam"})
    assert client.http.get(path).status_code == 404
    assert client.http.post(path, headers=JSON, body='{"message": "hello"}').status_code == 404


def test_a_merged_tickets_link_shows_the_ticket_it_lives_on_in_and_a_message_joins_that_one(
    client, operator, new_ticket, mailbox
):
    target = new_ticket(message="My parcel A-1001 has not arrived.")
    source = new_ticket(message="Also, the invoice for A-1001 is wrong.", subject="Invoice")
    source_path = status_path(customer_mail(mailbox)[-1])  # the link in the source's acknowledgement
    merged = client.http.post(
        f"/tickets/{source['id']}/merge", headers=operator() | JSON, body=json.dumps({"into": target["id"]})
    )
    assert merged.status_code == 200
    html = client.http.get(source_path, headers=BROWSER).body.decode()
    assert f"Your request {target['reference']}" in html  # the one it lives on in, with both messages
    assert "My parcel A-1001 has not arrived." in html and "Also, the invoice for A-1001 is wrong." in html
    answer = client.http.post(source_path, headers=JSON, body=json.dumps({"message": "The right address is ..."}))
    assert answer.status_code == 200 and answer.json_body["reference"] == target["reference"]
    assert "The right address is ..." in [m["body"] for m in view(client, operator, target)["messages"]]
