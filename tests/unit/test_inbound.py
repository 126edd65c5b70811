"""Customers' emails as the rules read them: the reference and only the new
words, the threading headers, automatic mail told by its headers, subject or
sender (our own addresses among them), and attachments kept or refused by
type, size, count and name."""

import hashlib
from email.message import EmailMessage

import pytest

from chalicelib.domain import inbound as rules
from chalicelib.domain.inbound import parse
from tests.mails import raw


def test_parse_finds_the_reference_and_only_the_new_words():
    mail = parse(
        raw(
            subject="Re: We received your request [CL-7K3M9QX2]",
            body="Size M please.\r\n\r\nOn Tue, 24 Nov 2026, Careline wrote:\r\n> Which size?",
        )
    )
    assert (mail.reference, mail.body, mail.sender, mail.automatic) == (
        "CL-7K3M9QX2",
        "Size M please.",
        "ann@example.com",
        None,
    )


@pytest.mark.parametrize(
    "headers,subject,sender",
    [
        ({"Auto_Submitted": "auto-replied"}, "Re: x", "ann@example.com"),
        ({"Precedence": "bulk"}, "News", "ann@example.com"),
        ({"List_Id": "<shop.lists.example>"}, "Digest", "ann@example.com"),
        ({}, "Out of Office: Re: x", "ann@example.com"),
        ({}, "Automatic reply: x", "ann@example.com"),
        ({}, "Undeliverable: x", "ann@example.com"),
        ({}, "x", "MAILER-DAEMON@mx.example.com"),
    ],
)
def test_automatic_mail_is_recognised(headers, subject, sender):
    assert parse(raw(sender=sender, subject=subject, **headers)).automatic


OURS = ("support@careline.example", "lead@careline.example", "Careline Demo Shop <noreply@careline.example>")


@pytest.mark.parametrize(
    "sender,headers",
    [
        ("support@careline.example", {}),
        ("Careline Support <SUPPORT@Careline.Example>", {}),
        ("support+CL-7K3M9QX2@careline.example", {}),
        ("lead@careline.example", {}),
        ("noreply@careline.example", {}),
        ("ann@example.com", {"Sender": "support@careline.example"}),
        ("ann@example.com", {"Return_Path": "<support+bounces@careline.example>"}),
    ],
)
def test_mail_from_any_of_our_own_addresses_never_counts_as_a_customer(sender, headers):
    mail = parse(raw(sender=sender, **headers), own_addresses=OURS)
    assert mail.automatic and "our own address" in mail.automatic


def test_a_customer_whose_address_only_looks_like_ours_is_a_customer():
    for sender in ("support@careline.example.com", "support@example.com", "supporter@careline.example"):
        assert parse(raw(sender=sender), own_addresses=OURS).automatic is None


@pytest.mark.parametrize(
    "headers,why",
    [
        ({"Return_Path": "<>"}, "null Return-Path"),
        ({"Return_Path": " < > "}, "null Return-Path"),
        ({"Auto_Submitted": "auto-generated"}, "Auto-Submitted"),
        ({"Auto_Submitted": "auto-notified; owner-email=x@y"}, "Auto-Submitted"),
        ({"X_Auto_Response_Suppress": "All"}, "X-Auto-Response-Suppress"),
        ({"X_Auto_Response_Suppress": "DR, RN, NRN"}, "X-Auto-Response-Suppress"),
        ({"Precedence": "junk"}, "Precedence"),
        ({"Precedence": "auto_reply"}, "Precedence"),
        ({"Precedence": "List"}, "Precedence"),
        ({"List_Post": "<mailto:shop@lists.example>"}, "List-Post"),
        ({"List_Help": "<mailto:help@lists.example>"}, "List-Help"),
    ],
)
def test_headers_that_say_a_machine_sent_it(headers, why):
    """A bounce with an ordinary From and Subject, a list, an Exchange auto-answer."""
    mail = parse(raw(sender="Ann Lee <ann@example.com>", subject="Re: Parcel", **headers))
    assert mail.automatic and why in mail.automatic


@pytest.mark.parametrize(
    "headers", [{"Auto_Submitted": "no"}, {"Precedence": "normal"}, {"Return_Path": "<ann@example.com>"}]
)
def test_ordinary_headers_are_a_person(headers):
    assert parse(raw(**headers)).automatic is None


def report(kind: str) -> bytes:
    """A report inside a multipart/mixed, with an ordinary From and Subject."""
    return "\r\n".join(
        [
            "From: Ann Lee <ann@example.com>",
            "To: support@careline.example",
            "Subject: Re: Parcel",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="b"',
            "",
            "--b",
            "Content-Type: text/plain",
            "",
            "See below.",
            "--b",
            f"Content-Type: {kind}",
            "",
            "Reporting-MTA: dns; mx.example.com",
            "",
            "--b--",
            "",
        ]
    ).encode()


@pytest.mark.parametrize("kind", ["message/delivery-status", "message/disposition-notification"])
def test_a_delivery_or_read_report_anywhere_in_the_message_is_automatic(kind):
    assert "report" in parse(report(kind)).automatic


def mail_with(*files, text="Photo of the broken mug attached."):
    """files: (name, content type, bytes, disposition)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "Ann Lee <ann@example.com>",
        "support@careline.example",
        "Broken",
    )
    message["Message-ID"] = "<m-2@example.com>"
    message.set_content(text)
    for name, content_type, data, disposition in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name, disposition=disposition)
    return message.as_bytes()


JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 1000


def test_every_attachment_is_parsed_with_name_type_size_and_checksum():
    mail = parse(
        mail_with(
            ("mug.jpg", "image/jpeg", JPEG, "attachment"),
            ("Rechnung März.pdf", "application/pdf", b"%PDF-1.7 ...", "attachment"),
            ("logo.png", "image/png", b"\x89PNG....", "inline"),
        )
    )
    assert mail.body == "Photo of the broken mug attached."
    photo, invoice, logo = mail.attachments
    assert (photo.name, photo.content_type, photo.size, photo.sha256, photo.data) == (
        "mug.jpg",
        "image/jpeg",
        len(JPEG),
        hashlib.sha256(JPEG).hexdigest(),
        JPEG,
    )
    assert (invoice.name, invoice.content_type, invoice.refused) == ("Rechnung März.pdf", "application/pdf", None)
    assert (photo.inline, logo.inline) == (False, True) and all(a.kept for a in mail.attachments)


@pytest.mark.parametrize(
    "name,content_type,kept_as",
    [
        ("scan.pdf", "application/octet-stream", "application/pdf"),  # a vague type, a clear name
        ("photo", "image/jpeg", "image/jpeg"),
        ("IMG_0042.HEIC", "image/heic", "image/heic"),
        ("order.eml", "message/rfc822", "message/rfc822"),
    ],
)
def test_allowed_types_are_kept(name, content_type, kept_as):
    data = mail_with() if content_type == "message/rfc822" else b"some bytes"
    if content_type == "message/rfc822":
        message = EmailMessage()
        message["From"], message["Subject"] = "ann@example.com", "Fwd: order"
        message.set_content("see the forwarded order")
        inner = EmailMessage()
        inner["From"], inner["Subject"] = "shop@example.com", "Your order"
        inner.set_content("Order 1001 confirmed.")
        message.add_attachment(inner)
        [attachment] = parse(message.as_bytes()).attachments
    else:
        [attachment] = parse(mail_with((name, content_type, data, "attachment"))).attachments
    assert (attachment.content_type, attachment.refused) == (kept_as, None)
    assert attachment.name.lower().endswith((".pdf", ".jpg", ".heic", ".eml"))


@pytest.mark.parametrize(
    "name,content_type,reason",
    [
        ("setup.exe", "application/x-msdownload", "type"),
        ("invoice.pdf.exe", "application/pdf", "type"),  # the name tells the truth the type hides
        ("photos.zip", "application/zip", "type"),
        ("page.html", "text/html", "type"),
        ("drawing.svg", "image/svg+xml", "type"),
        ("macro.docm", "application/vnd.ms-word.document.macroEnabled.12", "type"),
        ("empty.pdf", "application/pdf", "empty"),
    ],
)
def test_types_outside_the_allow_list_are_refused_with_a_reason(name, content_type, reason):
    data = b"" if reason == "empty" else b"MZ\x90\x00 payload"
    [attachment] = parse(mail_with((name, content_type, data, "attachment"))).attachments
    assert attachment.refused == reason and not attachment.kept
    assert attachment.size == len(data) and attachment.sha256 == hashlib.sha256(data).hexdigest()


def test_a_17_mb_pdf_is_kept_and_a_file_over_the_limit_is_refused():
    big = b"%PDF" + bytes(17 * 1024 * 1024)
    [pdf] = parse(mail_with(("manual.pdf", "application/pdf", big, "attachment"))).attachments
    assert pdf.kept and pdf.size == len(big)
    screened = rules.screen([rules.Attachment.of("huge.pdf", "application/pdf", bytes(rules.MAX_FILE_BYTES + 1))])
    assert screened[0].refused == "size"


def test_per_message_limits_keep_the_first_files_and_refuse_the_rest():
    each = bytes(12 * 1024 * 1024)
    files = [rules.Attachment.of(f"part{n}.pdf", "application/pdf", each) for n in range(3)]
    assert [a.refused for a in rules.screen(files)] == [None, None, "total"]  # 36 MB > 30 MB
    many = [rules.Attachment.of(f"p{n}.jpg", "image/jpeg", b"x") for n in range(rules.MAX_FILES + 2)]
    assert [a.refused for a in rules.screen(many)][-3:] == [None, "count", "count"]


def test_names_cannot_climb_out_of_their_folder_or_carry_control_characters():
    [attachment] = parse(mail_with(("../../etc/pass\x07wd.pdf", "application/pdf", b"%PDF", "attachment"))).attachments
    assert attachment.name == "passwd.pdf"
    assert rules.Attachment.of("C:\\Users\\ann\\foto.jpg", "image/jpeg", b"x").name == "foto.jpg"


def test_the_threading_headers_are_read():
    mail = parse(raw(In_Reply_To="<a@shop.example>", References="<x@shop.example> <a@shop.example>"))
    assert (mail.in_reply_to, mail.references) == ("<a@shop.example>", ("<x@shop.example>", "<a@shop.example>"))
