"""``[timeseries]`` in helios.toml, and downsampling at the continuous aggregates' start_after."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from helios_core.config import ConfigError, TimeseriesConfig, build_config
from helios_core.timeseries import settings


def test_seed_section_is_taken():
    config = build_config({"timeseries": {
        "enabled": True, "default_retention": "900d", "compression": "auto", "downsampling_enabled": True,
        "continuous_aggregates": {"build_duration_hourly": {"source": "build_metrics", "interval": "1h",
                                                            "after": "30d"}}}}, {})
    assert config.timeseries.default_retention == "900d" and config.timeseries.downsampling_enabled


@pytest.mark.parametrize(("section", "message"), [
    ({"default_retention": "forever"}, "timeseries.default_retention: expected a duration"),
    ({"compression": "lz4"}, "timeseries.compression"),
    ({"continuous_aggregates": {"x": {"interval": "1h"}}}, "continuous_aggregates.x: source"),
    ({"continuous_aggregates": {"x": {"source": "t", "every": "1h"}}}, "unknown key 'every'"),
    ({"retention": "1d"}, "timeseries.retention: unknown key (did you mean 'default_retention'?)"),
])
def test_bad_sections_name_the_key(section, message):
    with pytest.raises(ConfigError) as info:
        build_config({"timeseries": section}, {})
    assert message in str(info.value)


def test_defaults_and_switch_off(sql):
    settings.configure(sql.session.engine, TimeseriesConfig(default_retention="400d", compression="none"))
    sql("CREATE TIMESERIES TABLE a (t timestamptz NOT NULL)")
    sql("CREATE TIMESERIES TABLE b (t timestamptz NOT NULL) WITH (retention = '10d', compression = 'auto')")
    assert sql("SELECT table_name, retention, compression FROM heliosdb.timeseries_tables ORDER BY 1") == [
        ("a", "400d", "none"), ("b", "10d", "auto")]
    settings.configure(sql.session.engine, TimeseriesConfig(enabled=False))
    e = sql.error("CREATE TIMESERIES TABLE c (t timestamptz NOT NULL)")
    assert e.sqlstate == "0A000" and "enabled = false" in str(e)


def _downsampling_setup(sql):
    sql("CREATE TIMESERIES TABLE m (time timestamptz NOT NULL, v int)")
    sql("INSERT INTO m SELECT now() - h * interval '1 hour', h FROM generate_series(0, 24 * 50, 6) AS h")
    sql("CREATE CONTINUOUS AGGREGATE daily WITH (start_after = '30d') AS "
        "SELECT time_bucket('1 day', time) AS day, count(*) AS n, sum(v) AS total FROM m GROUP BY day")
    return sql("SELECT job_id FROM heliosdb.jobs WHERE kind = 'downsample'")[0][0]


def test_downsampling_deletes_raw_rows_past_start_after_and_keeps_the_rollup(sql):
    settings.configure(sql.session.engine, TimeseriesConfig(downsampling_enabled=True))
    job = _downsampling_setup(sql)
    before = sql("SELECT * FROM daily ORDER BY day")
    sql("INSERT INTO m VALUES (now() - interval '45 days', 1000)")  # not refreshed yet: the job refreshes first
    sql(f"CALL heliosdb.run_job({job})")
    oldest = sql("SELECT min(time) FROM m")[0][0]
    boundary = sql("SELECT date_trunc('day', now() AT TIME ZONE 'UTC' - interval '30 days') AT TIME ZONE 'UTC'")[0][0]
    assert oldest >= boundary and oldest - boundary < dt.timedelta(hours=6)  # every raw row before it is gone
    after = sql("SELECT * FROM daily ORDER BY day")
    assert [r[0] for r in after] == [r[0] for r in before]  # the rollup still has every day
    assert sum(r[2] for r in after) == sum(r[2] for r in before) + 1000
    sql("CALL heliosdb.refresh_continuous_aggregate('daily', NULL, NULL)")  # gone rows do not erase buckets
    assert sql("SELECT * FROM daily ORDER BY day") == after


def test_downsampling_off_by_default(sql):
    job = _downsampling_setup(sql)
    count = sql("SELECT count(*) FROM m")
    sql(f"CALL heliosdb.run_job({job})")
    assert sql("SELECT count(*) FROM m") == count  # [timeseries] downsampling_enabled is false by default


def test_server_reads_the_section(tmp_path):
    from helios_core.testing import start_server

    srv = start_server(tmp_path, {"timeseries": {"default_retention": "90d", "continuous_aggregates": {
        "hourly": {"source": "ev", "interval": "15m", "after": "7d"}}}}, only=["postgres"])
    try:
        with psycopg.connect(srv.pg_dsn(), autocommit=True) as c:
            c.execute("CREATE TIMESERIES TABLE ev (t timestamptz NOT NULL, n int)")
            c.execute("CREATE CONTINUOUS AGGREGATE hourly AS SELECT time_bucket('1 hour', t) h, sum(n) FROM ev "
                      "GROUP BY h")
            assert c.execute("SELECT retention FROM heliosdb.timeseries_tables").fetchone() == ("90d",)
            assert c.execute("SELECT source, refresh_interval, start_after FROM heliosdb.continuous_aggregates"
                             ).fetchone() == ("ev", "15m", "7d")
    finally:
        srv.stop()
