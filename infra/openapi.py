"""The API's OpenAPI 3.1 document, assembled from the app's route table, the
operations written in infra/openapi.yaml and the JSON Schemas in
chalicelib/schemas/ (the files the app validates with, so the document cannot
disagree with the validation).

`python -m infra.openapi` writes docs/openapi.json (every stage), its copy
chalicelib/api/openapi.json (packaged with the functions: AWS stages serve it
as GET /openapi.json) and docs/openapi-local.json (plus the local stage's dev
routes);
tests/unit/test_openapi.py fails when any of them drifts from the code or when
a route has no entry in infra/openapi.yaml.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "chalicelib" / "schemas"
DOCS = ROOT / "docs"
OPERATIONS = ROOT / "infra" / "openapi.yaml"
VERSION = "1.3.0"  # bump with every change to the public contract
FORM = "application/x-www-form-urlencoded"
LOCAL_ONLY = "local stage only"
TAGS = {"public": "public", "operators": "operators", "local": LOCAL_ONLY}  # access -> tag


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
    also: dict | None = None,
) -> dict:
    """A response: `schema` under `media`, more media types in `also`."""
    response: dict = {"description": description}
    content = {media: {"schema": schema}} if schema is not None else {}
    if example is not None:
        content[media]["example"] = example
    content |= {m: {"schema": s} for m, s in (also or {}).items()}
    if content:
        response["content"] = content
    if headers:
        response["headers"] = {k: {"description": d, "schema": {"type": "string"}} for k, d in headers.items()}
    return response


def errors(description: str, **kwargs) -> dict:
    return answer(description, ref("errors"), **kwargs)


# Chalice itself refuses other content types before a route runs, in its own body shape.
UNSUPPORTED = errors("A Content-Type the call does not take (field Content-Type); none is read as JSON")


WRITTEN = yaml.safe_load(OPERATIONS.read_text())
PATH_PARAMETERS: dict[str, str] = WRITTEN["path_parameters"]
EXAMPLES: dict = WRITTEN["examples"]
INQUIRY_EXAMPLE = EXAMPLES["inquiry"]
INVALID_INQUIRY = EXAMPLES["invalid_inquiry"]  # answered with INVALID_ANSWER
INVALID_ANSWER = EXAMPLES["invalid_answer"]


def values() -> dict:
    """The limits infra/openapi.yaml names with `$value`: the code defines them."""
    from chalicelib.auth import ROLES
    from local.routes import MAX_ADVANCE_MINUTES

    return {"max_advance_minutes": MAX_ADVANCE_MINUTES, "roles": list(ROLES)}


def _resolved(node, known: dict):
    """A copy of node with `$ref: <file>.schema.json` as a component ref and `$value` filled in."""
    if isinstance(node, dict):
        if "$value" in node:
            return known[node["$value"]]
        if node.get("$ref", "").endswith(".schema.json"):
            return ref(node["$ref"].removesuffix(".schema.json"))
        return {k: _resolved(v, known) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolved(v, known) for v in node]
    return node


def _response(written: dict) -> dict:
    if "error" in written:
        return errors(written["error"], **{k: v for k, v in written.items() if k != "error"})
    return answer(**written)


def _parameter(name: str, where: str, description: str, **schema) -> dict:
    return {
        "name": name,
        "in": where,
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def _spec(written: dict) -> dict:
    """One written operation in OpenAPI's words; `body`, `example` and `request` stay for _operation."""
    entry = dict(written)
    access = entry.pop("access")
    spec = {"summary": entry.pop("summary"), "tags": [TAGS[access]]}
    if access == "operators":
        # 401/403 (and 404 for a named resource) are added for every operator call in _operation().
        spec["security"] = [{"operatorToken": []}]
        spec["description"] = f"Role: {entry.pop('role', 'agent or admin')}. {entry.pop('description', '')}".strip()
    headers = [
        _parameter(name, "header", **(h if isinstance(h, dict) else {"description": h}))
        for name, h in entry.pop("headers", {}).items()
    ]
    queries = [_parameter(name, "query", description) for name, description in entry.pop("query", {}).items()]
    if headers or queries:
        spec["parameters"] = headers + queries
    if "dev_body" in entry:  # the dev routes read the body as JSON whatever its Content-Type says (so `curl -d` works)
        content = {"application/json": {"schema": entry.pop("dev_body")}}
        entry["request"] = {
            "required": True,
            "description": "JSON, also when sent as a form or text/plain",
            "content": content,
        }
    if "body" in entry:
        entry["body"] = entry["body"].removesuffix(".schema.json")
    spec["responses"] = {str(status): _response(r) for status, r in entry.pop("responses").items()}
    return spec | entry


def operations() -> dict[tuple[str, str], dict]:
    """(METHOD, path) -> the operation infra/openapi.yaml writes for it;
    _operation() adds what every route of a kind shares."""
    known = values()
    written = _resolved(WRITTEN["operations"], known)
    made = {}
    for key, entry in written.items():
        method, path = key.split(" ", 1)
        made[(method, path)] = _spec(entry)
    return made


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
            "responses": {"default": answer("not yet documented in infra/openapi.yaml")},
        }
    spec = json.loads(json.dumps(spec))  # a copy: never change the caller's
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
        responses.setdefault(
            "503",
            errors(
                "The sign-in keys could not be fetched just now (field Authorization): retry",
                headers={"Retry-After": "seconds to wait before sending again"},
            ),
        )
        if entry.view_args:
            responses.setdefault("404", errors("Not found"))
    return operation


def is_local_only(path: str, entry) -> bool:
    # The dev blueprint's routes (mailbox, clock, tokens, static admin page) exist in stage local only.
    return path.startswith("/_dev") or entry.view_function.__module__ == "local.routes"


def app_routes():
    """The routes as the local stage serves them: the app's and the dev routes."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from app import app
    from local.routes import register

    return register(app).routes


def build(include_dev: bool = False) -> dict:
    routes, documented = app_routes(), operations()
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
    from chalicelib.api.description import PACKAGED

    public_document = render(build())
    (DOCS / "openapi.json").write_text(public_document)
    PACKAGED.write_text(public_document)
    (DOCS / "openapi-local.json").write_text(render(build(include_dev=True)))
    print("wrote docs/openapi.json, chalicelib/api/openapi.json and docs/openapi-local.json")
