"""Hostile input on every public and operator endpoint (issue 24): each text
field of a valid request in turn replaced by each hostile value (and, for
inbound mail, hostile messages), then every table read back. Counted per
endpoint: cases sent, answers 5xx, and garbage stored: a string anywhere in
any table with a control character other than tab and line breaks, an
invisible format character other than the joiners, a lone surrogate, U+FFFD
(what a decoder leaves for bytes it could not read), or nothing visible at
all. Goal: 0 and 0. The table goes to test-artifacts/hostile-input.md
(docs/reliability.md shows it)."""

import json
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.adapters.aws import client as aws_client
from chalicelib.domain.feedback import make_token
from tests.mails import mail, raw

ROOT = Path(__file__).resolve().parent.parent.parent
HOSTILE = (
    "a\x00b",
    "\x1b[31mred",
    "Ann\r\nBcc: x@evil.example",
    "line\u2028break",
    "\u202eevil\u202c",
    "\u200d\u200d",
    "\ufffd",
    "\ud800",
    "a\udfffb",
    "=?utf-8?q?Evil=0D=0ABcc:_x@evil.example?=",
    "²",
    "=HYPERLINK(1)",
    "<script>alert(1)</script>",
    "x" * 6000,
    "   ",
)
NOT_TEXT = (None, 7, True, [], {"a": [1]})
FORM_BYTES = ("%FF", "%00", "%E2%80%AE", "%C0%80", "%ED%A0%80")  # bad UTF-8, NUL, RLO, overlong, surrogate
INBOUND = (
    raw(sender="=?utf-8?q?Evil=0D=0ABcc:_x@evil.example?= <bob@example.com>"),
    raw(sender="Bob <bob@example.com>", subject="=?utf-8?q?Par=0D=0Acel=00?="),
    raw(sender="Bob <bob@example.com>", subject="=?utf-8?q?=E2=80=AEkcab=E2=80=AC=C2=85?="),
    raw(sender="=?x-none?q?B=F6b?= <bob@example.com>", subject="=?x-none?b?/w==?="),
    raw(sender="=?utf-8?q?=E2=80=8D=E2=80=8D?= <bob@example.com>", subject="=?utf-8?q?=E2=80=8D?="),
    raw(sender="=?utf-8?q?ann?=@example.com"),
    raw(sender="Bob <bob@example.com>", body="Hi\x00 there \u202eevil\ufffd"),
    raw(sender="Bob <bob@example.com>", Message_ID="<\u00e4@example.com>", Content_Type="text/plain; charset=x-none"),
    b"From: Bob <bob@example.com>\r\nSubject: Hi\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGr\xfc\xdfe\xff\r\n",
    b"From: Bob <bob@example.com>\r\nSubject: Hi\r\nContent-Type: text/html\r\n\r\n<p>Hi</p><script>x()</script>\x00",
    b"From: Bob <bob@example.com>\r\nSubject: Hi\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64==\r\n",
    b"From: Bob <bob@example.com>\r\nSubject: Hi\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\nno\r\n",
    b"From: Bob <bob@example.com>\r\nSubject: " + "Gr\u00fc\u00dfe\u202e".encode() + b"\r\n\r\nraw 8-bit header\r\n",
    b"Subject: no sender\r\n\r\nHello\r\n",
    raw(sender="Bob <bob@example.com>", subject="x" * 10000),
    mail(
        ("=?utf-8?q?a=0D=0ABcc:_x@evil.example?=.pdf", "application/pdf", b"%PDF-1.4"), sender="Bob <bob@example.com>"
    ),
    mail(("\u202egpj.exe", "image/jpeg", b"\xff\xd8\xff"), sender="Bob <bob@example.com>"),
)


@pytest.fixture
def settings():
    """The local stage without its webhook and with rate limits off: every case is let in to be judged."""
    from dataclasses import replace

    from chalicelib.config import load_settings

    return replace(load_settings(), webhooks=(), rate_limits=False)


def with_value(body, field, value):
    """The body with `field` (a.b for nested, a.0 for a list item) set to value."""
    body = json.loads(json.dumps(body))
    *path, last = field.split(".")
    inner = body
    for key in path:
        inner = inner[int(key)] if isinstance(inner, list) else inner[key]
    inner[int(last) if isinstance(inner, list) else last] = value
    return body


def garbage(text: str) -> bool:
    if "\ufffd" in text:
        return True
    if text.strip() and not any(unicodedata.category(c)[0] in "LNPS" for c in text):
        return True
    for character in text:
        category = unicodedata.category(character)
        if category in ("Cs", "Zl", "Zp") and character not in "\u2028\u2029":
            return True
        if category == "Cc" and character not in "\t\n\r\x85":
            return True
        if category == "Cf" and character not in "\u200c\u200d":
            return True
    return False


def stored_garbage() -> list[str]:
    """Every string in every table that is garbage (table: value)."""
    dynamodb = aws_client("dynamodb")
    found = []

    def walk(table, value):
        for kind, inner in value.items():
            if kind == "S" and garbage(inner):
                found.append(f"{table}: {inner[:60]!r}")
            elif kind == "SS":
                found.extend(f"{table}: {s[:60]!r}" for s in inner if garbage(s))
            elif kind == "L":
                for item in inner:
                    walk(table, item)
            elif kind == "M":
                for item in inner.values():
                    walk(table, item)

    for table in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                for value in item.values():
                    walk(table, value)
    return found


@pytest.fixture
def world(client, operator, new_ticket, services, clock):
    """A ticket, its feedback link, an admin's headers."""
    ticket = new_ticket(order_id="A-1001")
    token = make_token(ticket["id"], clock.now() + timedelta(days=30), services.signing_key())
    return {"ticket": ticket["id"], "token": token, "admin": operator("admin", "lead@shop.example")}


def json_cases(method, path, body, fields, headers):
    """Each field with each hostile text; the first also with what is no text at all."""
    for i, field in enumerate(fields):
        for value in (*HOSTILE, *(NOT_TEXT if i == 0 else ())):
            yield method, path, json.dumps(with_value(body, field, value)), headers


def endpoints(world):
    """(label, cases): each case (method, path, body, headers)."""
    t, admin = world["ticket"], world["admin"]
    as_json = {"Content-Type": "application/json"}
    as_form = {"Content-Type": "application/x-www-form-urlencoded"}
    n = iter(range(100000))
    inquiry = {
        "name": "Ann Lee",
        "email": "ann@example.com",
        "message": "Where is my parcel?",
        "subject": "Parcel",
        "order_id": "A-1",
        "callback": {"phone": "+49 30 1234", "window": "after 5pm"},
        "form_key": "k",
    }

    def inquiries():
        for i, field in enumerate(
            ("name", "email", "message", "subject", "order_id", "callback.window", "locale", "form_key")
        ):
            for value in (*HOSTILE, *(NOT_TEXT if i == 0 else ())):
                body = with_value(
                    inquiry | {"email": f"c{next(n)}@example.com", "form_key": f"k{next(n)}"}, field, value
                )
                yield "POST", "/inquiries", json.dumps(body), as_json

    def inquiry_forms():
        for field in ("name", "message", "subject"):
            for value in FORM_BYTES:
                fields = {"name": "Ann", "email": f"f{next(n)}@example.com", "message": "Hi", "subject": "S"}
                body = "&".join(f"{k}={value if k == field else v.replace('@', '%40')}" for k, v in fields.items())
                yield "POST", "/inquiries", body, as_form

    feedback = f"/feedback/{world['token']}"
    return [
        ("POST /inquiries (JSON)", list(inquiries())),
        ("POST /inquiries (form)", list(inquiry_forms())),
        (
            "POST /feedback/{token}",
            list(json_cases("POST", feedback, {"csat": 4, "comment": "ok"}, ["csat", "nps", "comment"], as_json)),
        ),
        (
            "POST /feedback/{token} (form)",
            [("POST", feedback, f"csat=4&comment={v}", as_form) for v in (*FORM_BYTES, "%C2%B2")],
        ),
        (
            "SES inbound mail (POST /_dev/inbound)",
            [("POST", "/_dev/inbound", m, {"Content-Type": "message/rfc822"}) for m in INBOUND],
        ),
        (
            "PATCH /tickets/{id}",
            list(
                json_cases(
                    "PATCH",
                    f"/tickets/{t}",
                    {"category": "order", "tags": ["vip"]},
                    ["category", "tags.0", "assignee"],
                    admin,
                )
            ),
        ),
        (
            "POST /tickets/{id}/replies",
            list(
                json_cases(
                    "POST",
                    f"/tickets/{t}/replies",
                    {"body": "On its way.", "offer": {"type": "coupon", "description": "10% off", "code": "SORRY"}},
                    ["body", "offer.description", "offer.code"],
                    admin,
                )
            ),
        ),
        (
            "POST /tickets/{id}/notes",
            list(json_cases("POST", f"/tickets/{t}/notes", {"body": "Called carrier."}, ["body"], admin)),
        ),
        (
            "POST /tickets/{id}/calls",
            list(
                json_cases("POST", f"/tickets/{t}/calls", {"outcome": "reached", "summary": "ok"}, ["summary"], admin)
            ),
        ),
        (
            "POST /tickets/{id}/preview",
            list(json_cases("POST", f"/tickets/{t}/preview", {"body": "Hi {{first_name}}"}, ["body"], admin)),
        ),
        (
            "POST /tickets/{id}/uploads",
            list(
                json_cases(
                    "POST",
                    f"/tickets/{t}/uploads",
                    {"name": "a.pdf", "type": "application/pdf"},
                    ["name", "type"],
                    admin,
                )
            ),
        ),
        (
            "PUT /agents/{email}",
            list(json_cases("PUT", "/agents/kim@shop.example", {"available": True, "name": "Kim"}, ["name"], admin)),
        ),
        (
            "PUT /macros/{name}",
            list(json_cases("PUT", "/macros/late", {"title": "Late", "body": "Sorry."}, ["title", "body"], admin)),
        ),
        (
            "GET /tickets, /customers, /metrics (query and path)",
            [
                ("GET", f"{path}{quoted}", None, admin)
                for path in ("/tickets?q=", "/tickets?cursor=", "/tickets?status=", "/customers/", "/metrics?since=")
                for quoted in ("%00", "%FF", "%E2%80%AE", "%ED%A0%80", "x" * 3000, "%3D%3Futf-8%3Fq%3Fa%3F%3D")
            ],
        ),
    ]


def test_hostile_input_answers_no_5xx_and_stores_no_garbage(client, world, settle):
    rows, failures = [], []
    for label, cases in endpoints(world):
        before = len(stored_garbage())
        errors = 0
        for method, path, body, headers in cases:
            response = client.http.request(method, path, headers=headers, body=body)
            if response.status_code >= 500:
                errors += 1
                failures.append(f"{label}: {response.status_code} for {str(body)[:120]!r}")
        settle()  # what the stream does with it is stored too
        rows.append((label, len(cases), errors, len(stored_garbage()) - before))
    table = ["| endpoint | cases | 5xx | garbage stored |", "|---|---|---|---|"]
    table += [f"| {label} | {cases} | {errors} | {stored} |" for label, cases, errors, stored in rows]
    table.append(f"| all | {sum(r[1] for r in rows)} | {sum(r[2] for r in rows)} | {sum(r[3] for r in rows)} |")
    report = ROOT / "test-artifacts" / "hostile-input.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(table) + "\n")
    assert failures == [] and stored_garbage() == [], "\n".join(table + failures[:20] + stored_garbage()[:20])
