"""time_bucket, first/last, histogram and percentiles over time-series rows (in-process)."""

from __future__ import annotations

import datetime as dt

import pytest

UTC = dt.UTC


@pytest.mark.parametrize(("call", "expected"), [
    # TimescaleDB's documented behaviour: floor to the width, default origin Monday 2000-01-03
    ("time_bucket('5 minutes', timestamptz '2024-01-01 10:07:59+00')", dt.datetime(2024, 1, 1, 10, 5, tzinfo=UTC)),
    ("time_bucket('1 week', timestamp '2024-01-10 12:00')", dt.datetime(2024, 1, 8)),  # a Monday
    ("time_bucket('1 day', date '2024-02-29')", dt.date(2024, 2, 29)),
    ("time_bucket(interval '1 month', date '2024-03-15')", dt.date(2024, 3, 1)),
    ("time_bucket('3 months', timestamp '2024-05-15 08:00')", dt.datetime(2024, 4, 1)),  # origin 2000-01-01
    ("time_bucket('1 year', timestamptz '2024-05-15 08:00+00')", dt.datetime(2024, 1, 1, tzinfo=UTC)),
    ("time_bucket('1 hour', timestamptz '1999-12-31 23:30+00')", dt.datetime(1999, 12, 31, 23, tzinfo=UTC)),
    ("time_bucket('1 day', timestamptz '2024-01-10 01:00+00', '2 hours'::interval)",
     dt.datetime(2024, 1, 9, 2, tzinfo=UTC)),  # offset
    ("time_bucket('1 day', timestamptz '2024-01-10 05:00+00', timestamptz '2000-01-01 06:00+00')",
     dt.datetime(2024, 1, 9, 6, tzinfo=UTC)),  # origin
    ("time_bucket(10, 27)", 20),
    ("time_bucket(10, -3)", -10),
    ("time_bucket(10, 27, 5)", 25),
    ("time_bucket('1 hour', NULL::timestamptz)", None),
])
def test_time_bucket(sql, call, expected):
    assert sql(f"SELECT {call}") == [(expected,)]


def test_time_bucket_errors(sql):
    assert sql.error("SELECT time_bucket('0 minutes', now())").sqlstate == "22023"
    assert sql.error("SELECT time_bucket('1 month 1 day', now())").sqlstate == "0A000"
    assert sql.error("SELECT time_bucket('soon', now())").sqlstate == "22007"


def test_rollup_with_first_last_histogram_percentiles(sql):
    sql("CREATE TIMESERIES TABLE m (time timestamptz NOT NULL, repo_id int, duration_ms double precision)")
    sql("INSERT INTO m VALUES ('2024-01-01 10:05+00', 1, 30), ('2024-01-01 10:50+00', 1, 10), "
        "('2024-01-01 10:20+00', 1, 20), ('2024-01-01 11:00+00', 1, 99), ('2024-01-01 10:10+00', 2, NULL), "
        "('2024-01-01 10:40+00', 2, 5)")
    rows = sql("SELECT time_bucket('1 hour', time) AS bucket, repo_id, first(duration_ms, time), "
               "last(duration_ms, time), histogram(duration_ms, 0, 40, 4), "
               "percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms), "
               "percentile_disc(0.9) WITHIN GROUP (ORDER BY duration_ms) "
               "FROM m GROUP BY bucket, repo_id ORDER BY bucket, repo_id")
    h10 = dt.datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert rows == [
        (h10, 1, 30.0, 10.0, [0, 0, 1, 1, 1, 0], 20.0, 30.0),
        (h10, 2, None, 5.0, [0, 1, 0, 0, 0, 0], 5.0, 5.0),  # first: the NULL at the earliest time
        (h10 + dt.timedelta(hours=1), 1, 99.0, 99.0, [0, 0, 0, 0, 0, 1], 99.0, 99.0),
    ]


def test_first_last_of_text_and_filter(sql):
    sql("CREATE TABLE ev (t timestamptz, status text)")
    sql("INSERT INTO ev VALUES ('2024-01-02+00', 'b'), ('2024-01-01+00', 'a'), (NULL, 'z'), ('2024-01-03+00', 'c')")
    assert sql("SELECT first(status, t), last(status, t), last(status, t) FILTER (WHERE status < 'c') "
               "FROM ev") == [("a", "c", "b")]
    assert sql("SELECT first(status, t) FROM ev WHERE false") == [(None,)]
    assert sql.error("SELECT histogram(1.0, 5, 5, 2)").sqlstate == "2201G"
