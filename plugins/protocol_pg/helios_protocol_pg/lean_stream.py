"""The connection's TCP socket read and written straight through its asyncio transport.

anyio's socket stream pays for its generality on every round trip: each ``receive`` turns the
transport's reading on and off again (two epoll changes) and waits on an Event, and each
``send`` checks for cancellation and then yields to the event loop once more. A point read's
round trip spent about a sixth of the server's time there (py-spy at 8 pgbench clients). Once a
plain TCP connection has logged in, the message loop uses this stream instead: reading stays on
(paused only while more than ``HIGH_WATER`` bytes wait unread), received data is handed over
as it came, a write goes to the transport at once and waits only while the transport says its
buffer is full. To stay fair to the other connections on the loop, a connection that keeps
finding its data already there yields once every ``YIELD_EVERY`` calls that did not wait.

The errors are anyio's (EndOfStream, BrokenResourceError, ClosedResourceError), so callers
treat both streams alike; cancellation (a shutdown, a timeout's cancel scope) reaches a
waiting ``receive`` or ``send`` as it does anyio's. TLS connections and anything but anyio's
asyncio TCP stream keep anyio's stream (``lean``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import anyio

HIGH_WATER = 1 << 20  # unread bytes at which reading pauses (the client waits on TCP's window)
YIELD_EVERY = 16
_NO_DEFAULT = object()


def lean(stream: Any) -> Any:
    """``stream`` as a LeanStream when it is anyio's asyncio TCP stream, else ``stream`` itself."""
    transport = getattr(stream, "_transport", None)
    protocol = getattr(stream, "_protocol", None)
    if (type(stream).__name__ != "SocketStream" or not hasattr(transport, "set_protocol")
            or not hasattr(protocol, "read_queue") or transport.is_closing()):
        return stream
    return LeanStream(stream, transport, protocol)


class _Protocol(asyncio.Protocol):
    """Hands the transport's events to its LeanStream."""

    def __init__(self, owner: LeanStream) -> None:
        self.owner = owner

    def data_received(self, data: bytes) -> None:
        self.owner._received(bytes(data))

    def eof_received(self) -> bool:
        self.owner._eof = True
        self.owner._wake_reader()
        return True  # keep the transport open for writing, as anyio's protocol does

    def connection_lost(self, exc: Exception | None) -> None:
        owner = self.owner
        owner._lost = True
        if exc is not None:
            owner._exc = exc
        owner._wake_reader()
        owner._wake_writer()

    def pause_writing(self) -> None:
        self.owner._write_paused = True

    def resume_writing(self) -> None:
        self.owner._write_paused = False
        self.owner._wake_writer()


class LeanStream:
    """The ``receive``/``send``/``aclose``/``extra`` part of anyio's ByteStream the PostgreSQL
    connection uses, over the transport of the anyio stream it replaces."""

    def __init__(self, stream: Any, transport: Any, protocol: Any) -> None:
        self._anyio = stream
        self._transport = transport
        # what anyio's protocol had received and not handed out yet comes first
        self._chunks: deque[bytes] = deque(protocol.read_queue)
        protocol.read_queue.clear()
        self._buffered = sum(map(len, self._chunks))
        # an EOF anyio saw: its flag (anyio 4.4 on), or its read event set over an empty queue
        self._eof = bool(getattr(protocol, "is_at_eof", False)) or (
            protocol.read_event.is_set() and not self._chunks)
        self._exc: BaseException | None = protocol.exception
        self._lost = False
        self._closed = False
        self._write_paused = not protocol.write_event.is_set()
        self._reading_paused = False
        self._reader: asyncio.Future[None] | None = None
        self._writer: asyncio.Future[None] | None = None
        self._unyielded = 0
        transport.set_protocol(_Protocol(self))
        transport.resume_reading()  # anyio reads only while a receive waits

    # -- the transport's side
    def _received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > HIGH_WATER and not self._reading_paused:
            self._reading_paused = True
            self._transport.pause_reading()
        self._wake_reader()

    def _wake_reader(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.set_result(None)

    def _wake_writer(self) -> None:
        if self._writer is not None and not self._writer.done():
            self._writer.set_result(None)

    async def _fair_yield(self) -> None:
        self._unyielded += 1
        if self._unyielded >= YIELD_EVERY:
            self._unyielded = 0
            await asyncio.sleep(0)

    # -- anyio's ByteStream calls
    async def receive(self, max_bytes: int = 65536) -> bytes:
        if max_bytes < 1:
            raise ValueError("max_bytes must be a positive integer")
        if self._chunks:
            await self._fair_yield()
        else:
            while not self._chunks:
                self._raise_if_closed_or_broken()
                if self._eof or self._lost:
                    raise anyio.EndOfStream
                self._reader = asyncio.get_running_loop().create_future()
                try:
                    await self._reader
                finally:
                    self._reader = None
            self._unyielded = 0
        if not self._chunks:  # closed while the data was being waited for
            raise anyio.ClosedResourceError
        chunk = self._chunks.popleft()
        if self._chunks and len(chunk) < max_bytes:  # everything that has come, as one read would give it
            parts = [chunk]
            size = len(chunk)
            while self._chunks and size + len(self._chunks[0]) <= max_bytes:
                size += len(self._chunks[0])
                parts.append(self._chunks.popleft())
            chunk = b"".join(parts)
        if len(chunk) > max_bytes:
            chunk, rest = chunk[:max_bytes], chunk[max_bytes:]
            self._chunks.appendleft(rest)
        self._buffered -= len(chunk)
        if self._reading_paused and self._buffered <= HIGH_WATER // 2 and not self._lost:
            self._reading_paused = False
            self._transport.resume_reading()
        return chunk

    async def send(self, item: bytes) -> None:
        self._raise_if_closed_or_broken()
        if self._lost or self._transport.is_closing():
            raise anyio.BrokenResourceError
        self._transport.write(item)
        if not self._write_paused:
            await self._fair_yield()
            return
        while self._write_paused and not self._lost:  # the transport's buffer is full: wait until it drains
            self._writer = asyncio.get_running_loop().create_future()
            try:
                await self._writer
            finally:
                self._writer = None
        self._unyielded = 0
        self._raise_if_closed_or_broken()

    def _raise_if_closed_or_broken(self) -> None:
        """anyio's errors: this side closed the stream, or the connection failed."""
        if self._closed:
            raise anyio.ClosedResourceError
        if self._exc is not None:
            raise anyio.BrokenResourceError from self._exc

    async def send_eof(self) -> None:
        try:
            self._transport.write_eof()
        except OSError:
            pass

    async def aclose(self) -> None:
        self._closed = True
        self._chunks.clear()
        self._wake_reader()
        self._wake_writer()
        await self._anyio.aclose()  # aborts the transport, as anyio's own close does

    def extra(self, attribute: Any, default: Any = _NO_DEFAULT) -> Any:
        return self._anyio.extra(attribute) if default is _NO_DEFAULT else self._anyio.extra(attribute, default)

    @property
    def extra_attributes(self) -> Any:
        return self._anyio.extra_attributes
