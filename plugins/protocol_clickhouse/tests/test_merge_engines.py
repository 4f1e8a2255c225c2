"""The merging engines over the native protocol (clickhouse-driver), and the same table's rows
as a PostgreSQL client (psycopg) reads them: one table, one engine.

The answers are ClickHouse's (checked against chdb statement by statement in
chdb_cases/merge_engines.sql); here what the native INSERT path does with its blocks.
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


def test_replacing_merge_tree_over_native_blocks_and_postgres(native: Client, pg: psycopg.Connection) -> None:
    native.execute("CREATE TABLE accounts (id UInt32, owner String, balance Int64, version UInt32) "
                   "ENGINE = ReplacingMergeTree(version) ORDER BY id")
    # one INSERT, sent as two native blocks: one part, merged as it is written
    native.execute("INSERT INTO accounts VALUES", [(2, "bob", 10, 1), (1, "ann", 5, 1), (2, "bob", 12, 2)],
                   settings={"insert_block_size": 2})
    assert native.execute("SELECT id, owner, balance, version FROM accounts") == [
        (1, "ann", 5, 1), (2, "bob", 12, 2)]
    native.execute("INSERT INTO accounts VALUES", [(1, "ann", 7, 3), (2, "bob", 99, 1)])
    # not merged yet: both parts' rows; FINAL (or the final setting) merges them at read time
    assert native.execute("SELECT count() FROM accounts") == [(4,)]
    assert native.execute("SELECT id, balance FROM accounts FINAL ORDER BY id") == [(1, 7), (2, 12)]
    assert native.execute("SELECT id, balance FROM accounts ORDER BY id", settings={"final": 1}) == [(1, 7), (2, 12)]
    # PostgreSQL clients read the same table: the rows as they are stored
    assert pg.execute("SELECT count(*) FROM accounts").fetchone() == (4,)
    native.execute("OPTIMIZE TABLE accounts FINAL")
    assert pg.execute("SELECT id, owner, balance, version FROM accounts ORDER BY id").fetchall() == [
        (1, "ann", 7, 3), (2, "bob", 12, 2)]
    assert native.execute("SELECT engine_full FROM system.tables WHERE name = 'accounts'") == [
        ("ReplacingMergeTree(version) ORDER BY id SETTINGS index_granularity = 8192",)]


def test_collapsing_sign_is_checked_for_every_client(native: Client, pg: psycopg.Connection) -> None:
    native.execute("CREATE TABLE visits (user UInt32, pages UInt16, sign Int8) "
                   "ENGINE = CollapsingMergeTree(sign) ORDER BY user")
    native.execute("INSERT INTO visits VALUES", [(1, 5, 1), (1, 5, -1), (1, 6, 1), (2, 3, 1)])
    assert native.execute("SELECT user, pages, sign FROM visits ORDER BY user") == [(1, 6, 1), (2, 3, 1)]
    with pytest.raises(ServerException) as refused:  # ClickHouse's merge refuses a sign not 1 or -1
        native.execute("INSERT INTO visits VALUES", [(3, 1, 2)])
    assert refused.value.code == 117
    with pytest.raises(psycopg.errors.CheckViolation):  # and so does the table for PostgreSQL clients
        pg.execute("INSERT INTO visits VALUES (3, 1, 0)")
    pg.execute("INSERT INTO visits VALUES (2, 3, -1)")  # a row written over PostgreSQL takes part in merges
    assert native.execute("SELECT user, pages FROM visits FINAL ORDER BY user") == [(1, 6)]
