"""Inbound email (a customer's reply, or new mail to the support address):
what it says, which ticket it names, and whether a machine sent it.
Automatic mail (auto-replies, out-of-office, bounces, lists) never opens,
reopens or gets an answer: answering it is how mail loops start."""
from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default
from email.utils import getaddresses
from html import unescape

REFERENCE = re.compile(r"\[(CL-[0-9A-HJKMNP-TV-Z]{6,10})\]")
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheit|undeliverable|"
    r"delivery status notification|mail delivery (failed|system)|returned mail|vacation)", re.I)
_QUOTE_START = re.compile(r"^(on .+ wrote:|am .+ schrieb .+:|-+ ?original message ?-+|from: .+)$", re.I)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class InboundMail:
    sender: str
    sender_name: str
    subject: str
    body: str
    message_id: str | None
    reference: str | None
    automatic: str | None  # why it counts as machine-sent, or None


def parse(raw: bytes) -> InboundMail:
    message = message_from_bytes(raw, policy=default)
    name, address = (getaddresses([str(message.get("From", ""))]) or [("", "")])[0]
    subject = " ".join(str(message.get("Subject", "")).split())
    found = REFERENCE.search(subject)
    return InboundMail(sender=address.strip().lower(), sender_name=name.strip(), subject=subject,
                       body=_new_text(message), message_id=_header(message, "Message-ID"),
                       reference=found.group(1) if found else None, automatic=_automatic(message, address, subject))


def _header(message, name: str) -> str | None:
    value = message.get(name)
    return str(value).strip() if value else None


def _automatic(message, address: str, subject: str) -> str | None:
    auto = (_header(message, "Auto-Submitted") or "no").lower()
    if auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = (_header(message, "Precedence") or "").lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if message.get(name) is not None and not (name == "X-Auto-Response-Suppress"
                                                  and "oof" not in str(message.get(name)).lower()):
            return f"{name} header"
    local = address.partition("@")[0].lower()
    if local in ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply"):
        return f"sent by {local}"
    if message.get_content_type() == "multipart/report":
        return "a delivery report"
    if _AUTO_SUBJECT.match(subject):
        return "an automatic subject"
    if not address:
        return "no sender"
    return None


def _new_text(message) -> str:
    """The customer's new words: the plain part (or the HTML one as text),
    without the quoted earlier conversation."""
    part = message.get_body(("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = unescape(_TAG.sub("", re.sub(r"(?i)<br\s*/?>|</p>", "\n", text)))
    kept = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _QUOTE_START.match(line.strip()):
            break
        if not line.startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip()
