"""Inbound email (a customer's reply, or new mail to the support address):
what it says, which ticket it names, what it carries, and whether a machine
sent it. Automatic mail (auto-replies, out-of-office, bounces, lists, and
anything from our own addresses) never opens, reopens or gets an answer:
answering it is how mail loops start."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header
from email.message import MIMEPart
from email.policy import default
from email.utils import getaddresses
from html import unescape

from .text import is_email, mailbox, plain_line, plain_text

REFERENCE = re.compile(r"\[(CL-[0-9A-HJKMNP-TV-Z]{6,10})\]")
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheit|undeliverable|"
    r"delivery status notification|mail delivery (failed|system)|returned mail|vacation)",
    re.I,
)
_QUOTE_START = re.compile(r"^(on .+ wrote:|am .+ schrieb .+:|-+ ?original message ?-+|from: .+)$", re.I)
_TAG = re.compile(r"<[^>]+>")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+>")  # printable ASCII, as it goes back out in In-Reply-To
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
# What the email package raises on a part or header it cannot read.
_UNREADABLE = (ValueError, LookupError, TypeError, KeyError, IndexError, AttributeError, UnicodeError)
# Private-use characters: never in a header as received (ASCII, or bytes escaped).
_PLACEHOLDER = re.compile("\ue000([0-9]+)\ue001")
_MACHINE_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply")
_REPORTS = ("multipart/report", "message/delivery-status", "message/disposition-notification")

# Attachments kept for the ticket: what customers send to show a problem
# (photos, videos, PDFs, office documents, plain text, a forwarded email).
# Not kept: anything that runs or hides other files (programs, scripts,
# archives, macro-enabled documents) or renders script (HTML, SVG). The
# file's name must end in an extension of its type: "invoice.pdf.exe" sent
# as application/pdf is refused.
ALLOWED = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/heic": (".heic",),
    "image/heif": (".heif",),
    "video/mp4": (".mp4",),
    "video/quicktime": (".mov",),
    "application/pdf": (".pdf",),
    "text/plain": (".txt",),
    "text/csv": (".csv",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "message/rfc822": (".eml",),
}
MAX_FILE_BYTES = 20 * 1024 * 1024
# SES accepts inbound messages up to 40 MB as sent; base64 makes that about 30 MB of files.
MAX_MESSAGE_BYTES = 30 * 1024 * 1024
MAX_FILES = 20
# Why an attachment is kept out (the lead's note on the ticket and the customer's next email say it in words).
# "storage": kept, but it could not be stored (services/attachments.py), so it is not on the ticket either.
# "virus": SES's virus scan failed the mail: none of its files is ever stored.
REFUSALS = ("type", "empty", "size", "total", "count", "storage", "virus")
# SES's verdicts on a received mail (receipt rule with ScanEnabled): PASS, FAIL,
# GRAY or PROCESSING_FAILED, in headers SES puts at the top of the stored mail,
# above the sender's own. Only FAIL quarantines; a missing verdict passes.
SPAM_VERDICT, VIRUS_VERDICT = "X-SES-Spam-Verdict", "X-SES-Virus-Verdict"

# The loop cap: however an automatic answer slipped through, one address
# gets at most this many automatic emails in this long.
LOOP_CAP = 10
LOOP_WINDOW = timedelta(hours=3)


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int
    sha256: str
    data: bytes = field(repr=False)
    inline: bool = False  # shown in the message's body (a signature's logo), not attached to it
    refused: str | None = None  # one of REFUSALS, or None: kept

    @property
    def kept(self) -> bool:
        return self.refused is None

    @classmethod
    def of(cls, name: str | None, content_type: str, data: bytes, inline: bool = False) -> Attachment:
        """An attachment as the mail describes it: a safe name, its real type, its checksum."""
        declared = (content_type or "application/octet-stream").lower()
        name = _safe_name(name)
        extension = _extension(name)
        if declared == "application/octet-stream":
            declared = next((t for t, extensions in ALLOWED.items() if extension in extensions), declared)
        if not extension and declared in ALLOWED:
            name = (name or "attachment") + ALLOWED[declared][0]
        return cls(name or "attachment", declared, len(data), hashlib.sha256(data).hexdigest(), data, inline)


def screen(
    attachments: Iterable[Attachment],
    max_file: int = MAX_FILE_BYTES,
    max_message: int = MAX_MESSAGE_BYTES,
    max_files: int = MAX_FILES,
) -> tuple[Attachment, ...]:
    """Each attachment kept or refused with a reason, in the order sent: the
    first files that fit the message's limits are kept."""
    screened, kept, total = [], 0, 0
    for attachment in attachments:
        reason = None
        if _extension(attachment.name) not in ALLOWED.get(attachment.content_type, ()):
            reason = "type"
        elif attachment.size == 0:
            reason = "empty"
        elif attachment.size > max_file:
            reason = "size"
        elif kept >= max_files:
            reason = "count"
        elif total + attachment.size > max_message:
            reason = "total"
        else:
            kept, total = kept + 1, total + attachment.size
        screened.append(replace(attachment, refused=reason))
    return tuple(screened)


@dataclass(frozen=True)
class InboundMail:
    sender: str
    sender_name: str
    subject: str
    body: str
    message_id: str | None
    reference: str | None
    automatic: str | None  # why it counts as machine-sent (or ours), or None
    attachments: tuple[Attachment, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()  # addresses the sender copied (never ours, nor the sender's own): the ticket's followers
    languages: str | None = (
        None  # Content-Language, else Accept-Language, as written (views.i18n.customer_tag reads it)
    )
    verdict: str | None = None  # why SES's scan says it is spam ("virus_verdict", "spam_verdict"), or None


def parse(raw: bytes, own_addresses: Iterable[str] = ()) -> InboundMail:
    """`own_addresses`: the stage's sender, support address and team lead
    (any form: "Shop <support@…>"); mail from them is never a customer's.
    Whatever the mail holds, this answers: a header or part too broken to
    read is read as empty, text in an unknown charset as well as it can be,
    and names and subjects come out as plain text (domain/text.py)."""
    message = message_from_bytes(raw, policy=default)
    name, address = (_addresses(_header(message, "From") or "") or [("", "")])[0]
    address = address.lower() if is_email(address) else ""
    subject = plain_line(decoded(_header(message, "Subject") or ""))
    found = REFERENCE.search(subject)
    in_reply_to = _MESSAGE_ID.findall(_header(message, "In-Reply-To") or "")
    message_id = _MESSAGE_ID.findall(_header(message, "Message-ID") or "")
    verdict = _verdict(message)
    attachments = screen(_attachments(message))
    if verdict == "virus_verdict":
        attachments = tuple(replace(a, refused="virus") for a in attachments)
    return InboundMail(
        sender=address,
        sender_name=plain_line(decoded(name)),
        subject=subject,
        body=_new_text(message),
        message_id=message_id[0] if message_id else None,
        reference=found.group(1) if found else None,
        automatic=_ours(message, own_addresses) or _automatic(message, address, subject),
        attachments=attachments,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(_MESSAGE_ID.findall(_header(message, "References") or "")),
        cc=copied(message, address, own_addresses),
        languages=_header(message, "Content-Language") or _header(message, "Accept-Language"),
        verdict=verdict,
    )


def _verdict(message: MIMEPart) -> str | None:
    """SES's verdict: the first (topmost) of each header is SES's own; a
    sender's copy further down never overrides it."""
    for header, reason in ((VIRUS_VERDICT, "virus_verdict"), (SPAM_VERDICT, "spam_verdict")):
        try:
            found = message.get_all(header) or []
        except (IndexError, ValueError):  # too broken for the parser: no verdict
            found = []
        if found and str(found[0]).strip().upper() == "FAIL":
            return reason
    return None


def _header(message: MIMEPart, name: str) -> str | None:
    """The header's first value as the mail wrote it (unfolded, encoded words
    left as they are): never parsed by the email package, whose parsing
    raises on what a sender can write (an encoded CR/LF in a name)."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            text = _FOLD.sub("", str(value)).strip()
            return _readable(text.encode("ascii", "surrogateescape")) if not text.isascii() else text
    return None


def decoded(text: str) -> str:
    """RFC 2047 encoded words decoded, each in its charset (an unknown one
    read as UTF-8, else Latin-1): for display only; the result is outside
    text for `plain_line`."""
    if "=?" not in text:
        return text
    try:
        parts = decode_header(text)
    except (ValueError, LookupError):  # a broken encoded word is text
        return text
    return "".join(part if isinstance(part, str) else _readable(part, charset) for part, charset in parts)


def _readable(data: bytes, charset: str | None = None) -> str:
    """Bytes as text: in their charset, else UTF-8, else Latin-1 (which
    reads any byte), so no U+FFFD is ever made up."""
    for name in (charset, "utf-8"):
        if name:
            try:
                return data.decode(name)
            except (LookupError, UnicodeDecodeError):
                pass
    return data.decode("latin-1")


def _addresses(raw: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header as written. The
    standard library's older parser does not decode (an encoded word is no
    address), but splits an encoded word with a colon in it as if it began a
    group: each encoded word stands aside as a placeholder meanwhile."""
    words = _ENCODED_WORD.findall(raw)
    numbers = iter(range(len(words)))
    masked = _ENCODED_WORD.sub(lambda _: f"\ue000{next(numbers)}\ue001", raw)
    return [
        (_PLACEHOLDER.sub(lambda m: words[int(m.group(1))], name), _PLACEHOLDER.sub("=?", address).strip())
        for name, address in getaddresses([masked])  # an address with an encoded word in it is none
    ]


def copied(message: MIMEPart, sender: str, own_addresses: Iterable[str]) -> tuple[str, ...]:
    """The Cc header's addresses, lower case, each once, in order: only valid
    ones, never our own (the support address is Cc'd often) nor the sender's."""
    skip = {mailbox(a) for _, a in getaddresses(list(own_addresses)) if a} | {mailbox(sender)}
    found: list[str] = []
    # The raw value: one broken address makes the header registry refuse the whole header.
    for raw in (str(value) for name, value in message.raw_items() if name.lower() == "cc"):
        for _, address in _addresses(raw):
            address = address.lower()
            if is_email(address) and mailbox(address) not in skip and address not in found:
                found.append(address)
    return tuple(found)


def _ours(message: MIMEPart, own_addresses: Iterable[str]) -> str | None:
    ours = {mailbox(a) for _, a in getaddresses(list(own_addresses)) if a}
    if not ours:
        return None
    for header in ("From", "Sender", "Return-Path"):
        for _, address in _addresses(_header(message, header) or ""):
            if address and mailbox(address) in ours:
                return f"from our own address ({header}: {mailbox(address)})"
    return None


def _automatic(message: MIMEPart, address: str, subject: str) -> str | None:
    if re.fullmatch(r"<\s*>", _header(message, "Return-Path") or "x"):
        return "null Return-Path (a bounce)"
    auto = (_header(message, "Auto-Submitted") or "no").lower()
    if auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    precedence = (_header(message, "Precedence") or "").lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Auto-Response-Suppress", "X-Autoreply", "X-Autorespond"):
        if _header(message, name) is not None:
            return f"{name} header"
    listed = next((k for k in message if k.lower().startswith("list-")), None)
    if listed:
        return f"{listed} header (a mailing list)"
    local = address.partition("@")[0].lower()
    if local in _MACHINE_SENDERS:
        return f"sent by {local}"
    if any(part.get_content_type() in _REPORTS for part in message.walk()):
        return "a delivery or read report"
    if _AUTO_SUBJECT.match(subject):
        return "an automatic subject"
    if not address:
        return "no sender"
    return None


def _leaves(part: MIMEPart) -> Iterator[MIMEPart]:
    """Every part that holds content, an attached email counting as one."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    for sub in part.iter_parts():
        yield from _leaves(sub)


def _attachments(message: MIMEPart) -> list[Attachment]:
    found = []
    for part in _leaves(message):
        try:
            content_type = part.get_content_type()
            disposition = part.get_content_disposition()
            filename = part.get_filename()
            if disposition != "attachment" and not filename and content_type in ("text/plain", "text/html"):
                continue  # the message's own text
            if content_type in _REPORTS:
                continue
            if content_type == "message/rfc822":
                data = part.get_content().as_bytes()
            else:
                data = part.get_payload(decode=True) or b""
        except _UNREADABLE:  # a part too broken to read is left out, not the whole mail
            continue
        found.append(
            Attachment.of(
                filename,
                content_type,
                data,
                inline=disposition == "inline" or (disposition is None and bool(part["Content-ID"])),
            )
        )
    return found


def _safe_name(name: str | None) -> str:
    """The file's own name: no folders, no control characters, not too long."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    if len(base) > 200:
        stem, dot, extension = base.rpartition(".")
        base = stem[:190] + dot + extension[:9] if dot else base[:200]
    return base


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return f".{extension.lower()}" if dot and stem else ""


def _new_text(message: MIMEPart) -> str:
    """The customer's new words: the plain part (or the HTML one as text),
    without the quoted earlier conversation, as plain text (domain/text.py)."""
    try:
        part = message.get_body(("plain", "html"))
        if part is None:
            return ""
        # Not get_content(): it raises on a charset Python does not know (a 500 once).
        payload = part.get_payload(decode=True)
        text = _readable(payload if isinstance(payload, bytes) else b"", part.get_content_charset())
    except _UNREADABLE:
        return ""
    if part.get_content_type() == "text/html":
        text = unescape(_TAG.sub("", re.sub(r"(?i)<br\s*/?>|</p>", "\n", text)))
    kept = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _QUOTE_START.match(line.strip()):
            break
        if not line.startswith(">"):
            kept.append(line)
    return plain_text("\n".join(kept)).strip()
