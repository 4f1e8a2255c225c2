"""Data-modifying WITH queries: every part of the statement reads one snapshot, as in PostgreSQL.

The main query and the other WITH queries read the tables as they were before the statement
(the changes show only through RETURNING), a row is written at most once per statement, and
constraint checks still see the rows the statement wrote (a parent inserted by one WITH query
satisfies the foreign key of a child inserted by the next)."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


def _rows(s, sql):
    out = []
    for r in s.execute(sql):
        for b in r.batches:
            out.extend(zip(*(col.to_pylist() for col in b.columns), strict=True))
    return out


@pytest.fixture
def s():
    s = helios_core.connect()
    s.execute("CREATE TABLE y (a int PRIMARY KEY)")
    s.execute("INSERT INTO y SELECT generate_series(1, 5)")
    yield s
    s.close()


def test_main_query_reads_the_table_as_before_the_update(s):
    got = _rows(s, "WITH t AS (UPDATE y SET a = a + 10 RETURNING *) "
                   "SELECT (SELECT count(*) FROM y WHERE a > 10), (SELECT count(*) FROM t)")
    assert got == [(0, 5)]
    assert _rows(s, "SELECT a FROM y ORDER BY a") == [(11,), (12,), (13,), (14,), (15,)]


def test_main_query_still_sees_deleted_rows(s):
    assert _rows(s, "WITH t AS (DELETE FROM y WHERE a <= 2 RETURNING *) SELECT a FROM y ORDER BY a") == \
        [(1,), (2,), (3,), (4,), (5,)]
    assert _rows(s, "SELECT count(*) FROM y") == [(3,)]


def test_inserted_rows_show_only_through_returning(s):
    got = _rows(s, "WITH t AS (INSERT INTO y VALUES (6) RETURNING a) "
                   "SELECT (SELECT count(*) FROM y), (SELECT count(*) FROM t)")
    assert got == [(5, 1)]


def test_a_row_is_not_written_twice_in_one_statement(s):
    got = _rows(s, "WITH t AS (UPDATE y SET a = a + 100 WHERE a > 3 RETURNING *), "
                   "t2 AS (DELETE FROM y RETURNING *) SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM t2)")
    assert got == [(2, 3)]
    assert _rows(s, "SELECT a FROM y ORDER BY a") == [(104,), (105,)]


def test_main_update_skips_rows_a_with_query_changed(s):
    got = _rows(s, "WITH t AS (UPDATE y SET a = a + 10 WHERE a = 1 RETURNING *) "
                   "UPDATE y SET a = a + 100 RETURNING a")
    assert sorted(got) == [(102,), (103,), (104,), (105,)]
    assert _rows(s, "SELECT a FROM y ORDER BY a") == [(11,), (102,), (103,), (104,), (105,)]


def test_foreign_keys_see_the_rows_an_earlier_with_query_wrote(s):
    s.execute("CREATE TABLE p (id int PRIMARY KEY)")
    s.execute("CREATE TABLE c (id int REFERENCES p)")
    got = _rows(s, "WITH a AS (INSERT INTO p VALUES (1), (2) RETURNING id), "
                   "b AS (INSERT INTO c SELECT id FROM a RETURNING id) SELECT id FROM b ORDER BY id")
    assert got == [(1,), (2,)]
    s.execute("WITH a AS (INSERT INTO p VALUES (3) RETURNING id) INSERT INTO c SELECT id FROM a")
    with pytest.raises(HeliosError) as e:
        s.execute("WITH a AS (INSERT INTO p VALUES (4) RETURNING id) INSERT INTO c VALUES (5)")
    assert e.value.sqlstate == "23503"


def test_the_next_statement_sees_everything_again(s):
    s.execute("BEGIN")
    _rows(s, "WITH t AS (DELETE FROM y WHERE a = 1 RETURNING *) SELECT * FROM y")
    assert _rows(s, "SELECT count(*) FROM y") == [(4,)]
    s.execute("COMMIT")


def _error(s, sql):
    with pytest.raises(HeliosError) as e:
        s.execute(sql)
    return e.value.sqlstate, e.value.message, e.value.position


def test_what_postgres_refuses_of_data_modifying_with(s):
    sql = "WITH RECURSIVE t AS (INSERT INTO y SELECT * FROM t) SELECT 1"
    assert _error(s, sql) == ("42P19", 'recursive query "t" must not contain data-modifying statements',
                              sql.index("t AS") + 1)
    sql = "WITH t AS (INSERT INTO y VALUES (0)) SELECT * FROM t"
    assert _error(s, sql) == ("0A000", 'WITH query "t" does not have a RETURNING clause', sql.rindex("t") + 1)
    sql = "SELECT * FROM (WITH t AS (UPDATE y SET a = a + 1 RETURNING *) SELECT * FROM t) ss"
    assert _error(s, sql) == ("0A000", "WITH clause containing a data-modifying statement must be at the top level",
                              sql.index("t AS") + 1)
    assert _rows(s, "SELECT count(*) FROM y") == [(5,)]  # none of them wrote


def test_under_recursive_a_with_query_reads_a_later_one(s):
    got = _rows(s, "WITH RECURSIVE t AS (INSERT INTO y SELECT a + 100 FROM t2 WHERE a > 13 RETURNING a), "
                   "t2 AS (UPDATE y SET a = a + 10 RETURNING a) SELECT a FROM t ORDER BY a")
    assert got == [(114,), (115,)]  # t2 ran first: t read its RETURNING rows 11..15, those > 13 here
    assert _rows(s, "SELECT a FROM y ORDER BY a") == [(11,), (12,), (13,), (14,), (15,), (114,), (115,)]
