"""Text output of dates and timestamps whose values repeat (time buckets of a rollup) is laid out
once per distinct value (text_out._by_distinct): the same text as row by row, NULLs, far dates,
infinities, other time zones and DateStyles included."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from helios_core.sql import types as T
from helios_core.sql.functions import runtime, text_out


def _rows(kind: str, repeated: bool) -> pa.Array:
    rng = np.random.default_rng(5)
    n = 20_000
    if kind == "date":
        base = rng.integers(-800_000, 2_900_000, 300 if repeated else n)
        values = rng.choice(base, n) if repeated else base
        arr = pa.array(values.astype(np.int32), pa.int32())
    else:
        base = rng.integers(-(2**62), 2**62, 300 if repeated else n) // 1000 * 1000
        base[:3] = [np.iinfo(np.int64).max, np.iinfo(np.int64).min, 0]  # infinity, -infinity, the epoch
        values = rng.choice(base, n) if repeated else base
        arr = pa.array(values, pa.int64())
    mask = rng.random(n) < 0.05
    arr = pa.array(arr.to_numpy(), mask=mask)
    return arr.cast(pa.date32() if kind == "date" else pa.timestamp("us", "UTC" if kind == "timestamptz" else None))


@pytest.mark.parametrize("repeated", [True, False])
@pytest.mark.parametrize("kind", ["date", "timestamp", "timestamptz"])
@pytest.mark.parametrize(("zone", "style"), [("UTC", "ISO, MDY"), ("America/St_Johns", "SQL, DMY"),
                                             ("Asia/Kolkata", "German")])
def test_repeated_values_print_as_each_row_does(kind, repeated, zone, style, monkeypatch):
    arr = _rows(kind, repeated)
    t = {"date": T.DATE, "timestamp": T.TIMESTAMP, "timestamptz": T.TIMESTAMPTZ}[kind]
    with runtime.use(timezone=zone, datestyle=style):
        fast = text_out.to_text(arr, t)
        monkeypatch.setattr(text_out, "_DISTINCT_MIN_ROWS", 1 << 60)
        slow = text_out.to_text(arr, t)
    assert fast.to_pylist() == slow.to_pylist()
