"""A named time zone's UTC offsets past 2037, which Arrow's zone conversions get wrong.

Arrow's ``local_timestamp`` and ``assume_timezone`` give every instant after a zone's last listed
transition (in 2037) that transition's offset: summer times from 2038 on come out in standard
time ('2050-07-01 00:00+00' in Europe/Amsterdam as 01:00+01). PostgreSQL follows the zone's
rule for those years (02:00+02), as Python's zoneinfo does. These helpers take Arrow's answer
for earlier instants and recompute the later ones (up to the year 9999, as far as Python's
datetime goes) with zoneinfo, once per distinct minute: a rule's changes fall on whole minutes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RULES_FROM_US = 2145916800 * 1_000_000  # 2038-01-01 00:00 UTC: Arrow's offsets are right before
UNTIL_US = 253402128000 * 1_000_000  # 9999-12-30 00:00: within reach of Python's datetime either side
_US_PER_MINUTE = 60_000_000
_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _ruled(micros: pa.Array) -> np.ndarray | None:
    """Positions of the values in the years the zone's rule governs (None: none there)."""
    inside = pc.and_(pc.greater_equal(micros, RULES_FROM_US), pc.less(micros, UNTIL_US))
    if not pc.any(pc.fill_null(inside, False)).as_py():
        return None
    return np.flatnonzero(pc.fill_null(inside, False).to_numpy(zero_copy_only=False))


def _per_minute(micros: np.ndarray, offset_of) -> np.ndarray:
    """offset_of(minute) in microseconds for each value's minute, computed once per minute."""
    minutes = micros // _US_PER_MINUTE
    distinct, where = np.unique(minutes, return_inverse=True)
    offsets = np.array([offset_of(int(m)) for m in distinct.tolist()], dtype=np.int64) * 1_000_000
    return offsets[where.reshape(-1)]


def offset_seconds(utc_us: int, tzinfo: dt.tzinfo) -> int:
    """The zone's UTC offset (seconds) at an instant (microseconds since 1970, UTC), by zoneinfo;
    OverflowError past Python's datetime."""
    return int((_EPOCH_UTC + dt.timedelta(microseconds=utc_us)).astimezone(tzinfo).utcoffset().total_seconds())


def local_micros(utc: pa.Array, zone: str, tzinfo: dt.tzinfo) -> pa.Array:
    """UTC instants (int64 microseconds) as wall-clock microseconds in the named zone."""
    utc = utc.cast(pa.int64())
    local = pc.local_timestamp(utc.cast(pa.timestamp("us", tz=zone))).cast(pa.int64())
    rows = _ruled(utc)
    if rows is None:
        return local
    picked = _values(utc)[rows]
    offsets = _per_minute(picked, lambda minute: offset_seconds(minute * _US_PER_MINUTE, tzinfo))
    return _with_rows(local, rows, picked + offsets, utc)


def wall_to_utc(wall: pa.Array, utc: pa.Array, tzinfo: dt.tzinfo) -> pa.Array:
    """``utc`` (int64, Arrow's reading of the wall-clock times ``wall``) with the times the
    zone's rule governs read by it, as a UTC timestamp array."""
    ruled = wall_offsets(wall, tzinfo)
    if ruled is None:
        return utc.cast(pa.timestamp("us", tz="UTC"))
    rows, offsets = ruled
    return _with_rows(utc, rows, _values(wall)[rows] - offsets, utc).cast(pa.timestamp("us", tz="UTC"))


def _with_rows(base: pa.Array, rows: np.ndarray, values: np.ndarray, nulls_of: pa.Array) -> pa.Array:
    """``base`` (int64) with ``values`` at ``rows``, NULL where ``nulls_of`` is."""
    out = _values(base.cast(pa.int64())).copy()
    out[rows] = values
    return pa.array(out, pa.int64(), mask=nulls_of.is_null().to_numpy(zero_copy_only=False) if nulls_of.null_count
                    else None)


def wall_offsets(wall: pa.Array, tzinfo: dt.tzinfo) -> tuple[np.ndarray, np.ndarray] | None:
    """For the wall-clock times (int64 microseconds) the zone's rule governs: their positions and
    the offset (microseconds) PostgreSQL reads each with: of a time that occurs twice the offset
    after the change, of a time the clocks skipped the offset before it; the smaller of the two
    either way (zoneinfo's fold=0 and fold=1). None: no such time."""
    wall = wall.cast(pa.int64())
    rows = _ruled(wall)
    if rows is None:
        return None

    def offset_of(minute: int) -> int:
        local = _EPOCH + dt.timedelta(minutes=minute)
        return int(min(local.replace(tzinfo=tzinfo, fold=0).utcoffset().total_seconds(),
                       local.replace(tzinfo=tzinfo, fold=1).utcoffset().total_seconds()))

    picked = _values(wall)[rows]
    return rows, _per_minute(picked, offset_of)


def _values(micros: pa.Array) -> np.ndarray:
    """int64 values as numpy (NULL as 0: the callers never pick those rows)."""
    if isinstance(micros, pa.ChunkedArray):
        micros = micros.combine_chunks()
    return pc.fill_null(micros, 0).to_numpy(zero_copy_only=False)
