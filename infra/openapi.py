"""The API's OpenAPI 3.1 document, assembled from the app's route table and the
JSON Schemas in chalicelib/schemas/ (the files the app validates with, so the
document cannot disagree with the validation).

`python -m infra.openapi` writes docs/openapi.json (every stage), its copy
chalicelib/api/openapi.json (packaged with the functions: AWS stages serve it
as GET /openapi.json) and docs/openapi-local.json (plus the local stage's dev
routes);
tests/unit/test_openapi.py fails when any of them drifts from the code or when
a route has no entry in OPERATIONS below.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "chalicelib" / "schemas"
DOCS = ROOT / "docs"
VERSION = "1.2.1"  # bump with every change to the public contract
FORM = "application/x-www-form-urlencoded"
LOCAL_ONLY = "local stage only"


def component(name: str) -> dict:
    """A schema file as a component. OpenAPI 3.1 speaks JSON Schema 2020-12, so
    only the file's identity goes: `$id` would rebase `$ref`s and make tools
    look the schema up by URL, `$schema` is the document's default dialect."""
    document = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    if "$defs" in document:  # its "#/$defs/..." refs would point at the OpenAPI document's root
        raise ValueError(f"{name}.schema.json has $defs: rewrite its refs before documenting it")
    return {k: v for k, v in document.items() if k not in ("$schema", "$id")}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def answer(
    description: str,
    schema: dict | None = None,
    media: str = "application/json",
    headers: dict | None = None,
    example=None,
    **more_media: dict,
) -> dict:
    """A response: `schema` under `media`, extra media types as keyword dicts."""
    response: dict = {"description": description}
    content = {media: {"schema": schema}} if schema is not None else {}
    if example is not None:
        content[media]["example"] = example
    content |= {m.replace("_", "/"): {"schema": s} for m, s in more_media.items()}
    if content:
        response["content"] = content
    if headers:
        response["headers"] = {k: {"description": d, "schema": {"type": "string"}} for k, d in headers.items()}
    return response


def errors(description: str, **kwargs) -> dict:
    return answer(description, ref("errors"), **kwargs)


HTML = {"type": "string", "contentMediaType": "text/html"}
ANY_OBJECT = {"type": "object"}
RETRY_AFTER = {"Retry-After": "seconds to wait before sending again"}
ITEMS = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ANY_OBJECT}}}
TICKET = answer(
    "The ticket view: id, reference, status, priority, channel, version, due times, messages, "
    "internal notes, events, SLA state, feedback",
    ANY_OBJECT,
    headers={"ETag": "the ticket's version, quoted; send it back as If-Match"},
)
PREFLIGHT = {
    "summary": "CORS preflight",
    "tags": ["public"],
    "responses": {
        "204": answer(
            "An allowed Origin gets Access-Control-Allow-Origin/-Methods/-Headers (Content-Type, Idempotency-Key) "
            "and -Max-Age; any other gets no CORS headers",
            headers={"Access-Control-Allow-Origin": "the caller's Origin when the stage allows it"},
        )
    },
}
# Chalice itself refuses other content types before a route runs, in its own body shape.
UNSUPPORTED = errors("A Content-Type the call does not take (field Content-Type); none is read as JSON")

# Examples, checked against the schemas by tests/unit/test_openapi.py and against the running
# app by tests/integration/test_openapi.py.
INQUIRY_EXAMPLE = {
    "name": "Ann Lee",
    "email": "ann@example.com",
    "subject": "Parcel",
    "order_id": "A-1001",
    "message": "Where is my parcel?",
    "callback": {"phone": "+49 30 1234567", "window": "weekdays 9-12"},
}
INVALID_INQUIRY = {"name": " ", "email": "ann@", "message": "Hi"}
INVALID_ANSWER = {
    "errors": [
        {"field": "email", "message": "must be a valid email address, like name@example.com", "code": "invalid"},
        {"field": "name", "message": "must not be empty", "code": "invalid"},
    ]
}
CREATED_EXAMPLE = {
    "id": "01M86CH3M05CT6VRZ0Y42ADMA6",
    "reference": "CL-K32SR5DY",
    "status": "new",
    "priority": "normal",
    "first_response_due": "2026-11-24T13:00:00Z",
    "resolution_due": "2026-11-25T09:00:00Z",
}

PATH_PARAMETERS = {
    "ticket_id": "the ticket's id",
    "email": "an email address, URL-encoded",
    "name": "a macro's name (lowercase letters, digits, dashes); under /admin a file name",
    "token": "the signed token from the follow-up email's links",
    "sha256": "the file's SHA-256 as the ticket's message lists it (64 hexadecimal digits)",
}


def query(*pairs: tuple[str, str]) -> list[dict]:
    return [
        {"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "string"}} for n, d in pairs
    ]


def header(name: str, description: str, **schema) -> dict:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def public(summary: str, **operation) -> dict:
    return {"summary": summary, "tags": ["public"], **operation}


def operator(summary: str, role: str = "agent or admin", **operation) -> dict:
    # 401/403 (and 404 for a named resource) are added for every operator call in build().
    return {
        "summary": summary,
        "tags": ["operators"],
        "security": [{"operatorToken": []}],
        "description": f"Role: {role}. {operation.pop('description', '')}".strip(),
        **operation,
    }


def local(summary: str, **operation) -> dict:
    return {"summary": summary, "tags": [LOCAL_ONLY], **operation}


def static_file(summary: str) -> dict:
    """A file of a static page the local stage serves (CloudFront does in AWS)."""
    return local(
        summary,
        responses={
            "200": answer(
                "The file",
                {"type": "string"},
                "text/html",
                text_javascript={"type": "string"},
                text_css={"type": "string"},
            ),
            "404": errors("No such file"),
        },
    )


def dev_json(schema: dict) -> dict:
    # The dev routes read the body as JSON whatever its Content-Type says (so `curl -d` works).
    return {
        "required": True,
        "description": "JSON, also when sent as a form or text/plain",
        "content": {"application/json": {"schema": schema}},
    }


def _dev_limits() -> tuple[int, list[str]]:
    from chalicelib.auth import ROLES
    from chalicelib.dev.routes import MAX_ADVANCE_MINUTES

    return MAX_ADVANCE_MINUTES, list(ROLES)


def operations() -> dict[tuple[str, str], dict]:
    """(METHOD, path) -> the operation. `body` names the request schema file;
    build() adds what every route of a kind shares."""
    max_minutes, roles = _dev_limits()
    return {
        ("GET", "/openapi.json"): public(
            "This stage's API description (this document)",
            description="AWS stages serve the document of every stage (docs/openapi.json); the local stage its own, "
            "dev routes included (docs/openapi-local.json).",
            responses={
                "200": answer(
                    "The OpenAPI 3.1 document",
                    ANY_OBJECT,
                    headers={
                        "Cache-Control": "public, max-age=3600 on AWS stages (it changes with a deployment); "
                        "no-store on the local stage"
                    },
                )
            },
        ),
        ("GET", "/health"): public(
            "Liveness",
            responses={
                "200": answer(
                    "Up", {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}
                )
            },
        ),
        ("POST", "/inquiries"): public(
            "Submit a contact form",
            description="Form posts use the same field names, with callback[phone] and callback[window] for "
            "`callback`. A filled `website` honeypot gets a normal-looking 201 and nothing is stored.",
            body="inquiry",
            example=INQUIRY_EXAMPLE,
            parameters=[
                header(
                    "Idempotency-Key",
                    "a retry with the same key and body returns the first answer "
                    "and creates nothing; the same key with another body is 409",
                    maxLength=128,
                )
            ],
            responses={
                "201": answer(
                    "Stored, acknowledged by email, SLA armed. A form post whose Accept prefers "
                    "text/html gets a small HTML thank-you page instead (when the stage has no "
                    "thank-you URL)",
                    ref("inquiry-created"),
                    example=CREATED_EXAMPLE,
                    text_html=HTML,
                ),
                "303": answer(
                    "A form post whose Accept prefers text/html, when the stage has a thank-you URL",
                    headers={"Location": "the thank-you URL with ?reference=CL-..."},
                ),
                "400": errors("Every problem at once, by field", example=INVALID_ANSWER),
                "409": errors("Idempotency-Key reused with another body"),
                "413": errors("Body over 64 KiB"),
                "429": errors("One sender or address floods", headers=RETRY_AFTER),
                "503": errors("Could not be stored just now; nothing was sent: retry", headers=RETRY_AFTER),
            },
        ),
        ("OPTIONS", "/inquiries"): PREFLIGHT,
        ("GET", "/feedback/{token}"): public(
            "The rating form behind the follow-up email's links",
            description="Only shows the form; it never records anything (mail scanners open links).",
            parameters=query(("score", "CSAT 1-5 to preselect")),
            responses={
                "200": answer("The form", HTML, "text/html"),
                "404": answer("Unknown or tampered token", HTML, "text/html"),
                "410": answer("Expired token", HTML, "text/html"),
            },
        ),
        ("POST", "/feedback/{token}"): public(
            "Record or update the ticket's rating",
            body="feedback",
            responses={
                "200": answer(
                    "Recorded (an HTML thank-you when Accept prefers text/html)",
                    {
                        "type": "object",
                        "required": ["status", "reference", "feedback"],
                        "properties": {
                            "status": {"const": "recorded"},
                            "reference": {"type": "string"},
                            "feedback": ref("feedback"),
                        },
                    },
                    text_html=HTML,
                ),
                "404": errors("Unknown or tampered token"),
                "410": errors("Expired token"),
            },
        ),
        ("OPTIONS", "/feedback/{token}"): PREFLIGHT,
        ("GET", "/tickets"): operator(
            "List or search tickets, newest first",
            description="A filter combination no index serves is a 400 naming the supported ones.",
            parameters=query(
                ("status", "new, open, pending, resolved or closed"),
                ("priority", "low, normal, high or urgent"),
                ("assignee", "an operator's email, or me"),
                ("category", "one of the stage's categories"),
                ("tag", "a tag"),
                ("callback", "requested: the open callback requests, oldest first"),
                (
                    "q",
                    "search: every word must match the reference, the customer's email or name, or "
                    "words of the subject and messages; combines with the filters",
                ),
                ("sort", "newest (default), or sla: open tickets by their next SLA event, soonest first (no filters)"),
                ("limit", "1-100"),
                ("cursor", "next_cursor of the previous page"),
            ),
            responses={
                "200": answer(
                    "A page, with the server's time (SLA badges count from it)",
                    {
                        "type": "object",
                        "required": ["items", "next_cursor", "server_time"],
                        "properties": {
                            "items": {"type": "array", "items": ANY_OBJECT},
                            "next_cursor": {"type": ["string", "null"]},
                            "server_time": {"type": "string", "format": "date-time"},
                        },
                    },
                )
            },
        ),
        ("GET", "/tickets/{ticket_id}"): operator("A ticket with its history", responses={"200": TICKET}),
        ("PATCH", "/tickets/{ticket_id}"): operator(
            "Change status, priority, assignee, category or tags",
            body="ticket-patch",
            parameters=[header("If-Match", "the ticket's version; 412 when it changed meanwhile")],
            responses={"200": TICKET, "412": errors("Stale If-Match", headers={"ETag": "the current version"})},
        ),
        ("POST", "/tickets/{ticket_id}/replies"): operator(
            "Reply to the customer by email", body="reply", responses={"201": TICKET}
        ),
        ("POST", "/tickets/{ticket_id}/notes"): operator(
            "Add an internal note (never emailed)", body="note", responses={"201": TICKET}
        ),
        ("POST", "/tickets/{ticket_id}/preview"): operator(
            "Preview a reply as the customer would get it (nothing is sent or stored)",
            body="reply",
            description="Placeholders are filled for this ticket (a missing value is a 400 naming it); the email "
            "is composed as the reply's would be.",
            responses={
                "200": answer(
                    "The filled body and the email",
                    {
                        "type": "object",
                        "required": ["body", "subject", "text"],
                        "properties": {
                            "body": {"type": "string"},
                            "subject": {"type": "string"},
                            "text": {"type": "string"},
                        },
                    },
                )
            },
        ),
        ("GET", "/me"): operator(
            "The signed-in operator: roles, roster entry, the name their emails are signed with",
            responses={
                "200": answer(
                    "OK",
                    {
                        "type": "object",
                        "required": ["email", "roles", "available"],
                        "properties": {
                            "email": {"type": "string"},
                            "roles": {"type": "array", "items": {"type": "string"}},
                            "on_roster": {"type": "boolean"},
                            "name": {"type": ["string", "null"]},
                            "display_name": {"type": "string"},
                            "available": {"type": "boolean"},
                        },
                    },
                )
            },
        ),
        ("POST", "/tickets/{ticket_id}/calls"): operator(
            "Log a phone call with the customer", body="call", responses={"201": TICKET}
        ),
        ("GET", "/agents"): operator("The agents and their availability", responses={"200": answer("OK", ITEMS)}),
        ("PUT", "/agents/{email}"): operator(
            "Set an agent's availability for automatic assignment",
            role="admin, or an agent for themselves",
            body="agent",
            responses={"200": answer("The agent's entry", ANY_OBJECT)},
        ),
        ("DELETE", "/agents/{email}"): operator(
            "Take an agent off the roster (their tickets stay theirs)",
            role="admin",
            responses={"204": answer("Removed")},
        ),
        ("GET", "/macros"): operator("The shared answers", responses={"200": answer("OK", ITEMS)}),
        ("PUT", "/macros/{name}"): operator(
            "Create or replace a shared answer",
            role="admin",
            body="macro",
            responses={"200": answer("The saved macro", ANY_OBJECT)},
        ),
        ("DELETE", "/macros/{name}"): operator(
            "Delete a shared answer", role="admin", responses={"204": answer("Deleted")}
        ),
        ("GET", "/customers/{email}"): operator(
            "A customer's contact data and ticket history", responses={"200": answer("OK", ANY_OBJECT)}
        ),
        ("GET", "/customers/{email}/export"): operator(
            "Everything stored about a customer (data subject access)",
            role="admin",
            responses={"200": answer("OK", ANY_OBJECT)},
        ),
        ("DELETE", "/customers/{email}"): operator(
            "Erase a customer's personal data", role="admin", responses={"200": answer("What was erased", ANY_OBJECT)}
        ),
        ("GET", "/metrics"): operator(
            "Support metrics for a period",
            description="First-response and resolution times, FCR, CSAT, NPS, SLA attainment, backlog, "
            "volume by channel; `daily` (one row per day) and `agents` (per agent: tickets handled, "
            "first-response median, CSAT). format=csv answers the daily rows (table=agents: the "
            "agents) as CSV.",
            parameters=query(
                ("since", "ISO-8601 date"),
                ("until", "ISO-8601 date"),
                ("format", "json or csv"),
                ("table", "with format=csv: daily (default) or agents"),
            ),
            responses={"200": answer("OK", ANY_OBJECT, text_csv={"type": "string"})},
        ),
        ("POST", "/tickets/{ticket_id}/uploads"): operator(
            "A signed form to upload one file for a reply",
            description="POST the form to `url` as multipart/form-data: every entry of `fields`, then the file as "
            "`file`. S3 takes it only as the named type and at most `max_bytes`, until `expires_at`. "
            "Then name `key` in the reply's `attachments`. See docs/attachments.md.",
            body="upload",
            responses={
                "201": answer(
                    "The form",
                    {
                        "type": "object",
                        "required": ["key", "url", "fields", "max_bytes", "expires_at"],
                        "properties": {
                            "key": {"type": "string"},
                            "url": {"type": "string", "format": "uri"},
                            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                            "max_bytes": {"type": "integer"},
                            "expires_at": {"type": "string", "format": "date-time"},
                        },
                    },
                ),
                "400": errors("A type outside the allow-list, or a name that does not fit it"),
            },
        ),
        ("GET", "/tickets/{ticket_id}/attachments/{sha256}"): operator(
            "A link to download one of the ticket's files",
            description="The file is named by the SHA-256 the ticket's message lists. The link is valid for five "
            "minutes and saves the file under its name (open it in the browser: no token needed).",
            responses={
                "200": answer(
                    "The link",
                    {
                        "type": "object",
                        "required": ["url", "expires_at", "name", "type", "size", "sha256"],
                        "properties": {
                            "url": {"type": "string", "format": "uri"},
                            "expires_at": {"type": "string", "format": "date-time"},
                            "name": {"type": "string"},
                            "type": {"type": "string"},
                            "size": {"type": "integer"},
                            "sha256": {"type": "string"},
                        },
                    },
                ),
                "404": errors("No such ticket, or no kept file with this SHA-256 on it"),
            },
        ),
        ("GET", "/_dev/mail"): local(
            "Every email sent so far, oldest first",
            responses={
                "200": answer(
                    "OK",
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["to", "subject", "text", "html", "headers"],
                            "properties": {
                                "to": {"type": "array", "items": {"type": "string"}},
                                "subject": {"type": "string"},
                                "text": {"type": "string"},
                                "html": {"type": "string"},
                                "headers": ANY_OBJECT,
                                "attachments": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "name": {"type": "string"},
                                            "type": {"type": "string"},
                                            "size": {"type": "integer"},
                                            "sha256": {"type": "string"},
                                        },
                                    },
                                },
                            },
                        },
                    },
                )
            },
        ),
        ("GET", "/_dev/events"): local(
            "Every outgoing ticket event published so far, oldest first",
            responses={
                "200": answer(
                    "OK",
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["type", "ticket_id", "time", "detail"],
                            "properties": {
                                "type": {"type": "string"},
                                "ticket_id": {"type": "string"},
                                "time": {"type": "string", "format": "date-time"},
                                "id": {"type": "string"},
                                "detail": ANY_OBJECT,
                            },
                        },
                    },
                )
            },
        ),
        ("POST", "/_dev/clock"): local(
            "Move the local clock forward and fire every schedule now due",
            request=dev_json(
                {
                    "type": "object",
                    "properties": {"advance_minutes": {"type": "number", "minimum": 0, "maximum": max_minutes}},
                }
            ),
            responses={
                "200": answer(
                    "OK",
                    {
                        "type": "object",
                        "required": ["now", "fired"],
                        "properties": {
                            "now": {"type": "string", "format": "date-time"},
                            "fired": {"type": "array", "items": ANY_OBJECT},
                        },
                    },
                ),
                "400": errors("advance_minutes out of range"),
            },
        ),
        ("POST", "/_dev/demo"): local(
            "Load demo tickets over the last days, worked through in simulated time (make demo)",
            request=dev_json(
                {
                    "type": "object",
                    "properties": {
                        "tickets": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200},
                        "days": {"type": "integer", "minimum": 1, "maximum": 90, "default": 30},
                        "seed": {"type": "integer", "minimum": 0},
                    },
                }
            ),
            responses={
                "200": answer(
                    "What was loaded",
                    {
                        "type": "object",
                        "required": ["tickets", "since", "until"],
                        "properties": {
                            "tickets": {"type": "integer"},
                            "since": {"type": "string"},
                            "until": {"type": "string"},
                        },
                    },
                ),
                "400": errors("A number out of range"),
            },
        ),
        ("POST", "/_dev/token"): local(
            "An operator token valid for the local stage only",
            request=dev_json(
                {
                    "type": "object",
                    "required": ["email", "role"],
                    "properties": {"email": {"type": "string", "format": "email"}, "role": {"enum": roles}},
                }
            ),
            responses={
                "200": answer(
                    "OK", {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}}
                ),
                "400": errors("Invalid email or role"),
            },
        ),
        ("POST", "/_dev/inbound"): local(
            "Handle a raw message as SES inbound mail to the support address",
            request={"required": True, "content": {"message/rfc822": {"schema": {"type": "string"}}}},
            responses={
                "200": answer(
                    "What it did",
                    {
                        "type": "object",
                        "required": ["ticket_id", "action"],
                        "properties": {
                            "ticket_id": {"type": ["string", "null"]},
                            "action": {"enum": ["appended", "created", "ignored"]},
                            "reason": {"type": "string"},
                        },
                    },
                ),
                "400": errors("Empty body"),
            },
        ),
        ("POST", "/_dev/webhooks"): local(
            "The local stage's webhook receiver: checks the delivery's signature and keeps it",
            description="The local stage's own webhook (chalicelib/stages/local.json) posts here; see docs/events.md.",
            parameters=[header("Careline-Signature", "t=<unix seconds>,v1=<HMAC-SHA256 hex of '<t>.<body>'>")],
            request={"required": True, "content": {"application/json": {"schema": ANY_OBJECT}}},
            responses={
                "204": answer("Signed by one of the stage's webhook secrets, recently"),
                "400": errors("Unsigned, tampered or stale: the message says which"),
            },
        ),
        ("GET", "/_dev/webhooks"): local(
            "Every delivery the local receiver got, oldest first",
            responses={
                "200": answer(
                    "OK",
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["received_at", "event_id", "type", "verified", "event"],
                            "properties": {
                                "received_at": {"type": "integer", "description": "unix seconds"},
                                "event_id": {"type": ["string", "null"]},
                                "type": {"type": ["string", "null"]},
                                "signature": {"type": ["string", "null"]},
                                "verified": {"type": "boolean"},
                                "error": {"type": "string"},
                                "event": {"type": ["object", "null"]},
                            },
                        },
                    },
                )
            },
        ),
        ("POST", "/_dev/mail-event"): local(
            "Handle an SES bounce or complaint event as on_mail_event would",
            description='The body is the event as SES publishes it, e.g. {"eventType": "Bounce", "bounce": '
            '{"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "ann@example.com"}]}}.',
            request=dev_json({"type": "object", "properties": {"eventType": {"enum": ["Bounce", "Complaint"]}}}),
            responses={
                "200": answer(
                    "The addresses marked: no more email goes to them",
                    {
                        "type": "object",
                        "required": ["marked"],
                        "properties": {
                            "marked": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "email": {"type": "string"},
                                        "reason": {"enum": ["bounce", "complaint"]},
                                    },
                                },
                            }
                        },
                    },
                ),
                "400": errors("Not an SES event"),
            },
        ),
        ("GET", "/admin"): local(
            "The operator admin page",
            responses={"302": answer("To /admin/index.html", headers={"Location": "/admin/index.html"})},
        ),
        ("GET", "/admin/{name}"): static_file("A file of the admin page (config.js is generated per stage)"),
        ("GET", "/widget/{name}"): static_file("A file of the storefront widget"),
        ("GET", "/shop"): local(
            "An example storefront page with the widget", responses={"200": answer("The page", HTML, "text/html")}
        ),
    }


def _request_body(name: str, content_types: list[str], example) -> dict:
    """Every media type the route accepts carries the same schema; forms send
    nested objects as name[key] fields, which is OpenAPI's deepObject style."""
    content: dict = {}
    for media in content_types:
        content[media] = {"schema": ref(name)}
        if media == FORM:
            nested = [k for k, v in component(name).get("properties", {}).items() if v.get("type") == "object"]
            if nested:
                content[media]["encoding"] = {k: {"style": "deepObject", "explode": True} for k in nested}
    if example is not None:
        content["application/json"]["example"] = example
    return {"required": True, "content": content}


def _operation(path: str, method: str, entry, spec: dict | None) -> dict:
    # A new route: documented minimally here, and tests/unit/test_openapi.py fails until it has an entry.
    if spec is None:
        spec = {
            "summary": (entry.view_function.__doc__ or entry.view_name).strip().splitlines()[0],
            "responses": {"default": answer("not yet documented in infra/openapi.py")},
        }
    spec = json.loads(json.dumps(spec))  # entries share dicts (TICKET, PREFLIGHT); never mutate them
    body, example, request = spec.pop("body", None), spec.pop("example", None), spec.pop("request", None)
    operation = {"operationId": entry.view_name, **spec}
    responses = operation["responses"]
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": PATH_PARAMETERS.get(name, name),
            "schema": {"type": "string"},
        }
        for name in entry.view_args
    ]
    if parameters or operation.get("parameters"):
        operation["parameters"] = parameters + operation.get("parameters", [])
    if body:
        operation["requestBody"] = _request_body(body, entry.content_types, example)
    elif request:
        operation["requestBody"] = request
    if body or request:
        responses.setdefault("400", errors("Every problem at once, by field"))
        responses.setdefault("415", UNSUPPORTED)
    if "security" in operation:
        responses["401"] = errors("No token, or one that does not verify", headers={"WWW-Authenticate": "Bearer"})
        responses["403"] = errors("The role may not make this call")
        if entry.view_args:
            responses.setdefault("404", errors("Not found"))
    return operation


def is_local_only(path: str, entry) -> bool:
    # The dev blueprint's routes (mailbox, clock, tokens, static admin page) exist in stage local only.
    return path.startswith("/_dev") or entry.view_function.__module__ == "chalicelib.dev.routes"


def app_routes():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("CARELINE_STAGE", "local")  # app.py registers the dev routes at import time
    from app import app

    return app.routes


def build(include_dev: bool = False) -> dict:
    routes, documented = app_routes(), operations()
    if include_dev and not any(p.startswith("/_dev") for p in routes):
        raise RuntimeError("app was imported outside stage local: set CARELINE_STAGE=local before importing it")
    paths: dict = {}
    for path, methods in routes.items():
        for method, entry in methods.items():
            if include_dev or not is_local_only(path, entry):
                paths.setdefault(path, {})[method.lower()] = _operation(
                    path, method, entry, documented.get((method, path))
                )
    names = {r["$ref"].rsplit("/", 1)[1] for r in refs(paths)}
    tags = [
        {"name": "public", "description": "No authentication; CORS allow-list per stage"},
        {"name": "operators", "description": "Authorization: Bearer <token>; roles agent and admin"},
    ]
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Careline",
            "version": VERSION,
            "description": "Customer-care ticketing: storefront contact forms become tickets with SLA "
            "targets, answered by operators by email.",
        },
        "tags": tags
        + ([{"name": LOCAL_ONLY, "description": "Exist only in stage local (`make run`)"}] if include_dev else []),
        "paths": paths,
        "components": {
            "schemas": {name: component(name) for name in sorted(names)},
            "securitySchemes": {
                "operatorToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Cognito ID token (groups agent, admin); in stage local from POST /_dev/token",
                }
            },
        },
    }
    if include_dev:
        document["servers"] = [{"url": "http://127.0.0.1:8000", "description": "make run (PORT overrides)"}]
    return document


def refs(node):
    """Every {"$ref": ...} under node: only referenced schema files become components."""
    if isinstance(node, dict):
        if "$ref" in node:
            yield node
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    os.environ["CARELINE_STAGE"] = "local"  # whatever the shell says: the local document needs the dev routes
    from chalicelib.api.description import PACKAGED

    public_document = render(build())
    (DOCS / "openapi.json").write_text(public_document)
    PACKAGED.write_text(public_document)
    (DOCS / "openapi-local.json").write_text(render(build(include_dev=True)))
    print("wrote docs/openapi.json, chalicelib/api/openapi.json and docs/openapi-local.json")
