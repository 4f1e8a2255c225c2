"""INSERT / UPDATE / DELETE / MERGE with PostgreSQL's command tags, defaults, RETURNING and upserts."""

from __future__ import annotations

from decimal import Decimal

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create table t (id int primary key, v text, n numeric(8,2) default 1.5)")
    yield session
    session.close()


def err(s, sql: str) -> HeliosError:
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value


def rows(s, sql: str) -> list[tuple]:
    return s.execute(sql)[-1].rows()


def test_insert_values_tags_and_defaults(s):
    assert s.execute("insert into t values (1, 'a', 2)")[0].command_tag == "INSERT 0 1"
    assert s.execute("insert into t (id, v) values (2, 'b'), (3, default)")[0].command_tag == "INSERT 0 2"
    assert rows(s, "select id, v, n from t order by id") == [
        (1, "a", Decimal("2.00")), (2, "b", Decimal("1.50")), (3, None, Decimal("1.50"))]
    s.execute("create table d (a int default 7, b text default 'x')")
    assert s.execute("insert into d default values")[0].command_tag == "INSERT 0 1"
    assert rows(s, "select a, b from d") == [(7, "x")]


def test_insert_casts_like_assignment(s):
    s.execute("insert into t values ('4', 'x', '3.456')")  # unknown literals take the column types
    assert rows(s, "select id, n from t") == [(4, Decimal("3.46"))]
    s.execute("insert into t (id, v) values (5.6, 12)")  # numeric -> int rounds; int -> text
    assert rows(s, "select id, v from t where id = 6") == [(6, "12")]
    assert err(s, "insert into t (id) values ('x')").sqlstate == "22P02"
    assert err(s, "insert into t (id) values (3000000000)").sqlstate == "22003"
    assert err(s, "insert into t (id, n) values (9, 123456789)").sqlstate == "22003"


def test_insert_errors(s):
    assert err(s, "insert into t (id, nope) values (1, 2)").sqlstate == "42703"
    assert err(s, "insert into nope values (1)").sqlstate == "42P01"
    assert err(s, "insert into t (id) values (1, 2)").sqlstate == "42601"
    assert err(s, "insert into t (id, id) values (1, 2)").sqlstate == "42701"
    assert err(s, "insert into t (v) values ('no key')").sqlstate == "23502"
    s.execute("insert into t (id) values (1)")
    assert err(s, "insert into t (id) values (1)").sqlstate == "23505"
    assert err(s, "insert into t (id) values (2), (2)").sqlstate == "23505"
    assert rows(s, "select count(*) from t") == [(1,)]


def test_insert_select_and_returning(s):
    r = s.execute("insert into t (id, v) select g, 'v' || g from generate_series(1, 3) g returning id, v")[0]
    assert r.command_tag == "INSERT 0 3"
    assert sorted(r.rows()) == [(1, "v1"), (2, "v2"), (3, "v3")]
    r = s.execute("insert into t (id) values (10) returning *, id * 2 as twice")[0]
    assert [c.name for c in r.columns] == ["id", "v", "n", "twice"]
    assert r.rows() == [(10, None, Decimal("1.50"), 20)]


def test_on_conflict_do_nothing(s):
    s.execute("insert into t values (1, 'a')")
    r = s.execute("insert into t values (1, 'dup'), (2, 'b') on conflict do nothing")[0]
    assert r.command_tag == "INSERT 0 1"
    assert rows(s, "select id, v from t order by id") == [(1, "a"), (2, "b")]
    r = s.execute("insert into t values (3, 'c'), (3, 'c2') on conflict (id) do nothing")[0]
    assert r.command_tag == "INSERT 0 1"


def test_on_conflict_do_update(s):
    s.execute("insert into t values (1, 'a')")
    r = s.execute("insert into t values (1, 'new'), (2, 'b') on conflict (id) do update "
                  "set v = excluded.v || '/' || t.v returning id, v")[0]
    assert r.command_tag == "INSERT 0 2"
    assert sorted(r.rows()) == [(1, "new/a"), (2, "b")]
    r = s.execute("insert into t as x values (1, 'z') on conflict (id) do update set v = 'never' "
                  "where x.v = 'nomatch'")[0]
    assert r.command_tag == "INSERT 0 0"
    assert err(s, "insert into t values (1, 'a') on conflict do update set v = 'x'").sqlstate == "42601"
    assert err(s, "insert into t values (1, 'a') on conflict (v) do nothing").sqlstate == "42P10"
    e = err(s, "insert into t values (5, 'a'), (5, 'b') on conflict (id) do update set v = excluded.v")
    assert e.sqlstate == "21000"


def test_update(s):
    s.execute("insert into t values (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)")
    assert s.execute("update t set n = n * 10 where id >= 2")[0].command_tag == "UPDATE 2"
    assert rows(s, "select id, n from t order by id") == [(1, Decimal("1.00")), (2, Decimal("20.00")),
                                                         (3, Decimal("30.00"))]
    assert s.execute("update t set v = 'x' where false")[0].command_tag == "UPDATE 0"
    r = s.execute("update t set (v, n) = ('p', 0) where id = 1 returning id, v, n")[0]
    assert r.rows() == [(1, "p", Decimal("0.00"))]
    assert s.execute("update t set n = default where id = 1")[0].command_tag == "UPDATE 1"
    assert rows(s, "select n from t where id = 1") == [(Decimal("1.50"),)]
    assert err(s, "update t set nope = 1").sqlstate == "42703"
    assert err(s, "update t set id = 2 where id = 1").sqlstate == "23505"
    assert err(s, "update t set id = null").sqlstate == "23502"


def test_update_from(s):
    s.execute("insert into t values (1, 'a'), (2, 'b')")
    s.execute("create table m (id int, nv text)")
    s.execute("insert into m values (1, 'A'), (2, 'B'), (9, 'Z')")
    r = s.execute("update t set v = m.nv from m where m.id = t.id and m.nv <> 'B' returning t.id, v")[0]
    assert (r.command_tag, r.rows()) == ("UPDATE 1", [(1, "A")])


def test_delete(s):
    s.execute("insert into t values (1, 'a'), (2, 'b'), (3, 'c')")
    assert s.execute("delete from t where id = 2")[0].command_tag == "DELETE 1"
    r = s.execute("delete from t where id > 0 returning id")[0]
    assert (r.command_tag, sorted(r.rows())) == ("DELETE 2", [(1,), (3,)])
    assert s.execute("delete from t")[0].command_tag == "DELETE 0"


def test_delete_using(s):
    s.execute("insert into t values (1, 'a'), (2, 'b'), (3, 'c')")
    s.execute("create table gone (id int)")
    s.execute("insert into gone values (1), (3), (3)")
    r = s.execute("delete from t using gone where gone.id = t.id returning t.v")[0]
    assert (r.command_tag, sorted(r.rows())) == ("DELETE 2", [("a",), ("c",)])


def test_merge(s):
    s.execute("insert into t values (1, 'a'), (2, 'b'), (3, 'c')")
    s.execute("create table src (id int, v text)")
    s.execute("insert into src values (1, 'A'), (2, null), (4, 'D')")
    r = s.execute("merge into t using src on t.id = src.id "
                  "when matched and src.v is null then delete "
                  "when matched then update set v = src.v "
                  "when not matched then insert (id, v) values (src.id, src.v)")[0]
    assert r.command_tag == "MERGE 3"
    assert rows(s, "select id, v from t order by id") == [(1, "A"), (3, "c"), (4, "D")]
    r = s.execute("merge into t using (select 1 as id) s on t.id = s.id when matched then do nothing")[0]
    assert r.command_tag == "MERGE 0"


def test_select_for_update_returns_rows(s):
    s.execute("insert into t values (1, 'a'), (2, 'b')")
    s.execute("begin")
    assert rows(s, "select v from t where id = 2 for update") == [("b",)]
    s.execute("commit")


def test_update_set_row_from_subquery(s):
    s.execute("insert into t values (1, 'a'), (2, 'b')")
    s.execute("create table src (id int, nv text, nn numeric)")
    s.execute("insert into src values (1, 'A', 9.5)")
    assert s.execute("update t set (v, n) = (select nv, nn from src where src.id = t.id)")[0].command_tag == "UPDATE 2"
    assert rows(s, "select id, v, n from t order by id") == [(1, "A", Decimal("9.50")), (2, None, None)]


def test_overriding_identity_values(s):
    s.execute("create table g (id int generated always as identity primary key, v int)")
    assert s.execute("insert into g overriding system value values (10, 1)")[0].command_tag == "INSERT 0 1"
    r = s.execute("insert into g (id, v) overriding user value values (99, 2) returning id")[0]
    assert r.rows() == [(1,)]


def test_explain_of_dml(s):
    lines = [r[0] for r in s.execute("explain (costs off) update t set v = 'x' where id = 1")[0].rows()]
    assert lines[0] == "Update on t" and any("Index" in ln or "Scan" in ln for ln in lines[1:])
    lines = [r[0] for r in s.execute("explain (costs off) delete from t where v = 'a'")[0].rows()]
    assert lines[0] == "Delete on t"
    assert s.execute("explain (costs off) insert into t values (1)")[0].rows()[0] == ("Insert on t",)
    # with costs (the default), the write node's line is its input's cost, rows=0 width=0
    head = s.execute("explain delete from t where v = 'a'")[0].rows()[0][0]
    assert head.startswith("Delete on t  (cost=") and head.endswith(" rows=0 width=0)")
    assert s.execute("select count(*) from t")[0].rows() == [(0,)]  # EXPLAIN changed nothing


def test_returning_can_name_from_and_using_tables(s):
    s.execute("insert into t values (1, 'a', 1), (2, 'b', 2)")
    s.execute("create table m (id int, nv text)")
    s.execute("insert into m values (1, 'A'), (2, 'B')")
    r = s.execute("update t set v = m.nv, n = 5 from m where m.id = t.id and m.nv = 'A' "
                  "returning t.id, m.nv as src, v, n")[0]
    assert [c.name for c in r.columns] == ["id", "src", "v", "n"]
    assert r.rows() == [(1, "A", "A", Decimal("5.00"))]
    r = s.execute("delete from t using m where m.id = t.id and m.nv = 'B' returning t.id, m.nv")[0]
    assert (r.command_tag, r.rows()) == ("DELETE 1", [(2, "B")])


def test_data_modifying_cte(s):
    s.execute("insert into t values (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)")
    r = s.execute("with moved as (delete from t where id >= 2 returning id, n) select count(*), sum(n) from moved")[0]
    assert r.rows() == [(2, Decimal("5.00"))]
    r = s.execute("with ins as (insert into t (id, v) values (9, 'z') returning id, v) select v || '!' from ins")[0]
    assert r.rows() == [("z!",)]
    assert s.execute("with d as (delete from t where id = 12345 returning id) select count(*) from d")[0].rows() == [
        (0,)]
