"""A view's ``*`` stands for the columns its relations had at CREATE VIEW, as in PostgreSQL 15:
a column added to the table later is not in the view, a column the view reads cannot be dropped
without CASCADE, and ``t.*``, joins, column aliases and UNION arms behave alike. Each statement
runs in order on a live PostgreSQL and on HeliosDB and must give the same rows or SQLSTATE."""

from __future__ import annotations

SETUP = [
    "CREATE TABLE vs_cust (id int PRIMARY KEY, name text NOT NULL)",
    "CREATE TABLE vs_ord (oid int, cid int)",
    "INSERT INTO vs_cust VALUES (1, 'a'), (2, 'b')",
    "INSERT INTO vs_ord VALUES (10, 1), (11, 2)",
    "CREATE VIEW vs_all AS SELECT * FROM vs_cust",
    "CREATE VIEW vs_join AS SELECT c.*, o.oid, 1 AS one FROM vs_cust c JOIN vs_ord o ON o.cid = c.id",
    "CREATE VIEW vs_renamed (k, n) AS SELECT * FROM vs_cust",
    "CREATE VIEW vs_union AS SELECT * FROM vs_cust UNION ALL SELECT * FROM vs_cust",
    "CREATE VIEW vs_of_view AS SELECT * FROM vs_all WHERE id > 1",
]

STEPS = [
    "ALTER TABLE vs_cust ADD COLUMN extra int DEFAULT 7",
    "SELECT * FROM vs_all ORDER BY id",
    "SELECT * FROM vs_join ORDER BY id",
    "SELECT * FROM vs_renamed ORDER BY k",
    "SELECT * FROM vs_union ORDER BY id",
    "SELECT * FROM vs_of_view",
    ("SELECT table_name, column_name, ordinal_position FROM information_schema.columns "
     "WHERE table_name LIKE 'vs\\_%' ORDER BY table_name, ordinal_position"),
    "ALTER TABLE vs_cust DROP COLUMN name",
    "ALTER TABLE vs_cust DROP COLUMN extra",
    "SELECT * FROM vs_all ORDER BY id",
    "ALTER TABLE vs_cust DROP COLUMN name CASCADE",
    "SELECT count(*) FROM information_schema.views WHERE table_name LIKE 'vs\\_%'",
]

CLEANUP = ["DROP TABLE vs_ord CASCADE", "DROP TABLE vs_cust CASCADE"]


def test_view_columns_are_fixed_at_create_view(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
