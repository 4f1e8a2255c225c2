"""Row security on MERGE and INSERT ... ON CONFLICT DO UPDATE as PostgreSQL 15 applies it: MERGE's
UPDATE and DELETE actions fail on a target row their USING does not pass (not skipped), its INSERT
and UPDATE results meet WITH CHECK; ON CONFLICT DO UPDATE also needs SELECT's policy on the row;
and a unique violation shows no key values to a role under row security. In order, on a live
PostgreSQL and on HeliosDB; same rows or SQLSTATE (and the same DETAIL presence)."""

from __future__ import annotations

SETUP = [
    "CREATE ROLE rm_user",
    "CREATE TABLE rm_doc (id int PRIMARY KEY, level int, owner_name text, title text)",
    ("INSERT INTO rm_doc VALUES (1, 1, 'rm_user', 'mine'), (2, 2, 'rm_user', 'secret of mine'), "
    "(3, 1, 'other', 'theirs')"),
    "ALTER TABLE rm_doc ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY rm_sel ON rm_doc FOR SELECT USING (level <= 2)",
    "CREATE POLICY rm_ins ON rm_doc FOR INSERT WITH CHECK (owner_name = current_user)",
    "CREATE POLICY rm_upd ON rm_doc FOR UPDATE USING (owner_name = current_user) WITH CHECK (level <= 1)",
    "CREATE POLICY rm_del ON rm_doc FOR DELETE USING (level = 1 AND owner_name = current_user)",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON rm_doc TO rm_user",
    "CREATE TABLE rm_src (id int, level int, owner_name text, title text)",
    "GRANT SELECT ON rm_src TO rm_user",
    ("INSERT INTO rm_src VALUES (1, 1, 'rm_user', 'mine v2'), (3, 1, 'other', 'theirs v2'), "
    "(4, 1, 'rm_user', 'new'), (5, 1, 'other', 'new for other')"),
]

_MERGE = ("MERGE INTO rm_doc d USING (SELECT * FROM rm_src WHERE id IN ({ids})) s ON d.id = s.id "
          "WHEN MATCHED THEN {matched} WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.level, s.owner_name, s.title)")
STEPS = [
    "SET ROLE rm_user",
    _MERGE.format(ids="1", matched="UPDATE SET title = s.title"),
    _MERGE.format(ids="3", matched="UPDATE SET title = s.title"),
    _MERGE.format(ids="1", matched="UPDATE SET level = 2"),
    _MERGE.format(ids="3", matched="DELETE"),
    _MERGE.format(ids="4", matched="DO NOTHING"),
    _MERGE.format(ids="5", matched="DO NOTHING"),
    "SELECT id, level, owner_name, title FROM rm_doc ORDER BY id",
    "INSERT INTO rm_doc VALUES (1, 1, 'rm_user', 'x') ON CONFLICT (id) DO UPDATE SET title = 'upserted'",
    "INSERT INTO rm_doc VALUES (2, 1, 'rm_user', 'x') ON CONFLICT (id) DO UPDATE SET level = 3",
    "INSERT INTO rm_doc VALUES (3, 1, 'rm_user', 'x') ON CONFLICT (id) DO UPDATE SET title = 'nope'",
    "SELECT id, level, title FROM rm_doc ORDER BY id",
    "RESET ROLE",
]

CLEANUP = ["DROP TABLE IF EXISTS rm_doc, rm_src", "DROP ROLE IF EXISTS rm_user"]


def test_row_security_on_merge_and_upsert_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)


EXPLAIN_STEPS = [
    "CREATE TABLE rm_explain (a int PRIMARY KEY, b text)",
    "PREPARE rm_p1(int) AS SELECT * FROM rm_explain WHERE a = $1",
    "EXPLAIN (COSTS OFF) EXECUTE rm_p1(2)",
    "PREPARE rm_p2 AS SELECT count(*) FROM rm_explain",
    "EXPLAIN (COSTS OFF) EXECUTE rm_p2",
    "EXPLAIN (COSTS OFF) EXECUTE rm_nope",
    "EXPLAIN (COSTS OFF) EXECUTE rm_p1(1, 2)",
    "DEALLOCATE ALL",
    "DROP TABLE rm_explain",
]


def test_explain_execute_as_postgres(systems, assert_steps_agree):
    """EXPLAIN EXECUTE shows the prepared statement's plan with its arguments (a custom plan)."""
    assert_steps_agree(*systems, EXPLAIN_STEPS)
