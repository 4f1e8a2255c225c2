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


class TakenSocket:
    """A blocking socket plus the bytes the event loop had read before the hand-off."""

    def __init__(self, sock: socket.socket, pending: bytes) -> None:
        self.sock = sock
        self._buffer = bytearray(pending)
        self._closed = False

    def receive_exactly(self, size: int) -> bytes | None:
        """``size`` bytes, or None when the peer closed (or the socket was shut down) first."""
        buffer = self._buffer
        while len(buffer) < size:
            try:
                chunk = self.sock.recv(max(size - len(buffer), 65536))
            except OSError:
                return None
            if not chunk:
                return None
            buffer += chunk
        if len(buffer) == size:
            data = bytes(buffer)
            buffer.clear()
            return data
        data = bytes(buffer[:size])
        del buffer[:size]
        return data

    @property
    def has_buffered(self) -> bool:
        return bool(self._buffer)

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
