"""PostgreSQL's input syntax of every type: text -> Arrow values, with PG's errors.

Numbers, booleans and uuids are parsed with pyarrow.compute (validated by regex kernels,
the first bad value is named in the error). Date/time values take an Arrow fast path for
ISO text and fall back to a per-row Python parser for PostgreSQL's other spellings;
interval, bytea, json and arrays are per-row Python (no Arrow kernel parses them).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import string
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from helios_core import hstore_text
from helios_core.errors import HeliosError, InvalidTextRepresentation, NumericValueOutOfRange
from helios_core.sql import enum_labels, far_dates
from helios_core.sql import types as T
from helios_core.sql.functions import (
    bitstring,
    datestyle,
    macaddr,
    money,
    network,
    range_io,
    runtime,
    tid,
    timetz,
)
from helios_core.sql.functions import datetime_decode as DD
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.interval_input import parse_interval_value
from helios_core.sql.functions.text_out import session_tz_info
from helios_core.sql.geometric import TYPE_NAMES as GEOMETRIC
from helios_core.sql.geometric import vectors as geometric_vectors
from helios_core.sql.jsonpath.syntax import normalize as normalize_jsonpath

EPOCH = dt.datetime(1970, 1, 1)
EPOCH_DATE = dt.date(1970, 1, 1)

_INT_LIMITS = {"int2": (-(2**15), 2**15 - 1, "smallint"), "int4": (-(2**31), 2**31 - 1, "integer"),
               "int8": (-(2**63), 2**63 - 1, "bigint"), "oid": (-(2**31), 2**32 - 1, "oid")}


def _first_bad(orig: pa.Array, ok: pa.Array) -> str:
    bad = pc.and_(pc.is_valid(orig), pc.invert(pc.fill_null(ok, False)))
    idx = pc.index(bad, True).as_py()
    return orig[idx].as_py()


def parse_regtype(arr: pa.Array) -> pa.Array:
    """regtype input: a type name as PostgreSQL spells it ('integer', 'int4[]') or a numeric OID."""
    def one(text: str | None) -> int | None:
        if text is None:
            return None
        if text.strip().isdigit():
            return int(text)
        pseudo = T.PSEUDO_TYPE_OIDS.get(re.sub(r'^\s*(pg_catalog|"pg_catalog")\s*\.\s*', "", text).strip().lower())
        if pseudo is not None:  # psql's \df filters on 'pg_catalog.trigger'::regtype
            return pseudo
        try:
            return T.catalog_oid(T.type_from_name(text))
        except HeliosError:
            raise HeliosError(f'type "{text.strip()}" does not exist', sqlstate="42704") from None

    return pa.array([one(v) for v in arr.cast(pa.string()).to_pylist()], pa.int64())


# OID alias input by type name: text -> OID, raising PostgreSQL's error for an unknown name
# (installed by helios_core.sql.catalog_views.oid_aliases, which can see the catalog)
OID_ALIAS_INPUT: dict[str, Callable[[str], int]] = {}


def parse_oid_alias(arr: pa.Array, name: str) -> pa.Array:
    """Input of regclass, regproc, regoper, ...: a numeric OID, or the object's name looked up."""
    lookup = OID_ALIAS_INPUT.get(name)
    if lookup is None:
        return parse_int(arr, "oid")

    def one(text: str | None) -> int | None:
        if text is None:
            return None
        if text.strip().isdigit():
            return int(text)
        return lookup(text)

    return pa.array([one(v) for v in arr.cast(pa.string()).to_pylist()], pa.int64())


def _any_bad(orig: pa.Array, ok: pa.Array) -> bool:
    return pc.any(pc.and_(pc.is_valid(orig), pc.invert(pc.fill_null(ok, False)))).as_py() or False


def from_text(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """Parse strings as values of ``t`` (typmod is applied by cast(), not here)."""
    if t.name in T.VECTOR_TYPE_NAMES:  # int2vector/oidvector: "1 2" (a rare catalog type: row by row)
        words = [None if v is None else v.split() for v in arr.to_pylist()]
        flat = from_text(pa.array([w for ws in words if ws for w in ws], pa.string()), t.element)
        out, k = [], 0
        for ws in words:
            out.append(None if ws is None else flat.slice(k, len(ws)).to_pylist())
            k += len(ws or ())
        return pa.array(out, t.arrow_type)
    if t.labels is not None:
        return parse_enum(arr, t)
    if t.name in network.NETWORK_TYPES:
        return network.parse(arr, t)
    if t.name in macaddr.MAC_TYPES:
        return macaddr.parse(arr, t.name)
    if t.name in bitstring.BIT_TYPES:
        return bitstring.parse(arr)
    if t.name in GEOMETRIC:
        return geometric_vectors.parse_column(arr, t)
    if t.is_range:
        return range_io.parse_ranges(arr, t)
    if t.is_multirange:
        return range_io.parse_multiranges(arr, t)
    if t.element is not None:
        return parse_array(arr, t)
    name = t.name
    if name in ("text", "varchar", "bpchar", "name", "char", "unknown", "citext"):
        return arr
    if name == "regtype" and name not in OID_ALIAS_INPUT:
        return parse_regtype(arr)
    if name in T.OID_ALIAS_NAMES:
        return parse_oid_alias(arr, name)
    if name in _INT_LIMITS:
        return parse_int(arr, name)
    if name in ("float4", "float8"):
        return parse_float(arr, name)
    if name == "numeric":
        return parse_numeric(arr)
    if name == "money":
        return money.parse(arr)
    if name == "tid":
        return tid.parse(arr)
    if name == "refcursor":  # a cursor's name, as written
        return arr.cast(pa.string())
    if name == "bool":
        return parse_bool(arr)
    if name == "date":
        return parse_date(arr)
    if name == "timestamp":
        return parse_timestamp(arr, tz=False)
    if name == "timestamptz":
        return parse_timestamp(arr, tz=True)
    if name == "timetz":
        return timetz.parse(arr)
    if name in ("time", "timetz"):
        return parse_time(arr)
    if name == "interval":
        return parse_interval(arr)
    if name == "uuid":
        return parse_uuid(arr)
    if name == "bytea":
        return parse_bytea(arr)
    if name == "json":
        return parse_json(arr)
    if name == "jsonb":
        return parse_jsonb(arr)
    if name == "hstore":  # the extension's type: stored as its canonical text
        return pa.array([None if x is None else hstore_text.normalize(x) for x in arr.to_pylist()], pa.string())
    if name == "jsonpath":
        return pa.array([None if x is None else normalize_jsonpath(x) for x in arr.to_pylist()], pa.string())
    raise HeliosError(f"cannot parse input of type {t}", sqlstate="0A000")


# ---------------------------------------------------------------------------------------- numbers

def parse_enum(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """An enum's labels are its only input (22P02 for anything else)."""
    arr = arr.cast(pa.string())
    labels = pa.array(list(t.labels), pa.string())
    bad = arr.filter(pc.invert(pc.or_(pc.is_in(arr, value_set=labels), pc.is_null(arr))))
    if len(bad):
        raise InvalidTextRepresentation(f'invalid input value for enum {t.name}: "{bad[0].as_py()}"')
    if t.unsafe_labels:
        enum_labels.check_safe(t, pc.unique(arr.drop_null()).to_pylist())
    return arr


def parse_int(arr: pa.Array, name: str) -> pa.Array:
    lo, hi, display = _INT_LIMITS[name]
    s = pc.utf8_trim_whitespace(arr)
    ok = pc.match_substring_regex(s, r"^[+-]?[0-9]+$")
    if _any_bad(arr, ok):
        raise InvalidTextRepresentation(f'invalid input syntax for type {display}: "{_first_bad(arr, ok)}"')
    s = pc.replace_substring_regex(s, r"^\+", "")
    s = pc.replace_substring_regex(s, r"^(-?)0+([0-9])", r"\1\2")
    long = pc.greater(pc.utf8_length(s), 20)
    if pc.any(long).as_py():
        raise NumericValueOutOfRange(f'value "{_first_bad(arr, pc.invert(long))}" is out of range for type '
                                     f"{display}")
    try:
        v = pc.cast(s, pa.int64())
    except pa.ArrowInvalid:
        for x in arr.to_pylist():
            if x is not None and not lo <= int(x.strip()) <= hi:
                raise NumericValueOutOfRange(f'value "{x}" is out of range for type {display}') from None
        raise
    if name != "int8":
        inr = pc.and_(pc.greater_equal(v, lo), pc.less_equal(v, hi))
        if _any_bad(v, inr):
            raise NumericValueOutOfRange(f'value "{_first_bad(arr, inr)}" is out of range for type {display}')
    return pc.cast(v, T._BASE_BY_NAME[name].arrow_type)


_FLOAT_RE = r"(?i)^[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?|inf|infinity|nan|0x[0-9a-f]*\.?[0-9a-f]*(p[+-]?[0-9]+)?)$"


def parse_float(arr: pa.Array, name: str) -> pa.Array:
    display = "real" if name == "float4" else "double precision"
    s = pc.utf8_trim_whitespace(arr)
    ok = pc.match_substring_regex(s, _FLOAT_RE)
    if _any_bad(arr, ok):
        raise InvalidTextRepresentation(f'invalid input syntax for type {display}: "{_first_bad(arr, ok)}"')
    s = pc.replace_substring_regex(pc.utf8_lower(s), r"infinity", "inf")
    s = pc.replace_substring_regex(s, r"^\+", "")
    hexes = pc.fill_null(pc.match_substring(s, "0x"), False)
    if pc.any(hexes).as_py():
        # Per-row Python for C99 hex floats ('0x10', '0x1p3'), which strtod accepts
        fixed = [repr(float.fromhex(x)) for x in pc.filter(s, hexes).to_pylist()]
        s = pc.replace_with_mask(s, hexes, pa.array(fixed, pa.string()))
    v = pc.cast(s, pa.float64())
    if name == "float4":
        v = pc.cast(v, pa.float32(), safe=False)
    said_inf = pc.match_substring(s, "inf")
    bad = pc.and_(pc.is_inf(v), pc.invert(said_inf))
    # underflow: a value with a nonzero digit that became 0 (strtod's ERANGE; denormals are kept)
    nonzero = pc.match_substring_regex(s, r"^-?(0x[0-9a-f.]*[1-9a-f]|[0-9.]*[1-9])")
    bad = pc.or_(bad, pc.and_(pc.equal(v, 0), nonzero))
    if pc.any(pc.fill_null(bad, False)).as_py():
        raise NumericValueOutOfRange(f'"{_first_bad(arr, pc.invert(bad))}" is out of range for type {display}')
    return v


_NUMERIC_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def parse_numeric(arr: pa.Array) -> pa.Array:
    """Text to a decimal array whose scale is the largest display scale among the values."""
    s = pc.utf8_trim_whitespace(arr)
    ok = pc.match_substring_regex(s, _NUMERIC_RE)
    if _any_bad(arr, ok):
        from helios_core.sql.functions import numeric_special as NS

        words = pc.is_in(pc.utf8_lower(s), value_set=pa.array(sorted(NS._WORDS)))
        if _any_bad(arr, pc.or_(ok, words)):
            bad = _first_bad(arr, pc.or_(ok, words))
            raise InvalidTextRepresentation(f'invalid input syntax for type numeric: "{bad}"')
        # NaN / Infinity / -Infinity: a special-bearing array (see numeric_special)
        finite = parse_numeric(pc.if_else(pc.fill_null(words, False), pa.scalar("0"), arr))
        if not pa.types.is_decimal(finite.type):  # wide values beside the words: all of it wide
            return NW.from_decimals([None if x is None else decimal.Decimal(x.strip()) if NS.word_kind(x) is None
                                     else decimal.Decimal(("-" if NS.word_kind(x) == NS.NEG_INF else "")
                                                          + ("NaN" if NS.word_kind(x) == NS.NAN else "Infinity"))
                                     for x in s.to_pylist()])
        kinds = pa.array([0 if x is None else NS.word_kind(x) or 0 for x in s.to_pylist()], pa.int8())
        return NS.make(finite, kinds, arr.is_valid())
    if pc.any(pc.match_substring_regex(s, "[eE]")).as_py():
        # Per-row Python: values with exponents need Decimal to find their scale
        vals = [None if x is None else decimal.Decimal(x) for x in s.to_pylist()]
        return decimals_to_array(vals)
    s = pc.replace_substring_regex(s, r"^\+", "")
    dot = pc.find_substring(s, ".")
    length = pc.utf8_length(s)
    frac = pc.if_else(pc.equal(dot, -1), 0, pc.subtract(pc.subtract(length, dot), 1))
    neg = pc.cast(pc.starts_with(s, "-"), pa.int32())
    intdigits = pc.subtract(pc.subtract(pc.if_else(pc.equal(dot, -1), length, dot), neg), 0)
    scale = pc.max(frac).as_py() or 0
    ip = max(pc.max(intdigits).as_py() or 1, 1)
    prec = max(ip + scale, 1)
    if prec > 76:
        vals = [None if x is None else decimal.Decimal(x) for x in s.to_pylist()]
        return decimals_to_array(vals)
    return pc.cast(s, pa.decimal128(prec, scale) if prec <= 38 else pa.decimal256(prec, scale))


def decimals_to_array(vals: list[decimal.Decimal | None]) -> pa.Array:
    """Python Decimals to one decimal array (scale = largest value scale), 22003 beyond 76 digits."""
    scale = 0
    ip = 1
    for d in vals:
        if d is None:
            continue
        _, digits, exp = d.as_tuple()
        scale = max(scale, -exp)
        ip = max(ip, len(digits) + exp)
    prec = ip + scale
    if prec > 76:  # past Arrow's decimals: one text per value (numeric_wide)
        return NW.from_decimals(vals)
    typ = pa.decimal128(max(prec, 1), scale) if prec <= 38 else pa.decimal256(prec, scale)
    q = decimal.Decimal(1).scaleb(-scale)
    with decimal.localcontext() as ctx:
        ctx.prec = 100
        return pa.array([None if d is None else d.quantize(q) for d in vals], typ)


_TRUE = {"t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"}
_FALSE = {"f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0"}


def parse_bool(arr: pa.Array) -> pa.Array:
    s = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
    is_t = pc.is_in(s, value_set=pa.array(sorted(_TRUE)))
    is_f = pc.is_in(s, value_set=pa.array(sorted(_FALSE)))
    ok = pc.or_(is_t, is_f)
    if _any_bad(arr, ok):
        raise InvalidTextRepresentation(f'invalid input syntax for type boolean: "{_first_bad(arr, ok)}"')
    return pc.if_else(pc.is_null(arr), pa.scalar(None, pa.bool_()), is_t)


# -------------------------------------------------------------------------------------- date/time

_MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                                             "oct", "nov", "dec"])}
_DT_RE = re.compile(
    r"^\s*(?P<date>\d{4,}-\d{1,2}-\d{1,2}|\d{8})?"
    r"(?:(?:\s+|T)?(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?P<ampm>[ap]m(?![a-z]))?)?"
    r"\s*(?P<tz>z|utc|gmt|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?|[a-z]+/[a-z_+\-0-9]+(?:/[a-z_+\-0-9]+)?)?"
    r"\s*(?P<bc>bc|ad)?\s*$", re.IGNORECASE)


class _DateTimeSyntax(Exception):
    pass


class _DateTimeRange(Exception):
    pass


def _parse_time_part(txt: str, ampm: str | None) -> int:
    parts = txt.split(":")
    h, m = int(parts[0]), int(parts[1])
    sec = decimal.Decimal(parts[2]) if len(parts) > 2 else decimal.Decimal(0)
    if ampm:
        if h > 12:
            raise _DateTimeRange
        h = (h % 12) + (12 if ampm.lower() == "pm" else 0)
    if h > 24 or m > 59 or sec >= 61 or (h == 24 and (m or sec)):
        raise _DateTimeRange
    return h * 3_600_000_000 + m * 60_000_000 + int((sec * 1_000_000).to_integral_value(decimal.ROUND_HALF_EVEN))


def _tz_offset_seconds(tz: str, naive_local: dt.datetime, *, session: bool = False) -> int:
    """UTC offset of ``tz`` at a local time: a zone written in the literal (ISO offsets), or the
    session's TimeZone (``session``: POSIX offsets, see text_out.session_tz_info)."""
    from helios_core.sql.functions.text_out import session_tz_info, tz_info

    if session:
        zone = session_tz_info(tz)
    else:
        zone = tz_info(tz if not re.fullmatch(r"[+-]\d{4}", tz) else f"{tz[:3]}:{tz[3:]}")
    off = wall_offset(zone, naive_local.replace(tzinfo=None)) if not isinstance(zone, dt.timezone) else \
        zone.utcoffset(None)
    if off is None:
        off = naive_local.replace(tzinfo=zone).utcoffset()
    return int(off.total_seconds())


def wall_offset(zone: dt.tzinfo, naive_local: dt.datetime) -> dt.timedelta | None:
    """The UTC offset PostgreSQL gives a wall time of a zone: across a transition the smaller of the
    two offsets, which is the one after the clocks were set back (a time that occurs twice) and the
    one before they were set forward (a time that never occurred), as DetermineTimeZoneOffset."""
    first, second = zone.utcoffset(naive_local.replace(fold=0)), zone.utcoffset(naive_local.replace(fold=1))
    if first is None or second is None:
        return first if second is None else second
    return min(first, second)


def _parse_date_words(txt: str) -> dt.date:
    low = txt.strip().lower()
    today = runtime.transaction_now().astimezone(_zone()).date()
    special = {"today": today, "tomorrow": today + dt.timedelta(days=1),
               "yesterday": today - dt.timedelta(days=1), "epoch": EPOCH_DATE}
    if low in special:
        return special[low]
    bc = False
    if low.endswith(" bc"):
        bc, low = True, low[:-3].strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2,4})", low)  # DateStyle MDY
    if m:
        y, mo, d = int(m.group(3)), int(m.group(1)), int(m.group(2))
    else:
        toks = re.split(r"[\s,\-/.]+", low)
        names = [x for x in toks if x[:3] in _MONTHS and x.isalpha()]
        nums = [x for x in toks if x.isdigit()]
        if len(names) != 1 or len(nums) != 2 or len(toks) != 3:
            raise _DateTimeSyntax
        mo = _MONTHS[names[0][:3]]
        a, b = nums
        if len(a) >= 3:
            y, d = int(a), int(b)
        else:
            d, y = int(a), int(b)
    if bc:
        y = 1 - y
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise _DateTimeRange from None


def _zone() -> dt.tzinfo:
    from helios_core.sql.functions.text_out import session_tz_info

    return session_tz_info(runtime.timezone())


def _zone_named(name: str) -> dt.tzinfo | None:
    try:
        return session_tz_info(name)
    except HeliosError:
        return None


def _decoded_timestamp(txt: str, want_tz: bool, check: bool = True) -> int | None:
    """Micros of ``txt`` read by PostgreSQL's field grammar (datetime_decode); None for 'now'
    (left to the caller). BadFormat when the grammar does not take it."""
    today = runtime.transaction_now().astimezone(_zone()).date()
    d = DD.decode(txt, datestyle.split(runtime.datestyle())[1].upper(), today, True, _zone_named)
    if d.special == "now":
        return None
    if d.special == "epoch":
        return 0
    if d.special in ("infinity", "-infinity"):
        return far_dates.TS_INFINITY if d.special == "infinity" else far_dates.TS_NEG_INFINITY
    days = DD.date_to_julian(d.year, d.month, d.day) - _UNIX_EPOCH_JD
    micros = days * far_dates.US_PER_DAY + ((d.hour * 60 + d.minute) * 60 + d.second) * 1_000_000 + d.micros
    if want_tz:
        if d.offset is not None:
            micros -= d.offset * 1_000_000
        else:
            near = EPOCH + dt.timedelta(microseconds=min(max(micros, _PY_MIN_US), _PY_MAX_US))
            if d.zone is not None:
                off = wall_offset(d.zone, near)
                micros -= int(off.total_seconds()) * 1_000_000 if off is not None else 0
            else:
                micros -= _tz_offset_seconds(runtime.timezone(), near, session=True) * 1_000_000
    return far_dates.check_timestamp(micros, txt) if check else micros


_UNIX_EPOCH_JD = 2440588
_PY_MIN_US = int((dt.datetime(1, 1, 2) - EPOCH) / dt.timedelta(microseconds=1))
_PY_MAX_US = int((dt.datetime(9999, 12, 30) - EPOCH) / dt.timedelta(microseconds=1))


def _parse_one_timestamp(txt: str, want_tz: bool) -> int:
    """Micros since the epoch (UTC for timestamptz, wall time for timestamp)."""
    try:
        micros = _decoded_timestamp(txt, want_tz)
        if micros is not None:
            return micros
    except DD.BadFormat:
        raise _DateTimeSyntax from None
    low = txt.strip().lower()
    if low in ("now",):
        now = runtime.transaction_now()
        if want_tz:
            return int((now - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) / dt.timedelta(microseconds=1))
        local = now.astimezone(_zone()).replace(tzinfo=None)
        return int((local - EPOCH) / dt.timedelta(microseconds=1))
    if low in ("today", "tomorrow", "yesterday", "epoch"):
        d = _parse_date_words(low)
        micros = (d - EPOCH_DATE).days * 86_400_000_000
        if want_tz and low != "epoch":
            micros -= _tz_offset_seconds(runtime.timezone(), dt.datetime.combine(d, dt.time()),
                                         session=True) * 1_000_000
        return micros
    m = _DT_RE.match(txt)
    if m is None or (m.group("date") is None):
        # "Jan 2 2024 10:00" style: split off a trailing time
        mt = re.fullmatch(r"(.*?)\s+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*([ap]m)?\s*"
                          r"(z|utc|gmt|[+-]\d{1,2}(?::?\d{2})?)?", txt.strip(), re.IGNORECASE)
        if mt:
            d = _parse_date_words(mt.group(1))
            t_us = _parse_time_part(mt.group(2), mt.group(3))
            tz = mt.group(4)
        elif m is None or m.group("time") is not None:
            raise _DateTimeSyntax
        else:
            d = _parse_date_words(txt)
            t_us, tz = 0, None
        bc = False
    else:
        ds = m.group("date")
        if "-" in ds:
            y, mo, dd = (int(x) for x in ds.split("-"))
        else:
            y, mo, dd = int(ds[:4]), int(ds[4:6]), int(ds[6:])
        if m.group("bc") and m.group("bc").lower() == "bc":
            y = 1 - y
        try:
            d = dt.date(y, mo, dd)
        except ValueError:
            raise _DateTimeRange from None
        t_us = _parse_time_part(m.group("time"), m.group("ampm")) if m.group("time") else 0
        tz = m.group("tz")
        bc = False
    del bc
    micros = (d - EPOCH_DATE).days * 86_400_000_000 + t_us
    if want_tz:
        local = EPOCH + dt.timedelta(microseconds=micros)
        off = _tz_offset_seconds(tz if tz else runtime.timezone(), local, session=not tz)
        micros -= off * 1_000_000
    return micros


_ISO_TS = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$"
_ISO_TS_OFFSET = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}(:?\d{2})?|Z)$"
_ISO_TS_OFFSET_ONE = re.compile(_ISO_TS_OFFSET)  # the first value's form decides which check goes first


def parse_timestamp(arr: pa.Array, tz: bool) -> pa.Array:
    s = pc.utf8_trim_whitespace(arr)
    target = pa.timestamp("us", tz="UTC") if tz else pa.timestamp("us")
    first = s[0].as_py() if len(s) and s[0].is_valid else None
    offsets = tz and first is not None and _ISO_TS_OFFSET_ONE.match(first) is not None
    if not offsets and (not tz or runtime.timezone().upper() in ("UTC", "GMT", "ETC/UTC")) and \
            pc.all(pc.match_substring_regex(s, _ISO_TS)).as_py() and not pc.any(pc.starts_with(s, "0000")).as_py():
        try:
            v = pc.cast(s, pa.timestamp("us"))
            return v.cast(target) if tz else v
        except pa.ArrowInvalid:
            pass
    if tz and pc.all(pc.match_substring_regex(s, _ISO_TS_OFFSET)).as_py() and \
            not pc.any(pc.starts_with(s, "0000")).as_py():
        try:  # every value names its UTC offset (COPY text from PostgreSQL and its clients)
            return pc.cast(s, target)
        except pa.ArrowInvalid:
            pass
    # Per-row Python: PostgreSQL's many datetime spellings, time zones, 'now'/'today'/'epoch'
    out = []
    display = "timestamp with time zone" if tz else "timestamp"
    for x in arr.to_pylist():
        if x is None:
            out.append(None)
            continue
        sign = far_dates.infinity_sign(x)
        if sign:
            out.append(far_dates.TS_INFINITY if sign > 0 else far_dates.TS_NEG_INFINITY)
            continue
        try:
            out.append(_parse_one_timestamp(x, tz))
        except (DD.FieldOverflow, DD.ZoneDisplacement) as e:
            raise DD.error_for(e, x, display) from None
        except far_dates.OutOfRange:
            raise HeliosError(f'timestamp out of range: "{x}"', sqlstate="22008") from None
        except (_DateTimeSyntax, ValueError, decimal.InvalidOperation):
            if _far_form(x):
                out.append(_far_timestamp(x, tz))
                continue
            raise HeliosError(f'invalid input syntax for type {display}: "{x}"', sqlstate="22007") from None
        except (_DateTimeRange, OverflowError):
            out.append(_far_timestamp(x, tz))
    return pa.array(out, pa.int64()).cast(target)


def _far_form(x: str) -> bool:
    """ISO text with a five-or-more-digit year (Python's date parsing refuses it)."""
    try:
        return far_dates.parse_far(x) is not None
    except ValueError:
        return True


def _far_timestamp(x: str, tz: bool) -> int:
    """A timestamp Python's datetime cannot hold (BC, years past 9999), or 22008."""
    try:
        far = far_dates.parse_far(x)
        if far is None:
            raise far_dates.OutOfRange(x)
        days, us, offset = far
        micros = days * far_dates.US_PER_DAY + us
        if tz:
            if offset is None:  # the session zone's offset at the nearest date Python can hold
                near = dt.datetime(9999, 12, 31) if days > 0 else dt.datetime(1, 1, 1)
                offset = _tz_offset_seconds(runtime.timezone(), near, session=True)
            micros -= offset * 1_000_000
        return far_dates.check_timestamp(micros, x)
    except far_dates.OutOfRange:
        raise HeliosError(f'timestamp out of range: "{x}"', sqlstate="22008") from None
    except ValueError:
        raise HeliosError(f'date/time field value out of range: "{x}"', sqlstate="22008") from None


def parse_date(arr: pa.Array) -> pa.Array:
    s = pc.utf8_trim_whitespace(arr)
    if pc.all(pc.match_substring_regex(s, r"^\d{4}-\d{2}-\d{2}$")).as_py() and \
            not pc.any(pc.starts_with(s, "0000")).as_py():  # there is no year 0
        try:
            return pc.cast(s, pa.date32())
        except pa.ArrowInvalid:
            pass
    # Per-row Python for other spellings
    out = []
    for x in arr.to_pylist():
        if x is None:
            out.append(None)
            continue
        sign = far_dates.infinity_sign(x)
        if sign:
            out.append(far_dates.DATE_INFINITY if sign > 0 else far_dates.DATE_NEG_INFINITY)
            continue
        try:
            try:
                micros = _decoded_timestamp(x, False, check=False)
            except DD.BadFormat:
                raise _DateTimeSyntax from None
            if micros is None:  # now
                micros = _parse_one_timestamp(x, False)
            out.append(far_dates.check_date(micros // 86_400_000_000, x))
        except (DD.FieldOverflow, DD.ZoneDisplacement) as e:
            raise DD.error_for(e, x, "date") from None
        except far_dates.OutOfRange:
            raise HeliosError(f'date out of range: "{x}"', sqlstate="22008") from None
        except _DateTimeSyntax:
            raise HeliosError(f'invalid input syntax for type date: "{x}"', sqlstate="22007") from None
    return pa.array(out, pa.int32()).cast(pa.date32())


def _far_date(x: str) -> int:
    """A date Python's datetime cannot hold (BC, years past 9999), or 22008."""
    try:
        far = far_dates.parse_far(x)
        if far is None:
            raise far_dates.OutOfRange(x)
        return far_dates.check_date(far[0], x)
    except far_dates.OutOfRange:
        raise HeliosError(f'date out of range: "{x}"', sqlstate="22008") from None
    except ValueError:
        raise HeliosError(f'date/time field value out of range: "{x}"', sqlstate="22008") from None


def parse_time(arr: pa.Array) -> pa.Array:
    # Per-row Python: Arrow cannot cast text to time
    out = []
    for x in arr.to_pylist():
        if x is None:
            out.append(None)
            continue
        low = x.strip().lower()
        if low == "allballs":
            out.append(0)
            continue
        m = re.fullmatch(r"(?:\d{4}-\d{1,2}-\d{1,2}[ t])?(\d+:\d+(?::\d+(?:\.\d+)?)?)\s*([ap]m)?"
                         r"\s*(z|utc|[+-]\d{1,2}(?::?\d{2})?)?", low)
        if not m:
            raise HeliosError(f'invalid input syntax for type time: "{x}"', sqlstate="22007")
        try:
            out.append(_parse_time_part(m.group(1), m.group(2)))
        except _DateTimeRange:
            raise HeliosError(f'date/time field value out of range: "{x}"', sqlstate="22008") from None
    return pa.array(out, pa.int64()).cast(pa.time64("us"))


# ---------------------------------------------------------------------------------------- interval

def parse_interval(arr: pa.Array) -> pa.Array:
    # Per-row Python: interval syntax has no Arrow parser (the grammar lives in interval_input)
    out = []
    for x in arr.to_pylist():
        if x is None:
            out.append(None)
            continue
        mo, d, us = parse_interval_value(x)
        out.append(pa.scalar((mo, d, us * 1000), pa.month_day_nano_interval()).as_py())
    return pa.array(out, pa.month_day_nano_interval())


# ----------------------------------------------------------------------------------- uuid / bytea

def parse_uuid(arr: pa.Array) -> pa.Array:
    s = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
    # PostgreSQL's uuid_in: 32 hex digits, an optional hyphen after any group of four, optional braces
    shape = r"^\{?[0-9a-f]{4}(-?[0-9a-f]{4}){7}\}?$"
    ok = pc.and_(pc.match_substring_regex(s, shape),
                 pc.equal(pc.starts_with(s, "{"), pc.ends_with(s, "}")))
    if _any_bad(arr, ok):
        raise InvalidTextRepresentation(f'invalid input syntax for type uuid: "{_first_bad(arr, ok)}"')
    h = pc.replace_substring_regex(s, r"[{}\-]", "")
    parts = [pc.utf8_slice_codeunits(h, a, b) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    return pc.binary_join_element_wise(*parts, "-")


def _hex_error(h: str) -> HeliosError:
    """PostgreSQL's error for bytea hex input that does not decode: the first character that is not
    a hex digit where one must be, or an odd number of digits (22023 both)."""
    i = 0
    while i < len(h):
        if h[i] in " \t\n\r":
            i += 1
            continue
        for ch in h[i:i + 2]:
            if ch not in string.hexdigits:
                return HeliosError(f'invalid hexadecimal digit: "{ch}"', sqlstate="22023")
        if i + 1 >= len(h):
            break
        i += 2
    return HeliosError("invalid hexadecimal data: odd number of digits", sqlstate="22023")


def parse_bytea(arr: pa.Array) -> pa.Array:
    # Per-row Python: hex and escape formats have no Arrow kernel
    out = []
    for x in arr.to_pylist():
        if x is None:
            out.append(None)
            continue
        if x.startswith("\\x"):  # lower-case only: "\X" is the escape format's (and an error there)
            try:
                out.append(bytes.fromhex(x[2:]))  # whitespace between byte pairs only, as PostgreSQL's
            except ValueError:
                raise _hex_error(x[2:]) from None
            continue
        buf = bytearray()
        i = 0
        while i < len(x):
            c = x[i]
            if c == "\\":
                if x[i + 1: i + 2] == "\\":
                    buf.append(0x5C)
                    i += 2
                    continue
                oct3 = x[i + 1: i + 4]
                if len(oct3) == 3 and all(ch in "01234567" for ch in oct3):
                    buf.append(int(oct3, 8))
                    i += 4
                    continue
                raise InvalidTextRepresentation("invalid input syntax for type bytea")
            buf.extend(c.encode())
            i += 1
        out.append(bytes(buf))
    return pa.array(out, pa.binary())


# ------------------------------------------------------------------------------------------- json

def parse_json(arr: pa.Array) -> pa.Array:
    # Per-row Python: validation with the json module (json keeps its input text verbatim)
    for x in arr.to_pylist():
        if x is not None:
            _json_loads(x, "json")
    return arr


def _json_loads(x: str, tname: str) -> object:
    try:
        return _JSON_DECODER.decode(x)
    except (ValueError, TypeError):
        raise InvalidTextRepresentation(f"invalid input syntax for type {tname}",
                                        detail=f"Token in {x!r} is invalid.") from None


def _jsonb_loads(x: str) -> object:
    """jsonb keeps decoded strings, so a \\u0000 is refused at input (22P05) as in PostgreSQL."""
    value = _json_loads(x, "json")
    if "\\u0000" in x:
        from helios_core.sql.functions.jsonb import refuse_nul

        refuse_nul(value)
    return value


def _reject_constant(name: str) -> object:
    raise ValueError(name)


# json.loads(x, parse_float=..., ...) builds a decoder per call; one decoder, made once, reads alike
_JSON_DECODER = json.JSONDecoder(parse_float=decimal.Decimal, parse_int=int, parse_constant=_reject_constant)


def parse_jsonb(arr: pa.Array) -> pa.Array:
    # Per-row Python: jsonb normalization (sorted keys, last duplicate wins)
    return pa.array([None if x is None else jsonb_text(x) for x in arr.to_pylist()], pa.string())


def jsonb_text(x: str) -> str:
    """jsonb's input of one text: the canonical text it is stored as (raises as parse_jsonb)."""
    from helios_core.sql.functions.jsonb import dump_jsonb

    return dump_jsonb(_jsonb_loads(x))


# ------------------------------------------------------------------------------------------ arrays

def parse_array(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """Array literals to a (nested, for N dimensions) list array of t's element type.

    Per-row Python parses each literal; the elements are converted vectorized afterwards.
    """
    from helios_core.sql.functions.array_dims import depth, nested_type
    from helios_core.sql.functions.array_literal import parse_literal
    from helios_core.sql.functions.cast import cast_array_values

    delimiter = ";" if t.element is not None and t.element.name == "box" else ","  # pg_type.typdelim
    parsed = [None if x is None else parse_literal(x, delimiter) for x in arr.to_pylist()]
    shapes = [None if v is None else _shape(v) for v in parsed]
    nds = {len(d) for d in shapes if d}
    if len(nds) > 1:
        from helios_core.errors import FeatureNotSupported

        raise FeatureNotSupported("arrays of different dimensionality in one column are not supported")
    nd = nds.pop() if nds else max(depth(t.arrow_type), 1)
    flat: list[str | None] = []
    for v in parsed:
        if v:
            _flatten_into(v, flat)
    values = cast_array_values(pa.array(flat, pa.string()), T.UNKNOWN, t.element)
    # offsets level by level: each row contributes d1 lists at level 1, d1*d2 at level 2, ...
    level_lens: list[list[int]] = [[] for _ in range(nd)]
    for d in shapes:
        if not d:
            level_lens[0].append(0)
            continue
        count = 1
        for k in range(nd):
            level_lens[k].extend([d[k]] * count)
            count *= d[k]
    out = values
    for k in range(nd - 1, -1, -1):
        offsets = [0]
        for n in level_lens[k]:
            offsets.append(offsets[-1] + n)
        mask = pa.array([v is None for v in parsed], pa.bool_()) if k == 0 else None
        out = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), out, mask=mask)
    if nd > 1 and out.type != nested_type(values.type, nd):
        out = out.cast(nested_type(values.type, nd))
    return out


def _shape(v: list) -> list[int]:
    dims = []
    while isinstance(v, list) and v:
        dims.append(len(v))
        v = v[0]
    return dims


def _flatten_into(v: list, out: list) -> None:
    for x in v:
        if isinstance(x, list):
            _flatten_into(x, out)
        else:
            out.append(x)
