"""The HTTP interface with plain urllib: ping, queries, formats, sessions, compression, errors with
ClickHouse's codes, and ClickHouse's SQL answered as ClickHouse prints it (TabSeparated)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from helios_core.testing import ServerStartError, start_server


def test_ping_answers_ok(http):
    reply = http.request(path="/ping")
    assert (reply.status, reply.body) == (200, b"Ok.\n")


def test_select_one_is_tab_separated(http):
    reply = http.request("SELECT 1")
    assert reply.status == 200
    assert reply.body == b"1\n"
    assert reply.headers["x-clickhouse-format"] == "TabSeparated"
    assert reply.headers["x-clickhouse-query-id"]


def test_query_in_the_body(http):
    reply = http.request(body="SELECT number FROM system.numbers LIMIT 3")
    assert reply.body == b"0\n1\n2\n"


def test_unknown_table_is_code_60(http):
    reply = http.request("SELECT * FROM no_such_table")
    assert reply.status == 404
    assert reply.headers["x-clickhouse-exception-code"] == "60"
    assert reply.text.startswith("Code: 60. DB::Exception: ")
    assert "Table default.no_such_table does not exist. (UNKNOWN_TABLE)" in reply.text


def test_syntax_error_is_code_62(http):
    reply = http.request("SELECT FROM WHERE (")
    assert reply.status == 400
    assert reply.headers["x-clickhouse-exception-code"] == "62"


def test_http_port_in_use_names_the_key(tmp_path, http):
    with pytest.raises(ServerStartError) as info:
        start_server(tmp_path, {"protocols": {"clickhouse": {"http_port": http.port}}}, only=["clickhouse"],
                     timeout=30)
    assert info.value.returncode == 2
    assert f"protocols.clickhouse.http_port: port {http.port} on 127.0.0.1 is already in use" in info.value.output


def test_formats_render_as_clickhouse(http):
    settings = {"output_format_write_statistics": "0"}
    reply = http.request("SELECT number, toString(number) AS s, number / 2 AS h FROM numbers(2) FORMAT JSON",
                         **settings)
    assert reply.text == (
        '{\n\t"meta":\n\t[\n\t\t{\n\t\t\t"name": "number",\n\t\t\t"type": "UInt64"\n\t\t},\n'
        '\t\t{\n\t\t\t"name": "s",\n\t\t\t"type": "String"\n\t\t},\n'
        '\t\t{\n\t\t\t"name": "h",\n\t\t\t"type": "Float64"\n\t\t}\n\t],\n\n'
        '\t"data":\n\t[\n\t\t{\n\t\t\t"number": 0,\n\t\t\t"s": "0",\n\t\t\t"h": 0\n\t\t},\n'
        '\t\t{\n\t\t\t"number": 1,\n\t\t\t"s": "1",\n\t\t\t"h": 0.5\n\t\t}\n\t],\n\n\t"rows": 2\n}\n')
    assert http.request("SELECT 'a\\tb' AS x, NULL AS n, [1, 2] AS arr, 'q''s' AS q FORMAT TSVWithNamesAndTypes").text \
        == "x\tn\tarr\tq\nString\tNullable(Nothing)\tArray(UInt8)\tString\na\\tb\t\\N\t[1,2]\tq\\'s\n"
    assert http.request("SELECT 'a\"b' AS x, 1 AS y FORMAT CSVWithNames").text == '"x","y"\n"a""b",1\n'
    assert http.request("SELECT 'x/y' AS p, 1e308 AS big, -0.000001 AS small FORMAT JSONEachRow").text == \
        '{"p":"x\\/y","big":1e308,"small":-0.000001}\n'
    assert http.request("SELECT 1, 'é' FORMAT JSONCompact", output_format_write_statistics="0").text.endswith(
        '\t"data":\n\t[\n\t\t[1, "é"]\n\t],\n\n\t"rows": 1\n}\n')


def test_arrow_and_parquet_formats(http):
    import io

    import pyarrow.parquet as pq

    reply = http.request("SELECT number AS n FROM numbers(3) FORMAT Parquet")
    assert pq.read_table(io.BytesIO(reply.body)).to_pydict() == {"n": [0, 1, 2]}
    reply = http.request("SELECT number AS n FROM numbers(3) FORMAT ArrowStream")
    assert pa.ipc.open_stream(reply.body).read_all().to_pydict() == {"n": [0, 1, 2]}


def test_session_keeps_settings_and_database(http):
    sid = "s-keep"
    assert http.request(body="CREATE DATABASE IF NOT EXISTS analytics", session_id=sid).status == 200
    assert http.request(body="CREATE TABLE analytics.events (id UInt8) ENGINE = Memory", session_id=sid).status == 200
    assert http.request("USE analytics", session_id=sid).status == 200
    assert http.request("SET output_format_json_quote_64bit_integers = 1", session_id=sid).status == 200
    assert http.request(body="INSERT INTO events VALUES (7)", session_id=sid).status == 200
    assert http.request("SELECT currentDatabase(), count() FROM events", session_id=sid).text == "analytics\t1\n"
    reply = http.request("SELECT count() AS c FROM events FORMAT JSONEachRow", session_id=sid)
    assert reply.text == '{"c":"1"}\n'
    assert http.request("SELECT count() AS c FROM events FORMAT JSONEachRow").status == 404  # no session: default
    assert http.request("SELECT 1", session_id="never-made", session_check="1").headers[
        "x-clickhouse-exception-code"] == "372"


def test_insert_format_in_body(http):
    http.request(body="CREATE TABLE ins (k UInt32, s String, a Array(Int32)) ENGINE = Memory")
    assert http.request("INSERT INTO ins FORMAT TabSeparated", body="1\tx\\ty\t[1,2]\n2\t\\N\t[]\n").status == 200
    assert http.request(body="INSERT INTO ins FORMAT CSV\n3,\"q,\"\"r\",\"[3]\"\n").status == 200
    assert http.request(body='INSERT INTO ins FORMAT JSONEachRow\n{"k": 4, "s": "j", "a": [4, 5]}\n').status == 200
    assert http.request("SELECT * FROM ins ORDER BY k").text == "1\tx\\ty\t[1,2]\n2\t\t[]\n3\tq,\"r\t[3]\n4\tj\t[4,5]\n"


def test_compression_both_ways(http):
    import gzip

    from clickhouse_driver.compression.lz4 import Compressor

    reply = http.request("SELECT number FROM numbers(100)", enable_http_compression="1",
                         headers={"Accept-Encoding": "gzip"})
    assert reply.headers["content-encoding"] == "gzip"
    assert gzip.decompress(reply.body) == "".join(f"{i}\n" for i in range(100)).encode()
    http.request(body="CREATE TABLE packed (k UInt32) ENGINE = Memory")
    compressor = Compressor()
    compressor.write(b"1\n2\n3\n")
    block = bytes([compressor.method_byte]) + compressor.get_compressed_data(1)
    from clickhouse_cityhash.cityhash import CityHash128

    h = CityHash128(block)
    framed = (h >> 64).to_bytes(8, "little") + (h & (2**64 - 1)).to_bytes(8, "little") + block
    assert http.request("INSERT INTO packed FORMAT TSV", body=framed, decompress="1").status == 200
    assert http.request("SELECT sum(k) FROM packed").text == "6\n"
    broken = framed[:-1] + bytes([framed[-1] ^ 1])
    reply = http.request("INSERT INTO packed FORMAT TSV", body=broken, decompress="1")
    assert reply.headers["x-clickhouse-exception-code"] == "40"


def test_logins(http):
    assert http.request("SELECT currentUser()", user="default").status == 200
    reply = http.request("SELECT 1", headers={"X-ClickHouse-User": "default", "X-ClickHouse-Key": "wrong"})
    assert (reply.status, reply.headers["x-clickhouse-exception-code"]) == (403, "516")


def test_bad_requests_leave_the_server_serving(http):
    import socket

    with socket.create_connection(("127.0.0.1", http.port), timeout=10) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")
    with socket.create_connection(("127.0.0.1", http.port), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")
    with socket.create_connection(("127.0.0.1", http.port), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nSELECT")  # half sent, then gone
    assert http.request("SELECT 42").text == "42\n"


def test_row_binary_with_names_and_types(http):
    reply = http.request("SELECT number, toString(number) AS s, [7] AS a FROM numbers(2) "
                         "FORMAT RowBinaryWithNamesAndTypes")
    header = b"\x03\x06number\x01s\x01a\x06UInt64\x06String\x0cArray(UInt8)"
    rows = b"".join(n.to_bytes(8, "little") + b"\x01" + str(n).encode() + b"\x01\x07" for n in (0, 1))
    assert reply.body == header + rows


def test_native_format_has_no_block_info_both_ways(http):
    reply = http.request("SELECT number, toString(number) AS s FROM numbers(2) FORMAT Native")
    columns = (b"\x06number\x06UInt64" + (0).to_bytes(8, "little") + (1).to_bytes(8, "little")
               + b"\x01s\x06String\x010\x011")
    assert reply.body == b"\x02\x02" + columns  # column and row counts first: no block info fields
    http.request(body="CREATE TABLE nat (k UInt16, tag LowCardinality(String), v Nullable(Int32)) ENGINE = Memory")
    block = (b"\x03\x02" + b"\x01k\x06UInt16\x05\x00\x06\x00"
             + b"\x03tag\x16LowCardinality(String)"
             + (1).to_bytes(8, "little") + (0x200).to_bytes(8, "little") + (1).to_bytes(8, "little") + b"\x01x"
             + (2).to_bytes(8, "little") + b"\x00\x00"
             + b"\x01v\x0fNullable(Int32)\x00\x01" + (-7).to_bytes(4, "little", signed=True) + bytes(4))
    inserted = http.request("INSERT INTO nat FORMAT Native", body=block + b"\x00\x00")
    assert inserted.status == 200, inserted.text
    assert http.request("SELECT k, tag, v FROM nat ORDER BY k").text == "5\tx\t-7\n6\tx\t\\N\n"
    truncated = http.request("INSERT INTO nat FORMAT Native", body=block[:-3])
    assert truncated.status == 400 and truncated.text.startswith("Code: 33.") and "CANNOT_READ_ALL_DATA" in truncated.text
    assert http.request("SELECT count() FROM nat").text == "2\n"


def test_idle_keep_alive_connection_does_not_hold_up_shutdown(tmp_path):
    import http.client
    import signal
    import time

    server = start_server(tmp_path, {"protocols": {"clickhouse": {"http_port": 0}}, "shutdown_grace_period": "20s"},
                          only=["clickhouse"])
    conn = http.client.HTTPConnection("127.0.0.1", server.port("clickhouse_http"), timeout=10)
    conn.request("GET", "/?query=SELECT%201")
    assert conn.getresponse().read() == b"1\n"  # the connection stays open, idle
    started = time.monotonic()
    assert server.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 10
    conn.close()


# -- the dialect ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ch(http):
    def run(sql: str, **params: str) -> str:
        reply = http.request(body=sql, **params)
        assert reply.status == 200, reply.text
        return reply.text

    run("CREATE TABLE arr_t (s String, arr Array(UInt8), e Enum8('a' = 1, 'b' = 2)) ENGINE = Memory")
    run("INSERT INTO arr_t VALUES ('Hello', [1, 2], 'a'), ('World', [3], 'b'), ('Empty', [], 'a')")
    return run


def test_array_join_and_lambdas(ch):
    assert ch("SELECT s, x FROM arr_t ARRAY JOIN arr AS x ORDER BY s, x") == "Hello\t1\nHello\t2\nWorld\t3\n"
    assert ch("SELECT s, arr, num FROM arr_t ARRAY JOIN arrayEnumerate(arr) AS num WHERE s = 'Hello'") == \
        "Hello\t[1,2]\t1\nHello\t[1,2]\t2\n"
    assert ch("SELECT arrayMap(x -> x * 10, arr), arrayFilter(x -> x > 1, arr) FROM arr_t WHERE s = 'Hello'") == \
        "[10,20]\t[2]\n"
    assert ch("SELECT arrayJoin([3, 1, 2]) AS v ORDER BY v") == "1\n2\n3\n"


def test_totals_limit_by_and_joins(ch):
    assert ch("SELECT number % 2 AS k, count() FROM numbers(5) GROUP BY k WITH TOTALS ORDER BY k") == \
        "0\t3\n1\t2\n\n0\t5\n"
    assert ch("SELECT number % 3 AS k, number FROM numbers(9) ORDER BY k, number LIMIT 2 BY k") == \
        "0\t0\n0\t3\n1\t1\n1\t4\n2\t2\n2\t5\n"
    assert ch("SELECT number, j FROM numbers(4) ANY LEFT JOIN (SELECT number * 2 AS number, 1 AS j FROM numbers(2)) "
              "AS r USING number ORDER BY number") == "0\t1\n1\t0\n2\t1\n3\t0\n"


def test_types_and_conversions(ch):
    assert ch("SELECT toTypeName(1), toTypeName(300), toTypeName(-1), toTypeName('x'), toTypeName([1, 2]), "
              "toTypeName(1.5), count() FROM numbers(3)") == "UInt8\tUInt16\tInt8\tString\tArray(UInt8)\tFloat64\t3\n"
    assert ch("SELECT toUInt8(300), toInt8(200), intDiv(-7, 2), 1 / 0, -1 / 0, 0 / 0, 7 / 2") == \
        "44\t-56\t-3\tinf\t-inf\tnan\t3.5\n"
    assert ch("SELECT e, toString(e) FROM arr_t ORDER BY s") == "a\ta\na\ta\nb\tb\n"
    reply = ch("SELECT [1, 2][-1], [1, 2][5], ['a'][2], transform(2, [1, 2], [10, 20], 0)")
    assert reply == "2\t0\t\t20\n"


def test_enum_refuses_unknown_labels(http):
    reply = http.request(body="INSERT INTO arr_t VALUES ('x', [], 'c')")
    assert reply.status != 200 and reply.text.startswith("Code: ")


def test_ddl_engines(http):
    assert http.request(body="CREATE TABLE mt (k UInt32, d Date) ENGINE = MergeTree PARTITION BY toYYYYMM(d) "
                             "ORDER BY k SETTINGS index_granularity = 8192").status == 200
    # the merging engines are built (merge_engines; tests/chdb_cases/merge_engines.sql), the aggregating one and
    # state columns too (tests/chdb_cases/aggregate_states.sql), Join tables; an engine not built is refused
    assert http.request(body="CREATE TABLE rmt (k UInt32) ENGINE = ReplacingMergeTree ORDER BY k").status == 200
    assert http.request("SELECT engine FROM system.tables WHERE name = 'rmt'").text == "ReplacingMergeTree\n"
    assert http.request(body="CREATE TABLE amt (k UInt32, s SimpleAggregateFunction(sum, UInt64), "
                             "u AggregateFunction(uniq, UInt64)) ENGINE = AggregatingMergeTree ORDER BY k").status == 200
    assert http.request("SELECT engine FROM system.tables WHERE name = 'amt'").text == "AggregatingMergeTree\n"
    assert http.request(body="CREATE TABLE jt (k UInt32) ENGINE = Join(ANY, LEFT, k)").status == 200
    reply = http.request(body="CREATE TABLE bt (k UInt32) ENGINE = Buffer(default, mt, 16, 10, 100, 10000, 1000000, "
                              "10000000, 100000000)")
    assert reply.headers["x-clickhouse-exception-code"] == "48"
    assert b"BUFFER" in reply.body.upper()
    assert http.request("SHOW TABLES").text.splitlines() == sorted(http.request("SHOW TABLES").text.splitlines())
    assert http.request("EXISTS TABLE mt").text == "1\n"
    assert http.request(body="ALTER TABLE mt DELETE WHERE k = 1").status == 200


def test_add_column_takes_clickhouse_types_and_its_place(http):
    assert http.request(body="CREATE TABLE alt (d Date, a String) ENGINE = Memory").status == 200
    assert http.request(body="INSERT INTO alt VALUES ('2015-01-01', 'hello')").status == 200
    assert http.request(body="ALTER TABLE alt ADD COLUMN n UInt16, ADD COLUMN m Nullable(UInt8) AFTER n, "
                             "ADD COLUMN s String DEFAULT 'x'").status == 200
    assert http.request("SELECT *, toTypeName(n), toTypeName(m) FROM alt").text == (
        "2015-01-01\thello\t0\t\\N\tx\tUInt16\tNullable(UInt8)\n")
    for sql in ("ALTER TABLE alt ADD COLUMN b String AFTER d", "ALTER TABLE alt ADD COLUMN f UInt8 FIRST"):
        assert http.request(body=sql).status == 200
    assert http.request("SELECT * FROM alt").text == "0\t2015-01-01\t\thello\t0\t\\N\tx\n"  # where they were put
    assert http.request(body="INSERT INTO alt VALUES (1, '2015-01-02', 'b', 'a', 2, 3, 'y')").status == 200
    assert http.request("SELECT f, b, m FROM alt ORDER BY f").text == "0\t\t\\N\n1\tb\t3\n"
    assert http.request("SELECT count() FROM system.columns WHERE table = 'alt'").text == "7\n"
    # a DEFAULT over another column: computed for the row already there
    assert http.request(body="ALTER TABLE alt ADD COLUMN h UInt64 DEFAULT intHash64(n)").status == 200
    assert http.request("SELECT h = intHash64(n) FROM alt").text == "1\n1\n"


def test_array_of_uint64_column_keeps_its_declared_type(http):
    assert http.request(body="CREATE TABLE au64 (a Array(UInt64)) ENGINE = Memory").status == 200
    assert http.request(body="INSERT INTO au64 VALUES ([1, 2]), ([]), ([18446744073709551615])").status == 200
    assert http.request("SELECT a, toTypeName(a) FROM au64").text == (
        "[1,2]\tArray(UInt64)\n[]\tArray(UInt64)\n[18446744073709551615]\tArray(UInt64)\n")


def test_higher_order_and_date_arithmetic(ch):
    assert ch("SELECT arrayExists(x -> x = 'b', ['a', 'b']), arrayAll(x -> x > 1, [1, 2]), "
              "arrayCount(x -> x > 1, [1, 2, 3]), arrayFirst(x -> x > 1, [1, 2, 3]), materialize(3)") == "1\t0\t2\t2\t3\n"
    assert ch("SELECT toDateTime('2020-01-02 03:04:05') AS t, t + 1, t - 3600, toDate(t) + 1, toUnixTimestamp(t)") == \
        "2020-01-02 03:04:05\t2020-01-02 03:04:06\t2020-01-02 02:04:05\t2020-01-03\t1577934245\n"


def test_extremes_and_type_names_of_sources(ch):
    assert ch("SELECT number, toString(number) AS s FROM numbers(3)", extremes="1") == \
        "0\t0\n1\t1\n2\t2\n\n0\t0\n2\t2\n"
    assert ch("SELECT toTypeName(number) FROM numbers(1)") == "UInt64\n"
    assert ch("SELECT toTypeName(dummy) FROM system.one") == "UInt8\n"


def test_clickhouse_clauses_and_casts(ch):
    assert ch("SELECT number FROM numbers(10) PREWHERE number > 6 WHERE number < 9") == "7\n8\n"
    assert ch("SELECT number FROM numbers(5) WHERE number GLOBAL IN (1, 2)") == "1\n2\n"
    assert ch("SELECT number % 2 AS k, sum(number) FROM numbers(4) GROUP BY k WITH ROLLUP ORDER BY k LIMIT 2") == \
        "0\t2\n1\t4\n"
    assert ch("SELECT count() FROM (SELECT number % 2 AS k FROM numbers(4)) GROUP BY k WITH ROLLUP") .count("\n") == 3
    assert ch("SELECT CAST('2' AS UInt8) + 1, CAST(3, 'String'), '5'::Int32, isNull(NULL)") == "3\t3\t5\t1\n"


def test_clauses_not_built_are_refused(http):
    for sql in ("SELECT number FROM numbers(5) ORDER BY number WITH FILL",
                "CREATE TABLE uses_columns (a UInt8, b UInt8 EPHEMERAL a * 2) ENGINE = Memory",
                "CREATE TABLE with_ttl (d DateTime) ENGINE = MergeTree ORDER BY d TTL d + INTERVAL 1 DAY"):
        assert http.request(body=sql).headers["x-clickhouse-exception-code"] == "48"
    assert http.request("EXISTS TABLE uses_columns").text == "0\n"
    # SAMPLE of a source without a sampling key (numbers(), system.numbers): 141, as ClickHouse answers
    assert http.request(body="SELECT number FROM numbers(5) SAMPLE 0.5").headers["x-clickhouse-exception-code"] == "141"


def test_unknown_database_is_code_81(http):
    assert http.request("SELECT 1", database="no_such_db").headers["x-clickhouse-exception-code"] == "81"
    assert http.request("SELECT 1", database="default").text == "1\n"


def test_max_connections_is_enforced(tmp_path):
    import http.client

    server = start_server(tmp_path, {"protocols": {"clickhouse": {"http_port": 0, "max_connections": 1}}},
                          only=["clickhouse"])
    try:
        first = http.client.HTTPConnection("127.0.0.1", server.port("clickhouse_http"), timeout=10)
        first.request("GET", "/?query=SELECT%201")
        assert first.getresponse().read() == b"1\n"  # kept open
        second = http.client.HTTPConnection("127.0.0.1", server.port("clickhouse_http"), timeout=10)
        second.request("GET", "/?query=SELECT%201")
        reply = second.getresponse()
        assert (reply.status, reply.getheader("X-ClickHouse-Exception-Code")) == (503, "202")
        first.close()
    finally:
        server.stop()


def test_max_memory_usage_stops_a_statement_with_241(http):
    """A GROUP BY that grows the server past max_memory_usage is stopped (241), and the server goes on."""
    big = ("SELECT sum(k), sum(c) FROM (SELECT number AS k, count() AS c FROM "
           "(SELECT * FROM system.numbers LIMIT 3000000) GROUP BY k)")
    reply = http.request(body=big, max_memory_usage="50000000")
    assert reply.status != 200
    assert reply.headers["x-clickhouse-exception-code"] == "241"
    assert "Memory limit (for query) exceeded" in reply.text
    assert http.request("SELECT 1").text == "1\n"
    assert http.request(body="SELECT count() FROM numbers(1000)", max_memory_usage="50000000").text == "1000\n"


def test_rand_is_an_unsigned_32_bit_integer(http):
    """rand() is a UInt32 in ClickHouse: `rand() % n` is integer arithmetic (it was a double, code 43)."""
    reply = http.request("SELECT rand() % 10 < 10, rand(1) >= 0, rand32() < 4294967296, "
                         "max(rand()) < 4294967296 FROM numbers(100)")
    assert (reply.status, reply.body) == (200, b"1\t1\t1\t1\n")
