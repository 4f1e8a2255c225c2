"""ClickHouse's Native format: columnar blocks, encoded straight from Arrow arrays.

A block is ``varuint columns, varuint rows`` then per column its name, its type name (both
varuint-length strings) and its values:

- fixed-width numbers little-endian (Bool as UInt8; Date UInt16 days; Date32 Int32 days;
  DateTime UInt32 seconds; DateTime64(p) Int64 ticks; Decimal(P,S) Int32/64/128/256 by P;
  UUID two UInt64 halves, high half first);
- String: varuint length + bytes per value; FixedString(N): N bytes each;
- Nullable(T): one UInt8 per row (1 = NULL), then the T column;
- Array(T): UInt64 cumulative end offsets, then the flattened T column;
- Tuple(T1, T2...): the element columns one after another; Map(K, V) as Array(Tuple(K, V)).

``encode_block(names, types, arrays)`` and ``decode_blocks(data)`` are shared with the
native TCP protocol, whose Data packets carry the same column encoding.
"""

from __future__ import annotations

import datetime
import decimal
import struct
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.types import ChType, parse_type

_FIXED = {
    "UInt8": "<u1", "UInt16": "<u2", "UInt32": "<u4", "UInt64": "<u8", "Int8": "<i1", "Int16": "<i2",
    "Int32": "<i4", "Int64": "<i8", "Float32": "<f4", "Float64": "<f8", "Bool": "<u1", "Date": "<u2",
    "Date32": "<i4", "DateTime": "<u4", "Enum8": "<i1", "Enum16": "<i2", "IPv4": "<u4",
}
_EPOCH = datetime.date(1970, 1, 1)


def write_varuint(n: int, out: bytearray) -> None:
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def write_string(s: str | bytes, out: bytearray) -> None:
    b = s.encode() if isinstance(s, str) else s
    write_varuint(len(b), out)
    out += b


def _decimal_width(t: ChType) -> tuple[int, int]:
    """(bytes, scale) of a Decimal type."""
    name = t.name
    if name == "Decimal":
        p = int(t.args[0]) if t.args else 10
        s = int(t.args[1]) if len(t.args) > 1 else 0
    else:
        p = {"Decimal32": 9, "Decimal64": 18, "Decimal128": 38, "Decimal256": 76}[name]
        s = int(t.args[0]) if t.args else 0
    width = 4 if p <= 9 else 8 if p <= 18 else 16 if p <= 38 else 32
    return width, s


# -- encoding -------------------------------------------------------------------------------


def encode_block(names: list[str], types: list[str], arrays: list[pa.Array], out: bytearray | None = None) -> bytes:
    """One Native block of ``arrays`` (same length) with ClickHouse ``types``."""
    out = bytearray() if out is None else out
    rows = len(arrays[0]) if arrays else 0
    write_varuint(len(names), out)
    write_varuint(rows, out)
    for name, type_name, array in zip(names, types, arrays, strict=True):
        write_string(name, out)
        write_string(type_name, out)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        encode_column(parse_type(type_name), array, out)
    return bytes(out)


def encode_column(t: ChType, array: pa.Array, out: bytearray) -> None:
    name = t.name
    if name == "LowCardinality":
        encode_column(t.args[0], array, out)
        return
    if name == "Nullable":
        nulls = array.is_null().to_numpy(zero_copy_only=False).astype("<u1")
        out += nulls.tobytes()
        encode_column(t.args[0], _fill_nulls(array, t.args[0]), out)
        return
    if name == "Array":
        if pa.types.is_null(array.type):
            array = pa.array([[]] * len(array), pa.list_(pa.null()))
        array = array.cast(pa.large_list(array.type.value_type)) if not pa.types.is_large_list(array.type) else array
        filled = array.fill_null([]) if array.null_count else array
        offsets = filled.offsets.to_numpy()
        ends = (offsets[1:] - offsets[0]).astype("<u8")
        out += ends.tobytes()
        values = filled.values.slice(offsets[0], offsets[-1] - offsets[0]) if len(filled) else filled.values.slice(0, 0)
        encode_column(t.args[0], values, out)
        return
    if name == "Tuple":
        fields = [getattr(a, "type", a) for a in t.args]
        for i, ft in enumerate(fields):
            encode_column(ft, array.field(i) if pa.types.is_struct(array.type) else
                          pa.array([None if r is None else r[i] for r in array.to_pylist()]), out)
        return
    if name == "Nothing":  # only NULLs: one placeholder byte each
        out += b"\0" * len(array)
        return
    values = array.to_pylist() if not _numeric_fast(name, array) else None
    if name in _FIXED:
        out += _fixed_bytes(name, array, values)
    elif name == "String":
        for v in values:
            write_string(_text(v), out)
    elif name == "FixedString":
        n = int(t.args[0])
        for v in values:
            b = _text(v).encode() if not isinstance(v, bytes) else v
            out += b[:n].ljust(n, b"\0")
    elif name == "DateTime64":
        precision = int(t.args[0]) if t.args else 3
        ticks = array.cast(pa.timestamp("us")).cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        scaled = ticks * 10 ** precision // 1_000_000 if precision <= 6 else ticks * 10 ** (precision - 6)
        out += scaled.astype("<i8").tobytes()
    elif name.startswith("Decimal"):
        width, scale = _decimal_width(t)
        for v in values:
            n = int((decimal.Decimal(v or 0) * (10 ** scale)).to_integral_value())
            out += n.to_bytes(width, "little", signed=True)
    elif name == "UUID":
        for v in values:
            u = uuid.UUID(str(v)).int if v is not None else 0
            out += struct.pack("<QQ", u >> 64, u & 0xFFFFFFFFFFFFFFFF)
    else:
        raise ClickHouseError(50, f"Type {t} is not supported in the Native format yet")


def _numeric_fast(name: str, array: pa.Array) -> bool:
    return name in _FIXED and (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)
                               or pa.types.is_boolean(array.type) or pa.types.is_date(array.type)
                               or pa.types.is_timestamp(array.type))


def _fixed_bytes(name: str, array: pa.Array, values: list | None) -> bytes:
    dtype = _FIXED[name]
    if values is None:
        if pa.types.is_date(array.type):
            array = array.cast(pa.date32()).cast(pa.int32())
        elif pa.types.is_timestamp(array.type):
            array = pc.divide(array.cast(pa.timestamp("us")).cast(pa.int64()), 1_000_000)
        elif pa.types.is_boolean(array.type):
            array = array.cast(pa.uint8())
        np_values = array.fill_null(0).to_numpy(zero_copy_only=False)
        return np_values.astype(dtype).tobytes()
    converted = []
    for v in values:
        if v is None:
            converted.append(0)
        elif isinstance(v, datetime.datetime):
            converted.append(int(v.timestamp()) if v.tzinfo else int((v - datetime.datetime(1970, 1, 1)).total_seconds()))
        elif isinstance(v, datetime.date):
            converted.append((v - _EPOCH).days)
        elif isinstance(v, str):
            converted.append(float(v) if "." in v else int(v))
        else:
            converted.append(v)
    return np.array(converted).astype(dtype).tobytes()


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def _fill_nulls(array: pa.Array, t: ChType) -> pa.Array:
    if not array.null_count:
        return array
    if pa.types.is_null(array.type):
        return pa.array([0] * len(array), pa.int64()) if t.name in _FIXED else pa.array([""] * len(array))
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type) or pa.types.is_struct(array.type):
        return array
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array.fill_null("")
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return array.fill_null(0)
    if pa.types.is_boolean(array.type):
        return array.fill_null(False)
    return array


# -- decoding -------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise ClickHouseError(33, "Cannot read all data in Native format: unexpected end of data")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def varuint(self) -> int:
        shift = 0
        n = 0
        while True:
            b = self.take(1)[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7
            if shift > 63:
                raise ClickHouseError(117, "Malformed varint in Native format")

    def string(self) -> bytes:
        return bytes(self.take(self.varuint()))

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)


def decode_blocks(data: bytes) -> Iterator[tuple[list[str], list[str], list[list[Any]]]]:
    """Native data -> per block (names, ClickHouse types, columns of Python values)."""
    reader = _Reader(data)
    while not reader.done:
        yield decode_block(reader)


def decode_block(reader: _Reader) -> tuple[list[str], list[str], list[list[Any]]]:
    ncols = reader.varuint()
    nrows = reader.varuint()
    if ncols > 10_000 or nrows > 1 << 40:
        raise ClickHouseError(117, "Native block header out of range")
    names, types, columns = [], [], []
    for _ in range(ncols):
        names.append(reader.string().decode())
        type_name = reader.string().decode()
        types.append(type_name)
        columns.append(decode_column(parse_type(type_name), reader, nrows))
    return names, types, columns


def decode_column(t: ChType, reader: _Reader, n: int) -> list[Any]:
    name = t.name
    if name == "LowCardinality":
        raise ClickHouseError(48, "LowCardinality columns in Native input are not supported; send the plain type")
    if name == "Nullable":
        nulls = bytes(reader.take(n))
        values = decode_column(t.args[0], reader, n)
        return [None if nulls[i] else values[i] for i in range(n)]
    if name == "Array":
        ends = np.frombuffer(reader.take(8 * n), dtype="<u8") if n else np.zeros(0, "<u8")
        total = int(ends[-1]) if n else 0
        flat = decode_column(t.args[0], reader, total)
        out, start = [], 0
        for end in ends:
            out.append(flat[start:int(end)])
            start = int(end)
        return out
    if name == "Tuple":
        fields = [decode_column(getattr(a, "type", a), reader, n) for a in t.args]
        return [tuple(f[i] for f in fields) for i in range(n)]
    if name == "Map":
        ends = np.frombuffer(reader.take(8 * n), dtype="<u8") if n else np.zeros(0, "<u8")
        total = int(ends[-1]) if n else 0
        keys = decode_column(t.args[0], reader, total)
        vals = decode_column(t.args[1], reader, total)
        out, start = [], 0
        for end in ends:
            out.append(dict(zip(keys[start:int(end)], vals[start:int(end)], strict=True)))
            start = int(end)
        return out
    if name == "Nothing":
        reader.take(n)
        return [None] * n
    if name in _FIXED:
        dtype = np.dtype(_FIXED[name])
        raw = np.frombuffer(reader.take(dtype.itemsize * n), dtype=dtype)
        if name == "Bool":
            return [bool(x) for x in raw]
        if name in ("Date", "Date32"):
            return [_EPOCH + datetime.timedelta(days=int(x)) for x in raw]
        if name == "DateTime":
            return [datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=int(x)) for x in raw]
        return raw.tolist()
    if name == "String":
        return [reader.string().decode("utf-8", "replace") for _ in range(n)]
    if name == "FixedString":
        size = int(t.args[0])
        return [bytes(reader.take(size)).rstrip(b"\0").decode("utf-8", "replace") for _ in range(n)]
    if name == "DateTime64":
        precision = int(t.args[0]) if t.args else 3
        raw = np.frombuffer(reader.take(8 * n), dtype="<i8")
        return [datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=int(x) * 10 ** 6 // 10 ** precision)
                for x in raw]
    if name.startswith("Decimal"):
        width, scale = _decimal_width(t)
        return [decimal.Decimal(int.from_bytes(reader.take(width), "little", signed=True)).scaleb(-scale)
                for _ in range(n)]
    if name == "UUID":
        out = []
        for _ in range(n):
            hi, lo = struct.unpack("<QQ", reader.take(16))
            out.append(str(uuid.UUID(int=(hi << 64) | lo)))
        return out
    raise ClickHouseError(50, f"Type {t} is not supported in Native input yet")


def _native(result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    if result.columns is None:
        return b"", "application/octet-stream"
    names = [c.name for c in result.columns]
    types = [c.type for c in result.columns]
    out = bytearray()
    batches = [b for b in result.batches if b.num_rows] or result.batches[:1]
    if not batches:
        encode_block(names, types, [pa.array([], pa.null()) for _ in names], out)
    for batch in batches:
        encode_block(names, types, list(batch.columns), out)
    return bytes(out), "application/octet-stream"


def _read_native(payload: bytes, columns: list[tuple[str, str]], settings: dict[str, str]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for _names, _types, cols in decode_blocks(payload):
        if len(cols) != len(columns):
            raise ClickHouseError(10, f"Native block has {len(cols)} columns, the INSERT names {len(columns)}")
        rows.extend([list(r) for r in zip(*cols, strict=True)])
    return rows


WRITERS = {"Native": _native}
READERS = {"Native": _read_native}
