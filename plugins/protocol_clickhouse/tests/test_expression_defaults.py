"""DEFAULTs over other columns (``d Date DEFAULT toDate(t)``), over HTTP and the native protocol.

Every way rows come in fills them: VALUES, INSERT ... SELECT, a FORMAT's rows and native
blocks; a value given is kept; a DEFAULT may read another column's DEFAULT; ALTER TABLE ... ADD
COLUMN with one computes it for the rows already there.
"""

from __future__ import annotations

import datetime

from clickhouse_driver import Client


def _ok(http, sql: str) -> str:
    reply = http.request(body=sql, method="POST")
    assert reply.status == 200, (sql, reply.text)
    return reply.text


def test_default_over_another_column_in_every_insert_path(http, server) -> None:
    _ok(http, "CREATE TABLE ed_events (d Date DEFAULT toDate(t), t DateTime, k UInt32 DEFAULT toYear(t) * 10 + 1) "
              "ENGINE = MergeTree ORDER BY t")
    _ok(http, "INSERT INTO ed_events (t) VALUES ('2020-02-03 04:05:06')")
    _ok(http, "INSERT INTO ed_events VALUES ('1999-01-01', '2020-02-03 04:05:06', 7)")
    _ok(http, "INSERT INTO ed_events (t) SELECT toDateTime('2021-05-06 00:00:00')")
    _ok(http, "INSERT INTO ed_events (t) FORMAT TSV\n2022-07-08 09:10:11\n")
    client = Client("127.0.0.1", port=server.port("clickhouse"))
    client.execute("INSERT INTO ed_events (t) VALUES", [{"t": datetime.datetime(2023, 1, 2, 3, 4, 5)}])
    client.disconnect()
    assert _ok(http, "SELECT d, t, k FROM ed_events ORDER BY t, d") == (
        "1999-01-01\t2020-02-03 04:05:06\t7\n"
        "2020-02-03\t2020-02-03 04:05:06\t20201\n"
        "2021-05-06\t2021-05-06 00:00:00\t20211\n"
        "2022-07-08\t2022-07-08 09:10:11\t20221\n"
        "2023-01-02\t2023-01-02 03:04:05\t20231\n")


def test_default_reading_another_default(http) -> None:
    _ok(http, "CREATE TABLE ed_chain (a UInt8, b UInt8 DEFAULT a + 1, c UInt16 DEFAULT identity(b) * 10) ENGINE = Memory")
    _ok(http, "INSERT INTO ed_chain (a) VALUES (1), (5)")
    _ok(http, "INSERT INTO ed_chain (a, b) VALUES (1, 9)")
    assert _ok(http, "SELECT a, b, c FROM ed_chain ORDER BY a, b") == "1\t2\t20\n1\t9\t90\n5\t6\t60\n"


def test_added_column_with_default_over_existing_rows(http) -> None:
    _ok(http, "CREATE TABLE ed_added (x UInt16) ENGINE = MergeTree ORDER BY x")
    _ok(http, "INSERT INTO ed_added VALUES (1), (2)")
    _ok(http, "ALTER TABLE ed_added ADD COLUMN y UInt16 DEFAULT x * 3")
    _ok(http, "INSERT INTO ed_added (x) VALUES (3)")
    assert _ok(http, "SELECT x, y FROM ed_added ORDER BY x") == "1\t3\n2\t6\n3\t9\n"
    assert _ok(http, "SELECT count() FROM ed_added WHERE y = x * 3") == "3\n"


def test_datetime_text_of_digits_is_a_unix_time(http) -> None:
    _ok(http, "CREATE TABLE ed_unix (t DateTime) ENGINE = Memory")
    _ok(http, "INSERT INTO ed_unix VALUES ('1234567890')")
    assert _ok(http, "SELECT t, toUInt32(t) FROM ed_unix") == "2009-02-13 23:31:30\t1234567890\n"


def test_default_the_kernel_cannot_run_is_refused_whole(http) -> None:
    """Refused at CREATE/ALTER with the expression's own code, leaving no table or column behind."""
    reply = http.request(body="CREATE TABLE ed_bad (d Date DEFAULT nosuchfunction(t), t DateTime) ENGINE = Memory",
                         method="POST")
    assert reply.headers["x-clickhouse-exception-code"] == "46"
    assert _ok(http, "EXISTS TABLE ed_bad") == "0\n"
    reply = http.request(body="CREATE TABLE ed_bad (d Date DEFAULT toDate(nocolumn), t DateTime) ENGINE = Memory",
                         method="POST")
    assert reply.headers["x-clickhouse-exception-code"] == "47"
    _ok(http, "CREATE TABLE ed_kept (t DateTime) ENGINE = Memory")
    reply = http.request(body="ALTER TABLE ed_kept ADD COLUMN q UInt8 DEFAULT nosuch(t)", method="POST")
    assert reply.headers["x-clickhouse-exception-code"] == "46"
    assert _ok(http, "SELECT name FROM system.columns WHERE table = 'ed_kept'") == "t\n"


def test_defaults_follow_a_renamed_table_and_go_with_a_dropped_one(http) -> None:
    _ok(http, "CREATE TABLE ed_moved (d Date DEFAULT toDate(t), t DateTime) ENGINE = Memory")
    _ok(http, "RENAME TABLE ed_moved TO ed_moved2")
    _ok(http, "INSERT INTO ed_moved2 (t) VALUES ('2022-02-03 04:05:06')")
    assert _ok(http, "SELECT d FROM ed_moved2") == "2022-02-03\n"
    _ok(http, "DROP TABLE ed_moved2")
    _ok(http, "CREATE TABLE ed_moved2 (d Date DEFAULT toDate(t) + 1, t DateTime) ENGINE = Memory")
    _ok(http, "INSERT INTO ed_moved2 (t) VALUES ('2022-02-03 04:05:06')")
    assert _ok(http, "SELECT d FROM ed_moved2") == "2022-02-04\n"
