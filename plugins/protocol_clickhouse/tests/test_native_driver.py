"""The native protocol through clickhouse-driver against a real ``helios serve``.

Tables are created over PostgreSQL (psycopg) where a test needs exact SQL types, so these
tests do not depend on how much of ClickHouse's DDL dialect is built; rows cross between the
two protocols in both directions.
"""

from __future__ import annotations

import datetime as dt
import decimal
import pathlib
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from clickhouse_driver import Client
from clickhouse_driver.errors import ServerException
from helios_protocol_clickhouse.native.stateless import run_file

from helios_core.testing import HeliosServer, start_server


def client(server: HeliosServer, **kw: object) -> Client:
    return Client("127.0.0.1", port=server.port("clickhouse"), send_receive_timeout=60, **kw)


def test_hello_negotiates_revision_and_announces_the_server(server: HeliosServer) -> None:
    c = client(server)
    assert c.execute("SELECT 1") == [(1,)]
    info = c.connection.server_info
    assert info.used_revision == 54460
    assert info.name == "ClickHouse"
    assert info.timezone == "UTC"
    assert (info.version_major, info.version_minor) >= (23, 1)
    assert c.connection.ping() is True


@pytest.mark.parametrize("compression", [False, "lz4", "zstd"])
def test_insert_100000_rows_in_blocks_and_read_them_back(server: HeliosServer, pg: psycopg.Connection,
                                                         compression: str | bool) -> None:
    table = f"bulk_{compression or 'plain'}"
    pg.execute(f"create table {table} (id bigint not null, name text, score double precision)")
    c = client(server, compression=compression, settings={"insert_block_size": 10_000})
    n = 100_000
    rows = c.execute(f"INSERT INTO {table} (id, name, score) VALUES",
                     [list(range(n)), [f"name-{i}" if i % 7 else None for i in range(n)],
                      [i / 4 for i in range(n)]], columnar=True)
    assert rows == n
    assert pg.execute(f"select count(*), sum(id), count(name), sum(score) from {table}").fetchone() == \
        (n, n * (n - 1) // 2, n - len(range(0, n, 7)), sum(i / 4 for i in range(n)))
    data = c.execute(f"SELECT id, name, score FROM {table} ORDER BY id", settings={"max_block_size": 8192})
    assert len(data) == n
    assert data[12345] == (12345, "name-12345", 12345 / 4)
    assert data[7] == (7, None, 1.75)
    profile = c.last_query.profile_info
    assert profile.rows == n and profile.blocks >= n // 8192
    assert c.last_query.progress.rows == n


def test_types_round_trip_both_ways(server: HeliosServer, pg: psycopg.Connection) -> None:
    pg.execute("""create table kinds (k int, i16 smallint, i32 integer, i64 bigint, f32 real,
                  f64 double precision, num numeric(12,3), s text, b boolean, d date, ts timestamp,
                  u uuid, ints integer[], strs text[])""")
    c = client(server)
    header = dict(c.execute("SELECT * FROM kinds", with_column_types=True)[1])
    # the columns of a PostgreSQL table are Nullable unless NOT NULL (arrays cannot be)
    assert header == {"k": "Nullable(Int32)", "i16": "Nullable(Int16)", "i32": "Nullable(Int32)",
                      "i64": "Nullable(Int64)", "f32": "Nullable(Float32)", "f64": "Nullable(Float64)",
                      "num": "Nullable(Decimal(12, 3))", "s": "Nullable(String)", "b": "Nullable(Bool)",
                      "d": "Nullable(Date)", "ts": "Nullable(DateTime)", "u": "Nullable(UUID)",
                      "ints": "Array(Int32)", "strs": "Array(String)"}
    full = (1, -32768, 2**31 - 1, -(2**63), 1.5, -2.25e300, decimal.Decimal("-123456789.125"), "héllo\t'\"",
            True, dt.date(2149, 6, 6), dt.datetime(2106, 2, 7, 6, 28, 15),
            uuid.UUID("61f0c404-5cb3-11e7-907b-a6006ad3dba0"), [1, -2, 3], ["a", "", "ü"])
    empty = (2, 0, 0, 0, 0.0, 0.0, decimal.Decimal("0.000"), "", False, dt.date(1970, 1, 1),
             dt.datetime(1970, 1, 1), uuid.UUID(int=0), [], [])
    nulls = (3, *([None] * 11), [], [])
    assert c.execute("INSERT INTO kinds VALUES", [full, empty, nulls]) == 3
    back = c.execute("SELECT * FROM kinds ORDER BY k")
    assert back == [full, empty, nulls]
    pg_row = pg.execute("select i64, num, s, d, ts, u::text, ints, strs from kinds where k = 1").fetchone()
    assert pg_row == (-(2**63), decimal.Decimal("-123456789.125"), "héllo\t'\"", dt.date(2149, 6, 6),
                      dt.datetime(2106, 2, 7, 6, 28, 15), "61f0c404-5cb3-11e7-907b-a6006ad3dba0", [1, -2, 3],
                      ["a", "", "ü"])
    # a computed column is typed by its values: Nullable(T) in the blocks that hold NULLs
    types = dict(c.execute("SELECT concat(s, '') AS s2, ints FROM kinds", with_column_types=True)[1])
    assert types["s2"] == "Nullable(String)" and types["ints"] == "Array(Int32)"


def test_written_over_postgres_read_over_native_and_back(server: HeliosServer, pg: psycopg.Connection) -> None:
    pg.execute("create table crossing (id int primary key, note text, at timestamptz)")
    pg.execute("insert into crossing values (1, 'from pg', '2024-03-01 10:00:00+00')")
    c = client(server)
    assert c.execute("SELECT id, note, at FROM crossing") == [(1, "from pg", dt.datetime(2024, 3, 1, 10, 0))]
    c.execute("INSERT INTO crossing (id, note) VALUES", [(2, "from clickhouse")])
    assert pg.execute("select note from crossing where id = 2").fetchone() == ("from clickhouse",)


def test_errors_carry_clickhouse_codes_and_the_connection_goes_on(server: HeliosServer,
                                                                    pg: psycopg.Connection) -> None:
    pg.execute("create table errs (a int check (a > 0))")
    c = client(server)
    cases = [("SELEC 1", 62), ("SELECT * FROM no_such_table", 60), ("SELECT no_such_column FROM errs", 47)]
    for sql, code in cases:
        with pytest.raises(ServerException) as info:
            c.execute(sql)
        assert info.value.code == code, (sql, info.value)
    assert c.execute("SELECT count() FROM errs") == [(0,)]
    with pytest.raises(ServerException) as info:
        c.execute("INSERT INTO no_such_table (a) VALUES", [(1,)])
    assert info.value.code == 60
    with pytest.raises(ServerException) as info:  # a row the table refuses: no row of the INSERT is kept
        c.execute("INSERT INTO errs (a) VALUES", [(1,), (-1,), (2,)])
    assert info.value.code == 117 and "errs_a_check" in str(info.value)
    assert c.execute("SELECT count() FROM errs") == [(0,)]


def test_settings_per_query(server: HeliosServer, pg: psycopg.Connection) -> None:
    pg.execute("create table blocks as select g as id from generate_series(1, 1000) g")
    c = client(server)
    c.execute("SELECT id FROM blocks", settings={"max_block_size": 100})
    assert c.last_query.profile_info.blocks == 10
    rows = c.execute("SELECT id FROM blocks ORDER BY id", settings={"extremes": 1})
    assert len(rows) == 1002 and rows[-2:] == [(1,), (1000,)]  # the Extremes block: min, then max
    c.execute("SET max_block_size = 250")  # a session setting holds for the queries that follow
    c.execute("SELECT id FROM blocks")
    assert c.last_query.profile_info.blocks == 4
    c.execute("SELECT id FROM blocks", settings={"network_compression_method": "zstd"})
    with pytest.raises(ServerException) as info:
        c.execute("SELECT 1", settings={"network_compression_method": "brotli"})
    assert info.value.code == 432


def test_64_bit_arithmetic_wraps_around_over_the_native_protocol(server: HeliosServer) -> None:
    """As over HTTP (and as ClickHouse answers, checked with chdb): the streamed native result runs
    again with exact arithmetic when bigint's range is left before its first block."""
    rows = client(server).execute("SELECT toUInt64(18446744073709551615) + 1, 9223372036854775807 + 1, "
                                  "toInt64(9223372036854775807) + 1, intDiv(7, 2), 7 / 2")
    assert rows == [(0, 9223372036854775808, -9223372036854775808, 3, 3.5)]


def test_branch_setting_reads_and_writes_that_branch(server: HeliosServer, pg: psycopg.Connection) -> None:
    pg.execute("create table per_branch (v text)")
    pg.execute("insert into per_branch values ('main')")
    pg.execute("create branch feature")
    c = client(server)
    c.execute("INSERT INTO per_branch (v) VALUES", [("feature only",)], settings={"heliosdb_branch": "feature"})
    assert c.execute("SELECT v FROM per_branch ORDER BY v", settings={"heliosdb_branch": "feature"}) == \
        [("feature only",), ("main",)]
    assert c.execute("SELECT v FROM per_branch") == [("main",)]  # the setting was for those queries only
    c.execute("INSERT INTO per_branch (v) SETTINGS heliosdb_branch = 'feature' VALUES", [("by clause",)])
    assert c.execute("SELECT count() FROM per_branch", settings={"heliosdb_branch": "feature"}) == [(3,)]
    assert c.execute("SELECT count() FROM per_branch") == [(1,)]
    with pytest.raises(ServerException):
        c.execute("SELECT 1", settings={"heliosdb_branch": "no_such_branch"})


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    s = start_server(tmp_path_factory.mktemp("ch-auth"),
                     {"auth": {"users": {"alice": "secret"}}, "protocols": {"clickhouse": {"max_connections": 3}}},
                     only=["clickhouse"])
    try:
        yield s
    finally:
        s.stop()


def test_login_with_auth_section(auth_server: HeliosServer) -> None:
    port = auth_server.port("clickhouse")
    ok = Client("127.0.0.1", port=port, user="alice", password="secret")
    assert ok.execute("SELECT 7") == [(7,)]
    for user, password in [("alice", "wrong"), ("default", ""), ("mallory", "secret")]:
        with pytest.raises(ServerException) as info:
            Client("127.0.0.1", port=port, user=user, password=password).execute("SELECT 1")
        assert info.value.code == 516
    ok.disconnect()


def test_max_connections_then_shutdown_with_idle_clients(auth_server: HeliosServer) -> None:
    port = auth_server.port("clickhouse")
    idle = [Client("127.0.0.1", port=port, user="alice", password="secret") for _ in range(3)]
    for c in idle:
        assert c.execute("SELECT 1") == [(1,)]
    with pytest.raises(ServerException) as info:
        Client("127.0.0.1", port=port, user="alice", password="secret").execute("SELECT 1")
    assert info.value.code == 202 and "max_connections = 3" in str(info.value)
    started = time.monotonic()
    assert auth_server.stop() == 0  # idle connections are closed, not waited for
    assert time.monotonic() - started < 15


def test_results_stream_while_the_query_runs(server: HeliosServer) -> None:
    c = client(server)
    started = time.monotonic()
    rows = c.execute_iter("SELECT number FROM numbers(10000000000)", settings={"max_block_size": 10_000})
    assert [next(rows) for _ in range(3)] == [(0,), (1,), (2,)]
    assert time.monotonic() - started < 10  # the first block left long before 10^10 rows could exist
    c.disconnect()  # the server stops the query when its client goes
    assert client(server).execute("SELECT 1") == [(1,)]


def test_stateless_runner_over_the_native_port(server: HeliosServer, tmp_path: pathlib.Path) -> None:
    sql = tmp_path / "00001_native.sql"
    sql.write_text("CREATE TABLE runner_t (a UInt32, s String) ENGINE = Memory;\n"
                   "INSERT INTO runner_t VALUES (1, 'x'), (2, 'tab\\there');\n"
                   "SELECT a, s FROM runner_t ORDER BY a;\n"
                   "SELECT count() AS c FROM runner_t FORMAT TSVWithNamesAndTypes;\n"
                   "SELECT * FROM runner_missing; -- { serverError 60 }\n"
                   "DROP TABLE runner_t;\n")
    reference = sql.with_suffix(".reference")
    reference.write_bytes(b"1\tx\n2\ttab\\there\nc\nUInt64\n2\n")
    outcome = run_file("127.0.0.1", server.port("clickhouse"), sql)
    assert outcome.passed, outcome.detail
    reference.write_bytes(b"1\tx\n")
    assert not run_file("127.0.0.1", server.port("clickhouse"), sql).passed
