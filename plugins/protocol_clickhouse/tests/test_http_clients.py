"""clickhouse-connect and PostgreSQL clients on the same server and the same tables."""

from __future__ import annotations

import datetime
import statistics

import clickhouse_connect
import psycopg
import pyarrow as pa
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError


@pytest.fixture(scope="module")
def cc(server):
    client = clickhouse_connect.get_client(host="127.0.0.1", port=server.port("clickhouse_http"))
    yield client
    client.close()


def test_connect_reads_version_and_timezone(cc):
    assert cc.server_version.startswith("24.")
    assert cc.command("SELECT timezone()") == "UTC"


ROWS = [
    [1, "a", 1.5, datetime.date(2024, 1, 2), None, ["x", "y"], datetime.datetime(2024, 1, 2, 3, 4, 5)],
    [2, "b\tc", -2.25, datetime.date(1999, 12, 31), 7, [], datetime.datetime(2024, 1, 2, 3, 4, 6)],
]
COLUMNS = ["id", "name", "v", "d", "n", "a", "ts"]


@pytest.mark.parametrize("compress", [False, "lz4", "zstd", "gzip"])
def test_insert_and_query_round_trip(server, compress):
    client = clickhouse_connect.get_client(host="127.0.0.1", port=server.port("clickhouse_http"), compress=compress)
    table = f"rt_{compress or 'plain'}"
    client.command(f"CREATE TABLE {table} (id UInt32, name String, v Float64, d Date, n Nullable(Int64), "
                   "a Array(String), ts DateTime) ENGINE = MergeTree ORDER BY id")
    summary = client.insert(table, ROWS, column_names=COLUMNS)
    assert summary.written_rows == 2
    result = client.query(f"SELECT * FROM {table} ORDER BY id")
    assert result.column_names == tuple(COLUMNS)
    assert [list(r) for r in result.result_rows] == ROWS
    many = [[i, f"r{i}", i / 2, datetime.date(2024, 1, 1), i, [str(i)], datetime.datetime(2024, 1, 1)]
            for i in range(3, 5003)]
    client.insert(table, many, column_names=COLUMNS)
    assert client.command(f"SELECT count() FROM {table}") == 5002
    client.close()


def test_query_arrow_and_df(cc):
    cc.command("CREATE TABLE arrow_t (k Int32, s Nullable(String)) ENGINE = Memory")
    cc.command("INSERT INTO arrow_t VALUES (1, 'one'), (2, NULL)")
    table = cc.query_arrow("SELECT k, s FROM arrow_t ORDER BY k")
    assert isinstance(table, pa.Table)
    assert table.to_pydict() == {"k": [1, 2], "s": ["one", None]}
    df = cc.query_df("SELECT k, s FROM arrow_t ORDER BY k")
    assert list(df["k"]) == [1, 2]


def test_result_types_of_nullable_columns_are_nullable(pg, cc):
    pg.execute("CREATE TABLE nullable_pg (id integer PRIMARY KEY, title text)")
    pg.execute("INSERT INTO nullable_pg VALUES (1, 'hello')")
    names = [t.name for t in cc.query("SELECT id, title FROM nullable_pg").column_types]
    assert names == ["Int32", "Nullable(String)"]


def test_row_written_over_postgres_is_read_over_clickhouse(pg, cc):
    pg.execute("CREATE TABLE from_pg (id integer PRIMARY KEY, title text, price numeric(10,2), seen timestamp)")
    pg.execute("INSERT INTO from_pg VALUES (1, 'hello', 12.50, '2024-05-06 07:08:09')")
    result = cc.query("SELECT id, title, price, seen FROM from_pg")
    assert result.result_rows == [(1, "hello", pytest.approx(12.5), datetime.datetime(2024, 5, 6, 7, 8, 9))]
    described = {r[0]: r[1] for r in cc.query("DESCRIBE TABLE from_pg").result_rows}
    assert described == {"id": "Int32", "title": "Nullable(String)", "price": "Nullable(Decimal(10, 2))",
                         "seen": "Nullable(DateTime)"}


def test_row_written_over_clickhouse_is_read_over_postgres(pg, cc):
    cc.command("CREATE TABLE from_ch (id UInt16, label LowCardinality(String), tags Array(String)) "
               "ENGINE = MergeTree ORDER BY id")
    cc.insert("from_ch", [[5, "five", ["a", "b"]]], column_names=["id", "label", "tags"])
    assert pg.execute("SELECT id, label, tags FROM from_ch").fetchall() == [(5, "five", ["a", "b"])]


def test_bi_query_over_rows_written_by_postgres(pg, cc):
    pg.execute("CREATE TABLE build_metrics (repo text, started timestamp, duration double precision)")
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    recent = [(now - datetime.timedelta(days=1), d) for d in (10.0, 20.0, 30.0, 40.0)]
    old = [(now - datetime.timedelta(days=200), 1000.0)]
    with pg.cursor() as cur:
        cur.executemany("INSERT INTO build_metrics VALUES ('r', %s, %s)", recent + old)
    rows = cc.query(
        "SELECT toStartOfDay(started) AS day, quantile(0.5)(duration) AS p50, quantile(0.95)(duration) AS p95, "
        "count() AS builds FROM build_metrics WHERE started >= today() - INTERVAL 90 DAY "
        "GROUP BY day ORDER BY day").result_rows
    day = (now - datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    durations = [d for _, d in recent]
    assert len(rows) == 1
    assert rows[0][0] == day
    assert rows[0][1] == pytest.approx(statistics.median(durations), rel=0.05)
    assert rows[0][2] == pytest.approx(38.5, rel=0.05)
    assert rows[0][3] == 4


def test_errors_carry_clickhouse_codes(cc):
    with pytest.raises(DatabaseError, match=r"Code: 60\..*UNKNOWN_TABLE"):
        cc.query("SELECT * FROM missing_table")
    with pytest.raises(DatabaseError, match=r"Code: 62\."):
        cc.query("SELECT (")
    with pytest.raises(DatabaseError, match=r"Code: 47\."):
        cc.query("SELECT no_such_column FROM system.one")
    assert cc.command("SELECT 1") == 1  # the client and the server go on


def test_heliosdb_branch_setting_picks_the_branch(pg, http):
    pg.execute("CREATE TABLE branched (k integer)")
    pg.execute("INSERT INTO branched VALUES (1)")
    pg.execute("CREATE BRANCH ch_feature FROM main")
    pg.execute("SET heliosdb.branch = 'ch_feature'")
    pg.execute("INSERT INTO branched VALUES (2)")
    pg.execute("SET heliosdb.branch = 'main'")
    assert http.request("SELECT count() FROM branched").text == "1\n"
    assert http.request("SELECT count() FROM branched", heliosdb_branch="ch_feature").text == "2\n"


def test_identifiers_keep_their_case_across_protocols(pg, cc):
    """ClickHouse's names are case-sensitive: a table created here as ``Customers`` is
    ``"Customers"`` to PostgreSQL, and PostgreSQL's ``customers`` is ``customers`` here."""
    cc.command("CREATE TABLE Customers (Id UInt32, FullName String) ENGINE = Memory")
    cc.command("INSERT INTO Customers VALUES (1, 'Ada')")
    assert pg.execute('SELECT "Id", "FullName" FROM "Customers"').fetchall() == [(1, "Ada")]
    with pytest.raises(psycopg.errors.UndefinedTable):
        pg.execute("SELECT * FROM Customers")  # folded to customers: another table
    pg.execute("CREATE TABLE customers (id integer, name text)")
    pg.execute("INSERT INTO Customers VALUES (2, 'Bob')")  # PostgreSQL's unquoted name: customers
    assert cc.query("SELECT id, name FROM customers").result_rows == [(2, "Bob")]
    assert cc.query("SELECT Id, FullName FROM Customers").result_rows == [(1, "Ada")]
    with pytest.raises(DatabaseError, match="Code: 60"):
        cc.query("SELECT * FROM CUSTOMERS")
    with pytest.raises(DatabaseError, match="Code: 47"):
        cc.query("SELECT id FROM Customers")
    pg.execute('INSERT INTO "Customers" VALUES (3, \'Cy\')')
    cc.insert("Customers", [[4, "Di"]], column_names=["Id", "FullName"])
    assert [r[0] for r in cc.query("SELECT Id FROM Customers ORDER BY Id").result_rows] == [1, 3, 4]
    assert {r[0] for r in cc.query("SHOW TABLES").result_rows} >= {"Customers", "customers"}
