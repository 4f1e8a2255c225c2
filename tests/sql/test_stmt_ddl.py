"""DDL as PostgreSQL does it: tables, columns, schemas, views, indexes, sequences, databases, roles."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    session = helios_core.connect()
    yield session
    session.close()


def err(s, sql: str) -> HeliosError:
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value


def rows(s, sql: str) -> list[tuple]:
    return s.execute(sql)[-1].rows()


def test_create_table_tags_and_duplicates(s):
    assert s.execute("create table t (a int, b text)")[0].command_tag == "CREATE TABLE"
    assert err(s, "create table t (x int)").sqlstate == "42P07"
    r = s.execute("create table if not exists t (x int)")[0]
    assert r.command_tag == "CREATE TABLE" and "already exists" in r.notices[0]
    assert err(s, "create table u (a int, a text)").sqlstate == "42701"
    assert err(s, "create table u (a int primary key, b int primary key)").sqlstate == "42P16"


def test_column_types_are_kept(s):
    s.execute("create table t (a numeric(10,2), b varchar(5), c timestamptz, d bigint, e boolean)")
    r = s.execute("select * from t")[0]
    assert [(c.name, c.type_oid, c.type_name) for c in r.columns] == [
        ("a", 1700, "numeric(10,2)"), ("b", 1043, "character varying(5)"), ("c", 1184, "timestamp with time zone"),
        ("d", 20, "bigint"), ("e", 16, "boolean")]
    assert err(s, "insert into t (b) values ('toolong')").sqlstate == "22001"


def test_drop_table(s):
    s.execute("create table t (a int)")
    assert s.execute("drop table t")[0].command_tag == "DROP TABLE"
    assert err(s, "drop table t").sqlstate == "42P01"
    r = s.execute("drop table if exists t")[0]
    assert r.notices == ['table "t" does not exist, skipping']
    assert err(s, "select * from t").sqlstate == "42P01"


def test_drop_tables_that_reference_each_other_together(s):
    """One DROP naming both sides of a foreign key drops them; a referenced table alone needs CASCADE,
    which says which constraint it took with it."""
    s.execute("create table pk (id int primary key)")
    s.execute("create table fk (id int primary key, p int references pk)")
    assert err(s, "drop table pk").sqlstate == "2BP01"
    r = s.execute("drop table pk, fk")[0]
    assert r.command_tag == "DROP TABLE" and r.notices == []
    s.execute("create table pk (id int primary key)")
    s.execute("create table fk (id int primary key, p int constraint named_fk references pk)")
    r = s.execute("drop table pk cascade")[0]
    assert r.notices == ["drop cascades to constraint named_fk on table fk"]
    s.execute("insert into fk values (1, 99)")  # the constraint went with it


def test_create_table_as(s):
    s.execute("create table src (a int, b text)")
    s.execute("insert into src values (1, 'x'), (2, 'y')")
    assert s.execute("create table dst as select a * 10 as a10, b from src")[0].command_tag == "SELECT 2"
    assert rows(s, "select a10, b from dst order by a10") == [(10, "x"), (20, "y")]


def test_alter_table_columns(s):
    s.execute("create table t (a int, b text)")
    s.execute("insert into t values (1, 'x')")
    assert s.execute("alter table t add column c int default 5")[0].command_tag == "ALTER TABLE"
    assert rows(s, "select a, b, c from t") == [(1, "x", 5)]
    s.execute("alter table t rename column b to bb")
    assert rows(s, "select bb from t") == [("x",)]
    assert err(s, "select b from t").sqlstate == "42703"
    s.execute("alter table t drop column bb")
    assert [c.name for c in s.execute("select * from t")[0].columns] == ["a", "c"]
    s.execute("alter table t rename to t2")
    assert rows(s, "select a from t2") == [(1,)]
    assert err(s, "alter table nope add column x int").sqlstate == "42P01"
    assert err(s, "alter table t2 drop column nope").sqlstate == "42703"


def test_alter_column_default_and_not_null(s):
    s.execute("create table t (a int, b int)")
    s.execute("alter table t alter column b set default 42")
    s.execute("insert into t (a) values (1)")
    assert rows(s, "select b from t") == [(42,)]
    s.execute("alter table t alter column b drop default")
    s.execute("insert into t (a) values (2)")
    assert rows(s, "select b from t where a = 2") == [(None,)]
    assert err(s, "alter table t alter column b set not null").sqlstate == "23502"
    s.execute("alter table t alter column a set not null")
    assert err(s, "insert into t (a) values (null)").sqlstate == "23502"


def test_add_primary_key_later(s):
    s.execute("create table t (id int, v text)")
    s.execute("insert into t values (1, 'a'), (2, 'b')")
    s.execute("alter table t add primary key (id)")
    assert err(s, "insert into t values (1, 'c')").sqlstate == "23505"
    assert rows(s, "select v from t where id = 2") == [("b",)]


def test_schemas(s):
    assert s.execute("create schema app")[0].command_tag == "CREATE SCHEMA"
    assert err(s, "create schema app").sqlstate == "42P06"
    s.execute("create table app.t (a int)")
    s.execute("insert into app.t values (7)")
    assert rows(s, "select a from app.t") == [(7,)]
    assert err(s, "select a from t").sqlstate == "42P01"
    s.execute("set search_path = app, public")
    assert rows(s, "select a from t") == [(7,)]
    s.execute("create table t2 (b int)")  # goes to the first schema of search_path
    s.execute("reset search_path")
    assert rows(s, "select count(*) from app.t2") == [(0,)]
    assert err(s, "drop schema app").sqlstate == "2BP01"
    s.execute("drop schema app cascade")
    assert err(s, "select * from app.t").sqlstate == "42P01"
    assert err(s, "create table nosuch.t (a int)").sqlstate == "3F000"


def test_drop_schema_cascade_takes_everything_in_it(s):
    """Partitions go with their parent (each is dropped once); types and functions go too, so the
    same script can create them again."""
    script = """
        create schema app;
        create type app.plan as enum ('free', 'pro');
        create domain app.pos as int check (value > 0);
        create function app.twice(x int) returns int language sql as 'select x * 2';
        create table app.events (id int, t int, p app.plan, primary key (t, id)) partition by hash (t);
        create table app.events_0 partition of app.events for values with (modulus 2, remainder 0);
        create table app.events_1 partition of app.events for values with (modulus 2, remainder 1);
        create view app.v as select * from app.events;
    """
    s.execute(script)
    assert s.execute("drop schema app cascade")[0].command_tag == "DROP SCHEMA"
    assert err(s, "select app.twice(1)").sqlstate == "3F000"
    s.execute(script)  # nothing of the first round is left to collide with
    assert rows(s, "select app.twice(2), 'pro'::app.plan::text, 3::app.pos") == [(4, "pro", 3)]


def test_views(s):
    s.execute("create table t (a int, b text)")
    s.execute("insert into t values (1, 'x'), (2, 'y')")
    assert s.execute("create view v as select a, b from t where a > 1")[0].command_tag == "CREATE VIEW"
    assert rows(s, "select * from v") == [(2, "y")]
    assert err(s, "create view v as select 1").sqlstate == "42P07"
    assert err(s, "create or replace view v as select a from t").sqlstate == "42P16"  # cannot drop columns
    s.execute("create or replace view v as select a, b from t")
    assert rows(s, "select count(*) from v") == [(2,)]
    assert err(s, "create view bad as select nope from t").sqlstate == "42703"
    assert err(s, "drop table t").sqlstate == "2BP01"
    s.execute("create view v2 (x) as select a from v")
    assert rows(s, "select x from v2 order by x") == [(1,), (2,)]
    assert err(s, "drop view v").sqlstate == "2BP01"
    s.execute("drop view v cascade")
    assert err(s, "select * from v2").sqlstate == "42P01"
    assert err(s, "drop view t").sqlstate == "42809"


def test_indexes(s):
    s.execute("create table t (a int, b int)")
    s.execute("insert into t values (1, 1), (2, 1)")
    assert s.execute("create index t_b on t (b)")[0].command_tag == "CREATE INDEX"
    assert err(s, "create unique index t_bu on t (b)").sqlstate == "23505"
    s.execute("create unique index t_au on t (a)")
    assert err(s, "insert into t values (1, 5)").sqlstate == "23505"
    s.execute("insert into t values (null, 5), (null, 6)")  # NULLs never conflict
    assert s.execute("drop index t_au")[0].command_tag == "DROP INDEX"
    s.execute("insert into t values (1, 7)")
    assert err(s, "drop index nope").sqlstate == "42P01"
    assert err(s, "create index on nope (a)").sqlstate == "42P01"


def test_sequences(s):
    assert s.execute("create sequence sq")[0].command_tag == "CREATE SEQUENCE"
    assert rows(s, "select nextval('sq'), nextval('sq')") == [(1, 2)]
    assert rows(s, "select currval('sq')") == [(2,)]
    s.execute("create sequence sq2 start with 10 increment by -2 minvalue 5 maxvalue 10")
    assert rows(s, "select nextval('sq2'), nextval('sq2'), nextval('sq2')") == [(10, 8, 6)]
    assert err(s, "select nextval('sq2')").sqlstate == "2200H"
    assert rows(s, "select setval('sq', 100)") == [(100,)]
    assert rows(s, "select nextval('sq')") == [(101,)]
    s.execute("create sequence fresh")
    assert err(s, "select currval('fresh')").sqlstate == "55000"
    assert err(s, "select nextval('nope')").sqlstate == "42P01"
    s.execute("drop sequence sq")
    assert err(s, "select nextval('sq')").sqlstate == "42P01"


def test_sequences_are_not_transactional(s):
    s.execute("create sequence sq")
    s.execute("begin; select nextval('sq'); rollback")
    assert rows(s, "select nextval('sq')") == [(2,)]


def test_serial_and_identity(s):
    s.execute("create table t (id serial primary key, v text)")
    s.execute("insert into t (v) values ('a'), ('b')")
    assert rows(s, "select id, v from t order by id") == [(1, "a"), (2, "b")]
    assert rows(s, "select nextval('t_id_seq')") == [(3,)]
    s.execute("create table g (id bigint generated always as identity, v int)")
    s.execute("insert into g (v) values (1), (2)")
    assert rows(s, "select id from g order by id") == [(1,), (2,)]
    assert err(s, "insert into g (id, v) values (9, 9)").sqlstate == "428C9"
    s.execute("create table d (id int generated by default as identity (start with 50), v int)")
    s.execute("insert into d (v) values (1); insert into d (id, v) values (7, 2)")
    assert rows(s, "select id from d order by v") == [(50,), (7,)]
    s.execute("drop table t")
    assert err(s, "select nextval('t_id_seq')").sqlstate == "42P01"


def test_truncate(s):
    s.execute("create table t (id serial, v int)")
    s.execute("insert into t (v) values (1), (2)")
    assert s.execute("truncate t")[0].command_tag == "TRUNCATE TABLE"
    assert rows(s, "select count(*) from t") == [(0,)]
    s.execute("insert into t (v) values (3)")
    assert rows(s, "select id from t") == [(3,)]
    s.execute("truncate table t restart identity")
    s.execute("insert into t (v) values (4)")
    assert rows(s, "select id from t") == [(1,)]


def test_truncate_rolls_back(s):
    s.execute("create table t (v int)")
    s.execute("insert into t values (1)")
    s.execute("begin; truncate t; rollback")
    assert rows(s, "select count(*) from t") == [(1,)]


def test_ddl_is_transactional(s):
    s.execute("begin; create table t (a int); insert into t values (1); rollback")
    assert err(s, "select * from t").sqlstate == "42P01"


def test_databases(s):
    assert s.execute("create database d2")[0].command_tag == "CREATE DATABASE"
    assert err(s, "create database d2").sqlstate == "42P04"
    other = s.engine.connect(database="d2")
    other.execute("create table x (a int)")
    assert err(s, "drop database d2").sqlstate == "55006"
    other.close()
    assert s.execute("drop database d2")[0].command_tag == "DROP DATABASE"
    assert err(s, "drop database d2").sqlstate == "3D000"
    s.execute("begin")
    assert err(s, "create database d3").sqlstate == "25001"
    s.execute("rollback")
    assert {"helios", "postgres"} <= set(s.engine.list_databases())
    with pytest.raises(HeliosError) as ei:
        s.engine.connect(database="nope")
    assert ei.value.sqlstate == "3D000"


def test_roles(s):
    assert s.execute("create role bob with login password 'pw-not-stored'")[0].command_tag == "CREATE ROLE"
    role = s.engine.get_role("bob")
    assert role["login"] is True and role["superuser"] is False
    assert role["password"].startswith("SCRAM-SHA-256$") and "pw-not-stored" not in role["password"]  # (base64 has no '-')
    assert s.engine.get_role("helios")["superuser"] is True
    assert err(s, "create user bob").sqlstate == "42710"
    s.execute("alter role bob superuser")
    assert s.engine.get_role("bob")["superuser"] is True
    bob = s.engine.connect(user="bob")
    assert bob.execute("select current_user")[0].rows() == [("bob",)]
    bob.close()
    assert s.execute("drop role bob")[0].command_tag == "DROP ROLE"
    assert s.engine.get_role("bob") is None
    assert err(s, "drop role bob").sqlstate == "42704"
    assert s.execute("drop role if exists bob")[0].notices


def test_temp_table_goes_away_with_its_session(s):
    s.execute("create temp table tt (a int)")
    s.execute("insert into tt values (1)")
    assert rows(s, "select a from tt") == [(1,)]
    engine = s.engine
    s.close()
    other = engine.connect()
    with pytest.raises(HeliosError) as ei:
        other.execute("select * from tt")
    assert ei.value.sqlstate == "42P01"


def test_catalog_sequences_and_roles_survive_a_restart(tmp_path):
    from helios_core.engine import Engine

    e = Engine.open(str(tmp_path))
    s = e.connect()
    s.execute("create table t (id serial primary key, v text); insert into t (v) values ('a'), ('b')")
    s.execute("create view v as select v from t; create role keeper login")
    e.close()
    e = Engine.open(str(tmp_path))
    s = e.connect()
    s.execute("insert into t (v) values ('c')")
    assert rows(s, "select id, v from t order by id") == [(1, "a"), (2, "b"), (3, "c")]
    assert rows(s, "select count(*) from v") == [(3,)]
    assert e.get_role("keeper")["login"] is True
    e.close()


def test_misc_ddl_clients_send(s):
    s.execute("create table t (a int)")
    assert s.execute("comment on table t is 'hello'")[0].command_tag == "COMMENT"
    assert s.execute("comment on column t.a is 'col'")[0].command_tag == "COMMENT"
    assert err(s, "comment on column t.nope is 'x'").sqlstate == "42703"
    assert s.execute("create extension if not exists pgcrypto")[0].command_tag == "CREATE EXTENSION"
    assert err(s, "create extension pgcrypto").sqlstate == "42710"
    assert err(s, "create extension no_such_thing").sqlstate == "0A000"
    assert s.execute("alter table t owner to helios")[0].command_tag == "ALTER TABLE"
    assert err(s, "lock table t").sqlstate == "25P01"
    assert [r.command_tag for r in s.execute("begin; lock table t in exclusive mode; commit")] == [
        "BEGIN", "LOCK TABLE", "COMMIT"]
    assert s.execute("set constraints all deferred")[0].command_tag == "SET CONSTRAINTS"
    s.execute("create index i on t (a)")
    assert s.execute("alter index i rename to j")[0].command_tag == "ALTER INDEX"
    s.execute("drop index j")


def test_comments_go_with_dropped_objects(s):
    s.execute("create table t (a int); create index ti on t (a)")
    s.execute("comment on table t is 'old'; comment on column t.a is 'old a'; comment on index ti is 'old i'")
    s.execute("drop table t")
    s.execute("create table t (a int); create index ti on t (a)")
    assert rows(s, "select obj_description('t'::regclass), col_description('t'::regclass, 1), "
                   "obj_description('ti'::regclass)") == [(None, None, None)]
    s.execute("comment on index ti is 'x'; drop index ti; create index ti on t (a)")
    assert rows(s, "select obj_description('ti'::regclass)") == [(None,)]


def test_comment_is_null_drops_the_comment(s):
    s.execute("create table t (a int); comment on table t is 'x'; comment on column t.a is 'y'")
    assert s.execute("comment on table t is null")[0].command_tag == "COMMENT"
    s.execute("COMMENT ON COLUMN t.a IS NULL")
    assert rows(s, "select obj_description('t'::regclass), col_description('t'::regclass, 1)") == [(None, None)]


def test_alter_sequence(s):
    s.execute("create sequence sq")
    assert s.execute("alter sequence sq restart with 50")[0].command_tag == "ALTER SEQUENCE"
    assert rows(s, "select nextval('sq')") == [(50,)]
    s.execute("alter sequence sq increment by 10")
    assert rows(s, "select nextval('sq')") == [(60,)]
    assert err(s, "alter sequence nope restart").sqlstate == "42P01"
    s.execute("alter sequence if exists nope restart")


def test_quoted_names_with_serial(s):
    s.execute('create table "Users" ("Id" serial not null, "Name" varchar(50), primary key ("Id"))')
    r = s.execute('insert into "Users" ("Name") values (\'x\'), (\'y\') returning "Users"."Id"')[0]
    assert r.rows() == [(1,), (2,)]
    assert rows(s, "select nextval('\"Users_Id_seq\"')") == [(3,)]
    assert err(s, "select * from users").sqlstate == "42P01"


def test_enum_types(s):
    assert s.execute("create type mood as enum ('sad', 'ok', 'happy')")[0].command_tag == "CREATE TYPE"
    assert err(s, "create type mood as enum ('x')").sqlstate == "42710"
    s.execute("create table p (name text, m mood default 'ok')")
    s.execute("insert into p values ('a', 'happy'), ('b', default)")
    assert rows(s, "select name, m from p order by name") == [("a", "happy"), ("b", "ok")]
    e = err(s, "insert into p values ('c', 'angry')")
    assert (e.sqlstate, e.message) == ("22P02", 'invalid input value for enum mood: "angry"')
    assert err(s, "drop type mood").sqlstate == "2BP01"
    assert s.execute("drop type mood cascade")[0].command_tag == "DROP TYPE"
    assert [c.name for c in s.execute("select * from p")[0].columns] == ["name"]
    assert s.execute("drop type if exists mood")[0].notices == ['type "mood" does not exist, skipping']


def test_add_serial_column_numbers_existing_rows(s):
    s.execute("create table t (v text); insert into t values ('a'), ('b'), ('c')")
    assert s.execute("alter table t add column id serial")[0].command_tag == "ALTER TABLE"
    assert sorted(rows(s, "select id from t")) == [(1,), (2,), (3,)]
    s.execute("insert into t (v) values ('d')")
    assert rows(s, "select id from t where v = 'd'") == [(4,)]
    assert err(s, "insert into t (v, id) values ('e', null)").sqlstate == "23502"


def test_create_table_as_with_no_data_makes_the_empty_table(s):
    assert s.execute("create table src as select g as a, 'x' || g as b from generate_series(1, 3) g")[
        0].command_tag == "SELECT 3"
    assert s.execute("create table empty as select * from src with no data")[0].command_tag == "CREATE TABLE AS"
    assert rows(s, "select count(*) from empty") == [(0,)]
    s.execute("insert into empty select * from src where a = 2")
    assert rows(s, "select a, b from empty") == [(2, "x2")]
    assert s.execute("create table full_copy as select * from src with data")[0].command_tag == "SELECT 3"


def test_generated_check_names_are_unique_per_table(s):
    """Several CHECKs on one column get name, name1, name2 (as PostgreSQL chooses), also when added
    later; a name given twice is 42710."""
    s.execute("create table ck (qty int, check (qty > 0), check (qty < 100))")
    s.execute("alter table ck add check (qty <> 5)")
    assert rows(s, "select conname from pg_constraint where conrelid = 'ck'::regclass order by 1") == \
        [("ck_qty_check",), ("ck_qty_check1",), ("ck_qty_check2",)]
    assert err(s, "insert into ck values (5)").sqlstate == "23514"
    assert err(s, "alter table ck add constraint ck_qty_check check (qty > 1)").sqlstate == "42710"
    s.execute("alter table ck drop constraint ck_qty_check1")
    s.execute("insert into ck values (150)")


def test_renaming_a_table_keeps_the_views_reading_it(s):
    """A view that names a table (aliased or not, in a subquery too) still answers, with its
    columns' types, after the table is renamed."""
    s.execute("create table vt1 (f1 int, f2 int, f3 text)")
    s.execute("create table vx1 (x1 int, x2 int, x3 text)")
    s.execute("insert into vt1 values (1, 2, 'a'), (3, 4, 'b')")
    s.execute("insert into vx1 values (1, 5, 'c')")
    s.execute("create view av1 as select * from vt1 where exists (select 1 from vx1 where vt1.f1 = vx1.x1)")
    s.execute("create view av2 as select * from vt1 a1 where exists (select 1 from vx1 a2 where a1.f1 = a2.x1)")
    s.execute("alter table vx1 rename to va1")
    s.execute("alter table vt1 rename to vt9")
    assert rows(s, "select * from av1") == [(1, 2, "a")]
    assert rows(s, "select * from av2") == [(1, 2, "a")]
    assert rows(s, "select column_name, data_type from information_schema.columns where table_name = 'av1' "
                   "order by ordinal_position") == [("f1", "integer"), ("f2", "integer"), ("f3", "text")]


def test_pg_get_viewdef_takes_a_view_name(s):
    """pg_get_viewdef(text [, bool]): the view named (on the search_path or qualified), as PostgreSQL."""
    s.execute("create view named_v as select 1 as a")
    assert rows(s, "select pg_get_viewdef('named_v', true), pg_get_viewdef('public.named_v')") == [
        ("SELECT 1 AS a;", "SELECT 1 AS a;")]
    assert err(s, "select pg_get_viewdef('no_such_view')").sqlstate == "42P01"


def test_view_columns_of_unknown_type_are_text(s):
    """A view's 'foo' AS u and NULL AS n are text columns, as PostgreSQL (10 and later) stores them."""
    s.execute("create view unknown_v as select 42 as i, 'foo' as u, null as n")
    assert rows(s, "select column_name, data_type from information_schema.columns where table_name = 'unknown_v' "
                   "order by ordinal_position") == [("i", "integer"), ("u", "text"), ("n", "text")]
    assert rows(s, "select pg_typeof(u)::text, pg_typeof(n)::text, u || '!' from unknown_v") == [("text", "text", "foo!")]
