"""Which COPY columns pyarrow's CSV reader may convert to their type itself, and the checks that
keep PostgreSQL's input rules when it does.

Converting in C++ while parsing avoids a string column and a cast per column. Arrow's number,
date and timestamp parsers accept a few spellings PostgreSQL 15 refuses (hexadecimal integers,
out-of-range floats read as infinity or zero, decimals wider than the column's precision, year 0,
a byte-order mark) and refuse some it accepts (a timestamptz without an offset is read in the
session's TimeZone, decimals that need rounding, other date styles). A column whose chunk might
hold any of these is read as text instead and goes through the SQL layer's input functions,
which give PostgreSQL's result or its error (22P02, 22003, 22008) with the line number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_BY_OID: dict[int, pa.DataType] = {
    20: pa.int64(), 21: pa.int16(), 23: pa.int32(), 700: pa.float32(), 701: pa.float64(),
    1082: pa.date32(), 1114: pa.timestamp("us"), 1184: pa.timestamp("us", tz="UTC"),
    25: pa.string(), 1043: pa.string(), 1042: pa.string(),
}
NUMERIC = 1700
FLOAT4, FLOAT8 = 700, 701
_INTS = (20, 21, 23)
_FIRST_DAY = -719162  # 0001-01-01 in days since 1970-01-01: PostgreSQL has no year 0
_FIRST_USEC = _FIRST_DAY * 86_400_000_000
_WIDE_EXPONENT = {FLOAT8: re.compile(rb"[eE][-+]?0*\d{3}"), FLOAT4: re.compile(rb"[eE][-+]?0*\d{2}")}


def direct_types(schema: pa.Schema, oids: Sequence[int]) -> list[pa.DataType | None]:
    """Per column: the Arrow type the CSV reader converts to itself, or None (read as text)."""
    out: list[pa.DataType | None] = []
    for field, oid in zip(schema, oids, strict=True):
        want = _BY_OID.get(oid)
        if oid == NUMERIC and pa.types.is_decimal128(field.type):
            out.append(field.type)
        elif want is not None and (field.type == want or (pa.types.is_string(want) and pa.types.is_string(field.type))):
            out.append(want)
        else:
            out.append(None)
    return out


def for_chunk(types: list[pa.DataType | None], oids: Sequence[int], chunk: bytes) -> list[pa.DataType | None]:
    """The direct types for one chunk: integers as text where it holds a hexadecimal prefix, floats
    as text where it holds an exponent that may overflow or underflow, everything as text behind
    a byte-order mark (the reader would drop it)."""
    if chunk.startswith(b"\xef\xbb\xbf"):
        return [None] * len(types)
    hex_ints = _hex_prefix(chunk)
    wide = {oid: rx.search(chunk) is not None for oid, rx in _WIDE_EXPONENT.items() if oid in oids}
    out = []
    for t, oid in zip(types, oids, strict=True):
        if t is not None and ((oid in _INTS and hex_ints) or wide.get(oid, False)):
            t = None
        out.append(t)
    return out


def _hex_prefix(chunk: bytes) -> bool:
    """Whether "0x" or "0X" occurs (numpy over the bytes: a substring search is slower on digits)."""
    a = np.frombuffer(chunk, np.uint8)
    rest = a[1:]
    return bool((a[np.flatnonzero(rest == 0x78)] == 0x30).any() or (a[np.flatnonzero(rest == 0x58)] == 0x30).any())


def acceptable(column: pa.ChunkedArray | pa.Array, oid: int) -> bool:
    """Whether a directly converted column holds only what PostgreSQL would have read the same way."""
    if column.null_count == len(column):
        return True
    t = column.type
    if oid in (FLOAT4, FLOAT8):
        return not pc.any(pc.is_inf(column)).as_py()  # "Infinity" or an overflow: the text path tells
    if pa.types.is_decimal128(t):  # numeric(p, s) holds less than 10^(p-s): "numeric field overflow"
        mm = pc.min_max(column)
        limit = 10 ** (t.precision - t.scale)
        return max(abs(mm["min"].as_py()), abs(mm["max"].as_py())) < limit
    if pa.types.is_date32(t):
        return pc.min_max(column)["min"].cast(pa.int32()).as_py() >= _FIRST_DAY
    if pa.types.is_timestamp(t):
        return pc.min_max(column)["min"].cast(pa.int64()).as_py() >= _FIRST_USEC
    return True
