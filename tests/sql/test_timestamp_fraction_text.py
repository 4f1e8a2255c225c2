"""timestamp text trims the fraction's trailing zeros (and '.000000') per row, before and
after 1970 and with NULLs, as PostgreSQL prints it: checked against a plain Python rendering."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa

from helios_core.sql.functions.text_out import timestamp_text


def _expected(v: dt.datetime | None) -> str | None:
    if v is None:
        return None
    s = v.replace(microsecond=0).isoformat(sep=" ")
    return s + f".{v.microsecond:06d}".rstrip("0") if v.microsecond else s


def test_fraction_trimmed_per_row():
    rng = random.Random(7)
    base = dt.datetime(1970, 1, 1)
    values: list[dt.datetime | None] = [base, base - dt.timedelta(microseconds=1), None,
                                        dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999)]
    for _ in range(2000):
        us = rng.randrange(-60 * 365 * 86_400_000_000, 60 * 365 * 86_400_000_000)
        us -= us % 10 ** rng.randrange(0, 8)  # every count of trailing zeros, whole seconds too
        values.append(base + dt.timedelta(microseconds=us))
    out = timestamp_text(pa.array(values, pa.timestamp("us"))).to_pylist()
    assert out == [_expected(v) for v in values]
    assert timestamp_text(pa.array([None, None], pa.timestamp("us"))).to_pylist() == [None, None]
    assert timestamp_text(pa.array([], pa.timestamp("us"))).to_pylist() == []
