"""ClickHouse's array, rounding, bit and string functions the shared library lacks, over Arrow arrays.

Each works row by row on Python values where ClickHouse's rules (element order, negative
offsets, half-to-even rounding, byte offsets in strings) are simplest said that way; the
dialect's rewrites (``rewrites/functions.py``) call them as ``ch_*``.
"""

from __future__ import annotations

import base64
import calendar
import datetime
import math
import re
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_protocol_clickhouse.formats.values import TextRenderer
from helios_protocol_clickhouse.sql_functions import arrow_clickhouse_name


def _rows(args: list[pa.Array]) -> list[tuple]:
    return list(zip(*[a.to_pylist() for a in args], strict=True))


def _element_type(types: list[str]) -> str:
    return types[0][:-2] if types[0].endswith("[]") else "text"


def _same(types: list[str]) -> str:
    return types[0]


def _row_wise(fn: Callable[..., Any], out: Callable[[list[pa.Array]], pa.DataType]) -> Callable[[list[pa.Array]], pa.Array]:
    """A function of one row's values (NULL in any argument: NULL out) over whole columns."""
    def impl(args: list[pa.Array]) -> pa.Array:
        return pa.array([None if any(v is None for v in row) else fn(*row) for row in _rows(args)], out(args))
    return impl


def _first_type(args: list[pa.Array]) -> pa.DataType:
    return args[0].type


def _element_of_first(args: list[pa.Array]) -> pa.DataType:
    return args[0].type.value_type


def _sort_key(v: Any) -> tuple:
    """ClickHouse orders NaN after numbers and NULL last."""
    if v is None:
        return (2, 0)
    if isinstance(v, float) and math.isnan(v):
        return (1, 0)
    return (0, v)


def _sorted(values: list, keys: list | None = None, descending: bool = False) -> list:
    """Stable sort by ``keys`` (the values themselves by default); NaN and NULL last either way."""
    keys = values if keys is None else keys
    if descending:
        order = sorted(range(len(values)), key=lambda i: (_sort_key(keys[i])[0], _backwards(keys[i]), i))
    else:
        order = sorted(range(len(values)), key=lambda i: _sort_key(keys[i]))
    return [values[i] for i in order]


def _backwards(v: Any) -> Any:
    if v is None or isinstance(v, float) and math.isnan(v):
        return 0
    return -v if isinstance(v, int | float) else _Reversed(v)


class _Reversed:
    """Orders values of any comparable kind backwards."""

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Reversed) -> bool:
        return other.v < self.v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.v == self.v


def _array_sort(args: list[pa.Array]) -> pa.Array:
    """arraySort(arr [, keys], descending)."""
    descending = bool(args[-1][0].as_py()) if len(args[-1]) else False
    data = args[:-1]
    rows = _rows(data)
    out = []
    for row in rows:
        if row[0] is None:
            out.append(None)
            continue
        out.append(_sorted(row[0], row[1] if len(row) > 1 and row[1] is not None else None, descending))
    return pa.array(out, data[0].type)


def _slice(arr: list, offset: int, length: int | None = None) -> list:
    """arraySlice: 1-based offset, negative from the end; a negative length leaves that many off the end."""
    n = len(arr)
    if offset == 0:
        return []
    start = offset - 1 if offset > 0 else max(n + offset, 0)
    if start >= n:
        return []
    if length is None:
        return arr[start:]
    end = start + length if length >= 0 else n + length
    return arr[start:max(end, start)]


def _array_slice(args: list[pa.Array]) -> pa.Array:
    rows = _rows(args)
    return pa.array([None if r[0] is None else _slice(r[0], r[1], r[2] if len(r) > 2 else None) for r in rows],
                    args[0].type)


def _distinct(arr: list) -> list:
    seen: list = []
    for v in arr:
        if v is not None and v not in seen:
            seen.append(v)
    return seen


def _cum_sum(arr: list) -> list:
    total, out = 0, []
    for v in arr:
        total += v or 0
        out.append(total)
    return out


def _sum_type(types: list[str]) -> str:
    element = _element_type(types)
    return "double precision" if element in ("real", "double precision") else "bigint"


def _sum_arrow(args: list[pa.Array]) -> pa.DataType:
    t = args[0].type.value_type
    return pa.float64() if pa.types.is_floating(t) or pa.types.is_decimal(t) else pa.int64()


def _product(arr: list) -> float:
    out = 1.0
    for v in arr:
        out *= float(v or 0)
    return out


def _avg(arr: list) -> float:
    values = [float(v) for v in arr if v is not None]
    return sum(values) / len(values) if values else math.nan


def _reduce_one(name: str, arr: list) -> Any:
    values = [v for v in arr if v is not None]
    fn = name.lower()
    if fn == "sum":
        return sum(values)
    if fn in ("min", "max"):
        return (min if fn == "min" else max)(values) if values else 0
    if fn == "avg":
        return _avg(values)
    if fn in ("uniq", "uniqexact", "count"):
        return len(set(values)) if fn != "count" else len(values)
    if fn in ("any",):
        return values[0] if values else 0
    if fn == "grouparray":
        return values
    raise HeliosError(f"arrayReduce with the aggregate {name} is not supported", sqlstate="0A000")


def _array_reduce(args: list[pa.Array]) -> pa.Array:
    out = [None if r[1] is None else _reduce_one(r[0], r[1]) for r in _rows(args)]
    name = (args[0][0].as_py() or "").lower() if len(args[0]) else ""
    if name == "avg":
        return pa.array(out, pa.float64())
    if name in ("uniq", "uniqexact", "count"):
        return pa.array(out, pa.uint64())
    if name == "sum":
        return pa.array(out, _sum_arrow([args[1]]))
    return pa.array(out, args[1].type.value_type)


def _reduce_type(types: list[str]) -> str:
    return types[1][:-2] if types[1].endswith("[]") else "double precision"


def _round_integer(x: Any, digits: int, half_even: bool) -> Any:
    """An integer (a UInt64 comes as a whole decimal) rounded to 10^-digits: ties away from zero
    (round) or to the even multiple (roundBankers)."""
    if digits >= 0:
        return x
    step = 10 ** -digits
    q, r = divmod(abs(int(x)), step)
    if 2 * r > step or 2 * r == step and (not half_even or q % 2 == 1):
        q += 1
    out = q * step * (1 if x >= 0 else -1)
    return type(x)(out)


def _round_half_even(x: Any, digits: int, bankers: bool = False) -> Any:
    """ClickHouse's round(): half to even for floats (as nearbyint), half away from zero for integers
    (roundBankers: half to even for both)."""
    if bankers and not isinstance(x, float) and (isinstance(x, int) or x == x.to_integral_value()):
        return _round_integer(x, digits, half_even=True)
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return x
        return float(np.round(x, digits)) if digits >= 0 else float(np.round(x / 10 ** -digits) * 10 ** -digits)
    if isinstance(x, int):
        if digits >= 0:
            return x
        step = 10 ** -digits
        q, r = divmod(abs(x), step)
        q += 1 if 2 * r >= step else 0
        return (q * step) * (1 if x >= 0 else -1)
    return round(x, digits)


def _floor_to(x: Any, digits: int, how: Callable[[float], float]) -> Any:
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return x
    scale = 10.0 ** digits
    value = how(x * scale) / scale if digits >= 0 else how(x / 10.0 ** -digits) * 10.0 ** -digits
    return type(x)(value) if isinstance(x, int) else float(value)


def _rounding(kind: str) -> Callable[[list[pa.Array]], pa.Array]:
    how = {"floor": math.floor, "ceil": math.ceil, "trunc": math.trunc}.get(kind)

    def one(x: Any, digits: int = 0) -> Any:
        if kind in ("round", "round_bankers"):
            return _round_half_even(x, digits, bankers=kind == "round_bankers")
        return _floor_to(x, digits, how)

    def impl(args: list[pa.Array]) -> pa.Array:
        try:
            if how is not None and pa.types.is_floating(args[0].type):
                return _float_floor_to(args, {"floor": np.floor, "ceil": np.ceil, "trunc": np.trunc}[kind])
            return pa.array([None if any(v is None for v in row) else one(*row) for row in _rows(args)],
                            args[0].type)
        except OverflowError:  # a scale such as -54212: ClickHouse's ARGUMENT_OUT_OF_BOUND
            raise HeliosError(f"{kind}: the scale argument is out of bounds", sqlstate="22003") from None

    return impl


def _float_floor_to(args: list[pa.Array], how: Callable[[Any], Any]) -> pa.Array:
    """floor/ceil/trunc(x, digits) of floats computed in x's own width (a Float32 scaled in float32,
    so -0.9 * 10 is -9 as ClickHouse has it) and keeping a negative zero (ceil(-9, -1) is -0)."""
    dtype = np.float32 if pa.types.is_float32(args[0].type) else np.float64
    values = args[0].to_pylist()
    digits = args[1].to_pylist() if len(args) > 1 else [0] * len(values)
    out = []
    for x, d in zip(values, digits, strict=True):
        if x is None or d is None:
            out.append(None)
            continue
        v, scale = dtype(x), dtype(10.0 ** abs(int(d)))
        out.append(float(how(v * scale) / scale if d >= 0 else how(v / scale) * scale))
    return pa.array(out, args[0].type)


def _round_to_exp2(x: Any) -> Any:
    if x <= 0 and not isinstance(x, float):
        return 0
    if isinstance(x, float):  # the power of two at or below |x|, with x's sign
        return math.copysign(2.0 ** math.floor(math.log2(abs(x))), x) if x else 0.0
    return 1 << (int(x).bit_length() - 1)


def _is_finite(args: list[pa.Array]) -> pa.Array:
    return pa.array([None if v is None else math.isfinite(float(v)) for v in args[0].to_pylist()], pa.bool_())


def _has_any(a: list, b: list) -> bool:
    return any(x in a for x in b)


def _has_all(a: list, b: list) -> bool:
    return all(x in a for x in b)


def _visible_width(args: list[pa.Array]) -> pa.Array:
    """The number of characters a value takes in text output (strings: their code points)."""
    a = args[0]
    if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
        return pa.array([4 if v is None else len(v) for v in a.to_pylist()], pa.uint64())
    renderer = TextRenderer(_ch_name(a.type))
    return pa.array([4 if v is None else len(renderer.text(v) or "") for v in a.to_pylist()], pa.uint64())


def _ch_name(t: pa.DataType) -> str:
    return arrow_clickhouse_name(t)


def _substring(s: str, offset: int, length: int | None = None) -> str:
    """substring on bytes, 1-based; a negative offset counts from the end, a negative length
    leaves that many bytes off the end."""
    raw = s.encode()
    n = len(raw)
    if offset == 0:
        return ""
    start = offset - 1 if offset > 0 else max(n + offset, 0)
    if length is None:
        piece = raw[start:]
    elif length >= 0:
        piece = raw[start:start + length]
    else:
        piece = raw[start:max(n + length, start)]
    return piece.decode("utf-8", "replace")


def _substring_impl(args: list[pa.Array]) -> pa.Array:
    return pa.array([None if any(v is None for v in r) else _substring(*r) for r in _rows(args)], pa.string())


def _format(pattern: str, *values: Any) -> str:
    """format('{} {}', a, b): ``{}`` in order, ``{0}`` by position, ``{{``/``}}`` literal braces."""
    out, i, auto = [], 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch in "{}" and pattern[i:i + 2] in ("{{", "}}"):
            out.append(ch)
            i += 2
            continue
        if ch == "{":
            end = pattern.index("}", i)
            field = pattern[i + 1:end]
            index = int(field) if field else auto
            auto += 1
            out.append(str(values[index]))
            i = end + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _format_impl(args: list[pa.Array]) -> pa.Array:
    texts = [a if pa.types.is_string(a.type) else _as_text(a) for a in args]
    return pa.array([None if any(v is None for v in r) else _format(*r) for r in _rows(texts)], pa.string())


def _as_text(a: pa.Array) -> pa.Array:
    renderer = TextRenderer(_ch_name(a.type))
    return pa.array([renderer.text(v) for v in a.to_pylist()], pa.string())


def _replace_one(s: str, pattern: str, replacement: str) -> str:
    return s.replace(pattern, replacement, 1) if pattern else s


def _bit_not(args: list[pa.Array]) -> pa.Array:
    """bitNot in the argument's width: ``bits`` (8..64) and ``signed`` say it."""
    bits, signed = args[1][0].as_py(), args[2][0].as_py()
    mask = (1 << bits) - 1
    out = []
    for v in args[0].to_pylist():
        if v is None:
            out.append(None)
            continue
        r = ~int(v) & mask
        if signed and r >= 1 << (bits - 1):
            r -= 1 << bits
        out.append(r)
    return pa.array(out, pa.uint64() if bits == 64 and not signed else pa.int64())


def _bit_not_type(types: list[str]) -> str:
    return "bigint"


def _shift(left: bool) -> Callable[[list[pa.Array]], pa.Array]:
    def one(x: int, n: int) -> int:
        return (int(x) << n) & ((1 << 64) - 1) if left else int(x) >> n
    return _row_wise(one, lambda args: pa.int64())


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _format_field(t: Any, spec: str) -> str:
    """One ``%x`` of ClickHouse's formatDateTime (MySQL-style; %M is the month's name, %i minutes)."""
    is_time = hasattr(t, "hour")
    hour, minute, second = (t.hour, t.minute, t.second) if is_time else (0, 0, 0)
    fields = {
        "Y": f"{t.year:04d}", "y": f"{t.year % 100:02d}", "C": f"{t.year // 100:02d}", "m": f"{t.month:02d}",
        "d": f"{t.day:02d}", "e": f"{t.day:2d}", "H": f"{hour:02d}", "k": f"{hour:2d}",
        "I": f"{(hour % 12) or 12:02d}", "h": f"{(hour % 12) or 12:02d}", "l": f"{(hour % 12) or 12:2d}",
        "i": f"{minute:02d}", "S": f"{second:02d}", "s": f"{second:02d}", "p": "AM" if hour < 12 else "PM",
        "M": _MONTHS[t.month - 1], "B": _MONTHS[t.month - 1], "b": _MONTHS[t.month - 1][:3],
        "W": _DAYS[t.weekday()], "a": _DAYS[t.weekday()][:3], "u": str(t.weekday() + 1),
        "w": str((t.weekday() + 1) % 7), "j": f"{t.timetuple().tm_yday:03d}",
        "F": f"{t.year:04d}-{t.month:02d}-{t.day:02d}", "D": f"{t.month:02d}/{t.day:02d}/{t.year % 100:02d}",
        "T": f"{hour:02d}:{minute:02d}:{second:02d}", "R": f"{hour:02d}:{minute:02d}", "r": "",
        "V": f"{t.isocalendar()[1]:02d}", "G": f"{t.isocalendar()[0]:04d}", "g": f"{t.isocalendar()[0] % 100:02d}",
        "Q": str((t.month - 1) // 3 + 1), "n": "\n", "t": "\t", "%": "%", "f": f"{getattr(t, 'microsecond', 0):06d}",
    }
    if spec == "r":
        return f"{fields['h']}:{fields['i']} {fields['p']}"
    if spec not in fields:
        raise HeliosError(f"Invalid format string for formatDateTime: %{spec} is not supported", sqlstate="22023")
    return fields[spec]


def _format_datetime(t: Any, pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "%" and i + 1 < len(pattern):
            out.append(_format_field(t, pattern[i + 1]))
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def _to_float_or(args: list[pa.Array]) -> pa.Array:
    """toFloat64OrZero / OrNull: text that is no number gives 0 or NULL."""
    zero = bool(args[1][0].as_py()) if len(args[1]) else True
    out = []
    for v in args[0].to_pylist():
        if v is None or isinstance(v, int | float):
            out.append(None if v is None else float(v))
            continue
        try:
            out.append(float(str(v).strip()))
        except ValueError:
            out.append(0.0 if zero else None)
    return pa.array(out, pa.float64())


def _nested_array(args: list[pa.Array]) -> pa.Array:
    """[[1, 2], [3]]: an array of arrays, which (unlike PostgreSQL's) need not be rectangular."""
    types = {a.type for a in args}
    if len(types) > 1:  # an empty [] (text[] to the kernel) takes the type of the others
        types = {a.type for a in args if not _all_empty(a)} or \
            {t for t in types if not _untyped_list(t)} or types
    element = next(iter(types)) if len(types) == 1 else _widest_list(types)
    columns = [a if a.type == element else a.cast(element) for a in args]
    rows = [list(r) for r in _rows(columns)]
    return pa.array(rows, pa.list_(element))


def _untyped_list(t: pa.DataType) -> bool:
    return pa.types.is_null(t) or pa.types.is_list(t) and (pa.types.is_null(t.value_type) or
                                                           pa.types.is_string(t.value_type))


def _all_empty(a: pa.Array) -> bool:
    return (pa.types.is_list(a.type) or pa.types.is_null(a.type)) and all(not v for v in a.to_pylist())


def _widest_list(types: set[pa.DataType]) -> pa.DataType:
    leaves = {t.value_type for t in types if pa.types.is_list(t)}
    if leaves and all(pa.types.is_integer(t) for t in leaves):
        return pa.list_(pa.int64())
    if leaves and all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in leaves):
        return pa.list_(pa.float64())
    raise HeliosError("There is no supertype for the arrays of an array", sqlstate="42804")


def _match(s: str, pattern: str) -> bool:
    return re.search(pattern, s) is not None


def _extract(s: str, pattern: str) -> str:
    """The first match (its first group when the pattern has one), '' when there is none."""
    m = re.search(pattern, s)
    if m is None:
        return ""
    return m.group(1) if m.re.groups else m.group(0)


def _replace_regexp(all_: bool) -> Callable[[str, str, str], str]:
    """replaceRegexpOne/All: ``\\N`` in the replacement is the N-th group (``\\0`` the whole match)."""
    def one(s: str, pattern: str, replacement: str) -> str:
        def expand(m: re.Match) -> str:
            return re.sub(r"\\(\d)", lambda g: m.group(int(g.group(1))) or "", replacement)
        return re.sub(pattern, expand, s, count=0 if all_ else 1)
    return one


def _add_months(t: Any, months: int) -> Any:
    """t plus whole months; a day past the new month's end becomes its last day (Jan 31 + 1 month = Feb 29)."""
    total = t.year * 12 + t.month - 1 + months
    year, month = divmod(total, 12)
    day = min(t.day, calendar.monthrange(year, month + 1)[1])
    return t.replace(year=year, month=month + 1, day=day)


_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def _add_interval(t: Any, n: int, unit: str) -> Any:
    if unit in ("month", "quarter", "year"):
        return _add_months(t, int(n) * {"month": 1, "quarter": 3, "year": 12}[unit])
    delta = datetime.timedelta(seconds=int(n) * _UNIT_SECONDS[unit])
    if isinstance(t, datetime.datetime):
        return t + delta
    return t + datetime.timedelta(days=delta.days)


def _add_interval_impl(args: list[pa.Array]) -> pa.Array:
    return pa.array([None if any(v is None for v in r) else _add_interval(*r) for r in _rows(args)], args[0].type)


def _hex(v: Any) -> str:
    if isinstance(v, str):
        return v.encode().hex().upper()
    if isinstance(v, float):
        return struct_hex(v)
    n = int(v)
    if n < 0:
        n &= (1 << 64) - 1
    text = f"{n:X}"
    return text if len(text) % 2 == 0 else "0" + text


def struct_hex(v: float) -> str:
    return struct.pack("<d", v).hex().upper()


def _bin(v: Any) -> str:
    if isinstance(v, str):
        return "".join(f"{b:08b}" for b in v.encode())
    n = int(v) & ((1 << 64) - 1)
    width = max(8, (n.bit_length() + 7) // 8 * 8)
    return f"{n:0{width}b}"


def _unhex(s: str) -> str:
    text = s if len(s) % 2 == 0 else "0" + s
    return bytes.fromhex(text).decode("utf-8", "replace")


def _resize(args: list[pa.Array]) -> pa.Array:
    """arrayResize(arr, n [, fill]): cut or padded (with fill, else the element type's default)."""
    element = args[0].type.value_type
    default = 0 if pa.types.is_integer(element) or pa.types.is_floating(element) or pa.types.is_decimal(element) \
        else "" if pa.types.is_string(element) else datetime.date(1970, 1, 1) if pa.types.is_date(element) \
        else datetime.datetime(1970, 1, 1) if pa.types.is_timestamp(element) else None
    out = []
    for row in _rows(args):
        arr, n = row[0], row[1]
        if arr is None or n is None:
            out.append(None)
            continue
        fill = row[2] if len(row) > 2 else default
        out.append(arr[:n] + [fill] * (n - len(arr)) if n >= 0 else arr[n:] if -n <= len(arr)
                   else [fill] * (-n - len(arr)) + arr)
    return pa.array(out, args[0].type)


_MATH = {"erf": math.erf, "erfc": math.erfc, "lgamma": math.lgamma, "gamma": math.gamma}


def _math(name: str, x: Any) -> float:
    try:
        return _MATH[name](float(x))
    except OverflowError:
        return math.inf
    except ValueError:  # the poles of (l)gamma: +inf at 0, nan at the negative integers (as ClickHouse)
        return math.nan if name == "erf" or float(x) < 0 else math.inf


def _fmod(a: Any, b: Any) -> float:
    return math.fmod(float(a), float(b)) if float(b) != 0 else math.nan


def _enumerate_dense(values: list) -> list[int]:
    """arrayEnumerateDense: each element's number in the order its value first appears."""
    seen: dict[str, int] = {}
    return [seen.setdefault(repr(v), len(seen) + 1) for v in values]


def _compact(values: list) -> list:
    """arrayCompact: runs of equal neighbours kept once."""
    return [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]


def _intersect(first: list, *others: list) -> list:
    """arrayIntersect: the distinct elements of the first array that every other one holds."""
    out: list = []
    for v in first:
        if v not in out and all(v in o for o in others):
            out.append(v)
    return out


def _element_default(t: pa.DataType) -> Any:
    """The default value of an array's element type (ClickHouse's LEFT ARRAY JOIN of an empty array)."""
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return []
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return ""
    if pa.types.is_boolean(t):
        return False
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return 0
    if pa.types.is_date(t):
        return datetime.date(1970, 1, 1)
    if pa.types.is_timestamp(t):
        return datetime.datetime(1970, 1, 1)
    return None


def _left_array(args: list[pa.Array]) -> pa.Array:
    """An empty (or NULL) array as one element of the element type's default: LEFT ARRAY JOIN keeps
    the row, in its place, with that default."""
    a = args[0]
    default = _element_default(a.type.value_type) if pa.types.is_list(a.type) or pa.types.is_large_list(a.type) \
        else None
    return pa.array([v if v else [default] for v in a.to_pylist()], a.type)


def _difference(values: list) -> list:
    """arrayDifference: 0, then each element minus the one before."""
    return [0 if i == 0 else v - values[i - 1] for i, v in enumerate(values)]


def _count_substrings(haystack: str, needle: str) -> int:
    """countSubstrings: occurrences that do not overlap (an empty needle: none)."""
    return haystack.encode().count(needle.encode()) if needle else 0


def _to_enum(args: list[pa.Array]) -> pa.Array:
    """CAST(x AS Enum8(...)): a label the Enum has stays, a number becomes its label; anything
    else is 691 (UNKNOWN_ELEMENT_OF_ENUM)."""
    out = []
    for value, labels, numbers in _rows(args):
        if value is None:
            out.append(None)
        elif isinstance(value, str):
            if value not in labels:
                raise HeliosError(f"Unknown element '{value}' for enum", sqlstate="22023")
            out.append(value)
        else:
            by_number = dict(zip(numbers, labels, strict=True))
            if int(value) not in by_number:
                raise HeliosError(f"Unexpected value {value} in enum", sqlstate="22023")
            out.append(by_number[int(value)])
    return pa.array(out, pa.string())


FUNCTIONS = [
    SqlFunction(name="ch_array_with_constant", impl=_row_wise(lambda n, x: [x] * max(int(n), 0),
                                                              lambda a: pa.list_(a[1].type)),
                return_type=lambda t: t[1] + "[]"),
    SqlFunction(name="ch_array_enumerate_dense", impl=_row_wise(_enumerate_dense, lambda a: pa.list_(pa.int64())),
                return_type="bigint[]"),
    SqlFunction(name="ch_array_intersect", impl=_row_wise(_intersect, _first_type), return_type=_same),
    SqlFunction(name="ch_left_array", impl=_left_array, return_type=_same),
    SqlFunction(name="ch_array_compact", impl=_row_wise(_compact, _first_type), return_type=_same),
    SqlFunction(name="ch_array_difference", impl=_row_wise(_difference, _first_type), return_type=_same),
    SqlFunction(name="ch_count_substrings", impl=_row_wise(_count_substrings, lambda a: pa.int64()),
                return_type="bigint"),
    SqlFunction(name="ch_split_by_whitespace", impl=_row_wise(str.split, lambda a: pa.list_(pa.string())),
                return_type="text[]"),
    SqlFunction(name="ch_base64_encode", impl=_row_wise(lambda x: base64.b64encode(x.encode()).decode(),
                                                        lambda a: pa.string()), return_type="text"),
    SqlFunction(name="ch_base64_decode", impl=_row_wise(lambda x: base64.b64decode(x).decode("utf-8", "replace"),
                                                        lambda a: pa.string()), return_type="text"),
    SqlFunction(name="ch_bit_count", impl=_row_wise(lambda x: (int(x) & 0xFFFFFFFFFFFFFFFF).bit_count(),
                                                    lambda a: pa.int64()), return_type="bigint"),
    SqlFunction(name="ch_bit_test", impl=_row_wise(lambda x, i: (int(x) >> int(i)) & 1, lambda a: pa.int64()),
                return_type="bigint"),
    SqlFunction(name="ch_to_enum", impl=_to_enum, return_type="text", strict=False),
    SqlFunction(name="ch_math", impl=_row_wise(_math, lambda a: pa.float64()), return_type="double precision"),
    SqlFunction(name="ch_match", impl=_row_wise(_match, lambda a: pa.bool_()), return_type="boolean"),
    SqlFunction(name="ch_extract", impl=_row_wise(_extract, lambda a: pa.string()), return_type="text"),
    SqlFunction(name="ch_replace_regexp_one", impl=_row_wise(_replace_regexp(False), lambda a: pa.string()),
                return_type="text"),
    SqlFunction(name="ch_replace_regexp_all", impl=_row_wise(_replace_regexp(True), lambda a: pa.string()),
                return_type="text"),
    SqlFunction(name="ch_add_interval", impl=_add_interval_impl, return_type=_same, strict=False),
    SqlFunction(name="ch_hex", impl=_row_wise(_hex, lambda a: pa.string()), return_type="text"),
    SqlFunction(name="ch_bin", impl=_row_wise(_bin, lambda a: pa.string()), return_type="text"),
    SqlFunction(name="ch_unhex", impl=_row_wise(_unhex, lambda a: pa.string()), return_type="text"),
    SqlFunction(name="ch_alpha_tokens", impl=_row_wise(lambda s: re.findall("[A-Za-z]+", s),
                                                       lambda a: pa.list_(pa.string())), return_type="text[]"),
    SqlFunction(name="ch_array_resize", impl=_resize, return_type=_same, strict=False),
    SqlFunction(name="ch_cbrt", impl=_row_wise(lambda x: float(np.cbrt(float(x))), lambda a: pa.float64()),
                return_type="double precision"),
    SqlFunction(name="ch_gcd", impl=_row_wise(math.gcd, lambda a: pa.int64()), return_type="bigint"),
    SqlFunction(name="ch_lcm", impl=_row_wise(lambda a, b: abs(a * b) // math.gcd(a, b) if a and b else 0,
                                              lambda a: pa.int64()), return_type="bigint"),
    SqlFunction(name="ch_nested_array", impl=_nested_array, return_type=_same, strict=False),
    SqlFunction(name="ch_to_float_or", impl=_to_float_or, return_type="double precision", strict=False),
    SqlFunction(name="ch_format_datetime", impl=_row_wise(_format_datetime, lambda a: pa.string()),
                return_type="text"),
    SqlFunction(name="ch_fmod", impl=_row_wise(_fmod, lambda a: pa.float64()), return_type="double precision"),
    SqlFunction(name="ch_array_sort", impl=_array_sort, return_type=_same, strict=False),
    SqlFunction(name="ch_array_slice", impl=_array_slice, return_type=_same, strict=False),
    SqlFunction(name="ch_array_pop_back", impl=_row_wise(lambda a: a[:-1], _first_type), return_type=_same),
    SqlFunction(name="ch_array_pop_front", impl=_row_wise(lambda a: a[1:], _first_type), return_type=_same),
    SqlFunction(name="ch_array_distinct", impl=_row_wise(_distinct, _first_type), return_type=_same),
    SqlFunction(name="ch_array_cum_sum", impl=_row_wise(_cum_sum, lambda a: pa.list_(_sum_arrow(a))),
                return_type=lambda t: _sum_type(t) + "[]"),
    SqlFunction(name="ch_array_product", impl=_row_wise(_product, lambda a: pa.float64()),
                return_type="double precision"),
    SqlFunction(name="ch_array_avg", impl=_row_wise(_avg, lambda a: pa.float64()), return_type="double precision"),
    SqlFunction(name="ch_array_reduce", impl=_array_reduce, return_type=_reduce_type, strict=False),
    SqlFunction(name="ch_has_any", impl=_row_wise(_has_any, lambda a: pa.bool_()), return_type="boolean"),
    SqlFunction(name="ch_has_all", impl=_row_wise(_has_all, lambda a: pa.bool_()), return_type="boolean"),
    *[SqlFunction(name=f"ch_{kind}", impl=_rounding(kind), return_type=_same) for kind in
      ("round", "round_bankers", "floor", "ceil", "trunc")],
    SqlFunction(name="ch_round_to_exp2", impl=_row_wise(_round_to_exp2, _first_type), return_type=_same),
    SqlFunction(name="ch_is_finite", impl=_is_finite, return_type="boolean", strict=False),
    SqlFunction(name="ch_visible_width", impl=_visible_width, return_type="bigint", strict=False),
    SqlFunction(name="ch_substring", impl=_substring_impl, return_type="text", strict=False),
    SqlFunction(name="ch_format", impl=_format_impl, return_type="text", strict=False),
    SqlFunction(name="ch_replace_one", impl=_row_wise(_replace_one, lambda a: pa.string()), return_type="text"),
    SqlFunction(name="ch_bit_not", impl=_bit_not, return_type=_bit_not_type, strict=False),
    SqlFunction(name="ch_bit_shift_left", impl=_shift(True), return_type="bigint"),
    SqlFunction(name="ch_bit_shift_right", impl=_shift(False), return_type="bigint"),
]
