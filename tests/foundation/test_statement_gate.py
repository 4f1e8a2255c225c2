"""Statements take turns on the interpreter (helios_core.statement_gate): one at a time, in
arrival order; a statement that waits (a row lock, the client) lets the next one run; one that
keeps the turn too long without handing it over only delays the others, never blocks them."""

from __future__ import annotations

import threading
import time

import pytest

import helios_core
from helios_core import statement_gate as gate


@pytest.fixture(autouse=True)
def _enabled():
    gate.configure(True)
    yield
    gate.configure(True)


def _in_turn() -> bool:
    return gate._state()[1]


def _start(target, *args) -> threading.Thread:
    t = threading.Thread(target=target, args=args, daemon=True)
    t.start()
    return t


def test_one_statement_at_a_time_in_arrival_order():
    events: list[tuple[str, int]] = []
    lock = threading.Lock()
    first_in = threading.Event()

    def statement(k: int) -> None:
        with gate.running():
            with lock:
                events.append(("start", k))
            first_in.set()
            time.sleep(0.01)
            with lock:
                events.append(("end", k))

    threads = [_start(statement, 0)]
    first_in.wait(5)
    for k in range(1, 5):  # each queues while the first holds the turn
        threads.append(_start(statement, k))
        deadline = time.monotonic() + 5
        while len(gate._GATE.queue) < k and time.monotonic() < deadline:
            time.sleep(0.001)
    for t in threads:
        t.join(10)
    assert events == [(what, k) for k in range(5) for what in ("start", "end")]


def test_nested_statements_keep_their_turn():
    with gate.running():
        assert _in_turn()
        with gate.running():  # a function running SQL, a trigger
            assert _in_turn()
        assert _in_turn()
    assert not _in_turn()
    assert gate._GATE.owner is None


def test_a_waiting_statement_lets_the_next_one_run_and_takes_its_turn_back():
    released, resumed = threading.Event(), threading.Event()
    took_back: list[bool] = []

    def waiter() -> None:
        with gate.running():
            with gate.waiting():
                released.wait(10)
            gate.take_turn()  # the statement's next cancellation check
            took_back.append(_in_turn())
            resumed.set()

    t = _start(waiter)
    deadline = time.monotonic() + 5
    while gate._GATE.owner is not None or not t.is_alive():
        assert time.monotonic() < deadline
        time.sleep(0.001)
    started = time.monotonic()
    with gate.running():
        assert _in_turn()  # given, not given up on after PATIENCE
        assert time.monotonic() - started < gate.PATIENCE
        released.set()
    resumed.wait(10)
    t.join(10)
    assert took_back == [True]


def test_a_statement_holding_the_turn_too_long_only_delays_the_others():
    holding, done = threading.Event(), threading.Event()

    def stuck() -> None:
        with gate.running():
            holding.set()
            done.wait(10)  # waits without saying so (no gate.waiting())

    t = _start(stuck)
    holding.wait(5)
    started = time.monotonic()
    with gate.running():
        waited = time.monotonic() - started
        assert not _in_turn()  # ran anyway, outside the turns
    done.set()
    t.join(10)
    assert gate.PATIENCE * 0.9 <= waited < 5


def test_a_long_statement_lets_the_waiting_go_first_at_its_checks():
    order: list[str] = []
    long_in = threading.Event()

    def long_statement() -> None:
        with gate.running():
            long_in.set()
            deadline = time.monotonic() + 5
            while not gate._GATE.queue and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(gate.TURN * 1.5)
            gate.take_turn()  # between batches
            order.append("long resumed")

    t = _start(long_statement)
    long_in.wait(5)
    with gate.running():
        order.append("short")
    t.join(10)
    assert order == ["short", "long resumed"]


def test_switched_off_statements_run_together():
    gate.configure(False)
    inside = threading.Barrier(2, timeout=5)

    def statement() -> None:
        with gate.running():
            inside.wait()  # both inside at once, or the barrier breaks

    threads = [_start(statement) for _ in range(2)]
    for t in threads:
        t.join(10)
    assert not inside.broken


def test_a_row_lock_wait_gives_the_turn_away(tmp_path):
    """A statement blocked on another transaction's row lock does not hold the turn: the
    transaction it waits for can commit in its own turn at once."""
    engine_session = helios_core.connect(str(tmp_path / "data"))
    a = engine_session
    b = a.engine.connect(user="helios", database="helios", branch="main")
    try:
        a.execute("create table t (id int primary key, v int)")
        a.execute("insert into t values (1, 0)")
        a.execute("begin")
        a.execute("update t set v = v + 1 where id = 1")
        finished = threading.Event()

        def blocked_update() -> None:
            with gate.running():
                b.execute("update t set v = v + 10 where id = 1")
            finished.set()

        t = _start(blocked_update)
        time.sleep(0.3)  # b is now waiting for a's row lock
        assert not finished.is_set()
        started = time.monotonic()
        with gate.running():
            assert _in_turn()  # b gave its turn away while it waits
            assert time.monotonic() - started < gate.PATIENCE
            a.execute("commit")
        assert finished.wait(10)
        t.join(10)
        assert a.execute("select v from t")[0].rows() == [(11,)]
    finally:
        b.close()
        a.close()
