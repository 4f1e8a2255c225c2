"""CREATE TEMP TABLE: private to its session (pg_temp_<pid>), shadows permanent tables, ON COMMIT."""

from __future__ import annotations

import psycopg
import pytest

from helios_core.engine import Engine
from helios_core.errors import HeliosError


@pytest.fixture
def engine():
    e = Engine.open(None)
    yield e
    e.close()


@pytest.fixture
def a(engine):
    return engine.connect()


@pytest.fixture
def b(engine):
    return engine.connect()


def rows(s, sql: str) -> list[tuple]:
    return s.execute(sql)[-1].rows()


def err(s, sql: str) -> HeliosError:
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value


def test_temp_table_invisible_to_other_session(a, b):
    a.execute("create temp table tt (x int)")
    a.execute("insert into tt values (1), (2)")
    assert rows(a, "select x from tt order by x") == [(1,), (2,)]
    assert err(b, "select * from tt").sqlstate == "42P01"
    assert err(b, "insert into tt values (3)").sqlstate == "42P01"
    assert err(b, "select * from pg_temp.tt").sqlstate == "42P01"
    # the other session may create its own table of the same name
    b.execute("create temporary table tt (y text)")
    b.execute("insert into tt values ('b')")
    assert rows(b, "select * from tt") == [("b",)]
    assert rows(a, "select x from tt order by x") == [(1,), (2,)]


def test_other_sessions_temp_schema_refused(a, b):
    a.execute("create temp table tt (x int)")
    err_ = err(b, f"select * from pg_temp_{a.pid}.tt")
    assert err_.sqlstate == "0A000"
    assert "other sessions" in str(err_)


def test_temp_shadows_permanent_and_pg_temp_qualifier(a, b):
    a.execute("create table t (x int)")
    a.execute("insert into t values (1)")
    a.execute("create temp table t (y text)")
    a.execute("insert into t values ('tmp')")  # goes to the temp table
    assert rows(a, "select * from t") == [("tmp",)]
    assert rows(a, "select * from pg_temp.t") == [("tmp",)]
    assert rows(a, "select * from public.t") == [(1,)]
    assert rows(b, "select * from t") == [(1,)]
    a.execute("update t set y = 'u'")
    assert rows(a, "select * from pg_temp.t") == [("u",)]
    a.execute("drop table t")  # the temp one
    assert rows(a, "select * from t") == [(1,)]


def test_create_table_in_pg_temp_is_temporary(a, b):
    a.execute("create table pg_temp.q (x int)")
    assert rows(a, "select count(*) from q") == [(0,)]
    assert err(b, "select * from q").sqlstate == "42P01"


def test_temp_in_named_schema_refused(a):
    assert err(a, "create temp table public.z (x int)").sqlstate == "42P16"


def test_temp_table_as_select_is_private(a, b):
    a.execute("create temp table ct as select 5 as v")
    assert rows(a, "select v from ct") == [(5,)]
    assert err(b, "select * from ct").sqlstate == "42P01"


def test_dropped_at_session_close(engine, a, b):
    a.execute("create temp table gone (x int)")
    schema = f"pg_temp_{a.pid}"
    a.close()
    txn = engine.store.begin("helios", "main")
    try:
        assert txn.get_table(schema, "gone") is None
    finally:
        txn.rollback()
    assert err(b, "select * from gone").sqlstate == "42P01"


def test_catalog_views_show_temp_only_to_owner(a, b):
    a.execute("create table t (x int)")
    a.execute("create temp table t (x int)")
    q = ("select n.nspname, c.relpersistence from pg_class c join pg_namespace n on n.oid = c.relnamespace "
         "where c.relname = 't' order by 1")
    assert rows(a, q) == [(f"pg_temp_{a.pid}", "t"), ("public", "p")]
    assert rows(b, q) == [("public", "p")]
    iq = "select table_schema from information_schema.tables where table_name = 't' order by 1"
    assert rows(a, iq) == [(f"pg_temp_{a.pid}",), ("public",)]
    assert rows(b, iq) == [("public",)]


def test_on_commit_drop(a):
    a.execute("begin")
    a.execute("create temp table d (x int) on commit drop")
    a.execute("insert into d values (1)")
    assert rows(a, "select * from d") == [(1,)]
    a.execute("commit")
    assert err(a, "select * from d").sqlstate == "42P01"


def test_on_commit_delete_rows(a):
    a.execute("create temp table dr (x int) on commit delete rows")
    a.execute("begin")
    a.execute("insert into dr values (1), (2)")
    assert rows(a, "select count(*) from dr") == [(2,)]
    a.execute("commit")
    assert rows(a, "select count(*) from dr") == [(0,)]


def test_on_commit_preserve_rows(a):
    a.execute("create temp table pr (x int) on commit preserve rows")
    a.execute("insert into pr values (1)")
    assert rows(a, "select count(*) from pr") == [(1,)]


def test_on_commit_needs_temp(a):
    assert err(a, "create table nt (x int) on commit delete rows").sqlstate == "42P16"


def test_two_pg_connections_do_not_see_each_others_temp_tables(helios_server):
    server = helios_server(only=["postgres"])
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c1, \
            psycopg.connect(server.pg_dsn(), autocommit=True) as c2:
        c1.execute("create temp table secret (x int)")
        c1.execute("insert into secret values (42)")
        assert c1.execute("select x from secret").fetchall() == [(42,)]
        with pytest.raises(psycopg.errors.UndefinedTable):
            c2.execute("select x from secret")
        assert c2.execute("select count(*) from pg_class where relname = 'secret'").fetchone() == (0,)
        assert c1.execute("select count(*) from pg_class where relname = 'secret'").fetchone() == (1,)


def test_temp_sequence_is_private_and_goes_with_the_session(engine, a, b):
    # it was created in public, for good and for everyone (TEMP ignored)
    a.execute("create temp sequence ts start 5")
    assert rows(a, "select nextval('ts'), nextval('pg_temp.ts'), currval('pg_temp.ts')") == [(5, 6, 6)]
    assert rows(a, "select schemaname like 'pg_temp_%' from pg_sequences where sequencename = 'ts'") == [(True,)]
    # psql's \ds joins pg_class with pg_namespace: the temp schema must be there for it
    assert rows(a, "select n.nspname like 'pg_temp_%', c.relkind, pg_table_is_visible(c.oid) from pg_class c"
                   " join pg_namespace n on n.oid = c.relnamespace where c.relname = 'ts'") == [(True, "S", True)]
    assert err(b, "select nextval('ts')").sqlstate == "42P01"
    assert err(a, "create temp sequence public.ts2").sqlstate == "42P16"
    a.execute("create sequence pg_temp.ts3")
    a.close()
    c = engine.connect()
    assert rows(c, "select count(*) from pg_sequences where sequencename in ('ts', 'ts3')") == [(0,)]


def test_drop_with_pg_temp_qualifier(a):
    # DROP TABLE pg_temp.x did not find the session's own temp table (42P01)
    a.execute("create temp table dt (x int)")
    a.execute("create temp view dv as select 1")
    a.execute("create temp sequence ds")
    a.execute("drop view pg_temp.dv")
    a.execute("drop sequence pg_temp.ds")
    a.execute("drop table pg_temp.dt")
    a.execute("drop table if exists pg_temp.dt")
    assert rows(a, "select count(*) from pg_class where relname in ('dt', 'dv', 'ds')") == [(0,)]
