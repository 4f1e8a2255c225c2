"""``[timeseries.tiers]`` through a real server: packed time chunks older than the hot tier's
duration go to the cold tier (the local object backend here), and read back the same."""

from __future__ import annotations

import psycopg
import pytest

from helios_core.config import ConfigError, build_config


def test_old_chunks_move_to_the_cold_tier(helios_server, tmp_path):
    config = {"storage": {"tiering": {"cold_storage_backend": "local"}, "local": {"path": str(tmp_path / "cold")}},
              "timeseries": {"tiers": {"hot": {"duration": "30d", "storage": "nvme"},
                                       "cold": {"storage": "local"}}}}
    server = helios_server(config, only=["postgres"])
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        c.execute("CREATE TIMESERIES TABLE tt (time timestamptz NOT NULL, host text NOT NULL, v int) "
                  "WITH (partition_by = 'host', compression_after = '36500d')")
        c.execute("INSERT INTO tt SELECT timestamptz '2024-01-01 00:00+00' + g * interval '1 hour', "
                  "'h' || (g % 3), g FROM generate_series(0, 71) g")
        # ten minutes of one day, from its start: a run near midnight must not reach the next day
        c.execute("INSERT INTO tt SELECT date_trunc('day', now()) - interval '20 days' + g * interval '1 minute', "
                  "'h1', g FROM generate_series(0, 9) g")
        expect = c.execute("SELECT host, count(*), sum(v) FROM tt GROUP BY 1 ORDER BY 1").fetchall()
        c.execute("ALTER TABLE tt SET (compression_after = '1d')")
        job = c.execute("SELECT job_id FROM heliosdb.jobs WHERE kind = 'compression' AND target = 'tt'").fetchone()[0]
        c.execute(f"CALL heliosdb.run_job({int(job)})")
        status = c.execute("SELECT last_status FROM heliosdb.jobs WHERE job_id = %s", (job,)).fetchone()[0]
        assert status == "Success"
        tiers = c.execute("SELECT tier, compressed, count(*) FROM heliosdb.chunks WHERE table_name = 'tt' "
                          "GROUP BY 1, 2 ORDER BY 1").fetchall()
        assert tiers == [("cold", True, 3), ("hot", True, 1)]  # 2024's three days; the one of 20 days ago
        assert c.execute("SELECT host, count(*), sum(v) FROM tt GROUP BY 1 ORDER BY 1").fetchall() == expect
        assert c.execute("SELECT count(*) FROM tt WHERE time < '2024-01-02 00:00+00' AND host = 'h2'"
                         ).fetchone() == (8,)
        cold = c.execute("SELECT count(*) FROM heliosdb.segments WHERE table_name = 'tt' AND tier = 'cold'"
                         ).fetchone()[0]
        assert cold == 3


@pytest.mark.parametrize(("tiers", "message"), [
    ({"cold": {"storage": "s3"}}, "timeseries.tiers.cold.storage: 's3' is not the backend of the cold tier"),
    ({"tepid": {"storage": "nvme"}}, "tiers.tepid: unknown tier"),
    ({"hot": {"duration": "soon", "storage": "nvme"}}, "tiers.hot.duration"),
    ({"hot": {"duration": "7d"}}, "tiers.hot.storage: the backend of the hot tier is required"),
])
def test_tier_sections_are_checked(tiers, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        build_config({"timeseries": {"tiers": tiers}}, {})
