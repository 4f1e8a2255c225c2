"""Statements whose failure used to take many later statements of PostgreSQL's regression files
down with them (a table not created, a transaction aborted): each done as PostgreSQL does it."""
from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def session():
    s = helios_core.connect()
    yield s
    s.close()


def test_temporary_table_references_itself(session):
    session.execute("create temp table department (id int primary key, parent int references department, name text)")
    session.execute("insert into department values (0, null, 'root'), (1, 0, 'a')")
    with pytest.raises(HeliosError) as err:
        session.execute("insert into department values (2, 7, 'b')")
    assert err.value.sqlstate == "23503"


def test_update_pg_class_statistics(session):
    session.execute("create table big_looking (a int)")
    session.execute("begin")
    r = session.execute("update pg_class set reltuples = 1000 where relname = 'big_looking'")[-1]
    assert r.command_tag == "UPDATE 1"
    session.execute("update pg_class set reltuples = 2, relpages = 6 + 1 where relname = 'big_looking'")
    assert session.execute("select reltuples, relpages from pg_class where relname = 'big_looking'")[-1].rows() == \
        [(2.0, 7)]
    assert session.execute("update pg_catalog.pg_class c set reltuples = 5 where c.relname = 'none'"
                           )[-1].command_tag == "UPDATE 0"
    with pytest.raises(HeliosError) as err:
        session.execute("update pg_class set relname = 'x' where relname = 'big_looking'")
    assert err.value.sqlstate == "0A000"
    session.execute("rollback")


def test_rows_from_several_functions(session):
    r = session.execute("select * from rows from(generate_series(1,3), generate_series(1,2)) with ordinality "
                        "as g(i, j, o)")[-1]
    assert [c.name for c in r.columns] == ["i", "j", "o"]
    assert r.rows() == [(1, 1, 1), (2, 2, 2), (3, None, 3)]
    r = session.execute("select * from rows from(unnest(array[10,20], array['foo','bar']), "
                        "generate_series(101,103))")[-1]
    assert [c.name for c in r.columns] == ["unnest", "unnest", "generate_series"]
    assert r.rows() == [(10, "foo", 101), (20, "bar", 102), (None, None, 103)]
    with pytest.raises(HeliosError) as err:
        session.execute("select * from rows from(generate_series(1,2)) as g(a, b, c)")
    assert err.value.sqlstate == "42P10"


def test_vacuum_cost_delay_setting(session):
    session.execute("set vacuum_cost_delay to 40")
    assert session.execute("show vacuum_cost_delay")[-1].rows() == [("40ms",)]
    session.execute("set vacuum_cost_delay = 0.5")
    assert session.execute("show vacuum_cost_delay")[-1].rows() == [("500us",)]
    with pytest.raises(HeliosError) as err:
        session.execute("set vacuum_cost_delay = 400")
    assert err.value.sqlstate == "22023"
    assert err.value.message == '400 ms is outside the valid range for parameter "vacuum_cost_delay" (0 .. 100)'


@pytest.mark.parametrize(("sql", "want"), [
    ("select format('>>%2$*1$L<<', 10, 'Hello')", ">>   'Hello'<<"),
    ("select format('>>%2$*1$L<<', -10, NULL)", ">>NULL      <<"),
    ("select format('>>%*s<<', 10, 'Hello')", ">>     Hello<<"),
    ("select format('Hello %s %1$s %s', 'World', 'Hello again')", "Hello World World Hello again"),
])
def test_format_width_arguments(session, sql, want):
    assert session.execute(sql)[-1].rows() == [(want,)]


@pytest.mark.parametrize(("sql", "message", "hint"), [
    ("select format('Hello %x', 20)", 'unrecognized format() type specifier "x"', 'For a single "%" use "%%".'),
    ("select format('%0$s', 'Hello')", "format specifies argument 0, but arguments are numbered from 1", None),
    ("select format('%1$1', 1)", "unterminated format() type specifier", 'For a single "%" use "%%".'),
    ("select format('%1$s %4$s', 1, 2, 3)", "too few arguments for format()", None),
])
def test_format_errors(session, sql, message, hint):
    with pytest.raises(HeliosError) as err:
        session.execute(sql)
    assert (err.value.sqlstate, err.value.message, err.value.hint) == ("22023", message, hint)


@pytest.mark.parametrize(("sql", "message", "position"), [
    ("select max(min(u)) from agg_pos", "aggregate function calls cannot be nested", 12),
    ("select max(u) filter (where sum(ten) > 0) from agg_pos", "aggregate functions are not allowed in FILTER", 29),
    ("select max(u) from agg_pos where sum(u) > 1", "aggregate functions are not allowed in WHERE", 34),
])
def test_misplaced_aggregates_point_at_the_call(session, sql, message, position):
    session.execute("create table agg_pos (u int, ten int)")
    with pytest.raises(HeliosError) as err:
        session.execute(sql)
    assert (err.value.sqlstate, err.value.message, err.value.position) == ("42803", message, position)


@pytest.mark.parametrize(("sql", "want"), [
    ("select 1.1 as two union select 2 order by 1", ["1.1", "2"]),
    ("select 1 as two union all select 2.2", ["1", "2.2"]),
    ("select 1.1 union all select 2 union all select 3", ["1.1", "2", "3"]),
    ("select 1.10 union select 1.1", ["1.10"]),
])
def test_set_operations_keep_each_numeric_scale(session, sql, want):
    assert [str(r[0]) for r in session.execute(sql)[-1].rows()] == want


@pytest.mark.parametrize(("sql", "want"), [
    ("select float8(1::int8)", 1.0), ("select int4(2.5)", 3), ("select int8(1.5::float8)", 2),
    ("select float8('1.5')", 1.5), ("select int2(7)", 7),
])
def test_numeric_type_names_as_cast_functions(session, sql, want):
    r = session.execute(sql)[-1]
    assert r.rows() == [(want,)] and r.columns[0].name == sql.split()[1].split("(")[0]


def test_cast_function_keeps_range_errors(session):
    with pytest.raises(HeliosError) as err:
        session.execute("select int2(70000)")
    assert err.value.sqlstate == "22003"
