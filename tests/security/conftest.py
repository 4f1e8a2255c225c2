"""Attacker-side tools: a raw PostgreSQL wire client and a look at the server process's resources.

The tests in this directory play an unauthenticated peer or a hostile tenant: they speak the
v3 protocol byte by byte (so they can send what no driver would) while a well-behaved psycopg
client checks that the server keeps serving everyone else.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helios_core.testing import HeliosServer


class RawPg:
    """One socket speaking the PostgreSQL v3 protocol by hand."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def startup(self, user: str = "helios", database: str = "helios", **params: str) -> None:
        body = struct.pack("!i", 196608)
        for k, v in {"user": user, "database": database, **params}.items():
            body += k.encode() + b"\0" + v.encode() + b"\0"
        body += b"\0"
        self.send(struct.pack("!i", len(body) + 4) + body)

    def message(self, kind: bytes, payload: bytes = b"") -> None:
        self.send(kind + struct.pack("!i", len(payload) + 4) + payload)

    def query(self, sql: str | bytes) -> None:
        raw = sql.encode() if isinstance(sql, str) else sql
        self.message(b"Q", raw + b"\0")

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        return data

    def read(self) -> tuple[bytes, bytes]:
        while len(self.buf) < 5:
            self.buf += self._recv()
        kind = self.buf[:1]
        (length,) = struct.unpack("!i", self.buf[1:5])
        while len(self.buf) < 1 + length:
            self.buf += self._recv()
        payload = self.buf[5 : 1 + length]
        self.buf = self.buf[1 + length :]
        return kind, payload

    def read_until(self, kind: bytes = b"Z") -> list[tuple[bytes, bytes]]:
        out = []
        while True:
            msg = self.read()
            out.append(msg)
            if msg[0] == kind:
                return out

    def login_trust(self, user: str = "helios", database: str = "helios") -> None:
        """Start-up on a server without [auth] (loopback): straight to ReadyForQuery."""
        self.startup(user, database)
        msgs = self.read_until(b"Z")
        assert msgs[0][0] == b"R", msgs[0]

    def closed_by_server(self, within: float) -> bool:
        """True when the server closes the socket within ``within`` seconds (data before EOF is skipped)."""
        deadline = time.monotonic() + within
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.sock.settimeout(left)
                if not self.sock.recv(65536):
                    return True
        except TimeoutError:
            return False
        except OSError:  # reset by peer: closed too
            return True


def error_fields(payload: bytes) -> dict[str, str]:
    """ErrorResponse / NoticeResponse payload -> {field code: value}."""
    out = {}
    for part in payload.split(b"\0"):
        if part:
            out[part[:1].decode()] = part[1:].decode()
    return out


def first_error(msgs: list[tuple[bytes, bytes]]) -> dict[str, str]:
    for kind, payload in msgs:
        if kind == b"E":
            return error_fields(payload)
    raise AssertionError(f"no ErrorResponse in {[k for k, _ in msgs]}")


def read_error(raw: RawPg) -> dict[str, str]:
    """Read until an ErrorResponse (or EOF) and return its fields."""
    while True:
        kind, payload = raw.read()
        if kind == b"E":
            return error_fields(payload)


def server_pid(server: HeliosServer) -> int:
    return server.process.pid


def open_fds(server: HeliosServer) -> int:
    return len(os.listdir(f"/proc/{server_pid(server)}/fd"))


def rss_bytes(server: HeliosServer) -> int:
    for line in Path(f"/proc/{server_pid(server)}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def raw_client() -> Iterator[Callable[..., RawPg]]:
    """raw_client(server) -> a RawPg on its postgres port; every socket is closed at teardown."""
    opened: list[RawPg] = []

    def open_(server: HeliosServer, timeout: float = 10.0) -> RawPg:
        raw = RawPg(server.host, server.port("postgres"), timeout)
        opened.append(raw)
        return raw

    yield open_
    for raw in opened:
        try:
            raw.close()
        except OSError:
            pass


class Wire:
    """The helpers above, as one fixture (test modules here cannot import the conftest)."""

    RawPg = RawPg
    error_fields = staticmethod(error_fields)
    first_error = staticmethod(first_error)
    read_error = staticmethod(read_error)
    open_fds = staticmethod(open_fds)
    rss_bytes = staticmethod(rss_bytes)


@pytest.fixture(scope="session")
def wire() -> type[Wire]:
    return Wire
