"""CREATE AGGREGATE, polymorphic functions and ALTER ... RENAME/OWNER/SET SCHEMA through psycopg against
a real ``helios serve``. Expected answers, messages and SQLSTATEs are PostgreSQL 15's."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture(scope="module")
def db(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("create table agg_t (g int, x int, s text)")
        c.execute("insert into agg_t values (1,1,'a'),(1,2,'b'),(1,null,'c'),(2,5,'d'),(2,5,'e'),(3,null,'f')")
        yield c


def rows(db, sql, *args):
    return db.execute(sql, *args).fetchall()


def error(db, sql) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as info:
        db.execute(sql)
    return info.value


def test_state_function_builtin_strict_first_input_is_the_state(db):
    db.execute("create aggregate agg_sum(int) (sfunc = int4pl, stype = int)")
    assert rows(db, "select g, agg_sum(x) from agg_t group by g order by g") == [(1, 3), (2, 10), (3, None)]
    assert rows(db, "select agg_sum(x), agg_sum(distinct x), agg_sum(x) filter (where g < 2) from agg_t") == [
        (13, 8, 3)]
    assert rows(db, "select agg_sum(x) from agg_t where false") == [(None,)]


def test_sql_state_function_with_initcond_and_order_by_inside_the_call(db):
    db.execute("create function agg_cat(text, text) returns text language sql as 'select $1 || $2'")
    db.execute("create aggregate agg_concat(text) (sfunc = agg_cat, stype = text, initcond = '')")
    assert rows(db, "select agg_concat(s order by s desc) from agg_t") == [("fedcba",)]
    assert rows(db, "select g, agg_concat(s) from agg_t group by g order by g") == [(1, "abc"), (2, "de"), (3, "f")]
    # not strict: a NULL input reaches the state function (and text || NULL is NULL)
    assert rows(db, "select agg_concat(case when x = 2 then null else s end) from agg_t where g = 1") == [(None,)]


def test_plpgsql_state_function_and_final_function(db):
    db.execute("""create function agg_keep(acc int[], v int) returns int[] language plpgsql as $$
                  begin return acc || v; end $$""")
    db.execute("create function agg_len(int[]) returns int language sql as 'select cardinality($1)'")
    db.execute("create aggregate agg_count_all(int) (sfunc = agg_keep, stype = int[], finalfunc = agg_len,"
               " initcond = '{}')")
    assert rows(db, "select agg_count_all(x) from agg_t") == [(6,)]


def test_zero_argument_and_old_style_aggregates(db):
    db.execute("create aggregate agg_cnt(*) (sfunc = int8inc, stype = int8, initcond = '0')")
    db.execute("create aggregate agg_old (basetype = int4, sfunc1 = int4pl, stype1 = int4, initcond1 = '100')")
    assert rows(db, "select agg_cnt(*), agg_old(x) from agg_t") == [(6, 113)]


def test_polymorphic_aggregate_and_window_use(db):
    db.execute("create function agg_first_t(anyarray, anyelement) returns anyarray as 'select $1 || $2' "
               "language sql immutable")
    db.execute("create function agg_first(anyarray) returns anyelement as 'select $1[1]' language sql strict")
    db.execute("create aggregate agg_first_of(anyelement) (sfunc = agg_first_t, stype = anyarray, "
               "finalfunc = agg_first)")
    assert rows(db, "select agg_first_of(x) from generate_series(3, 5) x") == [(3,)]
    assert rows(db, "select agg_first_of(s), pg_typeof(agg_first_of(s))::text from agg_t") == [("a", "text")]
    assert rows(db, "select agg_sum(x) over (order by x) from generate_series(1, 4) x") == [(1,), (3,), (6,), (10,)]


def test_create_aggregate_errors_are_postgresql_s(db):
    e = error(db, "create aggregate agg_bad(*) (sfunc = agg_first_t, stype = anyarray)")
    assert (e.sqlstate, e.diag.message_primary) == ("42P13", "cannot determine transition data type")
    db.execute("create function agg_least(int8, int8) returns int8 language sql as 'select least($1, $2)'")
    e = error(db, "create aggregate agg_bad(int4) (stype = int8, sfunc = agg_least)")
    assert (e.sqlstate, e.diag.message_primary) == (
        "42804", "function agg_least(bigint, bigint) requires run-time type coercion")
    e = error(db, "create aggregate agg_bad(int) (stype = int, sfunc = no_such_fn)")
    assert (e.sqlstate, e.diag.message_primary) == ("42883", "function no_such_fn(integer, integer) does not exist")
    e = error(db, "create aggregate agg_bad(int) (stype = int, sfunc = int4pl, parallel = pear)")
    assert e.diag.message_primary == 'parameter "parallel" must be SAFE, RESTRICTED, or UNSAFE'
    e = error(db, "create aggregate agg_bad(float8) (stype = internal, sfunc = float8pl)")
    assert e.sqlstate == "0A000"
    e = error(db, "create or replace aggregate agg_len(int[]) (stype = int[], sfunc = array_cat)")
    assert (e.sqlstate, e.diag.message_primary, e.diag.message_detail) == (
        "42809", "cannot change routine kind", '"agg_len" is a function.')


def test_catalog_rows_and_drop(db):
    assert rows(db, "select prokind from pg_proc where proname = 'agg_sum'") == [("a",)]
    e = error(db, "drop function agg_sum(int)")
    assert (e.sqlstate, e.diag.message_primary) == ("42809", '"agg_sum" is an aggregate function')
    db.execute("drop aggregate agg_sum(int)")
    e = error(db, "select agg_sum(1)")
    assert e.sqlstate == "42883"
    e = error(db, "drop function agg_cat(text, text)")
    assert e.sqlstate == "2BP01"
    db.execute("drop function agg_cat(text, text) cascade")
    assert rows(db, "select count(*) from pg_proc where proname = 'agg_concat'") == [(0,)]


def test_polymorphic_functions_resolve_per_call(db):
    db.execute("create function poly_pair(x anycompatible, y anycompatible) returns anycompatiblearray "
               "language sql as 'select array[x, y]'")
    assert rows(db, "select poly_pair(2, 4), pg_typeof(poly_pair(2, 4.5))::text") == [([2, 4], "numeric[]")]
    db.execute("create function poly_first(x anyarray) returns anyelement language sql as 'select x[1]'")
    assert rows(db, "select poly_first(array['p', 'q']), poly_first(array[7])") == [("p", 7)]
    e = error(db, "create function poly_bad(int) returns anyelement language sql as 'select 1'")
    assert (e.sqlstate, e.diag.message_primary, e.diag.message_detail) == (
        "42P13", "cannot determine result data type",
        ("A result of type anyelement requires at least one input of type anyelement, anyarray, anynonarray, "
        "anyenum, anyrange, or anymultirange."))
    db.execute("create function poly_pick(anyelement, anyelement) returns anyelement language sql as 'select $1'")
    e = error(db, "select poly_pick(1, 'x'::text)")
    assert (e.sqlstate, e.diag.message_primary) == ("42883", "function poly_pick(integer, text) does not exist")
    e = error(db, "select poly_pick('a', 'b')")
    assert (e.sqlstate, e.diag.message_primary) == (
        "42804", "could not determine polymorphic type because input has type unknown")


def test_variadic_parameters(db):
    db.execute("create function vsum(variadic nums int[]) returns int language sql "
               "as 'select sum(n)::int from unnest(nums) n'")
    assert rows(db, "select vsum(1, 2, 3), vsum(variadic array[4, 5])") == [(6, 9)]


def test_alter_rename_owner_set_schema(db):
    db.execute("create schema agg_s2")
    db.execute("create function alt_f(int) returns int language sql as 'select $1 + 1'")
    db.execute("create aggregate alt_a (sfunc1 = int4pl, basetype = int4, stype1 = int4, initcond = 0)")
    e = error(db, "alter aggregate alt_f(int) rename to alt_g")
    assert (e.sqlstate, e.diag.message_primary) == ("42809", "function alt_f(integer) is not an aggregate")
    db.execute("alter aggregate alt_a(int) rename to alt_b")
    db.execute("alter aggregate alt_b(int) set schema agg_s2")
    assert rows(db, "select agg_s2.alt_b(x) from agg_t") == [(13,)]
    db.execute("alter function alt_f(int) set schema agg_s2")
    db.execute("create function alt_f(int) returns int language sql as 'select $1'")
    e = error(db, "alter function alt_f(int) set schema agg_s2")
    assert (e.sqlstate, e.diag.message_primary) == ("42723", 'function alt_f(integer) already exists in schema "agg_s2"')
    db.execute("create role agg_other")
    db.execute("alter function alt_f(int) owner to agg_other")
    assert rows(db, "select r.rolname from pg_proc p join pg_roles r on r.oid = p.proowner "
                    "where p.proname = 'alt_f' and p.pronamespace = 'public'::regnamespace") == [("agg_other",)]


def test_generate_subscripts_in_a_polymorphic_variadic_function(db):
    assert rows(db, "select * from generate_subscripts(array[5, 6, 7], 1, true) g(i)") == [(3,), (2,), (1,)]
    db.execute("create function my_least(variadic anyarray) returns anyelement language sql immutable strict "
               "as 'select min($1[i]) from generate_subscripts($1, 1) g(i)'")
    assert rows(db, "select my_least(10, 1, 20), my_least(1.1, 0.22), my_least(variadic array[]::int[])") == [
        (1, __import__("decimal").Decimal("0.22"), None)]


def test_pg_aggregate_rows_and_pseudo_type_names(db):
    db.execute("create aggregate agg_any_count(\"any\") (sfunc = int8inc_any, stype = int8, initcond = '0')")
    assert rows(db, "select agg_any_count(x) from (values (1), (null), (3)) v(x)") == [(2,)]
    assert rows(db, "select a.aggkind, a.aggtranstype::regtype::text, a.agginitval from pg_aggregate a "
                    "join pg_proc p on p.oid = a.aggfnoid where p.proname = 'agg_any_count'") == [("n", "bigint", "0")]
    assert rows(db, "select prorettype::regtype::text, proargtypes::text from pg_proc where proname = 'agg_first'"
                ) == [("anyelement", "2277")]


def test_overloads_differing_only_in_defaults_are_ambiguous(db):
    db.execute("create function dflt(int = 1, int = 2) returns int language sql as 'select 2'")
    db.execute("create function dflt(int = 1, int = 2, int = 3) returns int language sql as 'select 3'")
    e = error(db, "select dflt(1)")
    assert (e.sqlstate, e.diag.message_primary) == ("42725", "function dflt(integer) is not unique")
    assert rows(db, "select dflt(1, 2, 3)") == [(3,)]


def test_named_and_mixed_notation_with_defaults(db):
    db.execute("create function nf(a int, b int, c int = 0, d int = 0) returns table (a int, b int, c int, d int) "
               "language sql as 'select $1, $2, $3, $4'")
    assert rows(db, "select * from nf(1, 2, d := 3)") == [(1, 2, 0, 3)]
    assert rows(db, "select * from nf(b => 10, a => 20)") == [(20, 10, 0, 0)]
    e = error(db, "select * from nf(10, b := 20, 30)")
    assert (e.sqlstate, e.diag.message_primary) == ("42601", "positional argument cannot follow named argument")
    e = error(db, "select * from nf(x := 10, b := 20)")
    assert (e.sqlstate, e.diag.message_primary) == ("42883", "function nf(x => integer, b => integer) does not exist")
    db.execute("create function nf2(a anyelement, b anyelement = null, flag bool = true) returns anyelement "
               "language sql as 'select case when $3 then $1 else $2 end'")
    assert rows(db, "select nf2(a := 'a'::text, flag := false), nf2(b => 'b'::text, a => 'a')") == [(None, "a")]


def test_parameter_list_checks(db):
    for sql, message in (
            ("create function pc(a int, a int) returns int language sql as 'select 1'",
             'parameter name "a" used more than once'),
            ("create function pc(a int = 1, b int) returns int language sql as 'select 1'",
             "input parameters after one with a default value must also have defaults"),
            ("create function pc(out a int = 20) returns int language sql as 'select 1'",
             "only input parameters can have default values")):
        e = error(db, sql)
        assert (e.sqlstate, e.diag.message_primary) == ("42P13", message)
    db.execute("create function pc(a int, out a int) returns int language sql as 'select $1'")


def test_polymorphic_default_and_replacement_checks(db):
    db.execute("create function pd(anyelement = 'World'::text) returns text language sql "
               "as 'select ''Hello, '' || $1::text'")
    assert rows(db, "select pd(), pd(0)") == [("Hello, World", "Hello, 0")]
    db.execute("create function pr(a int, c numeric = null) returns numeric language sql as 'select $2'")
    e = error(db, "create or replace function pr(a int, x numeric = null) returns numeric language sql as 'select $2'")
    assert (e.sqlstate, e.diag.message_primary, e.diag.message_hint) == (
        "42P13", 'cannot change name of input parameter "c"', "Use DROP FUNCTION pr(integer,numeric) first.")
    e = error(db, "create or replace function pr(a int, c numeric) returns numeric language sql as 'select $2'")
    assert e.diag.message_primary == "cannot remove parameter defaults from existing function"


def test_one_expression_sql_functions_over_columns_are_inlined(db):
    db.execute("create function inl_add(int, int) returns int language sql immutable as 'select $1 + $2'")
    plan = [r[0] for r in rows(db, "explain verbose select inl_add(x, 1) from agg_t")]
    assert "  Output: (x + 1)" in plan  # as PostgreSQL's plan shows it: the body in place of the call


def test_user_aggregate_errors_point_at_the_call(db):
    db.execute("create function agg_p3(int8, int8, int8) returns int8 language sql strict as 'select $1 + $2 + $3'")
    db.execute("create aggregate agg_pair(int8, int8) (sfunc = agg_p3, stype = int8, initcond = '0')")
    assert rows(db, "select g, agg_pair(x, g) from agg_t group by g having agg_pair(x, g) > 5 order by g") == [
        (2, 14)]
    e = error(db, "select agg_pair(x) from agg_t")
    assert (e.sqlstate, e.diag.statement_position) == ("42883", "8")
    e = error(db, "select agg_pair(agg_pair(x, g), 1) from agg_t")
    assert (e.sqlstate, e.diag.message_primary) == ("42803", "aggregate function calls cannot be nested")


def test_regproc_names_functions(db):
    db.execute("create aggregate agg_rp(numeric) (stype = numeric, sfunc = numeric_add)")
    assert rows(db, "select aggfnoid::text, aggtransfn::text, aggfinalfn::text, aggtranstype::regtype::text "
                    "from pg_aggregate where aggfnoid = 'agg_rp'::regproc") == [("agg_rp", "numeric_add", "-", "numeric")]
    assert rows(db, "select 'now'::regproc::text, 'now'::regproc::oid") == [("now", 1299)]  # PostgreSQL's OID
    e = error(db, "select 'lower'::regproc")  # lower(text), lower(anyrange), lower(anymultirange)
    assert (e.sqlstate, e.diag.message_primary) == ("42725", 'more than one function named "lower"')
    e = error(db, "select 'no_such_fn'::regproc")
    assert (e.sqlstate, e.diag.message_primary) == ("42883", 'function "no_such_fn" does not exist')


def test_aggregate_follows_its_renamed_state_function(db):
    db.execute("create function fol_add(int, int) returns int language sql strict as 'select $1 + $2'")
    db.execute("create aggregate fol_sum(int) (sfunc = fol_add, stype = int)")
    db.execute("alter function fol_add(int, int) rename to fol_add2")
    db.execute("create schema if not exists agg_s2")  # (also made by an earlier test of the module)
    db.execute("alter function fol_add2(int, int) set schema agg_s2")
    assert rows(db, "select fol_sum(x) from agg_t") == [(13,)]
