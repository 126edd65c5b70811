"""Files on tickets (domain/files.py), in the stage's attachments bucket.

A customer's files are stored before the message that carries them is
written, so the thread never lists a file that is not there; one that cannot
be stored is noted refused ("storage") and the mail is taken all the same.
Operators download through a link valid for minutes, and attach files to a
reply by uploading each through a signed form first; the reply's email
carries them. Erasing a customer removes their tickets' files, from the
stream (never in the request)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from ..adapters.files import FileError, FileStore
from ..adapters.store.tickets import TicketStore
from ..clock import Clock, iso
from ..domain.errors import FieldError, InvalidInput, NotFound, ServiceUnavailable
from ..domain.files import (
    MAX_REPLY_BYTES,
    REFUSED,
    is_sha256,
    key_of,
    stored_key,
    upload_key,
    upload_name,
    upload_problems,
)
from ..domain.inbound import MAX_FILE_BYTES, Attachment, screen
from ..domain.validation import check
from ..log import logger

log = logger(__name__)
DOWNLOAD_SECONDS = 300  # long enough to start a download, short enough that a forwarded link dies soon
UPLOAD_SECONDS = 900


class FileGone(Exception):
    """A file a reply lists is no longer what the operator attached: the email cannot carry it."""


def described(attachment: Attachment, refused: str | None = None) -> dict[str, Any]:
    """What the thread records of a file: never its bytes."""
    reason = refused or attachment.refused
    return {
        "name": attachment.name,
        "type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    } | ({"refused": reason} if reason else {})


class Attachments:
    def __init__(self, clock: Clock, store: TicketStore, files: FileStore) -> None:
        self._clock = clock
        self._store = store
        self._files = files

    # A customer's mail

    def keep(self, ticket_id: str, attachments: Iterable[Attachment]) -> tuple[dict[str, Any], ...]:
        """Store each kept file under the ticket; what the message records of
        every attached one (files shown inside the text, like a signature's
        logo, are neither kept nor listed)."""
        listed = []
        for attachment in attachments:
            if attachment.inline:
                continue
            refused = None
            if attachment.kept:
                try:
                    self._files.put(
                        stored_key(ticket_id, attachment.sha256, attachment.name),
                        attachment.data,
                        attachment.content_type,
                    )
                except FileError as error:
                    log.error(
                        "attachment not stored: noted on the message as refused",
                        extra={"ticket_id": ticket_id, "error": str(error)},
                    )
                    refused = "storage"
            listed.append(described(attachment, refused))
        return tuple(listed)

    def purge(self, ticket_id: str) -> int:
        """Remove every file of the ticket, every version; how many objects."""
        return self._files.purge(f"{ticket_id}/")

    # Operators

    def upload(self, ticket_id: str, body: object) -> dict[str, Any]:
        """A signed form to upload one file for a reply to this ticket."""
        check("upload", body)
        assert isinstance(body, dict)
        problems = upload_problems(body["name"], body["type"])
        if problems:
            raise InvalidInput(problems)
        if self._store.ticket(ticket_id) is None:
            raise NotFound(f"no ticket {ticket_id}", field="ticket_id")
        key = upload_key(ticket_id, secrets.token_hex(16), body["name"])
        form = self._files.upload_form(key, body["type"], MAX_FILE_BYTES, UPLOAD_SECONDS)
        return {
            "key": key,
            "url": form["url"],
            "fields": form["fields"],
            "max_bytes": MAX_FILE_BYTES,
            "expires_at": iso(self._clock.now() + timedelta(seconds=UPLOAD_SECONDS)),
        }

    def download(self, ticket_id: str, sha256: str, *, messages_only: bool = False) -> dict[str, Any]:
        """A link to download one of the ticket's files, valid for minutes
        (`messages_only`: the customer's status page, where only the files of
        the conversation are theirs to see)."""
        if not is_sha256(sha256):
            raise NotFound("a file is named by its SHA-256: 64 hexadecimal digits", field="sha256")
        collection = self._store.collection(ticket_id)
        if collection is None:
            raise NotFound(f"no ticket {ticket_id}", field="ticket_id")
        # The thread as it reads: a merged ticket's files are this one's too, kept where they came.
        listed = [
            (holder.ticket.id, a)
            for holder, stored in collection.everything()
            if stored.entry.kind == "message" or not messages_only
            for a in stored.entry.data.get("attachments") or ()
            if a.get("sha256") == sha256
        ]
        home, kept = next(((h, a) for h, a in listed if not a.get("refused")), (ticket_id, None))
        if kept is None:
            why = f"it was not kept ({listed[0][1]['refused']})" if listed else "no file of the ticket has this SHA-256"
            raise NotFound(why, field="sha256")
        url = self._files.download_link(key_of(home, kept), kept["name"], kept["type"], DOWNLOAD_SECONDS)
        return {
            "url": url,
            "expires_at": iso(self._clock.now() + timedelta(seconds=DOWNLOAD_SECONDS)),
            "name": kept["name"],
            "type": kept["type"],
            "size": kept["size"],
            "sha256": sha256,
        }

    def for_reply(self, ticket_id: str, body: object) -> tuple[dict[str, Any], ...]:
        """The uploads a reply names (`attachments`: keys from `upload`),
        checked: this ticket's, uploaded, and within the limits of one email."""
        keys = body.get("attachments") if isinstance(body, dict) else None
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            return ()  # none, or not a list of keys: the reply's schema says what is wrong
        errors, found = [], []
        for n, key in enumerate(keys):
            name = upload_name(ticket_id, key)
            if name is None:
                errors.append(
                    FieldError(f"attachments.{n}", "must be a key that POST /tickets/{id}/uploads gave for this ticket")
                )
                continue
            try:
                stored = self._files.describe(key, MAX_FILE_BYTES)
            except FileError as error:
                raise ServiceUnavailable("the attachments cannot be read just now; please send it again") from error
            if stored is None:
                errors.append(FieldError(f"attachments.{n}", "was not uploaded (or its upload failed)"))
                continue
            found.append((n, key, Attachment(name, stored.content_type, stored.size, stored.sha256, b"")))
        screened = screen([a for _, _, a in found], max_message=MAX_REPLY_BYTES)
        errors += [
            FieldError(f"attachments.{n}", f"{a.name} {REFUSED[a.refused]}")
            for (n, _, _), a in zip(found, screened, strict=True)
            if a.refused
        ]
        if errors:
            raise InvalidInput(sorted(errors, key=lambda e: e.field))
        return tuple(described(a) | {"key": key} for (_, key, _), a in zip(found, screened, strict=True))

    # The reply's email

    def contents(self, ticket_id: str, files: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, bytes]]:
        """(name, type, bytes) of each file a reply carries, exactly as it was
        attached; FileGone if one is missing or changed, FileError if S3 did
        not answer."""
        found = []
        for listed in files:
            data = self._files.read(key_of(ticket_id, listed))
            if data is None or hashlib.sha256(data).hexdigest() != listed["sha256"]:
                raise FileGone(f"{listed['name']} is {'gone' if data is None else 'not the file attached'}")
            found.append((listed["name"], listed["type"], data))
        return found
