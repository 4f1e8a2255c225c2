"""Collection validators (``create``'s ``validator``): ``$jsonSchema`` and query-operator rules.

The validator is kept as the table's COMMENT (Extended JSON) and checked in Python on every
insert and update of the collection; a document that fails is error 121
(DocumentValidationFailure), unless the command says ``bypassDocumentValidation`` or the
collection's ``validationAction`` is "warn" (then the write goes through). ``validationLevel``
"moderate" leaves updates of documents that already fail the validator unchecked, "off" all. ``$jsonSchema``
supports bsonType/type, required, properties, additionalProperties, enum, minimum/maximum,
minLength/maxLength, pattern, items, minItems/maxItems; other keywords are refused at create.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from helios_protocol_mongo.bson_order import compare
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.expressions import bson_type_name, is_number
from helios_protocol_mongo.query import compile_filter

Check = Callable[[Any], bool]
KEYWORDS = {"bsonType", "type", "required", "properties", "additionalProperties", "enum", "minimum", "maximum",
            "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "items", "minItems",
            "maxItems", "title", "description"}
JSON_TYPES = {"object": {"object"}, "array": {"array"}, "string": {"string"}, "boolean": {"bool"},
              "null": {"null"}, "number": {"int", "long", "double", "decimal"}}


def _type_names(value: Any) -> set[str]:
    names = set(value if isinstance(value, list) else [value])
    if "number" in names:
        names |= {"int", "long", "double", "decimal"}
    return names


def compile_schema(schema: Any) -> Check:
    if not isinstance(schema, dict):
        raise MongoError(2, "$jsonSchema must be an object")
    unknown = set(schema) - KEYWORDS
    if unknown:
        raise MongoError(2, f"$jsonSchema keyword {min(unknown)!r} is not supported by HeliosDB")
    checks: list[Check] = []
    if "bsonType" in schema:
        names = _type_names(schema["bsonType"])
        checks.append(lambda v: bson_type_name(v) in names)
    if "type" in schema:
        allowed = set().union(*(JSON_TYPES.get(t, {t}) for t in
                                (schema["type"] if isinstance(schema["type"], list) else [schema["type"]])))
        checks.append(lambda v: bson_type_name(v) in allowed)
    if "required" in schema:
        required = list(schema["required"])
        checks.append(lambda v: not isinstance(v, dict) or all(f in v for f in required))
    if "properties" in schema:
        props = {name: compile_schema(sub) for name, sub in schema["properties"].items()}
        checks.append(lambda v: not isinstance(v, dict) or all(check(v[f]) for f, check in props.items() if f in v))
        if schema.get("additionalProperties") is False:
            allowed_names = set(props) | {"_id"}
            checks.append(lambda v: not isinstance(v, dict) or set(v) <= allowed_names)
    if "enum" in schema:
        options = list(schema["enum"])
        checks.append(lambda v: any(compare(v, o) == 0 for o in options))
    for key, test in (("minimum", lambda v, b: v >= b), ("maximum", lambda v, b: v <= b),
                      ("exclusiveMinimum", lambda v, b: v > b), ("exclusiveMaximum", lambda v, b: v < b)):
        if key in schema and not isinstance(schema[key], bool):
            bound = schema[key]
            checks.append(lambda v, b=bound, t=test: not is_number(v) or t(compare(v, b), 0))
    for key, test in (("minLength", lambda n, b: n >= b), ("maxLength", lambda n, b: n <= b)):
        if key in schema:
            checks.append(lambda v, b=int(schema[key]), t=test: not isinstance(v, str) or t(len(v), b))
    for key, test in (("minItems", lambda n, b: n >= b), ("maxItems", lambda n, b: n <= b)):
        if key in schema:
            checks.append(lambda v, b=int(schema[key]), t=test: not isinstance(v, list) or t(len(v), b))
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"])
        checks.append(lambda v: not isinstance(v, str) or pattern.search(v) is not None)
    if "items" in schema and isinstance(schema["items"], dict):
        item = compile_schema(schema["items"])
        checks.append(lambda v: not isinstance(v, list) or all(item(e) for e in v))
    return lambda v: all(c(v) for c in checks)


def compile_validator(validator: dict[str, Any]) -> Check:
    """A predicate over whole documents (the $jsonSchema and any query operators beside it)."""
    if not isinstance(validator, dict):
        raise MongoError(2, "validator must be an object")
    checks: list[Check] = []
    rest = {k: v for k, v in validator.items() if k != "$jsonSchema"}
    if "$jsonSchema" in validator:
        checks.append(compile_schema(validator["$jsonSchema"]))
    if rest:
        checks.append(compile_filter(rest))
    return lambda doc: all(c(doc) for c in checks)


LEVELS = ("off", "strict", "moderate")
ACTIONS = ("error", "warn")


def check_settings(level: Any, action: Any, command: str) -> None:
    """validationLevel and validationAction must be among MongoDB 7.0's (error 2 otherwise)."""
    if level is not None and level not in LEVELS:
        raise MongoError(2, f"Enumeration value '{level}' for field '{command}.validationLevel' is not a valid value.")
    if action is not None and action not in ACTIONS:
        raise MongoError(2, f"Enumeration value '{action}' for field '{command}.validationAction' is not a valid "
                            "value.")


def validation_error(doc: dict[str, Any]) -> MongoError:
    return MongoError(121, "Document failed validation",
                      extra={"errInfo": {"failingDocumentId": doc.get("_id"), "details": {}}})
