"""Bad input on the native port, sent byte by byte from raw sockets: the offending connection gets
ClickHouse's exception (or is closed), and the server and every other session go on.

``RawClient`` (the package's native client driven by hand) reaches the state a test needs; what
it sends after that is deliberately wrong.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pyarrow as pa
import pytest
from clickhouse_driver import Client
from helios_protocol_clickhouse.native.blocks import read_block
from helios_protocol_clickhouse.native.client import NativeClient, ServerError
from helios_protocol_clickhouse.native.compression import frame_reader
from helios_protocol_clickhouse.native.wire import Writer

from helios_core.testing import HeliosServer

REVISION = 54460


class RawClient(NativeClient):
    """The package's native client, driven by hand: it sends what a test wants, right or wrong,
    and reads the server's packets one at a time."""

    def __init__(self, port: int) -> None:
        super().__init__("127.0.0.1", port, timeout=20, login=False)

    def hello(self) -> None:
        self.login()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def query_bytes(self, sql: str, *, compression: bool = False) -> bytes:
        self.compression = compression
        return self.query_packet(sql)

    def data_bytes(self, names: list[str], types: list[str], arrays: list[pa.Array] | None, rows: int) -> bytes:
        return self.data_packet(names, types, arrays, rows)

    def query(self, sql: str, *, compression: bool = False) -> None:  # type: ignore[override]
        self.send(self.query_bytes(sql, compression=compression))

    def packet(self) -> tuple[str, object]:
        kind = self.reader.read_varint()
        if kind in (1, 7, 8, 14):  # Data, Totals, Extremes, ProfileEvents
            self.reader.read_str()
            src = frame_reader(self.reader) if self.compression and kind != 14 else self.reader
            return {1: "data", 7: "totals", 8: "extremes", 14: "events"}[kind], read_block(src, REVISION)
        if kind == 2:
            error = self.exception()
            return "exception", (error.code, error.name, error.message)
        if kind == 3:
            return "progress", [self.reader.read_varint() for _ in range(6)]
        if kind == 6:
            values = [self.reader.read_varint(), self.reader.read_varint(), self.reader.read_varint(),
                      self.reader.read_u8(), self.reader.read_varint(), self.reader.read_u8()]
            return "profile", values
        if kind in (4, 5):
            return {4: "pong", 5: "end"}[kind], None
        raise AssertionError(f"unexpected packet {kind} from the server")

    def until_end(self) -> list[tuple[str, object]]:
        out = []
        while True:
            kind, body = self.packet()
            out.append((kind, body))
            if kind in ("end", "exception"):
                return out

    def ping(self) -> bool:
        self.send(b"\x04")
        return self.packet()[0] == "pong"

    def closed(self) -> bool:
        """The server closed the connection (after what it had to say)."""
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, TimeoutError):
            return True


@pytest.fixture
def raw(server: HeliosServer) -> Iterator[RawClient]:
    c = RawClient(server.port("clickhouse"))
    yield c
    c.close()


@pytest.fixture(scope="module")
def table(server: HeliosServer) -> str:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as pg:
        pg.execute("create table landing (id int, v text)")
    return "landing"


def others_still_served(server: HeliosServer) -> None:
    assert Client("127.0.0.1", port=server.port("clickhouse")).execute("SELECT 41 + 1") == [(42,)]


def test_a_working_exchange_of_the_raw_client(raw: RawClient, table: str) -> None:
    raw.hello()
    assert raw.ping()
    raw.query(f"SELECT count() FROM {table}", compression=True)
    packets = raw.until_end()
    kinds = [k for k, _ in packets]
    assert kinds[0] == "data" and kinds[-1] == "end" and "profile" in kinds
    data = [b for k, b in packets if k == "data" and b.num_rows]
    assert data[0].arrays[0].to_pylist() == [0]


@pytest.mark.parametrize("revision", [54429, 54441, 54453, 54458])
def test_older_client_revisions_negotiate_down(server: HeliosServer, revision: int) -> None:
    client = NativeClient("127.0.0.1", server.port("clickhouse"), revision=revision, compression=True)
    try:
        assert client.revision == revision
        reply = client.query("SELECT number, toString(number) AS s FROM numbers(3)", {"max_block_size": "2"})
        assert reply.names == ["number", "s"] and sum(b.num_rows for b in reply.batches) == 3
    finally:
        client.close()
    with pytest.raises(ServerError) as info:  # settings sent typed: older than the server speaks
        NativeClient("127.0.0.1", server.port("clickhouse"), revision=54428)
    assert info.value.code == 48


def test_bytes_that_are_not_a_hello(raw: RawClient, server: HeliosServer) -> None:
    raw.send(b"\x07\x00garbage")
    kind, (code, name, message) = raw.packet()
    assert (kind, code, name) == ("exception", 102, "DB::Exception") and "Hello" in message
    assert raw.closed()
    others_still_served(server)


def test_http_on_the_native_port(raw: RawClient, server: HeliosServer) -> None:
    raw.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = raw.sock.recv(4096)
    assert answer.startswith(b"HTTP/1.0 400") and b"clickhouse-client" in answer
    others_still_served(server)


def test_a_hello_with_an_absurd_string_length(raw: RawClient, server: HeliosServer) -> None:
    w = Writer()
    w.write_varint(0)
    w.write_varint(1 << 40)
    raw.send(w.getvalue())
    kind, (_, _, message) = raw.packet()
    assert kind == "exception" and "longer than" in message
    assert raw.closed()
    others_still_served(server)


def test_unknown_packet_type_after_login(raw: RawClient, server: HeliosServer) -> None:
    raw.hello()
    raw.send(b"\x63")
    kind, (code, _, message) = raw.packet()
    assert (kind, code) == ("exception", 101) and "Unknown packet 99" in message
    assert raw.closed()
    others_still_served(server)


def test_half_sent_query_then_the_client_vanishes(server: HeliosServer) -> None:
    clients = []
    for _ in range(3):
        c = RawClient(server.port("clickhouse"))
        c.hello()
        c.send(c.query_bytes("SELECT 1")[:25])
        clients.append(c)
    for c in clients:
        c.close()
    others_still_served(server)


def test_statement_errors_keep_the_connection(raw: RawClient) -> None:
    raw.hello()
    raw.query("SELECT * FROM nowhere_at_all")
    kind, (code, _, _) = raw.until_end()[-1]
    assert (kind, code) == ("exception", 60)
    assert raw.ping()
    raw.query("SELECT 5")
    assert raw.until_end()[-1][0] == "end"


def test_block_columns_that_disagree_with_the_insert_header(raw: RawClient, server: HeliosServer, table: str) -> None:
    raw.hello()
    raw.query(f"INSERT INTO {table} (id, v) VALUES")
    kind, header = raw.packet()
    assert kind == "data" and header.names == ["id", "v"]
    raw.send(raw.data_bytes(["id"], ["Int32"], [pa.array([1], pa.int32())], 1))  # one column short
    assert raw.packet()[0] == "events"
    raw.send(raw.data_bytes([], [], None, 0))
    assert raw.packet()[0] == "events"
    kind, (code, _, message) = raw.until_end()[-1]
    assert (kind, code) == ("exception", 171) and "mismatch" in message
    assert raw.ping()  # the stream stayed in step: the connection goes on
    with psycopg.connect(server.pg_dsn()) as pg:
        assert pg.execute(f"select count(*) from {table}").fetchone() == (0,)


def test_broken_compressed_frame_in_an_insert(raw: RawClient, server: HeliosServer, table: str) -> None:
    raw.hello()
    raw.query(f"INSERT INTO {table} (id, v) VALUES", compression=True)
    assert raw.packet()[0] == "data"
    good = raw.data_bytes(["id", "v"], ["Int32", "String"], [pa.array([1, 2], pa.int32()), pa.array(["a", "b"])], 2)
    broken = bytearray(good)
    broken[-3] ^= 0x55  # inside the compressed payload: the checksum no longer matches
    raw.send(bytes(broken))
    kind, (code, _, message) = raw.until_end()[-1]
    assert (kind, code) == ("exception", 40) and "checksum" in message.lower()
    assert raw.closed()
    with psycopg.connect(server.pg_dsn()) as pg:
        assert pg.execute(f"select count(*) from {table}").fetchone() == (0,)
    others_still_served(server)


def test_unknown_type_in_a_client_block(raw: RawClient, server: HeliosServer, table: str) -> None:
    raw.hello()
    raw.query(f"INSERT INTO {table} (id, v) VALUES")
    assert raw.packet()[0] == "data"
    w = Writer()
    w.write_varint(2)
    w.write_str("")
    w.write(b"\x00\x02\x01" + b"\x02id" + b"\x0bNoSuchType1" + b"\x00" + b"\x00" * 8)
    raw.send(w.getvalue())
    kind, (code, _, _) = raw.until_end()[-1]
    assert (kind, code) == ("exception", 50)
    assert raw.closed()
    others_still_served(server)


def test_cancel_stops_a_long_query_and_the_connection_goes_on(raw: RawClient, server: HeliosServer) -> None:
    raw.hello()
    raw.query("SELECT count() FROM numbers(100000000000)")
    time.sleep(0.5)
    started = time.monotonic()
    raw.send(b"\x03")  # Cancel
    packets = raw.until_end()
    assert packets[-1][0] == "end" and time.monotonic() - started < 10
    assert raw.ping()
    raw.query("SELECT 1")
    assert raw.until_end()[-1][0] == "end"


def test_a_client_vanishing_mid_query_cancels_it(server: HeliosServer) -> None:
    c = RawClient(server.port("clickhouse"))
    c.hello()
    c.query("SELECT count() FROM numbers(100000000000)")
    time.sleep(0.3)
    c.close()
    started = time.monotonic()
    others_still_served(server)
    assert time.monotonic() - started < 10


def test_a_client_vanishing_mid_insert_leaves_nothing_written(server: HeliosServer, table: str) -> None:
    c = RawClient(server.port("clickhouse"))
    c.hello()
    c.query(f"INSERT INTO {table} (id, v) VALUES")
    assert c.packet()[0] == "data"
    c.send(c.data_bytes(["id", "v"], ["Int32", "String"], [pa.array([1, 2], pa.int32()), pa.array(["a", "b"])], 2))
    assert c.packet()[0] == "events"
    c.send(c.data_bytes(["id", "v"], ["Int32", "String"], [pa.array([3], pa.int32()), pa.array(["c"])], 1)[:7])
    c.close()  # in the middle of the second block, before the end of the data
    others_still_served(server)
    with psycopg.connect(server.pg_dsn()) as pg:
        assert pg.execute(f"select count(*) from {table}").fetchone() == (0,)
