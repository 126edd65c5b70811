"""Given a request body, validation against its JSON Schema (jsonschema, with
Careline's formats) names every problem as a field and a message a person can
act on; a pattern's `$` ends the string, as in ECMA-262."""

import json

import pytest
from jsonschema import Draft202012Validator

from chalicelib.domain import validation
from chalicelib.domain.formats import FORMATS
from tests.conftest import ROOT

SCHEMAS = {
    path.name.removesuffix(".schema.json"): json.loads(path.read_text())
    for path in sorted((ROOT / "chalicelib" / "schemas").glob("*.schema.json"))
}


def found(name, body):
    return [(e.field, e.message) for e in validation.problems(name, body)]


@pytest.mark.parametrize(
    "name,body,expected",
    [
        ("macro", {}, [("body", "is required"), ("title", "is required")]),
        ("reply", {"offer": {"type": "refund"}}, [("offer.description", "is required")]),
        ("agent", [], [("body", "must be an object")]),
        ("ticket-patch", {"assignee": 7}, [("assignee", "must be a string or null")]),
        ("feedback", {"csat": "4"}, [("csat", "must be a whole number")]),
        ("feedback", {"csat": True}, [("csat", "must be a whole number")]),  # in JSON, true is not 1
        ("feedback", {"csat": 4.0}, []),  # a whole number written with a point is one
        (
            "feedback",
            {"csat": 6, "nps": -1},
            [("csat", "must be a whole number from 1 to 5"), ("nps", "must be a whole number from 0 to 10")],
        ),
        ("note", {"body": ""}, [("body", "must not be empty")]),
        ("macro", {"title": "😀" * 101, "body": "b"}, [("title", "must be at most 100 characters")]),
        ("macro", {"title": "😀" * 100, "body": "b"}, []),  # characters are code points, not UTF-16 units
        ("call", {"outcome": "busy"}, [("outcome", "must be one of: reached, no_answer, voicemail")]),
        ("ticket-patch", {}, [("body", "names nothing to change")]),
        ("ticket-patch", {"state": "open", "owner": "x"}, [("body", "has unknown fields: owner, state")]),
        ("ticket-patch", {"tags": ["vip", "vip"]}, [("tags", "must not repeat an item")]),
        ("ticket-patch", {"tags": [f"t{i}" for i in range(21)]}, [("tags", "must list at most 20 different items")]),
        ("ticket-patch", {"tags": ["VIP"]}, [("tags.0", "is not in the expected form")]),
        ("ticket-patch", {"assignee": "kim@"}, [("assignee", "must be a valid email address, like name@example.com")]),
        ("ticket-patch", {"assignee": None, "category": None}, []),
    ],
)
def test_each_problem_is_named_by_field_in_words(name, body, expected):
    assert found(name, body) == expected


@pytest.mark.parametrize("tag", ["vip\n", "vip\n\n", "vip"])
def test_a_pattern_refuses_a_trailing_newline(tag):
    # Python's `$` matches before a final newline; ECMA-262's (JSON Schema's) does not.
    expected = [] if tag == "vip" else [("tags.0", "is not in the expected form")]
    assert found("ticket-patch", {"tags": [tag]}) == expected


def test_a_dollar_in_a_class_or_escaped_is_the_character():
    pattern = validation._ecma_regex("^a[$]\\$$")
    assert pattern.search("a$$") and not pattern.search("a$$\n") and not pattern.search("a")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_schema_is_draft_2020_12_and_names_only_formats_careline_checks(name):
    # jsonschema reads every schema as 2020-12 and skips a format it has no rule
    # for: a schema written for another draft, or naming another format, would
    # pass half-checked.
    schema = SCHEMAS[name]
    Draft202012Validator.check_schema(schema)
    assert schema.get("$schema", Draft202012Validator.META_SCHEMA["$id"]) == Draft202012Validator.META_SCHEMA["$id"]

    def formats(node):
        if isinstance(node, dict):
            yield from [node["format"]] if isinstance(node.get("format"), str) else []
            for value in node.values():
                yield from formats(value)
        elif isinstance(node, list):
            for value in node:
                yield from formats(value)

    assert set(formats(schema)) <= set(FORMATS)
