"""Table inheritance through psycopg: INHERITS column merging, scans of a parent with its children,
ONLY, UPDATE/DELETE/TRUNCATE recursion, ALTER TABLE reaching children, [NO] INHERIT, DROP, catalogs.
Expected answers are PostgreSQL 15's (messages, SQLSTATEs, notices)."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture(scope="module")
def db(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        yield c


@pytest.fixture
def notices(db):
    got: list[str] = []
    db.add_notice_handler(lambda d: got.append(d.message_primary))
    yield got
    db._notice_handlers.clear()


@pytest.fixture
def family(db):
    db.execute("drop table if exists person, emp, student, stud_emp, loner, twice cascade")
    db.execute("create table person (name text not null, age int default 1, check (age >= 0))")
    db.execute("create table emp (salary int) inherits (person)")
    db.execute("create table student (gpa float8) inherits (person)")
    db.execute("create table stud_emp (percent int) inherits (emp, student)")
    db.execute("insert into person values ('ann', 30)")
    db.execute("insert into emp values ('bob', 40, 100)")
    db.execute("insert into student values ('cy', 20, 3.5)")
    db.execute("insert into stud_emp values ('dee', 25, 50, 3.0, 10)")
    yield db
    db.execute("drop table if exists person, emp, student, stud_emp, loner, twice cascade")


def rows(db, sql, *args):
    return db.execute(sql, args or None).fetchall()


def err(db, sql):
    with pytest.raises(psycopg.Error) as ei:
        db.execute(sql)
    return ei.value.diag.sqlstate, ei.value.diag.message_primary


def test_child_columns_are_the_parents_then_its_own(family, notices):
    db = family
    assert [c.name for c in db.execute("select * from stud_emp").description] == [
        "name", "age", "salary", "gpa", "percent"]
    db.execute("create table twice (x int, name text) inherits (emp, student)")
    assert notices == ['merging multiple inherited definitions of column "name"',
                       'merging multiple inherited definitions of column "age"',
                       'merging column "name" with inherited definition']
    assert err(db, "create table clash (name int) inherits (person)") == (
        "42804", 'column "name" has a type conflict')


def test_not_null_default_and_check_are_inherited(family):
    db = family
    db.execute("insert into emp (name) values ('eve')")
    assert rows(db, "select age from emp where name = 'eve'") == [(1,)]
    assert err(db, "insert into stud_emp (age) values (3)")[0] == "23502"
    assert err(db, "insert into student values ('neg', -1)") == (
        "23514", 'new row for relation "student" violates check constraint "person_age_check"')


def test_parent_scan_includes_every_table_below_it_and_only_reads_it_alone(family):
    db = family
    assert rows(db, "select tableoid::regclass::text, name from person order by name") == [
        ("person", "ann"), ("emp", "bob"), ("student", "cy"), ("stud_emp", "dee")]
    assert rows(db, "select name from only person") == [("ann",)]
    assert rows(db, "select name from emp order by 1") == [("bob",), ("dee",)]
    assert rows(db, "select count(*) from person p join emp e using (name)") == [(2,)]


def test_update_delete_truncate_reach_children_unless_only(family):
    db = family
    assert db.execute("update person set age = age + 1").rowcount == 4
    assert rows(db, "select name, age from person order by name") == [
        ("ann", 31), ("bob", 41), ("cy", 21), ("dee", 26)]
    assert db.execute("update only person set age = 0").rowcount == 1
    assert db.execute("delete from emp where age > 40").rowcount == 1
    assert db.execute("delete from only student").rowcount == 1
    assert rows(db, "select name from person order by 1") == [("ann",), ("dee",)]
    db.execute("truncate only person")
    assert rows(db, "select name from person") == [("dee",)]
    db.execute("truncate person")
    assert rows(db, "select count(*) from stud_emp") == [(0,)]


def test_alter_table_reaches_children(family, notices):
    db = family
    db.execute("alter table emp add column nick text")
    db.execute("alter table student add column nick text")  # stud_emp has it already: merged
    assert notices == ['merging definition of column "nick" for child "stud_emp"']
    db.execute("alter table person add column email text")  # stud_emp reached twice: merged the second time
    assert notices[1:] == ['merging definition of column "email" for child "stud_emp"']
    assert [c.name for c in db.execute("select * from stud_emp").description][-2:] == ["nick", "email"]
    db.execute("alter table person rename column email to mail")
    assert "mail" in [c.name for c in db.execute("select * from stud_emp").description]
    assert err(db, "alter table emp rename column mail to m") == ("42P16", 'cannot rename inherited column "mail"')
    assert err(db, "alter table emp drop column mail") == ("42P16", 'cannot drop inherited column "mail"')
    assert err(db, "alter table only person add column z int") == (
        "42P16", "column must be added to child tables too")
    db.execute("alter table person drop column mail")
    assert "mail" not in [c.name for c in db.execute("select * from stud_emp").description]
    db.execute("alter table person add constraint young check (age < 200)")
    assert err(db, "insert into stud_emp (name, age) values ('old', 300)") == (
        "23514", 'new row for relation "stud_emp" violates check constraint "young"')
    assert err(db, "alter table emp drop constraint young") == (
        "42P16", 'cannot drop inherited constraint "young" of relation "emp"')


def test_no_inherit_check_and_catalogs(family):
    db = family
    db.execute("alter table person add constraint mine check (age < 100) no inherit")
    db.execute("insert into emp values ('old', 150)")
    assert rows(db, "select conrelid::regclass::text, conislocal, coninhcount, connoinherit from pg_constraint "
                    "where conname in ('mine', 'person_age_check') order by 1") == [
        ("emp", False, 1, False), ("person", True, 0, False), ("person", True, 0, True),
        ("stud_emp", False, 2, False), ("student", False, 1, False)]
    assert rows(db, "select inhrelid::regclass::text, inhparent::regclass::text, inhseqno from pg_inherits "
                    "where inhparent::regclass::text in ('person', 'emp', 'student') order by 1, 3") == [
        ("emp", "person", 1), ("stud_emp", "emp", 1), ("stud_emp", "student", 2), ("student", "person", 1)]
    assert rows(db, "select attname, attinhcount, attislocal from pg_attribute "
                    "where attrelid = 'stud_emp'::regclass and attnum > 0 order by attnum") == [
        ("name", 2, False), ("age", 2, False), ("salary", 1, False), ("gpa", 1, False), ("percent", 0, True)]
    assert rows(db, "select relhassubclass from pg_class where relname in ('person', 'stud_emp') "
                    "order by relname") == [(True,), (False,)]


def test_alter_inherit_and_no_inherit(family):
    db = family
    db.execute("create table loner (name text not null, age int, check (age >= 0))")
    assert err(db, "alter table loner inherit person") == (
        "42804", 'child table is missing constraint "person_age_check"')
    db.execute("alter table loner add constraint person_age_check check (age >= 0)")
    db.execute("insert into loner values ('lo', 5)")
    db.execute("alter table loner inherit person")
    assert rows(db, "select count(*) from person where name = 'lo'") == [(1,)]
    assert err(db, "alter table person inherit loner") == ("42P07", "circular inheritance not allowed")
    db.execute("alter table loner no inherit person")
    assert rows(db, "select count(*) from person where name = 'lo'") == [(0,)]
    assert rows(db, "select conislocal, coninhcount from pg_constraint where conrelid = 'loner'::regclass "
                    "and conname = 'person_age_check'") == [(True, 0)]
    db.execute("alter table emp no inherit person")  # its inherited constraint stays, as its own
    assert rows(db, "select conislocal, coninhcount from pg_constraint where conrelid = 'emp'::regclass "
                    "and conname = 'person_age_check'") == [(True, 0)]
    assert err(db, "alter table loner no inherit person") == (
        "42P01", 'relation "person" is not a parent of relation "loner"')


def test_drop_parent_needs_cascade(family, notices):
    db = family
    assert err(db, "drop table emp") == ("2BP01", "cannot drop table emp because other objects depend on it")
    db.execute("drop table stud_emp, emp")
    db.execute("drop table person cascade")
    assert notices == ["drop cascades to table student"]
    assert rows(db, "select count(*) from pg_class where relname in ('person', 'student')") == [(0,)]


def test_update_through_parent_keeps_each_tables_own_constraints(db):
    """The parent's own run must not see its children's rows: a NO INHERIT check of the parent does not
    judge rows of a child updated through it."""
    db.execute("drop table if exists base_t cascade")
    db.execute("create table base_t (f1 int, f2 int, check (f1 < 10) no inherit)")
    db.execute("create table kid_t () inherits (base_t)")
    db.execute("insert into kid_t select i, i from generate_series(1, 20) i")
    assert db.execute("update base_t set f2 = 0 where f1 = 12").rowcount == 1
    assert rows(db, "select tableoid::regclass::text, f1, f2 from base_t where f1 = 12") == [("kid_t", 12, 0)]
    assert err(db, "merge into base_t using kid_t on true when matched then do nothing")[0] == "0A000"
    db.execute("drop table base_t cascade")


def test_check_constraints_merge_by_name(db, notices):
    db.execute("drop table if exists pa cascade")
    db.execute("create table pa (a int, constraint pos check (a > 0))")
    db.execute("create table ka (a int, constraint pos check (a > 0)) inherits (pa)")
    assert notices[-2:] == ['merging column "a" with inherited definition',
                       'merging constraint "pos" with inherited definition']
    assert rows(db, "select conislocal, coninhcount, pg_get_expr(conbin, conrelid) from pg_constraint "
                    "where conrelid = 'ka'::regclass") == [(True, 1, "(a > 0)")]
    assert err(db, "create table kb (constraint pos check (a > 0) no inherit) inherits (pa)") == (
        "42P17", 'constraint "pos" conflicts with inherited constraint on relation "kb"')
    assert err(db, "create table kc (constraint pos check (a > 5)) inherits (pa)")[0] == "42710"
    db.execute("drop table pa cascade")


def test_defaults_retype_and_using_reach_every_table_once(db):
    db.execute("drop table if exists fp, sp, tp, g, plain_t cascade")
    db.execute("create table fp (d int default 1)")
    db.execute("create table sp (d int default  1)")
    db.execute("create table tp (d int default 2)")
    db.execute("create table ok_kid () inherits (fp, sp)")
    assert err(db, "create table bad_kid () inherits (fp, tp)") == (
        "42611", 'column "d" inherits conflicting default values')
    db.execute("create table own_kid (d int default 3) inherits (fp, tp)")
    assert err(db, "alter table sp alter column d type bigint") == (
        "42P16", 'cannot alter inherited column "d" of relation "ok_kid"')
    db.execute("create table g (d int)")
    db.execute("create table g1 () inherits (g)")
    db.execute("create table g2 () inherits (g1, g)")
    db.execute("insert into g2 values (7)")
    db.execute("alter table g alter column d type text using (d * 10)::text")  # g2 reached twice
    assert rows(db, "select d from g2") == [("70",)]
    db.execute("create table plain_t (x int)")
    db.execute("insert into plain_t values (4)")
    db.execute("alter table plain_t alter column x type text using 'v' || x")
    assert rows(db, "select x from plain_t") == [("v4",)]
    db.execute("drop table fp, sp, tp, g, plain_t cascade")


def test_rename_constraint_follows_inheritance(db):
    db.execute("drop table if exists rc_parent cascade")
    db.execute("create table rc_parent (a int constraint con1 check (a > 0), b int)")
    db.execute("create table rc_child (d int) inherits (rc_parent)")
    assert err(db, "alter table rc_child rename constraint con1 to x") == (
        "42P16", 'cannot rename inherited constraint "con1"')
    assert err(db, "alter table only rc_parent rename constraint con1 to x") == (
        "42P16", 'inherited constraint "con1" must be renamed in child tables too')
    db.execute("alter table rc_parent rename constraint con1 to con1foo")
    assert rows(db, "select conrelid::regclass::text from pg_constraint where conname = 'con1foo' order by 1") == [
        ("rc_child",), ("rc_parent",)]
    assert err(db, "alter table rc_parent rename constraint nope to x") == (
        "42704", 'constraint "nope" for table "rc_parent" does not exist')
    db.execute("alter table rc_parent add constraint u1 unique (b)")
    db.execute("alter table rc_parent rename constraint u1 to u2")
    assert rows(db, "select indexrelid::regclass::text from pg_index where indrelid = 'rc_parent'::regclass") == [
        ("u2",)]
    db.execute("drop table rc_parent cascade")


def test_permanent_child_of_temporary_parent_is_refused(db):
    db.execute("create temp table tmp_parent (a int)")
    assert err(db, "create table perm_kid () inherits (tmp_parent)") == (
        "42809", 'cannot inherit from temporary relation "tmp_parent"')
    db.execute("create temp table tmp_kid () inherits (tmp_parent)")
    db.execute("drop table tmp_parent cascade")


def test_notices_raised_before_an_error_reach_the_client_before_it(db, notices):
    """PostgreSQL sends a NOTICE when it is raised: one from a statement that then fails comes before
    its error, not with the next statement's result."""
    db.execute("drop table if exists dp1, dp2 cascade")
    db.execute("create table dp1 (t int default 1)")
    db.execute("create table dp2 (t int default 2)")
    before = len(notices)
    assert err(db, "create table dp_kid () inherits (dp1, dp2)")[0] == "42611"
    assert notices[before:] == ['merging multiple inherited definitions of column "t"']
    assert err(db, "do $$ begin raise notice 'first'; raise exception 'then this'; end $$")[1] == "then this"
    assert notices[-1] == "first"
    db.execute("select 1")
    assert notices[-1] == "first"
    db.execute("drop table dp1, dp2")


def test_generated_columns_are_inherited_and_not_overridden(db):
    db.execute("drop table if exists gp, gplain, gother cascade")
    db.execute("create table gp (a int, b int generated always as (a * 2) stored)")
    db.execute("create table gkid () inherits (gp)")
    db.execute("insert into gkid (a) values (4)")
    assert rows(db, "select a, b from gp") == [(4, 8)]
    assert err(db, "create table gx (b int generated always as (a * 3) stored) inherits (gp)") == (
        "42611", 'child column "b" specifies generation expression')
    assert err(db, "create table gx (b int default 10) inherits (gp)") == (
        "42611", 'column "b" inherits from generated column but specifies default')
    db.execute("create table gother (b int)")
    assert err(db, "create table gx () inherits (gp, gother)") == (
        "42804", 'inherited column "b" has a generation conflict')
    db.execute("create table gplain (a int, b int)")
    assert err(db, "alter table gplain inherit gp") == (
        "42804", 'column "b" in child table must be a generated column')
    db.execute("drop table gp, gother, gplain cascade")


def test_update_through_parent_fires_its_statement_triggers_only(db, notices):
    db.execute("drop table if exists st_parent cascade")
    db.execute("create table st_parent (a int)")
    db.execute("create table st_kid () inherits (st_parent)")
    db.execute("insert into st_kid values (1)")
    db.execute("create or replace function st_note() returns trigger as $$ begin "
               "raise notice '% % %', tg_level, tg_op, tg_table_name; return null; end $$ language plpgsql")
    for t in ("st_parent", "st_kid"):
        db.execute(f"create trigger st_{t} before update on {t} execute procedure st_note()")
    db.execute("create trigger st_row after update on st_kid for each row execute procedure st_note()")
    before = len(notices)
    db.execute("update st_parent set a = a + 1")
    assert notices[before:] == ["STATEMENT UPDATE st_parent", "ROW UPDATE st_kid"]
    before = len(notices)
    db.execute("update st_kid set a = a + 1")
    assert notices[before:] == ["STATEMENT UPDATE st_kid", "ROW UPDATE st_kid"]
    db.execute("drop table st_parent cascade")


def test_child_adding_its_inherited_constraint_merges(db, notices):
    db.execute("drop table if exists mp cascade")
    db.execute("create table mp (f1 int, constraint c1 check (f1 > 0))")
    db.execute("create table mk () inherits (mp)")
    before = len(notices)
    db.execute("alter table mk add constraint c1 check (f1 > 0)")
    assert notices[before:] == ['merging constraint "c1" with inherited definition']
    assert rows(db, "select conislocal, coninhcount from pg_constraint where conrelid = 'mk'::regclass") == [
        (True, 1)]
    db.execute("drop table mp cascade")
