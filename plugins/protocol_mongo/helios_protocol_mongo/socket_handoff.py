"""A connection's socket taken from the event loop for blocking I/O in the connection's own thread.

A MongoDB connection is strictly request -> reply, and a reply is mostly one command's work
under the GIL. Through the event loop each request paid for two buffered receives, a hop to a
worker thread and back, and an asynchronous send: with 8 clients the loop's share of the
server's GIL time was three times the commands' own (py-spy, bench/README.md). A thread that
owns its socket reads a request with one or two ``recv`` calls, runs the command, and writes the
reply with one ``sendall``; the GIL is released while it waits for the client.

``take_socket`` stops the event loop from reading the connection (its transport paused, what it
had already read handed over) and returns a duplicate of the socket; the stream itself stays
open, untouched, until the connection's task ends and closes it. It works with anyio's asyncio
backend over asyncio's or uvloop's transports (``helios serve`` runs uvloop when installed); for
anything else it returns None and the connection is served through the stream as before.
"""

from __future__ import annotations

import os
import socket
from typing import Any

RECEIVE_BUFFER = 1 << 16  # bytes: a connection's receive buffer (larger messages get one of their size)


class TakenSocket:
    """A blocking socket plus the bytes the event loop had read before the hand-off.

    Received bytes go into one buffer the connection keeps (``recv_into``, no new bytes object per
    ``recv``); a request's header and body usually arrive in one segment, so the body is taken from
    the buffer without a second system call."""

    def __init__(self, sock: socket.socket, pending: bytes) -> None:
        self.sock = sock
        self._buffer = bytearray(max(RECEIVE_BUFFER, len(pending)))
        self._view = memoryview(self._buffer)
        self._buffer[:len(pending)] = pending
        self._start = 0  # the unread bytes are _buffer[_start:_end]
        self._end = len(pending)
        self._closed = False

    def receive_exactly(self, size: int) -> bytes | None:
        """``size`` bytes, or None when the peer closed (or the socket was shut down) first."""
        start = self._start
        if self._end - start < size:
            if not self._fill(size):
                return None
            start = 0
        self._start = start + size
        return bytes(self._view[start:start + size])

    def _fill(self, size: int) -> bool:
        """Receive until ``size`` unread bytes are buffered (from the buffer's start); False at end of stream."""
        unread = self._end - self._start
        capacity = len(self._buffer)
        if size > capacity or (capacity > RECEIVE_BUFFER and max(size, unread) <= RECEIVE_BUFFER):
            # a message larger than the buffer gets a buffer of its size; after it, the usual size again
            buffer = bytearray(max(size, RECEIVE_BUFFER))
            buffer[:unread] = self._view[self._start:self._end]
            self._buffer, self._view = buffer, memoryview(buffer)
        elif self._start:  # the unread start of the next message to the front (a copy: the ranges may overlap)
            self._buffer[:unread] = bytes(self._view[self._start:self._end])
        self._start, self._end = 0, unread
        view = self._view
        while self._end < size:
            try:
                received = self.sock.recv_into(view[self._end:])
            except OSError:
                return False
            if not received:
                return False
            self._end += received
        return True

    @property
    def has_buffered(self) -> bool:
        return self._end > self._start

    def send(self, data: bytes) -> bool:
        """Write all of ``data``; False when the connection is gone."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def shut_down(self) -> None:
        """Wake a thread blocked in ``recv`` (it sees end of stream); safe from any thread."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.sock.close()


def take_socket(stream: Any) -> TakenSocket | None:
    """The stream's socket for blocking use (see module doc), or None when the stream is not an
    asyncio transport's or has already seen the end of its input."""
    transport = getattr(stream, "_transport", None)
    protocol = getattr(stream, "_protocol", None)
    queue = getattr(protocol, "read_queue", None)
    if queue is None or not all(hasattr(transport, m) for m in ("pause_reading", "get_extra_info", "is_closing")):
        return None
    if transport.is_closing():
        return None
    if getattr(protocol, "is_at_eof", False) or getattr(protocol, "exception", None) is not None:
        return None
    raw = transport.get_extra_info("socket")
    if raw is None:
        return None
    transport.pause_reading()  # from here on the loop reads nothing more from this socket
    pending = b"".join(queue)
    queue.clear()
    sock = socket.socket(fileno=os.dup(raw.fileno()))  # uvloop's socket object cannot dup itself
    sock.setblocking(True)  # the file status is shared with the loop's descriptor, which no longer reads it
    return TakenSocket(sock, pending)
