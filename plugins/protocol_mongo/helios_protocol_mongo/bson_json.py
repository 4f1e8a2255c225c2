"""Documents <-> the ``doc jsonb`` column: plain JSON where JSON can say it, Extended JSON v2 otherwise.

Strings, booleans, null, int32, finite doubles, embedded documents and arrays are stored as
the JSON a SQL user expects (``{"name": "ada", "age": 36}``). Every other BSON type is
stored in canonical Extended JSON (``{"$oid": ...}``, ``{"$numberLong": "7"}``,
``{"$date": {"$numberLong": ...}}``, ``{"$numberDecimal": ...}``, ...), so reading a row back
gives the exact BSON type. A double that is integral keeps its ``.0`` (jsonb keeps the
scale), so it does not come back as an int32.

jsonb orders object keys by length, not as written; documents read back list ``_id`` first
and the other fields in jsonb's order.
"""

from __future__ import annotations

import json
import math
from typing import Any

import bson
from bson import json_util
from bson.int64 import Int64
from bson.json_util import CANONICAL_JSON_OPTIONS

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def to_json_value(value: Any) -> Any:
    """A BSON value -> a JSON-serialisable value (see module doc)."""
    if value is None or isinstance(value, bool) or type(value) is str:  # Code is a str subclass
        return value
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, Int64):
        return {"$numberLong": str(int(value))}
    if isinstance(value, int):
        if INT32_MIN <= value <= INT32_MAX:
            return value
        return {"$numberLong": str(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return json_util.default(value, json_options=CANONICAL_JSON_OPTIONS)
    return json_util.default(value, json_options=CANONICAL_JSON_OPTIONS)


def dumps(value: Any) -> str:
    """JSON text of a document or value for a jsonb parameter."""
    return json.dumps(to_json_value(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _object_hook(obj: dict[str, Any]) -> Any:
    if obj and next(iter(obj)).startswith("$"):
        return json_util.object_hook(obj, json_options=CANONICAL_JSON_OPTIONS)
    return obj


def from_json_value(value: Any) -> Any:
    """A JSON value read from jsonb (already parsed) -> BSON value."""
    if isinstance(value, dict):
        converted = {k: from_json_value(v) for k, v in value.items()}
        return _object_hook(converted)
    if isinstance(value, list):
        return [from_json_value(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not INT32_MIN <= value <= INT32_MAX:
        return Int64(value)  # a big integer written through SQL
    return value


def loads(text: str | bytes) -> Any:
    """jsonb text -> BSON value (Extended JSON objects become their BSON types)."""
    return from_json_value(json.loads(text))


def load_document(text: str | bytes, id_text: str | bytes | None = None) -> dict[str, Any]:
    """jsonb text of a stored document -> the document, ``_id`` first (the ``_id`` column's value
    when the document itself has none, as a row inserted through SQL may not)."""
    doc = loads(text)
    if not isinstance(doc, dict):
        doc = {"value": doc}
    if "_id" in doc:
        return {"_id": doc.pop("_id"), **doc}
    if id_text is not None:
        return {"_id": loads(id_text), **doc}
    return doc


def bson_size(doc: dict[str, Any]) -> int:
    return len(bson.encode(doc))
