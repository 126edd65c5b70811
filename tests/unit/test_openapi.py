"""docs/openapi*.json describe exactly the app's routes, with the schemas the
app validates with, are valid OpenAPI 3.1, and their examples validate
against those schemas."""

import pytest
from jsonschema import Draft202012Validator

from app import app
from infra import openapi
from tests.conftest import ROOT
from tests.openapi_documents import LOCAL, PUBLIC, validator


def operations(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


ROUTES = {(method, path) for path, methods in app.routes.items() for method in methods}


@pytest.mark.parametrize("name,document", [("openapi.json", PUBLIC), ("openapi-local.json", LOCAL)])
def test_committed_documents_match_the_code(name, document):
    committed = (ROOT / "docs" / name).read_text()
    assert committed == openapi.render(document), f"docs/{name} is stale: run `.venv/bin/python -m infra.openapi`"


def test_the_packaged_copy_is_the_all_stages_document():
    """AWS stages serve chalicelib/api/openapi.json (docs/ is not packaged with the functions)."""
    from chalicelib.api.description import PACKAGED

    assert PACKAGED.read_text() == openapi.render(PUBLIC), (
        "chalicelib/api/openapi.json is stale: run `.venv/bin/python -m infra.openapi`"
    )


@pytest.mark.parametrize("document", [PUBLIC, LOCAL], ids=["public", "local"])
def test_each_document_lists_the_route_that_serves_it(document):
    served = document["paths"]["/openapi.json"]["get"]
    assert "security" not in served and "public" in served["tags"]
    assert "Cache-Control" in served["responses"]["200"]["headers"]


def test_every_route_is_documented_and_every_documented_route_exists():
    assert operations(LOCAL) == ROUTES
    # The hand-written part too: a new route needs an entry, a removed one must lose its entry.
    assert set(openapi.operations()) == ROUTES


def test_public_document_leaves_out_exactly_the_local_stage_routes():
    local_only = {
        (m.upper(), p)
        for p, ops in LOCAL["paths"].items()
        for m, op in ops.items()
        if openapi.LOCAL_ONLY in op.get("tags", [])
    }
    assert {(m, p) for m, p in ROUTES if p.startswith("/_dev")} <= local_only
    assert operations(PUBLIC) == ROUTES - local_only
    assert not [t for t in PUBLIC["tags"] if t["name"] == openapi.LOCAL_ONLY]


@pytest.mark.parametrize("document", [PUBLIC, LOCAL], ids=["public", "local"])
def test_documents_are_valid_openapi_3_1(document):
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    validate(document, cls=OpenAPIV31SpecValidator)
    # The validator does not follow $refs inside schemas: every one must name a component.
    for node in openapi.refs(document):
        _, components, kind, name = node["$ref"].split("/")
        assert components == "components" and name in document["components"][kind], node
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
        assert "$id" not in schema and "$schema" not in schema


def test_intake_documents_the_contract():
    intake = PUBLIC["paths"]["/inquiries"]["post"]
    assert set(intake["requestBody"]["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    assert {"201", "303", "400", "409", "413", "415", "429", "503"} <= set(intake["responses"])
    assert "Retry-After" in intake["responses"]["429"]["headers"]
    assert "Retry-After" in intake["responses"]["503"]["headers"]
    [key] = [p for p in intake["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and key["schema"]["maxLength"] == 128


def test_examples_validate_against_the_schemas():
    intake = PUBLIC["paths"]["/inquiries"]["post"]
    example = intake["requestBody"]["content"]["application/json"]["example"]
    assert not list(validator("inquiry").iter_errors(example))
    refused = intake["responses"]["400"]["content"]["application/json"]["example"]
    assert not list(validator("errors").iter_errors(refused))
    assert not list(
        validator("inquiry-created").iter_errors(intake["responses"]["201"]["content"]["application/json"]["example"])
    )
