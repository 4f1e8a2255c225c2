"""Branch statements: CREATE/ALTER/DROP BRANCH, SET heliosdb.branch, heliosdb.branches, AS OF TIMESTAMP."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from helios_core.engine import Engine
from helios_core.errors import HeliosError


@pytest.fixture
def engine():
    e = Engine.open(None)
    yield e
    e.close()


@pytest.fixture
def s(engine):
    session = engine.connect()
    session.execute("create table t (id int primary key, v text)")
    session.execute("insert into t values (1, 'a'), (2, 'b')")
    return session


def err(s, sql: str) -> HeliosError:
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value


def count(s, sql: str = "select count(*) from t") -> int:
    return s.execute(sql)[0].rows()[0][0]


def _ts(us: int) -> str:
    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")


def test_branch_isolates_writes(s):
    assert s.execute("create branch dev from main")[0].command_tag == "CREATE BRANCH"
    assert s.execute("set heliosdb.branch = 'dev'")[0].command_tag == "SET"
    assert s.execute("show heliosdb.branch")[0].rows() == [("dev",)]
    s.execute("insert into t values (3, 'c'); delete from t where id = 1")
    s.execute("create table only_dev (x int)")
    assert count(s) == 2
    s.execute("set heliosdb.branch = main")
    assert count(s) == 2 and s.execute("select min(id) from t")[0].rows() == [(1,)]
    assert err(s, "select * from only_dev").sqlstate == "42P01"


def test_branch_names_and_errors(s):
    s.execute("create branch b1")
    assert err(s, "create branch b1").sqlstate == "42710"
    assert s.execute("create branch if not exists b1")[0].notices
    assert err(s, "create branch b2 from nope").sqlstate == "42704"
    assert err(s, "set heliosdb.branch = 'nope'").sqlstate == "42704"
    assert s.branch == "main"
    assert s.execute("alter branch b1 rename to b2")[0].command_tag == "ALTER BRANCH"
    names = {r[0] for r in s.execute("select name from heliosdb.branches")[0].rows()}
    assert names == {"main", "b2"}
    assert err(s, "drop branch main").sqlstate == "42501"
    assert s.execute("drop branch b2")[0].command_tag == "DROP BRANCH"
    assert err(s, "drop branch b2").sqlstate == "42704"
    s.execute("begin")
    assert err(s, "create branch b3").sqlstate == "25001"


def test_heliosdb_branches_columns(s):
    s.execute("create branch child from main")
    r = s.execute("select name, parent, owner from heliosdb.branches order by name")[0]
    assert [row[:2] for row in r.rows()] == [("child", "main"), ("main", None)]
    assert r.rows()[0][2] == "helios"


def test_branch_at_timestamp_and_startup_option(engine, s):
    before = engine.store.now()
    time.sleep(0.01)
    s.execute("insert into t values (3, 'c')")
    s.execute(f"create branch past from main at timestamp '{_ts(before)}'")
    other = engine.connect(options={"heliosdb.branch": "past"})
    assert other.branch == "past" and count(other) == 2
    assert count(s) == 3
    with pytest.raises(HeliosError) as ei:
        engine.connect(options={"heliosdb.branch": "nope"})
    assert ei.value.sqlstate == "42704"


def test_as_of_timestamp(engine, s):
    before = engine.store.now()
    time.sleep(0.01)
    s.execute("update t set v = 'changed' where id = 1; insert into t values (3, 'c')")
    assert s.execute(f"select v from t as of timestamp '{_ts(before)}' where id = 1")[0].rows() == [("a",)]
    assert count(s, f"select count(*) from t as of timestamp '{_ts(before)}' as old") == 2
    r = s.execute(f"select count(*) from t as of timestamp '{_ts(before)}' o join t n on o.id = n.id "
                  "where o.v <> n.v")[0]
    assert r.rows() == [(1,)]
    assert err(s, "select * from t as of timestamp '2000-01-01'").sqlstate == "22023"


def test_switching_branch_inside_a_used_block_is_refused(s):
    s.execute("create branch b")
    s.execute("begin; select 1")
    assert err(s, "set heliosdb.branch = 'b'").sqlstate == "25001"
    s.execute("rollback")


def test_branch_connection_limit(engine, s):
    s.execute("create branch limited")
    s.execute("alter branch limited set max_connections = 1")
    first = engine.connect(options={"heliosdb.branch": "limited"})
    with pytest.raises(HeliosError) as ei:
        engine.connect(options={"heliosdb.branch": "limited"})
    assert ei.value.sqlstate == "53300"
    first.close()
    engine.connect(options={"heliosdb.branch": "limited"}).close()
    with pytest.raises(HeliosError) as ei:
        s.execute("alter branch limited set max_nothing = 1")
    assert ei.value.sqlstate == "22023"
