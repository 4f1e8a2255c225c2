"""pg_relation_size and friends report the bytes a table occupies on the session's branch."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError

SIZES = ("select pg_relation_size('t'), pg_table_size('t'), pg_indexes_size('t'), pg_total_relation_size('t'), "
         "pg_database_size(current_database())")


@pytest.fixture
def s():
    sess = helios_core.connect()
    sess.execute("create table t (id int primary key, b text)")
    yield sess
    sess.close()


def sizes(s):
    return s.execute(SIZES)[0].rows()[0]


def test_sizes_grow_with_data_and_stay_consistent(s):
    empty = sizes(s)
    s.execute("insert into t select i, repeat('x', 100) from generate_series(1, 1000) i")
    rel, table, idx, total, db = sizes(s)
    assert rel > 100_000  # 1000 rows of 100+ bytes
    assert idx > 4_000  # 1000 int keys
    assert total == table + idx and table >= rel
    assert db >= total
    s.execute("insert into t select i, repeat('y', 100) from generate_series(1001, 2000) i")
    rel2, _, idx2, total2, db2 = sizes(s)
    assert rel2 > rel and idx2 > idx and total2 > total and db2 > db
    assert all(v >= 0 for v in empty)


def test_index_relation_and_pretty(s):
    s.execute("insert into t select i, 'v' from generate_series(1, 500) i")
    (pk, idx, pretty, total), = s.execute(
        "select pg_relation_size('t_pkey'), pg_indexes_size('t'), pg_size_pretty(pg_total_relation_size('t')), "
        "pg_total_relation_size('t')")[0].rows()
    assert pk == idx > 0
    assert pretty.endswith(("bytes", "kB"))
    by_class = dict(s.execute("select relname, pg_relation_size(oid) from pg_class "
                              "where relname in ('t', 't_pkey')")[0].rows())
    assert by_class["t_pkey"] == pk and by_class["t"] + pk == total


def test_sizes_follow_the_branch(s):
    s.execute("insert into t select i, 'main' from generate_series(1, 100) i")
    on_main = sizes(s)[0]
    s.execute("create branch dev from main")
    s.execute("set heliosdb.branch = 'dev'")
    assert sizes(s)[0] == on_main  # shares main's data
    s.execute("insert into t select i, repeat('d', 200) from generate_series(101, 600) i")
    on_dev = sizes(s)[0]
    assert on_dev > on_main
    s.execute("set heliosdb.branch = 'main'")
    assert sizes(s)[0] == on_main


def test_errors_and_nulls(s):
    with pytest.raises(HeliosError) as ei:
        s.execute("select pg_relation_size('nosuch')")
    assert ei.value.sqlstate == "42P01"
    with pytest.raises(HeliosError) as ei:
        s.execute("select pg_relation_size('t', 'bad')")
    assert ei.value.sqlstate == "22023"
    with pytest.raises(HeliosError) as ei:
        s.execute("select pg_database_size('nodb')")
    assert ei.value.sqlstate == "3D000"
    assert s.execute("select pg_relation_size(123456789::oid), pg_relation_size('t', 'fsm'), "
                     "pg_relation_size(null::oid)")[0].rows() == [(None, 0, None)]
    s.execute("create sequence sq")
    s.execute("create view vv as select 1")
    assert s.execute("select pg_relation_size('sq'), pg_relation_size('vv')")[0].rows() == [(8192, 0)]
