"""A statement stopped by max_execution_time gives its memory back (HTTP and native).

``SELECT count() FROM system.numbers`` gathers hundreds of megabytes of numbers a second until
the time limit stops it; a series of such statements must leave the server about as large as
it was, not larger by what each of them held (a long test run ended with the server killed).
"""

from __future__ import annotations

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
