"""``ORDER BY pk [DESC] LIMIT k`` read from the chunks whose keys lead (sql.operators.top_by_bounds,
ReadOps.key_bounds): the same rows in the same order as the full top-k (the query with a computed
key, which cannot take the path) over bulk and single-row chunks, updated and deleted rows, a
checkpoint's segments, a branch with rows of its own over its parent's, another session's
uncommitted rows and a transaction's own; the newest rows are found reading the newest chunks
alone; other shapes read everything."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.sql.operators.scan import TableScan


@pytest.fixture
def s(tmp_path):
    session = helios_core.connect(str(tmp_path / "data"))
    session.execute("create table ev (id bigint primary key, kind int, note text)")
    session.execute("insert into ev select g, g % 7, 'n' || g from generate_series(1, 20000) g")
    session.execute("insert into ev select g, g % 5, 'm' || g from generate_series(20001, 30000) g")
    for i in range(40):  # the newest rows, one statement each: small chunks
        session.execute(f"insert into ev values ({50000 + i}, {i % 3}, 'late {i}')")
    yield session
    session.engine.close()


@pytest.fixture
def chunks_read(monkeypatch):
    """The sets of chunks the bounded reads asked for."""
    seen: list[set[int]] = []
    original = TableScan.chunk_rows

    def spy(self, ctx, only):
        seen.append(set(only))
        return original(self, ctx, only)

    monkeypatch.setattr(TableScan, "chunk_rows", spy)
    return seen


QUERIES = [
    ("select * from ev order by id desc limit 20", "select * from ev order by id + 0 desc limit 20"),
    ("select id, note from ev order by id limit 15", "select id, note from ev order by id + 0 limit 15"),
    ("select note, id from ev order by id desc limit 30 offset 25",
     "select note, id from ev order by id + 0 desc limit 30 offset 25"),
    ("select * from ev order by id desc limit 100000", "select * from ev order by id + 0 desc limit 100000"),
    ("select id from ev order by id asc limit 1", "select id from ev order by id + 0 asc limit 1"),
]


def _same(s, queries=QUERIES) -> None:
    for sql, full in queries:
        assert s.execute(sql)[-1].rows() == s.execute(full)[-1].rows(), sql


def test_the_rows_of_a_full_top_k(s, chunks_read):
    _same(s)
    assert chunks_read  # the bounded reads ran
    s.execute("update ev set note = 'changed', kind = 9 where id in (50039, 50030, 5)")  # new versions
    s.execute("delete from ev where id in (50038, 50001, 1, 2)")
    _same(s)
    s.execute("checkpoint")  # segments with their statistics
    _same(s)
    s.execute("insert into ev values (60000, 1, 'after'), (-5, 1, 'below')")
    _same(s)


def test_the_newest_rows_read_the_newest_chunks(s, chunks_read):
    rows = s.execute("select id from ev order by id desc limit 10")[-1].rows()
    assert rows == [(50039 - i,) for i in range(10)]
    read = set().union(*chunks_read)
    assert 0 < len(read) <= 12, chunks_read  # ten one-row chunks and maybe a merged one, not the bulk ones
    chunks_read.clear()
    assert s.execute("select id from ev order by id limit 3")[-1].rows() == [(1,), (2,), (3,)]
    assert len(set().union(*chunks_read)) == 1  # the chunk whose keys start lowest


def test_snapshots_and_branches(s):
    other = s.engine.connect(user="helios", database="helios", branch="main")
    other.execute("begin")
    other.execute("insert into ev values (70000, 1, 'uncommitted')")
    assert other.execute("select id from ev order by id desc limit 1")[-1].rows() == [(70000,)]
    assert s.execute("select id from ev order by id desc limit 1")[-1].rows() == [(50039,)]
    s.execute("begin isolation level repeatable read")
    assert s.execute("select id from ev order by id desc limit 1")[-1].rows() == [(50039,)]
    other.execute("commit")
    assert s.execute("select id from ev order by id desc limit 1")[-1].rows() == [(50039,)]
    s.execute("commit")
    assert s.execute("select id from ev order by id desc limit 1")[-1].rows() == [(70000,)]

    s.execute("create branch dev")
    s.execute("set heliosdb.branch = 'dev'")
    s.execute("delete from ev where id >= 50030")
    s.execute("insert into ev values (45000, 1, 'dev only')")
    _same(s)
    assert s.execute("select id from ev order by id desc limit 2")[-1].rows() == [(50029,), (50028,)]
    s.execute("set heliosdb.branch = 'main'")
    assert s.execute("select id from ev order by id desc limit 2")[-1].rows() == [(70000,), (50039,)]
    _same(s)


@pytest.mark.parametrize("sql", [
    "select * from ev order by kind desc, id limit 5",  # another key
    "select * from ev where kind = 1 order by id desc limit 5",  # a filter
    "select id * 2 from ev order by id desc limit 5",  # computed output
    "select * from ev order by id desc",  # no limit
])
def test_other_shapes_read_everything(s, chunks_read, sql):
    s.execute(sql)
    assert not chunks_read


def test_other_key_types_and_keys(tmp_path, chunks_read):
    s = helios_core.connect(str(tmp_path / "data"))
    s.execute("create table p (a int, b int, primary key (a, b))")  # a alone ties: the full read
    s.execute("insert into p select g % 100, g from generate_series(1, 3000) g")
    s.execute("create table q (c text primary key, n int)")  # text keys: the full read
    s.execute("insert into q select 'k' || g, g from generate_series(1, 3000) g")
    assert [r[0] for r in s.execute("select a, b from p order by a desc limit 2")[-1].rows()] == [99, 99]
    assert s.execute("select c from q order by c desc limit 3")[-1].rows() == [("k999",), ("k998",), ("k997",)]
    assert not chunks_read
    s.execute("create table r (id int primary key, n int)")  # an int4 key: bounded
    s.execute("insert into r select g, g from generate_series(1, 3000) g")
    for i in range(5):
        s.execute(f"insert into r values ({5000 + i}, {i})")
    assert s.execute("select id from r order by id desc limit 3")[-1].rows() == [(5004,), (5003,), (5002,)]
    assert chunks_read
    s.engine.close()
