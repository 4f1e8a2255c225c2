"""time_bucket_gapfill with locf() and interpolate(), following TimescaleDB's documented semantics:
missing buckets of each group appear with NULL aggregates; locf carries the previous bucket's value,
interpolate draws the line between the neighbouring buckets that have values."""

from __future__ import annotations

import datetime as dt

import pytest

UTC = dt.UTC
D = dt.timedelta(days=1)
T0 = dt.datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def metrics(sql):
    sql("CREATE TIMESERIES TABLE metrics (time timestamptz NOT NULL, device_id int, value double precision)")
    # device 1 reports on days 0, 1 and 4; device 2 on day 2 only
    sql("INSERT INTO metrics VALUES ('2024-01-01 06:00+00', 1, 10), ('2024-01-01 18:00+00', 1, 20), "
        "('2024-01-02 12:00+00', 1, 30), ('2024-01-05 12:00+00', 1, 60), ('2024-01-03 01:00+00', 2, 7)")
    return sql


def test_gaps_appear_with_null_aggregates(metrics):
    rows = metrics("SELECT time_bucket_gapfill('1 day', time, '2024-01-01', '2024-01-06') AS day, avg(value) "
                   "FROM metrics WHERE device_id = 1 GROUP BY day ORDER BY day")
    assert rows == [(T0, 15.0), (T0 + D, 30.0), (T0 + 2 * D, None), (T0 + 3 * D, None), (T0 + 4 * D, 60.0)]


def test_locf_and_interpolate_per_group(metrics):
    rows = metrics("SELECT time_bucket_gapfill('1 day', time) AS day, device_id, avg(value) AS value, "
                   "locf(avg(value)), interpolate(avg(value)) FROM metrics "
                   "WHERE time >= '2024-01-01' AND time < '2024-01-06' GROUP BY day, device_id "
                   "ORDER BY device_id, day")
    assert rows == [
        (T0, 1, 15.0, 15.0, 15.0), (T0 + D, 1, 30.0, 30.0, 30.0),
        (T0 + 2 * D, 1, None, 30.0, 40.0), (T0 + 3 * D, 1, None, 30.0, 50.0),  # 30 -> 60 over three days
        (T0 + 4 * D, 1, 60.0, 60.0, 60.0),
        (T0, 2, None, None, None), (T0 + D, 2, None, None, None), (T0 + 2 * D, 2, 7.0, 7.0, 7.0),
        (T0 + 3 * D, 2, None, 7.0, None), (T0 + 4 * D, 2, None, 7.0, None),  # nothing after: no line
    ]


def test_order_desc_and_integer_interpolation(metrics):
    rows = metrics("SELECT time_bucket_gapfill('1 day', time, '2024-01-01', '2024-01-06') AS day, "
                   "interpolate(max(value)::int) AS v FROM metrics WHERE device_id = 1 GROUP BY day "
                   "ORDER BY day DESC")
    assert [r[1] for r in rows] == [60, 50, 40, 30, 20]


def test_errors(metrics):
    e = metrics.error("SELECT time_bucket_gapfill('1 day', time) AS day, count(*) FROM metrics GROUP BY day")
    assert e.sqlstate == "22023" and "could not infer start" in str(e)
    e = metrics.error("SELECT time_bucket_gapfill('1 day', time, '2024-01-01', '2024-01-03') AS day, "
                      "count(*) FROM metrics GROUP BY day LIMIT 1")
    assert e.sqlstate == "0A000"


def test_output_columns_are_named_as_timescaledb_names_them(metrics):
    """An item without an alias is named after its outer call (locf, interpolate,
    time_bucket_gapfill), not after what the rewrite runs in its place."""
    result = metrics.session.execute(
        "SELECT time_bucket_gapfill('1 day', time), device_id, avg(value), locf(avg(value)), "
        "interpolate(avg(value)), locf(avg(value)) AS carried FROM metrics "
        "WHERE time >= '2024-01-01' AND time < '2024-01-06' GROUP BY 1, device_id ORDER BY 2, 1")[-1]
    assert [c.name for c in result.columns] == ["time_bucket_gapfill", "device_id", "avg", "locf", "interpolate",
                                                "carried"]
    assert result.row_count == 10
