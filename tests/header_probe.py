"""Builds emails' MIME with `chalicelib/adapters/mime.py` under whichever
Python runs it and counts what a recipient would get that Careline did not
write: header lines, addresses. Standard library only, like the module it
checks: tests/integration/test_header_injection.py runs it under every Python from
3.11 to 3.14 it finds.

    python3.13 -I tests/header_probe.py < cases.json   # prints one JSON summary

A case is {"label": "<input>/<kind>", "email": {"to_address", "to_name", "subject", "text",
"html", "headers"}, "attachments": [[file name, content type, base64 of the bytes]]}."""

from __future__ import annotations

import base64
import json
import platform
import sys
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.adapters.mime import to_mime

SENDER, REPLY_TO = "support@shop.example", "reply@shop.example"
WRITTEN = ("From", "To", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type")
PART_HEADERS = {"Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version"}


def probe(case: dict) -> dict:
    """What became of one email: refused (a ValueError, which the mailer
    turns into Unsendable: never sent, never retried), or built, with
    the header lines and addresses nobody wrote and whether the name and
    subject a mail client shows are the ones given."""
    email = SimpleNamespace(**case["email"])
    files = [(name, kind, base64.b64decode(data)) for name, kind, data in case.get("attachments", ())]
    try:
        raw = to_mime(
            email,
            sender=SENDER,
            sender_name="Shop customer care",
            reply_to=REPLY_TO,
            message_id="<1.2.0@shop.example>",
            date=datetime(2026, 11, 24, 9, tzinfo=UTC),
            attachments=files,
        )
    except ValueError as refusal:  # HeaderRefused, or a body no codec can write
        return {"label": case["label"], "refused": f"{type(refusal).__name__}: {refusal}"}
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    lines = head.split("\r\n")
    names = [line.split(":", 1)[0] for line in lines if line[:1] not in (" ", "\t")]
    expected = [*WRITTEN, *email.headers]
    extra_lines = [n for n in names if n not in expected] + [n for n in set(names) if names.count(n) > 1]
    broken = [line for line in lines if "\r" in line or "\n" in line or len(line) > 998]
    parsed = message_from_bytes(raw, policy=default)
    addresses, unreadable = [], []
    for name in ("From", "To", "Cc", "Bcc", "Reply-To", "Sender"):
        try:
            addresses += [a.addr_spec for a in _addresses(parsed, name)]
        except ValueError as error:  # a decoded line break in a name: what a mail client makes of it is anyone's guess
            unreadable.append(f"{name}: {error}")
    extra_addresses = [a for a in addresses if a not in (SENDER, REPLY_TO, email.to_address)]
    to = [] if unreadable else _addresses(parsed, "To")
    shown = (to[0].display_name if to else None, str(parsed["Subject"]))
    parts = list(parsed.walk())[1:]
    extra_lines += [name for part in parts for name in part if name not in PART_HEADERS]
    shown_files = [_squeezed(part.get_filename() or "") for part in parts if part.get_content_disposition()]
    return {
        "label": case["label"],
        "injected": extra_lines + extra_addresses + broken + unreadable,
        # Folding may add or keep a space between encoded words (Python's reader does so in names): cosmetic.
        "altered": _squeezed(shown[0] or "") != _squeezed(email.to_name)
        or _squeezed(shown[1]) != _squeezed(email.subject)
        or shown_files != [_squeezed(name) for name, _, _ in files],
    }


def _addresses(parsed, name):
    header = parsed[name]
    return header.addresses if header is not None else ()


def _squeezed(text: str) -> str:
    return "".join(text.split())


def main() -> None:
    cases = json.load(sys.stdin)
    results = [probe(case) for case in cases]
    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "emails": len(results),
                "refused": sum("refused" in r for r in results),
                "injected": sum(len(r.get("injected", ())) for r in results),
                "emails_injected": sum(bool(r.get("injected")) for r in results),
                "altered": sum(bool(r.get("altered")) for r in results),
                "failures": [r for r in results if r.get("injected") or r.get("altered")][:10],
                "refused_inputs": sorted({r["label"].split("/")[0] for r in results if "refused" in r}),
            }
        )
    )


if __name__ == "__main__":
    main()
