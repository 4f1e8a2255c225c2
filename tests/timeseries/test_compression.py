"""Compression through a real server: chunks past compression_after are packed (one segment per
time chunk, sorted by (partition_by, time), zstd with a dictionary-encoded partition key) and
everything reads, writes, travels in time and branches on them as before."""

from __future__ import annotations

import datetime as dt
import re

import psycopg
import pytest

import helios_core

START = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
DAYS = 3
PER_DAY = 720  # one row every 2 minutes
TOTALS = "SELECT repo_id, status, count(*), sum(duration_ms) FROM {t} GROUP BY 1, 2 ORDER BY 1, 2"


def _fill(c: psycopg.Connection, table: str, compression: str) -> None:
    c.execute(f"CREATE TIMESERIES TABLE {table} (time timestamptz NOT NULL, repo_id int NOT NULL, "
              f"duration_ms double precision, status text) WITH (partition_by = 'repo_id', "
              f"chunk_interval = '1 day', compression = '{compression}', compression_after = '36500d')")
    with c.cursor().copy(f"COPY {table} FROM STDIN") as copy:
        for i in range(DAYS * PER_DAY):
            copy.write_row((START + dt.timedelta(minutes=2 * i), (i * 7) % 5, float(i), "failed" if i % 9 == 0 else "ok"))
    c.execute(f"INSERT INTO {table} VALUES (now(), 1, 1.5, 'ok')")  # a chunk younger than compression_after


def _compress(c: psycopg.Connection, table: str) -> str:
    """Run the compression job now (its first scheduled run found nothing old enough to pack)."""
    c.execute(f"ALTER TABLE {table} SET (compression_after = '7d')")
    job = c.execute("SELECT job_id FROM heliosdb.jobs WHERE kind = 'compression' AND target = %s",
                    (table,)).fetchone()[0]
    c.execute(f"CALL heliosdb.run_job({int(job)})")
    return c.execute("SELECT last_status FROM heliosdb.jobs WHERE job_id = %s", (job,)).fetchone()[0]


def _chunks(c: psycopg.Connection, table: str) -> list[tuple]:
    return c.execute("SELECT rows, bytes, compressed, tier FROM heliosdb.chunks WHERE table_name = %s "
                     "ORDER BY range_start", (table,)).fetchall()


def test_old_chunks_are_packed_sorted_compressed_and_pruned(server):
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        _fill(c, "cz", "zstd")
        before = c.execute(TOTALS.format(t="cz")).fetchall()
        loose = _chunks(c, "cz")
        assert [r[2] for r in loose] == [False] * (DAYS + 1)
        assert _compress(c, "cz") == "Success"
        packed = _chunks(c, "cz")
        assert [(r[0], r[2], r[3]) for r in packed] == [(PER_DAY, True, "hot")] * DAYS + [(1, False, "hot")]
        assert sum(r[1] for r in packed[:DAYS]) * 2 < sum(r[1] for r in loose[:DAYS])  # bytes on disk
        assert c.execute(TOTALS.format(t="cz")).fetchall() == before
        # within a chunk, rows are stored by (repo_id, time): a plain scan of one day returns them so
        day = c.execute("SELECT repo_id, time FROM cz WHERE time >= %s AND time < %s",
                        (START, START + dt.timedelta(days=1))).fetchall()
        assert len(day) == PER_DAY and day == sorted(day)
        plan = [r[0] for r in c.execute("EXPLAIN ANALYZE SELECT count(*) FROM cz WHERE time >= %s AND time < %s",
                                        (START + dt.timedelta(days=1), START + dt.timedelta(days=1, hours=6)))]
        seg = next(m for ln in plan if (m := re.search(r"Segments: (\d+) read, (\d+) skipped", ln)))
        assert int(seg.group(1)) == 1 and int(seg.group(2)) >= DAYS - 1, plan
        assert _compress(c, "cz").startswith("Success")  # nothing new: a no-op
        assert _chunks(c, "cz") == packed


def test_writes_time_travel_and_branches_on_packed_chunks(server):
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        _fill(c, "cw", "auto")
        c.execute("CREATE BRANCH cw_before FROM main")
        _compress(c, "cw")
        assert all(r[2] for r in _chunks(c, "cw")[:DAYS])
        ts = c.execute("SELECT now()").fetchone()[0]
        c.execute("UPDATE cw SET duration_ms = -1 WHERE time = %s", (START + dt.timedelta(minutes=4),))
        c.execute("DELETE FROM cw WHERE repo_id = 3 AND time < %s", (START + dt.timedelta(days=1),))
        n_repo3 = sum(1 for i in range(PER_DAY) if (i * 7) % 5 == 3)
        total = DAYS * PER_DAY + 1
        assert c.execute("SELECT count(*), min(duration_ms) FROM cw").fetchone() == (total - n_repo3, -1.0)
        assert c.execute(f"SELECT count(*), min(duration_ms) FROM cw AS OF TIMESTAMP '{ts.isoformat()}'"
                         ).fetchone() == (total, 0.0)
        assert _compress(c, "cw") == "Success"  # the new version is packed into its chunk
        assert c.execute("SELECT count(*), min(duration_ms) FROM cw").fetchone() == (total - n_repo3, -1.0)
        assert [r[0] for r in _chunks(c, "cw")][:1] == [PER_DAY - n_repo3]
        c.execute("SET heliosdb.branch = 'cw_before'")
        assert c.execute("SELECT count(*), min(duration_ms) FROM cw").fetchone() == (total, 0.0)
        c.execute("DELETE FROM cw WHERE repo_id = 0")
        assert c.execute("SELECT count(DISTINCT repo_id) FROM cw").fetchone() == (4,)
        c.execute("SET heliosdb.branch = 'main'")
        assert c.execute("SELECT count(DISTINCT repo_id) FROM cw").fetchone() == (5,)


def test_compression_none_sorts_without_compressing_and_alter_switches(server):
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        _fill(c, "cn", "none")
        before = c.execute(TOTALS.format(t="cn")).fetchall()
        _compress(c, "cn")
        assert [r[2] for r in _chunks(c, "cn")] == [False] * (DAYS + 1)
        plain = sum(r[1] for r in _chunks(c, "cn")[:DAYS])
        c.execute("ALTER TABLE cn SET (compression = 'zstd')")
        assert c.execute("SELECT compression FROM heliosdb.timeseries_tables WHERE table_name = 'cn'"
                         ).fetchone() == ("zstd",)
        _compress(c, "cn")
        assert [r[2] for r in _chunks(c, "cn")] == [True] * DAYS + [False]
        assert sum(r[1] for r in _chunks(c, "cn")[:DAYS]) * 3 < plain
        assert c.execute(TOTALS.format(t="cn")).fetchall() == before
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="compression"):
            c.execute("ALTER TABLE cn SET (compression = 'lz4')")


def test_packed_chunks_survive_a_restart_and_retention_drops_them(tmp_path):
    s = helios_core.connect(str(tmp_path))
    s.execute("CREATE TIMESERIES TABLE r (t timestamptz NOT NULL, k text NOT NULL, v int) "
              "WITH (partition_by = 'k', retention = '30d', compression_after = '1d')")
    s.execute("INSERT INTO r SELECT timestamptz '2024-05-01 00:00+00' + g * interval '1 hour', "
              "'host' || (g % 4), g FROM generate_series(0, 95) g")
    s.execute("INSERT INTO r VALUES (now(), 'host0', -1)")
    job = {k: j for j, k in s.execute("SELECT job_id, kind FROM heliosdb.jobs")[0].rows()}
    s.execute(f"CALL heliosdb.run_job({job['compression']})")
    expect = s.execute("SELECT k, count(*), sum(v) FROM r GROUP BY k ORDER BY k")[0].rows()
    s.engine.close()
    s = helios_core.connect(str(tmp_path))
    try:
        assert s.execute("SELECT k, count(*), sum(v) FROM r GROUP BY k ORDER BY k")[0].rows() == expect
        assert s.execute("SELECT count(*), bool_and(compressed) FROM heliosdb.chunks WHERE range_start < "
                         "'2025-01-01+00'")[0].rows() == [(4, True)]
        s.execute(f"CALL heliosdb.run_job({job['retention']})")
        assert s.execute("SELECT count(*), min(v) FROM r")[0].rows() == [(1, -1)]
        assert s.execute("SELECT count(*) FROM heliosdb.chunks")[0].rows() == [(1,)]
    finally:
        s.engine.close()


def test_a_pack_finishes_while_writers_merge_their_memtable_chunks(tmp_path, monkeypatch):
    """Old rows arriving while the compression job runs: every few commits the writers merge their
    small memtable chunks, and a pack used to be given up whenever that merged one of its sources
    (a steady ingest of old rows kept every chunk loose). The pack's sources are now its own."""
    from helios_core.storage import compaction, repack

    s = helios_core.connect(str(tmp_path))
    try:
        s.execute("CREATE TIMESERIES TABLE lm (t timestamptz NOT NULL, k int NOT NULL, v int) "
                  "WITH (partition_by = 'k', chunk_interval = '1d', compression_after = '36500d')")
        for i in range(40):  # one small memtable chunk per INSERT, rows of two old days
            s.execute(f"INSERT INTO lm SELECT timestamptz '2024-05-01 00:00+00' + (g * 37 + {i}) * interval "
                      f"'1 minute', g % 3, {i} FROM generate_series(0, 49) g")
        s.execute("INSERT INTO lm VALUES (now(), 0, -1)")
        expect = s.execute("SELECT k, count(*), sum(v) FROM lm GROUP BY k ORDER BY k")[0].rows()
        store = s.engine.store
        layer = max((lay for b in store.branches.values() for lay in b.layers.values()),
                    key=lambda lay: sum(c.num_rows for c in lay.chunks.values()))
        assert sum(c.segment is None for c in layer.chunks.values()) >= 4  # memtable chunks to merge
        merged: list[int] = []
        write = repack._write

        def write_while_a_writer_merges(*args, **kwargs):
            if not merged:  # what a writer's commit does meanwhile (Store._compact_memtables)
                merged.append(compaction.compact_layer(store, layer, to_tier=False, gc=False,
                                                       small_rows=1 << 62, memtable_only=True))
            return write(*args, **kwargs)

        monkeypatch.setattr(repack, "_write", write_while_a_writer_merges)
        s.execute("ALTER TABLE lm SET (compression_after = '7d')")
        job = s.execute("SELECT job_id FROM heliosdb.jobs WHERE kind = 'compression'")[0].rows()[0][0]
        s.execute(f"CALL heliosdb.run_job({job})")
        status = s.execute(f"SELECT last_status FROM heliosdb.jobs WHERE job_id = {job}")[0].rows()[0][0]
        assert merged and status.startswith("Success") and "left for the next run" not in status, status
        assert s.execute("SELECT count(*), bool_and(compressed) FROM heliosdb.chunks WHERE range_start < "
                         "'2025-01-01+00'")[0].rows() == [(2, True)]
        assert s.execute("SELECT k, count(*), sum(v) FROM lm GROUP BY k ORDER BY k")[0].rows() == expect
        assert not layer.claimed
    finally:
        s.engine.close()
