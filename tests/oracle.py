"""The jsonschema library as the reference Careline's own validator
(chalicelib/domain/schema.py) is held to, with Careline's formats. Tests
only: no request imports jsonschema."""

from jsonschema import Draft202012Validator, FormatChecker

from chalicelib.domain.formats import FORMATS


def format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    # A format speaks only to strings; "type" reports anything else, once.
    for name, check in FORMATS.items():
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    return checker


def reference_validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=format_checker())
