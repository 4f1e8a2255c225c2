"""BSON's cross-type comparison and sort order, as MongoDB compares values of different types.

MinKey < null < numbers < strings < documents < arrays < binary < ObjectId < booleans <
dates < timestamps < regular expressions < MaxKey. Numbers compare by value whatever
their type (int32, int64, double, decimal128; NaN below every other number), strings by
their UTF-8 bytes (or the command's collation), documents field by field (type, then name, then value), arrays element
by element. ``sort_key`` turns a value into a Python tuple with exactly that order.
"""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

from bson import Code, DBRef, Decimal128, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.datetime_ms import DatetimeMS

from helios_protocol_mongo.collation import string_key

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()

RANK_MINKEY, RANK_NULL, RANK_NUMBER, RANK_STRING, RANK_OBJECT, RANK_ARRAY = 1, 2, 3, 4, 5, 6
RANK_BINARY, RANK_OBJECTID, RANK_BOOL, RANK_DATE, RANK_TIMESTAMP, RANK_REGEX = 7, 8, 9, 10, 11, 12
RANK_CODE, RANK_MAXKEY = 13, 14

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def type_rank(value: Any) -> int:
    if value is None or value is MISSING:
        return RANK_NULL
    if isinstance(value, bool):
        return RANK_BOOL
    if isinstance(value, int | float | Decimal128):
        return RANK_NUMBER
    if isinstance(value, Code):
        return RANK_CODE
    if isinstance(value, str):
        return RANK_STRING
    if isinstance(value, dict | DBRef):
        return RANK_OBJECT
    if isinstance(value, list | tuple):
        return RANK_ARRAY
    if isinstance(value, bytes):
        return RANK_BINARY
    if isinstance(value, ObjectId):
        return RANK_OBJECTID
    if isinstance(value, datetime.datetime | DatetimeMS):
        return RANK_DATE
    if isinstance(value, Timestamp):
        return RANK_TIMESTAMP
    if isinstance(value, Regex):
        return RANK_REGEX
    if isinstance(value, MinKey):
        return RANK_MINKEY
    if isinstance(value, MaxKey):
        return RANK_MAXKEY
    return RANK_OBJECT


def number_value(value: Any) -> int | float | decimal.Decimal:
    if isinstance(value, Decimal128):
        return value.to_decimal()
    return value


def date_millis(value: Any) -> int:
    if isinstance(value, DatetimeMS):
        return int(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def sort_key(value: Any) -> tuple:
    """A tuple that orders as MongoDB orders the value among values of any type."""
    rank = type_rank(value)
    if rank == RANK_NUMBER:
        number = number_value(value)
        if isinstance(number, decimal.Decimal):
            if number.is_nan():
                return (rank, 0)
            return (rank, 1, number)
        if isinstance(number, float) and math.isnan(number):
            return (rank, 0)
        return (rank, 1, number)
    if rank == RANK_STRING:
        return (rank, string_key(value))
    if rank == RANK_OBJECT:
        if isinstance(value, DBRef):
            value = value.as_doc()
        return (rank, tuple((type_rank(v), k, sort_key(v)) for k, v in value.items()))
    if rank == RANK_ARRAY:
        return (rank, tuple(sort_key(v) for v in value))
    if rank == RANK_BINARY:
        subtype = getattr(value, "subtype", 0)
        return (rank, len(value), subtype, bytes(value))
    if rank == RANK_OBJECTID:
        return (rank, value.binary)
    if rank == RANK_BOOL:
        return (rank, value)
    if rank == RANK_DATE:
        return (rank, date_millis(value))
    if rank == RANK_TIMESTAMP:
        return (rank, value.time, value.inc)
    if rank == RANK_REGEX:
        return (rank, value.pattern, value.flags if isinstance(value.flags, str) else str(value.flags))
    if rank == RANK_CODE:
        return (rank, str(value))
    return (rank,)


def compare(a: Any, b: Any) -> int:
    ka, kb = sort_key(a), sort_key(b)
    return (ka > kb) - (ka < kb)


def values_equal(a: Any, b: Any) -> bool:
    """Equality as MongoDB's query language sees it (1 == 1.0 == NumberLong(1); null == missing)."""
    return sort_key(a) == sort_key(b)
