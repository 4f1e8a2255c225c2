"""User-defined aggregates and polymorphic functions compared with a live PostgreSQL 15: state and
final functions in SQL, PL/pgSQL and built-in support functions, STRICT state functions (the first
non-NULL input as the state), GROUP BY, FILTER, DISTINCT, ORDER BY in the call, OVER, polymorphic
and variadic signatures and their errors (SQLSTATEs)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
describe = _mod.describe

SETUP = [
    "CREATE TABLE ua_t (g int, x int, s text, f float8)",
    ("INSERT INTO ua_t VALUES (1, 1, 'a', 0.5), (1, 2, 'b', NULL), (1, NULL, 'c', 1.5), (2, 5, 'd', 2), "
    "(2, 5, 'e', 2), (3, NULL, 'f', NULL)"),
    "CREATE AGGREGATE ua_sum(int) (sfunc = int4pl, stype = int)",
    "CREATE AGGREGATE ua_sum0(int) (sfunc = int4pl, stype = int, initcond = '0')",
    ("CREATE AGGREGATE ua_fsum(float8) (sfunc = float8pl, stype = float8, mstype = float8, msfunc = float8pl, "
    "minvfunc = float8mi)"),
    "CREATE FUNCTION ua_cat(text, text) RETURNS text LANGUAGE sql AS 'select $1 || $2'",
    "CREATE AGGREGATE ua_concat(text) (sfunc = ua_cat, stype = text, initcond = '')",
    "CREATE FUNCTION ua_cat_strict(text, text) RETURNS text LANGUAGE sql STRICT AS 'select $1 || '','' || $2'",
    "CREATE AGGREGATE ua_list(text) (sfunc = ua_cat_strict, stype = text)",
    "CREATE FUNCTION ua_push(acc int[], v int) RETURNS int[] LANGUAGE plpgsql AS $$ begin return acc || v; end $$",
    "CREATE FUNCTION ua_card(int[]) RETURNS int LANGUAGE sql AS 'select cardinality($1)'",
    "CREATE AGGREGATE ua_rows(int) (sfunc = ua_push, stype = int[], finalfunc = ua_card, initcond = '{}')",
    "CREATE AGGREGATE ua_cnt(*) (sfunc = int8inc, stype = int8, initcond = '0')",
    "CREATE AGGREGATE ua_old (basetype = int4, sfunc1 = int4pl, stype1 = int4, initcond1 = '100')",
    ("CREATE AGGREGATE ua_avg (sfunc = int4_avg_accum, basetype = int4, stype = _int8, finalfunc = int8_avg, "
    "initcond1 = '{0,0}')"),
    "CREATE FUNCTION ua_tf(anyarray, anyelement) RETURNS anyarray LANGUAGE sql IMMUTABLE AS 'select $1 || $2'",
    "CREATE FUNCTION ua_first(anyarray) RETURNS anyelement LANGUAGE sql STRICT AS 'select $1[1]'",
    "CREATE AGGREGATE ua_first_of(anyelement) (sfunc = ua_tf, stype = anyarray, finalfunc = ua_first)",
    "CREATE AGGREGATE ua_collect(int) (sfunc = array_append, stype = int[], initcond = '{}')",
    ("CREATE FUNCTION ua_pair(x anycompatible, y anycompatible) RETURNS anycompatiblearray LANGUAGE sql "
    "AS 'select array[x, y]'"),
    "CREATE FUNCTION ua_same(anyelement, anyelement) RETURNS anyelement LANGUAGE sql AS 'select $1'",
    ("CREATE FUNCTION ua_least(VARIADIC anyarray) RETURNS anyelement LANGUAGE sql IMMUTABLE STRICT "
    "AS 'select min($1[i]) from generate_subscripts($1, 1) g(i)'"),
    "CREATE FUNCTION ua_nonarray(anynonarray) RETURNS text LANGUAGE sql AS 'select $1::text'",
    "CREATE FUNCTION ua_osa_t(int[], int) RETURNS int[] LANGUAGE sql AS 'select $1 || $2'",
    ("CREATE FUNCTION ua_osa_f(int[], float8) RETURNS int LANGUAGE sql "
     "AS 'select $1[greatest(1, ceil($2 * cardinality($1))::int)]'"),
    ("CREATE AGGREGATE ua_pct(float8 ORDER BY int) (sfunc = ua_osa_t, stype = int[], initcond = '{}', "
     "finalfunc = ua_osa_f)"),
]

STATEMENTS = [
    "SELECT g, ua_sum(x), ua_sum0(x) FROM ua_t GROUP BY g ORDER BY g",
    "SELECT ua_sum(x), ua_sum(DISTINCT x), ua_sum(x) FILTER (WHERE g < 2), ua_sum0(x) FILTER (WHERE g > 5) FROM ua_t",
    "SELECT ua_sum(x) FROM ua_t WHERE false",
    "SELECT ua_sum(v) FROM (VALUES (2147483000), (1000), (-1000)) t(v)",
    "SELECT ua_sum0(v), ua_cnt(*), ua_sum(v) FILTER (WHERE v > 0) FROM (VALUES (2147483000), (-1000), (NULL)) t(v)",
    "SELECT ua_fsum(f) FROM ua_t",
    "SELECT ua_concat(s ORDER BY s DESC), ua_list(s ORDER BY s) FROM ua_t",
    "SELECT g, ua_concat(s), ua_list(CASE WHEN x = 2 THEN NULL ELSE s END) FROM ua_t GROUP BY g ORDER BY g",
    "SELECT ua_rows(x), ua_cnt(*), ua_old(x), ua_avg(x) FROM ua_t",
    "SELECT g, ua_cnt(*), ua_avg(x) FROM ua_t GROUP BY g ORDER BY g",
    "SELECT ua_first_of(s), ua_first_of(x), ua_collect(x ORDER BY x DESC NULLS LAST) FROM ua_t",
    "SELECT x, ua_sum(x) OVER (ORDER BY x), ua_first_of(s) OVER (PARTITION BY g ORDER BY s) FROM ua_t ORDER BY x, s",
    "SELECT ua_sum(x) OVER (ORDER BY s ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM ua_t ORDER BY s",
    "SELECT s, ua_sum0(x) FILTER (WHERE g <> 2) OVER (PARTITION BY g > 1 ORDER BY s) FROM ua_t ORDER BY s",
    ("SELECT s, ua_sum(x) OVER (ORDER BY s ROWS BETWEEN 1 FOLLOWING AND 1 FOLLOWING), ua_cnt(*) OVER w "
    "FROM ua_t WINDOW w AS (ORDER BY g RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) ORDER BY s"),
    "SELECT ua_pair(2, 4), ua_pair(1.5, 4.5)::text, pg_typeof(ua_pair(1, 2.5))",
    "SELECT ua_pair('a', 'b'), pg_typeof(ua_pair('a', 'b'))",
    "SELECT ua_pair(1, 'x'::text)",
    "SELECT ua_same(1, 2), ua_same('a'::text, 'b')",
    "SELECT ua_same(1, 'x'::text)",
    "SELECT ua_same('a', 'b')",
    "SELECT ua_least(10, 1, 20, 33), ua_least(VARIADIC ARRAY[4, -2]), ua_least(VARIADIC ARRAY[]::int[])",
    "SELECT ua_least()",
    "SELECT ua_nonarray(1), ua_nonarray(ARRAY[1])",
    "SELECT ua_sum(1) OVER ()",
    "SELECT ua_sum('x'::text)",
    "SELECT g, ua_pct(0.5) WITHIN GROUP (ORDER BY x) FROM ua_t GROUP BY g ORDER BY g",
    "SELECT ua_pct(0.9) WITHIN GROUP (ORDER BY x DESC), ua_pct(0.1) WITHIN GROUP (ORDER BY x) FROM ua_t",
    "SELECT ua_pct(x) FROM ua_t",
    "SELECT aggkind, aggnumdirectargs FROM pg_aggregate WHERE aggfnoid = 'ua_pct'::regproc",
]

CLEANUP = [
    "DROP TABLE ua_t",
    "DROP AGGREGATE ua_sum(int)", "DROP AGGREGATE ua_sum0(int)", "DROP AGGREGATE ua_fsum(float8)",
    "DROP FUNCTION ua_cat(text, text) CASCADE", "DROP FUNCTION ua_cat_strict(text, text) CASCADE",
    "DROP FUNCTION ua_push(int[], int) CASCADE", "DROP FUNCTION ua_card(int[])", "DROP AGGREGATE ua_cnt(*)",
    "DROP AGGREGATE ua_old(int4)", "DROP AGGREGATE ua_avg(int4)", "DROP FUNCTION ua_tf(anyarray, anyelement) CASCADE",
    "DROP FUNCTION ua_first(anyarray)", "DROP AGGREGATE ua_collect(int)",
    "DROP FUNCTION ua_pair(anycompatible, anycompatible)", "DROP FUNCTION ua_same(anyelement, anyelement)",
    "DROP FUNCTION ua_least(anyarray)", "DROP FUNCTION ua_nonarray(anynonarray)",
    "DROP FUNCTION ua_osa_t(int[], int) CASCADE", "DROP FUNCTION ua_osa_f(int[], float8)",
]

CREATE_ERRORS = [
    "CREATE AGGREGATE ua_bad(*) (sfunc = ua_tf, stype = anyarray)",
    "CREATE AGGREGATE ua_bad(int4) (stype = int8, sfunc = int8pl)",
    "CREATE AGGREGATE ua_bad(int) (stype = int, sfunc = no_such_function)",
    "CREATE AGGREGATE ua_bad(int) (stype = int, sfunc = int4pl, parallel = pear)",
    "CREATE AGGREGATE ua_bad(text) (stype = int, sfunc = int4pl)",
    "CREATE AGGREGATE ua_bad(int) (sfunc = int4pl)",
    "CREATE AGGREGATE ua_bad(text) (stype = int[], sfunc = ua_push)",
    "CREATE AGGREGATE ua_sum(int) (sfunc = int4pl, stype = int)",
    "CREATE OR REPLACE AGGREGATE ua_card(int[]) (stype = int[], sfunc = array_cat)",
    "CREATE FUNCTION ua_bad(int) RETURNS anyelement LANGUAGE sql AS 'select 1'",
    "CREATE FUNCTION ua_bad(anyelement) RETURNS anyrange LANGUAGE sql AS 'select null'",
    "DROP FUNCTION ua_sum(int)",
    "DROP AGGREGATE ua_cat(text, text)",
    "DROP FUNCTION ua_card(int[])",
]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_user_aggregates_agree(systems, sql):
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    want = ("error", p.sqlstate) if p.sqlstate else ("ok", list(p.oids), p.rows)
    got = ("error", h.sqlstate) if h.sqlstate else ("ok", list(h.oids), h.rows)
    assert got == want, describe(0, sql, p, h)


@pytest.mark.parametrize("sql", CREATE_ERRORS)
def test_definition_errors_agree(systems, sql):
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    assert p.sqlstate is not None, f"PostgreSQL accepted {sql!r}"
    assert (h.sqlstate, h.detail) == (p.sqlstate, p.detail), describe(0, sql, p, h)
