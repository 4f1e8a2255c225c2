"""cityHash64 of any arguments, as ClickHouse hashes them.

Each argument gives a 64-bit hash, folded into the running one with CityHash's Hash128to64
(the first argument's hash starts it):

- strings and FixedStrings: CityHash64 (v1.0.2) of their bytes (a FixedString with its zero padding);
- numbers, dates, Enums: intHash64 of the value's bytes in its type's width, read as a UInt64
  (an Int8 of -1 is 255; a Float64 its IEEE bits; a Date its days; a DateTime its seconds);
- a tuple: its elements, in turn, as if they were arguments of their own;
- an array: intHash64 of its length, then each element's hash (an element's own hashes folded
  first) folded in.

The ClickHouse type of each argument comes from the statement (``types``); where the statement
does not tell it, from the Arrow type of the values.
"""

from __future__ import annotations

import datetime
import decimal
import struct
from typing import Any

import pyarrow as pa
from clickhouse_cityhash.cityhash import CityHash64

from helios_core.errors import HeliosError
from helios_protocol_clickhouse.types import ChType, parse_type

_M64 = (1 << 64) - 1
_K_MUL = 0x9DDFEA08EB382D69
_EPOCH_DATE = datetime.date(1970, 1, 1)
_EPOCH = datetime.datetime(1970, 1, 1)
_WIDTH = {"UInt8": 1, "Int8": 1, "Bool": 1, "UInt16": 2, "Int16": 2, "Date": 2, "Enum8": 1, "Enum16": 2,
          "UInt32": 4, "Int32": 4, "Date32": 4, "DateTime": 4, "UInt64": 8, "Int64": 8, "DateTime64": 8}
TYPES_SEPARATOR = "\x1f"


def int_hash64(key: int) -> int:
    """ClickHouse's intHash64: MurmurHash3's 64-bit finalizer over the key with its fixed salt."""
    key = (key & _M64) ^ 0x4CF2D2BAAE6DA887
    key ^= key >> 33
    key = (key * 0xFF51AFD7ED558CCD) & _M64
    key ^= key >> 33
    key = (key * 0xC4CEB9FE1A85EC53) & _M64
    return key ^ (key >> 33)


def combine(low: int, high: int) -> int:
    """CityHash's Hash128to64 of the pair (the running hash, the next one)."""
    a = ((low ^ high) * _K_MUL) & _M64
    a ^= a >> 47
    b = ((high ^ a) * _K_MUL) & _M64
    b ^= b >> 47
    return (b * _K_MUL) & _M64


def _enum_values(t: ChType) -> dict[str, int]:
    values = {}
    for arg in t.args:
        label, _, number = str(arg).rpartition("=")
        label = label.strip()
        if label.startswith("'") and label.endswith("'"):
            label = label[1:-1].replace("\\'", "'").replace("\\\\", "\\")
        values[label] = int(number)
    return values


def _fold(hashes: list[int]) -> int:
    h = hashes[0]
    for x in hashes[1:]:
        h = combine(h, x)
    return h


def _hashes(t: ChType, v: Any) -> list[int]:
    """The hashes ``v`` of ClickHouse type ``t`` gives, in the order they fold in (several for a tuple)."""
    t = t.inner
    name = t.name
    if name == "Tuple":
        items = list(v.values()) if isinstance(v, dict) else list(v)
        types = [getattr(a, "type", a) for a in t.args]
        return [h for et, x in zip(types, items, strict=True) for h in _hashes(et, x)]
    if name == "Array":
        element = t.args[0] if t.args else parse_type("String")
        return [int_hash64(len(v)), *(_fold(_hashes(element, x)) for x in v)]
    if v is None:
        raise HeliosError("cityHash64 of a NULL inside a tuple or an array is not supported", sqlstate="0A000")
    if name in ("String", "FixedString"):
        data = v.encode() if isinstance(v, str) else bytes(v)
        if name == "FixedString" and t.args:
            data = data.ljust(int(t.args[0]), b"\0")
        return [CityHash64(data)]
    if name == "Float64":
        return [int_hash64(struct.unpack("<Q", struct.pack("<d", float(v)))[0])]
    if name == "Float32":
        return [int_hash64(struct.unpack("<I", struct.pack("<f", float(v)))[0])]
    if name in ("Enum8", "Enum16"):
        v = _enum_values(t)[v] if isinstance(v, str) else int(v)
    elif name in ("Date", "Date32"):
        v = (v - _EPOCH_DATE).days
    elif name == "DateTime":
        v = int((v.replace(tzinfo=None) - _EPOCH).total_seconds())
    elif name == "DateTime64":
        precision = int(t.args[0]) if t.args else 3
        delta = v.replace(tzinfo=None) - _EPOCH
        v = (delta.days * 86400 + delta.seconds) * 10 ** precision + delta.microseconds * 10 ** precision // 10 ** 6
    if isinstance(v, decimal.Decimal) and v == v.to_integral_value():  # a UInt64 kept as numeric(20,0)
        v = int(v)
    width = _WIDTH.get(name)
    if width is None or not isinstance(v, int | bool):
        raise HeliosError(f"cityHash64 of {t} is not supported", sqlstate="0A000")
    return [int_hash64(int(v) & ((1 << (8 * width)) - 1))]


def _arrow_type(t: pa.DataType) -> str:
    if pa.types.is_decimal(t):  # a UInt64 the kernel keeps as numeric(20,0)
        return "UInt64"
    if pa.types.is_timestamp(t):
        return "DateTime"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"Array({_arrow_type(t.value_type)})"
    if pa.types.is_struct(t):
        return "Tuple(" + ", ".join(_arrow_type(f.type) for f in t) + ")"
    if pa.types.is_integer(t) and pa.types.is_signed_integer(t):
        return "Int64"  # the kernel's integers are wider than ClickHouse's: a value's own bits, sign-extended
    return {pa.uint8(): "UInt8", pa.uint16(): "UInt16", pa.uint32(): "UInt32", pa.uint64(): "UInt64",
            pa.float32(): "Float32", pa.float64(): "Float64", pa.bool_(): "UInt8", pa.date32(): "Date"}.get(t, "String")


def city_hash64(args: list[pa.Array]) -> pa.Array:
    """``ch_city_hash64(types, a1, a2, ...)``: ``types`` the arguments' ClickHouse types (an empty
    name where the statement does not know one), joined by ``TYPES_SEPARATOR``."""
    names = (args[0][0].as_py() or "").split(TYPES_SEPARATOR) if len(args[0]) else []
    values = args[1:]
    types = [parse_type(n) if n else parse_type(_arrow_type(a.type)) for n, a in
             zip(names + [""] * (len(values) - len(names)), values, strict=False)]
    columns = [a.to_pylist() for a in values]
    out = [_fold([x for t, v in zip(types, row, strict=True) for x in _hashes(t, v)])
           for row in zip(*columns, strict=True)]
    return pa.array(out, pa.uint64())
