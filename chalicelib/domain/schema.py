"""JSON Schema (2020-12) validation for the subset of keywords Careline's
schemas use, so a request does not import a general validator (and its
dependencies) on a cold start. A schema using any other keyword, an unknown
format or a reference outside its own document is refused when it is loaded,
so a new schema cannot pass by being silently half-checked.

Every error is reported, as `Validator.iter_errors` of the jsonschema library
reports them (the tests hold the two to the same errors): the failing keyword
and its value, the subschema holding it, the instance and its path. One
difference: a pattern's `$` is ECMA-262's, as JSON Schema says (jsonschema
keeps Python's, which lets a trailing newline through)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

from .formats import FORMATS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Known keywords with no rule of their own ("then" is read by "if"); any other is refused.
_ANNOTATIONS = frozenset({"$defs", "$id", "$schema", "default", "description", "title", "then"})
_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})

Path = tuple[str | int, ...]
Schema = Mapping[str, Any]


class UnsupportedSchema(ValueError):
    """The schema uses something this validator does not implement."""


class SchemaError:
    """One failed keyword. A plain class: a dataclass costs milliseconds to
    create on a cold start."""

    __slots__ = ("instance", "keyword", "missing", "path", "schema", "value")

    def __init__(
        self, path: Path, keyword: str, value: Any, schema: Schema, instance: Any, missing: str | None = None
    ) -> None:
        self.path = path  # where in the instance, from its root
        self.keyword = keyword  # the keyword that failed, like "maxLength"
        self.value = value  # that keyword's value in the schema
        self.schema = schema  # the subschema holding the keyword
        self.instance = instance  # the value at `path`
        self.missing = missing  # "required": the property that is not there

    def __repr__(self) -> str:
        return f"SchemaError({self.path!r}, {self.keyword!r}: {self.message})"

    @property
    def message(self) -> str:
        """jsonschema's wording, for messages that are not written for people (stage settings)."""
        return _MESSAGES[self.keyword](self)


class Validator:
    """One schema document, checked for unsupported keywords once, when built."""

    def __init__(self, schema: Schema) -> None:
        if schema.get("$schema", DIALECT) != DIALECT:
            raise UnsupportedSchema(f"$schema {schema['$schema']!r}: only {DIALECT} is supported")
        _check(schema, schema, "#", set())
        self.schema = schema

    def iter_errors(self, instance: object) -> Iterator[SchemaError]:
        return _errors(self.schema, instance, (), self.schema)

    def is_valid(self, instance: object) -> bool:
        return next(self.iter_errors(instance), None) is None


# ---- validation: each keyword's rule, in the order the schema lists them


def _errors(schema: Schema, instance: Any, path: Path, root: Schema) -> Iterator[SchemaError]:
    for keyword, value in schema.items():
        rule = _RULES.get(keyword)
        if rule is not None:
            yield from rule(value, instance, schema, path, root)


def _fails(schema: Schema, instance: Any, root: Schema) -> bool:
    return next(_errors(schema, instance, (), root), None) is not None


def _is_type(instance: Any, name: str) -> bool:
    if name == "string":
        return isinstance(instance, str)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "null":
        return instance is None
    if name == "boolean":
        return isinstance(instance, bool)
    if isinstance(instance, bool) or not isinstance(instance, int | float):
        return False  # in JSON, true is not the number 1
    return name == "number" or isinstance(instance, int) or instance.is_integer()  # "integer": 3.0 is one


def _same(value: Any) -> Any:
    """A key equal for equal JSON values: 1 and 1.0 are one number, true is not 1."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, list):
        return ("array", tuple(_same(v) for v in value))
    if isinstance(value, dict):
        return ("object", frozenset((k, _same(v)) for k, v in value.items()))
    return ("scalar", value)  # numbers compare across int and float; strings only to strings


# A keyword's rule: (its value, the instance, the subschema, the path, the root schema) -> errors.
Rule = Callable[[Any, Any, Schema, Path, Schema], Iterator[SchemaError]]


def _type(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if not any(_is_type(instance, name) for name in _listed(value)):
        yield SchemaError(path, "type", value, schema, instance)


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value)


def _enum(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    key = _same(instance)
    if all(_same(option) != key for option in value):
        yield SchemaError(path, "enum", value, schema, instance)


def _const(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if _same(value) != _same(instance):
        yield SchemaError(path, "const", value, schema, instance)


def _sized(kind: str, keyword: str, too_long: bool) -> Rule:
    """minLength, maxItems and their kind: a bound on len() of one type of value
    (len() of a str counts code points, as JSON Schema does)."""

    def rule(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
        if _is_type(instance, kind) and (len(instance) > value if too_long else len(instance) < value):
            yield SchemaError(path, keyword, value, schema, instance)

    return rule


def _minimum(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if _is_type(instance, "number") and instance < value:
        yield SchemaError(path, "minimum", value, schema, instance)


def _maximum(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if _is_type(instance, "number") and instance > value:
        yield SchemaError(path, "maximum", value, schema, instance)


def _pattern(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if isinstance(instance, str) and _regex(value).search(instance) is None:
        yield SchemaError(path, "pattern", value, schema, instance)


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    """The pattern as ECMA-262 reads it, where `$` is the end of the string:
    Python's `$` also matches before a final newline (a tag "vip" and a line
    break would pass "^[a-z]+$"), its `\\Z` does not. A `$` escaped or in a
    class is the character."""
    translated, in_class, escaped = [], False, False
    for character in pattern:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif in_class:
            in_class = character != "]"
        elif character == "[":
            in_class = True
        elif character == "$":
            character = r"\Z"
        translated.append(character)
    return re.compile("".join(translated))


def _format(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    # A format speaks only to strings; "type" reports anything else.
    if isinstance(instance, str) and not FORMATS[value](instance):
        yield SchemaError(path, "format", value, schema, instance)


def _unique_items(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if value and isinstance(instance, list) and len({_same(item) for item in instance}) < len(instance):
        yield SchemaError(path, "uniqueItems", value, schema, instance)


def _required(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if isinstance(instance, dict):
        for name in value:
            if name not in instance:
                yield SchemaError(path, "required", value, schema, instance, missing=name)


def _properties(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if isinstance(instance, dict):
        for name, subschema in value.items():
            if name in instance:
                yield from _errors(subschema, instance[name], (*path, name), root)


def _additional_properties(
    value: Any, instance: Any, schema: Schema, path: Path, root: Schema
) -> Iterator[SchemaError]:
    if not isinstance(instance, dict):
        return
    extra = _extra(instance, schema)
    if isinstance(value, dict):
        for name in extra:
            yield from _errors(value, instance[name], (*path, name), root)
    elif not value and extra:
        yield SchemaError(path, "additionalProperties", value, schema, instance)


def _extra(instance: dict[str, Any], schema: Schema) -> list[str]:
    return [name for name in instance if name not in schema.get("properties", {})]


def _property_names(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if isinstance(instance, dict):
        for name in instance:
            yield from _errors(value, name, path, root)  # at the object's path, as JSON Schema reports it


def _items(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if isinstance(instance, list):
        for index, item in enumerate(instance):
            yield from _errors(value, item, (*path, index), root)


def _all_of(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    for subschema in value:
        yield from _errors(subschema, instance, path, root)


def _any_of(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if all(_fails(subschema, instance, root) for subschema in value):
        yield SchemaError(path, "anyOf", value, schema, instance)


def _if(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    if "then" in schema and not _fails(value, instance, root):
        yield from _errors(schema["then"], instance, path, root)


def _ref(value: Any, instance: Any, schema: Schema, path: Path, root: Schema) -> Iterator[SchemaError]:
    yield from _errors(_resolve(root, value), instance, path, root)


def _resolve(root: Schema, ref: str) -> Any:
    """A reference within the document, like #/$defs/limit (a JSON pointer after the #)."""
    if not ref.startswith("#/"):
        raise UnsupportedSchema(f"$ref {ref!r}: only references within the schema (#/...) are supported")
    target: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, Mapping) or part not in target:
            raise UnsupportedSchema(f"$ref {ref!r} points at nothing")
        target = target[part]
    return target


_RULES: dict[str, Rule] = {
    "$ref": _ref,
    "additionalProperties": _additional_properties,
    "allOf": _all_of,
    "anyOf": _any_of,
    "const": _const,
    "enum": _enum,
    "format": _format,
    "if": _if,
    "items": _items,
    "maxItems": _sized("array", "maxItems", too_long=True),
    "maxLength": _sized("string", "maxLength", too_long=True),
    "maxProperties": _sized("object", "maxProperties", too_long=True),
    "maximum": _maximum,
    "minItems": _sized("array", "minItems", too_long=False),
    "minLength": _sized("string", "minLength", too_long=False),
    "minProperties": _sized("object", "minProperties", too_long=False),
    "minimum": _minimum,
    "pattern": _pattern,
    "properties": _properties,
    "propertyNames": _property_names,
    "required": _required,
    "type": _type,
    "uniqueItems": _unique_items,
}


# ---- loading: refuse what the rules above do not implement


def _check(schema: Any, root: Schema, where: str, refs: set[str]) -> None:
    if not isinstance(schema, Mapping):
        raise UnsupportedSchema(f"{where}: a schema must be an object")
    for keyword, value in schema.items():
        at = f"{where}/{keyword}"
        if keyword not in _RULES and keyword not in _ANNOTATIONS:
            raise UnsupportedSchema(f"{at}: keyword {keyword!r} is not supported")
        if keyword in ("properties", "$defs"):
            for name, subschema in value.items():
                _check(subschema, root, f"{at}/{name}", refs)
        elif keyword in ("items", "propertyNames", "if", "then"):
            _check(value, root, at, refs)
        elif keyword in ("allOf", "anyOf"):
            for index, subschema in enumerate(value):
                _check(subschema, root, f"{at}/{index}", refs)
        elif keyword == "additionalProperties" and not isinstance(value, bool):
            _check(value, root, at, refs)
        elif keyword == "$ref" and value not in refs:
            refs.add(value)  # checked once: a schema may refer to itself
            _check(_resolve(root, value), root, at, refs)
        elif keyword == "format" and value not in FORMATS:
            raise UnsupportedSchema(f"{at}: format {value!r} is not one of {sorted(FORMATS)}")
        elif keyword == "type" and not set(_listed(value)) <= _TYPES:
            raise UnsupportedSchema(f"{at}: {value!r} is not a JSON Schema type")
        elif keyword == "pattern":
            try:
                _regex(value)
            except re.error as error:
                raise UnsupportedSchema(f"{at}: {error}") from None


# ---- jsonschema's messages (stage settings show them; requests word their own)


def _bound(one: tuple[int, str], many: str) -> Callable[[SchemaError], str]:
    """minLength 1 "should be non-empty", else "is too short"."""
    return lambda e: f"{e.instance!r} {one[1] if e.value == one[0] else many}"


def _unexpected(error: SchemaError) -> str:
    extra = sorted(_extra(error.instance, error.schema))
    listed = ", ".join(repr(name) for name in extra)
    return f"Additional properties are not allowed ({listed} {'was' if len(extra) == 1 else 'were'} unexpected)"


_MESSAGES: dict[str, Callable[[SchemaError], str]] = {
    "additionalProperties": _unexpected,
    "anyOf": lambda e: f"{e.instance!r} is not valid under any of the given schemas",
    "const": lambda e: f"{e.value!r} was expected",
    "enum": lambda e: f"{e.instance!r} is not one of {e.value!r}",
    "format": lambda e: f"{e.instance!r} is not a {e.value!r}",
    "maxItems": _bound((0, "is expected to be empty"), "is too long"),
    "maxLength": _bound((0, "is expected to be empty"), "is too long"),
    "maxProperties": _bound((0, "is expected to be empty"), "has too many properties"),
    "maximum": lambda e: f"{e.instance!r} is greater than the maximum of {e.value!r}",
    "minItems": _bound((1, "should be non-empty"), "is too short"),
    "minLength": _bound((1, "should be non-empty"), "is too short"),
    "minProperties": _bound((1, "should be non-empty"), "does not have enough properties"),
    "minimum": lambda e: f"{e.instance!r} is less than the minimum of {e.value!r}",
    "pattern": lambda e: f"{e.instance!r} does not match {e.value!r}",
    "required": lambda e: f"{e.missing!r} is a required property",
    "type": lambda e: f"{e.instance!r} is not of type {', '.join(repr(t) for t in _listed(e.value))}",
    "uniqueItems": lambda e: f"{e.instance!r} has non-unique elements",
}
