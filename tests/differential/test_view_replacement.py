"""CREATE OR REPLACE VIEW as PostgreSQL 15 allows it: new columns only at the end; dropping,
renaming or retyping a column (numeric typmods and an unknown literal stored as text included)
is 42P16. Statements run in order on a live PostgreSQL and on HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = [
    "CREATE TABLE vr_t (a int, b int, c numeric(10,1), d text)",
    "INSERT INTO vr_t VALUES (1, 2, 3.5, 'x')",
    "CREATE VIEW vr_v AS SELECT a, b, c, d FROM vr_t",
    "CREATE VIEW vr_u AS SELECT 'foo' AS u",
]

STEPS = [
    "CREATE OR REPLACE VIEW vr_v AS SELECT a, b, c FROM vr_t",
    "CREATE OR REPLACE VIEW vr_v AS SELECT 1, b, c, d FROM vr_t",
    "CREATE OR REPLACE VIEW vr_v AS SELECT a, b::numeric, c, d FROM vr_t",
    "CREATE OR REPLACE VIEW vr_v AS SELECT a, b, c::numeric(10,2), d FROM vr_t",
    "CREATE OR REPLACE VIEW vr_v AS SELECT a, b, c, d, 1 AS e FROM vr_t",
    "CREATE OR REPLACE VIEW vr_v AS SELECT a, b, c, d, 'x' AS e FROM vr_t",
    "CREATE OR REPLACE VIEW vr_v AS SELECT a, b, c, d, 2 AS e, 'foo' AS f FROM vr_t",
    "SELECT * FROM vr_v",
    "CREATE OR REPLACE VIEW vr_u AS SELECT 'bar'::text AS u",
    "CREATE OR REPLACE VIEW vr_u AS SELECT 'bar'::varchar AS u",
    "SELECT * FROM vr_u",
    "CREATE OR REPLACE VIEW vr_w (x, y) AS SELECT a, b FROM vr_t",
    "CREATE OR REPLACE VIEW vr_w (x, z) AS SELECT a, b FROM vr_t",
    "CREATE OR REPLACE VIEW vr_w AS SELECT a AS x, b AS y, c FROM vr_t",
    "SELECT * FROM vr_w",
]

CLEANUP = ["DROP TABLE IF EXISTS vr_t CASCADE", "DROP VIEW IF EXISTS vr_u"]


def test_view_replacement_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
