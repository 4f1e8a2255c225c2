"""Aggregate function states and materialized views over the native protocol (clickhouse-driver):
the answers are ClickHouse's (compared with chdb statement by statement in
chdb_cases/aggregate_states.sql and chdb_cases/materialized_views.sql); here the native INSERT's
blocks feeding a view, what a PostgreSQL client sees of the same rows, and a raw state refused.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from clickhouse_driver import Client
from clickhouse_driver.errors import ServerException

from helios_core.testing import HeliosServer


@pytest.fixture(scope="module")
def native(server: HeliosServer) -> Iterator[Client]:
    client = Client("127.0.0.1", port=server.port("clickhouse"), send_receive_timeout=60)
    yield client
    client.disconnect()


def test_materialized_view_fed_by_native_blocks(native: Client, server: HeliosServer) -> None:
    native.execute("CREATE TABLE hits (site UInt32, user String, ms UInt64) ENGINE = MergeTree ORDER BY site")
    native.execute("CREATE MATERIALIZED VIEW hits_by_site ENGINE = AggregatingMergeTree ORDER BY site AS "
                   "SELECT site, countState() AS n, uniqState(user) AS users, quantileState(0.5)(ms) AS median_ms "
                   "FROM hits GROUP BY site")
    # one INSERT in two native blocks: one block for the view, merged as it is written
    native.execute("INSERT INTO hits VALUES", [(1, "ann", 10), (1, "bob", 30), (2, "ann", 5), (1, "ann", 20)],
                   settings={"insert_block_size": 2})
    assert native.execute("SELECT count() FROM hits_by_site") == [(2,)]
    native.execute("INSERT INTO hits VALUES", [(1, "cid", 40), (3, "dan", 1)])
    assert native.execute("SELECT count() FROM hits_by_site") == [(4,)]  # not merged yet
    assert native.execute("SELECT site, countMerge(n), uniqMerge(users), quantileMerge(0.5)(median_ms) "
                          "FROM hits_by_site GROUP BY site ORDER BY site") == [
        (1, 4, 3, 25.0), (2, 1, 1, 5.0), (3, 1, 1, 1.0)]
    native.execute("OPTIMIZE TABLE hits_by_site FINAL")
    assert native.execute("SELECT site, finalizeAggregation(n) FROM hits_by_site ORDER BY site") == [
        (1, 4), (2, 1), (3, 1)]
    # the states are text of HeliosDB's own to a PostgreSQL client; the rows of the source are the rows
    with psycopg.connect(server.pg_dsn(), autocommit=True) as pg:
        assert pg.execute("SELECT count(*) FROM hits").fetchone() == (6,)
        assert pg.execute("SELECT count(*) FROM hits_by_site").fetchone() == (3,)


def test_raw_state_is_refused_with_a_clear_error(native: Client) -> None:
    native.execute("CREATE TABLE sums (k UInt8, s AggregateFunction(sum, UInt64)) ENGINE = MergeTree ORDER BY k")
    native.execute("INSERT INTO sums SELECT 1, sumState(number) FROM numbers(5)")
    for query in ("SELECT s FROM sums", "SELECT * FROM sums", "SELECT sumState(number) FROM numbers(3)",
                  "SELECT hex(toString(countState())) FROM numbers(3)"):
        with pytest.raises(ServerException) as refused:
            native.execute(query)
        assert refused.value.code == 48
        assert "binary serialization of an aggregate function state" in refused.value.message
    assert native.execute("SELECT k, sumMerge(s) FROM sums GROUP BY k") == [(1, 10)]


def test_state_of_another_function_is_refused(native: Client) -> None:
    with pytest.raises(ServerException) as refused:
        native.execute("SELECT sumMerge(u) FROM (SELECT uniqState(number) AS u FROM numbers(3))")
    assert refused.value.code == 43
