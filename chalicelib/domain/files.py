"""Files on tickets: where each one is kept, and which an operator may send.

Every object lives under its ticket's id, so erasing a ticket's files is
removing one prefix: a customer's file at `<ticket>/<sha256>/<name>`, an
operator's upload at `<ticket>/uploads/<upload id>/<name>`. The types and
limits are the inbound mail's (domain/inbound.py): what we accept from
customers is what we send them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import FieldError
from .inbound import ALLOWED, MAX_FILE_BYTES, MAX_FILES, Attachment

UPLOADS = "uploads"
# SES sends messages up to 40 MB, base64 and its line breaks (about 37 % more) included.
MAX_REPLY_BYTES = 25 * 2**20
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Why a file cannot go with a reply, in an operator's words (domain.inbound.REFUSALS).
REFUSED = {
    "type": "is not a type we send (photos, videos, PDFs, office documents, text)",
    "empty": "is empty",
    "size": f"is larger than {MAX_FILE_BYTES // 2**20} MB",
    "total": f"would make the files of one reply larger than {MAX_REPLY_BYTES // 2**20} MB together",
    "count": f"would be more than {MAX_FILES} files in one reply",
}


def stored_key(ticket_id: str, sha256: str, name: str) -> str:
    """Where a customer's file is kept."""
    return f"{ticket_id}/{sha256}/{name}"


def upload_key(ticket_id: str, upload_id: str, name: str) -> str:
    """Where an operator's upload for a reply goes."""
    return f"{ticket_id}/{UPLOADS}/{upload_id}/{name}"


def upload_name(ticket_id: str, key: object) -> str | None:
    """The file's name if `key` is an upload for this ticket, else None."""
    if not isinstance(key, str):
        return None
    parts = key.split("/")
    if len(parts) != 4 or parts[:2] != [ticket_id, UPLOADS] or not _UPLOAD_ID.match(parts[2]):
        return None
    return parts[3] if parts[3] and parts[3] == Attachment.of(parts[3], "", b"").name else None


def key_of(ticket_id: str, described: Mapping[str, Any]) -> str:
    """Where a file a thread entry lists is kept (uploads name their key)."""
    return described.get("key") or stored_key(ticket_id, described["sha256"], described["name"])


def is_sha256(value: str) -> bool:
    return bool(_SHA256.match(value))


def upload_problems(name: str, content_type: str) -> list[FieldError]:
    """What is wrong with uploading a file of this name and type, if anything."""
    if content_type not in ALLOWED:
        return [FieldError("type", "must be one of: " + ", ".join(ALLOWED))]
    if not name.lower().endswith(ALLOWED[content_type]):
        return [FieldError("name", f"must end in {' or '.join(ALLOWED[content_type])} for {content_type}")]
    safe = Attachment.of(name, content_type, b"").name
    if safe != name:
        return [FieldError("name", f"must be a plain file name, like {safe}")]
    return []
