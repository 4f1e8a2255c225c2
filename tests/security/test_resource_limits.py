"""Resource limits, attacked by a tenant: statements that never end, run on the fast inline path,
sit idle in a transaction, recurse without bound, or eat a branch's memory and CPU. Each is cut
off in bounded time with PostgreSQL's SQLSTATE while other clients keep being served."""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Self

import psycopg
import pytest

from helios_core.testing import start_server

# Hours of work on any machine (10^12 rows; 4*10^8 took 2 s and once finished inside the 2 s timeout),
# done a chunk at a time with cancellation checked between chunks. (An aggregate over a whole materialized input is not used: its passes over hundreds of
# millions of rows run seconds between checks, a gap the aggregate operator still has.)
HEAVY = "select count(*) from generate_series(1, 1000000000000) as g(x) where x % 7 = 8"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("resources"), {}, only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()


def _connect(server, **kw):
    return psycopg.connect(server.pg_dsn(), autocommit=True, **kw)


class LatencyProbe:
    """Another client asking ``select 1`` every 20 ms; the slowest answer tells whether it was starved."""

    def __init__(self, server) -> None:
        self.conn = _connect(server)
        self.worst = 0.0
        self.answers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            assert self.conn.execute("select 1").fetchone() == (1,)
            self.worst = max(self.worst, time.perf_counter() - started)
            self.answers += 1
            time.sleep(0.02)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.conn.close()


def _warm_inline_path(conn) -> None:
    """Quick reads put the connection on the inline (event-loop) path for its next plain read."""
    for _ in range(20):
        conn.execute("select 1").fetchone()


def test_statement_timeout_on_the_inline_read_path(server) -> None:
    with _connect(server) as conn, LatencyProbe(server) as probe:
        conn.execute("set statement_timeout = '2s'")
        _warm_inline_path(conn)
        started = time.perf_counter()
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            conn.execute(HEAVY)
        took = time.perf_counter() - started
        assert took < 10.0, took  # the timeout, plus one batch and the hop to a worker thread
        assert conn.execute("select 'next'").fetchone() == ("next",)
    assert probe.answers >= 10
    # had the expensive read run on the event loop, the other client would have waited all along
    assert probe.worst < took / 2, (probe.worst, took)


def test_cancel_request_on_the_inline_read_path(server) -> None:
    with _connect(server) as conn, LatencyProbe(server) as probe:
        _warm_inline_path(conn)
        timer = threading.Timer(2.0, conn.cancel)
        timer.start()
        started = time.perf_counter()
        with pytest.raises(psycopg.errors.QueryCanceled, match="user request"):
            conn.execute(HEAVY)
        timer.join()
        took = time.perf_counter() - started
        assert took < 10.0, took
        assert conn.execute("select 2").fetchone() == (2,)
    assert probe.worst < took / 2, (probe.worst, took)


def test_series_with_limit_stops_early_and_rss_stays_flat(server, wire) -> None:
    rss = wire.rss_bytes(server)
    with _connect(server) as conn:
        for sql in ("select * from generate_series(1, 100000000) limit 5",
                    "select generate_series(1, 100000000) limit 5",
                    "select * from generate_series(1, 100000000) with ordinality limit 5",
                    "with recursive r(n) as (select 1 union all select n + 1 from r) select * from r limit 5"):
            started = time.perf_counter()
            assert [r[0] for r in conn.execute(sql).fetchall()] == [1, 2, 3, 4, 5]
            assert time.perf_counter() - started < 2.0, sql
    assert wire.rss_bytes(server) - rss < 100 * 2**20


def test_recursive_cte_without_end_runs_until_statement_timeout(server) -> None:
    with _connect(server) as conn:
        conn.execute("set statement_timeout = '500ms'")
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r")


def test_deep_nesting_is_54001_not_an_internal_error(server) -> None:
    sql = "select " + "+".join(["1"] * 20000)  # PostgreSQL 15 says 54001 too
    with _connect(server) as conn:
        with pytest.raises(psycopg.Error) as e:
            conn.execute(sql)
        assert e.value.sqlstate == "54001"
        assert "stack depth limit exceeded" in str(e.value)
        assert conn.execute("select 1 + 1").fetchone() == (2,)


# --- idle in transaction ----------------------------------------------------------------------------------


def test_idle_in_transaction_session_timeout(server, raw_client, wire) -> None:
    with _connect(server) as conn:
        conn.execute("set idle_in_transaction_session_timeout = '300ms'")
        time.sleep(0.6)  # idle outside a transaction: nothing happens
        conn.execute("begin")
        conn.execute("select 1")
        time.sleep(1.0)
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
            conn.execute("select 2")
    raw = raw_client(server)
    raw.login_trust()
    raw.query("set idle_in_transaction_session_timeout = '200ms'; begin; select 1")
    raw.read_until(b"Z")
    err = wire.read_error(raw)
    assert (err["S"], err["C"], err["M"]) == (
        "FATAL", "25P03", "terminating connection due to idle-in-transaction timeout")
    assert raw.closed_by_server(within=2.0)


def test_idle_in_transaction_timeout_from_config(tmp_path_factory) -> None:
    srv = start_server(tmp_path_factory.mktemp("idle-tx"), {
        "protocols": {"postgres": {"idle_in_transaction_session_timeout": "300ms"}}}, only=["postgres"])
    try:
        with psycopg.connect(srv.pg_dsn()) as conn:  # not autocommit: every statement opens a transaction
            conn.execute("select 1")
            time.sleep(1.0)
            with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
                conn.execute("select 2")
        with psycopg.connect(srv.pg_dsn(), autocommit=True) as conn:
            conn.execute("select 1")
            time.sleep(0.6)
            assert conn.execute("select 2").fetchone() == (2,)
    finally:
        srv.stop()


# --- per-branch memory and CPU ----------------------------------------------------------------------------

BIG = ("select count(*) from (select repeat('x', 1000) || g::text as s from generate_series(1, 60000) g) q")
# ~60 MB of strings gathered for the aggregate
SMALL = "select count(*) from (select g::text as s from generate_series(1, 2000) g) q"


def test_branch_memory_limit_stops_its_own_big_query_not_other_tenants(server) -> None:
    with _connect(server) as admin:
        admin.execute("create branch tenant_a from main")
        admin.execute("create branch tenant_b from main")
        admin.execute("alter branch tenant_a set max_memory = '16MB'")
    with _connect(server, options="-c heliosdb.branch=tenant_a") as a, \
            _connect(server, options="-c heliosdb.branch=tenant_b") as b:
        with pytest.raises(psycopg.Error) as e:
            a.execute(BIG)
        assert e.value.sqlstate == "53200"
        # tenant_b (no limit) runs big queries while tenant_a's small ones all succeed
        failures: list[BaseException] = []
        stop = threading.Event()

        def tenant_b_big() -> None:
            try:
                while not stop.is_set():
                    b.execute(BIG).fetchone()
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        worker = threading.Thread(target=tenant_b_big, daemon=True)
        worker.start()
        try:
            for _ in range(25):
                assert a.execute(SMALL).fetchone() == (2000,)
                time.sleep(0.02)
        finally:
            stop.set()
            worker.join(30)
        assert not failures


def test_branch_cpu_limit_throttles_a_running_statement(server) -> None:
    # At 5% the statement waits about (its CPU seconds - the 0.1 s burst) / 0.05, less its last
    # batch (paid after it ends). One md5 of 200,000 rows took 0.15-0.2 s of CPU: a wait of
    # 1.0-1.4 s, at the 1 s the test asks for, so it failed on a quick machine. Two md5s of each
    # row take 0.35-0.4 s (a 4-5 s wait) and hold no more memory than one. (400,000 rows of one
    # md5 waited 3-5 s too, but with them test_a_client_that_does_not_read_holds_a_bounded_buffer,
    # next on this module's server, measured 65 and 67 MB against its 64 MB in 2 of 15 tries.)
    query = "select count(*) from (select md5(md5(g::text)) as s from generate_series(1, 200000) g) q"
    with _connect(server) as admin:
        admin.execute("create branch tenant_cpu from main")
        admin.execute("alter branch tenant_cpu set max_cpu_percent = 5")
        admin.execute(query)
        started = time.perf_counter()
        admin.execute(query)
        free = time.perf_counter() - started
    with _connect(server, options="-c heliosdb.branch=tenant_cpu") as conn, LatencyProbe(server) as probe:
        started = time.perf_counter()
        assert conn.execute(query).fetchone() == (200000,)  # one statement: throttled while it runs
        throttled = time.perf_counter() - started
    assert throttled > free + 1.0, (free, throttled)
    assert probe.worst < throttled / 2  # throttling sleeps; it does not hold anyone else up
    with _connect(server) as admin:
        queued, = admin.execute("select queued_statements from heliosdb.branches where name = 'tenant_cpu'").fetchone()
        assert queued >= 1


# --- results stream with back-pressure --------------------------------------------------------------------

HUGE = b"select g, repeat('x', 100) from generate_series(1, 100000000) g"  # ~11 GB if it were held


def _extended_query(raw, sql: bytes) -> None:
    raw.message(b"P", b"\0" + sql + b"\0" + struct.pack("!h", 0))
    raw.message(b"B", b"\0\0" + struct.pack("!hhh", 0, 0, 0))
    raw.message(b"E", b"\0" + struct.pack("!i", 0))
    raw.message(b"S")


@pytest.mark.parametrize("protocol", ["simple", "extended"])
def test_a_client_that_does_not_read_holds_a_bounded_buffer(server, raw_client, wire, protocol) -> None:
    before = wire.rss_bytes(server)
    reader = raw_client(server)
    reader.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    reader.login_trust()
    if protocol == "simple":
        reader.query(HUGE)
    else:
        _extended_query(reader, HUGE)
    time.sleep(2.0)  # the server fills the socket, then waits: it must not keep producing rows
    assert wire.rss_bytes(server) - before < 64 * 2**20

    def read_for(seconds: float) -> int:
        got = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:  # a slow reader gets rows as it asks for them
            got += len(reader.sock.recv(65536))
        return got

    assert read_for(1.0) > 1 * 2**20
    reading = wire.rss_bytes(server)  # the batches in flight and the allocators' arenas, once
    assert read_for(2.0) > 1 * 2**20
    # while the rows flow, the server's memory stays where it was (a result held would grow by the
    # hundreds of MB a second the reader takes); the level itself depends on the machine's allocator
    assert wire.rss_bytes(server) - reading < 32 * 2**20
    assert wire.rss_bytes(server) - before < 160 * 2**20
    with _connect(server) as conn:  # everyone else is served meanwhile
        assert conn.execute("select count(*) from generate_series(1, 1000)").fetchone() == (1000,)
    reader.close()  # the query ends with its client
    time.sleep(0.5)
    assert wire.rss_bytes(server) - before < 160 * 2**20
