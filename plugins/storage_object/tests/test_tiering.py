"""Segments on warm (S3, moto) and cold (Azure, Azurite) tiers under an embedded engine:
placement, transparent reads by byte ranges, policies, promotion, restart, faults; and the same
placement, ranged reads and promotion with both tiers on GCS (gcp-storage-emulator)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pytest
from helios_storage_nvme import DiskTier
from helios_storage_object import ObjectTier, open_backend
from helios_storage_object.testing import MotoS3

from helios_core.branching import tiering
from helios_core.engine import Engine
from helios_core.storage import mover
from helios_core.storage.tiering import TierSet, TierUnavailable


def _tiers(data_dir, moto, azurite, prefix, *, cache_size=64 << 20, timeout=5.0):
    warm = ObjectTier(open_backend("s3", moto.section(f"{prefix}/warm"), timeout=timeout))
    cold = ObjectTier(open_backend("azure", azurite.section(f"{prefix}/cold"), timeout=timeout))
    return TierSet(DiskTier(str(data_dir)), {"warm": warm, "cold": cold}, cache_size=cache_size, timeout=timeout)


@pytest.fixture
def opened(tmp_path, moto_server, azurite):
    """``open()`` -> (engine, session) on one data_dir, reopened as often as a test likes."""
    prefix = uuid.uuid4().hex[:8]
    engines = []

    def open_engine(**kw):
        engine = Engine.open(str(tmp_path), tiers=_tiers(tmp_path, moto_server, azurite, prefix, **kw))
        engines.append(engine)
        return engine, engine.connect(user="helios", database="helios", branch="main")

    yield open_engine
    for engine in engines:
        if not engine.store.closed:
            engine.store.close(checkpoint=False)


def q(session, sql):
    return session.execute(sql)[-1].rows()


def _wide_table(s, name="w", rows=50_000):
    cols = ", ".join(f"c{i} bigint" for i in range(8))
    s.execute(f"create table {name} (id bigint primary key, {cols})")
    values = ", ".join(f"g*{i}" for i in range(8))
    s.execute(f"insert into {name} select g, {values} from generate_series(1, {rows}) g")


def _tiers_of(s, table):
    return sorted({r[0] for r in q(s, f"select tier from heliosdb.segments where table_name = '{table}'")})


def test_warm_table_reads_only_the_columns_it_needs(opened):
    engine, s = opened()
    _wide_table(s)
    expected = q(s, "select sum(c3), count(*) from w where c5 > 100")
    s.execute("alter table w set (tier = 'warm')")
    assert _tiers_of(s, "w") == ["warm"]
    assert not any(n.startswith("1/") for n in engine.store.tiers.get("hot").list("")
                   if n.split("/")[1] != "0"), "the hot copy is freed"
    tiers = engine.store.tiers
    size = sum(c.source.size for _l, c in mover.all_segments(engine.store) if c.tier == "warm")
    backend = tiers.get("warm").backend
    before, fetched = backend.requests.get("get_range", 0), tiers.bytes_fetched
    assert q(s, "select sum(c3) from w") == [(sum(g * 3 for g in range(1, 50_001)),)]
    ranges = backend.requests["get_range"] - before
    assert 2 <= ranges <= 8, ranges  # footer, then the buffers of c3 and _rowid: not the whole object
    assert tiers.bytes_fetched - fetched < size / 3
    # the same scan again comes from the cache: no request at all
    before = backend.requests["get_range"]
    assert q(s, "select sum(c3) from w") == [(sum(g * 3 for g in range(1, 50_001)),)]
    assert backend.requests["get_range"] == before
    assert tiers.cache.hits >= 1
    # filters and point reads are answered right from the warm tier
    assert q(s, "select sum(c3), count(*) from w where c5 > 100") == expected
    assert q(s, "select c7 from w where id = 777") == [(777 * 7,)]
    s.execute("update w set c1 = -1 where id = 5")
    assert q(s, "select c1 from w where id = 5") == [(-1,)]


def test_restart_reads_segments_where_the_manifest_records_them(opened):
    engine, s = opened()
    _wide_table(s, rows=20_000)
    s.execute("create table h (id int primary key, v text)")
    s.execute("insert into h select g, 'v' || g from generate_series(1, 1000) g")
    s.execute("alter table w set (tier = 'cold')")
    engine.store.close()
    engine, s = opened()
    assert _tiers_of(s, "w") == ["cold"]
    assert _tiers_of(s, "h") == ["hot"]
    assert q(s, "select count(*), sum(c2) from w") == [(20_000, sum(g * 2 for g in range(1, 20_001)))]
    assert q(s, "select c4 from w where id = 19999") == [(19999 * 4,)]
    assert q(s, "select v from h where id = 10") == [("v10",)]
    s.execute("insert into w (id, c0) values (20001, 1)")  # the primary-key index came back from the key columns
    with pytest.raises(Exception, match="duplicate key"):
        s.execute("insert into w (id, c0) values (20000, 1)")


def test_hot_size_moves_the_least_recently_read(opened):
    engine, s = opened()
    for name in ("old", "recent"):
        s.execute(f"create table {name} (id int, pad text)")
        s.execute(f"insert into {name} select g, repeat('x', 100) from generate_series(1, 20000) g")
    engine.store.checkpoint()
    q(s, "select count(*) from old")
    time.sleep(0.01)
    q(s, "select count(*) from recent")
    st = tiering.state(engine)
    hot_now = tiering.tier_bytes(engine)["hot"]
    st.hot_size = hot_now - 1000  # one table's segment has to go
    moved = tiering.run_once(engine)
    assert moved["hot_size"] >= 1
    assert _tiers_of(s, "old") == ["warm"]
    assert _tiers_of(s, "recent") == ["hot"]
    assert tiering.tier_bytes(engine)["hot"] <= st.hot_size
    assert q(s, "select count(*) from old") == [(20000,)]


def test_inactive_branch_goes_cold_and_comes_back_on_its_first_query(opened):
    engine, s = opened()
    s.execute("create table t (id int primary key, v int)")
    s.execute("insert into t select g, g from generate_series(1, 1000) g")
    s.execute("create branch tenant")
    b = engine.connect(user="helios", database="helios", branch="tenant")
    b.execute("insert into t select g, g from generate_series(1001, 30000) g")
    st = tiering.state(engine)
    st.inactive_threshold = 90 * 86400
    assert tiering.run_once(engine)["inactive"] == 0  # nobody is 90 days idle yet
    st.inactive_threshold = 1.0  # the same rule on a test's time scale
    time.sleep(1.2)
    q(s, "select count(*) from t")  # main's activity does not keep the tenant warm
    moved = tiering.run_once(engine)
    assert moved["inactive"] >= 1
    rows = {r[0]: r[1:] for r in q(s, "select branch, tier, hot_bytes, cold_bytes from heliosdb.tiering")}
    assert rows["tenant"][0] == "cold" and rows["tenant"][1] == 0 and rows["tenant"][2] > 0
    assert rows["main"][0] == "hot"
    # cold segments are Arrow IPC files with zstd-compressed buffers: smaller than the same batch plain
    cold = [c for _l, c in mover.all_segments(engine.store) if c.tier == "cold"]
    raw = engine.store.tiers.read_range("cold", cold[0].segment, 0, cold[0].source.size)
    batch = pa.ipc.open_file(pa.BufferReader(raw)).get_batch(0)
    plain = pa.BufferOutputStream()
    with pa.ipc.new_file(plain, batch.schema) as w:
        w.write_batch(batch)
    assert len(raw) < 0.8 * plain.getvalue().size
    # the first query on the cold branch is answered from cold storage and asks for promotion
    assert q(b, "select count(*) from t") == [(30000,)]
    assert st.promote
    assert tiering.run_once(engine)["promoted"] >= 1
    rows = {r[0]: r[1] for r in q(s, "select branch, tier from heliosdb.tiering")}
    assert rows["tenant"] == "hot"
    assert q(b, "select count(*), sum(v) from t") == [(30000, sum(range(1, 30001)))]


def test_object_store_down_fails_cold_queries_clearly_and_hot_ones_go_on(tmp_path, azurite):
    with MotoS3(str(tmp_path / "moto")) as moto:
        engine = Engine.open(str(tmp_path / "data"),
                             tiers=_tiers(tmp_path / "data", moto, azurite, "down", timeout=1.5, cache_size=0))
        s = engine.connect(user="helios", database="helios", branch="main")
        try:
            s.execute("create table far (id int, v int)")
            s.execute("insert into far select g, g from generate_series(1, 5000) g")
            s.execute("create table near (id int, v int)")
            s.execute("insert into near select g, g from generate_series(1, 10) g")
            s.execute("alter table far set (tier = 'warm')")
            moto.pause()
            try:
                started = time.monotonic()
                with pytest.raises(TierUnavailable) as info:
                    q(s, "select sum(v) from far")
                took = time.monotonic() - started
                assert "warm tier" in info.value.message and ".arrow" in info.value.message
                assert info.value.sqlstate == "58030"
                assert took < 8, took
                assert q(s, "select sum(v) from near") == [(55,)]  # hot data is not held up
                # a move to the tier that is down fails, and the table stays readable where it was
                with pytest.raises(TierUnavailable, match="warm tier"):
                    s.execute("alter table near set (tier = 'warm')")
                assert _tiers_of(s, "near") == ["hot"]
                assert q(s, "select sum(v) from near") == [(55,)]
            finally:
                moto.resume()
            assert q(s, "select sum(v) from far") == [(sum(range(1, 5001)),)]  # back when the store is
        finally:
            engine.store.close(checkpoint=False)


def test_sigkill_mid_upload_loses_nothing(tmp_path, moto_server):
    """Killed among uploads, restarted: every row is there, and after the next checkpoint each
    segment exists exactly where the manifest records it (strays of the cut move are gone)."""
    data_dir = tmp_path / "data"
    section = moto_server.section(f"kill-{uuid.uuid4().hex[:8]}")
    writer = Path(__file__).with_name("upload_writer.py")
    proc = subprocess.Popen([sys.executable, str(writer), str(data_dir), json.dumps(section)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            seen.append(line)
            if line.strip() == "put 4" or not line:
                break
        assert "put 4\n" in seen, "".join(seen)
        time.sleep(0.07)  # inside the fourth upload or just after it
        proc.kill()
    finally:
        proc.kill()
        proc.wait(10)
    warm = ObjectTier(open_backend("s3", section, timeout=5.0))
    engine = Engine.open(str(data_dir), tiers=TierSet(DiskTier(str(data_dir)), {"warm": warm}))
    try:
        s = engine.connect(user="helios", database="helios", branch="main")
        for i in range(6):
            assert q(s, f"select count(*), sum(v) from t{i}") == [(3000, i * sum(range(1, 3001)))]
        tiers = {c.tier for lay, c in mover.all_segments(engine.store) if lay.data_id != 0}
        assert tiers == {"hot", "warm"}, tiers  # killed half-way
        engine.store.checkpoint()
        recorded = {(c.tier, c.segment) for _l, c in mover.all_segments(engine.store)}
        stored = {("hot", n) for n in engine.store.tiers.get("hot").list("")} | {("warm", n) for n in warm.list("")}
        assert stored == recorded
    finally:
        engine.store.close(checkpoint=False)


def test_scans_read_ahead_over_many_warm_segments(opened):
    engine, s = opened()
    engine.store.small_segment_rows = 1000  # keep the segments apart
    s.execute("create table many (id int, v bigint)")
    for i in range(6):
        s.execute(f"insert into many select g, g from generate_series({i * 2000 + 1}, {(i + 1) * 2000}) g")
        engine.store.checkpoint()
    s.execute("alter table many set (tier = 'warm')")
    assert len(q(s, "select segment from heliosdb.segments where table_name = 'many'")) == 6
    tiers = engine.store.tiers
    assert q(s, "select sum(v) from many") == [(sum(range(1, 12001)),)]
    assert tiers.read_aheads >= 4  # each segment after the first was asked for before the scan reached it
    assert tiers.cache.hits + tiers.cache.misses >= 6


def test_gcs_tiers_read_by_ranges_and_promote(tmp_path, gcs_emulator):
    prefix = uuid.uuid4().hex[:8]
    warm, cold = (ObjectTier(open_backend("gcs", gcs_emulator.section(f"{prefix}/{role}"), timeout=5.0))
                  for role in ("warm", "cold"))
    engine = Engine.open(str(tmp_path), tiers=TierSet(DiskTier(str(tmp_path)), {"warm": warm, "cold": cold},
                                                      cache_size=64 << 20, timeout=5.0))
    try:
        s = engine.connect(user="helios", database="helios", branch="main")
        _wide_table(s, rows=5_000)
        s.execute("create branch tenant")
        s.execute("alter table w set (tier = 'warm')")
        assert _tiers_of(s, "w") == ["warm"]
        assert warm.list("")
        tiers = engine.store.tiers
        size = sum(c.source.size for _l, c in mover.all_segments(engine.store) if c.tier == "warm")
        before, fetched = warm.backend.requests.get("get_range", 0), tiers.bytes_fetched
        assert q(s, "select sum(c3) from w") == [(sum(g * 3 for g in range(1, 5_001)),)]
        assert 2 <= warm.backend.requests["get_range"] - before <= 8  # footer and two columns' buffers
        assert tiers.bytes_fetched - fetched < size / 3
        # a branch sent to cold lands on GCS; its first query is answered from there and promotes it
        b = engine.connect(user="helios", database="helios", branch="tenant")
        b.execute("insert into w (id, c0) values (5001, 7)")
        s.execute("alter branch tenant set tier = 'cold'")
        rows = {r[0]: r[1] for r in q(s, "select branch, tier from heliosdb.tiering")}
        assert rows["tenant"] == "cold" and cold.list("")
        reads = cold.backend.requests.get("get_range", 0)
        assert q(b, "select count(*), sum(c0) from w") == [(5_001, 7)]
        assert cold.backend.requests["get_range"] > reads
        st = tiering.state(engine)
        assert st.promote
        assert tiering.run_once(engine)["promoted"] >= 1
        rows = {r[0]: r[1] for r in q(s, "select branch, tier from heliosdb.tiering")}
        assert rows["tenant"] == "hot"
        assert q(b, "select count(*), sum(c0) from w") == [(5_001, 7)]
    finally:
        engine.store.close(checkpoint=False)
