"""CREATE TIMESERIES TABLE, ALTER TABLE SET, the catalog views, chunks and the retention job (in-process)."""

from __future__ import annotations

import datetime as dt

SEED_DDL = ("CREATE TIMESERIES TABLE build_metrics (time timestamptz NOT NULL, repo_id int NOT NULL, "
            "build_id bigint, duration_ms double precision, status text) "
            "WITH (retention = '900d', partition_by = 'repo_id', compression = 'auto')")


def test_seed_ddl_and_catalog(sql):
    sql(SEED_DDL)
    assert sql("SELECT table_name, time_column, partition_by, chunk_interval, retention, compression "
               "FROM heliosdb.timeseries_tables") == [("build_metrics", "time", "repo_id", "1d", "900d", "auto")]
    jobs = sql("SELECT kind, target, schedule_interval FROM heliosdb.jobs")
    assert [(k, t, i.nanoseconds) for k, t, i in jobs] == [("retention", "build_metrics", 3600 * 10**9),
                                                           ("compression", "build_metrics", 3600 * 10**9)]


def test_all_options_and_time_column(sql):
    sql("CREATE TIMESERIES TABLE m (a timestamptz, b timestamp NOT NULL, host text, v int) WITH ("
        "retention = '30 days', partition_by = 'host', compression = 'none', compression_after = '7d', "
        "chunk_interval = '6 hours', time_column = 'a')")
    assert sql("SELECT time_column, chunk_interval FROM heliosdb.timeseries_tables") == [("a", "6 hours")]
    sql("CREATE TIMESERIES TABLE n (id int, at timestamp NOT NULL)")  # the first NOT NULL timestamp
    assert sql("SELECT time_column, retention FROM heliosdb.timeseries_tables WHERE table_name = 'n'") == [
        ("at", None)]


def test_ordinary_sql_works_on_it(sql):
    sql(SEED_DDL)
    sql("INSERT INTO build_metrics VALUES ('2024-01-01 10:00+00', 1, 1, 100, 'ok'), "
        "('2024-01-01 11:00+00', 2, 2, 300, 'failed'), ('2023-06-01 00:00+00', 1, 3, 5, 'ok')")
    sql("UPDATE build_metrics SET duration_ms = duration_ms * 2 WHERE repo_id = 1")
    sql("DELETE FROM build_metrics WHERE status = 'failed'")
    sql("CREATE TABLE repos (id int PRIMARY KEY, name text)")
    sql("INSERT INTO repos VALUES (1, 'core')")
    assert sql("SELECT r.name, sum(b.duration_ms) FROM build_metrics b JOIN repos r ON r.id = b.repo_id "
               "GROUP BY r.name") == [("core", 210.0)]
    sql("CREATE BRANCH experiment FROM main")
    sql("SET heliosdb.branch = 'experiment'")
    sql("DELETE FROM build_metrics")
    assert sql("SELECT count(*) FROM heliosdb.chunks") == [(0,)]
    sql("SET heliosdb.branch = 'main'")
    assert sql("SELECT count(*) FROM heliosdb.chunks") == [(2,)]


def test_chunks_by_interval(sql):
    sql("CREATE TIMESERIES TABLE c (t timestamptz NOT NULL, v int) WITH (chunk_interval = '1 day')")
    sql("INSERT INTO c VALUES ('2024-01-01 00:00+00', 1), ('2024-01-01 23:59:59.999999+00', 2), "
        "('2024-01-02 00:00+00', 3), ('2030-05-05 12:00+00', 4)")  # future rows are accepted
    rows = sql("SELECT chunk_name, range_start, range_end, rows, compressed, tier FROM heliosdb.chunks "
               "ORDER BY range_start")
    utc = dt.UTC
    assert [(r[1], r[2], r[3]) for r in rows] == [
        (dt.datetime(2024, 1, 1, tzinfo=utc), dt.datetime(2024, 1, 2, tzinfo=utc), 2),
        (dt.datetime(2024, 1, 2, tzinfo=utc), dt.datetime(2024, 1, 3, tzinfo=utc), 1),
        (dt.datetime(2030, 5, 5, tzinfo=utc), dt.datetime(2030, 5, 6, tzinfo=utc), 1)]
    assert rows[0][0] == "_c_chunk_20240101_000000" and rows[0][4:] == (False, "hot")
    assert sql("SELECT bool_and(bytes > 0) FROM heliosdb.chunks") == [(True,)]


def test_alter_table_set(sql):
    sql(SEED_DDL)
    sql("ALTER TABLE build_metrics SET (retention = '30d', chunk_interval = '12h')")
    assert sql("SELECT retention, chunk_interval FROM heliosdb.timeseries_tables") == [("30d", "12h")]
    sql("ALTER TABLE build_metrics SET (retention = NULL)")
    assert sql("SELECT kind FROM heliosdb.jobs") == [("compression",)]  # no retention: no retention job
    sql("ALTER TABLE build_metrics SET (fillfactor = 70)")  # PostgreSQL's own parameters still go


def test_bad_input(sql):
    e = sql.error("CREATE TIMESERIES TABLE x (t timestamptz NOT NULL) WITH (retention = 'forever')")
    assert e.sqlstate == "22007" and 'invalid input syntax for type interval: "forever"' in str(e)
    e = sql.error("CREATE TIMESERIES TABLE x (t timestamptz NOT NULL) WITH (retention = '1h', chunk_interval = '1d')")
    assert e.sqlstate == "22023" and "shorter than a chunk" in str(e)
    e = sql.error("CREATE TIMESERIES TABLE x (t timestamptz NOT NULL) WITH (chunk_interval = '-1d')")
    assert e.sqlstate == "22023"
    e = sql.error("CREATE TIMESERIES TABLE x (t timestamptz NOT NULL) WITH (colour = 'red')")
    assert e.sqlstate == "22023" and 'unrecognized parameter "colour"' in str(e)
    e = sql.error("CREATE TIMESERIES TABLE x (id int, t timestamptz)")
    assert e.sqlstate == "22023" and "no NOT NULL timestamptz" in str(e)
    e = sql.error("CREATE TIMESERIES TABLE x (t timestamptz NOT NULL) WITH (time_column = 'nope')")
    assert e.sqlstate == "42703"
    e = sql.error("CREATE TIMESERIES TABLE x (t timestamptz NOT NULL, n text) WITH (time_column = 'n')")
    assert e.sqlstate == "22023"
    e = sql.error("CREATE TIMESERIES TABLE x (t timestamptz NOT NULL) WITH (compression = 'lz4')")
    assert e.sqlstate == "22023" and "Valid values are auto, zstd and none" in e.hint
    e = sql.error("CREATE TIMESERIES x (t timestamptz NOT NULL)")
    assert e.sqlstate == "42601"
    assert sql("SELECT count(*) FROM heliosdb.timeseries_tables") == [(0,)]
    sql("CREATE TABLE plain (t timestamptz)")
    e = sql.error("ALTER TABLE plain SET (retention = '1d')")
    assert e.sqlstate == "22023" and "not a time-series table" in (e.hint or "")


def test_retention_drops_whole_chunks_only(sql):
    sql("CREATE TIMESERIES TABLE r (t timestamptz NOT NULL, v int) WITH (retention = '3d', chunk_interval = '1d')")
    # the boundary: the start of the chunk (UTC day) holding now() - 3 days
    sql("CREATE TABLE edge AS SELECT date_trunc('day', now() AT TIME ZONE 'UTC' - interval '3 days') "
        "AT TIME ZONE 'UTC' AS b")
    sql("INSERT INTO r SELECT b - interval '10 days', 1 FROM edge UNION ALL SELECT b - interval '1 microsecond', 2 "
        "FROM edge UNION ALL SELECT b, 3 FROM edge UNION ALL SELECT now() - interval '3 days', 4 FROM edge "
        "UNION ALL SELECT now() + interval '1 year', 5 FROM edge")
    job = sql("SELECT job_id FROM heliosdb.jobs WHERE kind = 'retention'")[0][0]
    sql(f"CALL heliosdb.run_job({job})")
    assert sql("SELECT v FROM r ORDER BY v") == [(3,), (4,), (5,)]
    status = sql(f"SELECT last_status, last_run IS NOT NULL, next_start > last_run FROM heliosdb.jobs "
                 f"WHERE job_id = {job}")
    assert status == [("Success", True, True)]
    e = sql.error("CALL heliosdb.run_job(424242)")
    assert e.sqlstate == "42704"


def test_jobs_of_a_dropped_table_go_at_their_next_run(sql):
    sql("CREATE TIMESERIES TABLE gone (t timestamptz NOT NULL) WITH (retention = '7d')")
    job = sql("SELECT job_id FROM heliosdb.jobs")[0][0]
    sql("DROP TABLE gone")
    sql(f"CALL heliosdb.run_job({job})")
    assert sql("SELECT count(*) FROM heliosdb.jobs") == [(0,)]
