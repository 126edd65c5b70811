"""The jsonschema library as the reference Careline's own validator
(chalicelib/domain/schema.py) is held to, with Careline's formats. Tests
only: no request imports jsonschema."""

import re

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from chalicelib.domain.formats import FORMATS


def format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    # A format speaks only to strings; "type" reports anything else, once.
    for name, check in FORMATS.items():
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    return checker


def _ecma_pattern(validator, pattern, instance, schema):
    """JSON Schema's patterns are ECMA-262's, where `$` is the end of the
    string; jsonschema keeps Python's, which also matches before a final
    newline. (None of Careline's patterns has a `$` that is a character.)"""
    if validator.is_type(instance, "string") and not re.search(pattern.replace("$", r"\Z"), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Reference = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


def reference_validator(schema: dict) -> Draft202012Validator:
    return _Reference(schema, format_checker=format_checker())
