"""Prepared point writes over the wire (psycopg, server-side prepared statements): row-lock waits,
READ COMMITTED's re-read of the newest version, REPEATABLE READ's 40001, and a commit that
survives a SIGKILL of the server right after it was acknowledged."""

from __future__ import annotations

import signal
import threading
import time

import psycopg
import pytest

from helios_core.testing import start_server

SETUP_SQL = ["create table acc (aid int primary key, bid int, abalance int, note text)",
             "insert into acc select g, 1, 0, 'n' from generate_series(1, 10) g"]
UPDATE = "update acc set abalance = abalance + %s where aid = %s"


def _balance(conn: psycopg.Connection, aid: int) -> int:
    return conn.execute("select abalance from acc where aid = %s", [aid]).fetchone()[0]


def _blocked_update(server, aid: int, delta: int, isolation: str, done: threading.Event, out: list) -> None:
    """Another client's prepared UPDATE of the same row, in its own transaction (run in a thread)."""
    try:
        with psycopg.connect(server.pg_dsn()) as c:
            c.execute(f"set transaction isolation level {isolation}")
            c.execute("select abalance from acc where aid = %s", [aid]).fetchone()  # the snapshot (RR keeps it)
            out.append(("snapshot", None))
            while len(out) < 2:  # the first transaction has its update in by now
                time.sleep(0.01)
            cur = c.execute(UPDATE + " returning abalance", [delta, aid], prepare=True)
            out.append(("updated", cur.fetchone()[0]))
            c.commit()
    except psycopg.Error as e:
        out.append(("error", e.sqlstate))
    finally:
        done.set()


@pytest.mark.parametrize("isolation", ["read committed", "repeatable read"])
def test_second_writer_waits_then_sees_the_new_value_or_fails(server, isolation):
    aid = 3 if isolation == "read committed" else 4
    with psycopg.connect(server.pg_dsn()) as first:
        for _ in range(6):  # past psycopg's prepare threshold and the engine's first (planning) run
            first.execute(UPDATE, [0, aid], prepare=True)
        first.commit()
        start = _balance(first, aid)
        first.commit()
        done, out = threading.Event(), []
        other = threading.Thread(target=_blocked_update, args=(server, aid, 5, isolation, done, out))
        other.start()
        while not out:
            time.sleep(0.01)
        first.execute(UPDATE, [100, aid], prepare=True)
        out.append(("first updated", None))
        assert not done.wait(0.5), f"the second UPDATE did not wait for the row lock: {out}"
        first.commit()
        assert done.wait(20)
        other.join(5)
        if isolation == "read committed":
            assert out[-1] == ("updated", start + 105)  # re-read the committed version, then added
            assert _balance(first, aid) == start + 105
        else:
            assert out[-1] == ("error", "40001")
            assert _balance(first, aid) == start + 100


def test_committed_point_writes_survive_sigkill(server, tmp_path):
    """Last in this module: it kills the module's server and recovers its data directory."""
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        c.execute("create table t (id int primary key, v int, note text)")
        c.execute("insert into t select g, 0, 'x' from generate_series(1, 5) g")
        for i in range(8):
            c.execute("update t set v = v + %s where id = %s", [i, 1], prepare=True)
            c.execute("insert into t (id, v, note) values (%s, %s, %s)", [100 + i, i, "new"], prepare=True)
            c.execute("delete from t where id = %s", [2 + i % 4], prepare=True)
    server.stop(signal.SIGKILL)
    again = start_server(tmp_path, only=["postgres"], data_dir=server.data_dir)
    try:
        with psycopg.connect(again.pg_dsn(), autocommit=True) as c:
            rows = c.execute("select id, v, note from t order by id").fetchall()
        assert rows == [(1, 28, "x")] + [(100 + i, i, "new") for i in range(8)]
    finally:
        again.stop()
