"""Procedures with OUT/INOUT parameters and CALL with named arguments, through psycopg against a
real server (the extended protocol describes the CALL's row before it runs): PostgreSQL 15's
answers."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture(scope="module")
def db(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("drop table if exists po_log")
        c.execute("create table po_log (a int, b text)")
        c.execute("""create or replace procedure po_inout(inout a int, inout b int) language plpgsql as $$
                     begin a := a + 1; b := b * 2; end $$""")
        c.execute("""create or replace procedure po_sql(out a int, in b int, in c int default 1)
                     language sql as $$ insert into po_log values (b, 'x'); select b - c $$""")
        c.execute("""create or replace procedure po_var(a out int, variadic b int[]) language sql
                     as $$ select b[1] + b[2] $$""")
        c.execute("""create or replace procedure po_named(a int, b text default 'd') language sql
                     as $$ insert into po_log values (a, b) $$""")
        yield c


def test_call_returns_the_out_and_inout_values_as_a_row(db) -> None:
    cur = db.execute("call po_inout(1, 2)")
    assert [d.name for d in cur.description] == ["a", "b"]
    assert cur.fetchall() == [(2, 4)]
    assert db.execute("call po_sql(null, 7, 4)").fetchall() == [(3,)]
    assert db.execute("call po_var(null, 11, 12, 13)").fetchall() == [(23,)]
    for _ in range(2):  # a prepared statement: described before it runs
        assert db.execute("call po_inout(5, 6)", prepare=True).fetchall() == [(6, 12)]


def test_call_with_named_arguments_and_defaults(db) -> None:
    assert db.execute("call po_sql(a => null, b => 8, c => 2)").fetchall() == [(6,)]
    assert db.execute("call po_sql(null, c => 4, b => 11)").fetchall() == [(7,)]
    assert db.execute("call po_sql(b => 9, a => 0)").fetchall() == [(8,)]
    db.execute("delete from po_log")
    db.execute("call po_named(b => 'n', a => 1)")
    db.execute("call po_named(a => 2)")
    assert db.execute("select a, b from po_log order by a").fetchall() == [(1, "n"), (2, "d")]


def test_out_values_reach_plpgsql_variables(db) -> None:
    got: list[str] = []
    db.add_notice_handler(lambda d: got.append(d.message_primary))
    try:
        db.execute("do $$ declare x int := 1; y int := 2; begin call po_inout(x, y); "
                   "raise notice 'x=% y=%', x, y; end $$")
    finally:
        db._notice_handlers.clear()
    assert got == ["x=2 y=4"]


def test_call_of_a_function_or_nothing(db) -> None:
    with pytest.raises(psycopg.errors.WrongObjectType, match=r"random\(\) is not a procedure") as e:
        db.execute("call random()")
    assert e.value.diag.message_hint == "To call a function, use SELECT."
    assert e.value.diag.statement_position == "6"
    with pytest.raises(psycopg.errors.UndefinedFunction, match=r"procedure po_nothing\(\) does not exist"):
        db.execute("call po_nothing()")


def test_procedures_differ_by_in_types_and_drop_sees_both_lists(db) -> None:
    db.execute("create procedure po_amb(out a int, in b int, in c int) language sql as $$ select b - c $$")
    db.execute("create procedure po_amb(in a int, in b int, in c int) language sql as $$ select 1 $$")
    with pytest.raises(psycopg.errors.AmbiguousFunction, match='procedure name "po_amb" is not unique'):
        db.execute("drop procedure po_amb(int, int, int)")
    db.execute("drop procedure po_amb(out int, int, int)")
    db.execute("drop procedure po_amb(int, int, int)")


def test_procedure_definition_refusals(db) -> None:
    with pytest.raises(psycopg.errors.InvalidFunctionDefinition, match="invalid attribute in procedure definition") as e:
        db.execute("create procedure po_x() language sql strict as $$ select 1 $$")
    assert e.value.diag.statement_position == "38"
    with pytest.raises(psycopg.errors.InvalidFunctionDefinition, match="VARIADIC parameter must be the last"):
        db.execute("create procedure po_x(a variadic int[], b out int) language sql as $$ select 1 $$")
    with pytest.raises(psycopg.errors.InvalidFunctionDefinition, match="OUT parameters cannot appear after"):
        db.execute("create procedure po_x(a int default 42, b out int) language sql as $$ select a $$")
    with pytest.raises(psycopg.errors.InvalidFunctionDefinition, match="invalid attribute in procedure definition"):
        db.execute("alter procedure po_named(int, text) strict")


def test_wrong_kind_is_42809(db) -> None:
    db.execute("create or replace function po_fn(a int) returns int language sql as $$ select a $$")
    for sql, message in (("alter function po_named(int, text) volatile", r"po_named\(integer, text\) is not a function"),
                         ("alter procedure po_fn(int) volatile", r"po_fn\(integer\) is not a procedure"),
                         ("drop function po_named(int, text)", r"po_named\(integer, text\) is not a function"),
                         ("drop procedure po_fn(int)", r"po_fn\(integer\) is not a procedure")):
        with pytest.raises(psycopg.errors.WrongObjectType, match=message):
            db.execute(sql)
    with pytest.raises(psycopg.errors.UndefinedFunction, match=r"procedure po_none\(\) does not exist"):
        db.execute("alter procedure po_none() volatile")


def test_call_inside_an_sql_procedure_sees_its_parameters(db) -> None:
    db.execute("""create or replace procedure po_outer(y int) language sql as $$
                  call po_named(y, 'outer'); call po_named($1 + 1); $$""")
    db.execute("delete from po_log")
    db.execute("call po_outer(40)")
    assert db.execute("select a, b from po_log order by a").fetchall() == [(40, "outer"), (41, "d")]


def test_pseudo_type_names_are_regtype_input(db) -> None:
    # psql's \df filters with 'pg_catalog.trigger'::pg_catalog.regtype
    assert db.execute("select 'pg_catalog.trigger'::pg_catalog.regtype::oid, 'event_trigger'::regtype::oid"
                      ).fetchone() == (2279, 3838)
