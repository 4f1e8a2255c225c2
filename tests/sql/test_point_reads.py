"""Prepared primary-key point reads run without the operator tree (helios_core.sql.point_reads):
the same answers as the general path under MVCC, branches and privileges."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def engine_session():
    s = helios_core.connect()
    s.execute("create table acc (aid bigint primary key, bid int, abalance int, note text)")
    s.execute("insert into acc select g, g % 3, g * 10, 'n' || g from generate_series(1, 20) g")
    yield s
    s.close()


def point(s, sql, types=()):
    stmt = s.prepare(sql, param_types=list(types))
    assert stmt.plan.plan is not None
    return stmt


def run(s, stmt, *params):
    return s.execute_prepared(stmt, list(params)).rows()


def test_point_read_is_taken_and_answers(engine_session):
    s = engine_session
    stmt = point(s, "select note, abalance, aid from acc where aid = $1", ["integer"])
    assert run(s, stmt, 7) == [("n7", 70, 7)]
    assert stmt.plan.cache.get("point") is not None
    assert run(s, stmt, 21) == []
    assert run(s, stmt, None) == []
    assert [c.name for c in s.execute_prepared(stmt, [3]).columns] == ["note", "abalance", "aid"]
    star = point(s, "select * from acc where aid = $1")
    assert run(s, star, "4") == [(4, 1, 40, "n4")]


def test_shapes_that_keep_the_operator_tree(engine_session):
    s = engine_session
    for sql in ("select abalance + 1 from acc where aid = $1",
                "select abalance from acc where aid = $1 and bid = 0",
                "select abalance, tableoid > 0 from acc where aid = $1"):
        stmt = point(s, sql, ["integer"])
        rows = run(s, stmt, 5)
        assert stmt.plan.cache.get("point") is None, sql
        assert len(rows) == (0 if "bid = 0" in sql else 1)


def test_mvcc_as_the_general_path(engine_session):
    s = engine_session
    other = s.engine.connect(user="helios", database="helios", branch="main")
    stmt = point(s, "select abalance from acc where aid = $1", ["integer"])
    assert run(s, stmt, 2) == [(20,)]
    s.execute("begin isolation level repeatable read")
    assert run(s, stmt, 2) == [(20,)]
    other.execute("update acc set abalance = -1 where aid = 2")
    assert run(s, stmt, 2) == [(20,)]  # the transaction's snapshot
    s.execute("update acc set abalance = 5 where aid = 3")
    assert run(s, stmt, 3) == [(5,)]  # its own write
    s.execute("delete from acc where aid = 4")
    assert run(s, stmt, 4) == []
    s.execute("commit")
    assert run(s, stmt, 2) == [(-1,)]  # read committed: the other's commit
    other.execute("begin")
    other.execute("delete from acc where aid = 5")
    assert run(s, stmt, 5) == [(50,)]  # not committed yet
    other.execute("commit")
    assert run(s, stmt, 5) == []
    other.close()


def test_branch_and_privileges(engine_session):
    s = engine_session
    stmt = point(s, "select abalance from acc where aid = $1", ["integer"])
    assert run(s, stmt, 6) == [(60,)]
    s.execute("create branch dev from main")
    s.execute("set heliosdb.branch = dev")
    s.execute("update acc set abalance = 600 where aid = 6")
    assert run(s, stmt, 6) == [(600,)]
    s.execute("set heliosdb.branch = main")
    assert run(s, stmt, 6) == [(60,)]
    s.execute("create role clerk")
    s.execute("grant select on acc to clerk")
    s.execute("set role clerk")
    assert run(s, stmt, 6) == [(60,)]
    s.execute("reset role")
    s.execute("revoke select on acc from clerk")
    s.execute("set role clerk")
    with pytest.raises(HeliosError) as err:
        run(s, stmt, 6)
    assert err.value.sqlstate == "42501"
    s.execute("reset role")


def test_time_travel_is_not_a_point_read(engine_session):
    s = engine_session
    ts = s.execute("select now()")[0].rows()[0][0]
    s.execute("update acc set abalance = 0 where aid = 8")
    stmt = point(s, f"select abalance from acc as of timestamp '{ts.isoformat()}' where aid = $1", ["integer"])
    assert run(s, stmt, 8) == [(80,)]


def test_prepared_insert_plans_its_values_once_with_each_executions_values(engine_session):
    s = engine_session
    s.execute("create table hist (id int, delta int, at timestamptz, label text)")
    ins = s.prepare("insert into hist values ($1, $2 * 2, current_timestamp, 'row ' || $1)",
                     param_types=["integer", "integer"])
    for i in range(4):
        s.execute_prepared(ins, [i, -i])
    assert s.execute("select id, delta, label, at is not null from hist order by id")[0].rows() == [
        (0, 0, "row 0", True), (1, -2, "row 1", True), (2, -4, "row 2", True), (3, -6, "row 3", True)]
    s.execute("alter table hist add column extra int default 9")
    s.execute_prepared(ins, [4, 1])
    assert s.execute("select delta, extra from hist where id = 4")[0].rows() == [(2, 9)]


def test_integer_key_parameters_out_of_range_are_refused_as_the_general_path(engine_session):
    s = engine_session
    s.execute("create table small (k int primary key, v text)")
    s.execute("insert into small values (1, 'one'), (2147483647, 'max')")
    stmt = point(s, "select v from small where k = $1", ["integer"])
    assert run(s, stmt, 2147483647) == [("max",)]
    assert run(s, stmt, 1) == [("one",)]
    with pytest.raises(HeliosError) as err:  # taken straight, it would be looked up and not found
        run(s, stmt, 2147483648)
    assert err.value.sqlstate == "22003"
