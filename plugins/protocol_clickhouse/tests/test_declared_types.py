"""Declared ClickHouse types kept beside the tables, and stateless-style cases of our own.

A table created over ClickHouse shows the types it was declared with (DESCRIBE, result
headers over HTTP and the native protocol, INSERT headers); over PostgreSQL the same table
has the nearest SQL types; a table created over PostgreSQL shows its nearest ClickHouse
types, Nullable where its columns may be NULL. The cases under ``stateless_cases/`` are
written in the style of ClickHouse's stateless tests (Memory tables, INSERT ... SELECT,
views, ANY/ALL JOIN ... USING, WITH TOTALS, tuples, FixedString, Enum8, lambdas) and run
through both runners.
"""

from __future__ import annotations

import datetime as dt
import decimal
import pathlib

import psycopg
import pytest
from clickhouse_driver import Client
from helios_protocol_clickhouse.native.stateless import run_file as run_file_native
from helios_protocol_clickhouse.stateless import run_file as run_file_http
from helios_protocol_clickhouse.stateless import sql_files

from helios_core.testing import HeliosServer

CASES = sql_files(pathlib.Path(__file__).parent / "stateless_cases")


@pytest.fixture(scope="module")
def native(server: HeliosServer) -> Client:
    return Client("127.0.0.1", port=server.port("clickhouse"), send_receive_timeout=60)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_over_http(server: HeliosServer, case: pathlib.Path) -> None:
    outcome = run_file_http(f"http://127.0.0.1:{server.port('clickhouse_http')}", case)
    assert outcome.passed, outcome.detail


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_over_native(server: HeliosServer, case: pathlib.Path) -> None:
    outcome = run_file_native("127.0.0.1", server.port("clickhouse"), case)
    assert outcome.passed, outcome.detail


def test_declared_types_in_native_headers_and_nearest_types_over_postgres(native: Client,
                                                                          pg: psycopg.Connection) -> None:
    native.execute("CREATE TABLE kept (id UInt8, code FixedString(4), state Enum8('new' = 1, 'done' = 2), "
                   "note Nullable(String), at DateTime('UTC'), price Decimal32(2)) ENGINE = MergeTree ORDER BY id")
    at = dt.datetime(2024, 5, 6, 7, 8, 9)
    assert native.execute("INSERT INTO kept VALUES", [(7, "ab", "done", None, at, decimal.Decimal("1.25"))]) == 1
    rows, columns = native.execute("SELECT * FROM kept", with_column_types=True)
    assert dict(columns) == {"id": "UInt8", "code": "FixedString(4)", "state": "Enum8('new' = 1, 'done' = 2)",
                             "note": "Nullable(String)", "at": "DateTime('UTC')", "price": "Decimal(9, 2)"}
    assert rows == [(7, "ab", "done", None, at.replace(tzinfo=dt.UTC), decimal.Decimal("1.25"))]
    described = {r[0]: r[1] for r in native.execute("DESCRIBE TABLE kept")}
    assert described["state"] == "Enum8('new' = 1, 'done' = 2)" and described["code"] == "FixedString(4)"
    pg_types = dict(pg.execute("select column_name, data_type from information_schema.columns "
                               "where table_name = 'kept'").fetchall())
    assert pg_types["id"] == "smallint" and pg_types["code"] == "text" and pg_types["price"] == "numeric"
    assert pg.execute("select id, state from kept").fetchone() == (7, "done")


def test_a_column_changed_over_postgres_shows_its_nearest_type(native: Client, pg: psycopg.Connection) -> None:
    native.execute("CREATE TABLE changed (id UInt8, label LowCardinality(String)) ENGINE = Memory")
    pg.execute("alter table changed alter column id type bigint")
    described = {r[0]: r[1] for r in native.execute("DESCRIBE TABLE changed")}
    assert described == {"id": "Int64", "label": "LowCardinality(String)"}


def test_dropped_and_recreated_over_postgres_forgets_declarations(native: Client, pg: psycopg.Connection) -> None:
    native.execute("CREATE TABLE again (id UInt8) ENGINE = Memory")
    native.execute("DROP TABLE again")
    pg.execute("create table again (id smallint not null)")
    assert native.execute("DESCRIBE TABLE again")[0][:2] == ("id", "Int16")


def test_tuple_element_of_a_non_tuple_is_an_error(native: Client) -> None:
    from clickhouse_driver.errors import ServerException

    with pytest.raises(ServerException):
        native.execute("SELECT x.1 FROM (SELECT number AS x FROM numbers(1))")


def test_map_and_tuple_columns_are_refused_at_create(native: Client) -> None:
    from clickhouse_driver.errors import ServerException

    for column in ("m Map(String, UInt64)", "t Array(Tuple(UInt8, String))"):
        with pytest.raises(ServerException) as refused:
            native.execute(f"CREATE TABLE refused ({column}) ENGINE = Memory")
        assert refused.value.code == 48
