"""INSERT ... ON CONFLICT DO UPDATE under READ COMMITTED when another transaction updates the
conflicting row first: PostgreSQL waits for it and updates the newest version (no error);
REPEATABLE READ cannot see that version and fails with 40001."""

from __future__ import annotations

import threading
import time

import pytest

from helios_core.engine import Engine
from helios_core.errors import HeliosError

UPSERT = "INSERT INTO ctr VALUES (1, 1) ON CONFLICT (k) DO UPDATE SET n = ctr.n + excluded.n RETURNING n"


@pytest.fixture
def engine():
    e = Engine.open(None)
    s = e.connect(user="helios", database="helios", branch="main")
    s.execute("CREATE TABLE ctr (k int PRIMARY KEY, n bigint)")
    s.execute("INSERT INTO ctr VALUES (1, 10)")
    yield e
    e.close()


def _session(engine):
    return engine.connect(user="helios", database="helios", branch="main")


def _waiting(engine, n: int) -> None:
    """Until ``n`` transactions wait for a row lock (polled, not slept for a fixed time)."""
    store = engine.store
    for _ in range(2000):
        if sum(1 for t in list(store.active.values()) if t.waiting_for is not None) >= n:
            return
        time.sleep(0.005)
    raise AssertionError("nobody waited")


def _run_after(engine, first_sql: str, isolation: str) -> tuple[object, object]:
    first, second = _session(engine), _session(engine)
    first.execute("BEGIN")
    first.execute(first_sql)
    second.execute(f"BEGIN ISOLATION LEVEL {isolation}")
    second.execute("SELECT n FROM ctr")  # its snapshot (REPEATABLE READ keeps it)
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["rows"] = second.execute(UPSERT)[-1].rows()
            second.execute("COMMIT")
        except HeliosError as e:
            out["error"] = e.sqlstate
            second.execute("ROLLBACK")

    t = threading.Thread(target=run)
    t.start()
    _waiting(engine, 1)
    first.execute("COMMIT")
    t.join(30)
    final = _session(engine).execute("SELECT n FROM ctr WHERE k = 1")[-1].rows()
    return out, final


@pytest.mark.parametrize("first_sql", [UPSERT, "UPDATE ctr SET n = n + 1 WHERE k = 1"])
def test_read_committed_upsert_updates_the_newest_version(engine, first_sql):
    out, final = _run_after(engine, first_sql, "READ COMMITTED")
    assert "error" not in out
    assert out["rows"] == [(12,)]
    assert final == [(12,)]


def test_repeatable_read_upsert_fails_on_a_concurrent_update(engine):
    out, final = _run_after(engine, "UPDATE ctr SET n = n + 1 WHERE k = 1", "REPEATABLE READ")
    assert out == {"error": "40001"}
    assert final == [(11,)]
