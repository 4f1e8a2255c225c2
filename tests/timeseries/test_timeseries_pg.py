"""Time series through a real server and psycopg: the seed's DDL, COPY, a rollup, jobs, errors."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest


def test_seed_table_copy_rollup_and_jobs(server):
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        c.execute("CREATE TIMESERIES TABLE build_metrics (time timestamptz NOT NULL, repo_id int NOT NULL, "
                  "duration_ms double precision, status text) "
                  "WITH (retention = '900d', partition_by = 'repo_id', compression = 'auto')")
        start = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
        with c.cursor().copy("COPY build_metrics (time, repo_id, duration_ms, status) FROM STDIN") as copy:
            for i in range(600):
                copy.write_row((start + dt.timedelta(minutes=i), i % 3, float(i), "ok" if i % 5 else "failed"))
        rows = c.execute("SELECT time_bucket('1 hour', time) AS hour, count(*), first(duration_ms, time), "
                         "last(duration_ms, time) FROM build_metrics WHERE time >= %s AND time < %s "
                         "GROUP BY hour ORDER BY hour", (start, start + dt.timedelta(hours=2))).fetchall()
        assert rows == [(start, 60, 0.0, 59.0), (start + dt.timedelta(hours=1), 60, 60.0, 119.0)]
        assert c.execute("SELECT sum(rows), count(*) FROM heliosdb.chunks "
                         "WHERE table_name = 'build_metrics'").fetchone() == (600, 1)
        job = c.execute("SELECT job_id FROM heliosdb.jobs WHERE target = 'build_metrics' "
                        "AND kind = 'retention'").fetchone()[0]
        c.execute(f"CALL heliosdb.run_job({int(job)})")
        assert c.execute("SELECT last_status FROM heliosdb.jobs WHERE job_id = %s", (job,)).fetchone() == (
            "Success",)
        c.execute("ALTER TABLE build_metrics SET (retention = '1d')")
        c.execute(f"CALL heliosdb.run_job({int(job)})")
        assert c.execute("SELECT count(*) FROM build_metrics").fetchone() == (0,)  # 2024 is past 1 day


def test_errors_have_postgres_codes(server):
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        with pytest.raises(psycopg.errors.InvalidDatetimeFormat):
            c.execute("CREATE TIMESERIES TABLE bad (t timestamptz NOT NULL) WITH (retention = 'often')")
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="shorter than a chunk"):
            c.execute("CREATE TIMESERIES TABLE bad (t timestamptz NOT NULL) WITH (retention = '1h')")
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="compression"):
            c.execute("CREATE TIMESERIES TABLE bad (t timestamptz NOT NULL) WITH (compression = 'lz4')")


def test_scheduler_runs_due_jobs(server):
    """The background job scheduler runs a new retention job at its first tick (every 10 s)."""
    import time

    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        c.execute("CREATE TIMESERIES TABLE sched (t timestamptz NOT NULL) WITH (retention = '1d')")
        c.execute("INSERT INTO sched VALUES ('2020-01-01+00'), (now())")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = c.execute("SELECT last_status FROM heliosdb.jobs WHERE target = 'sched' "
                               "AND kind = 'retention'").fetchone()[0]
            if status is not None:
                break
            time.sleep(0.5)
        assert status == "Success"
        assert c.execute("SELECT count(*) FROM sched").fetchone() == (1,)
