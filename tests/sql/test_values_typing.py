"""How VALUES rows and IN lists are typed, as PostgreSQL types them."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


def test_insert_values_rows_are_assigned_one_by_one():
    """PostgreSQL coerces each VALUES row of an INSERT to the target columns on its own: rows whose
    expressions have no common type still go in (as a query they would be 42804)."""
    s = helios_core.connect()
    s.execute("create table rows_alone (a int, b text)")
    s.execute("insert into rows_alone (b) values (1::int), (lower('X'))")
    s.execute("insert into rows_alone values (1, 'a'), (2.7, 3)")
    assert s.execute("select a, b from rows_alone order by a nulls first, b")[0].rows() == [
        (None, "1"), (None, "x"), (1, "a"), (3, "3")]


@pytest.mark.parametrize(("sql", "sqlstate", "message"), [
    ("select * from (values (1), ('2'::text)) v", "42804", "VALUES types integer and text cannot be matched"),
    ("select coalesce(1, 'a'::text)", "42804", "COALESCE types integer and text cannot be matched"),
    ("select * from (select 1 a) x join (select 'a'::text a) y using (a)", "42804",
     "JOIN/USING types integer and text cannot be matched"),
    ("select 1 in ('a'::text)", "42883", "operator does not exist: integer = text"),
    ("select 1 in (select 'a'::text)", "42883", "operator does not exist: integer = text"),
])
def test_type_mismatch_messages_name_the_construct(sql, sqlstate, message):
    with pytest.raises(HeliosError) as caught:
        helios_core.connect().execute(sql)
    assert (caught.value.sqlstate, caught.value.message) == (sqlstate, message)


@pytest.mark.parametrize("sql", [
    "update always_id set id = 5 where id = 999",
    "update always_id set g = 1 where id = 999",
    "insert into always_id (v) values (1) on conflict (id) do update set id = 7",
])
def test_setting_a_generated_column_is_refused_whether_or_not_a_row_matches(sql):
    s = helios_core.connect()
    s.execute("create table always_id (id int generated always as identity primary key, v int, "
              "g int generated always as (v * 2) stored)")
    with pytest.raises(HeliosError) as caught:
        s.execute(sql)
    assert caught.value.sqlstate == "428C9" and "can only be updated to DEFAULT" in caught.value.message
    with pytest.raises(HeliosError, match="can only be updated to DEFAULT"):  # at PREPARE, as PostgreSQL
        s.prepare("update always_id set id = $1 where id = $2")
    s.execute("insert into always_id (v) values (1)")
    assert s.execute("update always_id set id = default, g = default, v = 3")[0].command_tag == "UPDATE 1"


def test_json_object_agg_as_postgresql_writes_it():
    """json_object_agg(k, v [ORDER BY ...]): PostgreSQL 15's text ('{ "a" : 1 }'; it was an internal error)."""
    s = helios_core.connect()
    s.execute("create table joa (k text, v int)")
    s.execute("insert into joa values ('a', 1), ('b', 2)")
    assert s.execute("select json_object_agg(k, v), json_object_agg(k, v order by k desc), "
                     "jsonb_object_agg(k, v order by k desc)::text from joa")[0].rows() == [
        ('{ "a" : 1, "b" : 2 }', '{ "b" : 2, "a" : 1 }', '{"a": 1, "b": 2}')]
    assert s.execute("select k, json_object_agg(k, v) from joa group by k order by k")[0].rows() == [
        ("a", '{ "a" : 1 }'), ("b", '{ "b" : 2 }')]


def test_json_values_keep_their_text_inside_json_builders():
    """to_json of a json value is that value: json_agg and json_build_* embed json as written (answers
    from PostgreSQL 15)."""
    s = helios_core.connect()
    assert s.execute("""select to_json('{"a" : 1}'::json), json_agg(x), json_agg(json_build_object('id', 2))
                        from (values ('{"a" : 1}'::json)) v(x)""")[0].rows() == [
        ('{"a" : 1}', '[{"a" : 1}]', '[{"id" : 2}]')]


@pytest.mark.parametrize(("sql", "message"), [
    ("select j from json_cols order by 1", "could not identify an ordering operator for type json"),
    ("select distinct j from json_cols", "could not identify an equality operator for type json"),
])
def test_json_has_no_ordering_or_equality(sql, message):
    """As in PostgreSQL, json (unlike jsonb) cannot be sorted or compared: 42883."""
    s = helios_core.connect()
    s.execute("create table json_cols (j json, b jsonb)")
    s.execute("""insert into json_cols values ('{"a": 1}', '{"a": 1}')""")
    with pytest.raises(HeliosError) as caught:
        s.execute(sql)
    assert (caught.value.sqlstate, caught.value.message) == ("42883", message)
    assert s.execute("select distinct b from json_cols order by b")[0].rows() == [('{"a": 1}',)]


def test_json_object_keeps_pairs_in_order():
    """json_object(text[] [, text[]]) as PostgreSQL 15: every pair as given (jsonb_object keeps the
    last of a key); it was parsed as SQL's JSON_OBJECT(k: v) and refused."""
    s = helios_core.connect()
    assert s.execute("select json_object('{a,b}', '{1,2}'), json_object('{a,1,b,2,a,3}'), "
                     "json_object('{{a,1},{b,null}}'), jsonb_object('{a,1,b,2,a,3}')::text")[0].rows() == [
        ('{"a" : "1", "b" : "2"}', '{"a" : "1", "b" : "2", "a" : "3"}', '{"a" : "1", "b" : null}',
         '{"a": "3", "b": "2"}')]
