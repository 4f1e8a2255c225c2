"""Wire-level behaviour against a real ``helios serve``: bad input, limits, cancel, TLS, idle clients.

Raw sockets send exactly the bytes under test; every test then checks the server still
serves a normal client, since one bad connection must never disturb the others.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import asyncpg
import psycopg
import pytest

STARTUP = struct.pack("!i", 196608) + b"user\0helios\0database\0helios\0\0"


def _startup_packet(body: bytes = STARTUP) -> bytes:
    return struct.pack("!i", len(body) + 4) + body


def _read_messages(sock: socket.socket, until: bytes = b"Z", timeout: float = 10) -> list[tuple[bytes, bytes]]:
    """Read backend messages until one of type ``until`` (or EOF)."""
    sock.settimeout(timeout)
    buf = b""
    out: list[tuple[bytes, bytes]] = []
    while True:
        while len(buf) >= 5:
            kind = buf[:1]
            (length,) = struct.unpack("!i", buf[1:5])
            if len(buf) < 1 + length:
                break
            out.append((kind, buf[5:1 + length]))
            buf = buf[1 + length:]
            if kind == until:
                return out
        data = sock.recv(65536)
        if not data:
            return out
        buf += data


def _fields(payload: bytes) -> dict[str, str]:
    out = {}
    for part in payload.split(b"\0"):
        if part:
            out[part[:1].decode()] = part[1:].decode()
    return out


def _connect(pg_server) -> socket.socket:
    sock = socket.create_connection((pg_server.host, pg_server.port("postgres")))
    sock.sendall(_startup_packet())
    msgs = _read_messages(sock)
    assert msgs[-1][0] == b"Z", msgs
    return sock


def _server_still_works(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_startup_reports_parameters_and_key(pg_server, dsn) -> None:
    sock = socket.create_connection((pg_server.host, pg_server.port("postgres")))
    sock.sendall(_startup_packet())
    msgs = _read_messages(sock)
    kinds = [k for k, _ in msgs]
    assert kinds[0] == b"R" and kinds[-1] == b"Z" and b"K" in kinds
    params = dict(tuple(p.split(b"\0")[:2]) for k, p in msgs if k == b"S")
    assert params[b"server_version"] == b"15.18"
    for name in (b"server_encoding", b"client_encoding", b"DateStyle", b"TimeZone", b"integer_datetimes",
                 b"standard_conforming_strings", b"application_name"):
        assert name in params
    sock.close()


def test_ssl_and_gss_requests_are_declined_without_tls(pg_server, dsn) -> None:
    sock = socket.create_connection((pg_server.host, pg_server.port("postgres")))
    sock.sendall(struct.pack("!ii", 8, 80877103))
    assert sock.recv(1) == b"N"
    sock.sendall(struct.pack("!ii", 8, 80877104))
    assert sock.recv(1) == b"N"
    sock.sendall(_startup_packet())
    assert _read_messages(sock)[-1][0] == b"Z"
    sock.close()


@pytest.mark.parametrize(
    ("payload", "sqlstate"),
    [
        (b"Q" + struct.pack("!i", 2), "08P01"),  # length below 4
        (b"Y" + struct.pack("!i", 4), "08P01"),  # unknown message type
        (b"B" + struct.pack("!i", 6) + b"\0\0", "08P01"),  # truncated Bind
        (b"S" + struct.pack("!i", 1_000_000), "08P01"),  # a small message claiming to be huge
    ],
)
def test_malformed_messages_get_fatal_error_and_server_goes_on(pg_server, dsn, payload, sqlstate) -> None:
    sock = _connect(pg_server)
    sock.sendall(payload)
    msgs = _read_messages(sock, until=b"E")
    errors = [_fields(p) for k, p in msgs if k == b"E"]
    assert errors and errors[0]["C"] == sqlstate
    sock.close()
    _server_still_works(dsn)


def test_bad_startup_packets(pg_server, dsn) -> None:
    for packet in (struct.pack("!ii", 8, 1234 << 16), struct.pack("!i", 3), struct.pack("!i", 100_000)):
        sock = socket.create_connection((pg_server.host, pg_server.port("postgres")))
        sock.sendall(packet)
        msgs = _read_messages(sock, until=b"E")
        assert not msgs or _fields(msgs[0][1])["S"] == "FATAL"
        sock.close()
    _server_still_works(dsn)


def test_invalid_utf8_query_is_an_error_not_a_disconnect(pg_server, dsn) -> None:
    sock = _connect(pg_server)
    sock.sendall(b"Q" + struct.pack("!i", 4 + 12) + b"select '\xff\xfe'\0")
    msgs = _read_messages(sock)
    assert _fields(msgs[0][1])["C"] == "22021" and msgs[-1] == (b"Z", b"I")
    sock.sendall(b"Q" + struct.pack("!i", 4 + 9) + b"select 1\0")
    msgs = _read_messages(sock)
    assert [k for k, _ in msgs] == [b"T", b"D", b"C", b"Z"]
    sock.close()


def test_client_vanishing_mid_message_and_mid_query(pg_server, dsn) -> None:
    sock = _connect(pg_server)
    sock.sendall(b"Q" + struct.pack("!i", 1000) + b"select")  # promises 1000 bytes, then leaves
    sock.close()
    sock = _connect(pg_server)
    sock.sendall(b"Q" + struct.pack("!i", 4 + 24) + b"select pg_sleep(0.3), 1\0")
    sock.close()  # gone before the answer
    _server_still_works(dsn)


def test_extended_protocol_errors_skip_to_sync(pg_server, dsn) -> None:
    sock = _connect(pg_server)
    bind_missing = b"B" + struct.pack("!i", 4 + 2 + 4 + 2 + 2 + 2) + b"\0nope\0" + b"\0\0\0\0\0\0"
    execute = b"E" + struct.pack("!i", 4 + 1 + 4) + b"\0" + struct.pack("!i", 0)
    sync = b"S" + struct.pack("!i", 4)
    sock.sendall(bind_missing + execute + sync)
    msgs = _read_messages(sock)
    assert [k for k, _ in msgs] == [b"E", b"Z"]
    assert _fields(msgs[0][1])["C"] == "26000"
    sock.close()


def test_error_response_fields(dsn) -> None:
    with psycopg.connect(dsn) as conn:
        with pytest.raises(psycopg.Error) as e:
            conn.execute("select * from no_such_table_here")
        assert e.value.sqlstate == "42P01"
        assert "no_such_table_here" in e.value.diag.message_primary
        assert e.value.diag.severity == "ERROR"
        conn.rollback()
        with pytest.raises(psycopg.Error) as e:
            conn.execute("selec 1")
        assert e.value.sqlstate == "42601"


def test_unknown_database_and_role(pg_server) -> None:
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(pg_server.pg_dsn(database="nodb"))
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(pg_server.pg_dsn(user="nobody"))
    with psycopg.connect(pg_server.pg_dsn(database="postgres")) as conn:
        assert conn.execute("select current_database()").fetchone() == ("postgres",)


def test_cancel_request_stops_running_statement(dsn) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        timer = threading.Timer(0.3, conn.cancel)
        timer.start()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("select pg_sleep(30)")
        timer.join()
        assert conn.execute("select 2").fetchone() == (2,)


def test_statement_timeout(dsn) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("set statement_timeout = '200ms'")
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            conn.execute("select pg_sleep(30)")
        conn.execute("set statement_timeout = 0")
        assert conn.execute("select 3").fetchone() == (3,)


def test_max_connections_is_53300(helios_server) -> None:
    server = helios_server({"protocols": {"postgres": {"max_connections": 3}}}, only=["postgres"])
    conns = [psycopg.connect(server.pg_dsn()) for _ in range(3)]
    with pytest.raises(psycopg.OperationalError, match="too many clients"):
        psycopg.connect(server.pg_dsn())

    async def asyncpg_sees_53300() -> str:
        try:
            await asyncpg.connect(host=server.host, port=server.port("postgres"), user="helios", database="helios")
        except asyncpg.PostgresError as exc:
            return exc.sqlstate
        return "connected"

    assert asyncio.run(asyncpg_sees_53300()) == "53300"
    conns.pop().close()
    time.sleep(0.2)  # the server notices the closed socket
    with psycopg.connect(server.pg_dsn()) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    for c in conns:
        c.close()


def test_thousand_idle_clients(pg_server) -> None:
    async def main() -> None:
        sem = asyncio.Semaphore(64)

        async def one() -> asyncpg.Connection:
            async with sem:
                return await asyncpg.connect(host=pg_server.host, port=pg_server.port("postgres"), user="helios",
                                             database="helios", statement_cache_size=0)

        conns = await asyncio.gather(*[one() for _ in range(1000)])
        try:
            assert await conns[0].fetchval("select 1") == 1
            assert await conns[999].fetchval("select 2") == 2
        finally:
            await asyncio.gather(*[c.close() for c in conns])

    asyncio.run(main())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a test cert")
def test_tls_when_cert_configured(helios_server, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
    server = helios_server({"protocols": {"postgres": {"tls_cert": str(cert), "tls_key": str(key)}}},
                           only=["postgres"])
    with psycopg.connect(server.pg_dsn() + " sslmode=require") as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("select 1").fetchone() == (1,)
    with psycopg.connect(server.pg_dsn() + " sslmode=disable") as conn:
        assert not conn.pgconn.ssl_in_use


def test_non_loopback_host_without_auth_refuses_to_start(helios_server) -> None:
    from helios_core.testing import ServerStartError

    with pytest.raises(ServerStartError) as e:
        helios_server({"protocols": {"postgres": {"host": "0.0.0.0"}}}, only=["postgres"])
    assert "auth" in e.value.output


def test_pg_cancel_backend_and_pg_terminate_backend(dsn) -> None:
    with psycopg.connect(dsn, autocommit=True) as victim, psycopg.connect(dsn, autocommit=True) as admin:
        pid = victim.info.backend_pid
        timer = threading.Timer(0.3, lambda: admin.execute("select pg_cancel_backend(%s)", (pid,)))
        timer.start()
        with pytest.raises(psycopg.errors.QueryCanceled):
            victim.execute("select pg_sleep(30)")
        timer.join()
        assert victim.execute("select 1").fetchone() == (1,)
        assert admin.execute("select pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        with pytest.raises(psycopg.OperationalError):
            victim.execute("select 1")
        assert admin.execute("select pg_cancel_backend(999999)").fetchone() == (False,)


def test_statement_timeout_from_config(helios_server) -> None:
    server = helios_server({"protocols": {"postgres": {"statement_timeout": "300ms"}}}, only=["postgres"])
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        assert conn.execute("show statement_timeout").fetchone()[0] in ("300ms", "300")
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            conn.execute("select pg_sleep(30)")
        assert conn.execute("select 1").fetchone() == (1,)


def test_client_vanishing_mid_copy(pg_server, dsn) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table if exists wire_copy")
        conn.execute("create table wire_copy (a int, b text)")
    sock = _connect(pg_server)
    query = b"copy wire_copy from stdin\0"
    sock.sendall(b"Q" + struct.pack("!i", 4 + len(query)) + query)
    assert _read_messages(sock, until=b"G")[-1][0] == b"G"
    row = b"1\tx\n"
    sock.sendall((b"d" + struct.pack("!i", 4 + len(row)) + row) * 100 + b"d" + struct.pack("!i", 1000) + b"2\t")
    sock.close()  # gone in the middle of a CopyData
    _server_still_works(dsn)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*) from wire_copy").fetchone() == (0,)  # nothing half-copied


def test_a_set_in_a_query_string_shapes_the_rows_after_it(pg_server, dsn) -> None:
    """One simple query, several statements: each result renders in the settings its own statement
    ended with (psql -c "SET TimeZone ...; SELECT ..."), as PostgreSQL does statement by statement."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.pgconn.send_query(b"select '2020-01-01 00:00+00'::timestamptz::text, '2020-01-01 00:00+00'::timestamptz; "
                               b"set timezone to 'America/New_York'; "
                               b"select '2020-01-01 00:00+00'::timestamptz; set datestyle to 'SQL, MDY'; "
                               b"select '2020-01-01'::date")
        texts = []
        while (res := conn.pgconn.get_result()) is not None:
            if res.ntuples:
                texts.append([res.get_value(0, i).decode() for i in range(res.nfields)])
    assert texts == [["2020-01-01 00:00:00+00", "2020-01-01 00:00:00+00"], ["2019-12-31 19:00:00-05"],
                     ["01/01/2020"]]


def test_a_pipeline_failed_by_a_protocol_error_keeps_none_of_its_rows(pg_server, dsn) -> None:
    """A Bind the protocol refuses (wrong parameter count: 08P01, which the engine never sees)
    after a row already inserted in the same pipeline: at Sync the implicit transaction is rolled
    back, as PostgreSQL aborts it, rather than committing the rows before the error."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table if exists wire_pipe")
        conn.execute("create table wire_pipe (id int primary key)")
    sock = _connect(pg_server)

    def msg(kind: bytes, body: bytes) -> bytes:
        return kind + struct.pack("!i", 4 + len(body)) + body

    def bind(*values: bytes) -> bytes:
        params = b"".join(struct.pack("!i", len(v)) + v for v in values)
        return msg(b"B", b"\0s\0" + struct.pack("!h", 0) + struct.pack("!h", len(values)) + params + struct.pack("!h", 0))

    execute = msg(b"E", b"\0" + struct.pack("!i", 0))
    parse = msg(b"P", b"s\0insert into wire_pipe values ($1)\0" + struct.pack("!h", 1) + struct.pack("!i", 23))
    sock.sendall(parse + bind(b"1") + execute + bind(b"2") + execute)
    time.sleep(0.3)  # the rows arrive before the rest: each Execute sees no Sync after it yet
    sock.sendall(bind(b"3", b"4") + execute + msg(b"S", b""))
    msgs = _read_messages(sock)
    assert [k for k, _ in msgs] == [b"1", b"2", b"C", b"2", b"C", b"E", b"Z"]
    assert _fields(msgs[5][1])["C"] == "08P01"
    assert msgs[-1][1] == b"I"
    sock.close()
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("select count(*) from wire_pipe").fetchone() == (0,)
