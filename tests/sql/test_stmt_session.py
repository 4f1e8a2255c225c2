"""Session behaviour as PostgreSQL shows it: results, settings, errors, transaction status, cancel."""

from __future__ import annotations

import threading

import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.frontends.postgres.dialect import parse


@pytest.fixture
def s():
    session = helios_core.connect()
    yield session
    session.close()


def err(s, sql: str) -> HeliosError:
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value


def test_select_one_result_shape(s):
    (r,) = s.execute("select 1")
    assert r.command_tag == "SELECT 1"
    assert r.rows() == [(1,)]
    col = r.columns[0]
    assert (col.name, col.type_oid, col.type_name, col.type_size) == ("?column?", 23, "integer", 4)


def test_several_statements_and_empty_query(s):
    rs = s.execute("select 1; select 'a' as x; ")
    assert [r.command_tag for r in rs] == ["SELECT 1", "SELECT 1"]
    assert rs[1].columns[0].name == "x" and rs[1].columns[0].type_oid == 25
    assert [r.command_tag for r in s.execute("  ")] == ["EMPTY"]


def test_syntax_error_has_sqlstate_and_position(s):
    e = err(s, "select 1; select * fromm t")
    assert e.sqlstate == "42601"
    assert e.position is not None and 10 < e.position <= len("select 1; select * fromm t")
    e = err(s, "selec 1")
    assert (e.sqlstate, e.position) == ("42601", 1)
    e = err(s, "select 'abc")
    assert e.sqlstate == "42601"


def test_nothing_runs_when_a_later_statement_has_a_syntax_error(s):
    s.execute("create table t (a int)")
    err(s, "insert into t values (1); selec 2")
    assert s.execute("select count(*) from t")[0].rows() == [(0,)]


def test_error_carries_results_of_earlier_statements(s):
    e = err(s, "select 1; select 1/0; select 2")
    assert e.sqlstate == "22012"
    assert [r.command_tag for r in e.partial_results] == ["SELECT 1"]


def test_implicit_transaction_of_a_query_string_rolls_back_on_error(s):
    s.execute("create table t (a int)")
    err(s, "insert into t values (1); select 1/0")
    assert s.execute("select count(*) from t")[0].rows() == [(0,)]


def test_show_defaults_like_postgresql(s):
    def show(name):
        r = s.execute(f"show {name}")[0]
        return r.columns[0].name, r.rows()[0][0]

    assert show("server_version") == ("server_version", "15.18")
    assert show("datestyle") == ("DateStyle", "ISO, MDY")
    assert show("TimeZone") == ("TimeZone", "UTC")
    assert show("client_encoding") == ("client_encoding", "UTF8")
    assert show("standard_conforming_strings") == ("standard_conforming_strings", "on")
    assert show("search_path") == ("search_path", '"$user", public')
    assert show("transaction isolation level") == ("transaction_isolation", "read committed")
    assert show("heliosdb.branch") == ("heliosdb.branch", "main")
    assert s.execute("show all")[0].columns[0].name == "name"


def test_set_show_reset(s):
    assert s.execute("set application_name = 'app1'")[0].command_tag == "SET"
    assert s.execute("show application_name")[0].rows() == [("app1",)]
    s.execute("set statement_timeout to 1000")
    assert s.execute("show statement_timeout")[0].rows() == [("1s",)]
    s.execute("set time zone 'Europe/Paris'")
    assert s.settings["timezone"] == "Europe/Paris"
    assert s.execute("reset timezone")[0].command_tag == "RESET"
    assert s.execute("show timezone")[0].rows() == [("UTC",)]
    s.execute("set myapp.tenant = 'acme'")
    assert s.execute("select current_setting('myapp.tenant')")[0].rows() == [("acme",)]
    s.execute("reset all")
    assert s.execute("show application_name")[0].rows() == [("",)]


def test_setting_errors(s):
    assert err(s, "set no_such_setting = 1").sqlstate == "42704"
    assert err(s, "show no_such_setting").sqlstate == "42704"
    assert err(s, "set statement_timeout = 'soon'").sqlstate == "22023"
    assert err(s, "set server_version = '1'").sqlstate == "55P02"
    assert err(s, "set standard_conforming_strings = maybe").sqlstate == "22023"


def test_set_config_and_current_setting(s):
    r = s.execute("select set_config('application_name', 'x1', false), current_setting('application_name')")
    assert r[0].rows() == [("x1", "x1")]
    assert s.current_setting("nope.nothing", missing_ok=True) is None


def test_settings_roll_back_with_the_block_and_set_local_ends_with_it(s):
    s.execute("begin")
    s.execute("set application_name = 'inside'")
    s.execute("rollback")
    assert s.execute("show application_name")[0].rows() == [("",)]
    s.execute("begin; set local application_name = 'loc'")
    assert s.execute("show application_name")[0].rows() == [("loc",)]
    s.execute("commit")
    assert s.execute("show application_name")[0].rows() == [("",)]


def test_transaction_status_and_failed_block(s):
    assert s.transaction_status == "I"
    assert s.execute("begin")[0].command_tag == "BEGIN"
    assert s.transaction_status == "T"
    assert err(s, "select 1/0").sqlstate == "22012"
    assert s.transaction_status == "E"
    assert err(s, "select 1").sqlstate == "25P02"
    assert s.execute("commit")[0].command_tag == "ROLLBACK"
    assert s.transaction_status == "I"
    s.execute("start transaction isolation level repeatable read")
    assert s.execute("show transaction_isolation")[0].rows() == [("repeatable read",)]
    assert s.execute("end")[0].command_tag == "COMMIT"
    (warning,) = s.execute("abort")[0].notices  # a WARNING, as PostgreSQL sends it
    assert (warning.severity, warning.sqlstate, warning.message) == (
        "WARNING", "25P01", "there is no transaction in progress")


def test_commit_and_rollback_of_data(s):
    s.execute("create table t (a int)")
    s.execute("begin; insert into t values (1)")
    s.execute("rollback")
    s.execute("begin; insert into t values (2); commit")
    assert s.execute("select a from t")[0].rows() == [(2,)]


def test_savepoint_outside_block_is_an_error(s):
    assert err(s, "savepoint a").sqlstate == "25P01"


def test_savepoints(s):
    s.execute("create table t (a int primary key)")
    tags = [r.command_tag for r in s.execute(
        "begin; insert into t values (1); savepoint a; insert into t values (2); rollback to a; "
        "insert into t values (3); release savepoint a; commit")]
    assert tags == ["BEGIN", "INSERT 0 1", "SAVEPOINT", "INSERT 0 1", "ROLLBACK", "INSERT 0 1", "RELEASE",
                    "COMMIT"]
    assert s.execute("select a from t order by a")[0].rows() == [(1,), (3,)]
    s.execute("begin; insert into t values (10); savepoint x; set application_name = 'sp'")
    assert err(s, "insert into t values (10)").sqlstate == "23505"
    assert s.transaction_status == "E"
    s.execute("rollback to savepoint x")  # leaves the failed state; settings since x are undone
    assert s.transaction_status == "T"
    assert s.execute("show application_name")[0].rows() == [("",)]
    assert err(s, "release nope").sqlstate == "3B001"
    s.execute("rollback")
    s.execute("begin; insert into t values (11); commit")
    assert s.execute("select a from t order by a")[0].rows() == [(1,), (3,), (11,)]


def test_statement_timeout_cancels(s):
    s.execute("set statement_timeout = '100ms'")
    assert err(s, "select pg_sleep(3)").sqlstate == "57014"
    s.execute("reset statement_timeout")
    assert s.execute("select 1")[0].rows() == [(1,)]


def test_cancel_from_another_thread(s):
    timer = threading.Timer(0.2, s.cancel)
    timer.start()
    try:
        e = err(s, "select pg_sleep(3)")
    finally:
        timer.cancel()
    assert e.sqlstate == "57014"
    s.cancel()  # idle: no effect on the next statement
    assert s.execute("select 2")[0].rows() == [(2,)]


def test_utility_statements_parse():
    kinds = [st.ast.kind for st in parse(
        "begin; savepoint a; release a; rollback to savepoint a; discard all; copy t to stdout")]
    assert kinds == ["begin", "savepoint", "release", "rollback_to", "discard", "copy"]


def test_branch_statements_are_sqlglot_expressions():
    """HeliosDB's own statements parse into expression classes of the dialect, like any other."""
    from helios_core.frontends.postgres import branch_syntax

    create, alter, merge, drop = (st.ast for st in parse(
        "create branch B from main at timestamp now() - interval '1 hour'; "
        "alter branch b set max_connections = 20, max_memory to '2GB'; "
        "merge branch b into main with (on_conflict = 'ours'); drop branch if exists b"))
    assert isinstance(create, branch_syntax.CreateBranch) and create.this.name == "b"
    assert create.args["parent"].name == "main"
    assert branch_syntax.timestamp_of(create) == (None, "CURRENT_TIMESTAMP - INTERVAL '1 hour'")
    assert branch_syntax.option_values(alter) == {"max_connections": "20", "max_memory": "2GB"}
    assert (merge.this.name, merge.args["target"].name) == ("b", "main")
    assert branch_syntax.option_values(merge) == {"on_conflict": "ours"}
    assert isinstance(drop, branch_syntax.DropBranch) and drop.args["exists"]


def test_discard_all_resets_session(s):
    s.execute("set application_name = 'z'; prepare p as select 1")
    assert s.execute("discard all")[0].command_tag == "DISCARD ALL"
    assert s.execute("show application_name")[0].rows() == [("",)]
    assert err(s, "execute p").sqlstate == "26000"
    s.execute("begin")
    assert err(s, "discard all").sqlstate == "25001"


def test_commit_and_chain_keeps_a_block_open(s):
    s.execute("create table t (a int)")
    s.execute("begin isolation level repeatable read; insert into t values (1)")
    assert s.execute("commit and chain")[0].command_tag == "COMMIT"
    assert s.transaction_status == "T"
    assert s.execute("show transaction_isolation")[0].rows() == [("repeatable read",)]
    s.execute("insert into t values (2); rollback and chain")
    assert s.transaction_status == "T"
    s.execute("commit")
    assert s.execute("select a from t")[0].rows() == [(1,)]
    assert err(s, "commit and chain").sqlstate == "25P01"


@pytest.mark.parametrize(("value", "shown", "rendered"), [
    ("'-08'", "<-08>+08", "2019-12-31 16:00:00-08"),     # a plain number: hours east (ISO), as SET TIME ZONE -8
    ("'+5.5'", "<+05:30>-05:30", "2020-01-01 05:30:00+05:30"),
    ("-8", "<-08>+08", "2019-12-31 16:00:00-08"),
    ("'UTC+8'", "UTC+8", "2019-12-31 16:00:00-08"),       # POSIX: hours west
    ("'+05:30'", "+05:30", "2019-12-31 18:30:00-05:30"),
])
def test_numeric_time_zone_strings_are_read_as_postgresql_reads_them(value, shown, rendered) -> None:
    s = helios_core.connect()
    s.execute(f"set timezone to {value}")
    row = s.execute("select current_setting('timezone'), '2020-01-01 00:00+00'::timestamptz::text")[-1].rows()[0]
    assert row == (shown, rendered)
