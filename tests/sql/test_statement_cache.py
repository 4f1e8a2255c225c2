"""The simple-query statement cache: the same text with other numbers reuses one prepared plan,
and a cached plan never outlives what it was planned under (DDL, search_path, role, branch).

Each test sends a statement twice (the second time it is cached) and then again with other
numbers and after the change, checking answers against what the statement must return."""

from __future__ import annotations

from decimal import Decimal

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create table acc (aid int primary key, bid int, abalance int, note text)")
    session.execute("insert into acc select g, g % 3, g * 10, 'n' || g from generate_series(1, 50) g")
    yield session
    session.close()


def rows(session, sql):
    return session.execute(sql)[0].rows()


def warm(session, sql):
    """Run ``sql`` until it is served from the cache."""
    before = session.statement_cache.hits
    for _ in range(3):
        rows(session, sql)
    assert session.statement_cache.hits > before


def test_other_numbers_reuse_the_plan_with_their_own_answers(s):
    warm(s, "select abalance from acc where aid = 7")
    hits = s.statement_cache.hits
    for aid in (1, 13, 50, 51, -4, 3000000000):
        want = [(aid * 10,)] if 1 <= aid <= 50 else []
        assert rows(s, f"select abalance from acc where aid = {aid}") == want
    assert s.statement_cache.hits == hits + 5  # 3000000000 is a bigint: a statement of its own


def test_point_writes_through_the_cache(s):
    for i in range(5):
        s.execute(f"update acc set abalance = abalance + -{i} where aid = {i + 1}")
    assert rows(s, "select aid, abalance from acc where aid <= 5 order by aid") == [
        (1, 10), (2, 19), (3, 28), (4, 37), (5, 46)]
    for i in range(4):
        s.execute(f"insert into acc (aid, bid, abalance, note) values ({100 + i}, 1, -{i}, 'x')")
    assert rows(s, "select aid, abalance from acc where aid >= 100 order by aid") == [
        (100, 0), (101, -1), (102, -2), (103, -3)]
    for i in range(3):
        s.execute(f"delete from acc where aid = {100 + i}")
    assert rows(s, "select count(*) from acc where aid >= 100") == [(1,)]


def test_literal_types_are_kept(s):
    s.execute("create table m (k int primary key, v numeric(10,2), b bigint)")
    for i in range(3):
        s.execute(f"insert into m values ({i}, {i}.50, {3000000000 + i})")
    assert rows(s, "select k, v, b from m where b = 3000000002 and v = 2.50") == [(2, Decimal("2.50"), 3000000002)]
    for v in ("1.5", "1.50", "-7"):
        s.execute(f"update m set v = {v} where k = 0")
        assert str(rows(s, "select v from m where k = 0")[0][0]) == f"{float(v):.2f}"


def test_alter_table_changes_a_cached_select_star(s):
    warm(s, "select * from acc where aid = 3")
    s.execute("alter table acc add column extra int default 5")
    result = s.execute("select * from acc where aid = 4")[0]
    assert [c.name for c in result.columns] == ["aid", "bid", "abalance", "note", "extra"]
    assert result.rows() == [(4, 1, 40, "n4", 5)]


def test_drop_and_recreate_table_with_other_types(s):
    warm(s, "select note from acc where aid = 2")
    s.execute("drop table acc")
    with pytest.raises(HeliosError) as err:
        s.execute("select note from acc where aid = 2")
    assert err.value.sqlstate == "42P01"
    assert err.value.position == 18  # the position in the text the client sent
    s.execute("create table acc (aid bigint primary key, note int)")
    s.execute("insert into acc values (2, 42)")
    result = s.execute("select note from acc where aid = 2")[0]
    assert result.columns[0].type_name == "integer"
    assert result.rows() == [(42,)]


def test_search_path_change_reads_the_other_schema(s):
    s.execute("create schema other")
    s.execute("create table other.acc (aid int primary key, abalance int)")
    s.execute("insert into other.acc values (1, -1), (2, -2)")
    warm(s, "select abalance from acc where aid = 1")
    s.execute("set search_path = other, public")
    assert rows(s, "select abalance from acc where aid = 2") == [(-2,)]
    s.execute("set search_path = public")
    assert rows(s, "select abalance from acc where aid = 2") == [(20,)]


def test_set_role_is_checked_again(s):
    s.execute("create role reader")
    s.execute("grant select (aid) on acc to reader")
    warm(s, "select abalance from acc where aid = 1")
    s.execute("set role reader")
    with pytest.raises(HeliosError) as err:
        s.execute("select abalance from acc where aid = 1")
    assert err.value.sqlstate == "42501"
    assert rows(s, "select aid from acc where aid = 9") == [(9,)]
    s.execute("reset role")
    assert rows(s, "select abalance from acc where aid = 9") == [(90,)]


def test_branch_switch_reads_the_branch(s):
    warm(s, "select abalance from acc where aid = 5")
    s.execute("create branch feature from main")
    s.execute("set heliosdb.branch = feature")
    s.execute("update acc set abalance = 999 where aid = 5")
    assert rows(s, "select abalance from acc where aid = 5") == [(999,)]
    s.execute("set heliosdb.branch = main")
    assert rows(s, "select abalance from acc where aid = 5") == [(50,)]


def test_no_plan_crosses_sessions_or_roles(s):
    warm(s, "select abalance from acc where aid = 6")
    s.execute("create role outsider login")
    other = s.engine.connect(user="outsider", database="helios", branch="main")
    try:
        with pytest.raises(HeliosError) as err:
            other.execute("select abalance from acc where aid = 6")
        assert err.value.sqlstate == "42501"
    finally:
        other.close()


def test_transaction_semantics_unchanged(s):
    warm(s, "select abalance from acc where aid = 8")
    s.execute("begin")
    s.execute("update acc set abalance = 1 where aid = 8")
    assert rows(s, "select abalance from acc where aid = 8") == [(1,)]
    s.execute("rollback")
    assert rows(s, "select abalance from acc where aid = 8") == [(80,)]
    s.execute("begin")
    with pytest.raises(HeliosError):
        s.execute("select abalance from acc where aid = 1/0")
    with pytest.raises(HeliosError) as err:
        s.execute("select abalance from acc where aid = 8")
    assert err.value.sqlstate == "25P02"
    s.execute("rollback")


def test_shapes_that_stay_uncached(s):
    # ORDER BY/LIMIT numbers are the statement's shape; they are never lifted
    assert rows(s, "select aid from acc where aid < 4 order by 1 desc limit 2") == [(3,), (2,)]
    assert rows(s, "select aid from acc where aid < 4 order by 1 limit 2") == [(1,), (2,)]
    assert rows(s, "select aid from acc where aid < 5 order by 1 limit 3") == [(1,), (2,), (3,)]


def test_streamed_statements_are_finished_by_the_next_one(s):
    for i in range(4):  # learned while streaming, then served from the cache
        first = next(iter(s.stream(f"select aid from acc where aid > {i}")))
        assert first.columns[0].name == "aid"
        batch = next(iter(first.batches))
        assert batch.column(0)[0].as_py() == i + 1
    assert s.statement_cache.hits >= 1
    s.execute("update acc set abalance = 0 where aid = 1")
    assert s.transaction_state == "idle"
    other = s.engine.connect(user="helios", database="helios", branch="main")
    try:
        assert other.execute("select abalance from acc where aid = 1")[0].rows() == [(0,)]
    finally:
        other.close()


def test_string_cells_of_insert_values_are_lifted_and_typed_by_their_column(s):
    from helios_core.sql.constant_lifting import lift_constants

    lifted = lift_constants("insert into t values ('2024-01-01 10:00+00', 'o''k', 1.5), ('a' || 'b', 'x'::text, 2)")
    assert lifted.text == "insert into t values ($1, $2, $3), ('a' || 'b', 'x'::text, $4)"
    assert lifted.values == ("2024-01-01 10:00+00", "o'k", "1.5", "2") and lifted.types == (
        None, None, "numeric", "integer")
    kept = lift_constants("select * from acc where note = 'n1'")  # only INSERT's VALUES cells are lifted
    assert (kept.text, kept.values) == ("select * from acc where note = 'n1'", ())
    s.execute("create table ev (t timestamptz, d date, n numeric(6,2), f float8, s text)")
    batch = ", ".join(f"('2024-03-0{1 + i % 9} 10:0{i % 10}+00', '2024-02-{10 + i}', '{i}.125', '{i}e1', 'v''{i}')"
                      for i in range(20))
    for _ in range(3):
        s.execute(f"insert into ev values {batch}")
    assert s.statement_cache.hits >= 1  # a 20-row batch is prepared after its first run: the later ones hit
    assert rows(s, "select count(*), count(DISTINCT t), min(d), sum(n), sum(f), min(s) from ev") == [
        (60, 20, __import__("datetime").date(2024, 2, 10), Decimal("577.80"), 5700.0, "v'0")]  # i.125 rounds to i.13
    bad = batch.replace("'2024-02-15'", "'2024-02-31'")
    with pytest.raises(HeliosError) as e:
        s.execute(f"insert into ev values {bad}")
    assert e.value.sqlstate == "22008" and '"2024-02-31"' in str(e.value)
    assert rows(s, "select count(*) from ev") == [(60,)]


def test_a_query_without_numbers_is_planned_once(s):
    # analytic and dashboard queries often hold no number to lift (dates and labels are strings):
    # their plan was made again on every run
    sql = "select bid, count(*), sum(abalance) from acc where note like 'n1%' group by bid order by bid"
    want = rows(s, sql)
    warm(s, sql)
    assert rows(s, sql) == want
    s.execute("insert into acc values (190, 0, 5, 'n190')")  # new rows: the cached plan reads them
    assert rows(s, sql)[0] == (0, want[0][1] + 1, want[0][2] + 5)


def test_cached_queries_without_numbers_see_settings_time_and_sequences(s):
    s.execute("set my.flag = 'a'")
    warm(s, "select current_setting('my.flag')")
    s.execute("set my.flag = 'b'")
    assert rows(s, "select current_setting('my.flag')") == [("b",)]
    warm(s, "select now()")
    s.execute("begin")
    inside = rows(s, "select now()")
    s.execute("commit")
    s.execute("begin")
    assert rows(s, "select now()") != inside
    s.execute("commit")
    s.execute("create sequence cq")
    assert [rows(s, "select nextval('cq')")[0][0] for _ in range(4)] == [1, 2, 3, 4]
    assert len({rows(s, "select random()")[0][0] for _ in range(4)}) == 4
