"""LISTEN/NOTIFY between sessions through psycopg and asyncpg: delivered at commit, to listeners only."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest


@pytest.fixture(scope="module")
def dsn(pg_server):
    return pg_server.pg_dsn()


def _received(conn: psycopg.Connection, timeout: float = 2.0, stop_after: int | None = None) -> list[tuple]:
    got = [(n.channel, n.payload, n.pid) for n in conn.notifies(timeout=timeout, stop_after=stop_after)]
    return got


def test_idle_listener_gets_committed_notifications(dsn):
    with psycopg.connect(dsn, autocommit=True) as listener, psycopg.connect(dsn, autocommit=True) as sender:
        listener.execute("LISTEN jobs")
        sender_pid = sender.info.backend_pid
        with sender.transaction():
            sender.execute("NOTIFY jobs, 'first'")
            sender.execute("SELECT pg_notify('jobs', 'second')")
            sender.execute("NOTIFY jobs, 'first'")  # the same message twice in a transaction goes once
            sender.execute("NOTIFY other, 'not listened to'")
            assert _received(listener, timeout=0.3) == []  # nothing before commit
        assert _received(listener, stop_after=2) == [("jobs", "first", sender_pid), ("jobs", "second", sender_pid)]


def test_rolled_back_notifications_are_dropped(dsn):
    with psycopg.connect(dsn, autocommit=True) as listener, psycopg.connect(dsn, autocommit=True) as sender:
        listener.execute("LISTEN drops")
        with pytest.raises(psycopg.errors.DivisionByZero), sender.transaction():
            sender.execute("NOTIFY drops, 'lost'")
            sender.execute("SELECT 1 / 0")
        sender.execute("NOTIFY drops, 'kept'")
        assert [p for _, p, _ in _received(listener, stop_after=1)] == ["kept"]


def test_unlisten_and_listen_take_effect_at_commit(dsn):
    with psycopg.connect(dsn, autocommit=True) as a, psycopg.connect(dsn, autocommit=True) as b:
        with a.transaction():
            a.execute("LISTEN later")
            b.execute("NOTIFY later, 'too early'")
        b.execute("NOTIFY later, 'in time'")
        assert [p for _, p, _ in _received(a, stop_after=1)] == ["in time"]
        a.execute("UNLISTEN *")
        b.execute("NOTIFY later, 'after unlisten'")
        assert _received(a, timeout=0.3) == []


def test_notification_waits_for_the_listener_to_leave_its_block(dsn):
    with psycopg.connect(dsn, autocommit=True) as a, psycopg.connect(dsn, autocommit=True) as b:
        a.execute("LISTEN busy")
        a.execute("BEGIN")
        b.execute("NOTIFY busy, 'x'")
        a.execute("SELECT 1")
        assert a.pgconn.notifies() is None  # PostgreSQL holds it while the listener is in a block
        a.execute("COMMIT")
        assert [p for _, p, _ in _received(a, stop_after=1)] == ["x"]


@pytest.mark.parametrize(("sql", "message"), [  # PostgreSQL 15's answers
    ("SELECT pg_notify('', 'x')", "channel name cannot be empty"),
    ("SELECT pg_notify(NULL, 'x')", "channel name cannot be empty"),
    ("SELECT pg_notify(repeat('c', 64), 'x')", "channel name too long"),
    ("SELECT pg_notify('c', repeat('x', 8000))", "payload string too long"),
])
def test_invalid_notifications(dsn, sql, message):
    with psycopg.connect(dsn, autocommit=True) as c, pytest.raises(psycopg.errors.InvalidParameterValue) as ei:
        c.execute(sql)
    assert ei.value.diag.message_primary == message


def test_asyncpg_listener(pg_server):
    asyncpg = pytest.importorskip("asyncpg")

    async def main() -> list[tuple]:
        port = pg_server.port("postgres")
        listener = await asyncpg.connect(host=pg_server.host, port=port, user="helios", database="helios")
        sender = await asyncpg.connect(host=pg_server.host, port=port, user="helios", database="helios")
        got: asyncio.Queue = asyncio.Queue()
        await listener.add_listener("events", lambda conn, pid, channel, payload: got.put_nowait((channel, payload)))
        await sender.execute("NOTIFY events, 'hello'")
        await sender.execute("SELECT pg_notify('events', $1)", "payload " + "é" * 3)
        started = time.monotonic()
        out = [await asyncio.wait_for(got.get(), 5), await asyncio.wait_for(got.get(), 5)]
        assert time.monotonic() - started < 5
        await listener.close()
        await sender.close()
        return out

    assert asyncio.run(main()) == [("events", "hello"), ("events", "payload ééé")]
