"""ORDER BY an array or a record compares as PostgreSQL 15 does: element by element, a shorter
array first when it is the other's prefix, numbers as numbers, NULL elements last."""

from __future__ import annotations

import pytest

import helios_core


@pytest.fixture(scope="module")
def s():
    sess = helios_core.connect()
    yield sess
    sess.close()


def column(s, sql):
    r = s.execute(sql)[-1]
    return [v for b in r.batches for v in b.column(0).to_pylist()]


def test_arrays_order_element_by_element(s):
    rows = column(s, "SELECT a FROM (VALUES ('{0,1,2}'::int[]), ('{}'), ('{0}'), ('{10}'), ('{9}'), ('{0,1}')) v(a) "
                     "ORDER BY a")
    assert rows == [[], [0], [0, 1], [0, 1, 2], [9], [10]]


def test_descending_and_null_elements(s):
    rows = column(s, "SELECT a FROM (VALUES ('{1,NULL}'::int[]), ('{1,2}'), ('{1}'), (NULL)) v(a) ORDER BY a DESC")
    assert rows == [None, [1, None], [1, 2], [1]]


def test_text_arrays_and_nested_arrays(s):
    assert column(s, "SELECT a FROM (VALUES ('{b}'::text[]), ('{a,z}'), ('{a}')) v(a) ORDER BY a") == \
        [["a"], ["a", "z"], ["b"]]
    assert column(s, "SELECT a FROM (VALUES ('{{2,1}}'::int[]), ('{{1,9}}')) v(a) ORDER BY a") == [[[1, 9]], [[2, 1]]]
