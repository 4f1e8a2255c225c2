"""Arrow columns to PostgreSQL field values (text or binary) and client parameters back.

Text output of a value is exactly PostgreSQL's: it comes from the SQL layer's
``cast(v, TEXT)`` (``helios_core.types.format_text``), so every type prints one way whatever
the protocol. Integers and strings, the hot path of OLTP clients, are formatted here
directly (their text form is unambiguous). A small fallback keeps the server usable
when the function registry cannot format a type.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import math
import struct
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import types as sql_types
from helios_core.errors import HeliosError
from helios_core.parallel import WORKERS, map_in_parallel
from helios_protocol_pg import binary_codec as bc
from helios_protocol_pg import (  # noqa: F401  (they add their codecs to bc)
    bit_codec,
    client_encoding,
    geometric_codec,
    hstore_codec,
    inet_codec,
    mac_codec,
    range_codec,
    timetz_codec,
    tsearch_codec,
)
from helios_protocol_pg.pg_types import name_of_oid, oid_of, oid_of_name

_INT_OIDS = {bc.INT2, bc.INT4, bc.INT8, bc.OID, bc.XID, bc.CID}
_STR_OIDS = {bc.TEXT, bc.VARCHAR, bc.BPCHAR, bc.NAME, bc.CHAR, bc.UNKNOWN, bc.JSON, bc.JSONB}
# text output that no session setting shapes (only client_encoding, which the connection's task holds)
PLAIN_TEXT_OIDS = frozenset({bc.INT2, bc.INT4, bc.INT8, bc.OID, bc.TEXT, bc.VARCHAR, bc.BPCHAR, bc.NAME, bc.BOOL})


def _sql_cast_to_text(array: pa.Array, oid: int, type_name: str) -> pa.Array | None:
    """PG text output through the SQL layer (helios_core.types.format_text); None when it cannot."""
    name = type_name or name_of_oid(oid)
    if not name:
        return None
    try:
        out = sql_types.format_text(array, name)
    except Exception:  # noqa: BLE001 - a type the SQL layer can't print: use the fallback
        return None
    if len(out) != len(array) or not (pa.types.is_string(out.type) or pa.types.is_large_string(out.type)):
        return None
    return out


def _fmt_float(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    r = repr(v)
    r = r.removesuffix(".0")
    if "e" in r:
        mant, exp = r.split("e")
        mant = mant.removesuffix(".0")
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-").rjust(2, "0")
        r = f"{mant}e{sign}{digits}"
    return r


def _fmt_interval(v: Any) -> str:
    if isinstance(v, dt.timedelta):
        months, days, us = 0, v.days, v.seconds * 1_000_000 + v.microseconds
    else:
        months, days, us = v[0], v[1], v[2] // 1000
    parts = []
    years, mons = divmod(abs(months), 12)
    sgn = "-" if months < 0 else ""
    if years:
        parts.append(f"{sgn}{years} year" + ("s" if years != 1 else ""))
    if mons:
        parts.append(f"{sgn}{mons} mon" + ("s" if mons != 1 else ""))
    if days:
        parts.append(f"{days} day" + ("s" if abs(days) != 1 else ""))
    if us or not parts:
        neg = us < 0
        us = abs(us)
        s, frac = divmod(us, 1_000_000)
        m, s = divmod(s, 60)
        h, m = divmod(m, 60)
        t = f"{'-' if neg else ''}{h:02d}:{m:02d}:{s:02d}"
        if frac:
            t += f".{frac:06d}".rstrip("0")
        parts.append(t)
    return " ".join(parts)


def _quote_array_elem(s: str) -> str:
    if s == "" or s.upper() == "NULL" or any(c in s for c in '{},"\\ \t\n'):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def fallback_text(v: Any) -> str:
    """PG-like text for one Python value when the SQL layer can't format it."""
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _fmt_float(v)
    if isinstance(v, decimal.Decimal):
        return "NaN" if v.is_nan() else format(v, "f")
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return "\\x" + v.hex()
    if isinstance(v, dt.datetime):
        s = v.strftime("%Y-%m-%d %H:%M:%S")
        if v.microsecond:
            s += f".{v.microsecond:06d}".rstrip("0")
        if v.tzinfo is not None:
            off = v.utcoffset() or dt.timedelta(0)
            mins = int(off.total_seconds() // 60)
            sign = "+" if mins >= 0 else "-"
            h, m = divmod(abs(mins), 60)
            s += f"{sign}{h:02d}" + (f":{m:02d}" if m else "")
        return s
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.isoformat()
    if isinstance(v, dt.timedelta) or (isinstance(v, tuple) and len(v) == 3):
        return _fmt_interval(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, list):
        items = ["NULL" if x is None else _quote_array_elem(fallback_text(x)) for x in v]
        return "{" + ",".join(items) + "}"
    if isinstance(v, dict):
        return json.dumps(v)
    return str(v)


def text_values(array: pa.Array, oid: int, type_name: str = "") -> list[str | None]:
    """One column as PG text strings (None for NULL)."""
    return text_array(array, oid, type_name).to_pylist()


def text_array(array: pa.Array, oid: int, type_name: str = "") -> pa.Array:
    """One column as an Arrow string array of PG text forms (NULL stays NULL)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    t = array.type
    if oid in _INT_OIDS and pa.types.is_integer(t):
        if len(array) <= SMALL_ROWS:  # a kernel call costs more than a few values (a point read's row)
            return pa.array([None if v is None else str(v) for v in array.to_pylist()], pa.string())
        return pc.cast(array, pa.string())
    if oid in _STR_OIDS and (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return array
    if oid == bc.BOOL and pa.types.is_boolean(t):
        if len(array) <= SMALL_ROWS:
            return pa.array([None if v is None else ("t" if v else "f") for v in array.to_pylist()], pa.string())
        return pc.if_else(array, "t", "f")
    if pa.types.is_null(t):
        return pa.nulls(len(array), pa.string())
    out = _sql_cast_to_text(array, oid, type_name)
    if out is not None:
        return out
    return pa.array([None if v is None else fallback_text(v) for v in array.to_pylist()], pa.string())


def encode_column(array: pa.Array, oid: int, type_name: str, binary: bool) -> list[bytes | None]:
    """One column as wire field values in the requested format."""
    if oid == VOID_OID:  # a void function's result is an empty value, not NULL (psql shows '')
        return [b""] * len(array)
    if binary:
        if oid == bc.NUMERIC:  # the value's display scale is PG's dscale: take it from the text form
            return [None if t is None else bc.ENCODERS[bc.NUMERIC](decimal.Decimal(t))
                    for t in text_values(array, oid, type_name)]
        if oid == RECORD_OID and pa.types.is_struct(array.type):
            return _record_binary(array)
        user_range = sql_types.user_range_subtype(oid) if oid >= FIRST_USER_OID else None
        if user_range is not None:  # CREATE TYPE ... AS RANGE's, or its multirange type
            enc = range_codec.encoder(*user_range)
            values = (array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array).to_pylist()
            return [None if v is None else enc(v) for v in values]
        if oid >= FIRST_USER_OID and pa.types.is_struct(array.type):  # a composite type
            return _record_binary(array, sql_types.composite_fields(type_name))
        if oid >= FIRST_USER_OID and pa.types.is_list(array.type) and pa.types.is_struct(array.type.value_type):
            return _composite_arrays(array, type_name)
        if oid in (bc.DATE, bc.TIMESTAMP, bc.TIMESTAMPTZ) and (
                pa.types.is_date32(array.type) or pa.types.is_timestamp(array.type)):
            few = _few_datetimes_binary(array, oid) if len(array) <= SMALL_ROWS else None
            return few if few is not None else _fixed_width_binary(array, oid).to_pylist()
        if oid == bc.TIME and pa.types.is_time64(array.type):  # from the microseconds: 24:00:00 is no Python time
            return _time_binary(array)
        if bc.ARRAY_ELEMENT.get(oid) == bc.NUMERIC:  # the same for the elements of numeric[]
            return _numeric_arrays(array)
        enc = bc.encoder_for(oid) or _user_type_encoder(oid, type_name, array)
        if enc is None:
            from helios_core.errors import HeliosError

            raise HeliosError(f"no binary output function available for type {type_name or oid}",
                              sqlstate="42883")
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        return [None if v is None else enc(v) for v in array.to_pylist()]
    if not client_encoding.is_utf8():
        return [None if s is None else client_encoding.encode(s) for s in text_values(array, oid, type_name)]
    return [None if s is None else s.encode("utf-8") for s in text_values(array, oid, type_name)]


RECORD_OID = 2249
VOID_OID = 2278
_EPOCH_SHIFT_DAYS = 10957  # 1970-01-01 to 2000-01-01, PostgreSQL's epoch for binary dates
_DATE_INFINITIES = (2**31 - 1, -(2**31))  # a date's ±infinity: the int32 extremes, as in PostgreSQL
_TIMESTAMP_INFINITIES = (2**63 - 1, -(2**63))  # a timestamp's: the int64 extremes


def _time_binary(array: pa.Array) -> list[bytes | None]:
    """time as time_send writes it, microseconds since midnight; '24:00:00' (which PostgreSQL
    keeps apart from '00:00:00') as 86,400,000,000."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    micros = array.cast(pa.time64("us")).cast(pa.int64()).to_pylist()
    pack = struct.Struct("!q").pack
    return [None if v is None else pack(v) for v in micros]


FIRST_USER_OID = 16384  # PostgreSQL's first OID for user-defined objects


def _user_type_encoder(oid: int, type_name: str, array: pa.Array) -> Callable[[Any], bytes] | None:
    """Enums (CREATE TYPE ... AS ENUM) send their label as text, as enum_send does; arrays of
    them are arrays of such elements with the enum's OID."""
    if oid < FIRST_USER_OID:
        return None
    t = array.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return bc.ENCODERS[bc.TEXT]
    if type_name.endswith("[]") and (pa.types.is_list(t) and pa.types.is_string(t.value_type)):
        element_oid = oid_of_name(type_name[:-2])
        return lambda v: bc.encode_array(v, element_oid, bc.ENCODERS[bc.TEXT])
    return None


def _user_type_decoder(raw: bytes) -> Any:
    """A binary value of a user-defined type: an enum label (text), or an array of them (its
    header starts with a dimension count, three zero bytes no label can hold)."""
    if len(raw) >= 12 and raw[:3] == b"\x00\x00\x00":
        (element_oid,) = struct.unpack_from("!I", raw, 8)
        if sql_types.composite_fields(element_oid) is not None:  # an array of a composite type
            return bc.decode_array(raw, element=lambda r: _record_from_binary(r, element_oid))
        return bc.decode_array(raw, bc.TEXT)
    return bc.DECODERS[bc.TEXT](raw)


def _record_binary(array: pa.Array, declared: list[tuple[str, str]] | None = None) -> list[bytes | None]:
    """Records as record_send writes them: field count, then (type OID, length, bytes) per field;
    each field's type is the composite type's attribute type (``declared``), or for an anonymous
    record the one its Arrow type maps to."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    fields = []
    for i in range(array.type.num_fields):
        child = array.field(i)
        if array.null_count:  # a NULL record's fields are not read: no value of theirs may fail
            child = pc.if_else(array.is_valid(), child, pa.nulls(len(child), child.type))
        name = declared[i][1] if declared else sql_types.type_of_arrow(child.type)
        oid = oid_of_name(name)
        fields.append((oid, encode_column(child, oid, name, True)))
    head = _pack_i32(len(fields))
    out: list[bytes | None] = []
    for r, valid in enumerate(array.is_valid().to_pylist()):
        if not valid:
            out.append(None)
            continue
        parts = [head]
        for oid, values in fields:
            v = values[r]
            parts.append(struct.pack("!I", oid) + (_NULL_FIELD if v is None else _pack_i32(len(v)) + v))
        out.append(b"".join(parts))
    return out


def _composite_arrays(array: pa.Array, type_name: str) -> list[bytes | None]:
    """One-dimensional arrays of a composite type: each element as record_send writes it."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    element = type_name.removesuffix("[]")
    element_oid = oid_of_name(element)
    elements = iter(_record_binary(array.flatten(), sql_types.composite_fields(element)))
    out: list[bytes | None] = []
    for length, valid in zip(pc.list_value_length(array).to_pylist(), array.is_valid().to_pylist(), strict=True):
        items = [next(elements) for _ in range(length or 0)]
        out.append(bc.encode_array(items, element_oid, _already_encoded) if valid else None)
    return out


def _already_encoded(value: bytes) -> bytes:
    return value


def _record_from_binary(raw: bytes, oid: int) -> dict[str, Any]:
    """A composite value sent in binary (record_recv's format) as {attribute: value}; each field
    decoded by the type OID it was sent with."""
    declared = sql_types.composite_fields(oid) or []
    (count,) = struct.unpack_from("!i", raw)
    if count != len(declared):
        raise HeliosError(f"wrong number of columns: {count}, expected {len(declared)}", sqlstate="42804")
    pos, out = 4, {}
    for name, _type in declared:
        field_oid, length = struct.unpack_from("!Ii", raw, pos)
        pos += 8
        if length < 0:
            out[name] = None
            continue
        out[name] = decode_param(raw[pos:pos + length], field_oid, True)
        pos += length
    return out


def _numeric_arrays(array: pa.Array) -> list[bytes | None]:
    """numeric[] values in binary, each element with the display scale of its text form."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    leaves = array
    while pa.types.is_list(leaves.type) or pa.types.is_large_list(leaves.type):
        leaves = leaves.flatten()
    texts = iter(text_values(leaves, bc.NUMERIC, "numeric"))

    def scaled(x: Any) -> Any:
        if isinstance(x, list):
            return [scaled(y) for y in x]
        t = next(texts)
        return None if t is None else decimal.Decimal(t)

    return [None if v is None else bc.encode_array(scaled(v), bc.NUMERIC) for v in array.to_pylist()]


def result_format_list(formats: Sequence[int], ncols: int) -> list[int]:
    """Expand Bind's result-format codes (none = all text, one = all that, else one per column)."""
    if not formats:
        return [0] * ncols
    if len(formats) == 1:
        return [formats[0]] * ncols
    if len(formats) != ncols:
        from helios_core.errors import HeliosError

        raise HeliosError(f"bind message has {len(formats)} result formats but query has {ncols} columns",
                          sqlstate="08P01")
    return list(formats)


_NULL_FIELD = b"\xff\xff\xff\xff"
_pack_i32 = struct.Struct("!i").pack
_pack_i16 = struct.Struct("!h").pack


# Below this many rows the per-value path is the cheaper one: the column-wise scatter costs
# some twenty numpy and Arrow calls whatever the batch's length (a top-10 answer paid ~3x).
COLUMN_WISE_MIN_ROWS = 256


# At most this many rows of integers, strings and booleans in text format are encoded from
# their Python values: an Arrow cast kernel call costs more than the row (a point read).
SMALL_ROWS = 8


def data_rows(batch: pa.RecordBatch, columns: Sequence, formats: Sequence[int]) -> list[bytes]:
    """A RecordBatch as complete DataRow messages (column-at-a-time: each value is
    length-prefixed in one pass over its column, then rows are joined)."""
    n = batch.num_rows
    if n <= SMALL_ROWS and columns:
        rows = small_text_rows(batch, columns, formats)
        if rows is not None:
            return rows
    if _column_wise(n, columns, formats):
        buf, starts = _encoded_rows(batch, columns, formats)
        ends = starts[1:].tolist() + [len(buf)]
        return [buf[a:b] for a, b in zip(starts.tolist(), ends, strict=True)]
    return data_rows_per_value(batch, columns, formats)


def data_row_block(batch: pa.RecordBatch, columns: Sequence, formats: Sequence[int]) -> tuple[bytes, list[int]]:
    """A RecordBatch's DataRow messages as one buffer and each row's start offset: the bytes
    ``data_rows`` gives, without cutting a large text result into one bytes object per row
    only to join them again for the socket."""
    if _column_wise(batch.num_rows, columns, formats):
        return _text_data_rows_in_parts(batch, columns, formats)
    rows = data_rows(batch, columns, formats)
    return b"".join(rows), list(itertools.accumulate((len(r) for r in rows[:-1]), initial=0)) if rows else []


PARALLEL_PART_ROWS = 1 << 15  # rows per part below which a large result is not split across threads


def _text_data_rows_in_parts(batch: pa.RecordBatch, columns: Sequence,
                             formats: Sequence[int] = ()) -> tuple[bytes, list[int]]:
    """``text_data_rows`` (``column_data_rows`` when some column is binary) of a large batch cut
    into one part per worker thread: Arrow's casts and joins release the GIL, so the parts are
    encoded on the machine's cores at once (432,000 rows of a rollup's six columns: 193 -> 116 ms
    on two cores)."""
    n = batch.num_rows
    parts = min(WORKERS, n // PARALLEL_PART_ROWS)
    if parts < 2:
        buf, starts = _encoded_rows(batch, columns, formats)
        return buf, starts.tolist()
    step = -(-n // parts)
    done = map_in_parallel(lambda part: _encoded_rows(part, columns, formats),
                           [batch.slice(start, step) for start in range(0, n, step)])
    offsets: list[int] = []
    base = 0
    for buf, starts in done:
        offsets.extend((starts + base).tolist())
        base += len(buf)
    return b"".join(buf for buf, _ in done), offsets


def small_text_rows(batch: pa.RecordBatch, columns: Sequence, formats: Sequence[int]) -> list[bytes] | None:
    """DataRows of a few rows whose columns are all integers, strings or booleans in text
    format (UTF-8 out), built from the Python values; None when any column is another kind
    (the same bytes as ``data_rows_per_value``: integers in decimal, strings as stored,
    booleans as t/f)."""
    kinds = small_row_kinds(batch.schema, columns, formats)
    return None if kinds is None or not client_encoding.is_utf8() else encode_small_rows(batch, kinds)


def small_row_kinds(schema: pa.Schema, columns: Sequence, formats: Sequence[int]) -> tuple[int, ...] | None:
    """How ``encode_small_rows`` writes each column of batches of ``schema`` (an integer, a string,
    a boolean), or None when one is of another kind or binary; a point read keeps it for the
    next row of the same statement."""
    if any(formats):
        return None
    kinds = []
    for c, t in zip(columns, schema.types, strict=True):
        oid = oid_of(c)
        if oid in _INT_OIDS and pa.types.is_integer(t):
            kinds.append(_INT_KIND)
        elif oid in _STR_OIDS and pa.types.is_string(t):
            kinds.append(_STR_KIND)
        elif oid == bc.BOOL and pa.types.is_boolean(t):
            kinds.append(_BOOL_KIND)
        else:
            return None
    return tuple(kinds)


_INT_KIND, _STR_KIND, _BOOL_KIND = 0, 1, 2


def encode_small_rows(batch: pa.RecordBatch, kinds: tuple[int, ...]) -> list[bytes]:
    """The DataRows of ``batch`` in text format, UTF-8 out, its columns as ``small_row_kinds`` said."""
    values = []
    for i, kind in enumerate(kinds):
        column = batch.column(i).to_pylist()
        if kind == _INT_KIND:
            values.append([None if v is None else str(v).encode() for v in column])
        elif kind == _STR_KIND:
            values.append([None if v is None else v.encode() for v in column])
        else:
            values.append([None if v is None else (b"t" if v else b"f") for v in column])
    head = _pack_i16(len(kinds))
    out = []
    for fields in zip(*values, strict=True):
        body = b"".join(_NULL_FIELD if v is None else _pack_i32(len(v)) + v for v in fields)
        out.append(b"D" + _pack_i32(len(body) + 6) + head + body)
    return out


def _encoded_rows(batch: pa.RecordBatch, columns: Sequence, formats: Sequence[int]) -> tuple[bytes, np.ndarray]:
    """The column-wise DataRows: ``text_data_rows`` when every column is text, else ``column_data_rows``."""
    return column_data_rows(batch, columns, formats) if any(formats) else text_data_rows(batch, columns)


def _column_wise(n: int, columns: Sequence, formats: Sequence[int]) -> bool:
    """Enough rows, UTF-8 out and no void column: the column-wise encoders (text_data_rows,
    column_data_rows when some column is binary) pay."""
    return (n >= COLUMN_WISE_MIN_ROWS and bool(columns) and client_encoding.is_utf8()
            and all(oid_of(c) != VOID_OID for c in columns))


def text_data_rows(batch: pa.RecordBatch, columns: Sequence) -> tuple[bytes, np.ndarray]:
    """A RecordBatch's text-format DataRow messages built column-wise: each column's UTF-8 bytes
    behind their 4-byte length (-1 for NULL), each row behind its 'D', message length and
    column count, joined row by row by Arrow's ``binary_join_element_wise`` (one C++ pass over
    the bytes; the numpy scatter it replaces built an index array as large as the text).
    Returns the buffer and each row's start offset (the same bytes the per-value path writes)."""
    return column_data_rows(batch, columns, ())


def column_data_rows(batch: pa.RecordBatch, columns: Sequence, formats: Sequence[int]) -> tuple[bytes, np.ndarray]:
    """``text_data_rows`` for a result whose columns may also be asked for in binary (``formats``,
    one per column, 1 for binary; empty for all text): a binary column's values come from
    ``binary_field_array``."""
    n = batch.num_rows
    pieces: list[pa.Array] = []
    widths = np.full(n, 6, dtype=np.int64)  # int32 length + int16 column count (the 'D' is not counted)
    for i, c in enumerate(columns):
        if formats and formats[i] == 1:
            text = binary_field_array(batch.column(i), oid_of(c), c.type_name)
        else:
            text = text_array(batch.column(i), oid_of(c), c.type_name)
        binary = pc.fill_null(text, "").cast(pa.large_binary())
        offsets = np.frombuffer(binary.buffers()[1], dtype=np.int64)[binary.offset:binary.offset + n + 1]
        lengths = np.diff(offsets)
        if text.null_count:
            lengths = np.where(text.is_null().to_numpy(zero_copy_only=False), -1, lengths)
        pieces.append(_fixed_bytes(lengths.astype(">i4").view(np.uint8), 4))
        pieces.append(binary)
        widths += 4 + np.maximum(lengths, 0)
    head = np.empty((n, 7), dtype=np.uint8)
    head[:, 0] = ord("D")
    head[:, 1:5] = widths.astype(">i4").view(np.uint8).reshape(n, 4)
    head[:, 5:7] = np.frombuffer(_pack_i16(len(columns)), dtype=np.uint8)
    rows = pc.binary_join_element_wise(_fixed_bytes(head.reshape(-1), 7), *pieces, pa.scalar(b"", pa.large_binary()))
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset:rows.offset + n + 1]
    first, last = int(offsets[0]), int(offsets[-1])
    return rows.buffers()[2][first:last].to_pybytes(), offsets[:-1] - first


_BIG_ENDIAN = {bc.INT2: (pa.int16(), ">i2"), bc.INT4: (pa.int32(), ">i4"), bc.INT8: (pa.int64(), ">i8"),
               bc.FLOAT4: (pa.float32(), ">f4"), bc.FLOAT8: (pa.float64(), ">f8")}


def binary_field_array(array: pa.Array | pa.ChunkedArray, oid: int, type_name: str) -> pa.Array:
    """One column's binary-format field values as a large_binary array (NULL where the value is):
    fixed-width types by ``_fixed_width_binary`` (asyncpg asks for every column in binary), any
    other type through ``encode_column``'s encoders."""
    fixed = _fixed_width_binary(array, oid)
    return fixed if fixed is not None else pa.array(encode_column(array, oid, type_name, True), pa.large_binary())


def _fixed_width_binary(array: pa.Array | pa.ChunkedArray, oid: int) -> pa.Array | None:
    """int2/4/8, float4/8, bool, date, timestamp and timestamptz as their big-endian wire bytes by
    numpy (what ``struct.pack`` gives one value at a time), NULL kept; dates and timestamps from
    their integers (days or microseconds since 1970), so that years Python cannot hold and
    ±infinity (the integer extremes) go out as PostgreSQL's. None for any other type."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    t = array.type
    fixed = _BIG_ENDIAN.get(oid)
    if fixed is not None and t == fixed[0]:
        data = np.ascontiguousarray(pc.fill_null(array, 0).to_numpy(zero_copy_only=False), dtype=fixed[1])
        out = _fixed_bytes(data.view(np.uint8), data.dtype.itemsize)
    elif oid == bc.BOOL and pa.types.is_boolean(t):
        out = _fixed_bytes(pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(np.uint8), 1)
    elif (oid == bc.DATE and pa.types.is_date32(t)) or (
            oid in (bc.TIMESTAMP, bc.TIMESTAMPTZ) and pa.types.is_timestamp(t)):
        width, shift = (4, _EPOCH_SHIFT_DAYS) if oid == bc.DATE else (8, _EPOCH_SHIFT_DAYS * 86_400_000_000)
        ints = pc.fill_null(array.cast(pa.int32() if width == 4 else pa.int64()), 0).to_numpy(zero_copy_only=False)
        infinities = list(_DATE_INFINITIES if width == 4 else _TIMESTAMP_INFINITIES)
        data = np.where(np.isin(ints, infinities), ints, ints - shift).astype(">i4" if width == 4 else ">i8")
        out = _fixed_bytes(data.view(np.uint8), width)
    else:
        return None
    return out if not array.null_count else pc.if_else(array.is_valid(), out, pa.scalar(None, pa.large_binary()))


_pack_i64 = struct.Struct("!q").pack


def _few_datetimes_binary(array: pa.Array | pa.ChunkedArray, oid: int) -> list[bytes | None] | None:
    """``_fixed_width_binary`` of a few dates or microsecond timestamps (a point read's row), one
    value at a time with struct (its numpy and Arrow calls cost more than the values); None for
    another unit."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if oid == bc.DATE:
        shift, pack, ints, infinities = _EPOCH_SHIFT_DAYS, _pack_i32, array.view(pa.int32()), _DATE_INFINITIES
    elif array.type.unit == "us":
        shift, pack, ints = _EPOCH_SHIFT_DAYS * 86_400_000_000, _pack_i64, array.view(pa.int64())
        infinities = _TIMESTAMP_INFINITIES
    else:
        return None
    return [None if v is None else pack(v if v in infinities else v - shift) for v in ints.to_pylist()]


def _fixed_bytes(data: np.ndarray, width: int) -> pa.Array:
    """Rows of ``width`` bytes (a flat uint8 array) as a large_binary array."""
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(data) // width, [None, pa.py_buffer(data)])
    return fixed.cast(pa.large_binary())


def data_rows_per_value(batch: pa.RecordBatch, columns: Sequence, formats: Sequence[int]) -> list[bytes]:
    """DataRow messages from each column's encoded values (binary formats, other client encodings)."""
    cols = []
    for i, c in enumerate(columns):
        values = encode_column(batch.column(i), oid_of(c), c.type_name, formats[i] == 1)
        cols.append([_NULL_FIELD if v is None else _pack_i32(len(v)) + v for v in values])
    head = _pack_i16(len(columns))
    if not cols:
        return [b"D\x00\x00\x00\x06" + head] * batch.num_rows
    out = []
    for fields in zip(*cols, strict=True):
        body = b"".join(fields)
        out.append(b"D" + _pack_i32(len(body) + 6) + head + body)
    return out


def decode_param(raw: bytes | None, oid: int, binary: bool) -> Any:
    """A Bind parameter as the value handed to the session.

    Text-format parameters go as ``str`` (the engine parses them with the type's input
    function); binary ones are decoded here into Python values.
    """
    if raw is None:
        return None
    if not binary:
        from helios_protocol_pg.messages import decode_text

        return decode_text(raw)
    dec: Callable[[bytes], Any] | None = bc.decoder_for(oid)
    user_range = sql_types.user_range_subtype(oid) if dec is None and oid >= FIRST_USER_OID else None
    if user_range is not None:
        return range_codec.decoder(*user_range)(raw)
    if dec is None and oid >= FIRST_USER_OID and sql_types.composite_fields(oid) is not None:
        return _record_from_binary(raw, oid)
    if dec is None and oid >= FIRST_USER_OID:
        dec = _user_type_decoder
    if dec is None:
        from helios_core.errors import HeliosError

        raise HeliosError(f"no binary input function available for type {oid}", sqlstate="42883")
    return dec(raw)
