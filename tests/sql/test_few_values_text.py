"""A few dates and timestamps are printed one by one in Python (text_out.FEW_VALUES), the rest by
the vectorized path: both must give the same text for every value, in every session zone."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from helios_core.sql import far_dates
from helios_core.sql import types as T
from helios_core.sql.functions import runtime, text_out

DAY = far_dates.US_PER_DAY
NORMAL_DAYS = (-719162, 2932896)  # 0001-01-01 .. 9999-12-31
ZONES = ["UTC", "GMT", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
         "America/St_Johns", "Pacific/Chatham", "+05:30", "UTC+5", "<+03>-03", "Africa/Monrovia"]


def _days(rng: random.Random, n: int) -> list[int | None]:
    out: list[int | None] = [None, 0, -1, NORMAL_DAYS[0], NORMAL_DAYS[1], NORMAL_DAYS[0] - 1, NORMAL_DAYS[1] + 1,
                             far_dates.DATE_MIN_DAYS, far_dates.DATE_INFINITY, far_dates.DATE_NEG_INFINITY]
    while len(out) < n:
        out.append(rng.choice([rng.randint(*NORMAL_DAYS), rng.randint(-60000, 60000),
                               rng.randint(far_dates.DATE_MIN_DAYS, NORMAL_DAYS[0])]))
    return out


def _micros(rng: random.Random, n: int) -> list[int | None]:
    fractions = [0, 1, 10, 120_000, 123_000, 123_400, 999_999, 500_000]
    out: list[int | None] = [None, 0, -1, far_dates.TS_INFINITY, far_dates.TS_NEG_INFINITY,
                             NORMAL_DAYS[0] * DAY, (NORMAL_DAYS[1] + 1) * DAY - 1, NORMAL_DAYS[0] * DAY - 1]
    while len(out) < n:
        day = rng.choice([rng.randint(*NORMAL_DAYS), rng.randint(-70000, 60000), rng.randint(-800000, -719163),
                          rng.randint(NORMAL_DAYS[1] - 2, NORMAL_DAYS[1])])
        out.append(day * DAY + rng.randrange(DAY // 1_000_000) * 1_000_000 + rng.choice(fractions))
    return out


def _both_ways(arr: pa.Array, t: T.SqlType) -> tuple[list, list]:
    """(the vectorized path's text of every value, the text of each value printed alone)."""
    assert len(arr) > text_out.FEW_VALUES
    whole = text_out.to_text(arr, t).to_pylist()
    alone = [text_out.to_text(arr.slice(i, 1), t).to_pylist()[0] for i in range(len(arr))]
    return whole, alone


def test_dates_alone_print_as_in_a_column():
    arr = pa.array(_days(random.Random(1), 600), pa.int32()).cast(pa.date32())
    whole, alone = _both_ways(arr, T.DATE)
    assert alone == whole
    assert "infinity" in alone and any(s and s.endswith(" BC") for s in alone)


def test_timestamps_alone_print_as_in_a_column():
    arr = pa.array(_micros(random.Random(2), 600), pa.int64()).cast(pa.timestamp("us"))
    whole, alone = _both_ways(arr, T.TIMESTAMP)
    assert alone == whole
    assert any(s and "." in s for s in alone) and any(s and s.endswith(" BC") for s in alone)


@pytest.mark.parametrize("zone", ZONES)
def test_timestamptz_alone_prints_as_in_a_column(zone):
    arr = pa.array(_micros(random.Random(zone), 400), pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    with runtime.use(timezone=zone):
        whole, alone = _both_ways(arr, T.TIMESTAMPTZ)
    assert alone == whole


def test_few_values_take_the_per_value_path():
    arr = pa.array([0, None], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    with runtime.use(timezone="Asia/Kolkata"):
        assert text_out._few_datetimes_text(arr, "timestamptz").to_pylist() == ["1970-01-01 05:30:00+05:30", None]
    with runtime.use(datestyle="SQL, DMY"):  # other styles: the vectorized path
        assert text_out._few_datetimes_text(arr, "timestamptz") is None
        assert text_out.to_text(arr, T.TIMESTAMPTZ).to_pylist()[0] == "01/01/1970 00:00:00 UTC"
