"""The API descriptions as infra/openapi.py builds them (the local stage's,
with its dev routes, and the public one) and a validator for their schemas."""

from jsonschema import Draft202012Validator, FormatChecker

from infra import openapi

LOCAL = openapi.build(include_dev=True)
PUBLIC = openapi.build()


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(LOCAL["components"]["schemas"][name], format_checker=FormatChecker())
