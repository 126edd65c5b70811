"""The API's OpenAPI 3.1 document, generated from the app's route table and
the JSON Schemas in chalicelib/schemas/ (the one source of both).

`python -m infra.openapi` writes docs/openapi.json (every stage) and
docs/openapi-local.json (with the local stage's dev routes);
tests/test_openapi.py fails when either drifts from the code.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "chalicelib" / "schemas"
DOCS = ROOT / "docs"
ERRORS = {"$ref": "#/components/schemas/errors"}
BODIES = {  # route -> (request schema, success status, success description)
    ("/inquiries", "POST"): ("inquiry", "201", "Stored, acknowledged by email, SLA armed"),
    ("/tickets/{ticket_id}", "PATCH"): ("ticket-patch", "200", "The ticket after the change"),
    ("/tickets/{ticket_id}/replies", "POST"): ("reply", "201", "Emailed; the ticket after the reply"),
    ("/tickets/{ticket_id}/notes", "POST"): ("note", "201", "The ticket with the note"),
    ("/tickets/{ticket_id}/calls", "POST"): ("call", "201", "The ticket with the call"),
    ("/agents/{email}", "PUT"): ("agent", "200", "The agent's roster entry"),
    ("/macros/{name}", "PUT"): ("macro", "200", "The saved macro"),
    ("/feedback/{token}", "POST"): ("feedback", "200", "Recorded or updated"),
}
QUERY = {
    ("/tickets", "GET"): [("status", "new|open|pending|resolved|closed"), ("priority", "low|normal|high|urgent"),
                          ("assignee", "an operator's email, or me"), ("category", "a configured category"),
                          ("limit", "1-100, default 25"), ("cursor", "next_cursor of the previous page")],
    ("/metrics", "GET"): [("since", "ISO date"), ("until", "ISO date")],
    ("/feedback/{token}", "GET"): [("score", "preselected CSAT 1-5")],
}
PUBLIC = {"/health", "/inquiries", "/feedback/{token}"}


def schema(name: str) -> dict:
    document = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return {k: v for k, v in document.items() if k not in ("$schema", "$id")}


def _operation(path: str, method: str, entry, local_only: bool) -> dict:
    doc = (entry.view_function.__doc__ or "").strip().splitlines()
    operation: dict = {"operationId": entry.view_name, "summary": doc[0] if doc else entry.view_name,
                       "responses": {}}
    if local_only:
        operation["tags"] = ["local stage only"]
    elif path not in PUBLIC:
        operation["security"] = [{"operatorToken": []}]
        operation["responses"] |= {"401": {"description": "No token, or one that does not verify",
                                           "content": {"application/json": {"schema": ERRORS}}},
                                   "403": {"description": "The role may not make this call"}}
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in re.findall(r"\{([^}]+)\}", path)]
    params += [{"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "string"}}
               for n, d in QUERY.get((path, method), [])]
    if (path, method) == ("/inquiries", "POST"):
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "a retry with the same key and body returns the first answer; "
                                      "another body with it is 409", "schema": {"type": "string", "maxLength": 128}})
    if (path, method) == ("/tickets/{ticket_id}", "PATCH"):
        params.append({"name": "If-Match", "in": "header", "required": False,
                       "description": "the ticket's version; 412 when it moved on", "schema": {"type": "string"}})
    if params:
        operation["parameters"] = params
    if method == "OPTIONS":
        operation["responses"]["204"] = {"description": "CORS preflight: allowed origins get Access-Control-Allow-*"}
        return operation
    body = BODIES.get((path, method))
    if body:
        name, status, description = body
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
        if entry.content_types and "application/x-www-form-urlencoded" in entry.content_types:
            content["application/x-www-form-urlencoded"] = {"schema": {"$ref": f"#/components/schemas/{name}"}}
        operation["requestBody"] = {"required": True, "content": content}
        if len(content) > 1:
            operation["requestBody"]["description"] = (
                "JSON, or the same fields as a form (callback[phone] and callback[window] for callback)")
        operation["responses"][status] = {"description": description}
        operation["responses"]["400"] = {"description": "Every problem, by field",
                                         "content": {"application/json": {"schema": ERRORS}}}
    else:
        operation["responses"]["200"] = {"description": "OK"}
    if (path, method) == ("/inquiries", "POST"):
        operation["requestBody"]["content"]["application/json"]["example"] = {
            "name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?", "order_id": "A-1001"}
        operation["responses"]["201"]["content"] = {"application/json": {
            "schema": {"$ref": "#/components/schemas/inquiry-created"}}}
        retry = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
        operation["responses"] |= {
            "303": {"description": "A browser's plain form post: to the stage's thank-you page"},
            "409": {"description": "Idempotency-Key reused with another body", "content": {"application/json": {"schema": ERRORS}}},
            "413": {"description": "Body over 64 KiB", "content": {"application/json": {"schema": ERRORS}}},
            "415": {"description": "Neither JSON nor a form"},
            "429": {"description": "One sender or address floods", "headers": retry,
                    "content": {"application/json": {"schema": ERRORS}}},
            "503": {"description": "Could not be stored; nothing was sent: retry", "headers": retry,
                    "content": {"application/json": {"schema": ERRORS}}}}
        operation["responses"]["400"]["content"]["application/json"]["example"] = {
            "errors": [{"field": "email", "message": "must be a valid email address, like name@example.com"}]}
    if "{" in path and path not in PUBLIC and not local_only:
        operation["responses"]["404"] = {"description": "Not found", "content": {"application/json": {"schema": ERRORS}}}
    if (path, method) == ("/tickets/{ticket_id}", "PATCH"):
        operation["responses"]["412"] = {"description": "Stale If-Match", "content": {"application/json": {"schema": ERRORS}}}
    return operation


def build(include_dev: bool = False) -> dict:
    os.environ.setdefault("CARELINE_STAGE", "local")  # registers the dev routes, to tell them apart
    sys.path.insert(0, str(ROOT))
    from app import app

    paths: dict = {}
    for path, methods in sorted(app.routes.items()):
        for method, entry in sorted(methods.items()):
            local_only = entry.view_function.__module__ == "chalicelib.dev.routes"
            if local_only and not include_dev:
                continue
            paths.setdefault(path, {})[method.lower()] = _operation(path, method, entry, local_only)
    used = {b[0] for b in BODIES.values()} | {"errors", "inquiry-created"}
    components = {name: schema(name) for name in sorted(used) if (SCHEMAS / f"{name}.schema.json").exists()}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Careline", "version": "1.0.0",
                 "description": "Customer-care ticketing API. The public contract is ../shared/CONTRACT.md."},
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {"operatorToken": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "Cognito ID token (groups agent, admin); POST /_dev/token in the local stage"}}},
    }


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    (DOCS / "openapi.json").write_text(render(build()))
    (DOCS / "openapi-local.json").write_text(render(build(include_dev=True)))
    print("wrote docs/openapi.json and docs/openapi-local.json")
