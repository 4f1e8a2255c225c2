"""The v3 message codec: framing, frontend messages in, backend messages out.

Every frontend message after startup is ``type byte, int32 length (self-inclusive), payload``;
startup-phase packets have no type byte. Reading is strict: a length below 4 or above
``MAX_MESSAGE`` or a payload that does not parse raises ``ProtocolViolation`` (SQLSTATE
08P01) so the connection can report it and close without disturbing anyone else.
Backend messages are built as ``bytes`` by small functions and written in batches.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import attrs

from helios_core.errors import HeliosError
from helios_protocol_pg import client_encoding

MAX_MESSAGE = 1 << 30  # PostgreSQL's own limit for a message
MAX_STARTUP = 10_000
# messages that carry SQL, parameters or COPY data may be large; the others never are (as in PostgreSQL)
LARGE_MESSAGE_TYPES = frozenset((b"Q", b"P", b"B", b"d", b"p", b"F", b"f"))
MAX_SMALL_MESSAGE = 10_000

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
PROTOCOL_3 = 196608

_I16 = struct.Struct("!h")
_U16 = struct.Struct("!H")  # counts (parameters, formats): PostgreSQL reads and writes them unsigned
_I32 = struct.Struct("!i")
_U32 = struct.Struct("!I")
_HDR = struct.Struct("!ci")


class ProtocolViolation(Exception):
    """The client broke the framing or a message's layout (SQLSTATE 08P01)."""

    sqlstate = "08P01"


class MalformedMessage(ProtocolViolation):
    """A message framed right whose contents do not parse: after login an ERROR, the connection
    goes on (PostgreSQL's "invalid message format" and friends); before login still fatal."""


class ClientGone(Exception):
    """The client closed the socket (EOF mid-message or between messages)."""


# ---------------------------------------------------------------------------
# Reading frames
# ---------------------------------------------------------------------------


MAX_RECEIVE = 1 << 20  # bytes asked of the socket at once, whatever length a header claims


def _check_length(kind: bytes, length: int, max_length: int | None = None) -> None:
    limit = MAX_MESSAGE if kind in LARGE_MESSAGE_TYPES else MAX_SMALL_MESSAGE
    if max_length is not None:
        limit = min(limit, max_length)
    if length < 4 or length > limit:
        raise ProtocolViolation("invalid message length")


class WireReader:
    """Buffered reads from a byte stream, with a synchronous path for messages already buffered.

    COPY clients such as pgbench send one small CopyData per row: taking every complete
    message straight out of the buffer (``try_message``) instead of awaiting each one keeps a
    million-row COPY from costing a million event-loop round trips.
    """

    __slots__ = ("buf", "dropped", "pos", "stream")

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.buf = bytearray()
        self.pos = 0
        self.dropped = 0  # bytes read and let go from the buffer's front: ``dropped + pos`` is the stream offset

    @property
    def offset(self) -> int:
        """How far into the stream the reader is (positions in ``buf`` move when it is compacted)."""
        return self.dropped + self.pos

    def buffered(self) -> int:
        return len(self.buf) - self.pos

    async def _fill(self, n: int) -> None:
        import anyio

        while len(self.buf) - self.pos < n:
            if self.pos:
                del self.buf[: self.pos]
                self.dropped += self.pos
                self.pos = 0
            try:
                # bounded: a TLS stream allocates what is asked, and a header may claim 1 GB
                data = await self.stream.receive(min(MAX_RECEIVE, max(65536, n - len(self.buf))))
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError,
                    ConnectionError) as exc:
                raise ClientGone(str(exc) or type(exc).__name__) from exc
            self.buf += data

    async def receive_exactly(self, n: int) -> bytes:
        if len(self.buf) - self.pos < n:
            await self._fill(n)
        with memoryview(self.buf) as view:
            out = bytes(view[self.pos : self.pos + n])
        self.pos += n
        return out

    def peek_kind(self) -> bytes | None:
        """Type byte of the next buffered message (None when nothing is buffered)."""
        return bytes(self.buf[self.pos : self.pos + 1]) if len(self.buf) > self.pos else None

    def try_message(self, max_length: int | None = None) -> tuple[bytes, bytes] | None:
        """The next typed message if it is entirely buffered, else None (no I/O)."""
        avail = len(self.buf) - self.pos
        if avail < 5:
            return None
        kind, length = _HDR.unpack_from(self.buf, self.pos)
        _check_length(kind, length, max_length)
        if avail < 1 + length:
            return None
        start = self.pos + 5
        self.pos += 1 + length
        with memoryview(self.buf) as view:
            return kind, bytes(view[start : self.pos])


    def take_copy_data(self, parts: list[bytes], limit: int) -> int:
        """Append the payloads of the CopyData messages buffered in a row to ``parts`` (until
        ``limit`` bytes) and return their size: one tight loop instead of a call per message,
        since pgbench and psql send a message per row."""
        buf, pos, end = self.buf, self.pos, len(self.buf)
        unpack, size = _HDR.unpack_from, 0
        while size < limit and end - pos >= 5:
            kind, length = unpack(buf, pos)
            if kind != b"d" or end - pos < 1 + length:
                break
            if length < 4 or length > MAX_MESSAGE:
                raise ProtocolViolation("invalid message length")
            parts.append(buf[pos + 5 : pos + 1 + length])
            size += length - 4
            pos += 1 + length
        self.pos = pos
        return size


async def read_exactly(reader: WireReader, n: int) -> bytes:
    return await reader.receive_exactly(n)


async def read_startup_packet(reader: WireReader) -> tuple[int, bytes]:
    """Read a length-prefixed packet without type byte: returns (code, rest)."""
    (length,) = _I32.unpack(await read_exactly(reader, 4))
    if length < 8 or length > MAX_STARTUP:
        raise ProtocolViolation(f"invalid length of startup packet: {length}")
    body = await read_exactly(reader, length - 4)
    (code,) = _I32.unpack_from(body, 0)
    return code, body[4:]


async def read_message(reader: WireReader, max_length: int | None = None) -> tuple[bytes, bytes]:
    """Read one typed message: returns (type byte, payload); ``max_length`` caps it below the usual."""
    ready = reader.try_message(max_length)
    if ready is not None:
        return ready
    if reader.buffered() < 5:  # a whole small message usually comes in the same receive as its header
        await reader._fill(5)
        ready = reader.try_message(max_length)
        if ready is not None:
            return ready
    hdr = await read_exactly(reader, 5)
    kind, length = _HDR.unpack(hdr)
    _check_length(kind, length, max_length)
    payload = await read_exactly(reader, length - 4) if length > 4 else b""
    return kind, payload


# ---------------------------------------------------------------------------
# Parsing payloads
# ---------------------------------------------------------------------------


class PayloadReader:
    """Cursor over one message payload; every read checks bounds."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _need(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.data):
            raise MalformedMessage("insufficient data left in message")

    def int16(self) -> int:
        self._need(2)
        (v,) = _I16.unpack_from(self.data, self.pos)
        self.pos += 2
        return v

    def uint16(self) -> int:
        self._need(2)
        (v,) = _U16.unpack_from(self.data, self.pos)
        self.pos += 2
        return v

    def int32(self) -> int:
        self._need(4)
        (v,) = _I32.unpack_from(self.data, self.pos)
        self.pos += 4
        return v

    def uint32(self) -> int:
        self._need(4)
        (v,) = _U32.unpack_from(self.data, self.pos)
        self.pos += 4
        return v

    def byte(self) -> bytes:
        self._need(1)
        b = self.data[self.pos : self.pos + 1]
        self.pos += 1
        return b

    def raw(self, n: int) -> bytes:
        self._need(n)
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b

    def rest(self) -> bytes:
        b = self.data[self.pos :]
        self.pos = len(self.data)
        return b

    def cstring(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise MalformedMessage("invalid string in message")
        raw = self.data[self.pos : end]
        self.pos = end + 1
        return decode_text(raw)

    def done(self) -> None:
        if self.pos != len(self.data):
            raise MalformedMessage("invalid message format")


def decode_text(raw: bytes) -> str:
    """Client text (a string field or a text-format parameter): UTF-8 without NUL, else 22021."""
    if not client_encoding.is_utf8():
        text = client_encoding.decode(raw)
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HeliosError(
                f'invalid byte sequence for encoding "UTF8": 0x{raw[exc.start]:02x}', sqlstate="22021"
            ) from exc
    if "\x00" in text:
        raise HeliosError('invalid byte sequence for encoding "UTF8": 0x00', sqlstate="22021")
    return text


def parse_startup_params(body: bytes) -> dict[str, str]:
    """Parse the key\\0value\\0...\\0 list of a StartupMessage."""
    r = PayloadReader(body)
    params: dict[str, str] = {}
    while True:
        if r.pos >= len(r.data):
            raise ProtocolViolation("startup packet is missing its final terminator")
        if r.data[r.pos] == 0:
            r.pos += 1
            break
        key = r.cstring()
        value = r.cstring()
        params[key] = value
    return params


@attrs.define(slots=True)
class Parse:
    name: str
    query: str
    param_oids: list[int]


@attrs.define(slots=True)
class Bind:
    portal: str
    statement: str
    param_formats: list[int]
    params: list[bytes | None]
    result_formats: list[int]


def parse_parse(payload: bytes) -> Parse:
    r = PayloadReader(payload)
    name = r.cstring()
    query = r.cstring()
    n = r.uint16()
    oids = [r.uint32() for _ in range(n)]
    r.done()
    return Parse(name, query, oids)


def parse_bind(payload: bytes) -> Bind:
    """A Bind message's fields, with PayloadReader's checks (a pipelined executemany sends one per
    row: the fields are read with struct directly instead of a reader call each)."""
    size = len(payload)
    cut = payload.find(b"\0")
    cut2 = payload.find(b"\0", cut + 1) if cut >= 0 else -1
    if cut2 < 0:
        raise MalformedMessage("invalid string in message")
    portal = decode_text(payload[:cut]) if cut else ""
    stmt = decode_text(payload[cut + 1:cut2]) if cut2 > cut + 1 else ""
    pos = cut2 + 1
    try:
        (nf,) = _U16.unpack_from(payload, pos)
        formats = list(struct.unpack_from(f"!{nf}h", payload, pos + 2)) if nf else []
        pos += 2 + 2 * nf
        (np_,) = _U16.unpack_from(payload, pos)
        pos += 2
        params: list[bytes | None] = []
        unpack = _I32.unpack_from
        for _ in range(np_):
            (ln,) = unpack(payload, pos)
            pos += 4
            if ln == -1:
                params.append(None)
            elif ln < 0:
                raise MalformedMessage(f"invalid parameter length {ln} in Bind")
            elif pos + ln > size:
                raise MalformedMessage("insufficient data left in message")
            else:
                params.append(payload[pos:pos + ln])
                pos += ln
        (nr,) = _U16.unpack_from(payload, pos)
        rformats = list(struct.unpack_from(f"!{nr}h", payload, pos + 2)) if nr else []
        pos += 2 + 2 * nr
    except struct.error:
        raise MalformedMessage("insufficient data left in message") from None
    if pos != size:
        raise MalformedMessage("invalid message format")
    for f in (*formats, *rformats):
        if f not in (0, 1):
            raise MalformedMessage(f"unsupported format code: {f}")
    return Bind(portal, stmt, formats, params, rformats)


def parse_describe_or_close(payload: bytes) -> tuple[str, str]:
    r = PayloadReader(payload)
    kind = r.byte()
    name = r.cstring()
    r.done()
    if kind not in (b"S", b"P"):
        raise MalformedMessage(f"invalid DESCRIBE/CLOSE message subtype {kind!r}")
    return kind.decode(), name


def parse_execute(payload: bytes) -> tuple[str, int]:
    r = PayloadReader(payload)
    portal = r.cstring()
    limit = r.int32()
    r.done()
    return portal, limit


def parse_query(payload: bytes) -> str:
    r = PayloadReader(payload)
    q = r.cstring()
    r.done()
    return q


# ---------------------------------------------------------------------------
# Backend messages
# ---------------------------------------------------------------------------


def msg(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + _I32.pack(len(payload) + 4) + payload


def cstr(s: str) -> bytes:
    """A string field of a backend message. A NUL inside would end the field early and let the rest
    be read as further fields (a value forging an SQLSTATE, say), so it is shown as \\0 instead."""
    data = client_encoding.encode_message(s)
    if b"\0" in data:
        data = data.replace(b"\0", b"\\0")
    return data + b"\0"


AUTH_OK = msg(b"R", _I32.pack(0))
PARSE_COMPLETE = msg(b"1")
BIND_COMPLETE = msg(b"2")
CLOSE_COMPLETE = msg(b"3")
NO_DATA = msg(b"n")
PORTAL_SUSPENDED = msg(b"s")
EMPTY_QUERY = msg(b"I")
COPY_DONE = msg(b"c")


def auth_cleartext() -> bytes:
    return msg(b"R", _I32.pack(3))


def auth_md5(salt: bytes) -> bytes:
    return msg(b"R", _I32.pack(5) + salt)


def auth_sasl(mechanisms: Sequence[str]) -> bytes:
    return msg(b"R", _I32.pack(10) + b"".join(cstr(m) for m in mechanisms) + b"\0")


def auth_sasl_continue(data: bytes) -> bytes:
    return msg(b"R", _I32.pack(11) + data)


def auth_sasl_final(data: bytes) -> bytes:
    return msg(b"R", _I32.pack(12) + data)


def parameter_status(name: str, value: str) -> bytes:
    return msg(b"S", cstr(name) + cstr(value))


def backend_key_data(pid: int, secret: int) -> bytes:
    return msg(b"K", _I32.pack(pid) + _I32.pack(secret))


def ready_for_query(status: str) -> bytes:
    return msg(b"Z", status.encode())


def notification_response(sender_pid: int, channel: str, payload: str) -> bytes:
    """NotificationResponse ('A'): a NOTIFY on a channel the client LISTENs on."""
    return msg(b"A", _I32.pack(sender_pid) + cstr(channel) + cstr(payload))


def command_complete(tag: str) -> bytes:
    return msg(b"C", cstr(tag))


def parameter_description(oids: Sequence[int]) -> bytes:
    return msg(b"t", _U16.pack(len(oids)) + b"".join(_U32.pack(o & 0xFFFFFFFF) for o in oids))


# pg_type.typlen of fixed-size types, for RowDescription when the SQL layer leaves it at -1

def row_description(columns: Sequence, formats: Sequence[int] = ()) -> bytes:
    """``columns`` are ResultColumn-like; ``formats`` one per column (or one for all, or none)."""
    from helios_protocol_pg.pg_types import describe

    parts = [_I16.pack(len(columns))]
    for i, c in enumerate(columns):
        fmt = formats[i] if len(formats) > 1 else (formats[0] if formats else 0)
        t = describe(c.type_name)
        parts.append(
            cstr(c.name)
            + struct.pack(
                "!IhIhih",
                getattr(c, "table_oid", 0) & 0xFFFFFFFF,
                getattr(c, "column_number", 0),
                t.oid & 0xFFFFFFFF,
                t.size,
                t.typmod,
                fmt,
            )
        )
    return msg(b"T", b"".join(parts))


def data_row(values: Sequence[bytes | None]) -> bytes:
    parts = [_I16.pack(len(values))]
    for v in values:
        if v is None:
            parts.append(b"\xff\xff\xff\xff")
        else:
            parts.append(_I32.pack(len(v)))
            parts.append(v)
    body = b"".join(parts)
    return b"D" + _I32.pack(len(body) + 4) + body


def _fields(fields: dict[bytes, str]) -> bytes:
    return b"".join(k + cstr(v) for k, v in fields.items() if v is not None) + b"\0"


def error_response(fields: dict[bytes, str]) -> bytes:
    return msg(b"E", _fields(fields))


def notice_response(fields: dict[bytes, str]) -> bytes:
    return msg(b"N", _fields(fields))


def error_fields(
    severity: str,
    sqlstate: str,
    message: str,
    *,
    detail: str | None = None,
    hint: str | None = None,
    position: int | None = None,
    context: str | None = None,
    schema_name: str | None = None,
    table_name: str | None = None,
    column_name: str | None = None,
    constraint_name: str | None = None,
    routine: str | None = None,
    source_file: str | None = None,
    source_line: int | None = None,
) -> dict[bytes, str]:
    f: dict[bytes, str] = {b"S": severity, b"V": severity, b"C": sqlstate, b"M": message}
    if detail:
        f[b"D"] = detail
    if hint:
        f[b"H"] = hint
    if position:
        f[b"P"] = str(position)
    if context:
        f[b"W"] = context
    for code, value in ((b"s", schema_name), (b"t", table_name), (b"c", column_name), (b"n", constraint_name),
                        (b"F", source_file), (b"L", source_line and str(source_line)), (b"R", routine)):
        if value:
            f[code] = value
    return f


def copy_response(kind: bytes, binary: bool, ncols: int) -> bytes:
    """CopyInResponse ('G') or CopyOutResponse ('H')."""
    fmt = 1 if binary else 0
    return msg(kind, struct.pack("!bh", fmt, ncols) + _I16.pack(fmt) * ncols)


def copy_data(data: bytes) -> bytes:
    return b"d" + _I32.pack(len(data) + 4) + data
