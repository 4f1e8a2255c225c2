"""Column defaults as PostgreSQL shows them (pg_get_expr over pg_attrdef, what psql's
\\d, SQLAlchemy's reflection and migration tools read) and as they run."""

from __future__ import annotations

import helios_core


def test_defaults_keep_postgresql_spelling_and_run():
    s = helios_core.connect()
    s.execute("create table dflt (a timestamptz default now(), b timestamptz default current_timestamp, "
              "c uuid default gen_random_uuid(), d timestamptz default clock_timestamp(), e text default lower('A'), "
              "f int default COALESCE(NULL, 7), g int default 1)")
    s.execute("alter table dflt alter column g set default greatest(2, 3)")
    shown = s.execute("select attname, pg_get_expr(adbin, adrelid) from pg_attrdef join pg_attribute "
                      "on attrelid = adrelid and attnum = adnum where adrelid = 'dflt'::regclass order by attnum")
    assert shown[0].rows() == [("a", "now()"), ("b", "CURRENT_TIMESTAMP"), ("c", "gen_random_uuid()"),
                               ("d", "clock_timestamp()"), ("e", "lower('A')"), ("f", "COALESCE(NULL, 7)"),
                               ("g", "GREATEST(2, 3)")]
    s.execute("begin")
    s.execute("insert into dflt default values")
    assert s.execute("select a = b, a = now(), c is not null, e, f, g from dflt")[0].rows() == [
        (True, True, True, "a", 7, 3)]
    s.execute("commit")
    s.execute("create view dflt_now as select now() as n, current_timestamp as c")
    assert s.execute("select pg_get_viewdef('dflt_now'::regclass)")[0].rows()[0][0].startswith(
        "SELECT now() AS n, CURRENT_TIMESTAMP AS c")



def test_column_types_as_pg_dump_reads_them():
    """pg_dump reads the catalogs with an empty search_path: format_type qualifies user types that
    are not visible, and a domain column is of the domain's type (answers from PostgreSQL 15)."""
    s = helios_core.connect()
    s.execute("create type mood as enum ('a', 'b')")
    s.execute("create schema other")
    s.execute("create type other.col as enum ('x')")
    s.execute("create domain posint as int check (value > 0)")
    s.execute("create table typed_cols (m mood, c other.col, p posint, ma mood[], n numeric(5,2))")
    query = ("select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
             "where attrelid = 'public.typed_cols'::regclass and attnum > 0 order by attnum")
    assert s.execute(query)[0].rows() == [("m", "mood"), ("c", "other.col"), ("p", "posint"), ("ma", "mood[]"),
                                          ("n", "numeric(5,2)")]
    s.execute("set search_path = ''")
    assert s.execute(query)[0].rows() == [("m", "public.mood"), ("c", "other.col"), ("p", "public.posint"),
                                          ("ma", "public.mood[]"), ("n", "numeric(5,2)")]
    assert s.execute("select count(*) from pg_constraint where conrelid = 'public.typed_cols'::regclass")[0].rows() \
        == [(0,)]  # the enum columns' label checks are the engine's, not constraints PostgreSQL would list
    s.execute("insert into public.typed_cols (p, ma) values (5, '{a,b}')")  # pg_dump's COPY reads it so too
    assert s.execute("select p, ma from public.typed_cols")[0].rows() == [(5, ["a", "b"])]
