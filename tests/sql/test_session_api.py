"""The session API as a protocol plugin sees it: neutral results, streaming, trees, dialects."""

from __future__ import annotations

import threading
import time

import pytest
import sqlglot
from sqlglot import exp

import helios_core
from helios_core.errors import HeliosError
from helios_core.session import ResultStream


@pytest.fixture
def s():
    session = helios_core.connect()
    yield session
    session.engine.close()


def test_results_carry_kind_and_row_count(s):
    created, inserted, updated, selected = s.execute(
        "create table t (id int primary key, v text not null); insert into t values (1, 'a'), (2, 'b');"
        "update t set v = 'c' where id = 2; select id, v, id::numeric(10,2) as n from t order by id")
    assert (created.kind, created.row_count) == ("CREATE TABLE", None)
    assert (inserted.kind, inserted.row_count) == ("INSERT", 2)
    assert (updated.kind, updated.row_count) == ("UPDATE", 1)
    assert (selected.kind, selected.row_count) == ("SELECT", 2)
    assert [(c.name, c.sql_type) for c in selected.columns] == [
        ("id", "integer"), ("v", "text"), ("n", "numeric(10,2)")]
    assert selected.rows() == [(1, "a", 1), (2, "c", 2)]
    assert s.transaction_state == "idle"


def test_stream_yields_the_first_batch_before_the_result_exists(s):
    """Two billion rows would not fit in memory: only lazy production can answer this quickly."""
    started = time.perf_counter()
    results = s.stream("select g, g * 2 as twice from generate_series(1, 2000000000) g where g % 2 = 0")
    result = next(results)
    assert isinstance(result.batches, ResultStream)
    first = next(result.batches)
    assert first.num_rows > 0 and first.column(0)[0].as_py() == 2
    assert time.perf_counter() - started < 20
    assert result.row_count == first.num_rows  # counted as rows pass
    result.batches.close()
    assert s.transaction_state == "idle"
    assert s.execute("select 1")[0].rows() == [(1,)]


def test_stream_runs_statements_one_after_another(s):
    s.execute("create table t (a int)")
    results = s.stream("insert into t select g from generate_series(1, 300000) g; select a from t where a > 10;"
                       "select count(*) from t")
    ins = next(results)
    assert (ins.kind, ins.row_count) == ("INSERT", 300000)
    sel = next(results)
    seen = 0
    for batch in sel.batches:
        seen += batch.num_rows
    assert seen == sel.row_count == 299990
    count = next(results)
    assert count.rows() == [(300000,)]
    assert list(results) == []
    other = s.engine.connect()
    assert other.execute("select count(*) from t")[0].rows() == [(300000,)]  # committed at the end
    other.close()


def test_reading_the_next_result_finishes_the_previous_one(s):
    results = s.stream("select g from generate_series(1, 400000) g; select 2")
    first = next(results)
    second = next(results)  # first never read: produced and counted before the next runs
    assert first.row_count == 400000 and first.batches.done
    assert second.rows() == [(2,)]


def test_error_while_streaming_is_raised_from_the_iteration(s):
    result = next(s.stream("select 1 / (g - 200000) from generate_series(1, 400000) g"))
    with pytest.raises(HeliosError) as err:
        for _ in result.batches:
            pass
    assert err.value.sqlstate == "22012"
    assert s.transaction_state == "idle"
    assert s.execute("select 3")[0].rows() == [(3,)]


def test_streaming_inside_a_transaction_block(s):
    s.execute("begin")
    result = s.execute_prepared(s.prepare("select g from generate_series(1, $1) g", param_types=["integer"]),
                                [300000], stream=True)
    assert sum(b.num_rows for b in result.batches) == 300000 and result.row_count == 300000
    assert s.transaction_state == "in_transaction"
    s.execute("commit")
    assert s.transaction_state == "idle"


def test_cancel_stops_a_stream(s):
    result = s.execute_tree(sqlglot.parse_one("select g from generate_series(1, 2000000000) g"), stream=True)
    next(result.batches)
    threading.Thread(target=s.cancel).start()
    time.sleep(0.2)
    with pytest.raises(HeliosError) as err:
        for _ in result.batches:
            pass
    assert err.value.sqlstate == "57014"
    assert s.execute("select 4")[0].rows() == [(4,)]


def test_execute_tree_binds_parameters_without_sql_text(s):
    s.execute("create table people (id int, name text); insert into people values (1, 'ann'), (2, 'bob')")
    tree = exp.select("name").from_("people").where(
        exp.column("id").eq(exp.Parameter(this=exp.Literal.number(1))))
    result = s.execute_tree(tree, [2])
    assert (result.kind, result.rows()) == ("SELECT", [("bob",)])
    stmt = s.prepare_tree(tree, ["integer"])
    assert stmt.param_types == ["integer"] and [c.sql_type for c in stmt.columns] == ["text"]
    assert s.execute_prepared(stmt, [1]).rows() == [("ann",)]
    insert = exp.insert(exp.values([(exp.Literal.number(3), exp.Literal.string("cy"))]), "people")
    assert s.execute_tree(insert).row_count == 1


def test_unknown_dialect_is_refused(s):
    with pytest.raises(HeliosError) as err:
        s.execute("select 1", dialect="no_such_dialect")
    assert err.value.sqlstate == "0A000" and "no_such_dialect" in err.value.message
