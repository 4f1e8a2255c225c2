"""helios_core.parallel: pieces run with the caller's context variables, in order, inline when no
worker has taken them or the pool refuses new work, and their errors reach the caller."""

from __future__ import annotations

import contextvars
import threading

import pytest

from helios_core import parallel

_SETTING: contextvars.ContextVar[str] = contextvars.ContextVar("test_setting", default="unset")


def test_pieces_see_the_callers_context_and_come_back_in_order(monkeypatch):
    monkeypatch.setattr(parallel, "WORKERS", 2)
    token = _SETTING.set("Asia/Kolkata")
    try:
        out = parallel.map_in_parallel(lambda i: (i, _SETTING.get(), threading.current_thread().name), list(range(6)))
    finally:
        _SETTING.reset(token)
    assert [o[:2] for o in out] == [(i, "Asia/Kolkata") for i in range(6)]
    assert out[0][2] == threading.current_thread().name  # the first piece is the caller's own


def test_a_piece_not_yet_taken_is_done_by_the_asker(monkeypatch):
    monkeypatch.setattr(parallel, "WORKERS", 2)
    pool = parallel.executor()
    release = threading.Event()
    workers = pool._max_workers
    started = threading.Barrier(workers + 1)

    def hold():
        started.wait()
        release.wait(10)

    busy = [pool.submit(hold) for _ in range(workers)]  # every worker held
    started.wait()
    try:
        piece = parallel.start(lambda: threading.current_thread().name)
        assert piece.result() == threading.current_thread().name
    finally:
        release.set()
        for f in busy:
            f.result()


def test_errors_reach_the_caller_and_a_closed_pool_runs_inline(monkeypatch):
    monkeypatch.setattr(parallel, "WORKERS", 2)

    def boom():
        raise ValueError("from a piece")

    with pytest.raises(ValueError, match="from a piece"):
        parallel.start(boom).result()

    class Closed:
        def submit(self, fn):
            raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(parallel, "executor", lambda: Closed())
    assert parallel.start(lambda: 41 + 1).result() == 42
