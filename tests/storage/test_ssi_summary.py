"""SSI keeps bounded memory: committed serializable transactions that a long-running one
overlaps are summarized past a limit, and the summary still catches the dangerous structure."""

from __future__ import annotations

import pytest

from helios_core.engine import Engine
from helios_core.errors import HeliosError


@pytest.mark.parametrize("limit", [4096, 8])
def test_cycle_through_summarized_transactions_is_caught(limit):
    engine = Engine.open(None)
    try:
        ssi = engine.store.ssi
        ssi.max_committed = limit
        setup, long_txn, worker = engine.connect(), engine.connect(), engine.connect()
        setup.execute("create table x (id int primary key, v int); create table y (id int primary key, v int)")
        setup.execute("insert into x values (1, 0); insert into y values (1, 0)")
        long_txn.execute("begin isolation level serializable")
        long_txn.execute("select * from x")  # T reads x ...
        for i in range(60):  # ... each W reads y and writes x (T ->rw W), then commits
            worker.execute("begin isolation level serializable")
            worker.execute("select count(*) from y")
            worker.execute(f"update x set v = {i} where id = 1")
            worker.execute("commit")
        assert len(ssi.committed) <= limit
        with pytest.raises(HeliosError) as ei:  # T writes y, which the committed Ws read: W ->rw T ->rw W
            long_txn.execute("update y set v = 1 where id = 1")
        assert ei.value.sqlstate == "40001"
        assert ei.value.detail == "Reason code: Canceled on identification as a pivot, during write."
        long_txn.execute("rollback")
        assert not ssi.active and not ssi.committed and not ssi.targets  # all released once nothing runs
    finally:
        engine.close()


def test_no_tracking_below_serializable():
    engine = Engine.open(None)
    try:
        a = engine.connect()
        a.execute("create table t (id int primary key)")
        a.execute("begin isolation level repeatable read; select * from t; insert into t values (1)")
        assert not engine.store.ssi.active and not engine.store.ssi.targets
        a.execute("commit")
    finally:
        engine.close()
