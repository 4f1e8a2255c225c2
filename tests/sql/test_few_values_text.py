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


def _decimals(rng: random.Random, n: int, digits: int, scale: int) -> list:
    import decimal

    out: list = [None, decimal.Decimal(0), decimal.Decimal(1).scaleb(-scale), -decimal.Decimal(1).scaleb(-scale),
                 decimal.Decimal(10 ** (digits - scale) - 1)]
    while len(out) < n:
        unscaled = rng.choice([rng.randint(-(10**digits) + 1, 10**digits - 1), rng.randint(-999, 999),
                               rng.randint(-9, 9) * 10 ** rng.randint(0, digits - 1)])
        out.append(decimal.Decimal(unscaled).scaleb(-scale))
    return out


@pytest.mark.parametrize(("sql_type", "arrow", "digits"), [
    (T.numeric(10, 2), pa.decimal128(10, 2), 10), (T.numeric(38, 10), pa.decimal128(38, 10), 38),
    (T.numeric(20, 0), pa.decimal128(20, 0), 20), (T.NUMERIC, T.NUMERIC_STORAGE_ARROW, 30)])
def test_numerics_alone_print_as_in_a_column(sql_type, arrow, digits):
    rng = random.Random(str(arrow))
    values = _decimals(rng, 300, digits, arrow.scale)
    whole, alone = _both_ways(pa.array(values, arrow), sql_type)
    if sql_type.typmod != -1:
        assert alone == whole
    else:  # unconstrained: printed at the smallest scale showing every value of the batch exactly
        def column(vals: list) -> list:  # the vectorized path (more than FEW_VALUES values)
            reps = text_out.FEW_VALUES + 1
            return text_out.to_text(pa.array(vals * reps, arrow), sql_type).to_pylist()[:len(vals)]

        assert alone == [column([v])[0] for v in values]
        assert "0" in alone and "0.0000000000000001" in alone  # one value alone: its own scale
        for k in range(2, text_out.FEW_VALUES + 1):  # a few values together share one scale, as a column's
            assert text_out.to_text(pa.array(values[5:5 + k], arrow), sql_type).to_pylist() == column(values[5:5 + k])


def _floats(rng: random.Random, n: int) -> list:
    import math
    import struct

    out: list = [None, 0.0, -0.0, math.inf, -math.inf, math.nan, 1.5, 1e15, 1e14, 123456789012345.6, 1e-4,
                 9.999e-5, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1 + 0.2, 1e22, 100.0,
                 3.4028234663852886e38, 1.401298464324817e-45, 1e6, 999999.0, 1234567.0]
    while len(out) < n:
        kind = rng.random()
        if kind < 0.4:
            out.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0])
        elif kind < 0.7:
            out.append(rng.uniform(-1, 1) * 10 ** rng.randint(-12, 20))
        else:
            out.append(round(rng.uniform(-1000, 1000), rng.randint(0, 6)))
    return out


@pytest.mark.parametrize(("sql_type", "arrow"), [(T.FLOAT8, pa.float64()), (T.FLOAT4, pa.float32())])
def test_floats_alone_print_as_in_a_column(sql_type, arrow):
    values = _floats(random.Random(str(arrow)), 2000)
    if arrow == pa.float32():
        import numpy as np

        values = [v if v is None or not np.isfinite(v) or abs(v) < 3e38 else 1.0 for v in values]
    arr = pa.array(values, pa.float64()).cast(arrow, safe=False)
    n = text_out.FLOAT_TEXT_PER_VALUE_ROWS
    whole = text_out.to_text(arr, sql_type).to_pylist()  # past FLOAT_TEXT_PER_VALUE_ROWS: the kernels
    alone = [x for start in range(0, len(arr), n) for x in text_out.to_text(arr.slice(start, n), sql_type).to_pylist()]
    assert alone == whole
    assert "-0" in alone and "NaN" in alone and "-Infinity" in alone and any(x and "e" in x for x in alone)
