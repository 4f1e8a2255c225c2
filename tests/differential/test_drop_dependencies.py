"""DROP and its dependencies compared with a live PostgreSQL 15 through psycopg on both sides (a
real ``helios serve``): each statement's SQLSTATE, message, DETAIL and HINT, and the NOTICEs it
sends ("drop cascades to view v", "drop cascades to N other objects" with the list), for tables,
views, foreign keys, key columns, sequences in defaults, schemas, types and functions."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("helios_wire_script", Path(__file__).with_name("wire_script.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
assert_script_agrees = _mod.assert_script_agrees

SCRIPT = [
    "create table dd_t1 (a int primary key, b text)",
    "create view dd_v1 as select * from dd_t1",
    "drop table dd_t1",
    "drop table dd_t1 cascade",
    # views over views: the DETAIL and the cascade list name each, depth first
    "create table dd_t2 (a int primary key)",
    "create view dd_v2a as select * from dd_t2",
    "create view dd_v2b as select * from dd_v2a",
    "create view dd_v2c as select a from dd_t2",
    "drop table dd_t2",
    "drop view dd_v2a",
    "drop table dd_t2 cascade",
    # foreign keys and views together
    "create table dd_p (a int primary key, b int)",
    "create table dd_c1 (x int references dd_p)",
    "create table dd_c2 (y int references dd_p)",
    "create view dd_pv1 as select a from dd_p",
    "create view dd_pv2 as select * from dd_pv1",
    "create view dd_pv3 as select b from dd_p",
    "drop table dd_p",
    "alter table dd_p drop column a",
    "alter table dd_p drop column b",
    "alter table dd_p drop column a cascade",
    "select conname from pg_constraint where conrelid in ('dd_c1'::regclass, 'dd_c2'::regclass) order by 1",
    "drop table dd_p cascade",
    # a sequence column defaults call
    "create sequence dd_sq",
    "create table dd_d (a int default nextval('dd_sq'), b bigint default nextval('dd_sq'::regclass))",
    "drop sequence dd_sq",
    "drop sequence dd_sq cascade",
    "select column_name, column_default from information_schema.columns where table_name = 'dd_d' order by 1",
    "create table dd_s (id serial, x int)",
    "drop sequence dd_s_id_seq",
    "drop table dd_s",
    # a schema's members, in the order they were created
    "create schema dd_sc",
    "create table dd_sc.t (id serial, a int)",
    "create view dd_sc.v as select * from dd_sc.t",
    "create sequence dd_sc.s",
    "create type dd_sc.ty as (x int)",
    "create function dd_sc.f(int) returns int language sql as 'select 1'",
    "create table dd_sc.t2 (b int)",
    "create view dd_pv as select * from dd_sc.t2",
    "create domain dd_sc.d as int",
    "create type dd_sc.e as enum ('a')",
    "drop schema dd_sc",
    "drop schema dd_sc cascade",
    "create schema dd_sc2",
    "create table dd_sc2.t (a int)",
    "drop schema dd_sc2 cascade",
    "create schema dd_sc3",
    "drop schema dd_sc3",
    # a function views, defaults and CHECK constraints call
    "create function dd_f(int) returns int language sql immutable as 'select $1 + 1'",
    "create view dd_fv as select dd_f(1) as x",
    "drop function dd_f(int)",
    "create table dd_ft (a int default dd_f(1), b int check (dd_f(b) > 0))",
    "drop function dd_f(int)",
    "drop function dd_f(int) cascade",
    "insert into dd_ft values (default, -5)",
    "select * from dd_ft",
    "drop table dd_ft",
    # types
    "create type dd_ty as (x int)",
    "create table dd_tt (c dd_ty)",
    "drop type dd_ty",
    "drop type dd_ty cascade",
]
CLEANUP = ["drop table if exists dd_tt, dd_d, dd_c1, dd_c2, dd_ft cascade", "drop sequence if exists dd_sq",
           "drop function if exists dd_f(int) cascade"]


def test_drop_dependencies_as_postgresql(postgres_dsn, helios_wire_dsn):
    assert_script_agrees(postgres_dsn, helios_wire_dsn, SCRIPT, CLEANUP)
