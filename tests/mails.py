"""Mail as the tests hand it to Careline: customers' emails (raw RFC 5322
bytes, as SES stores them or `POST /_dev/inbound` takes them) and SES's
event records about the emails Careline sent (bounces, complaints)."""

import re
from email.message import EmailMessage
from urllib.parse import urlparse


def raw(sender="Ann Lee <ann@example.com>", subject="Re: Parcel", body="Thanks!", **headers):
    """A plain-text email; each keyword is a header (In_Reply_To is In-Reply-To)."""
    lines = [
        f"From: {sender}",
        "To: support@careline.example",
        f"Subject: {subject}",
        "Message-ID: <m-1@example.com>",
        *(f"{k.replace('_', '-')}: {v}" for k, v in headers.items()),
        "",
        body,
    ]
    return "\r\n".join(lines).encode()


def mail(
    *files,
    sender="Ann Lee <ann@example.com>",
    subject="Broken mug",
    text="Photos attached.",
    message_id="<m-1@example.com>",
):
    """An email with files attached, each given as (name, content type, bytes)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "support@careline.example", subject
    message["Message-ID"] = message_id
    message.set_content(text)
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def ses_event(kind: str, **body) -> dict:
    """An SES event record as the configuration set publishes it (docs: 'Examples of event data
    that Amazon SES publishes to Amazon SNS')."""
    mail = {
        "timestamp": "2026-11-24T09:00:01.012Z",
        "source": "Careline Demo Shop customer care <support@careline.example>",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/careline.example",
        "sendingAccountId": "123456789012",
        "messageId": "0100019a-example-000000",
        "destination": ["ann@example.com"],
        "headersTruncated": False,
        "headers": [
            {"name": "From", "value": "support@careline.example"},
            {"name": "To", "value": "Ann Lee <ann@example.com>"},
        ],
        "commonHeaders": {
            "from": ["support@careline.example"],
            "to": ["Ann Lee <ann@example.com>"],
            "messageId": "0100019a-example-000000",
            "subject": "We received your request [CL-K32SR5DY]",
        },
        "tags": {"ses:configuration-set": ["careline-prod"], "ses:source-ip": ["192.0.2.0"]},
    }
    return {"eventType": kind, "mail": mail, **body}


def permanent_bounce(*addresses, bounce_type="Permanent"):
    return ses_event(
        "Bounce",
        bounce={
            "bounceType": bounce_type,
            "bounceSubType": "General" if bounce_type == "Permanent" else "MailboxFull",
            "bouncedRecipients": [
                {
                    "emailAddress": a,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
                for a in addresses
            ],
            "timestamp": "2026-11-24T09:00:02.669Z",
            "feedbackId": "0100019a-bounce-000000",
            "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
        },
    )


def complaint(*addresses):
    return ses_event(
        "Complaint",
        complaint={
            "complainedRecipients": [{"emailAddress": a} for a in addresses],
            "timestamp": "2026-11-24T09:05:00.000Z",
            "feedbackId": "0100019a-complaint-000000",
            "userAgent": "Mozilla/5.0",
            "complaintFeedbackType": "abuse",
            "arrivalDate": "2026-11-24T09:04:58.000Z",
        },
    )


def status_path(sent: dict) -> str:
    """The path of the status page link a sent customer email carries (its text part; the HTML's is the same)."""
    [link] = re.findall(r"https?://\S+/status/\S+", sent["text"])
    return urlparse(link).path
