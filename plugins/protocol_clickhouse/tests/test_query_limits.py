"""ClickHouse's query limits over HTTP and the native protocol: enforced as ClickHouse does, or
refused by name (never accepted and ignored). Expected answers and codes are ClickHouse's (chdb)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from clickhouse_driver import Client
from clickhouse_driver.errors import ServerException

from helios_core.testing import HeliosServer


def _code(reply: Any) -> str:
    assert reply.status != 200, reply.text
    return reply.headers["x-clickhouse-exception-code"]


@pytest.mark.parametrize(("query", "expected"), [
    (("SELECT count() FROM system.numbers SETTINGS max_rows_to_read = 1000, read_overflow_mode = 'break', "
     "max_block_size = 123"), "1107\n"),  # 9 blocks of 123: the one that passes 1000 is read whole
    ("SELECT count() FROM system.numbers SETTINGS max_rows_to_read = 1000, read_overflow_mode = 'break'",
     "65409\n"),
    ("SELECT count() FROM numbers(100000) SETTINGS max_rows_to_read = 1000, read_overflow_mode = 'break'",
     "65409\n"),
    ("SELECT count() FROM numbers(500) SETTINGS max_rows_to_read = 1000, read_overflow_mode = 'break'", "500\n"),
    (("SELECT * FROM (SELECT count() FROM system.numbers SETTINGS max_rows_to_read = 10, "
     "read_overflow_mode = 'break', max_block_size = 4)"), "12\n"),  # a subquery's own SETTINGS
    ("SELECT number FROM system.numbers LIMIT 3 SETTINGS max_rows_to_read = 1000", "0\n1\n2\n"),
    (("SELECT number % 3 AS k, count() FROM numbers(100) GROUP BY k ORDER BY k "
     "SETTINGS max_rows_to_group_by = 2, group_by_overflow_mode = 'any'"), "0\t34\n1\t33\n2\t33\n"),
    ("SELECT number FROM numbers(10) ORDER BY number LIMIT 2 SETTINGS max_rows_to_sort = 5", "0\n1\n"),
    # 'any' past the limit: the keys of the blocks up to the one that passed it (3 blocks of 5 rows)
    (("SELECT number % 1000 AS k, count() FROM numbers(3000) GROUP BY k ORDER BY k DESC LIMIT 3 "
      "SETTINGS max_rows_to_group_by = 10, group_by_overflow_mode = 'any', max_block_size = 5"),
     "14\t3\n13\t3\n12\t3\n"),
    (("SELECT number % 1000 AS k, count() FROM numbers(3000) GROUP BY k WITH TOTALS ORDER BY k DESC LIMIT 3 "
      "SETTINGS max_rows_to_group_by = 10, group_by_overflow_mode = 'any', max_block_size = 5, "
      "totals_mode = 'after_having_exclusive'"), "14\t3\n13\t3\n12\t3\n\n0\t45\n"),
    (("SELECT number % 1000 AS k, count() FROM numbers(3000) GROUP BY k WITH TOTALS ORDER BY k DESC LIMIT 3 "
      "SETTINGS max_rows_to_group_by = 10, group_by_overflow_mode = 'any', max_block_size = 5, "
      "totals_mode = 'before_having'"), "14\t3\n13\t3\n12\t3\n\n0\t3000\n"),
    ("SELECT number FROM numbers(3) SETTINGS max_result_rows = 3", "0\n1\n2\n"),
    # random keys (a second reading would not give them again, the alias inside a call): the
    # groups of the rows up to the block that passed the limit
    (("SELECT ignore(rand() AS k), ignore(max(toString(number))) FROM numbers(10000) GROUP BY k LIMIT 1 "
      "SETTINGS max_rows_to_group_by = 3000, group_by_overflow_mode = 'any', max_block_size = 1000"), "0\t0\n"),
])
def test_limits_as_clickhouse_applies_them(http: Any, query: str, expected: str) -> None:
    reply = http.request(body=query)
    assert reply.status == 200, reply.text
    assert reply.text == expected


@pytest.mark.parametrize(("query", "code"), [
    ("SELECT count() FROM numbers(100000) SETTINGS max_rows_to_read = 1000", "158"),
    ("SELECT count() FROM system.numbers LIMIT 10 SETTINGS max_rows_to_read = 1000", "158"),
    ("SELECT count() FROM numbers(10) SETTINGS max_rows_to_read = 5, read_overflow_mode = 'any'", "145"),
    (("SELECT number % 3 AS k FROM numbers(10) GROUP BY k SETTINGS max_rows_to_group_by = 2, "
     "group_by_overflow_mode = 'xx'"), "145"),
    ("SELECT number % 3 AS k, count() FROM numbers(100) GROUP BY k SETTINGS max_rows_to_group_by = 2", "158"),
    ("SELECT number FROM numbers(100) SETTINGS max_result_rows = 10", "396"),
    ("SELECT number FROM numbers(10) ORDER BY number SETTINGS max_rows_to_sort = 5", "396"),
    # past one block, which keys or rows ClickHouse keeps depends on its blocks: refused
    (("SELECT number % 3 AS k, count() FROM numbers(100000) GROUP BY k SETTINGS max_rows_to_group_by = 2, "
      "group_by_overflow_mode = 'break'"), "48"),
    ("SELECT number FROM numbers(100000) SETTINGS max_result_rows = 10, result_overflow_mode = 'break'", "48"),
    # limits without a measure here
    ("SELECT 1 SETTINGS max_bytes_to_read = 100", "48"),
    ("SELECT 1 SETTINGS max_rows_in_set = 100", "48"),
])
def test_limits_that_stop_a_query(http: Any, query: str, code: str) -> None:
    assert _code(http.request(body=query)) == code


def test_set_of_an_unmeasured_limit_is_refused_and_zero_is_accepted(http: Any) -> None:
    session = uuid.uuid4().hex
    reply = http.request(body="SET max_temporary_non_const_columns = 10", session_id=session)
    assert _code(reply) == "48"
    assert "max_temporary_non_const_columns" in reply.text
    assert http.request(body="SET max_temporary_non_const_columns = 0", session_id=session).status == 200


def test_rows_read_from_tables(http: Any) -> None:
    session = uuid.uuid4().hex

    def run(sql: str) -> Any:
        return http.request(body=sql, session_id=session)

    assert run("CREATE TABLE limits_t (x UInt64) ENGINE = Memory").status == 200
    assert run("INSERT INTO limits_t SELECT number FROM numbers(3000)").status == 200
    assert run("SELECT count() FROM limits_t SETTINGS max_rows_to_read = 5000").text == "3000\n"
    assert _code(run("SELECT count() FROM limits_t SETTINGS max_rows_to_read = 1000")) == "158"
    # ClickHouse reads only the granules a filter selects: how many is not known here
    assert _code(run("SELECT count() FROM limits_t WHERE x < 10 SETTINGS max_rows_to_read = 1000")) == "48"


def test_native_protocol_counts_a_streamed_result(server: HeliosServer) -> None:
    client = Client("127.0.0.1", port=server.port("clickhouse"), send_receive_timeout=60)
    with pytest.raises(ServerException) as err:
        client.execute("SELECT number FROM numbers(100)", settings={"max_result_rows": 10})
    assert err.value.code == 396
    rows = client.execute("SELECT count() FROM system.numbers",
                          settings={"max_rows_to_read": 1000, "read_overflow_mode": "break", "max_block_size": 123})
    assert rows == [(1107,)]
