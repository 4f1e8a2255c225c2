"""CLUSTER as PostgreSQL 15 does it: the table rewritten in the order of an index (direction and
NULLS placement of each key), so a scan without ORDER BY returns the rows in that order; the index
remembered for CLUSTER table and CLUSTER alone (pg_index.indisclustered); its errors. In order, on
a live PostgreSQL and on HeliosDB; the same rows in the same order, or the same SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE cl_t (id int PRIMARY KEY, v text, n int, UNIQUE (v))",
         "INSERT INTO cl_t VALUES (3, 'c', 2), (1, 'e', NULL), (2, 'b', 1), (5, 'a', NULL), (4, 'd', 3)",
         "CREATE INDEX cl_t_n ON cl_t (n DESC NULLS LAST, id)",
         "CREATE INDEX cl_t_expr ON cl_t ((n + 1))",
         "CREATE INDEX cl_t_hash ON cl_t USING hash (v)"]

STEPS = [
    "CLUSTER cl_t",
    "CLUSTER cl_t USING cl_t_n",
    "SELECT id, v, n FROM cl_t",
    "SELECT indexrelid::regclass::text, indisclustered FROM pg_index WHERE indrelid = 'cl_t'::regclass ORDER BY 1",
    "INSERT INTO cl_t VALUES (0, 'z', 9)",
    "CLUSTER cl_t",
    "SELECT id, v, n FROM cl_t",
    "CLUSTER cl_t_pkey ON cl_t",
    "SELECT id FROM cl_t",
    "CLUSTER cl_t USING cl_t_v_key",
    "SELECT v FROM cl_t",
    "ALTER TABLE cl_t CLUSTER ON cl_t_n",
    "CLUSTER",
    "SELECT id FROM cl_t",
    "CLUSTER cl_t USING no_such_index",
    "CLUSTER cl_t USING cl_t_hash",
    "CLUSTER no_such_table",
    "BEGIN",
    "CLUSTER",
    "ROLLBACK",
    "BEGIN",
    "CLUSTER cl_t USING cl_t_pkey",
    "SELECT id FROM cl_t",
    "ROLLBACK",
    "SELECT id FROM cl_t",
    "SELECT count(*), sum(id) FROM cl_t",
]

CLEANUP = ["DROP TABLE IF EXISTS cl_t"]


def test_cluster_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
