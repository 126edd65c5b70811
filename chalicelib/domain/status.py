"""The customer's status page (`/status/{token}`): what a post to it says (a
message with files, or "my problem is solved"), read from JSON, a plain form
or a multipart form and checked; and which reply the customer is waiting
for. Pure: no I/O.

Files come through the API itself (no second upload step, so the page works
without JavaScript): API Gateway hands Lambda at most 6 MB, base64-encoded,
so the files of one post are held to MAX_UPLOAD_BYTES together. Larger ones
go by email (up to 30 MB), as the page says."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.parser import HeaderParser
from typing import Any

from .errors import FieldError, InvalidInput, PayloadTooLarge
from .inbound import Attachment, screen
from .inquiry import parse_body
from .ticket import Ticket

MAX_MESSAGE_CHARACTERS = 20_000  # as the contact form's message
MAX_UPLOAD_BYTES = 4 * 2**20
MAX_POST_BYTES = MAX_UPLOAD_BYTES + 256 * 1024  # the files, the words and the form's own lines
SOLVED = "solved"  # the form's `action`: the problem is solved


@dataclass(frozen=True)
class Post:
    """What the customer sent: words and files to add, or that it is solved."""

    message: str
    files: tuple[Attachment, ...] = ()
    solved: bool = False


def read_post(raw: bytes, content_type: str) -> tuple[dict[str, Any], list[Attachment]]:
    """The fields and the files of a post (JSON, a plain form, or a form with files)."""
    if len(raw) > MAX_POST_BYTES:
        raise PayloadTooLarge(MAX_POST_BYTES)
    if content_type.lower().startswith("multipart/form-data"):
        return _multipart(raw, content_type)
    return parse_body(raw, content_type), []


def check(fields: Mapping[str, Any], uploads: list[Attachment]) -> Post:
    """The post, or every problem with it at once (fields `message`, `files`)."""
    if fields.get("action") == SOLVED or fields.get("solved") is True:
        return Post("", solved=True)
    message = fields.get("message", "")
    errors = []
    if not isinstance(message, str):
        errors.append(FieldError("message", "must be text"))
        message = ""
    message = message.strip()
    if len(message) > MAX_MESSAGE_CHARACTERS:
        errors.append(FieldError("message", f"must be at most {MAX_MESSAGE_CHARACTERS:,} characters"))
    files = screen(uploads)
    if sum(f.size for f in files) > MAX_UPLOAD_BYTES:
        errors.append(FieldError("files", f"must be at most {MAX_UPLOAD_BYTES // 2**20} MB together"))
    errors += [FieldError("files", f"{f.name}: {f.refused}") for f in files if f.refused]
    if not message and not files and not errors:
        errors.append(FieldError("message", "is required (or add a file)"))
    if errors:
        raise InvalidInput(errors)
    return Post(message, files)


def reply_due(ticket: Ticket) -> datetime | None:
    """When we owe the customer an answer (the first, or the next), if we do."""
    owed = [
        clock.due_at
        for metric, clock in ticket.clocks.items()
        if metric in ("first_response", "next_response") and clock.due_at is not None and not clock.outcome
    ]
    return min(owed) if ticket.status in ("new", "open") and owed else None


def _multipart(raw: bytes, content_type: str) -> tuple[dict[str, Any], list[Attachment]]:
    """multipart/form-data (RFC 7578): each part's name, and a file's name,
    type and bytes. A file input left empty sends a part with no name and no
    bytes: it is no file."""
    headers = HeaderParser().parsestr(f"Content-Type: {content_type}\r\n\r\n")
    boundary = headers.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise InvalidInput([FieldError("body", "is a multipart form without a boundary")])
    fields: dict[str, Any] = {}
    files: list[Attachment] = []
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    parts = (b"\r\n" + raw).split(delimiter)
    if len(parts) < 3 or not parts[-1].startswith(b"--"):
        raise InvalidInput([FieldError("body", "is not a complete multipart form")])
    for part in parts[1:-1]:
        head, separator, body = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise InvalidInput([FieldError("body", "has a part without headers")])
        try:
            described = HeaderParser().parsestr(head.decode("utf-8") + "\r\n\r\n")
        except UnicodeDecodeError:
            raise InvalidInput([FieldError("body", "must be UTF-8 encoded")]) from None
        name = described.get_param("name", header="content-disposition")
        filename = described.get_filename()
        if not isinstance(name, str):
            continue
        if filename is not None:
            if filename or body:
                files.append(Attachment.of(filename, described.get_content_type(), body))
        elif name not in fields:  # the first value wins, as for a plain form
            try:
                fields[name] = body.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput([FieldError(name, "must be UTF-8 encoded")]) from None
    return fields, files
