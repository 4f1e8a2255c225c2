"""Hashed indexes (``{field: "hashed"}``): the SQL index keys on ``heliosdb.mongo_hash(value)``.

The hash is a signed 64-bit integer over the value's BSON (numbers first truncated to an
integer, as MongoDB's hashed keys are, so 2, 2.0 and Int64(2) share one). As in MongoDB 7.0,
an index hashes one field at most (error 31303), cannot be unique (16764), and refuses
arrays in the hashed field: a CHECK constraint named ``<index>$hashed`` beside the index keeps
them out, so an insert or update that would put an array there, and an index build over a
collection that has one, fail with 16766 (for SQL writes too, as 23514).
"""

from __future__ import annotations

import hashlib
import math
import struct
from typing import Any

import bson
import pyarrow as pa
from bson import Decimal128, Int64

from helios_core.hookspecs import SqlFunction
from helios_protocol_mongo import bson_json
from helios_protocol_mongo.errors import MongoError

FUNCTION = "heliosdb.mongo_hash"
ARRAY_MESSAGE = "hashed indexes do not currently support array values"
CONSTRAINT_SUFFIX = "$hashed"


def is_hashed(direction: Any) -> bool:
    return direction == "hashed"


def check(key: dict[str, Any], spec: dict[str, Any]) -> None:
    hashed = [field for field, direction in key.items() if is_hashed(direction)]
    if len(hashed) > 1:
        raise MongoError(31303, f"A maximum of one index field is allowed to be hashed but found {len(hashed)} "
                                f"for 'key' {key}")
    if hashed and spec.get("unique"):
        raise MongoError(16764, "Currently hashed indexes cannot guarantee uniqueness. Use a regular index.")


def key_expression(value_sql: str) -> str:
    return f"({FUNCTION}({value_sql}))"


def hash_value(value: Any) -> int:
    """The 64-bit key of one BSON value."""
    if isinstance(value, bool) or value is None:
        canonical = value
    elif isinstance(value, int | float | Int64 | Decimal128):
        number = float(value.to_decimal()) if isinstance(value, Decimal128) else float(value)
        canonical = Int64(0 if math.isnan(number) else int(max(min(number, 2.0**63 - 1), -(2.0**63))))
    else:
        canonical = value
    digest = hashlib.md5(bson.encode({"": canonical}), usedforsecurity=False).digest()
    return struct.unpack("<q", digest[:8])[0]


def _hash(args: list[pa.Array]) -> pa.Array:
    return pa.array([hash_value(None if text is None else bson_json.loads(text)) for text in args[0].to_pylist()],
                    pa.int64())


def hash_function() -> SqlFunction:
    """heliosdb.mongo_hash(value jsonb) -> bigint: a document field's hashed-index key."""
    return SqlFunction(name=FUNCTION, impl=_hash, return_type="bigint", arg_types=["jsonb"], strict=False)


def constraint_name(index_name: str) -> str:
    return index_name + CONSTRAINT_SUFFIX


def no_array_check(value_sql: str) -> str:
    """The CHECK that keeps arrays out of a hashed field (a missing field passes)."""
    return f"check (coalesce(jsonb_typeof({value_sql}), '') <> 'array')"


def is_array_violation(constraint: str | None) -> bool:
    return bool(constraint) and constraint.endswith(CONSTRAINT_SUFFIX)
