"""Primary-key point reads answered from a chunk's kept, renamed view (Store._presented_chunk):
the row and its schema are what the general presentation gives, whichever columns are asked for,
after updates, on branches, after ALTER TABLE, and the view is let go with the chunk's data."""

from __future__ import annotations

import pyarrow as pa
import pytest

import helios_core
from helios_core.storage import ColumnDef, Store


@pytest.fixture
def store():
    s = Store.open(None)
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "t", [ColumnDef("id", pa.int64()), ColumnDef("a", pa.int32()),
                                       ColumnDef("s", pa.string())], primary_key=["id"])
        t.insert("public", "t", pa.table({"id": list(range(-5, 1000)), "a": list(range(1005)),
                                          "s": [f"row {i}" for i in range(-5, 1000)]}))
    yield s
    s.close()


def _update(t, key: int, text: str) -> None:
    row = t.lookup("public", "t", (key,), with_rowid=True)
    new = pa.RecordBatch.from_arrays([row.column(0), row.column(1), pa.array([text])], names=["id", "a", "s"])
    t.update("public", "t", row.column(3), new)


def _delete(t, key: int) -> None:
    t.delete("public", "t", t.lookup("public", "t", (key,), with_rowid=True).column(3))


def _one(batch: pa.RecordBatch) -> dict:
    assert batch.num_rows == 1
    return {k: v[0] for k, v in batch.to_pydict().items()}


def test_every_column_choice_gets_its_own_names_types_and_row(store) -> None:
    choices = [None, ["s"], ["a", "id"], ["s", "a"], ["id"], ["a"]]  # more than a chunk keeps
    with store.begin("db", read_only=True) as t:
        for _ in range(2):  # the second round reads through the kept views (or rebuilt ones)
            for columns in choices:
                for with_rowid in (False, True):
                    b = t.lookup("public", "t", (17,), columns=columns, with_rowid=with_rowid)
                    names = (columns or ["id", "a", "s"]) + (["_rowid"] if with_rowid else [])
                    assert b.schema.names == names
                    row = _one(b)
                    expected = {"id": 17, "a": 22, "s": "row 17"}
                    assert {k: row[k] for k in names if k != "_rowid"} == {k: expected[k] for k in names
                                                                          if k != "_rowid"}
        assert t.lookup("public", "t", (-5,))["s"][0].as_py() == "row -5"  # negative keys too
        assert t.lookup("public", "t", (1000,)).num_rows == 0
        assert t.lookup("public", "t", (1 << 62,)).num_rows == 0


def test_views_join_other_batches_of_the_table(store) -> None:
    """A point read's batch has exactly the scan's schema, so the two combine."""
    with store.begin("db", read_only=True) as t:
        scanned = pa.Table.from_batches(list(t.scan("public", "t", columns=["id", "s"])))
        one = t.lookup("public", "t", (3,), columns=["id", "s"])
        assert one.schema.equals(scanned.schema)
        assert pa.Table.from_batches([one, *scanned.to_batches()]).num_rows == scanned.num_rows + 1


def test_an_updated_row_is_read_at_its_new_version_and_the_old_snapshot_keeps_the_old(store) -> None:
    old = store.begin("db", read_only=True)
    assert _one(old.lookup("public", "t", (40,)))["s"] == "row 40"
    with store.begin("db") as t:
        _update(t, 40, "changed")
        assert _one(t.lookup("public", "t", (40,)))["s"] == "changed"  # its own write
    with store.begin("db", read_only=True) as t:
        assert _one(t.lookup("public", "t", (40,)))["s"] == "changed"
    assert _one(old.lookup("public", "t", (40,)))["s"] == "row 40"
    old.rollback()
    with store.begin("db") as t:
        _delete(t, 41)
    with store.begin("db", read_only=True) as t:
        assert t.lookup("public", "t", (41,)).num_rows == 0


def test_branches_read_inherited_and_own_rows(store) -> None:
    store.create_branch("db", "dev")
    with store.begin("db", "dev") as t:
        assert _one(t.lookup("public", "t", (7,)))["s"] == "row 7"  # the parent's row
        _update(t, 8, "dev 8")
    with store.begin("db", "dev", read_only=True) as t:
        assert _one(t.lookup("public", "t", (8,)))["s"] == "dev 8"
        assert _one(t.lookup("public", "t", (7,)))["s"] == "row 7"
    with store.begin("db", read_only=True) as t:
        assert _one(t.lookup("public", "t", (8,)))["s"] == "row 8"


def test_the_view_goes_with_the_chunks_data(store) -> None:
    with store.begin("db", read_only=True) as t:
        t.lookup("public", "t", (3,))
    branch = next(iter(store.branches.values()))
    chunks = [ch for layer in branch.layers.values() for ch in layer.chunks.values() if ch.presented]
    assert chunks, "the point read kept a view"
    ch = chunks[0]
    ch.data = ch.data  # replaced data (a flush maps its segment this way)
    assert ch.presented is None
    with store.begin("db", read_only=True) as t:
        t.lookup("public", "t", (3,))
    assert ch.presented
    ch.make_remote(source=None, tier="cold")
    assert ch.presented is None


def test_sql_point_reads_after_alter_table_and_updates() -> None:
    s = helios_core.connect()
    try:
        s.execute("CREATE TABLE acc (aid int PRIMARY KEY, bal int, note text)")
        s.execute("INSERT INTO acc SELECT g, g * 10, 'n' || g FROM generate_series(1, 500) g")
        p = s.prepare("SELECT * FROM acc WHERE aid = $1", [23])
        assert s.execute_prepared(p, [12]).rows() == [(12, 120, "n12")]
        s.execute("ALTER TABLE acc ADD COLUMN flag int DEFAULT 7")
        s.execute("UPDATE acc SET bal = bal + 1 WHERE aid = 13")
        p = s.prepare("SELECT * FROM acc WHERE aid = $1", [23])
        assert s.execute_prepared(p, [12]).rows() == [(12, 120, "n12", 7)]
        assert s.execute_prepared(p, [13]).rows() == [(13, 131, "n13", 7)]
        s.execute("ALTER TABLE acc DROP COLUMN note")
        assert s.execute("SELECT * FROM acc WHERE aid = 12")[-1].rows() == [(12, 120, 7)]
    finally:
        s.close()


def test_point_reads_of_a_compressed_segment_keep_their_view_in_the_tiers_cache(tmp_path, monkeypatch) -> None:
    """A checkpointed table whose segment is compressed is read through the tiers' cache (not
    resident): its point reads' view is kept there, beside the decoded columns, so a second read
    picks no columns; it is rebuilt after ALTER TABLE, and goes when the segment is forgotten."""
    s = helios_core.connect(str(tmp_path / "data"))
    try:
        store = s.engine.store
        store.segment_codec = "zstd"
        s.execute("CREATE TABLE acc (aid int PRIMARY KEY, bal int, note text)")
        s.execute("INSERT INTO acc SELECT g, g * 10, 'n' || g FROM generate_series(1, 5000) g")
        s.execute("CHECKPOINT")
        chunk = next(ch for b in store.branches.values() for lay in b.layers.values()
                     for ch in lay.chunks.values() if ch.num_rows == 5000)
        assert not chunk.resident
        picked = []
        real = type(store)._present_columns
        monkeypatch.setattr(type(store), "_present_columns",
                            lambda self, *a: picked.append(a[1].num_rows) or real(self, *a))
        p = s.prepare("SELECT bal, note FROM acc WHERE aid = $1", [23])
        star = s.prepare("SELECT * FROM acc WHERE aid = $1", [23])
        rounds, counted = [], []
        for _ in range(2):
            counted.append(store.tiers.cache.hits + store.tiers.cache.misses)
            assert s.execute_prepared(p, [12]).rows() == [(120, "n12")]
            assert s.execute_prepared(p, [4999]).rows() == [(49990, "n4999")]
            assert s.execute_prepared(star, [7]).rows() == [(7, 70, "n7")]
            assert s.execute_prepared(p, [5001]).rows() == []
            rounds.append(list(picked))
        assert rounds[0] and set(rounds[0]) == {5000}  # columns picked over the whole segment, once
        assert rounds[1] == rounds[0]  # the second round: the kept views alone
        # the views' lookups are not in the cache's hit ratio (the columns' reads are)
        assert store.tiers.cache.hits + store.tiers.cache.misses == counted[1] > counted[0]
        s.execute("UPDATE acc SET bal = -1 WHERE aid = 12")  # a newer version, in the memtable
        assert s.execute_prepared(p, [12]).rows() == [(-1, "n12")]
        s.execute("ALTER TABLE acc ADD COLUMN flag int DEFAULT 7")
        star = s.prepare("SELECT * FROM acc WHERE aid = $1", [23])  # (the old one's result type changed)
        assert s.execute_prepared(star, [7]).rows() == [(7, 70, "n7", 7)]
        assert s.execute_prepared(p, [7]).rows() == [(70, "n7")]
        chunk.source.forget()  # a repack or move drops the segment's cached columns, views with them
        assert not any(isinstance(k[2], tuple) and k[2][:1] == ("presented",) for k in store.tiers.cache._items)
        assert s.execute_prepared(p, [4999]).rows() == [(49990, "n4999")]
    finally:
        s.close()
