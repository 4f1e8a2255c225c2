"""A statement stopped by max_execution_time gives its memory back (HTTP and native); an HTTP
read whose client left stops when cancel_http_readonly_queries_on_client_close asks it to.

``SELECT count() FROM system.numbers`` gathers hundreds of megabytes of numbers a second until
the time limit stops it; a series of such statements must leave the server about as large as
it was, not larger by what each of them held (a long test run ended with the server killed).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from clickhouse_driver import Client
from clickhouse_driver.errors import ServerException

from helios_core.testing import HeliosServer

RUNAWAY = "SELECT count() FROM system.numbers"
STATEMENTS = 5
MARGIN_MB = 200  # each runaway statement alone grows the server by 300 MB - 1 GB


def _resident_mb(server: HeliosServer) -> int:
    with open(f"/proc/{server.process.pid}/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) // 1024


def _warm(server: HeliosServer) -> int:
    """The server's size once both protocols have answered a first statement."""
    Client("127.0.0.1", port=server.port("clickhouse")).execute("SELECT count() FROM numbers(10)")
    return _resident_mb(server)


@pytest.mark.timeout(300)
def test_http_timeouts_give_memory_back(server: HeliosServer, http: Any) -> None:
    http.request("SELECT 1")
    before = _warm(server)
    peak = 0
    for _ in range(STATEMENTS):
        reply = http.request(body=RUNAWAY, max_execution_time="1")
        assert reply.status != 200
        assert reply.headers["x-clickhouse-exception-code"] == "159"
        peak = max(peak, _resident_mb(server))
    after = _resident_mb(server)
    assert after - before < MARGIN_MB, (before, peak, after)


# a join over an unbounded source: the kernel's Python objects fill a worker thread's C heap
RUNAWAY_JOIN = ("SELECT * FROM (SELECT number, number / 2 AS n FROM system.numbers) AS l "
                "ANY LEFT JOIN (SELECT number / 3 AS n, number AS j FROM system.numbers) AS r USING n LIMIT 10")


@pytest.mark.timeout(300)
def test_http_join_timeout_gives_c_heap_back(server: HeliosServer, http: Any) -> None:
    http.request("SELECT 1")
    before = _warm(server)
    peak = 0
    for _ in range(2):
        reply = http.request(body=RUNAWAY_JOIN, max_execution_time="6")
        assert reply.headers["x-clickhouse-exception-code"] == "159"
        peak = max(peak, _resident_mb(server))
    after = _resident_mb(server)
    assert after - before < MARGIN_MB, (before, peak, after)


@pytest.mark.timeout(300)
def test_native_timeouts_give_memory_back(server: HeliosServer) -> None:
    client = Client("127.0.0.1", port=server.port("clickhouse"), send_receive_timeout=60)
    before = _warm(server)
    for _ in range(STATEMENTS):
        with pytest.raises(ServerException) as err:
            client.execute(RUNAWAY, settings={"max_execution_time": 1})
        assert err.value.code == 159
    after = _resident_mb(server)
    assert after - before < MARGIN_MB, (before, after)


def _first_request_abandoned(server: HeliosServer, session: str, **params: str) -> None:
    """Send a never-ending read on ``session`` and leave before its answer."""
    import socket
    import urllib.parse

    query = urllib.parse.urlencode({"session_id": session, "max_execution_time": "60", **params})
    body = RUNAWAY.encode()
    with socket.create_connection(("127.0.0.1", server.port("clickhouse_http"))) as sock:
        sock.sendall(f"POST /?{query} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        time.sleep(1.0)


def _session_free_after(http: Any, session: str, seconds: float) -> bool:
    """Whether ``session`` takes a statement again (it is locked while the read runs) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http.request("SELECT 1", session_id=session).status == 200:
            return True
        time.sleep(0.25)
    return False


@pytest.mark.timeout(120)
def test_a_read_whose_client_left_stops_when_asked(server: HeliosServer, http: Any) -> None:
    """cancel_http_readonly_queries_on_client_close = 1: the read stops when its client leaves
    (its session is free again at once); without it the read goes on, as ClickHouse's does."""
    _first_request_abandoned(server, "left-cancel", cancel_http_readonly_queries_on_client_close="1")
    assert _session_free_after(http, "left-cancel", 5)
    _first_request_abandoned(server, "left-running")
    assert not _session_free_after(http, "left-running", 3)  # still reading (locked: 373)
