"""Continuous aggregates: creation, incremental and windowed refresh, real-time reads, jobs, errors,
and a property: after any sequence of writes and refreshes, a full refresh equals recomputation."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.timeseries.conftest import Sql

UTC = dt.UTC
H = dt.timedelta(hours=1)
T0 = dt.datetime(2024, 1, 1, tzinfo=UTC)

SEED_CAGG = """CREATE CONTINUOUS AGGREGATE build_duration_hourly
WITH (timeseries = 'build_metrics', interval = '1h', start_after = '30d') AS
SELECT time_bucket('1 hour', time) AS bucket, repo_id, count(*) AS builds, avg(duration_ms) AS avg_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms,
       count(*) FILTER (WHERE status = 'failed') AS failures
FROM build_metrics GROUP BY bucket, repo_id"""


def _seed(sql):
    sql("CREATE TIMESERIES TABLE build_metrics (time timestamptz NOT NULL, repo_id int NOT NULL, "
        "duration_ms double precision, status text) WITH (retention = '900d', partition_by = 'repo_id', "
        "compression = 'auto')")
    sql("INSERT INTO build_metrics VALUES ('2024-01-01 10:00+00', 1, 100, 'ok'), "
        "('2024-01-01 10:30+00', 1, 200, 'ok'), ('2024-01-01 11:00+00', 2, 50, 'failed')")
    sql(SEED_CAGG)


def test_seed_aggregate_materializes_and_reads_in_real_time(sql):
    _seed(sql)
    mat = "SELECT bucket, repo_id, builds FROM _materialized_build_duration_hourly ORDER BY 1, 2"
    assert sql(mat) == [(T0 + 10 * H, 1, 2), (T0 + 11 * H, 2, 1)]
    assert sql("SELECT name, source, watermark FROM heliosdb.continuous_aggregates") == [
        ("build_duration_hourly", "build_metrics", T0 + 12 * H)]
    sql("INSERT INTO build_metrics VALUES ('2024-01-01 13:05+00', 3, 7, 'ok')")  # after the watermark
    assert sql("SELECT bucket, repo_id, builds, avg_ms, failures FROM build_duration_hourly ORDER BY 1, 2") == [
        (T0 + 10 * H, 1, 2, 150.0, 0), (T0 + 11 * H, 2, 1, 50.0, 1), (T0 + 13 * H, 3, 1, 7.0, 0)]
    assert sql(mat) == [(T0 + 10 * H, 1, 2), (T0 + 11 * H, 2, 1)]  # not materialized yet
    job = sql("SELECT job_id FROM heliosdb.jobs WHERE kind = 'refresh'")[0][0]
    sql(f"CALL heliosdb.run_job({job})")
    assert sql(mat)[-1] == (T0 + 13 * H, 3, 1)
    assert sql(f"SELECT last_status FROM heliosdb.jobs WHERE job_id = {job}") == [("Success",)]


def test_windowed_refresh_touches_only_its_buckets(sql):
    _seed(sql)
    sql("DELETE FROM build_metrics WHERE repo_id = 2")
    sql("INSERT INTO build_metrics VALUES ('2024-01-01 10:50+00', 1, 300, 'ok')")
    sql("CALL heliosdb.refresh_continuous_aggregate('build_duration_hourly', '2024-01-01 11:00+00', "
        "'2024-01-01 12:00+00')")
    mat = "SELECT bucket, repo_id, builds FROM _materialized_build_duration_hourly ORDER BY 1, 2"
    assert sql(mat) == [(T0 + 10 * H, 1, 2)]  # 11:00 recomputed (gone), 10:00 still pending
    sql("CALL heliosdb.refresh_continuous_aggregate('build_duration_hourly', NULL, NULL)")
    assert sql(mat) == [(T0 + 10 * H, 1, 3)]
    e = sql.error("CALL heliosdb.refresh_continuous_aggregate('build_duration_hourly', "
                  "'2024-01-01 10:10+00', '2024-01-01 10:50+00')")
    assert e.sqlstate == "22023" and "refresh window too small" in str(e)


def test_retention_keeps_the_aggregate(sql):
    _seed(sql)
    sql("ALTER TABLE build_metrics SET (retention = '1d')")
    job = sql("SELECT job_id FROM heliosdb.jobs WHERE kind = 'retention'")[0][0]
    sql(f"CALL heliosdb.run_job({job})")
    assert sql("SELECT count(*) FROM build_metrics") == [(0,)]
    sql("CALL heliosdb.refresh_continuous_aggregate('build_duration_hourly', NULL, NULL)")
    assert sql("SELECT count(*) FROM build_duration_hourly") == [(2,)]


def test_joins_and_drop(sql):
    _seed(sql)
    sql("CREATE TABLE repos (id int PRIMARY KEY, team text)")
    sql("INSERT INTO repos VALUES (1, 'core'), (2, 'web')")
    sql("CREATE CONTINUOUS AGGREGATE by_team AS SELECT time_bucket('1 day', b.time) AS day, r.team, "
        "count(*) AS n FROM build_metrics b JOIN repos r ON r.id = b.repo_id GROUP BY 1, r.team")
    assert sql("SELECT day, team, n FROM by_team ORDER BY team") == [(T0, "core", 2), (T0, "web", 1)]
    sql("DROP CONTINUOUS AGGREGATE by_team")
    assert sql("SELECT name FROM heliosdb.continuous_aggregates") == [("build_duration_hourly",)]
    assert sql.error("SELECT * FROM by_team").sqlstate == "42P01"
    assert sql.error("DROP CONTINUOUS AGGREGATE by_team").sqlstate == "42P01"
    sql("DROP CONTINUOUS AGGREGATE IF EXISTS by_team")


def test_aggregate_of_an_aggregate(sql):
    """A daily continuous aggregate over the hourly one: it reads the hourly view, materializes
    only what the hourly one has materialized, and follows its refreshes."""
    _seed(sql)
    sql("CREATE CONTINUOUS AGGREGATE builds_daily WITH (timeseries = 'build_duration_hourly', interval = '1d') AS "
        "SELECT time_bucket('1 day', bucket) AS day, repo_id, sum(builds) AS builds, max(p95_ms) AS worst_p95 "
        "FROM build_duration_hourly GROUP BY day, repo_id")
    daily = "SELECT day, repo_id, builds FROM builds_daily ORDER BY 1, 2"
    assert sql(daily) == [(T0, 1, 2), (T0, 2, 1)]
    assert sql("SELECT source FROM heliosdb.continuous_aggregates WHERE name = 'builds_daily'") == [
        ("build_duration_hourly",)]
    # the hourly one's watermark (12:00) is inside the day: the daily one materializes no bucket yet
    assert sql("SELECT count(*) FROM _materialized_builds_daily") == [(0,)]
    sql("INSERT INTO build_metrics VALUES ('2024-01-02 09:00+00', 1, 10, 'ok'), "
        "('2024-01-01 10:45+00', 2, 30, 'ok')")  # a new day, and a late row in a materialized hour
    assert sql(daily) == [(T0, 1, 2), (T0, 2, 1), (T0 + 24 * H, 1, 1)]  # real time: the late row not yet
    sql("CALL heliosdb.refresh_continuous_aggregate('build_duration_hourly', NULL, NULL)")
    sql("CALL heliosdb.refresh_continuous_aggregate('builds_daily', NULL, NULL)")
    assert sql("SELECT day, repo_id, builds FROM _materialized_builds_daily ORDER BY 1, 2") == [
        (T0, 1, 2), (T0, 2, 2)]  # day one is complete below the hourly watermark (2024-01-02 10:00)
    assert sql(daily) == [(T0, 1, 2), (T0, 2, 2), (T0 + 24 * H, 1, 1)]
    sql("DELETE FROM build_metrics WHERE repo_id = 2")
    sql("CALL heliosdb.refresh_continuous_aggregate('build_duration_hourly', NULL, NULL)")
    sql("CALL heliosdb.refresh_continuous_aggregate('builds_daily', NULL, NULL)")
    assert sql(daily) == [(T0, 1, 2), (T0 + 24 * H, 1, 1)]
    assert sql.error("CREATE CONTINUOUS AGGREGATE bad WITH (timeseries = 'build_duration_hourly', "
                     "start_after = '30d') AS SELECT time_bucket('1 day', bucket) AS d, count(*) "
                     "FROM build_duration_hourly GROUP BY d").sqlstate == "0A000"


def test_bad_definitions(sql):
    _seed(sql)
    e = sql.error("CREATE CONTINUOUS AGGREGATE c AS SELECT repo_id, count(*) FROM build_metrics GROUP BY repo_id")
    assert e.sqlstate == "42P17" and 'time_bucket(width, "time")' in str(e)
    e = sql.error("CREATE CONTINUOUS AGGREGATE c AS SELECT time_bucket('1 hour', time) b, count(*) "
                  "FROM build_metrics")
    assert e.sqlstate == "42P17"
    e = sql.error("CREATE CONTINUOUS AGGREGATE c WITH (colour = 'red') AS SELECT time_bucket('1 hour', time) b, "
                  "count(*) FROM build_metrics GROUP BY b")
    assert e.sqlstate == "22023"
    e = sql.error("CREATE CONTINUOUS AGGREGATE c WITH (interval = 'hourly') AS SELECT "
                  "time_bucket('1 hour', time) b, count(*) FROM build_metrics GROUP BY b")
    assert e.sqlstate == "22007"
    sql("CREATE TABLE plain (t timestamptz NOT NULL)")
    e = sql.error("CREATE CONTINUOUS AGGREGATE c WITH (timeseries = 'plain') AS SELECT time_bucket('1 hour', t) b, "
                  "count(*) FROM plain GROUP BY b")
    assert e.sqlstate == "42P17" and "not a time-series table" in str(e)
    assert sql.error("CREATE CONTINUOUS AGGREGATE build_duration_hourly AS SELECT time_bucket('1 hour', time) b, "
                     "count(*) FROM build_metrics GROUP BY b").sqlstate == "42P07"


# ------------------------------------------------------------------------------------------ property
_ROLLUP = ("SELECT time_bucket('1 hour', time) AS bucket, repo_id, count(*) AS n, sum(v) AS total, min(v) AS lo, "
           "max(v) AS hi FROM m GROUP BY bucket, repo_id")
_ORDER = " ORDER BY bucket, repo_id"
_ROLLUP2 = ("SELECT time_bucket('2 hours', bucket) AS b2, repo_id, sum(n) AS n, sum(total) AS total, min(lo) AS lo, "
            "max(hi) AS hi FROM agg GROUP BY b2, repo_id")
_ORDER2 = " ORDER BY b2, repo_id"

_moment = st.integers(min_value=0, max_value=8 * 60 - 1)  # minutes over eight hourly buckets
_insert = st.tuples(st.just("insert"), st.lists(st.tuples(_moment, st.integers(1, 3), st.integers(-5, 50)),
                                                 min_size=1, max_size=6))
_update = st.tuples(st.just("update"), st.integers(0, 40), st.integers(-180, 180), st.integers(-5, 50))
_delete = st.tuples(st.just("delete"), st.integers(0, 40), st.integers(1, 3))
_refresh = st.tuples(st.just("refresh"), st.one_of(st.none(), st.integers(0, 8)), st.one_of(st.none(), st.integers(0, 9)))


def _at(minutes: int) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_insert, _update, _delete, _refresh), min_size=1, max_size=12))
def test_aggregate_equals_recomputation(ops):
    sql = Sql()
    try:
        sql("CREATE TIMESERIES TABLE m (id serial, time timestamptz NOT NULL, repo_id int, v int)")
        sql("INSERT INTO m (time, repo_id, v) VALUES ('2024-01-01 00:30+00', 1, 1)")
        sql(f"CREATE CONTINUOUS AGGREGATE agg AS {_ROLLUP}")
        sql(f"CREATE CONTINUOUS AGGREGATE agg2 WITH (timeseries = 'agg') AS {_ROLLUP2}")  # of an aggregate
        for op in ops:
            if op[0] == "insert":
                sql("INSERT INTO m (time, repo_id, v) VALUES " + ", ".join(
                    f"('{_at(t)}', {r}, {v})" for t, r, v in op[1]))
            elif op[0] == "update":  # moves rows between buckets, too
                sql(f"UPDATE m SET time = time + interval '{op[2]} minutes', v = {op[3]} WHERE id % 7 = {op[1] % 7}")
            elif op[0] == "delete":
                sql(f"DELETE FROM m WHERE id % 5 = {op[1] % 5} AND repo_id = {op[2]}")
            else:
                lo = "NULL" if op[1] is None else f"'{_at(op[1] * 60)}'"
                hi = "NULL" if op[2] is None else f"'{_at(op[2] * 60)}'"
                if op[1] is not None and op[2] is not None and op[2] <= op[1]:
                    continue
                sql(f"CALL heliosdb.refresh_continuous_aggregate('agg', {lo}, {hi})")
                if op[1] is None or op[2] is None or op[2] - op[1] >= 3:  # the window holds a 2-hour bucket
                    sql(f"CALL heliosdb.refresh_continuous_aggregate('agg2', {lo}, {hi})")
                if op[1] is not None and op[2] is not None:  # the window's buckets are exact now
                    window = f" WHERE bucket >= {lo} AND bucket < {hi}"
                    assert sql(f"SELECT * FROM _materialized_agg{window}{_ORDER}") == sql(
                        f"SELECT * FROM ({_ROLLUP}) r{window}{_ORDER}")
        sql("CALL heliosdb.refresh_continuous_aggregate('agg', NULL, NULL)")
        expected = sql(f"SELECT * FROM ({_ROLLUP}) r{_ORDER}")
        assert sql(f"SELECT * FROM _materialized_agg{_ORDER}") == expected
        assert sql(f"SELECT * FROM agg{_ORDER}") == expected
        sql("CALL heliosdb.refresh_continuous_aggregate('agg2', NULL, NULL)")
        expected2 = sql(f"SELECT * FROM ({_ROLLUP2.replace('FROM agg', f'FROM ({_ROLLUP}) r')}) r2{_ORDER2}")
        assert sql(f"SELECT * FROM agg2{_ORDER2}") == expected2
        assert set(sql("SELECT * FROM _materialized_agg2")) <= set(expected2)
    finally:
        sql.session.close()


def test_failing_job_is_recorded_and_retried(sql):
    _seed(sql)
    job = sql("SELECT job_id FROM heliosdb.jobs WHERE kind = 'refresh'")[0][0]
    sql("DROP TABLE build_metrics CASCADE")  # the refresh has nothing to read any more
    assert sql.error(f"CALL heliosdb.run_job({job})").sqlstate == "42P01"  # a caller sees the error
    sql(f"CALL heliosdb.run_job({job}, false)")  # the scheduler's way: recorded, retried later
    status, failures, retry_in = sql(f"SELECT last_status, failures, extract(epoch FROM next_start - last_run) "
                                     f"FROM heliosdb.jobs WHERE job_id = {job}")[0]
    assert status.startswith("Failed: ") and "does not exist" in status and failures == 1
    assert 0 < retry_in <= 3600
    sql(f"CALL heliosdb.run_job({job}, false)")
    assert sql(f"SELECT failures FROM heliosdb.jobs WHERE job_id = {job}") == [(2,)]
