"""Transaction-level advisory locks (pg_advisory_xact_lock and friends) with psycopg against a real server."""

from __future__ import annotations

import psycopg


def _connect(pg_server) -> psycopg.Connection:
    return psycopg.connect(pg_server.pg_dsn(), autocommit=True)


def _advisory_rows(conn) -> list[tuple]:
    return conn.execute("select classid, objid, objsubid, mode from pg_locks where locktype = 'advisory' "
                        "and pid = pg_backend_pid() order by classid, objid, objsubid, mode").fetchall()


def test_xact_locks_last_until_the_transaction_ends(pg_server) -> None:
    with _connect(pg_server) as a, _connect(pg_server) as b:
        with a.transaction():
            a.execute("select pg_advisory_xact_lock(41), pg_advisory_xact_lock_shared(1, 2)")
            assert _advisory_rows(a) == [(0, 41, 1, "ExclusiveLock"), (1, 2, 2, "ShareLock")]
            assert b.execute("select pg_try_advisory_xact_lock(41)").fetchone() == (False,)
            assert b.execute("select pg_try_advisory_lock_shared(1, 2)").fetchone() == (True,)  # shared with shared
            b.execute("select pg_advisory_unlock_shared(1, 2)")
            # neither unlock_all nor unlock touches a transaction-level lock
            a.execute("select pg_advisory_unlock_all()")
            cur = a.execute("select pg_advisory_unlock(41)")
            assert cur.fetchone() == (False,)
            assert len(_advisory_rows(a)) == 2
        assert _advisory_rows(a) == []  # gone at COMMIT
        # outside a block a statement is its own transaction: the lock ends with it
        assert b.execute("select pg_try_advisory_xact_lock(41)").fetchone() == (True,)
        assert a.execute("select pg_try_advisory_xact_lock(41)").fetchone() == (True,)


def test_unlocking_a_lock_not_held_warns(pg_server) -> None:
    with _connect(pg_server) as conn:
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(f"{d.severity}: {d.message_primary}"))
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(5)")
            assert conn.execute("select pg_advisory_unlock(5), pg_advisory_unlock_shared(6)").fetchone() == (
                False, False)
        assert notices == ["WARNING: you don't own a lock of type ExclusiveLock",
                           "WARNING: you don't own a lock of type ShareLock"]


def test_rollback_and_savepoints_release_xact_locks(pg_server) -> None:
    with _connect(pg_server) as a, _connect(pg_server) as b:
        a.execute("begin")
        a.execute("select pg_advisory_xact_lock(70)")
        a.execute("savepoint s1")
        a.execute("select pg_advisory_xact_lock(71)")
        a.execute("savepoint s2")
        a.execute("select pg_advisory_xact_lock(72)")
        a.execute("release savepoint s2")  # 72 now belongs to s1's level
        a.execute("rollback to savepoint s1")  # 71 and 72 go, 70 stays
        taken = b.execute("select pg_try_advisory_lock(70), pg_try_advisory_lock(71), "
                          "pg_try_advisory_lock(72)").fetchone()
        assert taken == (False, True, True)
        b.execute("select pg_advisory_unlock_all()")
        a.execute("rollback")
        assert b.execute("select pg_try_advisory_xact_lock(70)").fetchone() == (True,)


def test_session_and_xact_levels_of_one_session_are_one_holder(pg_server) -> None:
    with _connect(pg_server) as a, _connect(pg_server) as b:
        a.execute("select pg_advisory_lock(90)")
        with a.transaction():
            a.execute("select pg_advisory_xact_lock(90)")  # no self-deadlock: the session already holds it
            assert _advisory_rows(a) == [(0, 90, 1, "ExclusiveLock")]
        assert b.execute("select pg_try_advisory_lock(90)").fetchone() == (False,)  # the session lock stays
        assert a.execute("select pg_advisory_unlock(90)").fetchone() == (True,)
        assert b.execute("select pg_try_advisory_lock(90)").fetchone() == (True,)
