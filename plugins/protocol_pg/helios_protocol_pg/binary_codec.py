"""PostgreSQL binary wire format for the common types, both directions.

Encoders take the Python values that ``pyarrow.Array.to_pylist()`` yields for our
Arrow mapping (int, float, bool, str, bytes, Decimal, date, time, datetime, UUID,
MonthDayNano/timedelta, list) and return the bytes PostgreSQL would send; decoders
turn a client's binary parameter or COPY field into such a Python value.
Types without a binary codec here are sent in text format (see ``formats.py``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import struct
import uuid
from collections.abc import Callable
from typing import Any

from helios_core import types as sql_types
from helios_core.errors import HeliosError
from helios_protocol_pg import client_encoding

PG_EPOCH_DATE = dt.date(2000, 1, 1)
PG_EPOCH = dt.datetime(2000, 1, 1)
PG_EPOCH_TZ = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_PG_EPOCH_ORD = PG_EPOCH_DATE.toordinal()

_i16 = struct.Struct("!h")
_i32 = struct.Struct("!i")
_u32 = struct.Struct("!I")
_i64 = struct.Struct("!q")
_tid = struct.Struct("!IH")  # tid: block, offset (held as block << 16 | offset)
_f32 = struct.Struct("!f")
_f64 = struct.Struct("!d")
_interval = struct.Struct("!qii")

# OIDs
BOOL, BYTEA, CHAR, NAME, INT8, INT2, INT4, TEXT, OID = 16, 17, 18, 19, 20, 21, 23, 25, 26
JSON, FLOAT4, FLOAT8, UNKNOWN, BPCHAR, VARCHAR = 114, 700, 701, 705, 1042, 1043
DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL, NUMERIC, UUID, JSONB = 1082, 1083, 1114, 1184, 1186, 1700, 2950, 3802
REGPROC, REGCLASS, REGTYPE, XID, CID, TID = 24, 2205, 2206, 28, 29, 27
# the other OID alias types: regprocedure, regoper, regoperator, regnamespace, regrole, regcollation
OID_ALIASES = (2202, 2203, 2204, 4089, 4096, 4191)
VOID = 2278
MONEY = 790
JSONPATH = 4072

ARRAY_ELEMENT: dict[int, int] = {
    1000: BOOL, 1001: BYTEA, 1002: CHAR, 1003: NAME, 1016: INT8, 1005: INT2, 1007: INT4, 1009: TEXT,
    1028: OID, 199: JSON, 1021: FLOAT4, 1022: FLOAT8, 1014: BPCHAR, 1015: VARCHAR, 1182: DATE,
    1183: TIME, 1115: TIMESTAMP, 1185: TIMESTAMPTZ, 1187: INTERVAL, 1231: NUMERIC, 2951: UUID,
    3807: JSONB, 1008: REGPROC, 2210: REGCLASS, 2211: REGTYPE, 4073: JSONPATH,
    2207: 2202, 2208: 2203, 2209: 2204, 4090: 4089, 4097: 4096, 4192: 4191,
}
ARRAY_OF: dict[int, int] = {v: k for k, v in ARRAY_ELEMENT.items()}


def _bad(type_name: str, what: str = "") -> HeliosError:
    return HeliosError(f"incorrect binary data format for type {type_name}{what}", sqlstate="22P03")


# ---------------------------------------------------------------------------
# Encoders: Python value -> bytes
# ---------------------------------------------------------------------------


def _enc_bool(v: Any) -> bytes:
    return b"\x01" if v else b"\x00"


def _enc_char(v: Any) -> bytes:
    """"char" is one byte; the empty value (text output '') is the byte 0, as charsend sends it."""
    return b"\x00" if v == "" else _enc_text(v)


def _dec_char(b: bytes) -> str:
    """charrecv: the byte 0 is the empty "char" (a NUL has no place in text)."""
    return "" if b == b"\x00" else _dec_text(b)


def _enc_text(v: Any) -> bytes:
    if isinstance(v, bytes):
        return v
    if not isinstance(v, str):
        v = json.dumps(v) if isinstance(v, dict | list) else str(v)
    return v.encode("utf-8") if client_encoding.is_utf8() else client_encoding.encode(v)


def _enc_jsonb(v: Any) -> bytes:
    return b"\x01" + _enc_text(v)


def _enc_bytea(v: Any) -> bytes:
    return bytes(v) if not isinstance(v, str) else v.encode("utf-8")


def _enc_numeric(v: Any) -> bytes:
    d = v if isinstance(v, decimal.Decimal) else decimal.Decimal(str(v))
    if d.is_nan():
        return struct.pack("!hhhh", 0, 0, 0xC000 - 0x10000, 0)
    if d.is_infinite():
        return struct.pack("!hhhh", 0, 0, (0xD000 if d > 0 else 0xF000) - 0x10000, 0)
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    dscale = max(0, -exp)
    # Build the digit string padded so the decimal point falls on a base-10000 boundary.
    ds = "".join(map(str, digits))
    int_len = len(ds) + exp  # number of digits before the decimal point
    if exp > 0:
        ds = ds + "0" * exp
        frac = ""
        intpart = ds
    elif int_len > 0:
        intpart, frac = ds[:int_len], ds[int_len:]
    else:
        intpart, frac = "", "0" * (-int_len) + ds
    intpart = intpart.lstrip("0")
    pad_int = (-len(intpart)) % 4
    intpart = "0" * pad_int + intpart
    pad_frac = (-len(frac)) % 4
    frac = frac + "0" * pad_frac
    groups = [int(intpart[i : i + 4]) for i in range(0, len(intpart), 4)]
    fgroups = [int(frac[i : i + 4]) for i in range(0, len(frac), 4)]
    weight = len(groups) - 1
    allg = groups + fgroups
    # strip leading zeros (adjust weight) and trailing zeros
    while allg and allg[0] == 0:
        allg.pop(0)
        weight -= 1
    while allg and allg[-1] == 0:
        allg.pop()
    if not allg:
        weight = 0
    head = struct.pack("!hhhh", len(allg), weight, 0x4000 if sign else 0, dscale)
    return head + b"".join(_i16.pack(g) for g in allg)


def _enc_date(v: Any) -> bytes:
    if isinstance(v, dt.datetime):
        v = v.date()
    return _i32.pack(v.toordinal() - _PG_EPOCH_ORD)


def _enc_time(v: Any) -> bytes:
    if isinstance(v, dt.timedelta):
        return _i64.pack(v // dt.timedelta(microseconds=1))
    return _i64.pack(((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond)


def _micros(delta: dt.timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _enc_timestamp(v: Any) -> bytes:
    if v.tzinfo is not None:
        v = v.astimezone(dt.UTC).replace(tzinfo=None)
    return _i64.pack(_micros(v - PG_EPOCH))


def _enc_timestamptz(v: Any) -> bytes:
    if v.tzinfo is None:
        v = v.replace(tzinfo=dt.UTC)
    return _i64.pack(_micros(v - PG_EPOCH_TZ))


def _enc_interval(v: Any) -> bytes:
    if isinstance(v, dt.timedelta):
        return _interval.pack(v.seconds * 1_000_000 + v.microseconds, v.days, 0)
    if isinstance(v, tuple) and len(v) == 3:  # pyarrow MonthDayNano(months, days, nanoseconds)
        months, days, nanos = v
        return _interval.pack(int(nanos) // 1000, int(days), int(months))
    raise _bad("interval")


def _enc_uuid(v: Any) -> bytes:
    if isinstance(v, uuid.UUID):
        return v.bytes
    if isinstance(v, bytes) and len(v) == 16:
        return v
    return uuid.UUID(str(v)).bytes


ENCODERS: dict[int, Callable[[Any], bytes]] = {
    BOOL: _enc_bool,
    INT2: _i16.pack,
    INT4: _i32.pack,
    INT8: _i64.pack,
    MONEY: _i64.pack,  # cents
    TID: lambda v: _tid.pack(v >> 16, v & 0xFFFF),
    OID: _u32.pack,
    REGPROC: _u32.pack,
    REGCLASS: _u32.pack,
    REGTYPE: _u32.pack,
    **dict.fromkeys(OID_ALIASES, _u32.pack),
    XID: _u32.pack,
    CID: _u32.pack,
    FLOAT4: _f32.pack,
    FLOAT8: _f64.pack,
    TEXT: _enc_text,
    VARCHAR: _enc_text,
    BPCHAR: _enc_text,
    NAME: _enc_text,
    CHAR: _enc_char,
    UNKNOWN: _enc_text,
    JSON: _enc_text,
    JSONB: _enc_jsonb,
    JSONPATH: _enc_jsonb,  # jsonpath_send: the same version byte before the text
    BYTEA: _enc_bytea,
    VOID: lambda v: b"",  # void_send: no bytes
    NUMERIC: _enc_numeric,
    DATE: _enc_date,
    TIME: _enc_time,
    TIMESTAMP: _enc_timestamp,
    TIMESTAMPTZ: _enc_timestamptz,
    INTERVAL: _enc_interval,
    UUID: _enc_uuid,
}


# element types whose values are themselves Python lists (multiranges: see range_codec)
LIST_VALUED: set[int] = set()


def _array_dims(v: list, elem_oid: int) -> list[int]:
    dims = [len(v)]
    leaf_list = elem_oid in LIST_VALUED
    while v and isinstance(v[0], list) and not (leaf_list and not any(isinstance(x, list) for x in v[0])):
        v = v[0]
        dims.append(len(v))
    return dims


def encode_array(v: list, elem_oid: int, enc: Callable[[Any], bytes] | None = None) -> bytes:
    enc = enc or ENCODERS[elem_oid]
    dims = _array_dims(v, elem_oid) if v else []
    flat: list[Any] = []

    def walk(x: Any, depth: int) -> None:
        if depth == len(dims):
            flat.append(x)
            return
        if not isinstance(x, list) or len(x) != dims[depth]:
            raise HeliosError("multidimensional arrays must have array expressions with matching dimensions",
                              sqlstate="2202E")
        for y in x:
            walk(y, depth + 1)

    if dims:
        walk(v, 0)
    has_null = any(x is None for x in flat)
    parts = [struct.pack("!iiI", len(dims), 1 if has_null else 0, elem_oid)]
    for d in dims:
        parts.append(struct.pack("!ii", d, 1))
    for x in flat:
        if x is None:
            parts.append(b"\xff\xff\xff\xff")
        else:
            b = enc(x)
            parts.append(_i32.pack(len(b)))
            parts.append(b)
    return b"".join(parts)


def encoder_for(oid: int) -> Callable[[Any], bytes] | None:
    """The binary encoder for a type OID, or None when this type only goes as text."""
    e = ENCODERS.get(oid)
    if e is not None:
        return e
    elem = ARRAY_ELEMENT.get(oid)
    if elem is not None:
        return lambda v: encode_array(v, elem)
    return None


# ---------------------------------------------------------------------------
# Decoders: bytes -> Python value
# ---------------------------------------------------------------------------


def _fixed(s: struct.Struct, name: str) -> Callable[[bytes], Any]:
    def dec(b: bytes) -> Any:
        if len(b) < s.size:  # PostgreSQL's recv function reads past the value's end
            raise HeliosError("insufficient data left in message", sqlstate="08P01")
        if len(b) != s.size:
            raise _bad(name)
        return s.unpack(b)[0]

    return dec


def _dec_bool(b: bytes) -> bool:
    if len(b) != 1:
        raise _bad("boolean")
    return b != b"\x00"


def _dec_text(b: bytes) -> str:
    if not client_encoding.is_utf8():
        text = client_encoding.decode(b)
    else:
        try:
            text = b.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HeliosError(f'invalid byte sequence for encoding "UTF8": 0x{b[exc.start]:02x}',
                              sqlstate="22021") from exc
    if "\x00" in text:  # PostgreSQL text never holds NUL
        raise HeliosError('invalid byte sequence for encoding "UTF8": 0x00', sqlstate="22021")
    return text


def _dec_jsonb(b: bytes) -> str:
    if not b or b[0] != 1:
        raise HeliosError("unsupported jsonb version number", sqlstate="22P03")
    return _dec_text(b[1:])


def _dec_jsonpath(b: bytes) -> str:
    if not b or b[0] != 1:
        raise HeliosError("unsupported jsonpath version number", sqlstate="22P03")
    return _dec_text(b[1:])


def _dec_numeric(b: bytes) -> decimal.Decimal:
    if len(b) < 8:
        raise _bad("numeric")
    ndigits, weight, sign, dscale = struct.unpack_from("!hhHh", b)
    if sign == 0xC000:
        return decimal.Decimal("NaN")
    if sign == 0xD000:
        return decimal.Decimal("Infinity")
    if sign == 0xF000:
        return decimal.Decimal("-Infinity")
    if sign not in (0, 0x4000) or ndigits < 0 or len(b) != 8 + 2 * ndigits:
        raise _bad("numeric")
    digits = struct.unpack_from(f"!{ndigits}h", b, 8)
    if any(d < 0 or d > 9999 for d in digits):
        raise _bad("numeric")
    value = 0
    for d in digits:
        value = value * 10000 + d
    exp = (weight - ndigits + 1) * 4
    dec = decimal.Decimal((1 if sign else 0, tuple(int(c) for c in str(value)), exp))
    if dscale < 0:
        return dec
    # enough precision for every digit the value has left of the point plus its scale (1E+1000)
    prec = (max(weight, 0) + 1) * 4 + dscale + 8
    return dec.quantize(decimal.Decimal(1).scaleb(-dscale), context=decimal.Context(prec=prec, Emax=decimal.MAX_EMAX,
                                                                                    Emin=decimal.MIN_EMIN))


def _dec_date(b: bytes) -> dt.date | str:
    """A date; one Python cannot hold (BC, past 9999, ±infinity) goes on as its ISO text."""
    if len(b) != 4:
        raise _bad("date")
    (days,) = _i32.unpack(b)
    if days in (2**31 - 1, -(2**31)):
        return "infinity" if days > 0 else "-infinity"
    try:
        return dt.date.fromordinal(days + _PG_EPOCH_ORD)
    except (ValueError, OverflowError):
        return sql_types.date_text_of_days(days + 10957)


def _dec_time(b: bytes) -> dt.time:
    if len(b) != 8:
        raise _bad("time")
    (us,) = _i64.unpack(b)
    if not 0 <= us <= 86_400_000_000:
        raise HeliosError("time out of range", sqlstate="22008")
    us = min(us, 86_400_000_000 - 1)
    s, us = divmod(us, 1_000_000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return dt.time(h, m, s, us)


def _dec_timestamp(b: bytes) -> dt.datetime | str:
    """A timestamp; one Python cannot hold goes on as its ISO text (see _dec_date)."""
    if len(b) != 8:
        raise _bad("timestamp")
    (us,) = _i64.unpack(b)
    if us in (2**63 - 1, -(2**63)):
        return "infinity" if us > 0 else "-infinity"
    try:
        return PG_EPOCH + dt.timedelta(microseconds=us)
    except OverflowError:
        return sql_types.timestamp_text_of_micros(us + 946_684_800_000_000)


def _dec_timestamptz(b: bytes) -> dt.datetime | str:
    if len(b) != 8:
        raise _bad("timestamp with time zone")
    (us,) = _i64.unpack(b)
    if us in (2**63 - 1, -(2**63)):
        return "infinity" if us > 0 else "-infinity"
    try:
        return PG_EPOCH_TZ + dt.timedelta(microseconds=us)
    except OverflowError:
        return sql_types.timestamp_text_of_micros(us + 946_684_800_000_000, "+00")


def _dec_interval(b: bytes) -> str:
    """Intervals go to the engine as PostgreSQL interval text (exact for months/days/micros)."""
    if len(b) != 16:
        raise _bad("interval")
    us, days, months = _interval.unpack(b)
    sign = "-" if us < 0 else ""
    us = abs(us)
    s, frac = divmod(us, 1_000_000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    t = f"{sign}{h:02d}:{m:02d}:{s:02d}" + (f".{frac:06d}".rstrip("0") if frac else "")
    return f"{months} mons {days} days {t}"


def _dec_tid(b: bytes) -> int:
    if len(b) != 6:
        raise _bad("tid")
    block, offset = _tid.unpack(b)
    return block << 16 | offset


def _dec_uuid(b: bytes) -> uuid.UUID:
    if len(b) != 16:
        raise _bad("uuid")
    return uuid.UUID(bytes=b)


DECODERS: dict[int, Callable[[bytes], Any]] = {
    BOOL: _dec_bool,
    INT2: _fixed(_i16, "smallint"),
    INT4: _fixed(_i32, "integer"),
    INT8: _fixed(_i64, "bigint"),
    TID: _dec_tid,
    OID: _fixed(_u32, "oid"),
    REGCLASS: _fixed(_u32, "regclass"),
    REGTYPE: _fixed(_u32, "regtype"),
    **{oid: _fixed(_u32, "oid") for oid in OID_ALIASES},
    FLOAT4: _fixed(_f32, "real"),
    FLOAT8: _fixed(_f64, "double precision"),
    TEXT: _dec_text,
    VARCHAR: _dec_text,
    BPCHAR: _dec_text,
    NAME: _dec_text,
    CHAR: _dec_char,
    UNKNOWN: _dec_text,
    JSON: _dec_text,
    JSONB: _dec_jsonb,
    JSONPATH: _dec_jsonpath,
    BYTEA: bytes,
    NUMERIC: _dec_numeric,
    DATE: _dec_date,
    TIME: _dec_time,
    TIMESTAMP: _dec_timestamp,
    TIMESTAMPTZ: _dec_timestamptz,
    INTERVAL: _dec_interval,
    UUID: _dec_uuid,
    2278: lambda b: None,  # void: a placeholder argument (``now($1::void)``, JDBC's OUT parameters)
}


def decode_array(b: bytes, elem_hint: int | None = None, element: Callable[[bytes], Any] | None = None) -> list:
    """An array in binary; ``element`` decodes its elements when their OID has no decoder here
    (a composite type's records)."""
    try:
        ndim, _flags, elem_oid = struct.unpack_from("!iiI", b)
        if ndim < 0 or ndim > 6:
            raise _bad("array", ": invalid number of dimensions")
        pos = 12
        dims = []
        for _ in range(ndim):
            size, _lb = struct.unpack_from("!ii", b, pos)
            if size < 0:
                raise _bad("array")
            dims.append(size)
            pos += 8
        dec = element or DECODERS.get(elem_oid) or DECODERS.get(elem_hint or 0)  # an enum's elements: text
        if dec is None:
            raise HeliosError(f"no binary input function available for type {elem_oid}", sqlstate="42883")
        total = 1
        for d in dims:
            total *= d
        flat = []
        for _ in range(total if dims else 0):
            (ln,) = _i32.unpack_from(b, pos)
            pos += 4
            if ln == -1:
                flat.append(None)
            else:
                if ln < 0 or pos + ln > len(b):
                    raise _bad("array")
                flat.append(dec(b[pos : pos + ln]))
                pos += ln
        if pos != len(b):
            raise _bad("array")
    except struct.error as exc:
        raise _bad("array") from exc

    def nest(items: list, depth: int) -> list:
        if depth == len(dims) - 1:
            return items
        step = len(items) // dims[depth] if dims[depth] else 0
        return [nest(items[i * step : (i + 1) * step], depth + 1) for i in range(dims[depth])]

    return nest(flat, 0) if dims else []


def decoder_for(oid: int) -> Callable[[bytes], Any] | None:
    d = DECODERS.get(oid)
    if d is not None:
        return d
    elem = ARRAY_ELEMENT.get(oid)
    if elem is not None:
        return lambda b: decode_array(b, elem)
    return None
