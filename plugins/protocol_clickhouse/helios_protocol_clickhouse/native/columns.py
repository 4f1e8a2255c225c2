"""Column codecs: Arrow arrays to ClickHouse's columnar wire form and back, one type at a time.

A column is written as its state prefix (only ``LowCardinality`` has one, nested anywhere) and
then its data: fixed-width values back to back, strings length-prefixed, ``Nullable`` a null map
before the values, ``Array``/``Map`` end offsets before the flattened elements, ``Tuple`` each
element's column in turn. Everything goes through numpy/pyarrow buffers, never value by value.

Decoding gives each type's canonical Arrow form (``arrow_type``); encoding accepts any Arrow
array that casts to it (an ``int64`` column sent as ``Int32``, a ``timestamp[us]`` as ``DateTime``).
"""

from __future__ import annotations

import decimal
import ipaddress
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_protocol_clickhouse.native.types import ChType, TypeNameError
from helios_protocol_clickhouse.native.wire import ProtocolError, Reader, Writer, encode_string_column


class ColumnError(ValueError):
    """Values that cannot be written as the column's ClickHouse type (overflow, unknown enum label...)."""


_INTS = {"Int8": "<i1", "Int16": "<i2", "Int32": "<i4", "Int64": "<i8",
         "UInt8": "<u1", "UInt16": "<u2", "UInt32": "<u4", "UInt64": "<u8"}
_FLOATS = {"Float32": "<f4", "Float64": "<f8"}
_BIG_INTS = {"Int128": (16, True), "UInt128": (16, False), "Int256": (32, True), "UInt256": (32, False)}
_ALIASES = {"TINYINT": "Int8", "SMALLINT": "Int16", "INT": "Int32", "INTEGER": "Int32", "BIGINT": "Int64",
            "FLOAT": "Float32", "DOUBLE": "Float64", "TEXT": "String", "VARCHAR": "String", "BOOLEAN": "Bool"}
_INT_ARROW = {"Int8": pa.int8(), "Int16": pa.int16(), "Int32": pa.int32(), "Int64": pa.int64(),
              "UInt8": pa.uint8(), "UInt16": pa.uint16(), "UInt32": pa.uint32(), "UInt64": pa.uint64()}
_UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_LC_HAS_ADDITIONAL_KEYS = 1 << 9
_LC_NEED_UPDATE_DICTIONARY = 1 << 10
_LC_KEY_DTYPES = {0: "<u1", 1: "<u2", 2: "<u4", 3: "<u8"}


def _name(t: ChType) -> str:
    return _ALIASES.get(t.name.upper(), t.name)


def _inner(t: ChType, count: int = 1) -> list[ChType]:
    types = t.types
    if len(types) != count:
        raise TypeNameError(f"{t} needs {count} type argument{'s' if count > 1 else ''}")
    return types


def decimal_precision_scale(t: ChType) -> tuple[int, int]:
    name = _name(t)
    nums = [a for a in t.args if isinstance(a, int)]
    if name == "Decimal":
        precision = nums[0] if nums else 10
        scale = nums[1] if len(nums) > 1 else 0
    else:
        precision = {"Decimal32": 9, "Decimal64": 18, "Decimal128": 38, "Decimal256": 76}[name]
        if len(nums) != 1:
            raise TypeNameError(f"{t} needs a scale")
        scale = nums[0]
    if not 1 <= precision <= 76 or not 0 <= scale <= precision:
        raise TypeNameError(f"{t}: precision must be 1 to 76 and scale 0 to the precision")
    return precision, scale


def _decimal_width(precision: int) -> int:
    return 4 if precision <= 9 else 8 if precision <= 18 else 16 if precision <= 38 else 32


def _timezone(t: ChType, default: str | None) -> str | None:
    zones = [a for a in t.args if isinstance(a, str)]
    return zones[0] if zones else default


def _datetime64_precision(t: ChType) -> int:
    nums = [a for a in t.args if isinstance(a, int)]
    precision = nums[0] if nums else 3
    if not 0 <= precision <= 9:
        raise TypeNameError(f"{t}: precision must be 0 to 9")
    return precision


def _unit_for_precision(precision: int) -> str:
    return "s" if precision == 0 else "ms" if precision <= 3 else "us" if precision <= 6 else "ns"


def _enum_members(t: ChType) -> list[tuple[str, int]]:
    members = [a for a in t.args if isinstance(a, tuple)]
    if not members:
        raise TypeNameError(f"{t} has no members")
    return members


def arrow_type(t: ChType, timezone: str | None = None) -> pa.DataType:
    """The Arrow type values of this ClickHouse type decode to."""
    name = _name(t)
    if name in _INTS:
        return _INT_ARROW[name]
    if name in _FLOATS:
        return pa.float32() if name == "Float32" else pa.float64()
    if name in _BIG_INTS:
        return pa.decimal128(38, 0) if _BIG_INTS[name][0] == 16 else pa.decimal256(76, 0)
    if name == "Bool":
        return pa.bool_()
    if name in ("String", "UUID", "IPv4", "IPv6") or name.startswith("Enum"):
        return pa.string()
    if name == "FixedString":
        return pa.binary(_fixed_size(t))
    if name in ("Date", "Date32"):
        return pa.date32()
    if name == "DateTime":
        return pa.timestamp("s", tz=_timezone(t, timezone))
    if name == "DateTime64":
        return pa.timestamp(_unit_for_precision(_datetime64_precision(t)), tz=_timezone(t, timezone))
    if name.startswith("Decimal"):
        p, s = decimal_precision_scale(t)
        return pa.decimal128(p, s) if p <= 38 else pa.decimal256(p, s)
    if name in ("Nullable", "LowCardinality", "SimpleAggregateFunction"):
        return arrow_type(_inner(t)[0] if name != "SimpleAggregateFunction" else t.types[-1], timezone)
    if name == "Array":
        return pa.list_(arrow_type(_inner(t)[0], timezone))
    if name == "Tuple":
        return pa.struct([pa.field(e.element_name or str(i + 1), arrow_type(e, timezone))
                          for i, e in enumerate(t.types)])
    if name == "Map":
        k, v = _inner(t, 2)
        return pa.map_(arrow_type(k, timezone), arrow_type(v, timezone))
    if name == "Nothing":
        return pa.null()
    raise TypeNameError(f"type {t} is not supported by the native protocol of this server")


def _fixed_size(t: ChType) -> int:
    nums = [a for a in t.args if isinstance(a, int)]
    if len(nums) != 1 or nums[0] <= 0:
        raise TypeNameError(f"{t} needs a positive length")
    return nums[0]


def with_nulls_allowed(t: ChType, values: pa.Array) -> ChType:
    """``t``, made ``Nullable`` wherever ``values`` hold NULLs it could not carry (the column's
    type may differ from block to block: a block's own types are what clients decode it by)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    name = _name(t)
    if name == "Nullable" or name == "Nothing":
        return t
    if name == "LowCardinality":
        inner = t.types[0]
        if values.null_count and _name(inner) != "Nullable":
            return ChType("LowCardinality", (ChType("Nullable", (inner,)),), t.element_name)
        return t
    if name == "Array" and (pa.types.is_list(values.type) or pa.types.is_large_list(values.type)):
        inner = with_nulls_allowed(t.types[0], values.flatten())
        return t if inner == t.types[0] else ChType("Array", (inner,), t.element_name)
    if name in ("Array", "Tuple", "Map"):
        return t  # ClickHouse has no Nullable(Array/Tuple/Map): a NULL is sent as the empty value
    if values.null_count:
        return ChType("Nullable", (t,), t.element_name)
    return t


# --------------------------------------------------------------------------------------------
# encoding
# --------------------------------------------------------------------------------------------


def write_prefix(t: ChType, w: Writer) -> None:
    """The state prefix of a column: LowCardinality's key-serialization version, wherever nested."""
    name = _name(t)
    if name == "LowCardinality":
        w.write_u64(1)  # SharedDictionariesWithAdditionalKeys
    elif name in ("Nullable", "Array", "Tuple", "Map"):
        for inner in t.types:
            write_prefix(inner, w)
    elif name == "SimpleAggregateFunction":
        write_prefix(t.types[-1], w)


def encode_column(t: ChType, values: pa.Array | pa.ChunkedArray, w: Writer, timezone: str | None = None) -> None:
    """Append the data of ``values`` as ClickHouse type ``t`` (the prefix is ``write_prefix``'s)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_null(values.type) and _name(t) != "Nothing":
        values = pa.nulls(len(values), type=arrow_type(t, timezone))
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    encoder = _ENCODERS.get(_name(t))
    if encoder is None:
        if _name(t).startswith("Decimal"):
            encoder = _encode_decimal
        elif _name(t) in ("Enum8", "Enum16"):
            encoder = _encode_enum
        else:
            raise TypeNameError(f"type {t} is not supported by the native protocol of this server")
    encoder(t, values, w, timezone)


def _cast(values: pa.Array, target: pa.DataType, t: ChType) -> pa.Array:
    if values.type == target:
        return values
    try:
        return values.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise ColumnError(f"cannot write a column of {values.type} as {t}: {e}") from None


def _zero_filled(values: pa.Array) -> pa.Array:
    """Nulls replaced by the type's default (ClickHouse keeps a value under each NULL)."""
    if values.null_count == 0:
        return values
    t = values.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        fill: object = ""
    elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
        fill = b""
    elif pa.types.is_fixed_size_binary(t):
        fill = b"\0" * t.byte_width
    elif pa.types.is_decimal(t):
        fill = decimal.Decimal(0)
    elif pa.types.is_boolean(t):
        fill = False
    elif pa.types.is_timestamp(t) or pa.types.is_date(t):
        return pc.fill_null(values.view(pa.int64() if t.bit_width == 64 else pa.int32()), 0).view(t)
    else:
        fill = 0
    return pc.fill_null(values, pa.scalar(fill, type=t))


def _numpy(values: pa.Array, dtype: str) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False).astype(dtype, copy=False)


def _encode_int(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    dtype = _INTS[_name(t)]
    if pa.types.is_boolean(values.type):
        values = values.cast(pa.uint8())
    values = _cast(_zero_filled(values), arrow_type(t), t)
    w.write(_numpy(values, dtype).tobytes())


def _encode_float(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    values = _cast(_zero_filled(values), arrow_type(t), t)
    w.write(_numpy(values, _FLOATS[_name(t)]).tobytes())


def _encode_bool(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    values = _cast(_zero_filled(values), pa.bool_(), t)
    w.write(_numpy(values, "u1").tobytes())


def _decimal_bytes(values: pa.Array, width: int) -> np.ndarray:
    """The little-endian two's-complement integers of a decimal array (already of the column's
    Arrow width, 16 or 32 bytes), cut to ``width`` bytes each for Decimal32/64."""
    n = len(values)
    words = values.type.byte_width // 8
    raw = np.frombuffer(values.buffers()[1], dtype="<i8")[values.offset * words:(values.offset + n) * words]
    words_view = raw.reshape(n, words)
    if width == 4:
        return words_view[:, 0].astype("<i4")
    if width == 8:
        return words_view[:, 0].copy()
    return words_view


def _encode_decimal(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    p, s = decimal_precision_scale(t)
    values = _zero_filled(values)
    if pa.types.is_decimal(values.type) and values.type.scale > s:  # round half away, as a cast to the scale
        values = pc.round(values, ndigits=s, round_mode="half_towards_infinity")
    values = _cast(values, arrow_type(t), t)
    w.write(_decimal_bytes(values, _decimal_width(p)).tobytes())


def _encode_big_int(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    width, signed = _BIG_INTS[_name(t)]
    values = _cast(_zero_filled(values), arrow_type(t), t)
    words = _decimal_bytes(values, width)
    if not signed and len(words) and (words[:, -1] < 0).any():
        raise ColumnError(f"a negative value cannot be written as {t}")
    w.write(words.tobytes())


def _string_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (n+1, as stored) and data bytes of a string/binary array without nulls."""
    large = pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type)
    _, offsets_buf, data_buf = values.buffers()
    offsets = np.frombuffer(offsets_buf, dtype="<i8" if large else "<i4")[values.offset:values.offset + len(values) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, dtype=np.uint8)
    return offsets, data


def _as_bytes_like(values: pa.Array, t: ChType) -> pa.Array:
    vt = values.type
    if pa.types.is_string(vt) or pa.types.is_binary(vt) or pa.types.is_large_string(vt) or \
            pa.types.is_large_binary(vt):
        return values
    if pa.types.is_fixed_size_binary(vt):
        return values.cast(pa.binary())
    return _cast(values, pa.string(), t)


def _encode_string(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    values = _zero_filled(_as_bytes_like(values, t))
    offsets, data = _string_buffers(values)
    w.write(encode_string_column(offsets, data))


def _encode_fixed_string(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    size = _fixed_size(t)
    n = len(values)
    if pa.types.is_fixed_size_binary(values.type) and values.type.byte_width == size:
        values = _zero_filled(values)
        raw = np.frombuffer(values.buffers()[1], dtype=np.uint8)[values.offset * size:(values.offset + n) * size]
        w.write(raw.tobytes())
        return
    values = _zero_filled(_as_bytes_like(values, t))
    offsets, data = _string_buffers(values)
    offsets = offsets.astype(np.int64)
    lengths = np.diff(offsets)
    if n and lengths.max() > size:
        raise ColumnError(f"too large value for {t}: a value is {int(lengths.max())} bytes long")
    out = np.zeros(n * size, dtype=np.uint8)
    total = int(offsets[-1] - offsets[0])
    if total:
        dest = np.arange(total, dtype=np.int64) + np.repeat(np.arange(n, dtype=np.int64) * size
                                                            - (offsets[:-1] - offsets[0]), lengths)
        out[dest] = data[int(offsets[0]):int(offsets[-1])]
    w.write(out.tobytes())


def _encode_date(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    if pa.types.is_timestamp(values.type):
        values = values.cast(pa.date32())
    days = _numpy(_cast(_zero_filled(values), pa.date32(), t).view(pa.int32()), "<i8")
    if _name(t) == "Date":
        if len(days) and (days.min() < 0 or days.max() > 0xFFFF):
            raise ColumnError(f"a date outside 1970-01-01..2149-06-06 cannot be written as {t}")
        w.write(days.astype("<u2").tobytes())
    else:
        w.write(days.astype("<i4").tobytes())


def _ticks(values: pa.Array, t: ChType, per_second: int) -> np.ndarray:
    """Timestamps (or dates) as int64 counts of 1/per_second seconds since the epoch (floored)."""
    vt = values.type
    if pa.types.is_date(vt):
        values = values.cast(pa.timestamp("s"))
        vt = values.type
    if not pa.types.is_timestamp(vt):
        values = _cast(values, pa.timestamp("us"), t)
        vt = values.type
    raw = _numpy(_zero_filled(values).view(pa.int64()), "<i8")
    unit = _UNITS[vt.unit]
    if per_second >= unit:
        return raw * (per_second // unit)
    return np.floor_divide(raw, unit // per_second)


def _encode_datetime(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    seconds = _ticks(values, t, 1)
    if len(seconds) and (seconds.min() < 0 or seconds.max() > 0xFFFFFFFF):
        raise ColumnError(f"a time outside 1970-01-01 00:00:00..2106-02-07 06:28:15 UTC cannot be written as {t}")
    w.write(seconds.astype("<u4").tobytes())


def _encode_datetime64(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    w.write(_ticks(values, t, 10 ** _datetime64_precision(t)).astype("<i8").tobytes())


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_VALUE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX_VALUE[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX_VALUE[_c] = 10 + _i
_UUID_DIGITS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def _encode_uuid(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    n = len(values)
    vt = values.type
    if pa.types.is_fixed_size_binary(vt) and vt.byte_width == 16:
        raw = np.frombuffer(_zero_filled(values).buffers()[1], dtype=np.uint8)[values.offset * 16:(values.offset + n) * 16]
        uuid_bytes = raw.reshape(n, 16)
    elif isinstance(vt, pa.ExtensionType):
        _encode_uuid(t, values.storage, w, tz)
        return
    else:
        values = pc.fill_null(_cast(values, pa.string(), t), "00000000-0000-0000-0000-000000000000")
        offsets, data = _string_buffers(values)
        offsets = offsets.astype(np.int64)
        if n and (np.diff(offsets) != 36).any():
            raise ColumnError(f"a value is not a UUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx ({t})")
        chars = data[int(offsets[0]):int(offsets[-1])].reshape(n, 36)
        if n and (chars[:, [8, 13, 18, 23]] != ord("-")).any():
            raise ColumnError(f"a value is not a UUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx ({t})")
        digits = _HEX_VALUE[chars[:, _UUID_DIGITS]]
        if (digits == 255).any():
            raise ColumnError(f"a value is not a UUID: it holds a character that is not a hex digit ({t})")
        uuid_bytes = (digits[:, 0::2] << 4) | digits[:, 1::2]
    # ClickHouse keeps a UUID as two little-endian UInt64 halves, the high half first
    wire = np.concatenate([uuid_bytes[:, 7::-1], uuid_bytes[:, 15:7:-1]], axis=1)
    w.write(np.ascontiguousarray(wire).tobytes())


def _encode_enum(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    members = _enum_members(t)
    dtype = "<i1" if _name(t) == "Enum8" else "<i2"
    if pa.types.is_integer(values.type):
        numbers = _numpy(_zero_filled(values), "<i8")
        known = np.array([v for _, v in members])
        if len(numbers) and not np.isin(numbers, known).all():
            bad = numbers[~np.isin(numbers, known)][0]
            raise ColumnError(f"unknown element {bad} for enum {t}")
        w.write(numbers.astype(dtype).tobytes())
        return
    labels = pa.array([m for m, _ in members], type=pa.string())
    text = _cast(values, pa.string(), t)
    index = pc.index_in(text, value_set=labels)
    if index.null_count > text.null_count:
        missing = pc.filter(text, pc.and_(pc.is_null(index), pc.is_valid(text)))[0].as_py()
        raise ColumnError(f"unknown element '{missing}' for enum {t}")
    numbers = np.array([v for _, v in members], dtype=np.int64)
    idx = _numpy(pc.fill_null(index, 0), "<i8")
    out = numbers[idx] if len(idx) else np.zeros(0, dtype=np.int64)
    if text.null_count:  # nulls (of a Nullable enum) hold the first member's value
        out[_numpy(text.is_null(), "bool")] = numbers[0]
    w.write(out.astype(dtype).tobytes())


def _encode_nothing(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    w.write(b"0" * len(values))


def _encode_nullable(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    (inner,) = _inner(t)
    w.write(_numpy(values.is_null(), "u1").tobytes())
    encode_column(inner, values, w, tz)


def _list_parts(values: pa.Array, t: ChType) -> tuple[np.ndarray, pa.Array]:
    if pa.types.is_map(values.type):
        entry = pa.struct([pa.field("key", values.type.key_type, nullable=False),
                           pa.field("value", values.type.item_type)])
        values = values.cast(pa.list_(entry))
    if not (pa.types.is_list(values.type) or pa.types.is_large_list(values.type)
            or pa.types.is_fixed_size_list(values.type)):
        raise ColumnError(f"cannot write a column of {values.type} as {t}")
    lengths = _numpy(pc.fill_null(pc.list_value_length(values), 0), "<i8")
    ends = np.cumsum(lengths, dtype=np.int64)
    return ends.astype("<u8"), values.flatten()


def _encode_array(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    (inner,) = _inner(t)
    ends, flat = _list_parts(values, t)
    w.write(ends.tobytes())
    encode_column(inner, flat, w, tz)


def _encode_map(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    key_type, value_type = _inner(t, 2)
    ends, flat = _list_parts(values, t)
    if not pa.types.is_struct(flat.type) or flat.type.num_fields != 2:
        raise ColumnError(f"cannot write a column of {values.type} as {t}")
    keys, items = flat.flatten()
    w.write(ends.tobytes())
    encode_column(key_type, keys, w, tz)
    encode_column(value_type, items, w, tz)


def _encode_tuple(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    elements = t.types
    if not pa.types.is_struct(values.type) or values.type.num_fields != len(elements):
        raise ColumnError(f"cannot write a column of {values.type} as {t}")
    for element, field in zip(elements, values.flatten(), strict=True):
        encode_column(element, field, w, tz)


def _encode_low_cardinality(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    (inner,) = _inner(t)
    nullable = _name(inner) == "Nullable"
    dict_type = _inner(inner)[0] if nullable else inner
    if not nullable:
        values = _zero_filled(values)
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary
    indices = _numpy(pc.fill_null(encoded.indices.cast(pa.int64()), -1), "<i8")
    if nullable:  # index 0 stands for NULL; its key is the default value
        indices = indices + 1
        dictionary = pa.concat_arrays([pa.nulls(1, type=dictionary.type), dictionary])
    size = len(dictionary)
    key_type = 0 if size <= 0xFF else 1 if size <= 0xFFFF else 2 if size <= 0xFFFFFFFF else 3
    w.write_u64(_LC_HAS_ADDITIONAL_KEYS | _LC_NEED_UPDATE_DICTIONARY | key_type)
    w.write_u64(size)
    encode_column(dict_type, dictionary, w, tz)
    w.write_u64(len(values))
    w.write(indices.astype(_LC_KEY_DTYPES[key_type]).tobytes())


def _encode_simple_aggregate(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    encode_column(t.types[-1], values, w, tz)


def _encode_ipv4(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    if pa.types.is_integer(values.type):
        w.write(_numpy(_zero_filled(values), "<u4").tobytes())
        return
    text = _cast(values, pa.string(), t).to_pylist()
    try:
        numbers = [int(ipaddress.IPv4Address(v)) if v is not None else 0 for v in text]
    except ValueError as e:
        raise ColumnError(f"{e} ({t})") from None
    w.write(np.array(numbers, dtype="<u4").tobytes())


def _encode_ipv6(t: ChType, values: pa.Array, w: Writer, tz: str | None) -> None:
    out = bytearray()
    try:
        for v in _cast(values, pa.string(), t).to_pylist():
            out += ipaddress.IPv6Address(v).packed if v is not None else bytes(16)
    except ValueError as e:
        raise ColumnError(f"{e} ({t})") from None
    w.write(out)


_ENCODERS: dict[str, Callable[[ChType, pa.Array, Writer, str | None], None]] = {
    **dict.fromkeys(_INTS, _encode_int), **dict.fromkeys(_FLOATS, _encode_float),
    **dict.fromkeys(_BIG_INTS, _encode_big_int),
    "Bool": _encode_bool, "String": _encode_string, "FixedString": _encode_fixed_string,
    "Date": _encode_date, "Date32": _encode_date, "DateTime": _encode_datetime, "DateTime64": _encode_datetime64,
    "UUID": _encode_uuid, "Nothing": _encode_nothing, "Nullable": _encode_nullable, "Array": _encode_array,
    "Map": _encode_map, "Tuple": _encode_tuple, "LowCardinality": _encode_low_cardinality,
    "SimpleAggregateFunction": _encode_simple_aggregate, "IPv4": _encode_ipv4, "IPv6": _encode_ipv6,
}


# --------------------------------------------------------------------------------------------
# decoding
# --------------------------------------------------------------------------------------------


def read_prefix(t: ChType, r: Reader) -> None:
    name = _name(t)
    if name == "LowCardinality":
        version = r.read_u64()
        if version != 1:
            raise ProtocolError(f"LowCardinality key serialization version {version} is not supported")
    elif name in ("Nullable", "Array", "Tuple", "Map"):
        for inner in t.types:
            read_prefix(inner, r)
    elif name == "SimpleAggregateFunction":
        read_prefix(t.types[-1], r)


def decode_column(t: ChType, n: int, r: Reader, timezone: str | None = None) -> pa.Array:
    """Read ``n`` values of type ``t`` (its data, after ``read_prefix``) into an Arrow array."""
    name = _name(t)
    decoder = _DECODERS.get(name)
    if decoder is None:
        if name.startswith("Decimal"):
            decoder = _decode_decimal
        elif name in ("Enum8", "Enum16"):
            decoder = _decode_enum
        else:
            raise TypeNameError(f"type {t} is not supported by the native protocol of this server")
    return decoder(t, n, r, timezone)


def _decode_fixed(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    name = _name(t)
    dtype = _INTS.get(name) or _FLOATS[name]
    return pa.array(r.read_array(n, dtype))


def _decode_bool(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    return pa.array(r.read_array(n, "u1") != 0)


def _decimal_from_words(words: np.ndarray, n: int, target: pa.DataType) -> pa.Array:
    return pa.Array.from_buffers(target, n, [None, pa.py_buffer(np.ascontiguousarray(words).tobytes())])


def _decode_decimal(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    p, _ = decimal_precision_scale(t)
    width = _decimal_width(p)
    target = arrow_type(t)
    if width in (4, 8):
        low = r.read_array(n, "<i4" if width == 4 else "<i8").astype(np.int64)
        words = np.empty((n, 2), dtype="<i8")
        words[:, 0] = low
        words[:, 1] = low >> 63
        return _decimal_from_words(words, n, target)
    return _decimal_from_words(r.read_array(n * (width // 8), "<i8"), n, target)


def _decode_big_int(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    width, signed = _BIG_INTS[_name(t)]
    words = r.read_array(n * (width // 8), "<i8").reshape(n, width // 8)
    if not signed and n and (words[:, -1] < 0).any():
        raise ColumnError(f"a {t} value beyond {2 ** (width * 8 - 1) - 1} cannot be held by this server")
    return _decimal_from_words(words, n, arrow_type(t))


def _strings_array(offsets: np.ndarray, data: bytes, n: int, *, binary: bool = False) -> pa.Array:
    total = int(offsets[-1])
    large = total >= 2**31 - 1
    offs = pa.py_buffer(offsets.astype("<i8" if large else "<i4").tobytes())
    text_type = pa.large_string() if large else pa.string()
    binary_type = pa.large_binary() if large else pa.binary()
    if binary:
        return pa.Array.from_buffers(binary_type, n, [None, offs, pa.py_buffer(data)])
    out = pa.Array.from_buffers(text_type, n, [None, offs, pa.py_buffer(data)])
    try:
        out.validate(full=True)
    except pa.ArrowInvalid:  # not UTF-8: ClickHouse strings are bytes
        return pa.Array.from_buffers(binary_type, n, [None, offs, pa.py_buffer(data)])
    return out


def _decode_string(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    offsets, data = r.read_string_column(n)
    return _strings_array(offsets, data, n)


def _decode_fixed_string(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    size = _fixed_size(t)
    data = r.read(n * size)
    return pa.Array.from_buffers(pa.binary(size), n, [None, pa.py_buffer(data)])


def _decode_date(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    days = r.read_array(n, "<u2" if _name(t) == "Date" else "<i4").astype(np.int32)
    return pa.array(days).view(pa.date32())


def _decode_datetime(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    seconds = r.read_array(n, "<u4").astype(np.int64)
    return pa.array(seconds).view(arrow_type(t, tz))


def _decode_datetime64(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    precision = _datetime64_precision(t)
    target = arrow_type(t, tz)
    ticks = r.read_array(n, "<i8").astype(np.int64)
    scale = _UNITS[target.unit] // 10 ** precision
    if scale > 1:
        ticks = ticks * scale
    return pa.array(ticks).view(target)


def _decode_uuid(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    wire = r.read_array(n * 16, "u1").reshape(n, 16)
    uuid_bytes = np.concatenate([wire[:, 7::-1], wire[:, 15:7:-1]], axis=1)
    chars = np.full((n, 36), ord("-"), dtype=np.uint8)
    chars[:, _UUID_DIGITS[0::2]] = _HEX[uuid_bytes >> 4]
    chars[:, _UUID_DIGITS[1::2]] = _HEX[uuid_bytes & 0x0F]
    offsets = np.arange(n + 1, dtype=np.int64) * 36
    return _strings_array(offsets, chars.tobytes(), n)


def _decode_enum(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    members = _enum_members(t)
    numbers = r.read_array(n, "<i1" if _name(t) == "Enum8" else "<i2").astype(np.int64)
    known = pa.array([v for _, v in members], type=pa.int64())
    index = pc.index_in(pa.array(numbers), value_set=known)
    if index.null_count:
        bad = numbers[_numpy(index.is_null(), "bool")][0]
        raise ColumnError(f"unexpected value {bad} in enum {t}")
    return pa.array([m for m, _ in members], type=pa.string()).take(index)


def _decode_nothing(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    r.read(n)
    return pa.nulls(n)


def _with_nulls(values: pa.Array, is_null: np.ndarray) -> pa.Array:
    if not is_null.any():
        return values
    mask = pa.array(is_null)
    vt = values.type
    if pa.types.is_null(vt):
        return values
    if pa.types.is_list(vt) or pa.types.is_large_list(vt) or pa.types.is_struct(vt) or pa.types.is_map(vt):
        return pc.if_else(mask, pa.scalar(None, type=vt), values)
    validity = pa.py_buffer(np.packbits(~is_null, bitorder="little").tobytes())
    values = values if values.offset == 0 else pa.concat_arrays([values])
    return pa.Array.from_buffers(vt, len(values), [validity, *values.buffers()[1:]])


def _decode_nullable(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    (inner,) = _inner(t)
    nulls = r.read_array(n, "u1")
    if n and nulls.max() > 1:
        raise ProtocolError(f"the null map of a {t} column holds a byte other than 0 and 1")
    return _with_nulls(decode_column(inner, n, r, tz), nulls.astype(bool))


def _read_ends(n: int, r: Reader, t: ChType) -> np.ndarray:
    ends = r.read_array(n, "<u8")
    if n and ((np.diff(ends.astype(np.int64), prepend=0) < 0).any() or int(ends[-1]) > 1 << 40):
        raise ProtocolError(f"the offsets of a {t} column are not increasing")
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = ends.astype(np.int64)
    return offsets


def _decode_array(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    (inner,) = _inner(t)
    offsets = _read_ends(n, r, t)
    flat = decode_column(inner, int(offsets[-1]), r, tz)
    if offsets[-1] < 2**31:
        return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), flat)
    return pa.LargeListArray.from_arrays(pa.array(offsets), flat)


def _decode_map(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    key_type, value_type = _inner(t, 2)
    offsets = _read_ends(n, r, t)
    total = int(offsets[-1])
    keys = decode_column(key_type, total, r, tz)
    items = decode_column(value_type, total, r, tz)
    return pa.MapArray.from_arrays(pa.array(offsets.astype(np.int32)), keys, items)


def _decode_tuple(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    elements = t.types
    fields = [decode_column(e, n, r, tz) for e in elements]
    names = [e.element_name or str(i + 1) for i, e in enumerate(elements)]
    if not fields:
        raise TypeNameError("Tuple() needs at least one element")
    return pa.StructArray.from_arrays(fields, names=names)


def _decode_low_cardinality(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    (inner,) = _inner(t)
    nullable = _name(inner) == "Nullable"
    dict_type = _inner(inner)[0] if nullable else inner
    parts: list[pa.Array] = []
    dictionary: pa.Array | None = None
    done = 0
    while done < n:
        flags = r.read_u64()
        key_type = flags & 0xFF
        if key_type not in _LC_KEY_DTYPES or not flags & _LC_HAS_ADDITIONAL_KEYS:
            raise ProtocolError(f"LowCardinality serialization flags {flags:#x} are not supported")
        if flags & _LC_NEED_UPDATE_DICTIONARY or dictionary is None:
            size = r.read_u64()
            if size > 1 << 32:
                raise ProtocolError(f"a LowCardinality dictionary of {size} keys is too large")
            dictionary = decode_column(dict_type, size, r, tz)
        rows = r.read_u64()
        if rows == 0 or rows > n - done:
            raise ProtocolError(f"a LowCardinality column announces {rows} rows where {n - done} remain")
        indices = r.read_array(rows, _LC_KEY_DTYPES[key_type]).astype(np.int64)
        if rows and indices.max() >= len(dictionary):
            raise ProtocolError("a LowCardinality index points past its dictionary")
        values = dictionary.take(pa.array(indices))
        if nullable:
            values = _with_nulls(values, indices == 0)
        parts.append(values)
        done += rows
    if not parts:
        return pa.nulls(0, type=arrow_type(inner, tz))
    return parts[0] if len(parts) == 1 else pa.concat_arrays(parts)


def _decode_simple_aggregate(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    return decode_column(t.types[-1], n, r, tz)


def _decode_ipv4(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    numbers = r.read_array(n, "<u4")
    return pa.array([str(ipaddress.IPv4Address(int(v))) for v in numbers], type=pa.string())


def _decode_ipv6(t: ChType, n: int, r: Reader, tz: str | None) -> pa.Array:
    raw = r.read(n * 16)
    return pa.array([str(ipaddress.IPv6Address(raw[i * 16:(i + 1) * 16])) for i in range(n)], type=pa.string())


_DECODERS: dict[str, Callable[[ChType, int, Reader, str | None], pa.Array]] = {
    **dict.fromkeys(_INTS, _decode_fixed), **dict.fromkeys(_FLOATS, _decode_fixed),
    **dict.fromkeys(_BIG_INTS, _decode_big_int),
    "Bool": _decode_bool, "String": _decode_string, "FixedString": _decode_fixed_string,
    "Date": _decode_date, "Date32": _decode_date, "DateTime": _decode_datetime, "DateTime64": _decode_datetime64,
    "UUID": _decode_uuid, "Nothing": _decode_nothing, "Nullable": _decode_nullable, "Array": _decode_array,
    "Map": _decode_map, "Tuple": _decode_tuple, "LowCardinality": _decode_low_cardinality,
    "SimpleAggregateFunction": _decode_simple_aggregate, "IPv4": _decode_ipv4, "IPv6": _decode_ipv6,
}
