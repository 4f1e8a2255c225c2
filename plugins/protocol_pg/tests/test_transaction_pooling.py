"""Built-in transaction pooling (``pool_mode = "transaction"``) and PgBouncer's admin console.

Many client connections share a few engine sessions: the test opens far more clients than
``pool_size`` and checks, through the engine's own pg_stat_activity and the admin console, that
no more engine sessions than that ever existed; pgbench -C and psycopg run through the pooled port.
"""

from __future__ import annotations

import asyncio
import os
import re
import resource
import shutil
import subprocess
import time
from collections.abc import Iterator

import psycopg
import pytest

from helios_core.testing import HeliosServer, start_server

PGBENCH = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
PSQL = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
POOL_SIZE = 4
CLIENTS = 300  # the 5,000-client run is in bench/ (pooling)


def raise_fd_limit(wanted: int = 8192) -> None:
    """CLIENTS sockets on each side need more than the usual 1,024 descriptors (the server inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


@pytest.fixture(scope="module")
def pooled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    raise_fd_limit()
    server = start_server(tmp_path_factory.mktemp("pooled"), {"protocols": {"postgres": {
        "pool_mode": "transaction", "pool_size": POOL_SIZE, "max_client_conn": 2000,
        "stats_users": ["watcher"]}}}, only=["postgres"])
    try:
        with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
            conn.execute("create role watcher login")
            conn.execute("create role nobody login")
            conn.execute("create table pool_t (id int primary key, client int, v text)")
        yield server
    finally:
        server.stop()


def _admin(server: HeliosServer, user: str = "helios") -> psycopg.Connection:
    """The admin console speaks the simple query protocol only (as PgBouncer's): a client-side cursor."""
    return psycopg.connect(server.pg_dsn(user=user, database="pgbouncer"), autocommit=True,
                           cursor_factory=psycopg.ClientCursor)


def _show(conn: psycopg.Connection, what: str) -> list[dict]:
    cur = conn.execute(f"SHOW {what}")
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _engine_sessions(server: HeliosServer) -> int:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        return conn.execute("select count(*) from pg_stat_activity where protocol = 'postgres'").fetchone()[0]


def test_many_clients_over_few_engine_sessions(pooled: HeliosServer) -> None:
    async def client(i: int) -> None:
        conn = await psycopg.AsyncConnection.connect(pooled.pg_dsn(), autocommit=True)
        try:
            async with conn.transaction():
                await conn.execute("insert into pool_t values (%s, %s, %s)", (i, i, f"v{i}"))
                row = await (await conn.execute("select client from pool_t where id = %s", (i,))).fetchone()
                assert row == (i,)
            await conn.execute("update pool_t set v = %s where id = %s", ("done", i))
            await asyncio.sleep(0.2)  # stay connected while the others work: CLIENTS sockets at once
            row = await (await conn.execute("select v from pool_t where id = %s", (i,))).fetchone()
            assert row == ("done",)
        finally:
            await conn.close()

    async def run_all() -> list:
        return await asyncio.gather(*(client(i) for i in range(CLIENTS)), return_exceptions=True)

    started = time.monotonic()
    results = asyncio.run(run_all())
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    assert time.monotonic() - started < 120
    with psycopg.connect(pooled.pg_dsn(), autocommit=True) as conn:
        assert conn.execute("select count(*) from pool_t where v = 'done'").fetchone() == (CLIENTS,)
    assert _engine_sessions(pooled) <= POOL_SIZE
    with _admin(pooled) as admin:
        servers = _show(admin, "SERVERS")
        assert 1 <= len(servers) <= POOL_SIZE
        stats = {r["database"]: r for r in _show(admin, "STATS")}
        assert stats["helios"]["total_xact_count"] >= 3 * CLIENTS


def test_prepared_statements_and_settings_follow_the_client(pooled: HeliosServer) -> None:
    conns = [psycopg.connect(pooled.pg_dsn(), autocommit=True) for _ in range(POOL_SIZE * 2)]
    try:
        conns[0].execute("set timezone = 'Asia/Tokyo'")
        for round_ in range(3):  # each round may land on another engine session
            for i, conn in enumerate(conns):
                row = conn.execute("select %s::int + 1", (i,), prepare=True).fetchone()
                assert row == (i + 1,), round_
        assert conns[0].execute("show timezone").fetchone() == ("Asia/Tokyo",)
        assert all(c.execute("show timezone").fetchone() == ("UTC",) for c in conns[1:])
        # what each client was told follows it too, whichever engine session answered last
        assert conns[0].info.parameter_status("TimeZone") == "Asia/Tokyo"
        assert all(c.info.parameter_status("TimeZone") == "UTC" for c in conns[1:])
        with conns[1].transaction():  # a transaction block keeps its session to the end
            conns[1].execute("insert into pool_t values (-1, -1, 'tx')")
            pid = conns[1].execute("select pg_backend_pid()").fetchone()[0]
            for other in conns[2:]:
                other.execute("select 1").fetchone()
            assert conns[1].execute("select pg_backend_pid()").fetchone()[0] == pid
    finally:
        for c in conns:
            c.close()


def test_disconnect_inside_a_transaction_rolls_back(pooled: HeliosServer) -> None:
    conn = psycopg.connect(pooled.pg_dsn())
    conn.execute("insert into pool_t values (-2, -2, 'left open')")
    conn.close()  # never committed
    with psycopg.connect(pooled.pg_dsn(), autocommit=True) as other:
        assert other.execute("select count(*) from pool_t where id = -2").fetchone() == (0,)
        other.execute("insert into pool_t values (-2, -2, 'ok')")  # the row lock is gone too


@pytest.mark.skipif(not os.path.exists(PGBENCH), reason="needs pgbench (postgresql-15)")
def test_pgbench_connect_per_transaction_through_the_pooler(pooled: HeliosServer) -> None:
    env = dict(os.environ, PGHOST=pooled.host, PGPORT=str(pooled.port("postgres")), PGUSER="helios")
    init = subprocess.run([PGBENCH, "-i", "-s", "1", "helios"], capture_output=True, text=True, env=env,
                          timeout=240, check=False)
    assert init.returncode == 0, init.stderr
    for mode in ("simple", "prepared"):
        out = subprocess.run([PGBENCH, "-n", "-C", "-S", "-M", mode, "-c", "8", "-j", "2", "-t", "40", "helios"],
                             capture_output=True, text=True, env=env, timeout=240, check=False)
        assert out.returncode == 0, out.stdout + out.stderr
        assert re.search(r"number of failed transactions: 0 ", out.stdout), out.stdout
        assert "number of transactions actually processed: 320/320" in out.stdout
    assert _engine_sessions(pooled) <= POOL_SIZE


def test_admin_console_columns_and_access(pooled: HeliosServer) -> None:
    with psycopg.connect(pooled.pg_dsn(), autocommit=True) as client, _admin(pooled) as admin:
        client.execute("select 1").fetchone()
        pools = _show(admin, "POOLS")
        mine = next(p for p in pools if p["database"] == "helios" and p["user"] == "helios")
        assert mine["pool_mode"] == "transaction" and mine["cl_active"] >= 1
        assert mine["sv_active"] + mine["sv_idle"] <= POOL_SIZE
        clients = _show(admin, "CLIENTS")
        assert any(c["type"] == "C" and c["addr"] == "127.0.0.1" and c["port"] for c in clients)
        config = {r["key"]: r["value"] for r in _show(admin, "CONFIG")}
        assert config["pool_mode"] == "transaction" and config["default_pool_size"] == str(POOL_SIZE)
        assert set(_show(admin, "STATS")[0]) >= {"total_xact_count", "total_query_count", "avg_wait_time"}
        admin.execute("PAUSE")
        admin.execute("RESUME")
        with pytest.raises(psycopg.errors.ProtocolViolation, match="unknown cmd"):
            admin.execute("SHOW NONSENSE")
    with _admin(pooled, "watcher") as stats_user:
        assert _show(stats_user, "VERSION")[0]["version"].startswith("PgBouncer")
        with pytest.raises(psycopg.Error, match="admin access needed"):
            stats_user.execute("PAUSE")
    with pytest.raises(psycopg.OperationalError, match="not allowed"):
        _admin(pooled, "nobody")


@pytest.mark.skipif(not os.path.exists(PSQL), reason="needs psql (postgresql-client)")
def test_admin_console_through_psql_unaligned(pooled: HeliosServer) -> None:
    """Monitoring scripts read ``psql -At -F,`` output of SHOW POOLS by position, as with PgBouncer."""
    out = subprocess.run([PSQL, "-h", pooled.host, "-p", str(pooled.port("postgres")), "-U", "helios",
                          "-d", "pgbouncer", "-X", "-A", "-F", ",", "-c", "SHOW POOLS"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    header, *rows = out.stdout.strip().splitlines()[:-1]  # the last line counts the rows
    assert header.split(",")[:4] == ["database", "user", "cl_active", "cl_waiting"]
    assert header.split(",")[-1] == "pool_mode"
    assert any(r.split(",")[0] == "helios" and r.split(",")[-1] == "transaction" for r in rows)
