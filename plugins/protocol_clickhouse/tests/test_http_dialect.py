"""ClickHouse's SQL over the HTTP interface: answers as ClickHouse prints them (TabSeparated)."""

from __future__ import annotations

import pytest


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
    reply = http.request(body="CREATE TABLE rmt (k UInt32) ENGINE = ReplacingMergeTree ORDER BY k")
    assert reply.headers["x-clickhouse-exception-code"] == "48"
    assert http.request("SHOW TABLES").text.splitlines() == sorted(http.request("SHOW TABLES").text.splitlines())
    assert http.request("EXISTS TABLE mt").text == "1\n"
    assert http.request(body="ALTER TABLE mt DELETE WHERE k = 1").status == 200


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
