"""LeanStream: anyio's TCP stream replaced by one over its transport, on both event loops the
server may run (uvloop when installed, asyncio's own otherwise)."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from helios_protocol_pg.lean_stream import YIELD_EVERY, LeanStream, lean

# anyio 4.7 renamed these
_WAIT_WRITABLE = getattr(anyio, "wait_writable", None) or anyio.wait_socket_writable
_WAIT_READABLE = getattr(anyio, "wait_readable", None) or anyio.wait_socket_readable
LOOPS = [pytest.param(False, id="asyncio"), pytest.param(True, id="uvloop")]


def _run(body: Callable[[Any, socket.socket], Awaitable[None]], use_uvloop: bool) -> None:
    """``body(server_side_stream, client_socket)`` with a connected pair over loopback TCP."""
    if use_uvloop:
        pytest.importorskip("uvloop", reason="uvloop is not installed: only asyncio's loop is tested")

    async def main() -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        client = socket.create_connection(("127.0.0.1", port))
        client.setblocking(False)
        try:
            async with listener:
                stream = await listener.listeners[0].accept()
                await body(stream, client)
        finally:
            client.close()

    anyio.run(main, backend_options={"use_uvloop": use_uvloop})


async def _send_all(client: socket.socket, data: bytes) -> None:
    view = memoryview(data)
    while view:
        await _WAIT_WRITABLE(client)
        view = view[client.send(view):]


async def _recv_exactly(client: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        await _WAIT_READABLE(client)
        chunk = client.recv(n - len(out))
        assert chunk, "the server closed the connection"
        out += chunk
    return bytes(out)


@pytest.mark.parametrize("use_uvloop", LOOPS)
def test_data_anyio_had_received_comes_first_then_reads_join_what_arrived(use_uvloop: bool) -> None:
    async def body(stream: Any, client: socket.socket) -> None:
        await _send_all(client, b"hello ")
        assert await stream.receive() == b"hello "
        await _send_all(client, b"before ")
        await anyio.sleep(0.05)
        await stream.receive(1)  # anyio queues what arrived (b"b"); the rest waits in its queue
        lean_stream = lean(stream)
        assert isinstance(lean_stream, LeanStream)
        for piece in (b"one ", b"two ", b"three"):
            await _send_all(client, piece)
            await anyio.sleep(0.02)
        got = b""
        while len(got) < len(b"efore one two three"):
            got += await lean_stream.receive()
        assert got == b"efore one two three"
        await _send_all(client, b"abcdef")
        await anyio.sleep(0.02)
        assert await lean_stream.receive(4) == b"abcd"  # max_bytes is kept; the rest is next
        assert await lean_stream.receive() == b"ef"
        await lean_stream.aclose()

    _run(body, use_uvloop)


@pytest.mark.parametrize("use_uvloop", LOOPS)
def test_end_of_stream_and_a_closed_stream_raise_anyios_errors(use_uvloop: bool) -> None:
    async def body(stream: Any, client: socket.socket) -> None:
        s = lean(stream)
        await _send_all(client, b"last words")
        client.shutdown(socket.SHUT_WR)
        assert await s.receive() == b"last words"
        with pytest.raises(anyio.EndOfStream):
            await s.receive()
        await s.send(b"still writable after the peer's EOF")
        assert await _recv_exactly(client, 10) == b"still writ"
        await s.aclose()
        with pytest.raises(anyio.ClosedResourceError):
            await s.send(b"x")
        with pytest.raises(anyio.ClosedResourceError):
            await s.receive()

    _run(body, use_uvloop)


@pytest.mark.parametrize("use_uvloop", LOOPS)
def test_a_send_the_reader_is_slow_to_take_waits_and_then_arrives_whole(use_uvloop: bool) -> None:
    payload = bytes(range(256)) * 40_000  # 10 MB: far past the socket buffers

    async def body(stream: Any, client: socket.socket) -> None:
        s = lean(stream)
        done = anyio.Event()

        async def writer() -> None:
            await s.send(payload)
            done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(writer)
            await anyio.sleep(0.1)
            assert not done.is_set()  # the transport's buffer is full: the send waits for the reader
            got = await _recv_exactly(client, len(payload))
            await done.wait()
        assert got == payload

    _run(body, use_uvloop)


@pytest.mark.parametrize("use_uvloop", LOOPS)
def test_a_cancelled_receive_leaves_the_stream_usable(use_uvloop: bool) -> None:
    async def body(stream: Any, client: socket.socket) -> None:
        s = lean(stream)
        with anyio.move_on_after(0.05) as scope:
            await s.receive()
        assert scope.cancelled_caught
        await _send_all(client, b"after the timeout")
        assert await s.receive() == b"after the timeout"

    _run(body, use_uvloop)


@pytest.mark.parametrize("use_uvloop", LOOPS)
def test_a_reader_that_never_waits_still_lets_other_tasks_run(use_uvloop: bool) -> None:
    async def body(stream: Any, client: socket.socket) -> None:
        s = lean(stream)
        await _send_all(client, b"x" * 4096)
        await anyio.sleep(0.05)
        ticks = 0

        async def other() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await anyio.lowlevel.checkpoint()

        async with anyio.create_task_group() as tg:
            tg.start_soon(other)
            await anyio.lowlevel.checkpoint()
            start = ticks
            for _ in range(YIELD_EVERY * 8):  # every one finds its byte already there
                assert await s.receive(1) == b"x"
            assert ticks - start >= 6  # the reader yielded about once every YIELD_EVERY receives
            tg.cancel_scope.cancel()

    _run(body, use_uvloop)


def test_other_streams_are_kept_as_they_are() -> None:
    async def main() -> None:
        send, receive = anyio.create_memory_object_stream[bytes](1)
        assert lean(send) is send
        send.close()
        receive.close()

    anyio.run(main)
