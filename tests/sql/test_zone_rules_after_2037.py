"""Time zones' summer time from 2038 on (zone_offsets): the answers are PostgreSQL 15's, which
follows each zone's rule for those years where Arrow's conversions kept the last listed offset."""

from __future__ import annotations

import pyarrow as pa
import pytest

import helios_core
from helios_core.sql import types as T
from helios_core.sql.functions import runtime, text_out

# (TimeZone, the instant in UTC, PostgreSQL's text of the timestamptz)
OUTPUT = [
    ("Europe/Amsterdam", "2050-07-01 10:00:00", "2050-07-01 12:00:00+02"),
    ("Europe/Amsterdam", "2100-12-01 11:00:00", "2100-12-01 12:00:00+01"),
    ("Europe/Amsterdam", "9000-07-01 10:00:00", "9000-07-01 12:00:00+02"),
    ("Europe/Amsterdam", "2037-07-01 10:00:00", "2037-07-01 12:00:00+02"),
    ("America/New_York", "2040-06-01 00:00:00", "2040-05-31 20:00:00-04"),
    ("America/New_York", "2041-01-01 00:00:00", "2040-12-31 19:00:00-05"),
    ("America/New_York", "2039-11-06 05:30:00", "2039-11-06 01:30:00-04"),
    ("America/New_York", "2039-11-06 06:30:00", "2039-11-06 01:30:00-05"),
    ("America/New_York", "2038-03-14 07:00:00", "2038-03-14 03:00:00-04"),
    ("America/New_York", "2038-03-14 06:59:00", "2038-03-14 01:59:00-05"),
    ("America/New_York", "1883-11-18 16:00:00", "1883-11-18 11:03:58-04:56:02"),
]


def _instants(texts: list[str]) -> pa.Array:
    return pa.array(texts).cast(pa.timestamp("us")).cast(pa.int64()).cast(pa.timestamp("us", tz="UTC"))


@pytest.mark.parametrize("zone", sorted({z for z, _, _ in OUTPUT}))
@pytest.mark.parametrize("copies", [1, 3])  # one value at a time, and the vectorized path
def test_output_follows_the_zone_rule(zone, copies):
    cases = [(utc, want) for z, utc, want in OUTPUT if z == zone]
    arr = _instants([utc for utc, _ in cases] * copies)
    with runtime.use(timezone=zone):
        got = text_out.to_text(arr, T.TIMESTAMPTZ).to_pylist() if copies > 1 else \
            [text_out.to_text(arr.slice(i, 1), T.TIMESTAMPTZ).to_pylist()[0] for i in range(len(arr))]
    assert got == [want for _, want in cases] * copies


def _one(session, sql):
    result = None
    for result in session.execute(sql):
        pass
    return result.rows()[0]


def test_input_and_conversions_follow_the_zone_rule():
    s = helios_core.connect()
    s.execute("SET timezone = 'Europe/Amsterdam'")
    # a plain time, one the clocks skipped (read with the offset before), one that occurs twice
    # (read with the offset after), as UTC text
    assert _one(s, "SELECT ('2050-07-01 12:00'::timestamptz AT TIME ZONE 'UTC')::text, "
                   "('2050-03-27 02:30'::timestamptz AT TIME ZONE 'UTC')::text, "
                   "('2050-10-30 02:30'::timestamptz AT TIME ZONE 'UTC')::text, "
                   "('2050-10-30 01:30'::timestamptz AT TIME ZONE 'UTC')::text") == \
        ("2050-07-01 10:00:00", "2050-03-27 01:30:00", "2050-10-30 01:30:00", "2050-10-29 23:30:00")
    assert _one(s, "SELECT '2050-07-01 00:00+00'::timestamptz::timestamp::text, "
                   "('2050-07-01 12:00'::timestamp AT TIME ZONE 'America/New_York')::text, "
                   "extract(hour from '2050-07-01 12:00+00'::timestamptz)") == \
        ("2050-07-01 02:00:00", "2050-07-01 18:00:00+02", 14)
    s.execute("SET datestyle = 'SQL, DMY'")
    assert _one(s, "SELECT '2050-07-01 12:00'::timestamptz::text") == ("01/07/2050 12:00:00 CEST",)
