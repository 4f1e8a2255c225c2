"""A Bind's many binary parameters of one fixed-width type decoded together.

A client that binds a batch's values (psycopg's ``INSERT ... VALUES (%s, %s), ...`` of 1,000 rows)
sends 4,000 parameters, its integers, floats and timestamps in binary. Decoded one at a time
(``formats.decode_param``) they cost the server about 1.3 us each; here the values of each such
type are read by one numpy conversion of their bytes. The values are the ones ``decode_param``
gives (Python ints, floats, datetimes in UTC); a group with anything unusual (a NULL, a wrong
length, infinity, a date outside Python's) is left to ``decode_param``, which also raises its errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helios_core.errors import HeliosError
from helios_protocol_pg import client_encoding

MIN_PARAMS = 64  # fewer parameters: one at a time is as quick
# oid -> numpy dtype of the binary value (big-endian)
_FIXED = {21: ">i2", 23: ">i4", 20: ">i8", 700: ">f4", 701: ">f8"}
_TIMESTAMPS = {1114: None, 1184: dt.UTC}  # timestamp, timestamptz: microseconds since 2000-01-01
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970-01-01
# what a Python datetime holds (year 1 to 9999), as microseconds since 2000-01-01
_LOW = -_PG_EPOCH_US - 719_162 * 86_400_000_000
_HIGH = 2_932_897 * 86_400_000_000 - _PG_EPOCH_US


def decode_params(raws: Sequence[bytes | None], oids: Sequence[int], binary: Sequence[bool],
                  one: Callable[[bytes | None, int, bool], Any]) -> list[Any]:
    """Every parameter decoded, ``one`` (formats.decode_param) giving the values. Parameters laid
    out as rows (the same types every ``width``) are taken a column at a time, by slices: a binary
    column of a fixed-width type by one numpy conversion, a text column by one decode. A bad parameter's error is the first one in order, as
    when they are decoded one by one."""
    try:
        return _decode(raws, oids, binary, one)
    except HeliosError:
        return [one(r, oid, is_binary) for r, oid, is_binary in zip(raws, oids, binary, strict=True)]


def _decode(raws: Sequence[bytes | None], oids: Sequence[int], binary: Sequence[bool],
            one: Callable[[bytes | None, int, bool], Any]) -> list[Any]:
    width = _row_width(oids, binary) or len(raws)  # not laid out as rows: a column per parameter
    out: list[Any] = [None] * len(raws)
    for j in range(width):
        out[j::width] = _column(raws[j::width], oids[j], binary[j], one)
    return out


def _row_width(oids: Sequence[int], binary: Sequence[bool]) -> int:
    """The smallest w (up to 64) such that the types and formats repeat every w parameters; 0 for none."""
    n = len(oids)
    for w in range(1, min(64, n // 2) + 1):
        if n % w == 0 and oids[w:] == oids[:-w] and binary[w:] == binary[:-w]:
            return w
    return 0


def _column(raws: Sequence[bytes | None], oid: int, is_binary: bool,
            one: Callable[[bytes | None, int, bool], Any]) -> list[Any]:
    """One column's parameters, all of one type and format."""
    if is_binary and (oid in _FIXED or oid in _TIMESTAMPS):
        values = _group(oid, list(raws))
        if values is not None:
            return values
    elif not is_binary and client_encoding.is_utf8() and None not in raws:
        try:
            texts = b"\0".join(raws).decode("utf-8").split("\0")  # type: ignore[arg-type]
        except UnicodeDecodeError:
            texts = []
        if len(texts) == len(raws):  # no NUL inside a value (PostgreSQL refuses them: decode_param says so)
            return texts
    return [one(r, oid, is_binary) for r in raws]


def _group(oid: int, raws: list[bytes | None]) -> list[Any] | None:
    dtype = np.dtype(_FIXED.get(oid, ">i8"))
    if any(r is None or len(r) != dtype.itemsize for r in raws):
        return None
    numbers = np.frombuffer(b"".join(raws), dtype=dtype)  # type: ignore[arg-type]
    if oid in _FIXED:
        return numbers.tolist()
    if len(numbers) and (numbers.min() < _LOW or numbers.max() >= _HIGH):
        return None  # infinity, or a date Python's datetime cannot hold
    naive = (numbers.astype(np.int64) + _PG_EPOCH_US).astype("datetime64[us]").tolist()
    zone = _TIMESTAMPS[oid]
    return naive if zone is None else [d.replace(tzinfo=zone) for d in naive]
