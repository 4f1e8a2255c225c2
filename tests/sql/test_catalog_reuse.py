"""Catalog tables are derived once per statement and reused across statements while no catalog
changed: what each session sees must still follow its own snapshot and its own DDL."""

from __future__ import annotations

import helios_core
from helios_core.engine import Engine


def _names(s, like: str) -> list[str]:
    r = s.execute(f"select relname from pg_class where relname like '{like}' order by 1")[-1]
    return [row[0] for row in r.rows()]


def test_another_sessions_ddl_is_seen_at_the_next_statement() -> None:
    engine = Engine.open(None)
    a, b = engine.connect(), engine.connect()
    assert _names(a, "reuse_%") == []
    b.execute("create table reuse_one (x int)")
    assert _names(a, "reuse_%") == ["reuse_one"]
    b.execute("alter table reuse_one rename to reuse_two")
    assert _names(a, "reuse_%") == ["reuse_two"]
    b.execute("drop table reuse_two")
    assert _names(a, "reuse_%") == []


def test_own_uncommitted_ddl_and_its_rollback() -> None:
    s = helios_core.connect()
    assert _names(s, "mine_%") == []
    s.execute("begin")
    s.execute("create table mine_t (x int)")
    assert _names(s, "mine_%") == ["mine_t"]
    s.execute("rollback")
    assert _names(s, "mine_%") == []


def test_a_repeatable_read_snapshot_keeps_its_catalog() -> None:
    engine = Engine.open(None)
    a, b = engine.connect(), engine.connect()
    a.execute("begin isolation level repeatable read")
    assert _names(a, "snap_%") == []
    b.execute("create table snap_t (x int)")
    assert _names(a, "snap_%") == []  # created after a's snapshot
    a.execute("commit")
    assert _names(a, "snap_%") == ["snap_t"]


def test_grouped_catalog_subquery_matches_each_row() -> None:
    s = helios_core.connect()
    s.execute("create table cg_a (x int, y text)")
    s.execute("create table cg_b (z bool)")
    r = s.execute("""
        select t.typname,
               (select count(*) from pg_attribute a join pg_class c on a.attrelid = c.oid
                where c.reltype = t.oid and a.attnum > 0) as n,
               (select array_agg(a.attname::text order by a.attnum) from pg_attribute a join pg_class c
                  on a.attrelid = c.oid where c.reltype = t.oid and a.attnum > 0) as names
        from pg_type t where t.typname in ('cg_a', 'cg_b', 'int4') order by 1""")[-1]
    assert [tuple(row) for row in r.rows()] == [("cg_a", 2, ["x", "y"]), ("cg_b", 1, ["z"]), ("int4", 0, None)]


def test_each_database_keeps_its_own_catalog() -> None:
    """Branch names repeat across databases (each has a main): what is kept is kept per branch id."""
    engine = Engine.open(None)
    a = engine.connect()
    a.execute("create database other_db")
    b = engine.connect(database="other_db")
    a.execute("create sequence seq_in_helios")
    b.execute("create sequence seq_in_other")
    for s, mine, theirs in ((a, "seq_in_helios", "seq_in_other"), (b, "seq_in_other", "seq_in_helios")):
        r = s.execute("select relname from pg_class where relkind = 'S' and relname like 'seq_in_%'")[-1]
        assert [row[0] for row in r.rows()] == [mine]
        assert s.execute(f"select nextval('{mine}')")[-1].rows() == [(1,)]
        assert theirs not in str(s.execute("select array_agg(relname) from pg_class")[-1].rows())
