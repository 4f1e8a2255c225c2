"""ALTER TABLE ADD COLUMN with a constant DEFAULT on a table that has rows: the rows written before
show the default in the new column, whatever its type. The value is kept in the table's catalog
record (storage.column_fills), which is JSON; a date, timestamp, time, interval, decimal or bytes
default used to come back as its str() text there, so every read of the table failed (XX000) or,
for bytea, showed other bytes. Checked in memory and after the data directory is reopened."""

from __future__ import annotations

import pytest

import helios_core

# (column definition, the existing row's value as text, as PostgreSQL 15 prints it with TimeZone UTC)
CASES = [
    ("date DEFAULT '2024-01-01'", "2024-01-01"),
    ("timestamp DEFAULT '2024-01-01 10:00'", "2024-01-01 10:00:00"),
    ("timestamptz DEFAULT '2024-01-01 10:00+02'", "2024-01-01 08:00:00+00"),
    ("time DEFAULT '10:00'", "10:00:00"),
    ("timetz DEFAULT '10:00+02'", "10:00:00+02"),
    ("interval DEFAULT '1 day 2 hours'", "1 day 02:00:00"),
    ("numeric DEFAULT 0 NOT NULL", "0"),
    ("numeric(5,2) DEFAULT 2.5", "2.50"),
    ("numeric DEFAULT 'NaN'", "NaN"),
    ("bytea DEFAULT '\\x01ff'", "\\x01ff"),
    ("jsonb DEFAULT '{\"a\": 1}'", '{"a": 1}'),
    ("int[] DEFAULT '{1,2}'", "{1,2}"),
    ("text[] DEFAULT '{a,NULL}'", "{a,NULL}"),
    ("money DEFAULT 5", "$5.00"),
    ("int4range DEFAULT '[1,5)'", "[1,5)"),
    ("float4 DEFAULT 'NaN'", "NaN"),
    ("boolean DEFAULT true", "true"),
    ("varchar(5) DEFAULT 'ab'", "ab"),
]


def _rows(s, sql):
    return list(s.execute(sql))[-1].rows()


@pytest.mark.parametrize("coldef, want", CASES, ids=[c[0].split()[0] for c in CASES])
def test_rows_before_add_column_show_its_default(coldef, want):
    s = helios_core.connect()
    try:
        _rows(s, "SET TIME ZONE 'UTC'")
        _rows(s, "CREATE TABLE t (id int)")
        _rows(s, "INSERT INTO t VALUES (1)")
        _rows(s, f"ALTER TABLE t ADD COLUMN b {coldef}")
        _rows(s, "INSERT INTO t (id) VALUES (2)")
        assert _rows(s, "SELECT id, b::text FROM t ORDER BY id") == [(1, want), (2, want)]
        assert _rows(s, "SELECT count(*) FROM t WHERE b IS NOT NULL") == [(2,)]
        # a table rewrite reads the old rows through the fill as well
        _rows(s, "ALTER TABLE t ALTER COLUMN id TYPE bigint")
        assert _rows(s, "SELECT id, b::text FROM t ORDER BY id") == [(1, want), (2, want)]
    finally:
        s.close()


def test_fills_survive_reopening_the_data_directory(tmp_path):
    path = str(tmp_path / "data")
    s = helios_core.connect(path)
    _rows(s, "CREATE TABLE t (id int)")
    _rows(s, "INSERT INTO t VALUES (1)")
    _rows(s, "ALTER TABLE t ADD COLUMN b numeric(6,2) DEFAULT 12.5")
    _rows(s, "ALTER TABLE t ADD COLUMN c date DEFAULT '2024-02-29'")
    _rows(s, "ALTER TABLE t ADD COLUMN d bytea DEFAULT '\\xdeadbeef'")
    s.close()
    s = helios_core.connect(path)
    try:
        assert _rows(s, "SELECT id, b::text, c::text, d::text FROM t") == [(1, "12.50", "2024-02-29", "\\xdeadbeef")]
    finally:
        s.close()
