"""docs/openapi*.json describe exactly the app's routes, from the same
schemas the app validates with, and are valid OpenAPI 3.1."""
import json

import pytest
from jsonschema import Draft202012Validator

from app import app
from infra import openapi
from tests.conftest import ROOT


@pytest.mark.parametrize("name,include_dev", [("openapi.json", False), ("openapi-local.json", True)])
def test_committed_documents_match_the_code(name, include_dev):
    committed = (ROOT / "docs" / name).read_text()
    assert committed == openapi.render(openapi.build(include_dev)), \
        f"docs/{name} is stale: run `.venv/bin/python -m infra.openapi`"


def test_every_route_is_documented_and_every_documented_route_exists():
    documented = {(path, method.upper()) for path, ops in openapi.build(include_dev=True)["paths"].items()
                  for method in ops}
    routed = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert documented == routed


def test_public_document_has_no_local_stage_routes():
    paths = openapi.build()["paths"]
    assert not [p for p in paths if p.startswith(("/_dev", "/admin", "/widget", "/shop"))]


def test_documents_are_valid_openapi_3_1():
    from openapi_spec_validator import validate

    for name in ("openapi.json", "openapi-local.json"):
        validate(json.loads((ROOT / "docs" / name).read_text()))


def test_examples_validate_against_the_schemas_the_app_uses():
    document = openapi.build()
    intake = document["paths"]["/inquiries"]["post"]
    inquiry = Draft202012Validator(document["components"]["schemas"]["inquiry"])
    assert not list(inquiry.iter_errors(intake["requestBody"]["content"]["application/json"]["example"]))
    errors = Draft202012Validator(document["components"]["schemas"]["errors"])
    assert not list(errors.iter_errors(intake["responses"]["400"]["content"]["application/json"]["example"]))
