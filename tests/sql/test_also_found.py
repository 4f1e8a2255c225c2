"""Smaller SQL semantics checked against PostgreSQL 15's answers (each answer below was taken from
PostgreSQL 15.18 on a C.UTF-8 cluster): HAVING without GROUP BY, duplicate CTE names, COLLATE
names, row-value comparisons, array comparisons inside NULLIF/CASE."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def s():
    sess = helios_core.connect()
    sess.execute("create table t (a int, b text)")
    sess.execute("insert into t values (1, 'x'), (2, 'y'), (3, null)")
    sess.execute("create table e (a int)")
    sess.execute("create table v (x int, a int[])")
    sess.execute("insert into v values (1, '{1,2}'), (2, '{3}'), (3, null), (0, '{}')")
    yield sess
    sess.close()


def rows(s, sql):
    return s.execute(sql)[-1].rows()


def sqlstate(s, sql):
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value.sqlstate, ei.value.message


# ---------------------------------------------------------------- HAVING without GROUP BY
@pytest.mark.parametrize("sql, want", [
    ("select 1 having false", []),
    ("select 1 having true", [(1,)]),
    ("select count(*) from t having count(*) > 0", [(3,)]),
    ("select count(*) from t having count(*) > 5", []),
    ("select 1 from t having true", [(1,)]),          # one group of all rows
    ("select 1 from e having true", [(1,)]),          # one group even over no rows
    ("select max(a) from e having max(a) is null", [(None,)]),
])
def test_having_without_group_by(s, sql, want):
    assert rows(s, sql) == want


def test_having_false_computes_no_aggregate(s):
    # a one-time filter in PostgreSQL: the overflowing aggregate is never evaluated
    assert rows(s, "select max(x * 1e308) from (values (1e300::float8)) v(x) having false") == []
    assert rows(s, "select count(*) from t having null") == []
    assert sqlstate(s, "select max(x * 1e308) from (values (1e300::float8)) v(x) having true")[0] == "22003"


def test_having_without_group_by_keeps_grouping_rule(s):
    assert sqlstate(s, "select a from t having true") == (
        "42803", 'column "t.a" must appear in the GROUP BY clause or be used in an aggregate function')


# ---------------------------------------------------------------- WITH names
def test_duplicate_cte_name(s):
    assert sqlstate(s, "with x as (select 1), x as (select 2) select * from x") == (
        "42712", 'WITH query name "x" specified more than once')
    assert sqlstate(s, "with recursive x as (select 1), x as (select 2) select * from x")[0] == "42712"
    assert rows(s, "with x as (select 1), y as (select 2) select * from x, y") == [(1, 2)]


# ---------------------------------------------------------------- COLLATE
@pytest.mark.parametrize("name", ['"C"', '"POSIX"', '"default"', 'pg_catalog."C"', '"C.utf8"', '"ucs_basic"',
                                  "pg_catalog.default"])
def test_code_point_collations(s, name):
    # 'a' < 'B' is false by code point ('B' is 0x42)
    assert rows(s, f"select 'a' < 'B' collate {name}, 'B' < 'a' collate {name}") == [(False, True)]
    assert rows(s, f"select b from t where b is not null order by b collate {name} desc") == [("y",), ("x",)]


@pytest.mark.parametrize("name, spelled", [('"no_such"', "no_such"), ('"C.UTF-8"', "C.UTF-8"), ('"en_US"', "en_US"),
                                           ("C", "c"), ('public."C"', "public.C")])
def test_unknown_collation(s, name, spelled):
    assert sqlstate(s, f"select 'a' < 'b' collate {name}") == (
        "42704", f'collation "{spelled}" for encoding "UTF8" does not exist')
    assert sqlstate(s, f"create table c1 (x text collate {name})")[0] == "42704"


def test_linguistic_collation_refused(s):
    state, msg = sqlstate(s, "select 'a' < 'B' collate \"und-x-icu\"")
    assert state == "0A000" and "und-x-icu" in msg


def test_collation_on_non_text(s):
    assert sqlstate(s, 'select 1 collate "C"') == ("42804", "collations are not supported by type integer")
    assert sqlstate(s, 'create table c2 (x int collate "C")') == (
        "42804", "collations are not supported by type integer")
    s.execute('create table c3 (x text collate "C", y varchar(4) collate "POSIX")')
    assert rows(s, "select collname from pg_collation where collname in ('C.utf8', 'ucs_basic') order by 1") == [
        ("C.utf8",), ("ucs_basic",)]


# ---------------------------------------------------------------- row values
def test_row_comparisons_constants(s):
    got = rows(s, "select (1,2,3) > (1,2,2), (1,null) = (1,2), (1,2) is distinct from (1,null), "
                  "row(1,2) = row(1,2), (1,null) < (2,0), (1,null) < (1,3), (1,2) <> (1,3), "
                  "(1,2) is not distinct from (1,2), (null,1) < (1,0), (2,null) < (1,5), (1,2) <= (1,2), "
                  "(1,2) >= (1,3), (1,null) <> (2,null), (1,null) <> (1,null)")
    assert got == [(True, None, True, True, True, None, True, True, None, False, True, False, True, None)]


def test_row_comparison_arity(s):
    assert sqlstate(s, "select (1,2) = (1,2,3)") == ("42601", "unequal number of entries in row expressions")


def test_keyset_pagination(s):
    s.execute("create table ev (created_at timestamp, id int)")
    s.execute("insert into ev select timestamp '2024-01-01' + (i % 3) * interval '1 hour', i "
              "from generate_series(1, 10) i")
    page = rows(s, "select id from ev where (created_at, id) > ('2024-01-01 01:00', 4) "
                   "order by created_at, id limit 3")
    assert page == [(7,), (10,), (2,)]
    stmt = s.prepare("select id from ev where (created_at, id) > ($1, $2) order by created_at, id limit 4")
    import datetime

    got = s.execute_prepared(stmt, [datetime.datetime(2024, 1, 1, 0, 0), 6]).rows()
    assert got == [(9,), (1,), (4,), (7,)]
    assert rows(s, "select count(*) from ev where row(created_at, id) <= row('2024-01-01 00:00', 3)") == [(1,)]


def test_row_comparison_with_nulls_in_table(s):
    got = rows(s, "select a, (a, b) < (2, 'z'), (a, b) is distinct from (3, null) from t order by a")
    assert got == [(1, True, True), (2, True, True), (3, False, False)]


# ---------------------------------------------------------------- arrays in NULLIF / CASE
def test_array_equality_against_constant(s):
    assert rows(s, "select nullif(a, array[3]) from v") == [([1, 2],), (None,), (None,), ([],)]
    assert rows(s, "select a = array[3], a < array[2] from v") == [
        (False, True), (True, False), (None, None), (False, True)]
    assert rows(s, "select case when a = array[3] then 'three' else 'other' end from v") == [
        ("other",), ("three",), ("other",), ("other",)]


def test_row_against_subquery_and_in_list(s):
    got = rows(s, "select (1,2) = (select 1, 2), (1,2) in (select 1, 2), (1, 3) > (select 1, 2), "
                  "(1,2) = (select 1, 2 where false)")
    assert got == [(True, True, True, None)]
    assert rows(s, "select a, b from (values (1,2),(3,4),(5,null)) v(a,b) where (a,b) in ((1,2),(5,6))") == [(1, 2)]
    assert rows(s, "select a, b from (values (1,2),(3,4),(5,null)) v(a,b) where (a,b) not in ((1,2),(5,6))") == [
        (3, 4)]
    assert sqlstate(s, "select (1,2) = (select 1, 2 from generate_series(1,2))")[0] == "21000"
    assert sqlstate(s, "select (1,2) = (select 1)") == ("42601", "subquery has too few columns")
    assert [c.name for c in s.execute("select (1,2), (1,2)::text, row(1)")[0].columns] == ["row", "row", "row"]


def test_collation_in_index_keys(s):
    s.execute("create table ck (name text)")
    for name in ('"C"', '"POSIX"', '"C.utf8"', '"ucs_basic"'):
        s.execute(f"create index on ck (name collate {name})")
    assert sqlstate(s, 'create index on ck (name collate "xx")') == (
        "42704", 'collation "xx" for encoding "UTF8" does not exist')
