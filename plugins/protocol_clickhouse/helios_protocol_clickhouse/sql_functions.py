"""SQL functions this plugin adds to the shared library (``helios_sql_functions``).

ClickHouse functions whose rules PostgreSQL's library does not have, over Arrow arrays:
array indexing from either end with a default out of range (``ch_array_element``),
``length`` of strings (bytes) and arrays alike, the integer conversions with ClickHouse's
wrap-around (``toUInt8(300)`` is 44), ``toDate``/``toDateTime`` of numbers, Float64
division that gives inf/nan instead of an error, and aggregates built on ``array_agg``
(``ch_top_k``, ``ch_quantile_exact``...). ``clickhouse_type_name(sql_type, not_null)``
gives ClickHouse's name of a SQL type for ``system.columns``.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import math
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_protocol_clickhouse import hashing
from helios_protocol_clickhouse.column_types import column_type
from helios_protocol_clickhouse.formats.literals import parse_array_text, parse_tuple_text, value_text
from helios_protocol_clickhouse.formats.values import TextRenderer
from helios_protocol_clickhouse.types import clickhouse_type


def _type_names(args: list[pa.Array]) -> pa.Array:
    names = args[0].to_pylist()
    not_null = args[1].to_pylist()
    return pa.array([None if n is None else clickhouse_type(n, nullable=not nn) for n, nn in
                     zip(names, not_null, strict=True)], pa.string())


def _declared_types(args: list[pa.Array]) -> pa.Array:
    return pa.array([None if n is None else column_type(d, n, bool(nn)) for d, n, nn in
                     zip(args[0].to_pylist(), args[1].to_pylist(), args[2].to_pylist(), strict=True)], pa.string())


def _element_type(types: list[str]) -> str:
    return types[0][:-2] if types[0].endswith("[]") else "text"


def _default_for(arrow: pa.DataType) -> Any:
    if pa.types.is_integer(arrow) or pa.types.is_floating(arrow) or pa.types.is_decimal(arrow):
        return 0
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return ""
    if pa.types.is_boolean(arrow):
        return False
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        return []
    if pa.types.is_date(arrow):
        return datetime.date(1970, 1, 1)
    if pa.types.is_timestamp(arrow):
        return datetime.datetime(1970, 1, 1)
    return None


def _array_element(args: list[pa.Array]) -> pa.Array:
    """arr[i] (arr[i][j]... with more indexes, down nested arrays): from 1 at the start, from -1 at
    the end, the element type's default out of range."""
    values, value_type = args[0].to_pylist(), args[0].type
    for index in args[1:]:
        if not (pa.types.is_list(value_type) or pa.types.is_large_list(value_type)):
            raise HeliosError("arrayElement of a value that is no array", sqlstate="42804")
        value_type = value_type.value_type
        default = _default_for(value_type)
        out = []
        for arr, i in zip(values, index.to_pylist(), strict=True):
            if arr is None or i is None:
                out.append(None)
                continue
            n = len(arr)
            if 1 <= i <= n:
                out.append(arr[i - 1])
            elif -n <= i <= -1:
                out.append(arr[n + i])
            else:
                out.append(default)
        values = out
    return pa.array(values, value_type)


def _truth(args: list[pa.Array]) -> pa.Array:
    """A ClickHouse condition's value: a number is true when it is not zero."""
    a = args[0]
    if pa.types.is_boolean(a.type):
        return a
    if pa.types.is_null(a.type):
        return pa.nulls(len(a), pa.bool_())
    if pa.types.is_integer(a.type) or pa.types.is_floating(a.type) or pa.types.is_decimal(a.type):
        return pc.not_equal(a, pa.scalar(0, a.type) if not pa.types.is_decimal(a.type) else 0)
    raise HeliosError(f"Illegal type {arrow_clickhouse_name(a.type)} of a condition: it must be a number",
                      sqlstate="42804")


def _length(args: list[pa.Array]) -> pa.Array:
    a = args[0]
    if pa.types.is_list(a.type) or pa.types.is_large_list(a.type):
        return pc.list_value_length(a).cast(pa.int64())
    if pa.types.is_string(a.type) or pa.types.is_large_string(a.type) or pa.types.is_binary(a.type):
        return pc.binary_length(a).cast(pa.int64())
    raise TypeError("length of a scalar")


def _empty(args: list[pa.Array]) -> pa.Array:
    return pc.equal(_length(args), 0)


def _not_empty(args: list[pa.Array]) -> pa.Array:
    return pc.not_equal(_length(args), 0)


def _per_array(fn: Callable[[list], Any], arrow: pa.DataType | None = None) -> Callable[[list[pa.Array]], pa.Array]:
    def impl(args: list[pa.Array]) -> pa.Array:
        values = [None if v is None else fn(v) for v in args[0].to_pylist()]
        return pa.array(values, arrow)
    return impl


_M64 = (1 << 64) - 1


def _int_hash32_one(key: int) -> int:
    """ClickHouse's intHash32 (a 64-to-32-bit integer mix with its fixed salt)."""
    key = (key & _M64) ^ 0x75D9543DE018BF45
    key = ((~key) + (key << 18)) & _M64
    key = key ^ ((key >> 31) | ((key << 33) & _M64))
    key = (key * 21) & _M64
    key = key ^ ((key >> 11) | ((key << 53) & _M64))
    key = (key + (key << 6)) & _M64
    key = key ^ ((key >> 22) | ((key << 42) & _M64))
    return key & 0xFFFFFFFF


def _int_hash32(args: list[pa.Array]) -> pa.Array:
    a = args[0]
    if not (pa.types.is_integer(a.type)):
        return pa.array([None if v is None else _int_hash32_one(int(v)) for v in a.to_pylist()], pa.int64())
    mask = a.is_null().to_numpy(zero_copy_only=False)
    key = a.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64).view(np.uint64)
    with np.errstate(over="ignore"):
        key = key ^ np.uint64(0x75D9543DE018BF45)
        key = (~key) + (key << np.uint64(18))
        key = key ^ ((key >> np.uint64(31)) | (key << np.uint64(33)))
        key = key * np.uint64(21)
        key = key ^ ((key >> np.uint64(11)) | (key << np.uint64(53)))
        key = key + (key << np.uint64(6))
        key = key ^ ((key >> np.uint64(22)) | (key << np.uint64(42)))
    return pa.array((key & np.uint64(0xFFFFFFFF)).astype(np.int64), pa.int64(), mask=mask)


def _enumerate_uniq_arrays(args: list[pa.Array]) -> pa.Array:
    """arrayEnumerateUniq(a1, a2...): per position, how often its tuple (a1[i], a2[i]...) was seen so far."""
    columns = [a.to_pylist() for a in args]
    out = []
    for row in zip(*columns, strict=True):
        if any(r is None for r in row):
            out.append(None)
            continue
        out.append(_enumerate_uniq(list(zip(*row, strict=False))))
    return pa.array(out, pa.list_(pa.int64()))


def _enumerate_uniq(values: list) -> list[int]:
    seen: collections.Counter = collections.Counter()
    out = []
    for v in values:
        key = repr(v)
        seen[key] += 1
        out.append(seen[key])
    return out


def _index_of(args: list[pa.Array]) -> pa.Array:
    out = []
    for arr, x in zip(args[0].to_pylist(), args[1].to_pylist(), strict=True):
        out.append(0 if arr is None else next((i + 1 for i, v in enumerate(arr) if v == x), 0))
    return pa.array(out, pa.int64())


def _count_equal(args: list[pa.Array]) -> pa.Array:
    return pa.array([0 if arr is None else sum(1 for v in arr if v == x)
                     for arr, x in zip(args[0].to_pylist(), args[1].to_pylist(), strict=True)], pa.int64())


def _range(args: list[pa.Array]) -> pa.Array:
    if len(args) == 1:  # int(): a UInt64 argument comes as a decimal
        return pa.array([None if n is None else list(range(int(n))) for n in args[0].to_pylist()],
                        pa.list_(pa.int64()))
    rows = zip(*[a.to_pylist() for a in args], strict=True)
    return pa.array([None if None in r else list(range(*map(int, r))) for r in rows], pa.list_(pa.int64()))


def _replicate(args: list[pa.Array]) -> pa.Array:
    values, arrays = args[0].to_pylist(), args[1].to_pylist()
    return pa.array([[v] * len(arr or []) for v, arr in zip(values, arrays, strict=True)], pa.list_(args[0].type))


def _reinterpret_as_string(args: list[pa.Array]) -> pa.Array:
    out = []
    for v in args[0].to_pylist():
        if v is None:
            out.append(None)
        elif isinstance(v, float):
            out.append(struct.pack("<d", v).rstrip(b"\0").decode("utf-8", "replace"))
        else:
            n = int(v) & 0xFFFFFFFFFFFFFFFF
            out.append(n.to_bytes(8, "little").rstrip(b"\0").decode("utf-8", "replace"))
    return pa.array(out, pa.string())


def _value_bytes(v: Any, from_hex: bool) -> bytes:
    """The bytes ClickHouse reinterprets: a string's own (or those its hex digits spell, for
    ``reinterpretAs*(unhex(s))``, whose bytes need not be UTF-8), a number's little-endian."""
    if isinstance(v, str):
        return bytes.fromhex(v if len(v) % 2 == 0 else "0" + v) if from_hex else v.encode()
    if isinstance(v, float):
        return struct.pack("<d", v)
    return (int(v) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")


def _reinterpret_as_number(kind: str) -> Callable[[list[pa.Array]], pa.Array]:
    """reinterpretAs(U)Int8..64 / Float32/64: the value's first bytes (zero-padded) read little-endian;
    ``kind`` is ``int``/``uint64`` (args: value, bits, signed, from_hex) or ``float`` (value, bits,
    from_hex)."""
    def impl(args: list[pa.Array]) -> pa.Array:
        values = args[0].to_pylist()
        bits = args[1].to_pylist()
        out: list[Any] = []
        if kind in ("int", "uint64"):
            signed, hexes = args[2].to_pylist(), args[3].to_pylist()
            for v, b, sg, hx in zip(values, bits, signed, hexes, strict=True):
                if v is None:
                    out.append(None)
                    continue
                raw = _value_bytes(v, bool(hx))[:b // 8].ljust(b // 8, b"\0")
                out.append(int.from_bytes(raw, "little", signed=bool(sg)))
            return pa.array(out, pa.uint64() if kind == "uint64" else pa.int64())
        hexes = args[2].to_pylist()
        for v, b, hx in zip(values, bits, hexes, strict=True):
            if v is None:
                out.append(None)
                continue
            raw = _value_bytes(v, bool(hx))[:b // 8].ljust(b // 8, b"\0")
            out.append(struct.unpack("<f" if b == 32 else "<d", raw)[0])
        return pa.array(out, pa.float64())
    return impl


def _moment(args: list[pa.Array]) -> pa.Array:
    """ch_moment(kind, n, S1, S2, S3, S4): ClickHouse's var/stddev/skew/kurt (Samp and Pop) from
    the count and power sums (S4 of x^4...): central moments m2..m4 over n, divided as its are."""
    kinds, n, s1, s2, s3, s4 = (a.to_pylist() for a in args)
    out = []
    for kind, count, a, b, c, d in zip(kinds, n, s1, s2, s3, s4, strict=True):
        stable = kind.endswith("stable")
        sample = kind.removesuffix("stable").endswith("samp")
        if not count or count <= 1 and sample or a is None:
            out.append(math.inf if stable else math.nan)
            continue
        m2 = b - a * a / count  # the sums of (x - mean)^k
        m3 = c - 3 * b * a / count + 2 * a ** 3 / count ** 2
        m4 = d - 4 * c * a / count + 6 * b * a * a / count ** 2 - 3 * a ** 4 / count ** 3
        var = m2 / (count - 1 if sample else count)
        if kind.startswith("var"):
            out.append(var)
        elif kind.startswith("stddev"):
            out.append(math.sqrt(var) if var >= 0 else math.nan)
        elif var <= 0:
            out.append(math.nan)
        elif kind.startswith("skew"):
            out.append(m3 / count / var ** 1.5)
        else:
            out.append(m4 / count / var ** 2)
    return pa.array(out, pa.float64())


def _empty_array_to_single(args: list[pa.Array]) -> pa.Array:
    """emptyArrayToSingle(a): an empty array becomes one element, its type's default."""
    default = _default_for(args[0].type.value_type)
    return pa.array([None if a is None else a or [default] for a in args[0].to_pylist()], args[0].type)


def _array_uniq(args: list[pa.Array]) -> pa.Array:
    """arrayUniq(a[, b...]): the distinct elements of a, or distinct tuples of the arrays' elements
    at the same index (the arrays are of one length, as ClickHouse requires)."""
    out = []
    for arrays in zip(*(a.to_pylist() for a in args), strict=True):
        if any(arr is None for arr in arrays):
            out.append(None)
            continue
        if len({len(arr) for arr in arrays}) > 1:
            raise HeliosError("arrayUniq: the arrays differ in size", sqlstate="22023")
        out.append(len({repr(t) for t in zip(*arrays, strict=True)}))
    return pa.array(out, pa.int64())


def _position_in(haystack: str, needle: str, start: int, kind: str) -> int:
    """position(h, n, start) as ClickHouse counts: bytes (characters for the UTF8 forms), from
    ``start`` (below 1: 1); an empty needle is found at ``start`` while that is within h + 1."""
    h: str | bytes = haystack if kind.endswith("utf8") else haystack.encode()
    n: str | bytes = needle if kind.endswith("utf8") else needle.encode()
    if kind.startswith("ci"):  # ASCII letters only for the byte form, as ClickHouse's
        h, n = h.lower(), n.lower()
    start = max(int(start), 1)
    if not n:
        return start if start <= len(h) + 1 else 0
    return h.find(n, start - 1) + 1  # type: ignore[arg-type]  # both str or both bytes


def _position(args: list[pa.Array]) -> pa.Array:
    rows = zip(*(a.to_pylist() for a in args), strict=True)
    return pa.array([None if None in row else _position_in(*row) for row in rows], pa.int64())


_READABLE_UNITS = {
    "size": (1024.0, ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]),
    "decimal_size": (1000.0, ["B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]),
    "quantity": (1000.0, ["", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion",
                          "sextillion", "septillion"]),
}


def _readable(value: float, kind: str) -> str:
    """formatReadableSize/DecimalSize/Quantity: divided down to the largest unit it reaches, two
    decimals rounded half up from the exact binary value (as ClickHouse's ToFixed)."""
    step, units = _READABLE_UNITS[kind]
    i = 0
    while i + 1 < len(units) and abs(value) >= step:
        value /= step
        i += 1
    if math.isnan(value) or math.isinf(value):
        text = "nan" if math.isnan(value) else ("-inf" if value < 0 else "inf")
    else:
        text = str(decimal.Decimal(value).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP))
    return f"{text} {units[i]}" if units[i] else text


def _format_readable(kind: str) -> Callable[[list[pa.Array]], pa.Array]:
    def impl(args: list[pa.Array]) -> pa.Array:
        return pa.array([None if v is None else _readable(float(v), kind) for v in args[0].to_pylist()], pa.string())
    return impl


def _to_fixed_string(args: list[pa.Array]) -> pa.Array:
    out = []
    for s, n in zip(args[0].to_pylist(), args[1].to_pylist(), strict=True):
        if s is None:
            out.append(None)
            continue
        if len(s.encode()) > n:
            raise HeliosError(f"String too long for type FixedString({n})", sqlstate="22001")
        out.append(s + "\0" * (n - len(s.encode())))
    return pa.array(out, pa.string())


def _to_string(args: list[pa.Array]) -> pa.Array:
    a = args[0]
    if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):  # a FixedString's padding goes
        return pc.utf8_rtrim(a, characters="\0")
    if pa.types.is_integer(a.type):
        return pc.cast(a, pa.string())
    kind = "Float32" if pa.types.is_float32(a.type) else "Float64" if pa.types.is_floating(a.type) else \
        "UInt8" if pa.types.is_boolean(a.type) else \
        f"Decimal({a.type.precision}, {a.type.scale})" if pa.types.is_decimal(a.type) else "Int64"
    renderer = TextRenderer(kind)
    return pa.array([renderer.text(v) for v in a.to_pylist()], pa.string())


def _wrapped_ints(values: list[int | None], bits: int, signed: bool) -> pa.Array:
    """Integers reduced into a ClickHouse integer type's range the way it wraps them (mod 2^bits)."""
    mod = 1 << bits

    def wrap(v: int) -> int:
        v %= mod
        return v - mod if signed and v >= mod >> 1 else v

    return pa.array([None if v is None else wrap(v) for v in values],
                    pa.uint64() if bits == 64 and not signed else pa.int64())


def _integer(bits: int, signed: bool, on_error: str = "raise") -> Callable[[list[pa.Array]], pa.Array]:
    """to[U]IntN: wrap-around like ClickHouse; a string that is no number raises, or with
    ``on_error`` "zero"/"null" (the -OrZero/-OrNull variants) gives 0 or NULL."""
    dtype = np.dtype(f"{'i' if signed else 'u'}{bits // 8}")
    unsigned64 = bits == 64 and not signed
    out_arrow = pa.uint64() if unsigned64 else pa.int64()

    def impl(args: list[pa.Array]) -> pa.Array:
        a = args[0]
        if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
            values = []
            for s in a.to_pylist():
                if s is None:
                    values.append(None)
                    continue
                text = s.rstrip("\0").strip()
                try:
                    values.append(int(text) & ((1 << 64) - 1) if unsigned64 else int(text))
                except ValueError:
                    if on_error == "raise":
                        raise HeliosError(f"Cannot parse string '{s}' as {'' if signed else 'U'}Int{bits}",
                                          sqlstate="22P02") from None
                    values.append(0 if on_error == "zero" else None)
            a = pa.array(values, pa.uint64() if unsigned64 else pa.int64())
        if pa.types.is_decimal(a.type):  # exactly, as Python ints (a float loses UInt64's upper digits)
            return _wrapped_ints([None if v is None else int(v) for v in a.to_pylist()], bits, signed)
        if pa.types.is_floating(a.type):
            a = pc.trunc(a)
        if pa.types.is_boolean(a.type):
            a = a.cast(pa.int64())
        if pa.types.is_date(a.type):
            a = a.cast(pa.int32())
        if pa.types.is_timestamp(a.type):
            a = pc.divide(a.cast(pa.timestamp("us")).cast(pa.int64()), 1_000_000)
        mask = a.is_null().to_numpy(zero_copy_only=False)
        raw = a.fill_null(0).to_numpy(zero_copy_only=False)
        wrapped = raw.astype(np.float64).astype(np.int64) if raw.dtype.kind == "f" else raw.astype(np.int64)
        if unsigned64:  # the whole UInt64 range (stored as numeric(20,0)): -1 is 18446744073709551615
            raw = a.fill_null(0).to_numpy(zero_copy_only=False)
            if raw.dtype.kind == "f":  # 2^63 and above as they are; negatives wrap around 2^64
                floats = raw.astype(np.float64)
                with np.errstate(invalid="ignore"):
                    unsigned = np.where(floats >= 2.0 ** 63, floats.astype(np.uint64),
                                        floats.astype(np.int64).astype(np.uint64))
            else:
                unsigned = raw.astype(np.uint64)
            return pa.array(unsigned, pa.uint64(), mask=mask)
        wrapped = wrapped.astype(dtype).astype(np.int64) if bits < 64 or signed else wrapped
        return pa.array(wrapped, out_arrow, mask=mask)

    return impl


def _reverse(args: list[pa.Array]) -> pa.Array:
    """reverse(): a string's characters or an array's elements in reverse order."""
    return pa.array([None if v is None else v[::-1] for v in args[0].to_pylist()], args[0].type)


def _pg_array_text(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return "{" + ",".join(_pg_array_text(v) for v in value) + "}"
    if isinstance(value, tuple):
        raise HeliosError("a tuple inside an array read from text is not supported", sqlstate="0A000")
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _array_text(args: list[pa.Array]) -> pa.Array:
    """ClickHouse's text of an array (``[1, 2]``, ``['a', NULL]``) as PostgreSQL's (``{1,2}``), so
    that ``CAST('[1, 2]' AS Array(UInt8))`` casts it."""
    return pa.array([None if v is None else _pg_array_text(parse_array_text(v)) for v in args[0].to_pylist()],
                    pa.string())


def _int_hash64(args: list[pa.Array]) -> pa.Array:
    a = args[0]
    if not (pa.types.is_integer(a.type) or pa.types.is_decimal(a.type)):
        raise HeliosError("intHash64 is built for integer arguments only", sqlstate="42883")
    return pa.array([None if v is None else hashing.int_hash64(int(v)) for v in a.to_pylist()], pa.uint64())


def _throw_if(args: list[pa.Array]) -> pa.Array:
    """throwIf(x[, message]): 0 for each row, or error 395 at the first row where x is not zero."""
    for i, v in enumerate(args[0].to_pylist()):
        if v:
            message = args[1][i].as_py() if len(args) > 1 else None
            raise HeliosError(message or "Value passed to 'throwIf' function is non-zero", sqlstate="P0001")
    return pa.array([0] * len(args[0]), pa.int16())


def _scalar_array(args: list[pa.Array]) -> pa.Array:
    """The value of a scalar subquery of an array: no row is an error (an Array cannot be NULL)."""
    if args[0].null_count:
        raise HeliosError("Scalar subquery returned empty result of type Array which cannot be Nullable",
                          sqlstate="21000")
    return args[0]


def _tuple_field(args: list[pa.Array]) -> pa.Array:
    """ch_tuple_field(text, i, n): the i-th element's text of a tuple's text of n elements."""
    out = []
    for text, i, n in zip(*(a.to_pylist() for a in args), strict=True):
        if text is None:
            out.append(None)
            continue
        items = parse_tuple_text(text)
        if len(items) != n:
            raise HeliosError(f"Cannot parse a tuple of {n} elements from {text[:60]!r}", sqlstate="22P02")
        out.append(value_text(items[i - 1]))
    return pa.array(out, pa.string())


def _divide(args: list[pa.Array]) -> pa.Array:
    a = args[0].cast(pa.float64())
    b = args[1].cast(pa.float64())
    with np.errstate(divide="ignore", invalid="ignore"):
        mask = pc.or_(a.is_null(), b.is_null()).to_numpy(zero_copy_only=False)
        values = np.divide(a.fill_null(0).to_numpy(zero_copy_only=False), b.fill_null(1).to_numpy(zero_copy_only=False))
    return pa.array(values, pa.float64(), mask=mask)


def _int_div(args: list[pa.Array]) -> pa.Array:
    a, b = args
    if pa.types.is_integer(a.type) and pa.types.is_integer(b.type):
        if pc.any(pc.equal(b, 0)).as_py():
            raise HeliosError("Division by zero", sqlstate="22012")
        mask = pc.or_(a.is_null(), b.is_null()).to_numpy(zero_copy_only=False)
        x = a.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        y = b.fill_null(1).to_numpy(zero_copy_only=False).astype(np.int64)
        q = np.abs(x) // np.abs(y) * np.sign(x) * np.sign(y)  # truncation toward zero
        return pa.array(q, pa.int64(), mask=mask)
    out = []
    for x, y in zip(args[0].to_pylist(), args[1].to_pylist(), strict=True):
        if x is None or y is None:
            out.append(None)
        elif y == 0:
            raise HeliosError("Division by zero", sqlstate="22012")
        else:
            # truncation toward zero, as ClickHouse's integer division
            out.append(math.trunc(x / y) if isinstance(x, float) or isinstance(y, float) else
                       (x // y if (x >= 0) == (y >= 0) or x % y == 0 else -(abs(x) // abs(y))))
    return pa.array(out, pa.int64())


_EPOCH_DATE = datetime.date(1970, 1, 1)
_EPOCH = datetime.datetime(1970, 1, 1)


def _zero_date(text: str) -> bool:
    """'0000-00-00' (and '0000-00-00 00:00:00'): ClickHouse reads it as the epoch."""
    return text.strip().startswith("0000-00-00")


def _to_date(args: list[pa.Array]) -> pa.Array:
    a = args[0]
    if pa.types.is_integer(a.type) or pa.types.is_floating(a.type):
        out = []
        for v in a.to_pylist():
            if v is None:
                out.append(None)
            elif v < 65536:  # ClickHouse: small numbers are days, larger ones Unix time
                out.append(_EPOCH_DATE + datetime.timedelta(days=int(v)))
            else:
                out.append((_EPOCH + datetime.timedelta(seconds=int(v))).date())
        return pa.array(out, pa.date32())
    if pa.types.is_timestamp(a.type):
        return a.cast(pa.timestamp("us")).cast(pa.date32())
    if pa.types.is_date(a.type):
        return a.cast(pa.date32())
    values = []
    for s in a.cast(pa.string()).to_pylist():
        try:
            values.append(None if s is None else _EPOCH_DATE if _zero_date(s) else
                          datetime.datetime.strptime(s, "%Y%m%d").date() if len(s) == 8 and s.isdigit() else
                          datetime.date.fromisoformat(s.strip()[:10]))
        except ValueError:
            raise HeliosError(f"Cannot parse date: value {s!r}", sqlstate="22007") from None
    return pa.array(values, pa.date32())


def _datetime_text(s: str) -> datetime.datetime:
    """A DateTime's text as ClickHouse reads it: ISO, or digits alone (YYYYMMDD, YYYYMMDDhhmmss,
    otherwise of 9 digits and more a Unix time)."""
    if s.isascii() and s.isdigit():
        if len(s) == 8:
            return datetime.datetime.strptime(s, "%Y%m%d")
        if len(s) == 14:
            return datetime.datetime.strptime(s, "%Y%m%d%H%M%S")
        if len(s) >= 9:
            return _EPOCH + datetime.timedelta(seconds=int(s))
        raise ValueError(s)
    return datetime.datetime.fromisoformat(s.strip())


def _to_datetime(args: list[pa.Array]) -> pa.Array:
    a = args[0]
    if pa.types.is_integer(a.type) or pa.types.is_floating(a.type):
        return pa.array([None if v is None else _EPOCH + datetime.timedelta(seconds=int(v)) for v in a.to_pylist()],
                        pa.timestamp("us"))
    if pa.types.is_timestamp(a.type):
        return a.cast(pa.timestamp("us"))
    if pa.types.is_date(a.type):
        return a.cast(pa.timestamp("us"))
    values = []
    for s in a.cast(pa.string()).to_pylist():
        try:
            values.append(None if s is None else _EPOCH if _zero_date(s) else _datetime_text(s))
        except ValueError:
            raise HeliosError(f"Cannot parse DateTime: value {s!r}", sqlstate="22007") from None
    return pa.array(values, pa.timestamp("us"))


def _top_k(args: list[pa.Array]) -> pa.Array:
    out = []
    for values, k in zip(args[0].to_pylist(), args[1].to_pylist(), strict=True):
        if values is None:
            out.append([])
            continue
        counts = collections.Counter(v for v in values if v is not None)
        out.append([v for v, _ in counts.most_common(int(k))])
    return pa.array(out, args[0].type)


def _quantile_exact(args: list[pa.Array]) -> pa.Array:
    out = []
    for values, level in zip(args[0].to_pylist(), args[1].to_pylist(), strict=True):
        present = sorted(v for v in (values or []) if v is not None)
        if not present:  # of no rows: the type's default (0; nan for floats), as ClickHouse's
            value_type = args[0].type.value_type
            out.append(math.nan if pa.types.is_floating(value_type) else _default_for(value_type))
            continue
        index = min(int(level * len(present)), len(present) - 1)  # ClickHouse: the element at floor(level * n)
        out.append(present[index])
    return pa.array(out, args[0].type.value_type)


def _weighted_pairs(values: list | None, weights: list | None) -> list[list]:
    """[value, total weight] of each different value, in value order (rows with NULLs skipped)."""
    totals: dict[Any, int] = {}
    for v, w in zip(values or [], weights or [], strict=True):
        if v is not None and w is not None:
            totals[v] = totals.get(v, 0) + int(w)
    return [[v, totals[v]] for v in sorted(totals)]


def _exact_weighted(pairs: list[list], level: float) -> Any:
    """quantileExactWeighted: the first value whose running weight reaches ceil(total * level)."""
    threshold = math.ceil(sum(w for _, w in pairs) * level)
    accumulated = 0
    for value, weight in pairs:
        accumulated += weight
        if accumulated >= threshold:
            return value
    return pairs[-1][0]


def _interpolated_weighted(pairs: list[list], level: float) -> float:
    """quantileInterpolatedWeighted: each value placed at the middle of its weight on the cumulative
    distribution ((running weight - weight / 2) / total), the level interpolated between the two
    values around it (held at the first and last value outside them)."""
    total = float(sum(w for _, w in pairs))
    points, accumulated = [], 0.0
    for value, weight in pairs:
        accumulated += weight
        points.append((accumulated - 0.5 * weight) / total if total else float(weight))
    size = len(pairs)
    index = 0
    if size >= 2:
        if level >= points[size - 2]:
            index = size - 2
        else:  # the first i (from the left) with level <= points[i + 1]
            index = next((i for i in range(size - 1) if level <= points[i + 1]), 0)
    lower, upper = index, min(index + 1, size - 1)
    xl, xr = points[lower], points[upper]
    yl, yr = float(pairs[lower][0]), float(pairs[upper][0])
    if level < xl:
        yr = yl
    if level > xr:
        yl = yr
    dx = (xr - xl) or 1.0
    return yl + (yr - yl) / dx * (level - xl)


def _exact_weighted_interpolated(pairs: list[list], level: float) -> float:
    """quantileExactWeightedInterpolated: the values repeated by their weights, the level's position
    (total - 1) * level interpolated linearly between the two values around it."""
    total = sum(w for _, w in pairs)
    position = (total - 1) * level
    lower = math.floor(position)
    fraction = position - lower

    def at(i: int) -> float:
        running = 0
        for value, weight in pairs:
            running += weight
            if i < running:
                return float(value)
        return float(pairs[-1][0])

    low = at(lower)
    return low + fraction * (at(lower + 1) - low) if fraction else low


DETERMINISTIC_SAMPLE = 8192  # the values quantileDeterministic keeps before it thins its sample by the hash


def _quantile_deterministic(args: list[pa.Array]) -> pa.Array:
    """ch_quantile_deterministic(values[], level): quantileDeterministic of a group of at most 8192 values
    (all of them kept: the level interpolated between the two sorted values around (n - 1) * level, as
    ClickHouse's sampler does); past that ClickHouse keeps a sample chosen by the determinator's hash,
    which is not built here (refused with 48 rather than answered differently)."""
    out = []
    for values, level in zip(args[0].to_pylist(), args[1].to_pylist(), strict=True):
        present = sorted(float(v) for v in (values or []) if v is not None and not
                         (isinstance(v, float) and math.isnan(v)))
        if len(present) > DETERMINISTIC_SAMPLE:
            raise HeliosError(f"quantileDeterministic over more than {DETERMINISTIC_SAMPLE} values (a sample by the "
                              "determinator's hash) is not supported", sqlstate="0A000")
        if not present or level is None:
            out.append(math.nan)
            continue
        index = max(0.0, min(len(present) - 1.0, float(level) * (len(present) - 1)))
        left = int(index)
        if left + 1 >= len(present):
            out.append(present[left])
            continue
        out.append(present[left] * (left + 1 - index) + present[left + 1] * (index - left))
    return pa.array(out, pa.float64())


def weighted_quantile(pick: Callable[[list[list], float], Any], typed: bool) -> Callable[[list[pa.Array]], pa.Array]:
    """ch_quantile_*_weighted(values[], weights[], level): one group's quantile; ``typed`` results take
    the values' type (an integer's interpolation truncated, as ClickHouse casts it back), the others
    are float8. Of no rows: 0 for an integer type, nan otherwise."""
    def impl(args: list[pa.Array]) -> pa.Array:
        value_type = args[0].type.value_type
        integral = pa.types.is_integer(value_type) or pa.types.is_decimal(value_type)
        out = []
        for values, weights, level in zip(args[0].to_pylist(), args[1].to_pylist(), args[2].to_pylist(),
                                          strict=True):
            pairs = _weighted_pairs(values, weights)
            if not pairs or level is None:
                out.append(0 if typed and integral else math.nan)
                continue
            result = pick(pairs, float(level))
            if typed and integral and isinstance(result, float):
                result = int(result)
            out.append(result)
        return pa.array(out, value_type if typed else pa.float64())
    return impl


def _array_first(args: list[pa.Array]) -> pa.Array:
    return pa.array([None if not v else v[0] for v in args[0].to_pylist()], args[0].type.value_type)


def _array_last(args: list[pa.Array]) -> pa.Array:
    return pa.array([None if not v else v[-1] for v in args[0].to_pylist()], args[0].type.value_type)


def _array_extreme(pick: Callable[..., Any]) -> Callable[[list[pa.Array]], pa.Array]:
    def impl(args: list[pa.Array]) -> pa.Array:
        out = []
        for v in args[0].to_pylist():
            present = [x for x in v or [] if x is not None]
            out.append(pick(present) if present else None)
        return pa.array(out, args[0].type.value_type)
    return impl


def _array_arg_extreme(largest: bool) -> Callable[[list[pa.Array]], pa.Array]:
    """The element of the first array where the second is least (greatest): the first such."""
    def impl(args: list[pa.Array]) -> pa.Array:
        out = []
        for values, keys in zip(args[0].to_pylist(), args[1].to_pylist(), strict=True):
            best = None
            for value, key in zip(values or [], keys or [], strict=False):
                if key is not None and (best is None or (key > best[0] if largest else key < best[0])):
                    best = (key, value)
            out.append(None if best is None else best[1])
        return pa.array(out, args[0].type.value_type)
    return impl


def _array_sum(args: list[pa.Array]) -> pa.Array:
    value_type = args[0].type.value_type
    sums = [None if v is None else sum(x for x in v if x is not None) for v in args[0].to_pylist()]
    if pa.types.is_decimal(value_type):  # Array(UInt64): a UInt64, wrapped around 2^64 as ClickHouse's
        return pa.array([None if t is None else int(t) % (1 << 64) for t in sums], pa.uint64())
    return pa.array(sums, pa.float64() if pa.types.is_floating(value_type) else pa.int64())


def arrow_clickhouse_name(t: pa.DataType) -> str:
    """ClickHouse's name of the type values of Arrow type ``t`` have (what toTypeName says)."""
    simple = {pa.int8(): "Int8", pa.int16(): "Int16", pa.int32(): "Int32", pa.int64(): "Int64",
              pa.uint8(): "UInt8", pa.uint16(): "UInt16", pa.uint32(): "UInt32", pa.uint64(): "UInt64",
              pa.float32(): "Float32", pa.float64(): "Float64", pa.string(): "String", pa.large_string(): "String",
              pa.bool_(): "Bool", pa.date32(): "Date", pa.null(): "Nullable(Nothing)"}
    if t in simple:
        return simple[t]
    if pa.types.is_timestamp(t):
        return "DateTime" if t.unit == "s" else "DateTime64(6)"
    if pa.types.is_decimal(t):
        return f"Decimal({t.precision}, {t.scale})"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        if pa.types.is_boolean(t.value_type):  # conditions of a lambda: UInt8 in ClickHouse
            return "Array(UInt8)"
        return f"Array({arrow_clickhouse_name(t.value_type)})"
    if pa.types.is_struct(t):
        return "Tuple(" + ", ".join(arrow_clickhouse_name(f.type) for f in t) + ")"
    return "String"


def _type_name_of(args: list[pa.Array]) -> pa.Array:
    name = arrow_clickhouse_name(args[0].type)
    if args[0].null_count and not name.startswith(("Nullable", "Array", "Tuple")):
        name = f"Nullable({name})"
    return pa.array([name] * len(args[0]), pa.string())


def _same(types: list[str]) -> str:
    return types[0]


def _sum_type(types: list[str]) -> str:
    element = _element_type(types)
    if element.startswith("numeric"):
        return "numeric(20,0)"
    return "double precision" if element in ("real", "double precision") else "bigint"


def _float_math(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[list[pa.Array]], pa.Array]:
    """A Float64 function as ClickHouse computes it: IEEE answers (log(0) is -inf, log(-1) nan)
    where PostgreSQL's numeric functions raise."""
    def impl(args: list[pa.Array]) -> pa.Array:
        a = args[0]
        x = pc.cast(a, pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False)
        with np.errstate(all="ignore"):
            y = fn(x)
        return pa.array(y, pa.float64(), mask=a.is_null().to_numpy(zero_copy_only=False) if a.null_count else None)
    return impl


def _hypot(args: list[pa.Array]) -> pa.Array:
    x, y = (pc.cast(a, pa.float64()) for a in args)
    return pa.array(np.hypot(x.fill_null(0.0).to_numpy(zero_copy_only=False), y.fill_null(0.0).to_numpy(
        zero_copy_only=False)), pa.float64(), mask=pc.or_(x.is_null(), y.is_null()).to_numpy(zero_copy_only=False))


_EARTH_RADIUS = 6371007.180918475  # metres: the sphere of ClickHouse's greatCircleDistance


def _great_circle(in_degrees: bool) -> Callable[[list[pa.Array]], pa.Array]:
    """greatCircleDistance(lon1, lat1, lon2, lat2): metres along the sphere (haversine);
    greatCircleAngle: the same arc in degrees."""
    def impl(args: list[pa.Array]) -> pa.Array:
        columns = [pc.cast(a, pa.float64()) for a in args]
        mask = columns[0].is_null()
        for c in columns[1:]:
            mask = pc.or_(mask, c.is_null())
        lon1, lat1, lon2, lat2 = (np.radians(c.fill_null(0.0).to_numpy(zero_copy_only=False)) for c in columns)
        h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        arc = 2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        return pa.array(np.degrees(arc) if in_degrees else arc * _EARTH_RADIUS, pa.float64(),
                        mask=mask.to_numpy(zero_copy_only=False))
    return impl


FUNCTIONS = [
    SqlFunction(name="ch_great_circle_distance", impl=_great_circle(False), return_type="double precision"),
    SqlFunction(name="ch_great_circle_angle", impl=_great_circle(True), return_type="double precision"),
    SqlFunction(name="ch_ascii_lower", impl=lambda a: pc.ascii_lower(a[0]), return_type="text"),
    SqlFunction(name="ch_ascii_upper", impl=lambda a: pc.ascii_upper(a[0]), return_type="text"),
    SqlFunction(name="ch_ln", impl=_float_math(np.log), return_type="double precision"),
    SqlFunction(name="ch_log2", impl=_float_math(np.log2), return_type="double precision"),
    SqlFunction(name="ch_log10", impl=_float_math(np.log10), return_type="double precision"),
    SqlFunction(name="ch_log1p", impl=_float_math(np.log1p), return_type="double precision"),
    SqlFunction(name="ch_hypot", impl=_hypot, return_type="double precision"),
    SqlFunction(name="clickhouse_type_name", impl=_type_names, return_type="text", arg_types=["text", "boolean"]),
    SqlFunction(name="ch_declared_type", impl=_declared_types, return_type="text",
                arg_types=["text", "text", "boolean"], strict=False),
    SqlFunction(name="ch_array_element", impl=_array_element, return_type=_element_type),
    SqlFunction(name="ch_type_name", impl=_type_name_of, return_type="text", strict=False),
    SqlFunction(name="ch_length", impl=_length, return_type="bigint"),
    SqlFunction(name="ch_type_hint", impl=lambda args: args[0].cast(pa.string()), return_type="text", strict=False),
    SqlFunction(name="ch_bool", impl=_truth, return_type="boolean", strict=False),
    SqlFunction(name="ch_empty", impl=_empty, return_type="boolean"),
    SqlFunction(name="ch_not_empty", impl=_not_empty, return_type="boolean"),
    SqlFunction(name="ch_array_enumerate", impl=_per_array(lambda v: list(range(1, len(v) + 1)),
                                                           pa.list_(pa.int64())), return_type="bigint[]"),
    SqlFunction(name="ch_array_enumerate_uniq", impl=_enumerate_uniq_arrays, return_type="bigint[]"),
    SqlFunction(name="ch_int_hash32", impl=_int_hash32, return_type="bigint"),
    SqlFunction(name="ch_moment", impl=_moment, return_type="double precision", strict=False),
    SqlFunction(name="ch_empty_array_to_single", impl=_empty_array_to_single, return_type=lambda t: t[0]),
    SqlFunction(name="ch_array_uniq", impl=_array_uniq,
                return_type="bigint"),
    SqlFunction(name="ch_index_of", impl=_index_of, return_type="bigint", strict=False),
    SqlFunction(name="ch_count_equal", impl=_count_equal, return_type="bigint", strict=False),
    SqlFunction(name="ch_range", impl=_range, return_type="bigint[]"),
    SqlFunction(name="ch_replicate", impl=_replicate, return_type=lambda t: t[0] + "[]", strict=False),
    SqlFunction(name="ch_reinterpret_as_string", impl=_reinterpret_as_string, return_type="text"),
    SqlFunction(name="ch_position", impl=_position, return_type="bigint"),
    *(SqlFunction(name=f"ch_format_readable_{kind}", impl=_format_readable(kind), return_type="text")
      for kind in _READABLE_UNITS),
    SqlFunction(name="ch_reinterpret_as_int", impl=_reinterpret_as_number("int"), return_type="bigint"),
    SqlFunction(name="ch_reinterpret_as_uint64", impl=_reinterpret_as_number("uint64"), return_type="numeric(20,0)"),
    SqlFunction(name="ch_reinterpret_as_float", impl=_reinterpret_as_number("float"), return_type="double precision"),
    SqlFunction(name="ch_to_fixed_string", impl=_to_fixed_string, return_type="text"),
    SqlFunction(name="ch_to_string", impl=_to_string, return_type="text"),
    SqlFunction(name="ch_divide", impl=_divide, return_type="double precision"),
    SqlFunction(name="ch_int_div", impl=_int_div, return_type="bigint"),
    SqlFunction(name="ch_to_date", impl=_to_date, return_type="date"),
    SqlFunction(name="ch_to_datetime", impl=_to_datetime, return_type="timestamp"),
    SqlFunction(name="ch_top_k", impl=_top_k, return_type=_same),
    SqlFunction(name="ch_quantile_exact", impl=_quantile_exact, return_type=_element_type),
    SqlFunction(name="ch_quantile_deterministic", impl=_quantile_deterministic, return_type="double precision"),
    SqlFunction(name="ch_quantile_exact_weighted", impl=weighted_quantile(_exact_weighted, True),
                return_type=_element_type),
    SqlFunction(name="ch_quantile_interpolated_weighted", impl=weighted_quantile(_interpolated_weighted, True),
                return_type=_element_type),
    SqlFunction(name="ch_quantile_exact_weighted_interpolated",
                impl=weighted_quantile(_exact_weighted_interpolated, False), return_type="double precision"),
    SqlFunction(name="ch_array_first", impl=_array_first, return_type=_element_type),
    SqlFunction(name="ch_array_last", impl=_array_last, return_type=_element_type),
    SqlFunction(name="ch_array_sum", impl=_array_sum, return_type=_sum_type),
    SqlFunction(name="ch_array_min", impl=_array_extreme(min), return_type=_element_type),
    SqlFunction(name="ch_array_max", impl=_array_extreme(max), return_type=_element_type),
    SqlFunction(name="ch_array_arg_min", impl=_array_arg_extreme(False), return_type=_element_type),
    SqlFunction(name="ch_array_arg_max", impl=_array_arg_extreme(True), return_type=_element_type),
    *[SqlFunction(name=f"ch_to{'' if signed else 'u'}int{bits}{suffix}", impl=_integer(bits, signed, on_error),
                  return_type="numeric(20,0)" if bits == 64 and not signed else "bigint", strict=on_error != "null")
      for bits in (8, 16, 32, 64) for signed in (True, False)
      for suffix, on_error in (("", "raise"), ("_or_zero", "zero"), ("_or_null", "null"))],
    SqlFunction(name="ch_reverse", impl=_reverse, return_type=_same),
    # an array a lambda gets as its element (typed by the kernel as the element of a flat array)
    SqlFunction(name="ch_as_array", impl=lambda a: a[0],
                return_type=lambda t: t[0] if t[0].endswith("[]") else t[0] + "[]", strict=False),
    SqlFunction(name="ch_tuple_field", impl=_tuple_field, return_type="text", strict=False),
    SqlFunction(name="ch_scalar_array", impl=_scalar_array, return_type=lambda t: t[0], strict=False),
    SqlFunction(name="ch_throw_if", impl=_throw_if, return_type="smallint", strict=False, volatile=True),
    SqlFunction(name="ch_city_hash64", impl=hashing.city_hash64, return_type="numeric(20,0)"),
    SqlFunction(name="ch_int_hash64", impl=_int_hash64, return_type="numeric(20,0)"),
    SqlFunction(name="ch_array_text", impl=_array_text, return_type="text"),
]
