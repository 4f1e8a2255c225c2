"""Constraints with PostgreSQL's SQLSTATEs: PRIMARY KEY, UNIQUE, NOT NULL, CHECK, FOREIGN KEY actions."""

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


def test_unique_constraint_with_nulls_and_updates(s):
    s.execute("create table u (id int primary key, email text unique, a int, b int, unique (a, b))")
    s.execute("insert into u values (1, 'x@y', 1, 1), (2, null, 1, 2), (3, null, null, 2)")
    e = err(s, "insert into u values (4, 'x@y', 9, 9)")
    assert e.sqlstate == "23505" and 'u_email_key' in e.message and e.detail == "Key (email)=(x@y) already exists."
    assert err(s, "insert into u values (5, 'q', 1, 1)").sqlstate == "23505"
    s.execute("insert into u values (6, 'z', null, 2)")  # NULL in a unique column never conflicts
    assert err(s, "update u set email = 'x@y' where id = 2").sqlstate == "23505"
    s.execute("update u set email = 'x@y' where id = 1")  # same row keeps its own value
    s.execute("update u set a = 5, b = 5 where id = 1")
    s.execute("insert into u values (7, 'w', 1, 1)")  # (1,1) is free again


def test_check_constraints(s):
    s.execute("create table c (a int check (a > 0), b int, constraint b_small check (b < 10))")
    e = err(s, "insert into c values (0, 1)")
    assert (e.sqlstate, e.message) == ("23514", 'new row for relation "c" violates check constraint "c_a_check"')
    assert e.detail == "Failing row contains (0, 1)."
    assert "b_small" in err(s, "insert into c values (1, 10)").message
    s.execute("insert into c values (null, null)")  # NULL passes a CHECK
    s.execute("insert into c values (1, 1)")
    assert err(s, "update c set a = -1").sqlstate == "23514"
    s.execute("alter table c add constraint pos_b check (b >= 0)")
    assert err(s, "insert into c values (1, -1)").sqlstate == "23514"
    assert err(s, "alter table c add constraint never check (a > 100)").sqlstate == "23514"
    s.execute("alter table c drop constraint b_small")
    s.execute("insert into c values (1, 50)")


def test_not_null(s):
    s.execute("create table n (a int not null, b text)")
    e = err(s, "insert into n (b) values ('x')")
    assert e.sqlstate == "23502" and 'column "a"' in e.message


def test_foreign_key_insert_and_update(s):
    s.execute("create table p (id int primary key, code text unique)")
    s.execute("create table ch (id int primary key, pid int references p, pcode text references p (code))")
    s.execute("insert into p values (1, 'a'), (2, 'b')")
    s.execute("insert into ch values (10, 1, 'a'), (11, null, null)")
    e = err(s, "insert into ch values (12, 3, null)")
    assert e.sqlstate == "23503" and e.detail == 'Key (pid)=(3) is not present in table "p".'
    assert err(s, "insert into ch values (13, null, 'zz')").sqlstate == "23503"
    assert err(s, "update ch set pid = 5 where id = 10").sqlstate == "23503"
    e = err(s, "delete from p where id = 1")
    assert e.sqlstate == "23503" and "still referenced" in e.detail
    assert err(s, "update p set id = 100 where id = 1").sqlstate == "23503"
    s.execute("delete from p where id = 2")  # not referenced
    assert err(s, "create table bad (x int references p (nope_col))").sqlstate in ("42703", "42830")
    assert err(s, "create table bad (x int references nope)").sqlstate == "42P01"


def test_foreign_key_actions(s):
    s.execute("create table p (id int primary key)")
    s.execute("create table casc (id int, pid int references p on delete cascade on update cascade)")
    s.execute("create table setn (id int, pid int references p on delete set null)")
    s.execute("insert into p values (1), (2)")
    s.execute("insert into casc values (1, 1), (2, 2); insert into setn values (1, 1), (2, 2)")
    s.execute("delete from p where id = 1")
    assert rows(s, "select id from casc order by id") == [(2,)]
    assert rows(s, "select id, pid from setn order by id") == [(1, None), (2, 2)]
    s.execute("create table p2 (id int primary key)")
    s.execute("create table c2 (pid int references p2 on update cascade)")
    s.execute("insert into p2 values (5); insert into c2 values (5)")
    s.execute("update p2 set id = 6 where id = 5")
    assert rows(s, "select pid from c2") == [(6,)]


def test_self_referencing_foreign_key(s):
    s.execute("create table tree (id int primary key, parent int references tree (id))")
    s.execute("insert into tree values (1, null), (2, 1), (3, 2)")
    s.execute("insert into tree values (4, 4)")  # refers to itself in the same statement
    assert err(s, "insert into tree values (5, 99)").sqlstate == "23503"


def test_foreign_keys_and_drop_truncate(s):
    s.execute("create table p (id int primary key)")
    s.execute("create table c (pid int references p)")
    assert err(s, "drop table p").sqlstate == "2BP01"
    assert err(s, "truncate p").sqlstate == "0A000"
    s.execute("truncate p cascade")
    s.execute("drop table p cascade")
    s.execute("insert into c values (42)")  # the constraint went with the parent


def test_primary_key_composite(s):
    s.execute("create table k (a int, b text, v int, primary key (a, b))")
    s.execute("insert into k values (1, 'x', 1), (1, 'y', 2)")
    e = err(s, "insert into k values (1, 'x', 3)")
    assert e.sqlstate == "23505"
    assert err(s, "insert into k values (null, 'x', 3)").sqlstate == "23502"


def test_alter_constraint_changes_a_foreign_keys_deferral(s):
    s.execute("create table pk (id int primary key)")
    s.execute("create table fk (id int primary key, p int references pk)")
    s.execute("insert into pk values (5)")
    s.execute("insert into fk values (1, 5)")
    q = "select condeferrable, condeferred from pg_constraint where conname = 'fk_p_fkey'"
    assert s.execute("alter table fk alter constraint fk_p_fkey deferrable initially immediate")[0].command_tag \
        == "ALTER TABLE"
    assert rows(s, q) == [(True, False)]
    s.execute("begin")
    assert err(s, "update pk set id = 10 where id = 5").sqlstate == "23503"  # immediate still
    s.execute("rollback")
    s.execute("begin")
    s.execute("set constraints all deferred")
    s.execute("update pk set id = 10 where id = 5")  # deferrable now: waits for COMMIT
    assert err(s, "commit").sqlstate == "23503"
    s.execute("alter table fk alter constraint fk_p_fkey deferrable initially deferred")
    assert rows(s, q) == [(True, True)]
    s.execute("alter table fk alter constraint fk_p_fkey not deferrable")  # both attributes are set
    assert rows(s, q) == [(False, False)]


def test_alter_constraint_refusals(s):
    s.execute("create table pk (id int primary key)")
    s.execute("create table fk (id int primary key, p int references pk)")
    e = err(s, "alter table fk alter constraint fk_p_fkey not deferrable initially deferred")
    assert (e.sqlstate, e.message) == ("42601", "constraint declared INITIALLY DEFERRED must be DEFERRABLE")
    assert err(s, "alter table fk alter constraint fk_p_fkey no inherit").sqlstate == "0A000"
    assert err(s, "alter table fk alter constraint fk_p_fkey not valid").sqlstate == "0A000"
    assert err(s, "alter table fk alter constraint fk_pkey deferrable").sqlstate == "42809"
    assert err(s, "alter table fk alter constraint nope deferrable").sqlstate == "42704"


def test_set_default_checks_the_parent_as_the_statement_leaves_it(s):
    s.execute("create table p (a int, b int, primary key (a, b))")
    s.execute("create table c (a int default 0, b int default -1, "
              "foreign key (a, b) references p on update set default)")
    s.execute("insert into p values (1, 2), (2, 3)")
    s.execute("insert into c values (1, 2), (2, 3)")
    assert err(s, "update p set b = 5 where b = 2").sqlstate == "23503"  # (0, -1) has no parent
    s.execute("update p set a = 0, b = -1 where b = 2")  # the default key is the updated row's new key
    assert sorted(rows(s, "select a, b from c")) == [(0, -1), (2, 3)]


def test_set_default_to_the_key_being_deleted_fails_on_the_parent(s):
    s.execute("create table p (f1 int primary key)")
    s.execute("create table c (f1 int default 0 references p on delete set default)")
    s.execute("insert into p values (0), (1), (2)")
    s.execute("insert into c values (2)")
    s.execute("delete from p where f1 = 2")
    assert rows(s, "select f1 from c") == [(0,)]
    e = err(s, "delete from p where f1 = 0")
    assert e.sqlstate == "23503" and e.message.startswith('update or delete on table "p"')
    assert rows(s, "select f1 from p order by f1") == [(0,), (1,)]


def test_on_delete_set_null_or_default_of_listed_columns(s):
    s.execute("create table p (tid int, id int, primary key (tid, id))")
    s.execute("create table c (tid int, id int, n int, d int default 0, "
              "foreign key (tid, n) references p on delete set null (n), "
              "foreign key (tid, d) references p on delete set default (d, d))")
    assert [r[0] for r in rows(s, "select pg_get_constraintdef(oid) from pg_constraint "
                                  "where conrelid = 'c'::regclass order by oid")] == [
        "FOREIGN KEY (tid, n) REFERENCES p(tid, id) ON DELETE SET NULL (n)",
        "FOREIGN KEY (tid, d) REFERENCES p(tid, id) ON DELETE SET DEFAULT (d)"]
    s.execute("insert into p values (1, 0), (1, 1), (1, 2)")
    s.execute("insert into c values (1, 1, 1, null), (1, 2, null, 2)")
    s.execute("delete from p where id = 1 or id = 2")
    assert rows(s, "select tid, id, n, d from c order by id") == [(1, 1, None, None), (1, 2, None, 0)]


def test_on_delete_set_column_list_refusals(s):
    s.execute("create table p (tid int, id int, primary key (tid, id))")
    assert err(s, "create table c (tid int, id int, foo int, foreign key (tid, id) references p "
                  "on delete set null (bar))").sqlstate == "42703"
    assert err(s, "create table c (tid int, id int, foo int, foreign key (tid, id) references p "
                  "on delete set null (foo))").sqlstate == "42P10"
    e = err(s, "create table c (tid int, foo int, foreign key (tid, foo) references p on update set null (foo))")
    assert e.sqlstate == "0A000" and "only supported for ON DELETE" in e.message


def test_restrict_fails_where_no_action_lets_another_row_take_the_key(s):
    for action, fails in (("no action", False), ("restrict", True)):
        s.execute("create table pp (f1 int primary key)")
        s.execute(f"create table cc (f1 int references pp on update {action})")
        s.execute("insert into pp values (13), (12)")
        s.execute("insert into cc values (13)")
        if fails:
            assert err(s, "update pp set f1 = f1 + 1").sqlstate == "23503"
        else:
            s.execute("update pp set f1 = f1 + 1")  # 12 becomes 13: the key is still there
        s.execute("drop table cc, pp")


def test_parent_violation_names_the_first_rows_key(s):
    s.execute("create table pk (a int primary key)")
    s.execute("create table fk (a int references pk)")
    s.execute("insert into pk values (100), (3)")
    s.execute("insert into fk values (3), (100)")
    assert "Key (a)=(100)" in err(s, "delete from pk").detail


def test_system_columns_in_foreign_keys(s):
    s.execute("create table pk (a int primary key)")
    assert err(s, "create table f (x int, foreign key (tableoid) references pk (a))").sqlstate == "42830"
    e = err(s, "create table f (x oid, foreign key (x) references pk (tableoid))")
    assert (e.sqlstate, e.message) == ("42830", "system columns cannot be used in foreign keys")


def test_unnamed_foreign_keys_get_postgres_names(s):
    long = "very_very_long_column_name_to_exceed_63_characters"
    s.execute("create table p1 (a int primary key)")
    s.execute("create table p2 (a int, b int, primary key (a, b))")
    s.execute(f"create table f (a int, {long} int, foreign key ({long}) references p1, "
              f"foreign key (a, {long}) references p2, foreign key (a, {long}) references p2)")
    s.execute("alter table f add foreign key (a) references p1")
    s.execute("alter table f add foreign key (a) references p1")
    got = [r[0] for r in rows(s, "select conname from pg_constraint where conrelid = 'f'::regclass order by conname")]
    assert got == ["f_a_fkey", "f_a_fkey1",
                   "f_a_very_very_long_column_name_to_exceed_63_characters_fkey",
                   "f_a_very_very_long_column_name_to_exceed_63_characters_fkey1",
                   "f_very_very_long_column_name_to_exceed_63_characters_fkey"]
    s.execute(f"create table fktable2 (a int, {long} int, foreign key ({long}) references p1, "
              f"foreign key (a, {long}) references p2, foreign key (a, {long}) references p2)")
    got = [r[0] for r in rows(s, "select conname from pg_constraint where conrelid = 'fktable2'::regclass "
                                 "order by conname")]
    assert got == ["fktable2_a_very_very_long_column_name_to_exceed_63_charac_fkey1",
                   "fktable2_a_very_very_long_column_name_to_exceed_63_charact_fkey",
                   "fktable2_very_very_long_column_name_to_exceed_63_character_fkey"]


def test_foreign_key_types_are_checked_for_inherited_columns_too(s):
    s.execute("create table base (b1 int not null, b2 int)")
    e = err(s, "create table t (p1 inet, p2 inet, primary key (b1, p1), foreign key (b2, p2) references t (p1, b1)) "
               "inherits (base)")
    assert (e.sqlstate, e.message) == ("42804", 'foreign key constraint "t_b2_p2_fkey" cannot be implemented')
    assert e.detail == 'Key columns "b2" and "p1" are of incompatible types: integer and inet.'
    s.execute("create table t (p1 inet, p2 inet, primary key (b1, p1), foreign key (b2, p2) references t (b1, p1)) "
              "inherits (base)")


def test_dropping_a_foreign_key_with_pending_deferred_checks_is_refused(s):
    s.execute("create table pk2 (f1 int primary key)")
    s.execute("create table fk2 (f1 int references pk2 deferrable initially deferred)")
    s.execute("insert into pk2 values (1)")
    s.execute("begin")
    s.execute("insert into fk2 values (2)")
    e = err(s, "alter table fk2 drop constraint fk2_f1_fkey")
    assert (e.sqlstate, e.message) == ("55006", 'cannot ALTER TABLE "fk2" because it has pending trigger events')
    s.execute("rollback")
    s.execute("begin")
    s.execute("delete from pk2 where f1 = 1")  # no row refers to it: the check is pending all the same
    e = err(s, "alter table fk2 drop constraint fk2_f1_fkey")
    assert (e.sqlstate, e.message) == ("55006", 'cannot ALTER TABLE "pk2" because it has pending trigger events')
    s.execute("rollback")
    s.execute("alter table fk2 drop constraint fk2_f1_fkey")  # nothing pending: fine


def test_partitions_take_their_parents_foreign_keys(s):
    """Created or attached later, or present when the key is added: each partition has the parent's
    foreign key under its name, so its rows are checked and the referenced table's actions reach them."""
    s.execute("create table pk (a int primary key)")
    s.execute("insert into pk values (1), (2)")
    s.execute("create table fk (a int references pk on delete cascade, n int) partition by list (n)")
    s.execute("create table fk1 partition of fk for values in (1)")
    assert err(s, "insert into fk values (7, 1)").sqlstate == "23503"
    s.execute("create table fk2 (a int, n int)")
    s.execute("insert into fk2 values (9, 2)")
    assert err(s, "alter table fk attach partition fk2 for values in (2)").sqlstate == "23503"  # its rows too
    s.execute("delete from fk2")
    s.execute("alter table fk attach partition fk2 for values in (2)")
    assert err(s, "insert into fk2 values (7, 2)").sqlstate == "23503"
    s.execute("insert into fk values (1, 1), (1, 2), (2, 2)")
    s.execute("delete from pk where a = 1")  # the cascade reaches the partitions
    assert rows(s, "select a, n from fk order by a, n") == [(2, 2)]
    got = rows(s, "select conname, conrelid::regclass::text from pg_constraint where contype = 'f' order by 2")
    assert got == [("fk_a_fkey", "fk"), ("fk_a_fkey", "fk1"), ("fk_a_fkey", "fk2")]
    s.execute("create table gk (a int, n int) partition by list (n)")
    s.execute("create table gk1 partition of gk for values in (1)")
    s.execute("insert into gk values (2, 1)")
    s.execute("alter table gk add foreign key (a) references pk")
    e = err(s, "delete from pk where a = 2")
    assert e.message == 'update or delete on table "pk" violates foreign key constraint "gk_a_fkey" on table "gk"'
    s.execute("alter table gk drop constraint gk_a_fkey")  # from the partitions too
    s.execute("insert into gk values (42, 1)")


def test_drop_a_referenced_table_with_a_partitioned_referencing_one(s):
    s.execute("create table pk (a int primary key)")
    s.execute("create table fk (a int references pk primary key) partition by range (a)")
    s.execute("create table fk1 partition of fk for values from (minvalue) to (maxvalue)")
    assert err(s, "drop table pk").sqlstate == "2BP01"
    s.execute("drop table pk, fk")


def test_a_partitions_cloned_foreign_key_in_pg_constraint(s):
    s.execute("create table pk (a int primary key)")
    s.execute("create table fk (a int references pk) partition by list (a)")
    s.execute("create table fk1 partition of fk for values in (1, 2)")
    got = rows(s, "select conname, conrelid::regclass::text, conparentid <> 0, conislocal, coninhcount "
                  "from pg_constraint where contype = 'f' order by 2")
    assert got == [("fk_a_fkey", "fk", False, True, 0), ("fk_a_fkey", "fk1", True, False, 1)]


def test_foreign_keys_that_reference_a_partitioned_table(s):
    """The referenced keys live in the partitions: found there by the check, and a delete or key
    update in a partition is held back (or cascades) by the keys that reference the partitioned table."""
    s.execute("create table pk (a int primary key) partition by range (a)")
    s.execute("create table pk1 partition of pk for values from (1) to (1000)")
    s.execute("create table pk2 partition of pk for values from (1000) to (2000)")
    s.execute("create table fk (a int references pk on update cascade) partition by range (a)")
    s.execute("create table fk1 partition of fk for values from (1) to (5000)")
    assert err(s, "insert into fk values (1)").sqlstate == "23503"
    s.execute("insert into pk values (1), (1000)")
    s.execute("insert into fk values (1), (1000)")
    e = err(s, "delete from pk where a = 1")
    assert (e.sqlstate, e.detail) == ("23503", 'Key (a)=(1) is still referenced from table "fk".')
    assert err(s, "delete from pk1").sqlstate == "23503"
    s.execute("update pk set a = 2 where a = 1")
    assert rows(s, "select a from fk order by a") == [(2,), (1000,)]


def test_self_referencing_actions_reach_the_rows_being_updated(s):
    s.execute("create table selfref (a int primary key, b int references selfref (a) on update cascade)")
    s.execute("insert into selfref values (0, 0), (1, 1)")
    s.execute("update selfref set a = 123 where a = 0")  # the row refers to itself: its b follows
    assert rows(s, "select a, b from selfref order by a") == [(1, 1), (123, 123)]
    s.execute("create table sr2 (a int primary key, b int references sr2 on update set null)")
    s.execute("insert into sr2 values (1, 1), (2, 1), (3, 2)")
    s.execute("update sr2 set a = a + 100")
    assert rows(s, "select a, b from sr2 order by a") == [(101, None), (102, None), (103, None)]
