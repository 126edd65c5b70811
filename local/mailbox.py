"""The dev mailbox: every email the local SES emulator accepted."""

from __future__ import annotations

import hashlib
import os
from email import message_from_string
from email.policy import default


def sent_messages() -> list[dict]:
    # moto runs in this process (make run starts its server in-process; tests
    # use mock_aws), so its SES backend is the mailbox.
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import RawMessage, ses_backends

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    backend = ses_backends[DEFAULT_ACCOUNT_ID][region]
    return [_parse(m.raw_data) for m in backend.sent_messages if isinstance(m, RawMessage)]


def _parse(raw: str) -> dict:
    message = message_from_string(raw, policy=default)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return {
        "to": [str(a) for a in message.get_all("To", [])],
        "cc": [str(a) for header in message.get_all("Cc", []) for a in header.addresses],
        "subject": str(message["Subject"]),
        "text": text.get_content().replace("\r\n", "\n") if text else "",
        "html": html.get_content().replace("\r\n", "\n") if html else "",
        "headers": {k: str(v) for k, v in message.items()},
        "attachments": [_file(part) for part in message.iter_attachments()],
    }


def _file(part) -> dict:
    data = part.get_payload(decode=True) or b""
    return {
        "name": part.get_filename(),
        "type": part.get_content_type(),
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
