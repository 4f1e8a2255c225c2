"""time with time zone: a time of day and the UTC offset it was given with.

PostgreSQL keeps the offset with each timetz value ('10:20:30+02:30' stays +02:30) and
compares values by their UTC time, then by the offset. Values are an Arrow struct
{time: time64[us], offset: int32 seconds east of UTC} (see ``types.TIMETZ``). A time written
without an offset takes the session TimeZone's current offset, as in PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError
from helios_core.sql import types as T

# module objects: text_in and text_out dispatch timetz back to this module
from helios_core.sql.functions import datetime_decode, runtime, text_in, text_out

_TIME_RE = re.compile(r"(?:\d{4}-\d{1,2}-\d{1,2}[ t])?(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*([ap]m)?"
                      r"\s*([a-z]+|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?")


def make(times: pa.Array, offsets: pa.Array) -> pa.Array:
    """The struct array of times (time64[us]) and their offsets (seconds east of UTC)."""
    mask = times.is_null()
    return pa.StructArray.from_arrays([times.cast(pa.time64("us")), offsets.cast(pa.int32())],
                                      names=["time", "offset"], mask=mask)


def session_offset() -> int:
    """The session TimeZone's UTC offset now (seconds east)."""
    zone = text_out.session_tz_info(runtime.timezone())
    off = runtime.transaction_now().astimezone(zone).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _offset(text: str) -> int | None:
    """Seconds east of UTC of a numeric offset or a fixed zone abbreviation ('bst'); None if unknown."""
    t = text.lower()
    if t[0].isalpha():
        abbrev = datetime_decode.ABBREVIATIONS.get(t)
        if isinstance(abbrev, str):  # a dynamic abbreviation: its zone's offset today, as PostgreSQL does
            off = runtime.transaction_now().astimezone(zoneinfo.ZoneInfo(abbrev)).utcoffset()
            return int(off.total_seconds()) if off is not None else 0
        return abbrev[0] if abbrev is not None else None
    sign = -1 if t[0] == "-" else 1
    body = t[1:]
    if ":" in body:
        parts = [int(p) for p in body.split(":")] + [0, 0]
        h, m, s = parts[0], parts[1], parts[2]
    elif len(body) <= 2:
        h, m, s = int(body), 0, 0
    elif len(body) <= 4:
        h, m, s = int(body[:-2]), int(body[-2:]), 0
    else:
        h, m, s = int(body[:-4]), int(body[-4:-2]), int(body[-2:])
    if h > 15 or m > 59 or s > 59:
        raise HeliosError(f'time zone displacement out of range: "{text}"', sqlstate="22009")
    return sign * (h * 3600 + m * 60 + s)


def parse(arr: pa.Array) -> pa.Array:
    """timetz input: '10:20:30.5+02:30', '00:00-12', '3:04 pm Z' (22007 otherwise)."""
    times, offsets = [], []
    default = None
    for x in arr.cast(pa.string()).to_pylist():
        if x is None:
            times.append(None)
            offsets.append(None)
            continue
        m = _TIME_RE.fullmatch(x.strip().lower())
        if m is None:
            raise HeliosError(f'invalid input syntax for type time with time zone: "{x}"', sqlstate="22007")
        try:
            times.append(text_in._parse_time_part(m.group(1), m.group(2)))
        except text_in._DateTimeRange:
            raise HeliosError(f'date/time field value out of range: "{x}"', sqlstate="22008") from None
        if m.group(3):
            off = _offset(m.group(3))
            if off is None:
                raise HeliosError(f'invalid input syntax for type time with time zone: "{x}"', sqlstate="22007")
            offsets.append(off)
        else:
            default = session_offset() if default is None else default
            offsets.append(default)
    return make(pa.array(times, pa.int64()), pa.array(offsets, pa.int32()))


def text(arr: pa.Array) -> pa.Array:
    """timetz output: the time as time prints, then the offset ('10:20:30.00004+02:30')."""
    clock = text_out.to_text(arr.field("time"), T.TIME).to_pylist()
    out = [None if c is None or not valid else c + text_out._offset_text(o)
           for c, o, valid in zip(clock, arr.field("offset").to_pylist(), arr.is_valid().to_pylist(), strict=True)]
    return pa.array(out, pa.string())


def from_time(arr: pa.Array) -> pa.Array:
    """time -> timetz: with the session's current offset."""
    return make(arr, pa.array([session_offset()] * len(arr), pa.int32()))


def to_time(arr: pa.Array) -> pa.Array:
    return arr.field("time")


def from_timestamptz(arr: pa.Array) -> pa.Array:
    """timestamptz -> timetz: the local time of day in the session zone and that zone's offset then."""
    zone = text_out.session_tz_info(runtime.timezone())
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    times, offsets = [], []
    for us in arr.cast(pa.int64()).to_pylist():
        if us is None:
            times.append(None)
            offsets.append(None)
            continue
        local = (epoch + dt.timedelta(microseconds=us)).astimezone(zone)
        off = int(local.utcoffset().total_seconds())
        times.append(((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond)
        offsets.append(off)
    return make(pa.array(times, pa.int64()), pa.array(offsets, pa.int32()))


def sort_key(arr: pa.Array | pa.Scalar) -> pa.Array | pa.Scalar:
    """PostgreSQL's timetz order: by the UTC time, then by the zone (seconds west of UTC)."""
    if isinstance(arr, pa.Scalar):
        return sort_key(pa.array([arr.as_py()], arr.type))[0]
    us = arr.field("time").cast(pa.int64())
    off = arr.field("offset").cast(pa.int64())
    utc = pc.subtract(us, pc.multiply(off, 1_000_000))
    key = pc.add(pc.multiply(utc, 1 << 18), pc.add(pc.negate(off), 1 << 17))
    return pc.if_else(arr.is_valid(), key, pa.scalar(None, pa.int64()))


def round_to(arr: pa.Array, rounded_time: pa.Array) -> pa.Array:
    """The same values with their time replaced (timetz(p) rounding)."""
    return make(rounded_time, arr.field("offset"))
