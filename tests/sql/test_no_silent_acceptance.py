"""Statements that were once answered with a success tag while doing nothing: each now has its effect
or is refused as PostgreSQL refuses it. (tools/silent_acceptance.py finds such statements across the
whole postgres-regress corpus; this is the curated, fast list; tests/differential/test_pg_features.py
compares the same statements with PostgreSQL 15.)"""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create table parent (id int primary key)")
    yield session
    session.close()


def rows(s, sql: str) -> list[tuple]:
    return s.execute(sql)[-1].rows()


def sqlstate(s, sql: str) -> str:
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value.sqlstate


def test_initially_deferred_foreign_key_is_checked_at_commit(s):
    s.execute("create table child (id int, pid int references parent deferrable initially deferred)")
    s.execute("begin")
    s.execute("insert into child values (1, 5)")  # no parent yet: fine until COMMIT
    s.execute("insert into parent values (5)")
    s.execute("commit")
    s.execute("begin")
    s.execute("insert into child values (2, 6)")
    with pytest.raises(HeliosError) as ei:
        s.execute("commit")
    assert ei.value.sqlstate == "23503" and "child_pid_fkey" in ei.value.message
    assert s.transaction_status == "I"
    assert rows(s, "select id, pid from child") == [(1, 5)]  # the failed COMMIT rolled back
    s.execute("begin")
    s.execute("delete from parent where id = 5")  # a parent row still used: caught at COMMIT too
    assert sqlstate(s, "commit") == "23503"
    assert rows(s, "select id from parent") == [(5,)]


def test_set_constraints_defers_and_makes_immediate(s):
    s.execute("create table child (id int, pid int constraint child_fk references parent deferrable)")
    assert sqlstate(s, "insert into child values (1, 7)") == "23503"  # DEFERRABLE alone: still immediate
    s.execute("begin")
    s.execute("set constraints all deferred")
    s.execute("insert into child values (1, 7)")
    assert sqlstate(s, "set constraints child_fk immediate") == "23503"  # pending checks run now
    s.execute("rollback")
    s.execute("begin")
    s.execute("set constraints child_fk deferred")
    s.execute("insert into child values (1, 7)")
    s.execute("insert into parent values (7)")
    s.execute("commit")
    s.execute("begin")
    assert sqlstate(s, "set constraints parent_pkey deferred") == "42809"
    s.execute("rollback")
    s.execute("begin")
    assert sqlstate(s, "set constraints nosuch deferred") == "42704"
    s.execute("rollback")
    notices = s.execute("set constraints all deferred")[-1].notices  # outside a block: a WARNING
    assert [n.message for n in notices] == ["SET CONSTRAINTS can only be used in transaction blocks"]


def test_deferrable_primary_key_is_refused_and_deferrable_unique_is_deferred(s):
    assert sqlstate(s, "create table u (a int, primary key (a) deferrable)") == "0A000"
    s.execute("create table u (a int unique deferrable initially deferred)")
    s.execute("begin")
    s.execute("insert into u values (1), (1)")  # checked at COMMIT, not here
    assert sqlstate(s, "commit") == "23505"


def test_vacuum_and_analyze_check_their_targets_and_refresh_statistics(s):
    s.execute("insert into parent values (1), (2), (3)")
    assert rows(s, "select reltuples from pg_class where relname = 'parent'") == [(-1.0,)]
    assert sqlstate(s, "vacuum nosuch") == "42P01"
    assert sqlstate(s, "vacuum (nosuch_option) parent") == "42601"
    assert sqlstate(s, "analyze parent (nope)") == "42703"
    s.execute("begin")
    assert sqlstate(s, "vacuum parent") == "25001"
    s.execute("rollback")
    s.execute("vacuum parent")
    assert rows(s, "select reltuples from pg_class where relname = 'parent'") == [(3.0,)]
    s.execute("insert into parent values (4)")
    assert rows(s, "select vacuum_count, analyze_count, last_vacuum is not null from pg_stat_user_tables "
                   "where relname = 'parent'") == [(1, 0, True)]
    s.execute("analyze parent")
    assert rows(s, "select reltuples from pg_class where relname = 'parent'") == [(4.0,)]
    assert rows(s, "select analyze_count, last_analyze is not null, n_mod_since_analyze from pg_stat_user_tables "
                   "where relname = 'parent'") == [(1, True, 0)]
    s.execute("truncate parent")
    assert rows(s, "select reltuples from pg_class where relname = 'parent'") == [(-1.0,)]
    s.execute("create view v as select 1")
    notices = s.execute("analyze v")[-1].notices
    assert "cannot analyze non-tables" in notices[0].message


def test_reindex_checks_its_target(s):
    assert sqlstate(s, "reindex table nosuch") == "42P01"
    assert sqlstate(s, "reindex index nosuch") == "42P01"
    assert sqlstate(s, "reindex schema nosuch") == "3F000"
    assert sqlstate(s, "reindex database other_db") == "0A000"
    s.execute("begin")
    assert sqlstate(s, "reindex schema public") == "25001"
    s.execute("rollback")
    assert s.execute("reindex index parent_pkey")[-1].command_tag == "REINDEX"


def test_storage_parameters_tablespaces_and_unlogged_are_kept_or_refused(s):
    s.execute("create table tuned (a int) with (fillfactor = 70, autovacuum_enabled = false)")
    s.execute("alter table tuned set (fillfactor = 50)")
    assert rows(s, "select reloptions from pg_class where relname = 'tuned'") == [
        (["autovacuum_enabled=false", "fillfactor=50"],)]
    assert sqlstate(s, "create table t2 (a int) tablespace nosuch") == "42704"
    s.execute("create table t3 (a int) tablespace pg_default")
    s.execute("create unlogged table t4 (a int)")
    assert rows(s, "select relpersistence from pg_class where relname = 't4'") == [("u",)]


def test_planner_settings_are_kept_checked_and_reset(s):
    """SET enable_hashagg / max_parallel_workers_per_gather ... (regression scripts set them around queries)."""
    s.execute("set enable_hashagg = false")
    s.execute("set min_parallel_table_scan_size = '1kB'")
    assert rows(s, "show enable_hashagg") == [("off",)]
    assert rows(s, "select current_setting('min_parallel_table_scan_size')") == [("1kB",)]
    assert sqlstate(s, "set enable_sort = maybe") == "22023"
    assert sqlstate(s, "set parallel_setup_cost = 'cheap'") == "22023"
    assert sqlstate(s, "set constraint_exclusion = sometimes") == "22023"
    s.execute("reset all")
    assert rows(s, "show enable_hashagg") == [("on",)]


def test_create_table_clauses_not_built_are_refused(s):
    """INHERITS once made a table without the parent's columns (now it takes them: 42P01 without a
    parent); USING other than heap was ignored."""
    assert sqlstate(s, "create table kid () inherits (no_such_parent)") == "42P01"
    assert sqlstate(s, "create table t5 (a int) using brin") == "42809"
    assert sqlstate(s, "create table t6 (a int) using nosuch_am") == "42704"
    s.execute("create table t7 (a int) using heap")
