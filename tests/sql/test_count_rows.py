"""count(*) of a whole table is counted from its chunks' visibility, without reading a column
(TableScan.count_rows, Txn.count). Each case compares it with ``count(1)``, which reads the rows,
under the same snapshot: versions, deletes, a transaction's own writes, another's uncommitted
ones, snapshots, branches, checkpointed segments, partitions, inheritance, row security; and
checks that it still counts as a sequential scan and as a serializable read."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


def both(s, table: str = "t", where: str = "") -> tuple[int, int]:
    star = s.execute(f"select count(*) from {table} {where}")[0].rows()[0][0]
    one = s.execute(f"select count(1) from {table} {where}")[0].rows()[0][0]
    return star, one


def same(s, table: str = "t") -> int:
    star, one = both(s, table)
    assert star == one
    return star


@pytest.fixture
def s(tmp_path):
    session = helios_core.connect(str(tmp_path / "data"))
    session.execute("create table t (id int primary key, v text)")
    session.execute("insert into t select g, 'v' || g from generate_series(1, 500) g")
    yield session
    session.close()


def test_versions_deletes_and_checkpointed_segments(s):
    assert same(s) == 500
    s.execute("update t set v = 'x' where id <= 100")
    s.execute("delete from t where id > 450")
    assert same(s) == 450
    s.execute("checkpoint")
    s.execute("delete from t where id % 7 = 0")
    assert same(s) == 450 - len([i for i in range(1, 451) if i % 7 == 0])


def test_a_transactions_own_writes_and_anothers_uncommitted_ones(s):
    other = s.engine.connect()
    try:
        s.execute("begin")
        s.execute("insert into t values (1001, 'a'), (1002, 'b')")
        s.execute("delete from t where id <= 10")
        assert same(s) == 492
        assert same(other) == 500  # not committed yet
        s.execute("commit")
        assert same(other) == 492
    finally:
        other.close()


def test_a_repeatable_read_snapshot(s):
    other = s.engine.connect()
    try:
        s.execute("begin isolation level repeatable read")
        assert same(s) == 500
        other.execute("delete from t where id <= 250")
        assert same(s) == 500
        s.execute("commit")
        assert same(s) == 250
    finally:
        other.close()


def test_a_branch_sees_its_parents_rows_less_what_it_deleted(s):
    s.execute("create branch dev")
    s.execute("set heliosdb.branch = 'dev'")
    s.execute("delete from t where id <= 100")
    s.execute("insert into t values (2000, 'dev')")
    assert same(s) == 401
    s.execute("set heliosdb.branch = 'main'")
    s.execute("insert into t values (3000, 'main')")
    assert same(s) == 501


def test_filters_partitions_inheritance_and_row_security(s):
    assert both(s, where="where id > 100") == (400, 400)  # a filter: the rows are read
    s.execute("create table p (k int, v text) partition by range (k)")
    s.execute("create table p1 partition of p for values from (0) to (100)")
    s.execute("create table p2 partition of p for values from (100) to (1000)")
    s.execute("insert into p select g, 'x' from generate_series(0, 299) g")
    assert same(s, "p") == 300 and same(s, "p1") == 100 and same(s, "only p2") == 200
    s.execute("create table parent (a int)")
    s.execute("create table child (b int) inherits (parent)")
    s.execute("insert into parent values (1), (2)")
    s.execute("insert into child values (3, 3)")
    assert same(s, "parent") == 3 and same(s, "only parent") == 2
    s.execute("create role reader")
    s.execute("grant select on t to reader")
    s.execute("alter table t enable row level security")
    s.execute("create policy few on t for select to reader using (id <= 5)")
    s.execute("set role reader")
    assert same(s) == 5
    s.execute("reset role")


def test_time_travel_and_explain_analyze_read_the_rows(s):
    before = s.execute("select now()")[0].rows()[0][0]
    s.execute("delete from t where id <= 100")
    assert s.execute(f"select count(*) from t as of timestamp '{before.isoformat()}'")[0].rows() == [(500,)]
    plan = "\n".join(r[0] for r in s.execute("explain (analyze) select count(*) from t")[0].rows())
    assert "Segments:" in plan or "Seq Scan on t" in plan
    assert same(s) == 400


def test_it_counts_as_a_sequential_scan(s):
    def stats():
        return s.execute("select seq_scan, seq_tup_read from pg_stat_user_tables where relname = 't'")[0].rows()[0]

    scans, tuples = stats()
    s.execute("select count(*) from t")
    assert stats() == (scans + 1, tuples + 500)


@pytest.mark.parametrize("aggregate", ["count(*)", "count(1)"])
def test_it_is_a_serializable_read(s, aggregate):
    """Write skew through a count: each transaction counts the table, then inserts; the second to
    commit fails, whether the count reads the rows or not."""
    other = s.engine.connect()
    try:
        for session in (s, other):
            session.execute("begin isolation level serializable")
            session.execute(f"select {aggregate} from t")
        s.execute("insert into t values (5001, 'a')")
        other.execute("insert into t values (5002, 'b')")
        s.execute("commit")
        with pytest.raises(HeliosError) as failed:
            other.execute("commit")
        assert failed.value.sqlstate == "40001"
    finally:
        other.close()


def test_the_count_reads_no_column(s, monkeypatch):
    """What the cases above compare: count(*) of a whole table takes Txn.count; with a filter it scans."""
    from helios_core.storage.txn import Transaction

    counted = []
    original = Transaction.count
    monkeypatch.setattr(Transaction, "count", lambda self, *a: counted.append(a) or original(self, *a))
    assert s.execute("select count(*) from t")[0].rows() == [(500,)]
    assert s.execute("select count(*) from t where v like 'v1%'")[0].rows() == [(111,)]
    assert s.execute("select count(*), count(v) from t")[0].rows() == [(500, 500)]
    assert counted == [("public", "t")]
