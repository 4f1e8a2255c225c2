"""Partial indexes: ``partialFilterExpression`` as the SQL index's WHERE.

The filter is checked as MongoDB 7.0 checks it (equality, $eq, $exists: true, $gt, $gte, $lt,
$lte, $type, $in, and $and/$or of those; anything else is error 67, a malformed filter error 2
or 14) and becomes ``WHERE heliosdb.mongo_matches(doc, '<filter>')``: a SQL function that
decides the filter with the same document matcher as queries, so the kernel indexes, and for a
unique index enforces uniqueness among, exactly the documents MongoDB's would. The filter's
text is the function's constant argument; the matcher compiled from it is kept per text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.hookspecs import SqlFunction
from helios_protocol_mongo import bson_json, collation
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.query import compile_filter

ALLOWED = {"$eq", "$exists", "$gt", "$gte", "$lt", "$lte", "$type", "$in"}
FUNCTION = "heliosdb.mongo_matches"


def check(spec: Any) -> None:
    """Refuse a partialFilterExpression MongoDB 7.0 refuses."""
    if not isinstance(spec, dict):
        raise MongoError(14, "BSON field 'partialFilterExpression' is the wrong type, expected type 'object'")
    compile_filter(spec)  # malformed operators and arguments: MongoDB's parse errors (2 and the like)
    _check_operators(spec)


def _check_operators(spec: dict[str, Any]) -> None:
    for key, value in spec.items():
        if key in ("$and", "$or"):
            for part in value:
                _check_operators(part)
        elif key.startswith("$"):
            raise MongoError(67, f"Expression not supported in partial index: {key}")
        elif isinstance(value, dict) and value and next(iter(value)).startswith("$"):
            for operator, argument in value.items():
                if operator not in ALLOWED:
                    raise MongoError(67, f"Expression not supported in partial index: {key} {operator}")
                if operator == "$exists" and not argument:
                    raise MongoError(67, f"Expression not supported in partial index: {key} $exists: false")


def where_clause(spec: dict[str, Any]) -> str:
    """The SQL index's WHERE for a checked partialFilterExpression."""
    text = bson_json.dumps(spec).replace("'", "''")
    return f"{FUNCTION}(doc, '{text}')"


@functools.lru_cache(maxsize=256)
def _matcher(text: str) -> Callable[[dict[str, Any]], bool]:
    return compile_filter(bson_json.loads(text))


def _matches(args: list[pa.Array]) -> pa.Array:
    out = []
    with collation.using(None):  # an index's filter compares simply, whatever the writing command's collation
        for doc, text in zip(args[0].to_pylist(), args[1].to_pylist(), strict=True):
            out.append(None if doc is None or text is None else _matcher(text)(bson_json.load_document(doc)))
    return pa.array(out, pa.bool_())


def matches_function() -> SqlFunction:
    """heliosdb.mongo_matches(doc jsonb, filter text) -> boolean: whether the document matches the filter."""
    return SqlFunction(name=FUNCTION, impl=_matches, return_type="boolean", arg_types=["jsonb", "text"])
