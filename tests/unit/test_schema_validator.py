"""Careline's own JSON Schema validator (chalicelib/domain/schema.py) finds
exactly the errors the jsonschema library finds, for every schema Careline
ships, on instances generated near each schema (valid ones, and ones with
missing and unknown fields, wrong types, strings too long or with control
characters, bad addresses, numbers out of range, repeated items): the same
failing keyword at the same place with the same message, and so the same
field errors a person reads. A schema using a keyword it does not implement
is refused when it is loaded."""

import json
import re
import string
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import validation
from chalicelib.domain.inquiry import _PATTERN_MESSAGES
from chalicelib.domain.schema import SchemaError, UnsupportedSchema, Validator
from tests.conftest import ROOT
from tests.oracle import reference_validator

SCHEMAS = {
    path.name.removesuffix(".schema.json"): json.loads(path.read_text())
    for path in sorted((ROOT / "chalicelib" / "schemas").glob("*.schema.json"))
}
# The request bodies (validation.check and .problems); the others describe what Careline sends or reads.
REQUESTS = {"agent", "call", "feedback", "inquiry", "macro", "note", "reply", "ticket-patch", "upload"}
STAGES = [json.loads(path.read_text()) for path in sorted((ROOT / "chalicelib" / "stages").glob("*.json"))]

# Strings each format accepts and refuses, edge cases included.
FORMAT_SAMPLES = {
    "email": [
        "ann@example.com",
        "a.b+c@mail.shop.example",
        "ann@example",
        "ann@@x.com",
        "a b@x.com",
        "@x.com",
        "ann@example.com\n",
        "x" * 65 + "@example.com",
        "ann@" + "d" * 250 + ".com",
    ],
    "iana-timezone": ["Europe/Berlin", "UTC", "Mars/Olympus", "", "/etc/passwd", "Europe/../UTC", "a\x00b"],
    "date": ["2026-12-24", "2026-02-30", "20261224", "2026-12-24T00:00:00", "2026-1-1"],
    "date-time": ["2026-11-24T09:00:00Z", "2026-11-24T09:00:00+01:00", "2026-11-24T09:00:00", "2026-11-24", "x"],
    "line": ["Ann Lee", "a\nb", "a\u2028b", "tab\there", "\u202eevil", "zw\u200dj", "\x00", "emoji 😀"],
    "text": ["two\nlines", "tab\there", "bell\x07", "\ufeffbom", "\x1b[31m", "\ud800"],
}
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def resolve(schema, root):
    while "$ref" in schema:
        target = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = target
    return schema


def near(schema, root):
    """Values of the kind the schema describes, valid or nearly so, now and
    then anything at all."""
    schema = resolve(schema, root)
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    options = []
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]) | st.sampled_from([1, 1.0, True, "WEB", None]))
    if "const" in schema:
        const = schema["const"]
        options.append(st.sampled_from([const, const + 0.0, True, str(const)]) if const == 1 else st.just(const))
    if "properties" in schema or "object" in kinds:
        options.append(objects(schema, root))
    if "items" in schema or "array" in kinds:
        options.append(arrays(schema, root))
    if "string" in kinds or "pattern" in schema or "format" in schema:
        options.append(strings(schema))
    if {"integer", "number"} & set(kinds):
        options.append(numbers(schema))
    if "null" in kinds:
        options.append(st.none())
    if "anyOf" in schema or "allOf" in schema or "if" in schema or not options:
        options.append(ANY_JSON)
    # Mostly the described kind: a wrong type now and then.
    return st.one_of(*options, *options, *options, ANY_JSON)


def strings(schema):
    options = [st.text(max_size=20), st.sampled_from(["", " ", "😀", "a\r\nb", "\x00", "\u2028"])]
    if "pattern" in schema:
        options.append(st.from_regex(schema["pattern"], fullmatch=True))
        options.append(st.from_regex(schema["pattern"], fullmatch=True).map(lambda s: s + "\n"))
    if "format" in schema:
        options.append(st.sampled_from(FORMAT_SAMPLES[schema["format"]]))
    for bound in ("minLength", "maxLength"):
        if bound in schema:
            n = schema[bound]
            # Code points, not bytes or UTF-16 units: an emoji counts one.
            sizes, characters = st.sampled_from([max(n - 1, 0), n, n + 1]), st.sampled_from(["x", "😀"])
            options.append(st.builds(lambda size, character: character * size, sizes, characters))
    return st.one_of(*options)


def numbers(schema):
    low = schema.get("minimum", -5)
    high = schema.get("maximum", low + 20)
    return st.one_of(
        st.integers(int(low) - 2, int(high) + 2),
        st.integers(int(low) - 2, int(high) + 2).map(float),  # 3.0 is an integer in JSON Schema
        st.floats(low - 2, high + 2, allow_nan=False),
        st.booleans(),  # true is not a number
    )


@st.composite
def objects(draw, schema, root):
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    value = {}
    for name, subschema in properties.items():
        wanted = draw(st.integers(0, 9)) < (9 if name in required else 4)  # now and then a required field is missing
        if wanted:
            value[name] = draw(near(subschema, root))
    extra = schema.get("additionalProperties", True)
    names = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8)
    if "propertyNames" in schema:
        names = names | st.sampled_from(resolve(schema["propertyNames"], root).get("enum", ["x"]))
    for name in draw(st.lists(names, max_size=3 if extra is not False else 1)):
        value.setdefault(name, draw(near(extra, root) if isinstance(extra, dict) else ANY_JSON))
    return value


@st.composite
def arrays(draw, schema, root):
    items = schema.get("items", {})
    most = schema.get("maxItems", 4) + 1
    value = draw(st.lists(near(items, root) if items else ANY_JSON, max_size=most))
    if value and draw(st.booleans()):
        value.append(draw(st.sampled_from(value)))  # a repeated item
    return value


def oracle_errors(schema, instance):
    found = reference_validator(schema).iter_errors(instance)
    return sorted((tuple(map(str, e.absolute_path)), e.validator, e.message) for e in found)


def own_errors(schema, instance):
    return sorted((tuple(map(str, e.path)), e.keyword, e.message) for e in Validator(schema).iter_errors(instance))


class Oracle:
    """jsonschema's errors in the shape validation.problems() reads."""

    def __init__(self, schema):
        self.reference = reference_validator(schema)

    def iter_errors(self, instance):
        for e in self.reference.iter_errors(instance):
            missing = e.message.split("'")[1] if e.validator == "required" else None
            yield SchemaError(tuple(e.absolute_path), e.validator, e.validator_value, e.schema, e.instance, missing)


def field_errors(name, instance):
    return validation.problems(name, instance, _PATTERN_MESSAGES if name == "inquiry" else {})


def assert_same(name, instance):
    assert own_errors(SCHEMAS[name], instance) == oracle_errors(SCHEMAS[name], instance)
    if name not in REQUESTS:
        return
    ours = field_errors(name, instance)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validation, "validator", lambda schema_name: Oracle(SCHEMAS[schema_name]))
        assert field_errors(name, instance) == ours


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_schema_finds_the_errors_jsonschema_finds(name):
    schema = SCHEMAS[name]

    @settings(max_examples=250, deadline=None)
    @given(near(schema, schema))
    def check(instance):
        assert_same(name, instance)

    check()


@pytest.mark.parametrize(
    "name,instance",
    [
        ("feedback", {"csat": 3.0}),  # a whole number written as a float
        ("feedback", {"csat": True}),  # true is not 1
        ("feedback", {"csat": 5.5, "nps": -1}),
        ("event", {"schema_version": 1.0}),  # const: 1.0 is 1
        ("event", {"schema_version": True}),
        ("inquiry", {"name": "😀" * 200, "email": "a@b.co", "message": "m"}),  # 200 code points fit
        ("inquiry", {"name": "😀" * 201, "email": "a@b.co", "message": "m", "phone": "12\n"}),
        ("ticket-patch", {"tags": ["a", "a"]}),
        ("ticket-patch", {"tags": [1, 1.0]}),  # numbers: 1 and 1.0 are the same item
        ("ticket-patch", {"tags": [1, True]}),
        ("ticket-patch", {"tags": [{"a": [1]}, {"a": [1.0]}]}),
        ("ticket-patch", {}),
        ("stage", STAGES[0] | {"locale": "de-DE\n"}),
        *[("stage", stage) for stage in STAGES],
    ],
)
def test_json_schema_details_agree(name, instance):
    assert_same(name, instance)


@pytest.mark.parametrize(
    "schema,instance",
    [
        ({"pattern": "b"}, "abc"),  # a pattern may match anywhere
        ({"pattern": "^b"}, "abc"),
        ({"pattern": "^a$"}, "a\n"),  # ECMA-262's $ ends the string: Python's also matches before a final newline
        ({"pattern": "^a$"}, "a"),
        ({"uniqueItems": False}, [1, 1]),
        ({"uniqueItems": True}, [[False], [0], [1.0], [1]]),
        ({"uniqueItems": True}, [{"a": None}, {"a": False}]),
        ({"enum": [[1, {"b": True}]]}, [1.0, {"b": True}]),
        ({"enum": [[1, {"b": True}]]}, [1.0, {"b": 1}]),
        ({"const": None}, False),
        ({"const": "1"}, 1),
        ({"type": ["integer", "null"], "minimum": 2}, 1.0),
        ({"type": "number", "maximum": 2.5}, 2.6),
        ({"maxLength": 0, "minLength": 2}, "a"),
        ({"minItems": 1}, []),
        ({"maxItems": 0}, [1]),
        ({"minProperties": 2, "maxProperties": 0}, {"a": 1}),
        ({"propertyNames": {"maxLength": 2}, "additionalProperties": {"type": "integer"}}, {"abc": "x", "ab": 1}),
        ({"properties": {"a": {}}, "additionalProperties": False}, {"a": 1, "c": 2, "b": 3}),
        ({"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}, {"c": 1}),
        ({"allOf": [{"if": {"const": 1}, "then": {"type": "string"}}, {"type": "integer"}]}, 1),
        ({"$defs": {"n": {"type": "integer"}}, "items": {"$ref": "#/$defs/n"}}, [1, "2", 3.5]),
    ],
)
def test_keyword_edges_agree(schema, instance):
    assert own_errors(schema, instance) == oracle_errors(schema, instance)


@pytest.mark.parametrize("tag", ["vip\n", "vip\n\n", "vip"])
def test_a_pattern_refuses_a_trailing_newline(tag):
    found = validation.problems("ticket-patch", {"tags": [tag]})
    expected = [] if tag == "vip" else [("tags.0", "is not in the expected form")]
    assert [(e.field, e.message) for e in found] == expected


def test_a_dollar_in_a_class_or_escaped_is_the_character():
    validator = Validator({"pattern": "^a[$]\\$$"})
    assert validator.is_valid("a$$") and not validator.is_valid("a$$\n") and not validator.is_valid("a")


def test_the_stage_documents_are_valid():
    validator = Validator(SCHEMAS["stage"])
    assert all(validator.is_valid(stage) for stage in STAGES)
    assert not validator.is_valid(STAGES[0] | {"brand": ""})


@pytest.mark.parametrize(
    "schema,problem",
    [
        ({"type": "object", "properties": {"id": {"type": "string", "oneOf": [{}]}}}, "#/properties/id/oneOf"),
        ({"patternProperties": {"^x": {}}}, "'patternProperties' is not supported"),
        ({"items": {"contains": {}}}, "#/items/contains"),
        ({"properties": {"a": {"format": "uri"}}}, "format 'uri'"),
        ({"properties": {"a": {"$ref": "other.json#/x"}}}, "only references within the schema"),
        ({"properties": {"a": {"$ref": "#/$defs/missing"}}}, "points at nothing"),
        ({"$defs": {"a": {"exclusiveMinimum": 1}}}, "#/$defs/a/exclusiveMinimum"),
        ({"type": "text"}, "not a JSON Schema type"),
        ({"pattern": "("}, "#/pattern"),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, "only https://json-schema.org/draft/2020-12"),
    ],
)
def test_a_keyword_it_does_not_implement_is_refused_when_loaded(schema, problem):
    with pytest.raises(UnsupportedSchema, match=re.escape(problem)):
        Validator(schema)


def test_validating_requests_and_settings_does_not_import_jsonschema():
    # The Lambda package does not ship it (requirements.txt): an import would be a 500.
    program = (
        "import sys\n"
        "from chalicelib.config import load_stage_document, settings_from\n"
        "from chalicelib.domain import validation\n"
        f"for name in {sorted(REQUESTS)!r}:\n"
        "    validation.problems(name, {'x': 1})\n"
        "settings_from('prod', load_stage_document('prod'), {'CARELINE_PUBLIC_URL': 'https://x.example',"
        " 'CARELINE_SCHEDULER_TARGET_ARN': 'arn:t', 'CARELINE_SCHEDULER_ROLE_ARN': 'arn:r',"
        " 'CARELINE_ATTACHMENTS_BUCKET': 'b', 'CARELINE_SECRET_ARN': 'arn:s'})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'referencing', 'attrs', 'rpds')))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
