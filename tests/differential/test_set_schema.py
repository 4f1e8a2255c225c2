"""ALTER SEQUENCE / TABLE / VIEW ... SET SCHEMA compared with a live PostgreSQL 15 through psycopg on both sides (a real
``helios serve``): what moves, what is refused with PostgreSQL's SQLSTATE, message and DETAIL, and
what follows the moved object (a sequence's position, the column defaults that call it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("helios_wire_script", Path(__file__).with_name("wire_script.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
assert_script_agrees = _mod.assert_script_agrees

SCRIPT = [
    "create schema ss_a",
    "create schema ss_b",
    "create sequence ss_q1",
    "alter sequence ss_q1 set schema public",
    "select nextval('ss_q1')",
    "alter sequence ss_q1 set schema ss_b",
    "select nextval('ss_b.ss_q1')",
    "select nextval('ss_q1')",
    "create table ss_own (id serial)",
    "alter sequence ss_own_id_seq set schema ss_b",
    "create sequence ss_a.ss_q1",
    "alter sequence ss_a.ss_q1 set schema ss_b",
    "alter sequence ss_nosuch set schema ss_b",
    "alter sequence if exists ss_nosuch set schema ss_b",
    "alter sequence ss_b.ss_q1 set schema ss_nosuch",
    "create sequence ss_q3",
    "create table ss_q3t (a int default nextval('ss_q3'))",
    "alter sequence ss_q3 set schema ss_b",
    "insert into ss_q3t default values",
    "select a from ss_q3t",
    "select column_default from information_schema.columns where table_name = 'ss_q3t'",
    ("select sequence_schema, sequence_name from information_schema.sequences where sequence_name like 'ss%' "
     "order by 1, 2"),
    # tables and views: foreign keys both ways, indexes, comments, the views that read them
    'create schema ss_m1',
    'create table ss_mp (a int primary key, b text unique)',
    'create table ss_mc (x int references ss_mp, y int)',
    'create table ss_mself (id int primary key, parent int references ss_mself)',
    "comment on table ss_mp is 'the parent'",
    "comment on column ss_mp.b is 'bee'",
    'create view ss_mv1 as select a, b from ss_mp',
    'create view ss_mv2 as select * from ss_mv1 where a > 0',
    'create index ss_mp_b_lower on ss_mp (lower(b))',
    "insert into ss_mp values (1, 'x'), (2, 'y')",
    'insert into ss_mc values (1, 1)',
    'alter table ss_mp set schema ss_m1',
    'alter table ss_mself set schema ss_m1',
    'insert into ss_mc values (3, 1)',
    'insert into ss_mc values (2, 2)',
    'delete from ss_m1.ss_mp where a = 1',
    'select * from ss_mv2 order by 1',
    "select obj_description('ss_m1.ss_mp'::regclass), col_description('ss_m1.ss_mp'::regclass, 2)",
    "select c.relname, n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relname in ('ss_mp', 'ss_mp_pkey', 'ss_mp_b_key', 'ss_mp_b_lower', 'ss_mself', 'ss_mself_pkey') order by 1",
    "select conname, conrelid::regclass::text, confrelid::regclass::text from pg_constraint where contype = 'f' and conname in ('ss_mc_x_fkey', 'ss_mself_parent_fkey') order by 1",
    'insert into ss_m1.ss_mself values (1, null), (2, 1)',
    'insert into ss_m1.ss_mself values (3, 9)',
    'begin',
    'alter view ss_mv1 set schema ss_m1',
    'select * from ss_m1.ss_mv1 order by 1',
    'select * from ss_mv2 order by 1',
    'rollback',
    'select * from ss_mv1 order by 1',
    'alter view ss_mv2 set schema ss_m1',
    'select * from ss_m1.ss_mv2 order by 1',
    'drop table ss_m1.ss_mp',
    'drop table ss_m1.ss_mp cascade',
    'drop table ss_mc',
    'alter table ss_m1.ss_mself set schema public',
    # a table and its serial sequence, a view; refusals
    "create table ss_st (id serial primary key, a int)",
    "insert into ss_st (a) values (1), (2)",
    "create view ss_sv as select * from ss_st",
    "alter table ss_st set schema ss_a",
    "select pg_get_serial_sequence('ss_a.ss_st', 'id')",
    "insert into ss_a.ss_st (a) values (3) returning id",
    "select * from ss_sv order by 1",
    "alter view ss_sv set schema ss_a",
    "alter view ss_a.ss_sv set schema ss_a",
    "alter view ss_a.ss_st set schema public",
    "alter table ss_a.ss_sv set schema public",
    "select * from ss_sv order by 1",
    "alter table ss_a.ss_st set schema ss_nosuch",
    "alter table if exists ss_nosuch set schema ss_a",
    "alter table ss_nosuch set schema ss_a",
    "create table ss_a.ss_dup (a int)",
    "create table ss_dup (a int)",
    "alter table ss_dup set schema ss_a",
    "create type ss_a.ss_ct as (x int)",
    "alter type ss_a.ss_ct set schema ss_a",
    "alter type ss_a.ss_ct set schema ss_b",
    "select '(1)'::ss_b.ss_ct",
]
CLEANUP = ["drop schema if exists ss_a, ss_b, ss_m1 cascade",
           "drop table if exists ss_own, ss_q3t, ss_mc, ss_mself, ss_dup, ss_st cascade",
           "drop view if exists ss_sv"]


def test_set_schema_as_postgresql(postgres_dsn, helios_wire_dsn):
    assert_script_agrees(postgres_dsn, helios_wire_dsn, SCRIPT, CLEANUP)
