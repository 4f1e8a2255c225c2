"""A real ``helios serve`` with warm segments on S3 (moto) and cold ones on Azure (Azurite),
configured by helios.toml as an operator writes it; a PostgreSQL client on the other side."""

from __future__ import annotations

import subprocess
import urllib.request
import uuid

import psycopg
import pytest

from helios_core.testing import helios_command, toml_dumps


def _config(moto, azurite, prefix):
    return {
        "storage": {
            "tier_hot_size": "500GB",
            "tier_warm_backend": "s3",
            "cache_size": "64MB",
            "object_timeout": "5s",
            "tiering": {"inactive_threshold": "90d", "cold_storage_backend": "azure", "interval": "1s"},
            "s3": moto.section(prefix),
            "azure": azurite.section(prefix),
        },
        "metrics": {"enabled": True, "port": 0},
    }


def test_tiers_through_sql_catalogs_and_metrics(helios_server, moto_server, azurite):
    server = helios_server(_config(moto_server, azurite, uuid.uuid4().hex[:8]), only=["postgres"])
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        conn.execute("create table orders (id int primary key, amount bigint, note text)")
        conn.execute("insert into orders select g, g * 10, 'n' || g from generate_series(1, 20000) g")
        conn.execute("create table recent (id int)")
        conn.execute("insert into recent values (1), (2)")
        conn.execute("alter table orders set (tier = 'warm')")
        tiers = conn.execute("select distinct tier from heliosdb.segments where table_name = 'orders'").fetchall()
        assert tiers == [("warm",)]
        assert conn.execute("select sum(amount), max(note) from orders").fetchone() == (
            sum(g * 10 for g in range(1, 20001)), "n9999")
        assert conn.execute("select note from orders where id = 1234").fetchone() == ("n1234",)
        conn.execute("create branch tenant")
        conn.execute("set heliosdb.branch = tenant")
        conn.execute("insert into recent values (3)")
        conn.execute("set heliosdb.branch = main")
        conn.execute("alter branch tenant set tier = 'cold'")
        row = conn.execute("select tier, cold_bytes > 0, hot_bytes from heliosdb.tiering "
                           "where branch = 'tenant'").fetchone()
        assert row == ("cold", True, 0)
        with pytest.raises(psycopg.errors.InvalidParameterValue, match='invalid value for parameter "tier"'):
            conn.execute("alter table recent set (tier = 'tepid')")
        columns = [d.name for d in conn.execute("select * from heliosdb.segments limit 0").description]
        assert columns == ["table_name", "branch", "segment", "tier", "bytes", "last_read"]
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port('metrics')}/metrics", timeout=30) as resp:
        text = resp.read().decode()
    warm = [line for line in text.splitlines() if line.startswith('helios_tier_bytes{tier="warm"}')]
    assert warm and float(warm[0].split()[-1]) > 0
    assert "helios_tier_cache_hit_ratio" in text and "helios_tier_mover_backlog" in text


@pytest.mark.parametrize("warm", ["s3", "gcs"])
def test_missing_bucket_is_one_line_at_start(warm, tmp_path, moto_server, azurite, request):
    config = _config(moto_server, azurite, "x")
    if warm == "gcs":
        config["storage"]["tier_warm_backend"] = "gcs"
        config["storage"]["gcs"] = request.getfixturevalue("gcs_emulator").section("x")
    config["storage"][warm]["bucket"] = "no-such-bucket"
    path = tmp_path / "helios.toml"
    path.write_text(toml_dumps({**config, "data_dir": str(tmp_path / "data")}))
    proc = subprocess.run([*helios_command(), "serve", "--config", str(path)], check=False, capture_output=True,
                          text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert f"storage.tier_warm_backend: the warm tier ({warm}) cannot be used" in last, proc.stderr
    assert "bucket" in last.lower()

