"""PostgreSQL's text output format of every type (what psql prints, what the PG wire sends).

Vectorized with pyarrow.compute where Arrow's own formatting is close enough and fixed up
with regex kernels; per-row Python only where no kernel exists (float shortest-digit layout,
interval, bytea hex, arrays), each marked below.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.sql import far_dates
from helios_core.sql import types as T
from helios_core.sql.functions import (
    datestyle,
    money,
    proc_oids,
    range_io,
    runtime,
    tid,
    timetz,
    zone_offsets,
)
from helios_core.sql.functions.datetime_decode import julian_to_date
from helios_core.sql.geometric import TYPE_NAMES as GEOMETRIC
from helios_core.sql.geometric import vectors as geometric_vectors

# the relation name of an OID in the running session's catalog (installed by the catalog layer)
RELATION_NAMES: list[Callable[[int], str | None]] = []
# regproc output: OID -> a user routine's name, installed by helios_core.sql.routines.regproc
# (built-in functions' names are in proc_oids)
FUNCTION_NAMES: list[Callable[[int], str | None]] = []

# OID alias output by type name: OID -> the object's name, None when no object has it (then the
# number prints); installed by helios_core.sql.catalog_views.oid_aliases
OID_ALIAS_OUTPUT: dict[str, Callable[[int], str | None]] = {}

_STRIP_FRACTION = r"(\.\d*?[1-9])0+$|\.0+$"


def to_text(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """A string array holding PostgreSQL's text output of each value (NULL stays NULL)."""
    ext = T.EXTENSION_TYPES.get(t.name)
    if ext is not None:  # a plugin's type: its output function, else its values as strings
        out = ext[1].format(arr) if ext[1].format is not None else arr.cast(pa.string())
        return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out
    if t.name in T.VECTOR_TYPE_NAMES:  # int2vector/oidvector: "1 2"
        return pc.binary_join(pc.cast(arr, pa.list_(pa.string())), " ")
    if t.is_range:
        return range_io.range_text(arr, t)
    if t.is_multirange:
        return range_io.multirange_text(arr, t)
    if t.element is not None:
        return _array_text(arr, t)
    name = t.name
    if t.is_rowtype and pa.types.is_struct(arr.type):
        return record_text(arr, t)
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.string())
    if name == "bool":
        return pc.if_else(arr, "t", "f")
    if name == "regtype":
        return regtype_text(arr)
    if name == "regclass":
        return regclass_text(arr)
    if name == "regproc":
        return regproc_text(arr)
    if name in OID_ALIAS_OUTPUT:
        return oid_alias_text(arr, OID_ALIAS_OUTPUT[name])
    if name in ("int2", "int4", "int8", "oid"):
        return pc.cast(arr, pa.string())
    if name in ("float4", "float8"):
        digits = runtime.extra_float_digits()
        if digits <= 0:  # PostgreSQL prints %.{6|15 + extra_float_digits}g then
            return rounded_float_text(arr, (6 if name == "float4" else 15) + digits)
        return float_text(arr, 6 if name == "float4" else 15)
    if name == "numeric":
        return numeric_text(arr, t)
    if name == "money":
        return money.text(arr)
    if name == "tid":
        return tid.text(arr)
    if name in GEOMETRIC:
        return geometric_vectors.text_column(arr, t)
    if name == "bytea":
        return bytea_text(arr)
    if name in _FEW_VALUES_TYPES and len(arr) <= FEW_VALUES:
        few = _few_datetimes_text(arr, name)
        if few is not None:
            return few
    if name == "date":
        style = runtime.datestyle()
        return _by_distinct(arr, lambda a: datestyle.restyle(_with_far(a, pa.int32(), date_text, far_dates.date_iso),
                                                             style))
    if name == "timetz" and pa.types.is_struct(arr.type):
        return timetz.text(arr)
    if name in ("time", "timetz"):
        us = arr.cast(pa.int64())
        midnight = pc.fill_null(pc.greater_equal(us, 86_400_000_000), False)
        if pc.any(midnight).as_py():  # PostgreSQL's time includes 24:00:00 (Arrow cannot print it)
            arr = pc.if_else(midnight, pa.scalar(0, pa.int64()), us).cast(arr.type)
        s = pc.replace_substring_regex(pc.cast(arr, pa.string()), _STRIP_FRACTION, r"\1")
        if pc.any(midnight).as_py():
            s = pc.if_else(midnight, "24:00:00", s)
        return s if name == "time" else pc.binary_join_element_wise(s, "+00", "")
    if name == "timestamp":
        style = runtime.datestyle()
        return _by_distinct(arr, lambda a: datestyle.restyle(
            _with_far(a, pa.int64(), timestamp_text, far_dates.timestamp_iso), style))
    if name == "timestamptz":
        tz = runtime.timezone()
        return _by_distinct(arr, lambda a: _with_far(a, pa.int64(), lambda v: timestamptz_text(v, tz),
                                                     lambda us: _far_timestamptz(us, tz)))
    if name == "interval":
        return interval_text(arr)
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr
    return pc.cast(arr, pa.string())


_DISTINCT_MIN_ROWS = 8192
_DISTINCT_SAMPLE = 4096


def _by_distinct(arr: pa.Array, render: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``render(arr)``, computed once per distinct value when the first rows show that values
    repeat (time buckets: 2,160 hours over a 432,000-row rollup): one hash pass and a take
    instead of laying out every row's text."""
    if not isinstance(arr, pa.Array) or len(arr) < _DISTINCT_MIN_ROWS or \
            len(pc.unique(arr.slice(0, _DISTINCT_SAMPLE))) > _DISTINCT_SAMPLE // 4:
        return render(arr)
    coded = pc.dictionary_encode(arr)  # NULLs stay NULL in the indices
    return render(coded.dictionary).take(coded.indices)


_PSEUDO_TYPE_NAMES = {oid: name for name, oid in T.PSEUDO_TYPE_OIDS.items()}


def regtype_text(arr: pa.Array) -> pa.Array:
    """regtype prints the type's name ('integer', 'text[]'); an OID we do not know prints as a number."""
    def one(oid: int | None) -> str | None:
        if oid is None:
            return None
        if oid == 0:
            return "-"
        try:
            return T.type_by_oid(oid).sql_name()
        except T.UndefinedObject:
            return _PSEUDO_TYPE_NAMES.get(oid) or str(oid)

    return pa.array([one(v) for v in arr.cast(pa.int64()).to_pylist()], pa.string())


def regproc_text(arr: pa.Array) -> pa.Array:
    """regproc prints the function's name ("-" for 0); an OID no function has prints as a number."""
    def one(oid: int | None) -> str | None:
        if oid is None:
            return None
        return proc_oids.proc_name(oid) or (FUNCTION_NAMES[0](oid) if FUNCTION_NAMES else None) or str(oid)

    return pa.array([one(v) for v in arr.cast(pa.int64()).to_pylist()], pa.string())


def regclass_text(arr: pa.Array) -> pa.Array:
    """regclass prints the relation's name, schema-qualified when its schema is not on the search_path.

    The names come from the catalog of the session running the statement (the catalog layer,
    which sits above this module, installs the lookup); an OID no relation has, or output outside
    any session, prints as a number, as PostgreSQL does for a dropped relation.
    """
    def one(oid: int | None) -> str | None:
        if oid is None:
            return None
        if oid == 0:
            return "-"
        return (RELATION_NAMES[0](oid) if RELATION_NAMES else None) or str(oid)

    return pa.array([one(v) for v in arr.cast(pa.int64()).to_pylist()], pa.string())


def oid_alias_text(arr: pa.Array, name_of: Callable[[int], str | None]) -> pa.Array:
    """regoper, regnamespace, ... print the object's name; 0 prints as "-", an unknown OID as its number."""
    def one(oid: int | None) -> str | None:
        if oid is None:
            return None
        if oid == 0:
            return "-"
        return name_of(oid) or str(oid)

    return pa.array([one(v) for v in arr.cast(pa.int64()).to_pylist()], pa.string())


def scalar_text(value: object, t: T.SqlType) -> str | None:
    """One value's text output (convenience for messages and tests)."""
    return to_text(pa.array([value], type=t.arrow_type), t)[0].as_py()


# --------------------------------------------------------------------------------------- numbers

def _float_layout(s: str, fixed_below: int) -> str:
    """Re-lay Arrow's shortest round-trip digits the way PostgreSQL (Ryu, extra_float_digits=1)
    prints them: fixed notation for decimal exponents in [-4, fixed_below), else d.ddde+XX."""
    if s == "nan":
        return "NaN"
    if s == "inf":
        return "Infinity"
    if s == "-inf":
        return "-Infinity"
    d = decimal.Decimal(s)
    sign, digits, exp = d.as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    if ds == "0":
        return "-0" if sign else "0"
    exp10 = len("".join(map(str, digits))) - 1 + exp  # exponent of the leading digit
    neg = "-" if sign else ""
    if -4 <= exp10 < fixed_below:
        if exp10 >= len(ds) - 1:
            return neg + ds + "0" * (exp10 - len(ds) + 1)
        if exp10 >= 0:
            return neg + ds[: exp10 + 1] + "." + ds[exp10 + 1:]
        return neg + "0." + "0" * (-exp10 - 1) + ds
    mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
    return f"{neg}{mant}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"


def _rounded(value: float | None, digits: int) -> str | None:
    if value is None:
        return None
    if math.isnan(value):
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value:.{max(digits, 1)}g}"


def rounded_float_text(arr: pa.Array, digits: int) -> pa.Array:
    """Floats with ``digits`` significant digits (extra_float_digits <= 0), per row: a rare setting."""
    return pa.array([_rounded(v, digits) for v in arr.to_pylist()], pa.string())


_FLOAT8_DIFFERS = r"^-?0\.0000|e\+1[0-4]$|^-?inf$|^nan$"
_FLOAT4_DIFFERS = r"^-?0\.0000|^-?[0-9]{7,}|^-?inf$|^nan$"
# Up to this many values (a top-10 answer) the rules below run value by value in Python: the
# kernels' fixed cost is the larger part for a few rows.
FLOAT_TEXT_PER_VALUE_ROWS = 32


@functools.lru_cache(maxsize=4)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _float32_shortest(v: float) -> str:
    """The shortest digits that read back as the same single-precision value (numpy's)."""
    return str(np.float32(v))


def _float_text_one(x: str, fixed_below: int, differs: str) -> str:
    """``float_text``'s rules for one of Arrow's texts."""
    if _compiled(differs).search(x):
        return _float_layout(x, fixed_below)
    return _compiled(r"e([+-])([0-9])$").sub(r"e\g<1>0\2", x)


def float_text(arr: pa.Array, fixed_below: int) -> pa.Array:
    """Arrow's shortest round-trip digits, laid out like PostgreSQL.

    Arrow prints fixed notation for decimal exponents -6..9 and d.ddde+X otherwise;
    PostgreSQL uses fixed for -4..14 (float8) / -4..5 (float4) and two-digit exponents.
    Rows whose layout differs are found with a regex kernel and re-laid out per row in
    Python; all others only get their exponent padded (a kernel). A few values take the same
    rules value by value (``_float_text_one``).
    """
    if len(arr) <= FLOAT_TEXT_PER_VALUE_ROWS and arr.type in (pa.float64(), pa.float32()):
        # Python's shortest round-trip digits are Arrow's: no kernel call at all for a few values
        shortest = repr if arr.type == pa.float64() else _float32_shortest
        return pa.array([None if v is None else _float_layout(shortest(v), fixed_below) for v in arr.to_pylist()],
                        pa.string())
    s = pc.cast(arr, pa.string())
    differs = _FLOAT8_DIFFERS if fixed_below == 15 else _FLOAT4_DIFFERS
    if len(s) <= FLOAT_TEXT_PER_VALUE_ROWS:
        return pa.array([None if x is None else _float_text_one(x, fixed_below, differs) for x in s.to_pylist()],
                        pa.string())
    if fixed_below == 15 and _all_laid_out_alike(arr):
        return s
    mask = pc.fill_null(pc.match_substring_regex(s, differs), False)
    if pc.any(pc.match_substring(s, "e")).as_py():
        s = pc.replace_substring_regex(s, r"e([+-])([0-9])$", r"e\10\2")  # RE2: \1 then a literal 0
    if pc.any(mask).as_py():
        idx = pc.indices_nonzero(mask)
        # Per-row Python only for the rows whose layout differs
        fixed = [_float_layout(x, fixed_below) for x in pc.take(pc.cast(arr, pa.string()), idx).to_pylist()]
        s = pc.replace_with_mask(s, mask, pa.array(fixed, pa.string()))
    return s


def _all_laid_out_alike(arr: pa.Array) -> bool:
    """Every float8 value is 0 or of magnitude in [1e-4, 1e10): Arrow prints them in fixed
    notation as PostgreSQL does, so the regex pass over their text can be skipped."""
    if not pa.types.is_float64(arr.type):
        return False
    magnitude = np.abs((arr.fill_null(1.0) if arr.null_count else arr).to_numpy(zero_copy_only=False))
    return bool((((magnitude >= 1e-4) & (magnitude < 1e10)) | (magnitude == 0)).all())


def numeric_text(arr: pa.Array, t: T.SqlType) -> pa.Array:
    if isinstance(arr.type, pa.ExtensionType):  # wide numeric: already PostgreSQL's text per value
        return arr.storage
    if pa.types.is_struct(arr.type):  # NaN / Infinity beside finite values (numeric_special)
        from helios_core.sql.functions import numeric_special as NS

        return NS.text(arr, lambda v: numeric_text(v, t))
    if pa.types.is_integer(arr.type):
        return pc.cast(arr, pa.string())
    if pa.types.is_floating(arr.type):
        return float_text(arr, 15)
    if len(arr) <= FEW_VALUES and pa.types.is_decimal(arr.type):
        return _few_decimals_text(arr, t)
    s = _plain_decimal_text(arr)
    if t.typmod == -1 and arr.type == T.NUMERIC_STORAGE_ARROW:
        # Values of an unconstrained numeric column: the storage scale (16) is not the values'
        # scale. Print them at the smallest scale that shows every value of the batch exactly
        # (10.00, 12.50, 7.99 stay so; 1, 2 print as integers).
        from helios_core.sql.functions.decimals import int_digits_needed

        frac = pc.utf8_length(pc.replace_substring_regex(pc.replace_substring_regex(s, r"^[^.]*\.?", ""),
                                                         r"0+$", ""))
        k = max(pc.max(frac).as_py() or 0, t.display_scale or 0)
        digits = int_digits_needed(arr)
        s = _plain_decimal_text(arr.cast(pa.decimal256(digits + k, k) if digits + k > 38 else
                                         pa.decimal128(digits + k, k)))
    return s


def _few_decimals_text(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """``numeric_text`` of a few decimals, value by value in Python (a point read's row): the
    digits at the stored scale; in an unconstrained column's storage, at the smallest scale that
    shows each of them exactly (or the type's display scale, if larger), as below."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    texts = [None if d is None else format(d, "f") for d in arr.to_pylist()]
    if t.typmod == -1 and arr.type == T.NUMERIC_STORAGE_ARROW:
        wanted = max([len(x.partition(".")[2].rstrip("0")) for x in texts if x is not None] + [t.display_scale or 0])
        texts = [None if x is None else _at_scale(x, wanted) for x in texts]
    return pa.array(texts, pa.string())


def _at_scale(text: str, scale: int) -> str:
    """A plain decimal's text cut to ``scale`` fractional digits (those cut are all zeros)."""
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction[:scale].ljust(scale, '0')}" if scale else whole


def _plain_decimal_text(arr: pa.Array) -> pa.Array:
    s = pc.cast(arr, pa.string())
    sci = pc.fill_null(pc.match_substring(s, "E"), False)
    if pc.any(sci).as_py():
        # Arrow prints tiny/zero values with many decimals as 1.5E-9 / 0E-20; PostgreSQL never
        # uses exponents for numeric. Per-row Python only for those rows.
        fixed = [format(decimal.Decimal(x), "f") for x in pc.filter(s, sci).to_pylist()]
        s = pc.replace_with_mask(s, sci, pa.array(fixed, pa.string()))
    return s


# --------------------------------------------------------------------------------------- bytea

def bytea_text(arr: pa.Array) -> pa.Array:
    """bytea as text in the session's bytea_output: '\\x' and hex digits, or 'escape' (printable
    ASCII as is, a backslash doubled, any other byte as three octal digits)."""
    # Per-row Python: Arrow has no hex- or octal-encoding kernel.
    if runtime.bytea_output() == "escape":
        return pa.array([None if b is None else bytea_escape_text(b) for b in arr.to_pylist()], pa.string())
    return pa.array([None if b is None else "\\x" + b.hex() for b in arr.to_pylist()], pa.string())


def bytea_escape_text(b: bytes) -> str:
    """One bytea value in PostgreSQL's escape output format (byteaout with bytea_output=escape)."""
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif c < 0x20 or c > 0x7E:
            out.append(f"\\{c:03o}")
        else:
            out.append(chr(c))
    return "".join(out)


# ------------------------------------------------------------------------------------ date/time

def _with_far(arr: pa.Array, ints: pa.DataType, normal, far) -> pa.Array:
    """Text of dates/timestamps where some values lie outside the years 1..9999 or are
    ±infinity: those rows per row in Python (see far_dates), the others as usual."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    raw = arr.cast(ints)
    day = pa.types.is_int32(ints)
    lo, hi = (-719162, 2932896) if day else (-719162 * far_dates.US_PER_DAY, 2932897 * far_dates.US_PER_DAY - 1)
    outside = pc.fill_null(pc.or_(pc.less(raw, lo), pc.greater(raw, hi)), False)
    if not pc.any(outside).as_py():
        return normal(arr)
    usual = normal(pc.if_else(outside, pa.scalar(0, ints), raw).cast(arr.type))
    texts = [far(v) if o else None for v, o in zip(raw.to_pylist(), outside.to_pylist(), strict=True)]
    return pc.if_else(outside, pa.array(texts, pa.string()), usual)


def _far_timestamptz(utc_us: int, tz: str) -> str:
    """A far or infinite timestamptz in the session zone (a named zone's offset at the nearest
    date Python can hold: its earliest or latest rule)."""
    if utc_us in (far_dates.TS_INFINITY, far_dates.TS_NEG_INFINITY):
        return far_dates.timestamp_iso(utc_us)
    zone = session_tz_info(tz)
    near = dt.datetime(9999, 12, 31, tzinfo=dt.UTC) if utc_us > 0 else dt.datetime(1, 1, 2, tzinfo=dt.UTC)
    off = int(near.astimezone(zone).utcoffset().total_seconds())
    return far_dates.timestamp_iso(utc_us + off * 1_000_000, _offset_text(off))


FEW_VALUES = 8  # at most this many dates or timestamps are printed one by one in Python
_FEW_VALUES_TYPES = ("date", "timestamp", "timestamptz")
_UTC_NAMES = ("UTC", "GMT", "Z", "ETC/UTC", "UCT", "ZULU")


def _few_datetimes_text(arr: pa.Array, name: str) -> pa.Array | None:
    """The ISO text of a few dates or timestamps (a point read's row), each printed in Python
    with ``far_dates``' per-value formatting: the vectorized path below makes some twenty Arrow
    kernel calls whatever the length (a single timestamptz cost 0.2 ms, most of a point read of
    a row holding one). None (the vectorized path) for another DateStyle or unit, or a value
    the session zone cannot place here."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if datestyle.split(runtime.datestyle())[0] != "ISO":
        return None
    if name == "date":
        if arr.type != pa.date32():
            return None
        days = arr.view(pa.int32()).to_pylist()
        return pa.array([None if d is None else far_dates.date_iso(d) for d in days], pa.string())
    if not pa.types.is_timestamp(arr.type) or arr.type.unit != "us":
        return None
    micros = arr.view(pa.int64()).to_pylist()
    if name == "timestamp":
        return pa.array([None if us is None else far_dates.timestamp_iso(us) for us in micros], pa.string())
    tz = runtime.timezone()
    if tz.upper() in _UTC_NAMES:
        return pa.array([None if us is None else far_dates.timestamp_iso(us, "+00") for us in micros], pa.string())
    zone = session_tz_info(tz)
    out: list[str | None] = []
    for us in micros:
        if us is None:
            out.append(None)
        elif far_dates.is_far_timestamp(us):
            out.append(_far_timestamptz(us, tz))
        else:
            try:
                off = zone_offsets.offset_seconds(us, zone)
            except (OverflowError, ValueError):  # the local time past the year 9999
                return None
            out.append(far_dates.timestamp_iso(us + off * 1_000_000, _offset_text(off)))
    return pa.array(out, pa.string())


def date_text(arr: pa.Array) -> pa.Array:
    s = pc.cast(arr, pa.string())
    years = pc.year(arr)
    if pc.any(pc.or_(pc.less(years, 1), pc.greater(years, 9999))).as_py():
        # Per-row Python for dates outside 1..9999 (BC / 5-digit years), rare
        out = []
        for d in arr.cast(pa.int32()).to_pylist():
            out.append(None if d is None else _far_date(d))
        return pa.array(out, pa.string())
    return s


def _far_date(days: int) -> str:
    # proleptic Gregorian from the epoch, PostgreSQL prints BC years as '0044-03-15 BC'
    year, month, day = julian_to_date(days + 2440588)  # the epoch's Julian day number is 2440588
    if year <= 0:
        return f"{1 - year:04d}-{month:02d}-{day:02d} BC"
    return f"{year:04d}-{month:02d}-{day:02d}"


def timestamp_text(arr: pa.Array) -> pa.Array:
    if arr.type.tz is not None:
        arr = arr.cast(pa.timestamp(arr.type.unit))
    if arr.type.unit != "us":
        arr = arr.cast(pa.timestamp("us"))
    return _trim_fraction(pc.cast(arr, pa.string()), arr.cast(pa.int64()))


def _trim_fraction(s: pa.Array, micros: pa.Array) -> pa.Array:
    """'YYYY-MM-DD HH:MM:SS.ffffff' without the fraction's trailing zeros (nor '.000000'), as
    PostgreSQL prints it: each row cut by a count the microseconds tell, one slice per distinct
    count (at most seven), far cheaper than a regular expression over every string."""
    frac = np.mod(micros.fill_null(0).to_numpy(zero_copy_only=False), 1_000_000)
    cut = np.zeros(len(frac), dtype=np.int8)
    for p in (10, 100, 1_000, 10_000, 100_000):
        cut += frac % p == 0
    cut[frac == 0] = 7
    out = None
    for c in np.unique(cut).tolist():
        part = pc.utf8_slice_codeunits(s, 0, -c) if c else s
        out = part if out is None else pc.if_else(pa.array(cut == c), part, out)
    return s if out is None else out


def _offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    out = f"{sign}{h:02d}"
    if m or s:
        out += f":{m:02d}"
    if s:
        out += f":{s:02d}"
    return out


def timestamptz_text(arr: pa.Array, tz: str) -> pa.Array:
    utc = arr.cast(pa.timestamp("us", tz="UTC")) if arr.type != pa.timestamp("us", tz="UTC") else arr
    style = runtime.datestyle()
    if datestyle.split(style)[0] != "ISO":
        return _styled_timestamptz(utc, tz, style)
    if tz.upper() in _UTC_NAMES:
        return pc.binary_join_element_wise(timestamp_text(utc), "+00", "")
    zone = session_tz_info(tz)
    if isinstance(zone, dt.timezone):
        off = int(zone.utcoffset(None).total_seconds())
        local = pc.add(utc.cast(pa.int64()), off * 1_000_000).cast(pa.timestamp("us"))
        return pc.binary_join_element_wise(timestamp_text(local), _offset_text(off), "")
    local = zone_offsets.local_micros(utc.cast(pa.int64()), tz, zone)
    offs = pc.divide(pc.subtract(local, utc.cast(pa.int64())), 1_000_000)
    # offsets take few distinct values: format each distinct one once
    uniq = pc.unique(offs).to_pylist()
    labels = pa.array([None if o is None else _offset_text(o) for o in uniq], pa.string())
    off_txt = pc.take(labels, pc.index_in(offs, value_set=pa.array(uniq, offs.type)))
    return pc.binary_join_element_wise(timestamp_text(local.cast(pa.timestamp("us"))), off_txt, "")


def _styled_timestamptz(utc: pa.Array, tz: str, style: str) -> pa.Array:
    """SQL/Postgres/German: local time in the session zone followed by the zone's abbreviation."""
    zone = session_tz_info(tz)
    if zone is dt.UTC:
        local = utc.cast(pa.timestamp("us"))
    elif isinstance(zone, dt.timezone):
        off = int(zone.utcoffset(None).total_seconds())
        local = pc.add(utc.cast(pa.int64()), off * 1_000_000).cast(pa.timestamp("us"))
    else:
        local = zone_offsets.local_micros(utc.cast(pa.int64()), tz, zone).cast(pa.timestamp("us"))
    zones = datestyle.zone_abbreviations(utc.cast(pa.int64()), zone)
    return datestyle.restyle(timestamp_text(local), style, zones)


_POSIX_ZONE = re.compile(r"(?:<[^<>]*>|[A-Za-z]{3,})?([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?")


def session_tz_info(name: str) -> dt.tzinfo:
    """The tzinfo of a TimeZone *setting* (or an AT TIME ZONE string). A bare offset there is
    POSIX, as PostgreSQL reads it: '+05' or 'UTC+5' is five hours WEST of Greenwich, and
    '<+03>-03' (what SET TIME ZONE 3 stores) three hours east. Offsets written inside a
    timestamp literal ('... 10:00+05') are ISO instead (tz_info)."""
    n = name.strip()
    m = _POSIX_ZONE.fullmatch(n)
    if m and n.upper() not in ("UTC", "GMT", "UCT", "ZULU"):
        secs = int(m.group(2)) * 3600 + int(m.group(3) or 0) * 60 + int(m.group(4) or 0)
        return dt.timezone(dt.timedelta(seconds=secs if m.group(1) == "-" else -secs))
    return tz_info(n)


def tz_info(name: str) -> dt.tzinfo:
    """A tzinfo for a PostgreSQL TimeZone setting (IANA name, 'UTC', or a fixed '+05:30')."""
    import re

    from helios_core.errors import InvalidParameterValue

    n = name.strip()
    if n.upper() in ("UTC", "GMT", "Z", "UCT", "ZULU", "ETC/UTC"):
        return dt.UTC
    m = re.fullmatch(r"([+-])(\d{1,2})(?::?(\d{2}))?(?::(\d{2}))?", n)
    if m:
        secs = int(m.group(2)) * 3600 + int(m.group(3) or 0) * 60 + int(m.group(4) or 0)
        return dt.timezone(dt.timedelta(seconds=-secs if m.group(1) == "-" else secs))
    for cand in (n, n.upper(), n.title(), n.capitalize(), zone_name(n)):
        if not cand:
            continue
        try:
            return ZoneInfo(cand)
        except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            continue
    raise InvalidParameterValue(f'time zone "{name}" not recognized')


def zone_name(name: str) -> str | None:
    """The zone database's spelling of an IANA zone name written in any case, else None."""
    return _zone_names().get(name.strip().lower())


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every IANA zone name by its lower-case spelling: PostgreSQL matches zone names regardless of
    case ('america/port-au-prince'), the zone database's files do not."""
    import zoneinfo

    return {key.lower(): key for key in zoneinfo.available_timezones()}


def interval_parts_text(months: int, days: int, micros: int, style: str | None = None) -> str:
    """One interval as text in an IntervalStyle (the session's unless given), as PostgreSQL's
    EncodeInterval writes it."""
    style = style or runtime.intervalstyle()
    if style == "postgres_verbose":
        return _interval_verbose(months, days, micros)
    if style == "sql_standard":
        return _interval_sql_standard(months, days, micros)
    if style == "iso_8601":
        return _interval_iso_8601(months, days, micros)
    parts = []
    is_before = False
    years, mons = int(months / 12), months - int(months / 12) * 12
    for value, unit in ((years, "year"), (mons, "mon"), (days, "day")):
        if value:
            plus = "+" if is_before and value > 0 else ""
            parts.append(f"{plus}{value} {unit}{'' if value == 1 else 's'}")
            is_before = value < 0
    if micros or not parts:
        minus = micros < 0
        a = -micros if minus else micros
        sec, frac = divmod(a, 1_000_000)
        h, rem = divmod(sec, 3600)
        m, s = divmod(rem, 60)
        txt = f"{'-' if minus else ('+' if is_before else '')}{h:02d}:{m:02d}:{s:02d}"
        if frac:
            txt += ("." + f"{frac:06d}").rstrip("0")
        parts.append(txt)
    return " ".join(parts)


def _interval_fields(months: int, days: int, micros: int) -> tuple[int, int, int, int, int, int, int]:
    """(years, months, days, hours, minutes, seconds, microseconds), each part carrying the sign of
    the field it comes from (C's truncating division, as PostgreSQL's interval2itm)."""
    years = int(months / 12)
    sign = -1 if micros < 0 else 1
    a = abs(micros)
    hours, a = divmod(a, 3_600_000_000)
    minutes, a = divmod(a, 60_000_000)
    seconds, usec = divmod(a, 1_000_000)
    return (years, months - years * 12, days, sign * hours, sign * minutes, sign * seconds, sign * usec)


def _seconds_text(sec: int, usec: int, two_digits: bool) -> str:
    """Seconds with their fraction, trailing zeros cut (PostgreSQL's AppendSeconds: no sign)."""
    txt = f"{abs(sec):02d}" if two_digits else str(abs(sec))
    if usec:
        txt += "." + f"{abs(usec):06d}".rstrip("0")
    return txt


def _interval_verbose(months: int, days: int, micros: int) -> str:
    """IntervalStyle postgres_verbose: '@ 1 year 2 mons -3 days 4 hours 5 mins 6.7 secs ago'."""
    year, mon, mday, hour, minute, sec, usec = _interval_fields(months, days, micros)
    out = "@"
    is_zero, is_before = True, False
    for value, unit in ((year, "year"), (mon, "mon"), (mday, "day"), (hour, "hour"), (minute, "min")):
        if value == 0:
            continue
        if is_zero:  # the first field that is not zero says whether the interval is "ago"
            is_before = value < 0
            value = abs(value)
        elif is_before:
            value = -value
        out += f" {value} {unit}{'' if value == 1 else 's'}"
        is_zero = False
    if sec or usec:
        out += " "
        if sec < 0 or (sec == 0 and usec < 0):
            if is_zero:
                is_before = True
            elif not is_before:
                out += "-"
        elif is_before:
            out += "-"
        out += _seconds_text(sec, usec, False) + (" secs" if abs(sec) != 1 or usec else " sec")
        is_zero = False
    if is_zero:
        out += " 0"
    return out + (" ago" if is_before else "")


def _interval_sql_standard(months: int, days: int, micros: int) -> str:
    """IntervalStyle sql_standard: '1-2', '3 4:05:06', or every field signed when they mix."""
    year, mon, mday, hour, minute, sec, usec = _interval_fields(months, days, micros)
    fields = (year, mon, mday, hour, minute, sec, usec)
    has_negative = any(f < 0 for f in fields)
    has_positive = any(f > 0 for f in fields)
    has_year_month = year != 0 or mon != 0
    has_day_time = any(f != 0 for f in fields[2:])
    standard = not (has_negative and has_positive) and not (has_year_month and has_day_time)
    sign = ""
    if has_negative and standard:
        sign = "-"
        year, mon, mday, hour, minute, sec, usec = (-f for f in fields)
    if not has_negative and not has_positive:
        return "0"
    if not standard:
        year_sign = "-" if year < 0 or mon < 0 else "+"
        day_sign = "-" if mday < 0 else "+"
        sec_sign = "-" if hour < 0 or minute < 0 or sec < 0 or usec < 0 else "+"
        return (f"{year_sign}{abs(year)}-{abs(mon)} {day_sign}{abs(mday)} {sec_sign}{abs(hour)}:{abs(minute):02d}:"
                + _seconds_text(sec, usec, True))
    if has_year_month:
        return f"{sign}{year}-{mon}"
    if mday:
        return f"{sign}{mday} {hour}:{minute:02d}:" + _seconds_text(sec, usec, True)
    return f"{sign}{hour}:{minute:02d}:" + _seconds_text(sec, usec, True)


def _interval_iso_8601(months: int, days: int, micros: int) -> str:
    """IntervalStyle iso_8601: 'P1Y2M3DT4H5M6.7S' ('PT0S' for zero)."""
    year, mon, mday, hour, minute, sec, usec = _interval_fields(months, days, micros)
    if not any((year, mon, mday, hour, minute, sec, usec)):
        return "PT0S"
    out = "P" + "".join(f"{v}{u}" for v, u in ((year, "Y"), (mon, "M"), (mday, "D")) if v)
    if hour or minute or sec or usec:
        out += "T"
    out += "".join(f"{v}{u}" for v, u in ((hour, "H"), (minute, "M")) if v)
    if sec or usec:
        out += ("-" if sec < 0 or usec < 0 else "") + _seconds_text(sec, usec, False) + "S"
    return out


def interval_text(arr: pa.Array) -> pa.Array:
    # Per-row Python: interval layout has no Arrow kernel.
    style = runtime.intervalstyle()
    out = []
    for v in arr.to_pylist():
        if v is None:
            out.append(None)
        else:
            out.append(interval_parts_text(v.months, v.days, int(v.nanoseconds // 1000), style))
    return pa.array(out, pa.string())


# ---------------------------------------------------------------------------------------- arrays

def _quote_element(s: str, delimiter: str = ",") -> str:
    if s == "" or s.upper() == "NULL" or any(c in s for c in '{}"\\ \t\n\r\v\f') or delimiter in s:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def _array_text(arr: pa.Array, t: T.SqlType) -> pa.Array:
    # Element text is vectorized; assembling '{a,b}' per row is Python (no list-join kernel
    # that handles NULL elements and quoting).
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    # offsets of a sliced ListArray index into the full child array, so .values is right
    inner_nested = (pa.types.is_list(arr.type.value_type) or pa.types.is_large_list(arr.type.value_type)) \
        and not t.element.is_multirange
    delimiter = ";" if t.element.name == "box" else ","  # pg_type.typdelim: box values hold commas
    if inner_nested:  # a multi-dimensional array: the sub-arrays print as '{...}' unquoted
        el_text = _array_text(arr.values, t).to_pylist()
    else:
        el_text = [None if x is None else _quote_element(x, delimiter)
                   for x in to_text(arr.values, t.element).to_pylist()]
    offsets = arr.offsets.to_pylist()
    valid = arr.is_valid().to_pylist()
    out = []
    for i in range(len(arr)):
        if not valid[i]:
            out.append(None)
            continue
        items = el_text[offsets[i]: offsets[i + 1]]
        if inner_nested and items and all(x == "{}" for x in items):
            out.append("{}")  # sub-arrays of length 0: PostgreSQL has no such value, it is empty
            continue
        out.append("{" + delimiter.join("NULL" if x is None else x for x in items) + "}")
    return pa.array(out, pa.string())


def record_text(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """PostgreSQL's record output: (1,"a b",) with NULL fields empty and quoting as record_out does."""
    # Field text is vectorized per field; joining a row's fields is Python.
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    fields = []
    for i in range(arr.type.num_fields):
        child = arr.field(i)
        ft = t.fields[i] if i < len(t.fields) else T.sql_type_of_arrow(child.type)
        fields.append(to_text(child, ft).to_pylist())
    valid = arr.is_valid().to_pylist()
    out = []
    for r in range(len(arr)):
        if not valid[r]:
            out.append(None)
            continue
        out.append("(" + ",".join("" if f[r] is None else _quote_record_field(f[r]) for f in fields) + ")")
    return pa.array(out, pa.string())


def _quote_record_field(s: str) -> str:
    if s == "" or any(c in '"\\(),' or c.isspace() for c in s):
        return '"' + s.replace('"', '""').replace("\\", "\\\\") + '"'
    return s
