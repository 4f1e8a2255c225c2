"""Vectorized access to Arrow month_day_nano intervals (PostgreSQL's interval).

Arrow has no kernels that split an interval into its months/days/nanoseconds, so we view
its 16-byte values through numpy (int32 months, int32 days, int64 nanoseconds), zero-copy.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from helios_core.errors import HeliosError

_MDN = np.dtype([("months", "<i4"), ("days", "<i4"), ("nanos", "<i8")])


def interval_fields(arr: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(months int32, days int32, nanoseconds int64) arrays carrying arr's nulls."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    bufs = arr.buffers()
    data = bufs[1]
    if data is None or n == 0:
        return (pa.nulls(n, pa.int32()), pa.nulls(n, pa.int32()), pa.nulls(n, pa.int64()))
    view = np.frombuffer(data, dtype=_MDN, count=arr.offset + n)[arr.offset:]
    mask = None if arr.null_count == 0 else np.asarray(arr.is_null())
    return (pa.array(view["months"].copy(), pa.int32(), mask=mask),
            pa.array(view["days"].copy(), pa.int32(), mask=mask),
            pa.array(view["nanos"].copy(), pa.int64(), mask=mask))


def make_intervals(months, days, nanos, n: int | None = None) -> pa.Array:
    """Build a month_day_nano array from field arrays (None = zeros); null if any field is null."""
    fields = [months, days, nanos]
    if n is None:
        n = next(len(f) for f in fields if f is not None)
    out = np.zeros(n, dtype=_MDN)
    null = np.zeros(n, dtype=bool)
    for name, f, dtype in (("months", months, np.int32), ("days", days, np.int32), ("nanos", nanos, np.int64)):
        if f is None:
            continue
        if isinstance(f, pa.ChunkedArray):
            f = f.combine_chunks()
        if f.null_count:
            null |= np.asarray(f.is_null())
            f = f.fill_null(0)
        out[name] = np.asarray(f.cast(pa.from_numpy_dtype(dtype), safe=False))
    validity = None
    if null.any():
        validity = pa.array(~null).buffers()[1]
    return pa.Array.from_buffers(pa.month_day_nano_interval(), n, [validity, pa.py_buffer(out.tobytes())],
                                 null_count=int(null.sum()))


def intervals_from_rows(rows: list[tuple[int, int, int] | None]) -> pa.Array:
    """month_day_nano array from per-row (months, days, microseconds), or 22008 when a field
    leaves its range (32-bit months and days, 64-bit nanoseconds) rather than an Arrow error."""
    lo32, hi32, lo64, hi64 = -(2**31), 2**31 - 1, -(2**63), 2**63 - 1
    out = []
    for row in rows:
        if row is None:
            out.append(None)
            continue
        months, days, usec = row
        if not (lo32 <= months <= hi32 and lo32 <= days <= hi32 and lo64 <= usec * 1000 <= hi64):
            raise HeliosError("interval out of range", sqlstate="22008")
        out.append((months, days, usec * 1000))
    return pa.array(out, pa.month_day_nano_interval())
