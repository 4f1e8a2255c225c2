"""The hstore extension in one in-process session: the type exists once CREATE EXTENSION installed
it, its text input/output, operators, functions, casts, grouping and DROP EXTENSION.

Expected answers were recorded from PostgreSQL 15 with its contrib hstore running the same
statements."""

from __future__ import annotations

import pytest

from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def db():
    import helios_core

    s = helios_core.connect()
    s.execute("create extension hstore")
    s.execute("create table kv (id int, h hstore)")
    s.execute("insert into kv values (1, 'a=>1,b=>2'), (2, 'b=>2, a=>1'), (3, 'c=>NULL'), (4, NULL)")
    return s


def one(db, sql):
    return db.execute(sql)[-1].rows()[0]


def test_type_exists_only_once_installed():
    import helios_core

    s = helios_core.connect()
    with pytest.raises(HeliosError, match='type "hstore" does not exist'):
        s.execute("select 'a=>1'::hstore")
    with pytest.raises(HeliosError) as err:
        s.execute("select akeys('a=>1')")
    assert err.value.sqlstate == "42883"
    s.execute("create schema kvs")
    s.execute("create extension hstore schema kvs")
    with pytest.raises(HeliosError, match='type "hstore" does not exist'):
        s.execute("select 'a=>1'::hstore")
    assert one(s, "select 'a=>1'::kvs.hstore::text") == ('"a"=>"1"',)
    s.execute("drop extension hstore")
    with pytest.raises(HeliosError, match='type "kvs.hstore" does not exist'):
        s.execute("select 'a=>1'::kvs.hstore")


@pytest.mark.parametrize(("literal", "text"), [
    ("b=>2, a=>1, aa=>NULL, a=>3", '"a"=>"1", "b"=>"2", "aa"=>NULL'),  # first duplicate kept, by length
    (' a => "x\\"y" , "b c"=>null, c=>"NULL", d=>NuLL', '"a"=>"x\\"y", "c"=>"NULL", "d"=>NULL, "b c"=>NULL'),
    ("a=>b=c, e=>f>g", '"a"=>"b=c", "e"=>"f>g"'),
    ("", ""),
    ('"\\\\a"=>"b\\\\"', '"\\\\a"=>"b\\\\"'),
    ("é=>1, z=>2", '"z"=>"2", "é"=>"1"'),  # length in bytes
])
def test_text_input_output(db, literal, text):
    assert one(db, "select '" + literal.replace("'", "''") + "'::hstore") == (text,)


@pytest.mark.parametrize(("literal", "message"), [
    ("a=>", "Unexpected end of string"),
    ("a", "Unexpected end of string"),
    ("a=>1 b=>2", 'Syntax error near "b" at position 5'),
    ("=>1", 'Syntax error near "=" at position 0'),
])
def test_bad_input(db, literal, message):
    with pytest.raises(HeliosError, match=message) as err:
        db.execute(f"select '{literal}'::hstore")
    assert err.value.sqlstate == "XX000"
    assert err.value.position == 8  # the error points at the literal, as PostgreSQL's


@pytest.mark.parametrize(("sql", "row"), [
    ("select 'a=>1,b=>2'::hstore -> 'a', 'a=>1,b=>2'::hstore -> array['a','c','b']", ("1", ["1", None, "2"])),
    ("select 'a=>1'::hstore ? 'a', 'a=>1'::hstore ?| array['z','a'], 'a=>1'::hstore ?& array['z','a']",
     (True, True, False)),
    ("select 'a=>1,b=>2'::hstore @> 'a=>1', 'a=>1'::hstore <@ 'a=>1,b=>2', 'a=>1,b=>2'::hstore @> 'a=>2'",
     (True, True, False)),
    ("select 'a=>1,b=>2'::hstore || 'b=>3,c=>4'", ('"a"=>"1", "b"=>"3", "c"=>"4"',)),
    (("select 'a=>1,b=>2'::hstore - 'a'::text, 'a=>1,b=>2'::hstore - array['a','b'], "
     "'a=>1,b=>2'::hstore - 'a=>1,b=>3'::hstore, 'a=>1,b=>2'::hstore - 'a=>1'"), ('"b"=>"2"', "", '"b"=>"2"', '"b"=>"2"')),
    (("select hstore('a','b'), hstore('a', null), hstore(array['a','b'], array['1','2']), "
     "hstore(array['a','1','b','2']), hstore(array[['a','1'],['b','2']])"),
     ('"a"=>"b"', '"a"=>NULL', '"a"=>"1", "b"=>"2"', '"a"=>"1", "b"=>"2"', '"a"=>"1", "b"=>"2"')),
    ("select akeys('a=>1,b=>2'), avals('a=>1,b=>NULL'), hstore_to_array('a=>1,b=>2'), hstore_to_matrix('a=>1,b=>2')",
     (["a", "b"], ["1", None], ["a", "1", "b", "2"], [["a", "1"], ["b", "2"]])),
    (("select exist('a=>1','a'), defined('a=>NULL','a'), delete('a=>1,b=>2','a'), "
     "delete('a=>1,b=>2',array['a']), slice('a=>1,b=>2,c=>3', array['c','a','x'])"),
     (True, False, '"b"=>"2"', '"b"=>"2"', '"a"=>"1", "c"=>"3"')),
    (("select hstore_to_json('a=>1,b=>NULL,c=>t')::text, hstore_to_jsonb('a=>1,b=>NULL')::text, "
     "hstore_to_json_loose('a=>1,b=>NULL,c=>t,d=>1.5e3,e=>01')::text"),
     ('{"a": "1", "b": null, "c": "t"}', '{"a": "1", "b": null}',
      '{"a": 1, "b": null, "c": true, "d": 1.5e3, "e": "01"}')),
    ("select ('a=>1,b=>NULL'::hstore::json)::text, ('a=>1,b=>NULL'::hstore::jsonb)::text, 'a=>1'::hstore::text",
     ('{"a": "1", "b": null}', '{"a": "1", "b": null}', '"a"=>"1"')),
    ("select 'a=>1,b=>2'::hstore = 'b=>2, a=>1', pg_typeof('a=>1'::hstore)::text", (True, "hstore")),
])
def test_operators_functions_casts(db, sql, row):
    assert one(db, sql) == row


def test_set_returning_functions(db):
    assert db.execute("select * from each('a=>1,b=>NULL'::hstore)")[-1].rows() == [("a", "1"), ("b", None)]
    assert db.execute("select skeys('a=>1,b=>2'::hstore), svals('a=>1,b=>2'::hstore)")[-1].rows() == [
        ("a", "1"), ("b", "2")]
    assert db.execute("select k from skeys('b=>1,a=>2'::hstore) k")[-1].rows() == [("a",), ("b",)]


def test_equal_values_group_and_distinct(db):
    assert db.execute("select h::text, count(*) from kv group by h order by 2 desc, 1")[-1].rows() == [
        ('"a"=>"1", "b"=>"2"', 2), ('"c"=>NULL', 1), (None, 1)]
    assert one(db, "select count(distinct h) from kv") == (2,)
    assert db.execute("select id from kv where h @> 'b=>2' order by id")[-1].rows() == [(1,), (2,)]


def test_drop_extension_while_a_column_uses_the_type(db):
    with pytest.raises(HeliosError, match="cannot drop extension hstore because other objects depend on it") as err:
        db.execute("drop extension hstore")
    assert err.value.sqlstate == "2BP01"
    with pytest.raises(HeliosError) as err:
        db.execute("drop extension hstore cascade")
    assert err.value.sqlstate == "0A000"


def test_not_built_is_refused(db):
    with pytest.raises(HeliosError) as err:
        db.execute("select populate_record(null::kv, 'a=>1'::hstore)")
    assert err.value.sqlstate == "0A000"


@pytest.mark.parametrize("index", ["using gist (h)", "using gin (h)", "using gin (h gin_hstore_ops)",
                                   "using gist (h gist_hstore_ops)"])
def test_gist_and_gin_indexes_are_refused(db, index):
    with pytest.raises(HeliosError, match='over type hstore is not supported') as err:
        db.execute(f"create index on kv {index}")
    assert err.value.sqlstate == "0A000"


def test_btree_index_over_hstore(db):
    db.execute("create index kv_h on kv (h)")
    try:
        assert db.execute("select id from kv where h = 'b=>2,a=>1' order by id")[-1].rows() == [(1,), (2,)]
    finally:
        db.execute("drop index kv_h")


def test_subscript_and_varchar_keys(db):
    """h['key'] (PostgreSQL 14+, what SQLAlchemy writes) and keys typed varchar, as text."""
    assert one(db, "select ('a=>1,b=>2'::hstore)['b'], 'a=>1'::hstore ? 'a'::varchar, "
                   "'a=>1'::hstore -> 'a'::varchar(3)") == ("2", True, "1")
    with pytest.raises(HeliosError, match="hstore allows only one subscript") as err:
        db.execute("select ('a=>1'::hstore)['a']['b']")
    assert err.value.sqlstate == "42804"


def test_hstore_of_a_record(db):
    """hstore(record): field names and their values' text; a NULL record gives NULL values."""
    db.execute("create table rec (id int, name text, d date)")
    try:
        db.execute("insert into rec values (1, 'x', '2020-01-02')")
        assert one(db, "select hstore(rec) from rec") == ('"d"=>"2020-01-02", "id"=>"1", "name"=>"x"',)
        assert one(db, "select hstore(row(1, 'a'))") == ('"f1"=>"1", "f2"=>"a"',)
        assert one(db, "select hstore(null::rec)") == ('"d"=>NULL, "id"=>NULL, "name"=>NULL',)
    finally:
        db.execute("drop table rec")


def test_a_routine_named_each_is_called_without_the_extension():
    import helios_core

    s = helios_core.connect()
    s.execute("create function each(x int) returns int language sql as 'select x + 1'")
    assert s.execute("select each(1)")[-1].rows() == [(2,)]
    with pytest.raises(HeliosError) as err:
        s.execute("select * from each('a=>1')")
    assert err.value.sqlstate in ("42883", "22P02")
