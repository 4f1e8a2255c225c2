"""Qualified and catalog spellings PostgreSQL accepts: pg_catalog.fn(), OPERATOR(schema.op), COLLATE,
name -> OID casts (regclass, regtype, regnamespace, regrole), version()'s label.

Expected answers were recorded from PostgreSQL 15 running the same statements (OIDs of user
tables differ between systems, so those are compared through pg_class)."""
from __future__ import annotations

import pytest

from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def db():
    import helios_core

    s = helios_core.connect()
    s.execute("create table t (id int primary key, s text)")
    s.execute("insert into t values (1, 'b'), (2, 'a')")
    return s


def q(db, sql):
    r = db.execute(sql)[-1]
    return [c.name for c in r.columns], r.rows()


CASES = [
    ("select pg_catalog.lower('A'), public.upper('b')", ["lower", "upper"], [("a", "B")]),
    ("select pg_catalog.count(*) from t", ["count"], [(2,)]),
    ("select pg_catalog.length(pg_catalog.lower('AB'))", ["length"], [(2,)]),
    ("select 1 OPERATOR(pg_catalog.+) 2, 'abc' OPERATOR(pg_catalog.~) '^a', 'x' operator(~~) 'x%'",
     ["?column?", "?column?", "?column?"], [(3, True, True)]),
    ("select s from t order by s collate \"C\"", ["s"], [("a",), ("b",)]),
    ("select 'a' < 'b' collate \"C\", 'b' collate pg_catalog.default", ["?column?", "?column?"], [(True, "b")]),
    ("select 'pg_class'::regclass::oid::int, 'pg_catalog.pg_class'::regclass::oid::int",
     ["int4", "int4"], [(1259, 1259)]),
    ("select relname from pg_class where oid = 't'::regclass", ["relname"], [("t",)]),
    ("select relname from pg_class where oid = cast('public.t' as pg_catalog.regclass)", ["relname"], [("t",)]),
    ("select 'integer'::regtype::oid::int", ["int4"], [(23,)]),
    ("select 'pg_catalog'::regnamespace::oid::int", ["int4"], [(11,)]),
    ("select nspname from pg_namespace where oid = 'public'::regnamespace", ["nspname"], [("public",)]),
    ("select rolname from pg_roles where oid = 'helios'::regrole", ["rolname"], [("helios",)]),
    ("select 'x'::pg_catalog.text || 'y'", ["?column?"], [("xy",)]),
    # regclass's text is the relation's name (its value, in Arrow rows, the OID; over the wire the
    # column is typed regclass: plugins/protocol_pg/tests/test_regclass_columns.py)
    ("select 'pg_class'::regclass::text, 't'::regclass::text as r", ["text", "r"], [("pg_class", "t")]),
    ("select tableoid::regclass::text, id from t order by id", ["tableoid", "id"], [("t", 1), ("t", 2)]),
    ("select conrelid::pg_catalog.regclass::text as ontable from pg_constraint where conrelid = 't'::regclass",
     ["ontable"], [("t",)]),
    ("select 'pg_class'::regclass = 1259::oid, 't'::regclass::oid = tableoid from t limit 1",
     ["?column?", "?column?"], [(True, True)]),
]


@pytest.mark.parametrize(("sql", "names", "rows"), CASES, ids=[c[0][:60] for c in CASES])
def test_qualified_spellings(db, sql, names, rows) -> None:
    assert q(db, sql) == (names, rows)


@pytest.mark.parametrize(("sql", "state", "message"), [
    ("select 'nope'::regclass", "42P01", 'relation "nope" does not exist'),
    ("select 'nope'::regnamespace", "3F000", 'schema "nope" does not exist'),
    ("select 'nope'::regrole", "42704", 'role "nope" does not exist'),
    ("select 'nope'::regtype", "42704", 'type "nope" does not exist'),
])
def test_unknown_names_in_oid_casts(db, sql, state, message) -> None:
    with pytest.raises(HeliosError) as ei:
        db.execute(sql)
    assert (ei.value.sqlstate, str(ei.value)) == (state, message)


def test_version_label(db) -> None:
    names, rows = q(db, "select version()")
    assert names == ["version"] and rows[0][0].startswith("PostgreSQL ")
