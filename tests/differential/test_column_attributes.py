"""ALTER TABLE ... ALTER COLUMN SET STORAGE / SET COMPRESSION / SET STATISTICS / SET (n_distinct)
/ RESET as PostgreSQL 15 answers them (pg_dump writes them for columns with non-default
settings): the same checks and SQLSTATEs, and the values pg_attribute shows afterwards. In
order, on a live PostgreSQL and on HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE ca_t (a text, b int, c numeric, d int[], e jsonb)"]

_ATTRS = ("SELECT attname, attstorage, attcompression, attstattarget, attoptions FROM pg_attribute "
          "WHERE attrelid = 'ca_t'::regclass AND attnum > 0 ORDER BY attnum")
STEPS = [
    _ATTRS,
    "ALTER TABLE ca_t ALTER COLUMN a SET STORAGE EXTERNAL",
    "ALTER TABLE ONLY ca_t ALTER COLUMN a SET COMPRESSION lz4",
    "ALTER TABLE ca_t ALTER b SET STATISTICS 100",
    "ALTER TABLE ca_t ALTER COLUMN c SET (n_distinct = 5)",
    "ALTER TABLE ca_t ALTER COLUMN e SET STORAGE main",
    "ALTER TABLE ca_t ALTER COLUMN d SET STORAGE plain",
    "ALTER TABLE ca_t ALTER COLUMN b SET STORAGE main",
    "ALTER TABLE ca_t ALTER COLUMN b SET COMPRESSION pglz",
    "ALTER TABLE ca_t ALTER COLUMN a SET STORAGE nope",
    "ALTER TABLE ca_t ALTER COLUMN a SET COMPRESSION zip",
    "ALTER TABLE ca_t ALTER b SET STATISTICS -3",
    "ALTER TABLE ca_t ALTER c SET (foo = 1)",
    "ALTER TABLE ca_t ALTER nope SET STATISTICS 5",
    "ALTER TABLE IF EXISTS ca_nope ALTER a SET STATISTICS 5",
    "ALTER TABLE ca_t ALTER a SET STATISTICS 20000",
    _ATTRS,
    "ALTER TABLE ca_t ALTER c RESET (n_distinct)",
    "ALTER TABLE ca_t ALTER e SET COMPRESSION default",
    _ATTRS,
]

CLEANUP = ["DROP TABLE IF EXISTS ca_t"]


def test_column_attributes_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
