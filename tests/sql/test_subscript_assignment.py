"""UPDATE ... SET col[sub] = v assigns through the column's subscripting, as PostgreSQL does for
jsonb, hstore and one-dimensional arrays (the subscript was dropped: the whole column was replaced)."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create table sa (id int, a int[], j jsonb)")
    session.execute("""insert into sa values (1, '{1,2,3}', '{"k": 1}'), (2, null, null)""")
    return session


def _j(s, i: int):
    return s.execute(f"select j::text from sa where id = {i}")[-1].rows()[0][0]


def test_jsonb_keys_nested_levels_and_null_documents(s) -> None:
    s.execute("update sa set j['k'] = '5' where id = 1")
    s.execute("""update sa set j['x']['y'] = '"deep"' where id = 1""")
    s.execute("update sa set j['n'] = to_jsonb(a) where id = 1")
    s.execute("update sa set j['k'] = '7' where id = 2")
    assert _j(s, 1) == '{"k": 5, "n": [1, 2, 3], "x": {"y": "deep"}}'
    assert _j(s, 2) == '{"k": 7}'
    assert s.execute("select a::text from sa where id = 1")[-1].rows() == [("{1,2,3}",)]  # untouched


def test_hstore_key(s) -> None:
    s.execute("create extension hstore")
    s.execute("create table hs (id int, h hstore)")
    s.execute("insert into hs values (1, 'a=>1'), (2, null)")
    s.execute("update hs set h['b'] = '2'")
    rows = s.execute("select id, h::text from hs order by id")[-1].rows()
    assert rows == [(1, '"a"=>"1", "b"=>"2"'), (2, '"b"=>"2"')]


def test_array_elements_past_the_end_and_null_arrays(s) -> None:
    s.execute("update sa set a[2] = 20 where id = 1")
    s.execute("update sa set a[5] = 50 where id = 1")
    s.execute("update sa set a[1] = 7 where id = 2")
    rows = s.execute("select id, a::text from sa order by id")[-1].rows()
    assert rows == [(1, "{1,20,3,NULL,50}"), (2, "{7}")]


@pytest.mark.parametrize(("sql", "sqlstate"), [
    ("update sa set a[0] = 20", "0A000"),        # a lower bound other than 1: not built, refused
    ("update sa set a[1][1] = 20", "0A000"),
    ("update sa set a[1:2] = '{5,6}'", "0A000"),
    ("update sa set id[1] = 3", "42804"),        # integer has no subscripting
])
def test_what_is_not_assignable_is_refused_and_nothing_changes(s, sql, sqlstate) -> None:
    with pytest.raises(HeliosError) as e:
        s.execute(sql)
    assert e.value.sqlstate == sqlstate
    assert s.execute("select a::text from sa where id = 1")[-1].rows() == [("{1,2,3}",)]


def test_several_elements_of_one_column_in_one_set_list(s) -> None:
    """PostgreSQL applies them in order; mixing them with a whole-column assignment stays 42601."""
    s.execute("create table ma (a int, arr int[])")
    s.execute("insert into ma values (1, array[2]), (3, array[4])")
    s.execute("update ma set arr[1] = 42, arr[2] = 77 where a = 3")
    assert s.execute("select arr from ma where a = 3")[-1].rows() == [([42, 77],)]
    s.execute("create view mav as select a, arr as brr from ma")  # and through a view
    assert s.execute("update mav set brr[3] = 9, brr[1] = 5 where a = 3 returning brr")[-1].rows() == [([5, 77, 9],)]
    assert s.execute("update mav set brr[2] = 8 where a = 1 returning brr")[-1].rows() == [([2, 8],)]
    with pytest.raises(HeliosError) as e:
        s.execute("update ma set arr[1] = 5, arr = '{1}'")
    assert e.value.sqlstate == "42601"
