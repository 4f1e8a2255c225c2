"""What BI tools read when they connect and browse a schema, over real clients.

The queries are the ones Grafana's ClickHouse data source, Metabase's ClickHouse driver (its
version query and the JDBC driver's metadata queries) and clickhouse-connect's SQLAlchemy dialect
send: system.functions (every listed function callable: none is unknown, 46), system.tables/
columns/databases/settings/data_type_families/table_engines, version(), currentDatabase(),
timezone(), uptime(), SHOW DATABASES/TABLES, DESCRIBE TABLE, EXISTS TABLE.
"""

from __future__ import annotations

import re
import time

import clickhouse_connect
import pytest
import sqlalchemy as sa
from clickhouse_driver import Client

_CODE = re.compile(r"Code: (\d+)")


@pytest.fixture(scope="module")
def table(http) -> str:
    assert http.request("CREATE TABLE bi_events (id UInt32, name String, ts DateTime, v Nullable(Float64)) "
                        "ENGINE = MergeTree ORDER BY id", method="POST").status == 200
    assert http.request("CREATE VIEW bi_view AS SELECT id, name FROM bi_events", method="POST").status == 200
    return "bi_events"


def _rows(http, sql: str) -> list[list[str]]:
    reply = http.request(sql)
    assert reply.status == 200, (sql, reply.text)
    return [line.split("\t") for line in reply.text.splitlines()]


def test_system_functions_has_clickhouse_columns(http) -> None:
    header = http.request("SELECT * FROM system.functions LIMIT 0 FORMAT TSVWithNames").text.split("\t")
    for column in ("name", "is_aggregate", "case_insensitive", "alias_to", "create_query", "origin", "description",
                   "syntax", "arguments", "returned_value", "examples", "categories"):
        assert column in [h.strip() for h in header]
    rows = {name: (agg, ci) for name, agg, ci in _rows(http, "SELECT name, is_aggregate, case_insensitive "
                                                                "FROM system.functions")}
    assert rows["sum"][0] == "1" and rows["quantile"][0] == "1" and rows["groupArray"][0] == "1"
    assert rows["arrayMap"][0] == "0" and rows["toStartOfInterval"][0] == "0" and rows["uptime"][0] == "0"
    assert "sumIf" not in rows  # aggregates with a combinator are not listed (as in ClickHouse)
    assert "md5" not in rows  # sqlglot reads it into a function the kernel lacks: not callable, not listed


_SHAPES = ["", "1", "'a'", "[1, 2]", "1, 2", "'a', 'b'", "[1, 2], 1", "x -> x, [1, 2]", "'a', 1", "now()",
           "1, 2, 3", "'a', 'b', 'c'", "[1], [2]", "toDate('2020-01-01'), 1", "'second', now(), now()", "1.5",
           "toUInt32(1)", "'YQ=='", "'sum', [1, 2]", "1, [1], [2], 0", "'1.2.3.4'"]
_KNOWN = {"200", "42", "43", "36", "69", "53", "70", "386", "6", "27", "41", "38", "44", "675"}


def test_every_listed_function_can_be_called(http) -> None:
    """Each name is called with argument lists of a few shapes until one is accepted or fails for
    its arguments' sake (42, 43, ...): a name no shape reaches (all 46 or syntax) is not supported."""
    unsupported = []
    for (name,) in _rows(http, "SELECT name FROM system.functions"):
        for shape in _SHAPES:
            reply = http.request(f"SELECT {name}({shape})")
            m = _CODE.search(reply.text) if reply.status != 200 else None
            if (m.group(1) if m else "200") in _KNOWN:
                break
        else:
            unsupported.append(name)
    assert not unsupported


def test_names_are_spelled_as_clickhouse_spells_them(http) -> None:
    chdb = pytest.importorskip("chdb", reason="chdb (ClickHouse's engine in-process) is not installed")
    theirs = [line.split("\t") for line in str(chdb.query("SELECT name, case_insensitive FROM system.functions",
                                                           "TSV")).splitlines()]
    by_lower: dict[str, set[str]] = {}
    for name, insensitive in theirs:
        by_lower.setdefault(name.lower(), set()).add(name.lower() if insensitive == "1" else name)
    ours = [name for (name,) in _rows(http, "SELECT name FROM system.functions")]
    misspelled = [name for name in ours if name.lower() in by_lower and name not in by_lower[name.lower()] and
                  name.lower() not in by_lower[name.lower()]]
    assert not misspelled


def test_uptime_is_seconds_since_start_as_uint32(server) -> None:
    client = Client("127.0.0.1", port=server.port("clickhouse"))
    (first, type_name), = client.execute("SELECT uptime(), toTypeName(uptime())")
    assert type_name == "UInt32" and first >= 0
    time.sleep(1.2)
    (second,), = client.execute("SELECT uptime()")
    assert second >= first + 1
    client.disconnect()


GRAFANA = [
    "SELECT database, name FROM system.tables ORDER BY database, name",
    ("SELECT database, table, name, type, comment FROM system.columns WHERE (database, table) IN "
    "(('default', 'bi_events')) OR (database = currentDatabase() AND table IN ('bi_events')) "
    "ORDER BY database, table, position"),
    "SELECT currentDatabase()",
    'DESCRIBE TABLE "default"."bi_events"',
    'DESC TABLE "default"."bi_events"',
    "SELECT DISTINCT name FROM bi_events SETTINGS max_execution_time=10",
    "SHOW DATABASES",
    'SHOW TABLES FROM "default"',
    "SHOW TABLES",
    ("SELECT name, is_aggregate, case_insensitive, alias_to, origin, description, syntax, arguments, "
    "returned_value, examples, categories FROM system.functions LIMIT 10000"),
    "SELECT name, type, table FROM system.columns",
    "SELECT name, type, table FROM system.columns WHERE database IN ('default') AND table = 'bi_events'",
    "SELECT version()",
]
METABASE = [
    ("WITH s AS (SELECT version() AS ver, splitByChar('.', ver) AS verSplit) "
    "SELECT s.ver, toInt32(verSplit[1]), toInt32(verSplit[2]) FROM s"),
    "SELECT timezone() AS tz",
    "SELECT name AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM system.databases ORDER BY name",
    ("SELECT database AS TABLE_SCHEM, table AS TABLE_NAME, name AS COLUMN_NAME, type AS TYPE_NAME, "
    "toInt32(IF (numeric_scale == 0, NULL, numeric_scale)) as DECIMAL_DIGITS, "
    "toInt32(numeric_precision_radix) AS NUM_PREC_RADIX, "
    "toInt32(position(type, 'Nullable(') >= 1 ? 1 : 0) as NULLABLE, system.columns.comment AS REMARKS, "
    "system.columns.default_expression AS COLUMN_DEF, character_octet_length::Nullable(Int32) AS CHAR_OCTET_LENGTH, "
    "toInt32(system.columns.position) AS ORDINAL_POSITION, "
    "position(upper(type), 'NULLABLE') >= 1 ? 'YES' : 'NO' AS IS_NULLABLE FROM system.columns "
    "WHERE database LIKE 'default' AND table LIKE 'bi_events' AND name LIKE '%' "
    "ORDER BY TABLE_SCHEM, TABLE_NAME, ORDINAL_POSITION"),
]
JDBC_AND_OTHERS = [  # clickhouse-java's getTables (a join naming system.tables in full beside its alias), linq2db
    ("SELECT NULL AS TABLE_CAT, t.database AS TABLE_SCHEM, t.name AS TABLE_NAME, if(t.is_temporary = 1, "
    "concat('Temporary', t.engine), t.engine) AS TABLE_TYPE, t.comment AS REMARKS, d.engine AS TYPE_SCHEM "
    "FROM system.tables t JOIN system.databases d ON system.tables.database = system.databases.name "
    "WHERE t.database LIKE 'default' AND t.name LIKE 'bi%' AND (t.is_temporary = 0)"),
    "select name, comment, engine LIKE '%View' from system.tables where is_temporary = 0 and database = database()",
    ("select name, primary_key from system.tables where is_temporary = 0 and database = database() and "
    "primary_key <> ''"),
    ("SELECT table, name, type, position, comment, multiIf(type LIKE '%FixedString%', character_octet_length, NULL), "
    "multiIf(type LIKE '%DateTime64%', datetime_precision, numeric_precision_radix = 10, numeric_precision, NULL), "
    "multiIf(numeric_precision_radix = 10, numeric_scale, NULL), is_in_primary_key FROM system.columns "
    "WHERE database = database() and default_kind <> 'ALIAS'"),
    "select hostName()",
]
CATALOGS = [
    "SELECT name FROM system.databases",
    "SELECT name, value FROM system.settings WHERE name = 'max_block_size'",
    "SELECT name, case_insensitive, alias_to FROM system.data_type_families",
    "SELECT name, supports_settings, supports_sort_order FROM system.table_engines",
    "EXISTS TABLE bi_events",
]


@pytest.mark.parametrize("sql", GRAFANA + METABASE + JDBC_AND_OTHERS + CATALOGS)
def test_bi_tool_query_runs(http, table, sql) -> None:
    reply = http.request(sql)
    assert reply.status == 200, reply.text


def test_answers_of_schema_browsing(http, table) -> None:
    assert ["default", "bi_events"] in _rows(http, "SELECT database, name FROM system.tables ORDER BY database, name")
    columns = _rows(http, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND "
                          "table = 'bi_events' ORDER BY position")
    assert columns == [["id", "UInt32"], ["name", "String"], ["ts", "DateTime"], ["v", "Nullable(Float64)"]]
    describe = _rows(http, 'DESCRIBE TABLE "default"."bi_events"')
    assert [row[:2] for row in describe] == columns and len(describe[0]) == 7
    assert _rows(http, "EXISTS TABLE bi_events") == [["1"]] and _rows(http, "EXISTS TABLE nope") == [["0"]]
    metabase = _rows(http, METABASE[0])[0]
    assert metabase[1:] == metabase[0].split(".")[:2]
    assert ["MergeTree", "1", "1"] in _rows(http, CATALOGS[3])
    assert ["UInt8", "0", ""] in _rows(http, CATALOGS[2])


def test_clickhouse_connect_sqlalchemy_inspects_the_schema(server, table) -> None:
    engine = sa.create_engine(f"clickhousedb://default:@127.0.0.1:{server.port('clickhouse_http')}/default")
    inspector = sa.inspect(engine)
    assert "default" in inspector.get_schema_names()
    assert {"bi_events", "bi_view"} <= set(inspector.get_table_names())
    assert inspector.get_view_names() == ["bi_view"]
    columns = {c["name"]: c for c in inspector.get_columns("bi_events")}
    assert list(columns) == ["id", "name", "ts", "v"] and columns["v"]["nullable"] and not columns["id"]["nullable"]
    assert inspector.has_table("bi_events") and not inspector.has_table("nope")
    engine.dispose()


def test_clickhouse_connect_reads_functions(server) -> None:
    client = clickhouse_connect.get_client(host="127.0.0.1", port=server.port("clickhouse_http"))
    result = client.query("SELECT name, is_aggregate FROM system.functions WHERE name IN ('sum', 'arrayMap') "
                          "ORDER BY name")
    assert [(name, int(agg)) for name, agg in result.result_rows] == [("arrayMap", 0), ("sum", 1)]
    assert client.command("SELECT uptime() >= 0") == 1
    client.close()


def test_show_create_table_and_check_table(http) -> None:
    assert http.request(body="CREATE TABLE bi_shown (id UInt32, name String DEFAULT 'x', v Nullable(Float64)) "
                             "ENGINE = MergeTree ORDER BY id", method="POST").status == 200
    assert http.request("SHOW CREATE TABLE bi_shown FORMAT TSVRaw").text == (
        "CREATE TABLE default.bi_shown\n(\n    `id` UInt32,\n    `name` String DEFAULT 'x',\n"
        "    `v` Nullable(Float64)\n)\nENGINE = MergeTree\nORDER BY id\nSETTINGS index_granularity = 8192\n")
    assert http.request("SHOW CREATE TABLE nope").headers["x-clickhouse-exception-code"] == "60"
    assert http.request("-- a comment first\nCHECK TABLE bi_shown").text == "1\n"
    assert http.request("CHECK TABLE bi_shown SETTINGS check_query_single_value_result = 0").text == "all\t1\t\n"
    assert http.request("CHECK TABLE bi_shown PART 'all_0_0_0'").headers["x-clickhouse-exception-code"] == "48"


def test_result_types_and_names_as_clickhouse_gives_them(http, table) -> None:
    """Flags are UInt8 and positions UInt64 (what ClickHouse's system tables hold), not the kernel's
    nearest types; currentDatabase() is named as written; database() is its other name."""
    reply = http.request("SELECT is_aggregate, case_insensitive FROM system.functions LIMIT 1 "
                         "FORMAT TSVWithNamesAndTypes").text.splitlines()
    assert reply[1] == "UInt8\tUInt8"
    reply = http.request("SELECT position, is_in_primary_key FROM system.columns LIMIT 1 "
                         "FORMAT TSVWithNamesAndTypes").text.splitlines()
    assert reply[1] == "UInt64\tUInt8"
    assert http.request("SELECT currentDatabase(), database() FORMAT TSVWithNames").text == (
        "currentDatabase()\tdatabase()\ndefault\tdefault\n")
    joined = _rows(http, JDBC_AND_OTHERS[0])
    assert ["\\N", "default", "bi_events", "MergeTree", "", "Atomic"] in joined


def test_column_comments(http) -> None:
    assert http.request(body="CREATE TABLE bi_commented (id UInt32 COMMENT 'the id', name String COMMENT 'it''s') "
                             "ENGINE = MergeTree ORDER BY id", method="POST").status == 200
    assert http.request(body="ALTER TABLE bi_commented ADD COLUMN z UInt8 COMMENT 'zed'", method="POST").status == 200
    assert _rows(http, "SELECT name, comment FROM system.columns WHERE table = 'bi_commented' ORDER BY position") == [
        ["id", "the id"], ["name", "it\\'s"], ["z", "zed"]]
    assert [row[4] for row in _rows(http, "DESCRIBE TABLE bi_commented")] == ["the id", "it\\'s", "zed"]
