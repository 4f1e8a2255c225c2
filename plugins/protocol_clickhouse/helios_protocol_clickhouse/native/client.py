"""A small blocking client of the native protocol, built on this package's codec.

For tools that check the server from outside (the stateless-corpus runner): it logs in, runs a
statement with settings and returns its blocks as Arrow, or the server's exception.

    client = NativeClient("127.0.0.1", 9000)
    reply = client.query("SELECT number FROM numbers(3)", settings={"max_block_size": "2"})
    reply.names, reply.types, reply.batches      # ['number'], ['UInt64'], [RecordBatch, ...]
"""

from __future__ import annotations

import socket

import attrs
import pyarrow as pa

from helios_protocol_clickhouse.native import packets as p
from helios_protocol_clickhouse.native.blocks import Block, encode_block, read_block
from helios_protocol_clickhouse.native.compression import METHOD_LZ4, compress, frame_reader
from helios_protocol_clickhouse.native.wire import Reader, Writer

CLIENT_NAME = "heliosdb-native-client"
VERSION = (24, 8, 0)


class ServerError(Exception):
    """The server's exception: its ClickHouse code, name and message."""

    def __init__(self, code: int, name: str, message: str) -> None:
        super().__init__(f"Code: {code}. {name}: {message}")
        self.code = code
        self.name = name
        self.message = message


@attrs.define
class Reply:
    """What a statement sent back: column names and types (of the last block), the data as Arrow
    batches, and the Totals and Extremes blocks when there were any."""

    names: list[str] = attrs.Factory(list)
    types: list[str] = attrs.Factory(list)
    batches: list[pa.RecordBatch] = attrs.Factory(list)
    totals: pa.RecordBatch | None = None
    extremes: pa.RecordBatch | None = None
    rows_before_limit: int | None = None  # from ProfileInfo, when the query had a LIMIT

    @property
    def has_columns(self) -> bool:
        return bool(self.names)


def _batch(block: Block) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(block.arrays, names=block.names)


class NativeClient:
    """One connection; ``query`` runs statements one at a time on it."""

    def __init__(self, host: str, port: int, *, user: str = "default", password: str = "", database: str = "",
                 compression: bool = False, timeout: float = 60.0, login: bool = True,
                 revision: int = p.SERVER_REVISION) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = Reader(fill=self._receive)
        self.compression = compression
        self.revision = revision  # the client's own, then the one agreed at Hello
        self.timezone: str | None = None
        if login:
            self.login(user, password, database)

    def _receive(self) -> bytes:
        try:
            return self.sock.recv(1 << 16)
        except ConnectionResetError:
            return b""

    def login(self, user: str = "default", password: str = "", database: str = "") -> None:
        """Hello both ways (and the addendum): the connection is ready for queries."""
        w = Writer()
        w.write_varint(p.ClientPacket.HELLO)
        w.write_str(CLIENT_NAME)
        w.write_varint(VERSION[0])
        w.write_varint(VERSION[1])
        w.write_varint(self.revision)
        w.write_str(database)
        w.write_str(user)
        w.write_str(password)
        self.sock.sendall(w.getvalue())
        kind = self.reader.read_varint()
        if kind == p.ServerPacket.EXCEPTION:
            raise self.exception()
        if kind != p.ServerPacket.HELLO:
            raise ConnectionError(f"expected the server's Hello, got packet {kind}")
        self.reader.read_str()
        self.reader.read_varint()
        self.reader.read_varint()
        self.revision = min(self.reader.read_varint(), self.revision)
        if self.revision >= p.REVISION_WITH_SERVER_TIMEZONE:
            self.timezone = self.reader.read_str()
        if self.revision >= p.REVISION_WITH_SERVER_DISPLAY_NAME:
            self.reader.read_str()
        if self.revision >= p.REVISION_WITH_VERSION_PATCH:
            self.reader.read_varint()
        if self.revision >= p.REVISION_WITH_ADDENDUM:
            quota = Writer()
            quota.write_str("")
            self.sock.sendall(quota.getvalue())

    def query_packet(self, sql: str, settings: dict[str, str] | None = None) -> bytes:
        """A Query packet and the empty block that ends its (absent) external tables."""
        w = Writer()
        w.write_varint(p.ClientPacket.QUERY)
        w.write_str("")
        w.write_u8(1)  # an initial query
        for text in ("", "", "127.0.0.1:0"):
            w.write_str(text)
        if self.revision >= p.REVISION_WITH_INITIAL_QUERY_START_TIME:
            w.write_u64(0)
        w.write_u8(1)  # over TCP
        for text in ("", socket.gethostname(), CLIENT_NAME):
            w.write_str(text)
        w.write_varint(VERSION[0])
        w.write_varint(VERSION[1])
        w.write_varint(self.revision)
        w.write_str("")  # quota key
        if self.revision >= p.REVISION_WITH_DISTRIBUTED_DEPTH:
            w.write_varint(0)
        if self.revision >= p.REVISION_WITH_VERSION_PATCH:
            w.write_varint(VERSION[2])
        if self.revision >= p.REVISION_WITH_OPENTELEMETRY:
            w.write_u8(0)
        if self.revision >= p.REVISION_WITH_PARALLEL_REPLICAS:
            for _ in range(3):
                w.write_varint(0)
        for name, value in (settings or {}).items():
            w.write_str(name)
            w.write_varint(0)
            w.write_str(str(value))
        w.write_str("")
        if self.revision >= p.REVISION_WITH_INTERSERVER_SECRET:
            w.write_str("")
        w.write_varint(p.QueryStage.COMPLETE)
        w.write_varint(1 if self.compression else 0)
        w.write_str(sql)
        if self.revision >= p.REVISION_WITH_PARAMETERS:
            w.write_str("")
        w.write(self.data_packet([], [], None, 0))  # no external tables
        return w.getvalue()

    def data_packet(self, names: list[str], types: list[str], arrays: list[pa.Array] | None, rows: int) -> bytes:
        """A Data packet of one block (compressed when the connection is)."""
        w = Writer()
        w.write_varint(p.ClientPacket.DATA)
        w.write_str("")
        body = encode_block(names, types, arrays, rows, self.revision)
        w.write(compress(body, METHOD_LZ4) if self.compression else body)
        return w.getvalue()

    def _block(self, may_be_compressed: bool = True) -> Block:
        self.reader.read_str()
        src = frame_reader(self.reader) if self.compression and may_be_compressed else self.reader
        return read_block(src, self.revision, timezone=self.timezone)

    def exception(self) -> ServerError:
        """The body of an Exception packet (its type already read)."""
        code = self.reader.read_i32()
        name = self.reader.read_str()
        message = self.reader.read_str()
        self.reader.read_str()  # stack trace
        nested = self.reader.read_u8()
        error = ServerError(code, name, message)
        if nested:
            self.exception()
        return error

    def query(self, sql: str, settings: dict[str, str] | None = None) -> Reply:
        """Run one statement; ServerError when the server answers with an exception."""
        self.sock.sendall(self.query_packet(sql, settings))
        reply = Reply()
        while True:
            kind = self.reader.read_varint()
            if kind == p.ServerPacket.DATA:
                block = self._block()
                if block.names:
                    reply.names, reply.types = block.names, block.types
                if block.num_rows:
                    reply.batches.append(_batch(block))
            elif kind in (p.ServerPacket.TOTALS, p.ServerPacket.EXTREMES):
                block = self._block()
                if kind == p.ServerPacket.TOTALS:
                    reply.totals = _batch(block)
                else:
                    reply.extremes = _batch(block)
            elif kind == p.ServerPacket.EXCEPTION:
                raise self.exception()
            elif kind == p.ServerPacket.PROGRESS:
                for _ in range(6 if self.revision >= p.REVISION_WITH_SERVER_QUERY_TIME_IN_PROGRESS else 5):
                    self.reader.read_varint()
            elif kind == p.ServerPacket.PROFILE_INFO:
                for _ in range(3):  # rows, blocks, bytes
                    self.reader.read_varint()
                applied_limit = self.reader.read_u8()
                rows_before_limit = self.reader.read_varint()
                self.reader.read_u8()  # calculated_rows_before_limit
                reply.rows_before_limit = rows_before_limit if applied_limit else None
            elif kind == p.ServerPacket.PROFILE_EVENTS:
                self._block(may_be_compressed=False)
            elif kind == p.ServerPacket.END_OF_STREAM:
                return reply
            else:
                raise ConnectionError(f"unexpected packet {kind} from the server")

    def close(self) -> None:
        self.sock.close()
