"""Whatever a storefront sends, what validation accepts composes into an
acknowledgement whose MIME has exactly the headers Careline writes: no field
adds, breaks or forges a header, and composing never fails after the ticket
would have been stored (issue 13: a U+2028 in the subject answered 500 after
storing; NUL reached To: and Subject:)."""

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.mime import to_mime
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.inquiry import Inquiry, validate_inquiry
from chalicelib.views.emails import AcknowledgementFacts, acknowledgement

HEADERS = {"From", "To", "Reply-To", "Subject", "Date", "Message-ID", "Auto-Submitted", "MIME-Version", "Content-Type"}
# Every character class that has broken or forged a header somewhere, mixed with ordinary text.
HOSTILE = st.lists(
    st.sampled_from(
        [
            *list("aZ :<>\"'@,;=?\\"),
            "\r",
            "\n",
            "\r\n",
            "\x00",
            "\x0b",
            "\x0c",
            "\x1c",
            "\x1d",
            "\x1e",
            "\x1f",
            "\x85",
            "\u2028",
            "\u2029",
            "\u202e",
            "\ufeff",
            "�",
            "\t",
            "=?utf-8?q?",
            "Bcc: x@evil.example",
            "é",
            "👩\u200d💻",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(name=HOSTILE, subject=HOSTILE, order_id=HOSTILE, window=HOSTILE, local=st.sampled_from(["ann", "a.b+c"]))
def test_no_field_reaches_a_header_it_could_break(name, subject, order_id, window, local):
    fields = {
        "name": name,
        "email": f"{local}@example.com",
        "message": "Where is my parcel?",
        "subject": subject,
        "order_id": order_id,
        "callback": {"phone": "+49 30 1234", "window": window},
    }
    try:
        inquiry = validate_inquiry(fields, ())
    except InvalidInput:
        return  # refused by field before anything is stored
    email = acknowledgement(
        AcknowledgementFacts(
            brand="Shop",
            reference="CL-ABC123",
            name=inquiry.name,
            email=inquiry.email,
            message=inquiry.message,
            subject=inquiry.subject,
            details=inquiry.details,
            callback_phone=inquiry.callback.phone,
            callback_window=inquiry.callback.window,
            first_response_due=datetime(2026, 11, 25, 9, tzinfo=UTC),
            timezone="Europe/Berlin",
        )
    )
    raw = to_mime(
        email,
        sender="support@shop.example",
        sender_name="Shop",
        reply_to="support@shop.example",
        message_id="<1@shop.example>",
        date=datetime(2026, 11, 24, 9, tzinfo=UTC),
    )
    assert b"\x00" not in raw
    parsed = message_from_bytes(raw, policy=default)
    assert set(parsed.keys()) == HEADERS and len(parsed.keys()) == len(HEADERS)
    assert parsed["To"].addresses[0].addr_spec == f"{local}@example.com"
    # the same words (folding a long header may add or keep a space between encoded words: cosmetic)
    assert squeezed(parsed["To"].addresses[0].display_name) == squeezed(inquiry.name)
    assert squeezed(parsed["Subject"]) == squeezed(email.subject)


def squeezed(text: str) -> str:
    return "".join(text.split())


# --- Every email kind, 20 hostile names and subjects, every Python (issue 24) ------------------
#
# On 3.11 and 3.12 the standard library decoded an encoded word in a name while
# folding the header (the agent's "Assigned to you" notice carried the
# attacker's Reply-To and Bcc); 3.13 let a decoded "<boss@shop.example>" out as
# an address. The MIME is built by chalicelib/adapters/mime.py (standard library
# only) under each Python found, from emails composed here by every composer.

import base64  # noqa: E402
import glob  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from dataclasses import asdict  # noqa: E402
from datetime import timedelta  # noqa: E402
from functools import cache  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from chalicelib.adapters.store.items import StoredEntry, entry_key  # noqa: E402
from chalicelib.adapters.store.tickets import Collection  # noqa: E402
from chalicelib.config import load_settings  # noqa: E402
from chalicelib.domain import ticket as tickets  # noqa: E402
from chalicelib.domain.ticket import Entry  # noqa: E402
from chalicelib.views.compose import COMPOSERS, Occasion, compose  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
SUPPORTED = ("3.11", "3.12", "3.13", "3.14")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


HOSTILE_INPUTS = (
    "=?utf-8?q?Evil=0D=0AReply-To:_attacker@evil.example=0D=0ABcc:_bcc@evil.example=0D=0A?=",  # the issue's
    f"=?utf-8?b?{_b64('Boss <boss@shop.example>')}?=",  # 3.13: To: Boss <boss@shop.example> <customer>
    f"=?utf-8?b?{_b64(chr(13) + chr(10) + 'Bcc: b64@evil.example' + chr(13) + chr(10))}?=",
    "=?iso-8859-1?q?Ann=0ACc:_latin@evil.example?=",
    "=?utf-8?q?Ann?= =?utf-8?q?=0D=0ACc:_split@evil.example?=",  # adjacent encoded words
    "=?UTF-8?Q?=22Boss=22_=3Cboss=40shop=2Eexample=3E=2C?= ann",  # upper case, quotes, a comma
    "Ann\r\nBcc: crlf@evil.example",
    "Ann\nBcc: lf@evil.example",
    "Ann\u2028Bcc: ls@evil.example",
    "Ann\x85Bcc: nel@evil.example",
    "Ann\x00Lee",
    "Boss <boss@shop.example>",
    '"Boss" <boss@shop.example>, evil@evil.example',
    "Lee, Ann; Bcc: list@evil.example",
    "\u202eelpmaxe.live@nna\u202c",  # a bidi override
    "=?utf-8?q?unterminated",
    "Zoë Ñandú 山田太郎 👩\u200d💻",  # nothing hostile: must arrive as written
    "x" * 200,
    ':;<>@,.\\"()[]=?_',  # every special
    "Ann\ud800",  # a lone surrogate
)
assert len(HOSTILE_INPUTS) == 20


def composed_emails() -> list[dict]:
    """Every kind of email (views/compose.py's COMPOSERS) for a ticket whose
    customer name and subject are each hostile input, and for one without a
    subject (some notices then name the customer in theirs); the rating's
    words and a reply's file name are the input too. Not validated first: the
    mailer must hold alone."""
    settings = load_settings()
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    cases = []
    for n, text in enumerate(HOSTILE_INPUTS):
        for subject in (text, None):
            opened = tickets.open_ticket(
                ticket_id="01KAHR0000000000000000000" + "AB"[subject is None],
                reference="CL-7K3M9QX2",
                now=now,
                rules=settings.ticket_rules,
                priority="normal",
                inquiry=Inquiry(
                    name=text, email="ann@example.com", message=f"Where is my parcel? {text}", subject=subject
                ),
            )
            ticket = opened.after
            due = (now + timedelta(hours=8)).isoformat()
            entries = {
                "acknowledgement": opened.entry,
                "reply": Entry("message", "replied", "kim@shop.example", body=f"Here: {text}", direction="out"),
                "resolution": Entry(
                    "event", "updated", "kim@shop.example", data={"changes": {"status": ["open", "resolved"]}}
                ),
                "follow_up": Entry("event", "follow_up", "system"),
                "sla_warning": Entry("event", "sla_warning", "system", data={"metric": "first_response", "due": due}),
                "sla_breach": Entry("event", "sla_breach", "system", data={"metric": "resolution", "due": due}),
                "low_rating": Entry("event", "feedback", "customer", body=text, data={"csat": 1, "comment": True}),
                "assigned": Entry("event", "assigned", "system"),
                "pending_reminder": Entry(
                    "event", "pending_reminder", "system", data={"resolves_at": (now + timedelta(days=4)).isoformat()}
                ),
                "status_link": Entry("event", "status_link", "customer"),
            }
            assert set(entries) == set(COMPOSERS), "a new kind of email needs its case here"
            for kind, entry in entries.items():
                stored = StoredEntry(entry_key(now, 2), now, entry)
                to = (
                    "customer"
                    if kind
                    in ("acknowledgement", "reply", "resolution", "follow_up", "pending_reminder", "status_link")
                    else "kim@shop.example"
                )
                occasion = Occasion(
                    kind,
                    to,
                    Collection(ticket, [stored]),
                    stored,
                    now,
                    settings,
                    lambda _: "Kim Meyer",
                    lambda: b"k" * 32,
                )
                files = [[f"{text}.pdf", "application/pdf", base64.b64encode(b"%PDF-1.4").decode()]]
                cases.append(
                    {"label": f"{n:02d}/{kind}", "email": asdict(compose(occasion))}
                    | ({"attachments": files} if kind == "reply" else {})
                )
    return cases


@cache
def interpreter(version: str) -> str | None:
    """A Python of that version on this machine: on PATH (a version manager's
    shim that has no such Python fails the check), else where pyenv, uv or
    the system keep one."""
    home = os.path.expanduser("~")
    candidates = [
        sys.executable if f"{sys.version_info[0]}.{sys.version_info[1]}" == version else None,
        shutil.which(f"python{version}"),
        *sorted(
            glob.glob(f"{os.environ.get('PYENV_ROOT', home + '/.pyenv')}/versions/{version}.*/bin/python{version}")
        ),
        *sorted(glob.glob(f"{home}/.local/share/uv/python/cpython-{version}.*/bin/python{version}")),
        f"/usr/local/bin/python{version}",
        f"/usr/bin/python{version}",
    ]
    for candidate in filter(None, candidates):
        try:
            found = subprocess.run(
                [candidate, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if found.returncode == 0 and found.stdout.strip() == version:
            return candidate
    return None


@pytest.fixture(scope="module")
def cases():
    return json.dumps(composed_emails())


@pytest.mark.parametrize("version", SUPPORTED)
def test_every_email_kind_from_hostile_names_and_subjects_injects_nothing_on_every_python(version, cases):
    python = interpreter(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed on this machine")
    run = subprocess.run(
        [python, "-I", str(ROOT / "tests" / "header_probe.py")],
        input=cases,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    report = ROOT / "test-artifacts" / "header-injection" / f"python-{version}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(summary, indent=2))
    assert summary["emails"] == 20 * 2 * len(COMPOSERS)
    assert (summary["injected"], summary["altered"], summary["failures"]) == (0, 0, [])
    # Refused, never sent: a raw line break, NUL or lone surrogate, which
    # validation refuses (or, in a name, folds to a space) first.
    assert summary["refused_inputs"] == ["06", "07", "08", "09", "10", "19"]
