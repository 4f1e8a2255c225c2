"""min/max over arrays, as PostgreSQL 15's max(anyarray)/min(anyarray): element by element, a NULL
element after any value, a prefix before the longer array; grouped and not, through psycopg."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture(scope="module")
def db(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        yield c


def test_min_max_of_arrays(db):
    rows = db.execute("select max(a), min(a) from (values (array[1,2]), (array[1,3]), (array[1,null]), (null), "
                      "(array[1])) t(a)").fetchall()
    assert rows == [([1, None], [1])]
    assert db.execute("select max(a) from (values (array['b']), (array['a','z'])) t(a)").fetchall() == [(["b"],)]
    assert db.execute("select max(a) from (select array[1] where false) t(a)").fetchall() == [(None,)]


def test_min_max_of_arrays_per_group(db):
    rows = db.execute("select g, min(a), max(a) from (values (1, array[2,1]), (1, array[2]), (2, array[3]), "
                      "(2, array[1,5])) t(g, a) group by g order by g").fetchall()
    assert rows == [(1, [2], [2, 1]), (2, [1, 5], [3])]
    rows = db.execute("select max(a) from (values (array[[1,2],[3,4]]), (array[[1,2],[3,5]])) t(a) group by true")
    assert rows.fetchall() == [([[1, 2], [3, 5]],)]


def test_min_of_a_record_is_still_refused(db):
    with pytest.raises(psycopg.errors.UndefinedFunction):
        db.execute("select min(r) from (select row(1, 2) as r) t")
