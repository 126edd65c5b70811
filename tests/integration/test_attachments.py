"""Files on tickets: a customer's attachments are stored under the ticket
and listed on the message, refused ones noted and the customer told;
operators download through a short-lived link and attach their own uploads
to a reply, which the email carries; erasing the customer removes them all.
Links are fetched from the emulator's S3, as a browser would."""

import hashlib
import json

import pytest
import requests

from tests.calls import inbound, view
from tests.mails import mail

PDF = b"%PDF-1.7\n" + bytes(17 * 1024 * 1024)  # 17 MB: a scanned manual
PHOTO = b"\xff\xd8\xff\xe0" + b"broken mug" * 5000


def objects(settings, prefix=""):
    from chalicelib.adapters.aws import client

    listed = client("s3").list_object_versions(Bucket=settings.attachments_bucket, Prefix=prefix)
    return sorted(v["Key"] for v in listed.get("Versions", []) + listed.get("DeleteMarkers", []))


def sha(data):
    return hashlib.sha256(data).hexdigest()


def test_a_17_mb_pdf_is_stored_under_the_ticket_and_listed_on_the_message(client, operator, settings):
    decision = inbound(client, mail(("manual.pdf", "application/pdf", PDF), ("mug.jpg", "image/jpeg", PHOTO)))
    ticket_id = decision["ticket_id"]
    [message] = [m for m in view(client, operator, ticket_id)["messages"] if m["direction"] == "in"]
    assert message["attachments"] == [
        {"name": "manual.pdf", "type": "application/pdf", "size": len(PDF), "sha256": sha(PDF)},
        {"name": "mug.jpg", "type": "image/jpeg", "size": len(PHOTO), "sha256": sha(PHOTO)},
    ]
    assert objects(settings, ticket_id) == sorted(
        [f"{ticket_id}/{sha(PDF)}/manual.pdf", f"{ticket_id}/{sha(PHOTO)}/mug.jpg"]
    )


def test_a_refused_file_is_noted_on_the_message_and_the_customer_is_told(client, operator, settings, mailbox):
    decision = inbound(
        client, mail(("setup.exe", "application/x-msdownload", b"MZ\x90\x00 payload"), ("mug.jpg", "image/jpeg", PHOTO))
    )
    ticket_id = decision["ticket_id"]
    [message] = [m for m in view(client, operator, ticket_id)["messages"] if m["direction"] == "in"]
    assert [(a["name"], a.get("refused")) for a in message["attachments"]] == [("setup.exe", "type"), ("mug.jpg", None)]
    assert objects(settings, ticket_id) == [f"{ticket_id}/{sha(PHOTO)}/mug.jpg"]  # the program was never stored
    [acknowledgement] = [m for m in mailbox() if m["to"] == ["Ann Lee <ann@example.com>"]]
    assert "setup.exe (we do not accept this kind of file)" in acknowledgement["text"]
    assert "mug.jpg" not in acknowledgement["text"]


def test_a_file_that_cannot_be_stored_is_noted_and_the_mail_is_taken_all_the_same(
    client, operator, failing, mailbox, settings
):
    failing("s3", "PutObject", "ServiceUnavailable")
    decision = inbound(client, mail(("mug.jpg", "image/jpeg", PHOTO)))
    assert decision["action"] == "created"
    [message] = [m for m in view(client, operator, decision["ticket_id"])["messages"] if m["direction"] == "in"]
    assert (message["body"], message["attachments"][0]["refused"]) == ("Photos attached.", "storage")
    [acknowledgement] = [m for m in mailbox() if m["to"] == ["Ann Lee <ann@example.com>"]]
    assert "mug.jpg (we could not store it just now: please send it again)" in acknowledgement["text"]
    assert objects(settings) == []


def test_a_reply_with_files_joins_its_ticket_with_them(client, operator, new_ticket, settings):
    ticket = new_ticket()
    inbound(
        client,
        mail(
            ("mug.jpg", "image/jpeg", PHOTO),
            subject=f"Re: Parcel [{ticket['reference']}]",
            message_id="<m-2@example.com>",
        ),
    )
    assert objects(settings, ticket["id"]) == [f"{ticket['id']}/{sha(PHOTO)}/mug.jpg"]
    assert view(client, operator, ticket["id"])["messages"][-1]["attachments"][0]["sha256"] == sha(PHOTO)


def test_the_same_mail_twice_stores_its_files_once_under_the_one_ticket(client, settings):
    raw = mail(("mug.jpg", "image/jpeg", PHOTO))
    first, again = inbound(client, raw), inbound(client, raw)
    assert first["ticket_id"] == again["ticket_id"]
    assert objects(settings) == [f"{first['ticket_id']}/{sha(PHOTO)}/mug.jpg"]  # nothing left under an unused id


def test_an_operator_downloads_a_file_through_a_short_lived_link(client, operator, clock):
    ticket_id = inbound(
        client,
        mail(("Rechnung März.pdf", "application/pdf", PDF[:4096]), ("setup.exe", "application/x-msdownload", b"MZ")),
    )["ticket_id"]
    answer = client.http.get(f"/tickets/{ticket_id}/attachments/{sha(PDF[:4096])}", headers=operator())
    assert answer.status_code == 200
    link = answer.json_body
    assert (link["name"], link["type"], link["size"]) == ("Rechnung März.pdf", "application/pdf", 4096)
    assert link["expires_at"] == "2026-11-24T09:05:00Z"  # five minutes
    fetched = requests.get(link["url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content == PDF[:4096]
    assert "attachment;" in fetched.headers["Content-Disposition"]
    assert "filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf" in fetched.headers["Content-Disposition"]
    assert "X-Amz-Expires=300" in link["url"] and "X-Amz-Signature=" in link["url"]


@pytest.mark.parametrize(
    "which,status,field",
    [
        ("refused", 404, "sha256"),
        ("unknown", 404, "sha256"),
        ("malformed", 404, "sha256"),
        ("no ticket", 404, "ticket_id"),
    ],
)
def test_only_kept_files_of_the_ticket_can_be_downloaded(client, operator, which, status, field):
    ticket_id = inbound(client, mail(("setup.exe", "application/x-msdownload", b"MZ")))["ticket_id"]
    digest = {"refused": sha(b"MZ"), "unknown": sha(b"other"), "malformed": "not-a-digest", "no ticket": sha(b"MZ")}[
        which
    ]
    path = f"/tickets/{'01KB1X00000000000000000000' if which == 'no ticket' else ticket_id}/attachments/{digest}"
    answer = client.http.get(path, headers=operator())
    assert (answer.status_code, answer.json_body["errors"][0]["field"]) == (status, field)
    if which == "refused":
        assert "not kept (type)" in answer.json_body["errors"][0]["message"]
    assert client.http.get(path).status_code == 401  # operators only


def upload(client, operator, ticket_id, name, content_type, data):
    """What the admin page does: ask for a form, post the file to S3 with it."""
    answer = client.http.post(
        f"/tickets/{ticket_id}/uploads", headers=operator(), body=json.dumps({"name": name, "type": content_type})
    )
    assert answer.status_code == 201, answer.body
    form = answer.json_body
    posted = requests.post(form["url"], data=form["fields"], files={"file": (name, data, content_type)}, timeout=10)
    assert posted.status_code in (200, 201, 204), posted.text
    return form


def reply(client, operator, ticket_id, **body):
    return client.http.post(
        f"/tickets/{ticket_id}/replies", headers=operator(), body=json.dumps({"body": "The label is attached."} | body)
    )


def test_an_operator_attaches_uploaded_files_to_a_reply_and_the_email_carries_them(
    client, operator, new_ticket, mailbox, clock
):
    ticket = new_ticket()
    label = b"%PDF-1.4 return label" + bytes(100_000)
    form = upload(client, operator, ticket["id"], "return-label.pdf", "application/pdf", label)
    assert form["key"].startswith(f"{ticket['id']}/uploads/") and form["key"].endswith("/return-label.pdf")
    assert form["max_bytes"] == 20 * 1024 * 1024 and form["fields"]["Content-Type"] == "application/pdf"
    assert form["expires_at"] == "2026-11-24T09:15:00Z"
    photo = upload(client, operator, ticket["id"], "how-to-pack.jpg", "image/jpeg", PHOTO)
    answer = reply(client, operator, ticket["id"], attachments=[form["key"], photo["key"]])
    assert answer.status_code == 201, answer.body
    [sent] = [m for m in answer.json_body["messages"] if m["author"] == "agent@shop.example"]
    assert sent["attachments"] == [
        {"name": "return-label.pdf", "type": "application/pdf", "size": len(label), "sha256": sha(label)},
        {"name": "how-to-pack.jpg", "type": "image/jpeg", "size": len(PHOTO), "sha256": sha(PHOTO)},
    ]
    email = mailbox()[-1]
    assert email["subject"].endswith(f"[{ticket['reference']}]") and "The label is attached." in email["text"]
    assert email["attachments"] == sent["attachments"]  # the very bytes: same size and SHA-256
    link = client.http.get(f"/tickets/{ticket['id']}/attachments/{sha(label)}", headers=operator()).json_body
    assert requests.get(link["url"], timeout=10).content == label  # operators' files download like customers'


@pytest.mark.parametrize(
    "case,message",
    [
        ("another ticket's", "must be a key that POST /tickets/{id}/uploads gave for this ticket"),
        ("made up", "must be a key that POST /tickets/{id}/uploads gave for this ticket"),
        ("never uploaded", "was not uploaded"),
        ("too large", "big.pdf is larger than 20 MB"),
        ("wrong type", "notes.pdf is not a type we send"),
    ],
)
def test_a_reply_names_only_this_tickets_uploads_within_the_limits(
    client, operator, new_ticket, settings, case, message, mailbox
):
    from chalicelib.adapters.aws import client as aws_client

    ticket, other = new_ticket(), new_ticket(email="bob@example.com")
    s3 = aws_client("s3")
    keys = {
        "another ticket's": upload(client, operator, other["id"], "a.pdf", "application/pdf", b"%PDF")["key"],
        "made up": f"{ticket['id']}/../{other['id']}/uploads/x/a.pdf",
        "never uploaded": f"{ticket['id']}/uploads/{'0' * 32}/a.pdf",
    }
    if case == "too large":  # S3 keeps a form to its size limit; this stands in for a file that got past it
        keys[case] = f"{ticket['id']}/uploads/{'1' * 32}/big.pdf"
        s3.put_object(
            Bucket=settings.attachments_bucket,
            Key=keys[case],
            Body=bytes(20 * 1024 * 1024 + 1),
            ContentType="application/pdf",
        )
    if case == "wrong type":
        keys[case] = f"{ticket['id']}/uploads/{'2' * 32}/notes.pdf"
        s3.put_object(Bucket=settings.attachments_bucket, Key=keys[case], Body=b"#!/bin/sh", ContentType="text/x-sh")
    sent = len(mailbox())
    answer = reply(client, operator, ticket["id"], attachments=[keys[case]])
    assert answer.status_code == 400
    [error] = answer.json_body["errors"]
    assert error["field"] == "attachments.0" and message in error["message"], error
    assert len(mailbox()) == sent  # nothing was written, nothing sent


@pytest.mark.parametrize(
    "body,field,message",
    [
        ({"name": "setup.exe", "type": "application/x-msdownload"}, "type", "must be one of: image/jpeg"),
        ({"name": "invoice.exe", "type": "application/pdf"}, "name", "must end in .pdf for application/pdf"),
        (
            {"name": "../../invoice.pdf", "type": "application/pdf"},
            "name",
            "must be a plain file name, like invoice.pdf",
        ),
        ({"name": "invoice.pdf"}, "type", "is required"),
    ],
)
def test_an_upload_form_is_only_for_an_accepted_file(client, operator, new_ticket, body, field, message):
    ticket = new_ticket()
    answer = client.http.post(f"/tickets/{ticket['id']}/uploads", headers=operator(), body=json.dumps(body))
    assert answer.status_code == 400
    [error] = answer.json_body["errors"]
    assert error["field"] == field and error["message"].startswith(message), error


def test_an_upload_needs_a_ticket(client, operator):
    answer = client.http.post(
        "/tickets/01KB1X00000000000000000000/uploads",
        headers=operator(),
        body=json.dumps({"name": "a.pdf", "type": "application/pdf"}),
    )
    assert answer.status_code == 404


def test_a_file_changed_after_the_reply_is_not_sent_in_its_place(
    client, operator, new_ticket, settings, settle, mailbox
):
    from chalicelib.adapters.aws import client as aws_client

    ticket = new_ticket()
    form = upload(client, operator, ticket["id"], "label.pdf", "application/pdf", b"%PDF the real label")
    assert reply(client, operator, ticket["id"], attachments=[form["key"]]).status_code == 201
    aws_client("s3").put_object(
        Bucket=settings.attachments_bucket, Key=form["key"], Body=b"%PDF something else", ContentType="application/pdf"
    )
    sent = len(mailbox.unsettled())
    settle()
    assert len(mailbox.unsettled()) == sent
    [message] = [m for m in view(client, operator, ticket["id"])["messages"] if m["author"] == "agent@shop.example"]
    assert (
        message["delivery"]["status"] == "refused"
        and "label.pdf is not the file attached" in message["delivery"]["last_error"]
    )


def test_a_file_s3_cannot_read_just_now_is_sent_later(
    client, operator, new_ticket, failing, settle, services, clock, mailbox
):
    from datetime import timedelta

    ticket = new_ticket()
    form = upload(client, operator, ticket["id"], "label.pdf", "application/pdf", b"%PDF the label")
    assert reply(client, operator, ticket["id"], attachments=[form["key"]]).status_code == 201
    restore = failing("s3", "GetObject", "SlowDown")
    settle()
    [message] = [m for m in view(client, operator, ticket["id"])["messages"] if m["author"] == "agent@shop.example"]
    assert message["delivery"]["status"] == "retry"
    restore()
    clock.advance(timedelta(minutes=2))
    services.delivery.retry_due()
    assert mailbox()[-1]["attachments"][0]["name"] == "label.pdf"


def test_erasing_the_customer_removes_every_file_of_their_tickets(client, operator, settings, settle):
    ticket_id = inbound(client, mail(("mug.jpg", "image/jpeg", PHOTO)))["ticket_id"]
    form = upload(client, operator, ticket_id, "label.pdf", "application/pdf", b"%PDF label")
    assert reply(client, operator, ticket_id, attachments=[form["key"]]).status_code == 201
    settle()
    assert len(objects(settings, ticket_id)) == 2
    erased = client.http.request("DELETE", "/customers/ann@example.com", headers=operator("admin"))
    assert erased.status_code == 200
    assert len(objects(settings, ticket_id)) == 2  # the request only wrote the change
    settle()
    assert objects(settings, ticket_id) == []  # every version: nothing left to restore
    messages = view(client, operator, ticket_id)["messages"]
    assert all(m["attachments"] == [] for m in messages)
    assert client.http.get(f"/tickets/{ticket_id}/attachments/{sha(PHOTO)}", headers=operator()).status_code == 404


def test_the_intake_and_a_reply_without_files_build_no_s3_client(client, operator, new_ticket, monkeypatch):
    from chalicelib.adapters import aws
    from chalicelib.adapters.tables import reset_clients

    ticket = new_ticket()
    headers = operator()
    reset_clients()
    made = []
    session = aws.botocore_session()
    create = session.create_client
    monkeypatch.setattr(
        session, "create_client", lambda service, *a, **k: made.append(service) or create(service, *a, **k)
    )
    posted = client.http.post(
        "/inquiries",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"name": "Bob", "email": "bob@example.com", "message": "Hello"}),
    )
    assert posted.status_code == 201
    assert (
        client.http.post(
            f"/tickets/{ticket['id']}/replies", headers=headers, body=json.dumps({"body": "Hi"})
        ).status_code
        == 201
    )
    assert set(made) == {"dynamodb"}


def test_replies_thread_under_the_conversation_and_tell_of_each_refused_file_once(client, operator, mailbox):
    def to_ann():
        return [m for m in mailbox() if m["to"] == ["Ann Lee <ann@example.com>"]]

    def reply(text):
        answer = client.http.post(f"/tickets/{ticket_id}/replies", headers=operator(), body=json.dumps({"body": text}))
        assert answer.status_code == 201, answer.body
        return to_ann()[-1]

    ticket_id = inbound(client, mail(("setup.exe", "application/x-msdownload", b"MZ\x90\x00 payload")))["ticket_id"]
    [acknowledgement] = to_ann()
    assert "setup.exe" in acknowledgement["text"]
    first = reply("We will look into it.")
    assert "setup.exe" not in first["text"]  # the acknowledgement told her already
    assert (first["headers"]["In-Reply-To"], first["headers"]["References"].split()) == (
        acknowledgement["headers"]["Message-ID"],
        ["<m-1@example.com>", acknowledgement["headers"]["Message-ID"]],
    )

    reference = client.http.get(f"/tickets/{ticket_id}", headers=operator()).json_body["reference"]
    inbound(
        client,
        mail(
            ("tool.exe", "application/x-msdownload", b"MZ\x90\x00 other"),
            text="Here is more.",
            subject=f"Re: Broken mug [{reference}]",
            message_id="<m-2@example.com>",
        ),
    )
    second = reply("Thank you, that helps.")
    assert "tool.exe" in second["text"] and "setup.exe" not in second["text"]  # only what is new since our last
    assert (second["headers"]["In-Reply-To"], second["headers"]["References"].split()) == (
        "<m-2@example.com>",
        [
            "<m-1@example.com>",
            acknowledgement["headers"]["Message-ID"],
            first["headers"]["Message-ID"],
            "<m-2@example.com>",
        ],
    )


@pytest.mark.parametrize("which", ["new", "reply"])
def test_a_mail_taken_already_stores_none_of_its_files_again(which, client, new_ticket, settings):
    """SES, Lambda's retries and a re-drive may each deliver a mail again:
    its files reach S3 once (each upload of 17 MB is time and money)."""
    from chalicelib.adapters.aws import client as aws_client

    subject = f"Re: Parcel [{new_ticket()['reference']}]" if which == "reply" else "Broken mug"
    raw = mail(("mug.jpg", "image/jpeg", PHOTO), ("manual.pdf", "application/pdf", PDF[:4096]), subject=subject)
    puts = []
    events = aws_client("s3").meta.events
    count = lambda params, **_: puts.append(params["Key"])  # noqa: E731
    events.register("provide-client-params.s3.PutObject", count)
    try:
        first = inbound(client, raw)
        stored = list(puts)
        again = inbound(client, raw)
    finally:
        events.unregister("provide-client-params.s3.PutObject", count)
    assert len(stored) == 2 and puts == stored  # the second delivery uploaded nothing
    assert (again["action"], again["ticket_id"]) == ("ignored", first["ticket_id"])
    assert len(objects(settings, first["ticket_id"])) == 2  # one version each


def test_a_mail_over_the_senders_rate_limit_leaves_no_file_behind(client, settings):
    """Its files are stored before the limit is known (the limit is part of
    the ticket's write), and removed when no ticket took them."""
    for n in range(settings.per_email.requests):
        assert inbound(client, mail(("mug.jpg", "image/jpeg", PHOTO), message_id=f"<m-{n}@example.com>"))["action"] == (
            "created"
        )
    kept = objects(settings)
    flooding = inbound(client, mail(("mug.jpg", "image/jpeg", PHOTO), message_id="<m-over@example.com>"))
    assert flooding == {
        "ticket_id": None,
        "action": "ignored",
        "reason": "too many new messages from this address just now",
    }
    assert objects(settings) == kept  # the copy stored under the unused id is gone, every version
