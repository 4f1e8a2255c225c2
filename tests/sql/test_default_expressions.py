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

