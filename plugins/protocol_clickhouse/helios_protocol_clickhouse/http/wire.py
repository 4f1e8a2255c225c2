"""HTTP/1.1 framing over an anyio byte stream: requests in, responses out.

Only what ClickHouse clients send: a request line, headers, a body framed by
Content-Length or chunked transfer coding, keep-alive. Limits keep a bad client from
holding the server's memory.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable

import anyio
import attrs
from anyio.streams.buffered import BufferedByteReceiveStream

MAX_HEAD = 1 << 20  # request line + headers
MAX_BODY = 1 << 31


class BadRequest(Exception):
    """The bytes are not an HTTP/1.1 request we can read: answer 400 and close."""


class ClientWatch:
    """Whether a request's client is still there; what to do when it leaves (a cancel)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gone = False
        self._on_gone: Callable[[], None] | None = None

    def gone(self) -> None:
        """The client closed its connection before its answer."""
        with self._lock:
            self._gone = True
            action = self._on_gone
        if action is not None:
            action()

    def on_gone(self, action: Callable[[], None] | None) -> None:
        """Run ``action`` when the client leaves (now, if it already has); None: nothing."""
        with self._lock:
            self._on_gone = action
            gone = self._gone
        if gone and action is not None:
            action()


@attrs.define
class Request:
    method: str
    path: str
    params: list[tuple[str, str]]  # the query string, in order (a key may repeat)
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    version: str = "HTTP/1.1"
    client: ClientWatch = attrs.Factory(ClientWatch)

    def param(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return default

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


async def read_request(reader: BufferedByteReceiveStream) -> Request | None:
    """The next request on the connection, None when the client closed it between requests."""
    try:
        head = await reader.receive_until(b"\r\n\r\n", MAX_HEAD)
    except anyio.IncompleteRead:
        return None
    except anyio.DelimiterNotFound:
        raise BadRequest("request header too large") from None
    lines = head.decode("latin-1").split("\r\n")
    while lines and not lines[0]:  # stray CRLF between requests
        lines.pop(0)
    if not lines:
        raise BadRequest("empty request")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(f"malformed request line {lines[0][:100]!r}")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise BadRequest(f"malformed header line {line[:100]!r}")
        headers[name.strip().lower()] = value.strip()
    path, _, query = target.partition("?")
    params = urllib.parse.parse_qsl(query, keep_blank_values=True)
    body = await _read_body(reader, headers)
    return Request(method=method.upper(), path=urllib.parse.unquote(path), params=params,
                   headers=headers, body=body, version=version)


async def _read_body(reader: BufferedByteReceiveStream, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        total = 0
        while True:
            size_line = await reader.receive_until(b"\r\n", 1024)
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BadRequest("malformed chunk size") from None
            if size == 0:
                while await reader.receive_until(b"\r\n", MAX_HEAD):  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise BadRequest("request body too large")
            chunks.append(await reader.receive_exactly(size))
            await reader.receive_exactly(2)
    length = headers.get("content-length")
    if not length:
        return b""
    try:
        n = int(length)
    except ValueError:
        raise BadRequest("malformed Content-Length") from None
    if n < 0 or n > MAX_BODY:
        raise BadRequest("bad Content-Length")
    return await reader.receive_exactly(n) if n else b""


REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 500: "Internal Server Error", 501: "Not Implemented",
           503: "Service Unavailable"}


def response_bytes(status: int, headers: list[tuple[str, str]], body: bytes, *, keep_alive: bool) -> bytes:
    """A whole response: status line, headers (Content-Length and Connection added), body."""
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}"]
    lines.extend(f"{k}: {v}" for k, v in headers)
    lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: Keep-Alive" if keep_alive else "Connection: Close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
