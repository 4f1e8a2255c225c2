"""Table storage parameters as pg_dump and operators write them: ALTER TABLE ... SET (...) with
boolean values (autovacuum_enabled = false was stored as an empty value) and toast.* names beside
heap ones (they overwrote each other), ALTER TABLE ... RESET (...) (was "not supported"), all as
pg_class.reloptions shows them in PostgreSQL 15. In order, on a live PostgreSQL and on HeliosDB;
same rows or SQLSTATE."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
assert_steps_agree = _mod.assert_steps_agree

SETUP = ["CREATE TABLE tp_t (a int) WITH (fillfactor = 70)"]

_OPTIONS = "SELECT reloptions::text FROM pg_class WHERE relname = 'tp_t'"
STEPS = [
    "ALTER TABLE tp_t SET (autovacuum_enabled = false, toast.autovacuum_enabled = off)",
    _OPTIONS,
    "ALTER TABLE tp_t RESET (fillfactor)",
    _OPTIONS,
    "ALTER TABLE tp_t RESET (nonsense)",
    "ALTER TABLE tp_t SET (nonsense = 1)",
    "ALTER TABLE tp_t RESET (autovacuum_enabled, fillfactor)",
    _OPTIONS,
]

CLEANUP = ["DROP TABLE IF EXISTS tp_t"]


def test_table_parameters_as_postgres(systems):
    assert_steps_agree(*systems, STEPS)


INDEX_STEPS = [
    "CREATE INDEX tp_a ON tp_t (a) WITH (fillfactor = 80)",
    "CREATE INDEX tp_h ON tp_t USING hash (a) WITH (fillfactor = 50)",
    "CREATE INDEX tp_d ON tp_t (a) WITH (deduplicate_items = off)",
    "CREATE INDEX tp_bad ON tp_t (a) WITH (fillfactor = 5)",
    "CREATE INDEX tp_bad2 ON tp_t (a) WITH (nonsense = 1)",
    "SELECT indexdef FROM pg_indexes WHERE tablename = 'tp_t' ORDER BY 1",
    "INSERT INTO tp_t VALUES (1)",
    "SELECT a FROM tp_t WHERE a = 1",
]


def test_index_storage_parameters_as_postgres(systems):
    """btree/hash WITH (fillfactor, deduplicate_items) as pg_dump writes them (they were refused):
    checked as PostgreSQL checks them and shown by pg_get_indexdef with its quoting."""
    assert_steps_agree(*systems, INDEX_STEPS)


_CLUSTERED = ("SELECT c.relname::text, i.indisclustered FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
              "WHERE i.indrelid = 'tp_cl'::regclass ORDER BY 1")
PHYSICAL_STEPS = [
    "CREATE TABLE tp_cl (a int PRIMARY KEY, b text)",
    "CREATE INDEX tp_cl_b ON tp_cl (b)",
    "CREATE INDEX tp_cl_h ON tp_cl USING hash (b)",
    "ALTER TABLE tp_cl CLUSTER ON tp_cl_b",
    _CLUSTERED,
    "ALTER TABLE tp_cl CLUSTER ON tp_cl_pkey",
    _CLUSTERED,
    "ALTER TABLE tp_cl CLUSTER ON tp_cl_h",
    "ALTER TABLE tp_cl CLUSTER ON nope",
    "ALTER TABLE tp_cl SET WITHOUT CLUSTER",
    _CLUSTERED,
    "ALTER TABLE tp_cl SET UNLOGGED",
    "SELECT relpersistence FROM pg_class WHERE relname = 'tp_cl'",
    "ALTER TABLE tp_cl SET LOGGED",
    "SELECT relpersistence FROM pg_class WHERE relname = 'tp_cl'",
    "DROP TABLE tp_cl",
]


def test_cluster_on_and_logged_as_postgres(systems):
    """ALTER TABLE ... CLUSTER ON / SET WITHOUT CLUSTER / SET LOGGED / SET UNLOGGED, as pg_dump and
    operators write them (they were "not supported")."""
    assert_steps_agree(*systems, PHYSICAL_STEPS)
