"""A scan whose every row the operator above reads (an aggregate, a sort, a window, a hash join,
through filters and projections) filters its rows in long slices; one under a LIMIT, or streamed
out, in short ones. Answers are the same either way. COPY FROM appends in runs bounded by rows and
by the transaction's spill threshold (half of it where the rows spill)."""

from __future__ import annotations

import collections

import pyarrow as pa
import pytest

import helios_core
from helios_core.sql import copy as copy_module
from helios_core.sql.operators import scan as scan_module

SHORT, LONG = 300, 1200


@pytest.fixture
def seen(monkeypatch):
    """The sizes of the slices the scans handed on, by the slice length they were cut to."""
    sizes: collections.Counter = collections.Counter()
    cut = scan_module._slices

    def spy(b, rows=scan_module.SCAN_BATCH_ROWS):
        if b.num_rows > SHORT:  # where the choice shows
            sizes[rows] += 1
        yield from cut(b, rows)

    monkeypatch.setattr(scan_module, "SCAN_BATCH_ROWS", SHORT)
    monkeypatch.setattr(scan_module, "WHOLE_READ_SLICE_ROWS", LONG)
    monkeypatch.setattr(scan_module, "_slices", spy)
    return sizes


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create table t (id int, k int, v numeric(10,2))")
    session.execute("insert into t select g, g % 7, g / 10.0 from generate_series(1, 6000) g")
    session.execute("create table u (k int, name text)")
    session.execute("insert into u select g, 'k' || g from generate_series(0, 6) g")
    yield session
    session.close()


def rows(s, sql):
    return s.execute(sql)[0].rows()


@pytest.mark.parametrize("sql, long", [
    ("select k, sum(v), count(*) from t where id > 10 group by k order by k", True),
    ("select sum(v) from t where id > 100 and v < 500", True),
    ("select id from t where v > 1 order by v desc, id", True),
    ("select id, sum(v) over (partition by k) from t where id < 5000 order by id", True),
    ("select u.name, count(*) from t join u on t.k = u.k where t.id > 5 group by u.name order by 1", True),
    ("select id from t where v > 1 limit 5", False),
    ("select id from t where v > 1", False),
])
def test_slices_follow_what_reads_the_scan(s, seen, sql, long):
    expected = rows(s, sql.replace("from t ", "from (select * from t offset 0) t "))
    seen.clear()
    assert rows(s, sql) == expected
    assert seen[LONG if long else SHORT] > 0
    assert seen[SHORT if long else LONG] == 0


def test_long_slices_give_the_answers_of_short_ones(s, monkeypatch):
    sql = "select k, sum(v), min(id), max(id), count(*) from t where v between 1 and 400 group by k order by k"
    short = rows(s, sql)
    monkeypatch.setattr(scan_module, "WHOLE_READ_SLICE_ROWS", 1 << 22)
    assert rows(s, sql) == short
    monkeypatch.setattr(scan_module, "WHOLE_READ_SLICE_ROWS", 7)
    assert rows(s, sql) == short


class _Session:
    def check_cancel(self):
        pass


def _batch(n, width):
    return pa.record_batch([pa.array(range(n)), pa.array(["x" * width] * n)], names=["a", "b"])


def test_copy_runs_are_bounded_by_rows_and_bytes(monkeypatch):
    monkeypatch.setattr(copy_module, "BULK_ROWS", 1000)
    runs = list(copy_module._bulk(iter([_batch(400, 1)] * 6), _Session(), 1 << 30))
    assert [r.num_rows for r in runs] == [1200, 1200]  # by rows
    wide = _batch(100, 1000)  # about 100 KB
    runs = list(copy_module._bulk(iter([wide] * 7), _Session(), 250_000))
    assert [r.num_rows for r in runs] == [300, 300, 100]  # by bytes
    assert sum(r.num_rows for r in runs) == 700


def _appended_runs(monkeypatch, session) -> list[int]:
    """The bytes of each run a COPY appends (one ``Transaction.insert`` per run)."""
    from helios_core.storage.txn import Transaction

    sizes: list[int] = []
    insert = Transaction.insert

    def spy(self, schema, name, data):
        sizes.append(data.nbytes)
        return insert(self, schema, name, data)

    monkeypatch.setattr(Transaction, "insert", spy)
    session.execute("create table w (a int8, b text)")
    result = session.execute("COPY w FROM STDIN")[0]
    batches = [_batch(1000, 200) for _ in range(30)]  # about 6 MB in all, 200 KB a batch
    session.copy_in(result.copy, iter(batches))
    assert rows(session, "select count(*), sum(a) from w") == [(30_000, 30 * 999 * 1000 // 2)]
    return sizes


def test_a_spilling_copy_appends_runs_of_half_its_spill_threshold(tmp_path, monkeypatch):
    """Runs of half the threshold: the spill threads write one run's file while the next is
    decoded (a run of the whole threshold waited for its own file)."""
    session = helios_core.connect(str(tmp_path / "data"))
    try:
        session.engine.store.spill_after_bytes = 2 << 20
        sizes = _appended_runs(monkeypatch, session)
        assert len(sizes) >= 5
        assert max(sizes) < (1 << 20) + 250_000  # half the threshold, plus at most one input batch
        assert session.engine.store.spill_after_bytes // copy_module.SPILL_SHARE == 1 << 20
    finally:
        session.close()


def test_a_copy_that_cannot_spill_appends_runs_of_the_whole_threshold(monkeypatch):
    session = helios_core.connect()  # in memory: nothing spills, the rows stay until commit
    try:
        session.engine.store.spill_after_bytes = 2 << 20
        sizes = _appended_runs(monkeypatch, session)
        assert max(sizes) >= 2 << 20
        assert max(sizes) < (2 << 20) + 250_000
    finally:
        session.close()
