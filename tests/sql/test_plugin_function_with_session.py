"""A plugin's SQL function may run statements inside the calling one (SqlFunction(with_session=True)).

They belong to the caller's transaction: a ROLLBACK takes them back, a COMMIT keeps them, and
the function runs each time the statement does (never folded at plan time, even prepared).
"""

from __future__ import annotations

import pyarrow as pa
import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_core.sql.functions import register_function


def _log_value(args: list[pa.Array], session) -> pa.Array:
    out = []
    insert = session.prepare("insert into helios_test_log values ($1)", param_types=["bigint"])
    for value in args[0].to_pylist():
        session.execute_prepared(insert, [value])
        out.append(session.execute("select count(*) from helios_test_log")[0].rows()[0][0])
    return pa.array(out, pa.int64())


@pytest.fixture
def session():
    register_function(SqlFunction(name="helios_test.log_value", impl=_log_value, return_type="bigint",
                                  with_session=True))
    s = helios_core.connect()
    s.execute("create table helios_test_log (v bigint primary key)")
    return s


def test_statements_belong_to_the_callers_transaction(session):
    session.execute("begin")
    assert session.execute("select helios_test.log_value(1)")[0].rows() == [(1,)]
    session.execute("rollback")
    assert session.execute("select count(*) from helios_test_log")[0].rows() == [(0,)]
    session.execute("begin")
    session.execute("select helios_test.log_value(2)")
    session.execute("commit")
    assert session.execute("select v from helios_test_log")[0].rows() == [(2,)]


def test_runs_every_time_and_an_error_fails_the_caller(session):
    stmt = session.prepare("select helios_test.log_value(10 + 1)")
    assert session.execute_prepared(stmt, []).rows() == [(1,)]
    with pytest.raises(HeliosError) as info:  # the same value again: the function ran again
        session.execute_prepared(stmt, [])
    assert info.value.sqlstate == "23505"
    assert session.transaction_state == "idle"
    assert session.execute("select helios_test.log_value(v + 100) from helios_test_log")[0].rows() == [(2,)]
