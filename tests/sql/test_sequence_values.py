"""Sequence values as PostgreSQL hands them out: one per row, and pg_sequences.last_value."""

from __future__ import annotations

import helios_core


def test_nextval_gives_every_row_its_own_value():
    s = helios_core.connect()
    s.execute("create sequence per_row")
    s.execute("create table pr (id int primary key, g int)")
    assert s.execute("select nextval('per_row') from generate_series(1, 4)")[0].rows() == [(1,), (2,), (3,), (4,)]
    s.execute("insert into pr select nextval('per_row'), g from generate_series(1, 3) g")
    assert s.execute("select id, g from pr order by g")[0].rows() == [(5, 1), (6, 2), (7, 3)]
    assert s.execute("select max(nextval('per_row')) from generate_series(1, 1000)")[0].rows() == [(1007,)]
    assert s.execute("select nextval(n) from (values ('per_row'), (null), ('per_row')) v(n)")[0].rows() == [
        (1008,), (None,), (1009,)]


def test_pg_sequences_reports_the_last_value_handed_out():
    s = helios_core.connect()
    s.execute("create sequence reported")
    s.execute("create table with_serial (id serial)")
    rows = "select sequencename, last_value from pg_sequences where sequencename in ('reported', 'with_serial_id_seq') order by 1"
    assert s.execute(rows)[0].rows() == [("reported", None), ("with_serial_id_seq", None)]
    s.execute("select nextval('reported')")
    s.execute("select nextval('reported')")
    s.execute("insert into with_serial default values")
    assert s.execute(rows)[0].rows() == [("reported", 2), ("with_serial_id_seq", 1)]
    s.execute("select setval('reported', 10, false)")
    assert s.execute(rows)[0].rows() == [("reported", None), ("with_serial_id_seq", 1)]


def test_identity_of_a_table_whose_name_has_a_dot():
    s = helios_core.connect()
    s.execute('create schema "my.schema"')
    s.execute('create table "my.schema"."log.entries" (id bigint generated always as identity, v text)')
    s.execute("""insert into "my.schema"."log.entries" (v) values ('a'), ('b')""")
    assert s.execute('select id, v from "my.schema"."log.entries" order by id')[0].rows() == [(1, "a"), (2, "b")]
    s.execute('create sequence "Odd.Name"')
    assert s.execute("""select nextval('"Odd.Name"')""")[0].rows() == [(1,)]
