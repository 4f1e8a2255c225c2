"""Connections served by their own threads (socket_handoff): in-process, over asyncio and uvloop."""

from __future__ import annotations

import logging
import socket
import struct
import time

import anyio
import bson
import pytest
from helios_protocol_mongo.config import MongoConfig
from helios_protocol_mongo.server import MongoServer

from helios_core.engine import Engine


class _Kernel:
    def __init__(self) -> None:
        self.engine = Engine.open(None)

    def open_session(self, user: str, database: str, options: dict[str, str]):
        return self.engine.connect(user=user, database=database)


def _ping(request_id: int) -> bytes:
    body = struct.pack("<I", 0) + b"\x00" + bson.encode({"ping": 1, "$db": "admin"})
    return struct.pack("<iiii", 16 + len(body), request_id, 0, 2013) + body


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "closed before the reply"
        data += chunk
    return data


def _reply(sock: socket.socket) -> tuple[int, dict]:
    length, _request_id, response_to, _op = struct.unpack("<iiii", _exactly(sock, 16))
    return response_to, bson.decode(_exactly(sock, length - 16)[5:])


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except OSError:
        return True


@pytest.mark.parametrize("use_uvloop", [False, True], ids=["asyncio", "uvloop"])
def test_pipelined_requests_then_stop_closes_waiting_connections(use_uvloop):
    """Requests sent back to back (the second before the first's reply) are answered in order, by
    the connection's thread; on stop, idle and half-read connections are closed at once."""
    if use_uvloop:
        pytest.importorskip("uvloop", reason="uvloop is not installed")
    results: dict[str, object] = {}

    async def main() -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        server = MongoServer(_Kernel(), MongoConfig(), listener, logging.getLogger("test"))
        stopping = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve, stopping)

            def clients() -> None:
                busy = socket.create_connection(("127.0.0.1", port), timeout=10)
                busy.sendall(_ping(1) + _ping(2) + _ping(3))
                results["replies"] = [_reply(busy) for _ in range(3)]
                half = socket.create_connection(("127.0.0.1", port), timeout=10)
                half.sendall(_ping(4)[:20])  # a body cut short: its thread is reading it
                time.sleep(0.2)
                results["threads"] = sum(c.taken is not None for c in server.connections)
                anyio.from_thread.run_sync(stopping.set)
                started = time.monotonic()
                results["closed"] = (_closed(busy), _closed(half))
                results["seconds"] = time.monotonic() - started

            await anyio.to_thread.run_sync(clients)
            with anyio.fail_after(5):
                while server.open_connections:
                    await anyio.sleep(0.01)
            tg.cancel_scope.cancel()

    anyio.run(main, backend_options={"use_uvloop": use_uvloop})
    assert [(to, doc["ok"]) for to, doc in results["replies"]] == [(1, 1.0), (2, 1.0), (3, 1.0)]
    assert results["threads"] == 2
    assert results["closed"] == (True, True) and results["seconds"] < 3
