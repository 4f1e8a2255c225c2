"""ALTER TABLE ... ADD COLUMN ... GENERATED ALWAYS AS (...) STORED as PostgreSQL 15 does it: existing
rows get their values, later writes keep them current, and the same refusals (a generated column
read by another, a missing column, NOT NULL over rows whose value is NULL). In order, on a live
PostgreSQL and on HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE gen_add (id int PRIMARY KEY, doc jsonb, qty int, price numeric(10,2))",
         ("INSERT INTO gen_add VALUES (1, '{\"content\": \"The project launch\", \"n\": 3}', 2, 9.99), "
         "(2, '{\"content\": \"nothing here\"}', NULL, 1.50), (3, NULL, 5, NULL)")]

STEPS = [
    "ALTER TABLE gen_add ADD COLUMN total numeric GENERATED ALWAYS AS (qty * price) STORED",
    ("ALTER TABLE gen_add ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', doc->>'content')) "
    "STORED"),
    "ALTER TABLE gen_add ADD COLUMN n int GENERATED ALWAYS AS ((doc->>'n')::int * 10) STORED",
    "SELECT id, total, tsv::text, n FROM gen_add ORDER BY id",
    "ALTER TABLE gen_add ADD COLUMN twice numeric GENERATED ALWAYS AS (total * 2) STORED",
    "ALTER TABLE gen_add ADD COLUMN bad int GENERATED ALWAYS AS (missing + 1) STORED",
    "ALTER TABLE gen_add ADD COLUMN nn int NOT NULL GENERATED ALWAYS AS ((doc->>'n')::int) STORED",
    "INSERT INTO gen_add (id, doc, qty, price) VALUES (4, '{\"content\": \"launch day\", \"n\": 1}', 3, 2.00)",
    "INSERT INTO gen_add (id, total) VALUES (5, 1)",
    "UPDATE gen_add SET qty = 10, doc = '{\"content\": \"project plan\"}' WHERE id = 2",
    "UPDATE gen_add SET n = 1 WHERE id = 1",
    "SELECT id, total, tsv::text, n FROM gen_add ORDER BY id",
    "SELECT id FROM gen_add WHERE tsv @@ to_tsquery('english', 'project') ORDER BY id",
    ("SELECT column_name::text, is_generated::text, generation_expression IS NOT NULL FROM information_schema.columns "
    "WHERE table_name = 'gen_add' ORDER BY ordinal_position"),
]

CLEANUP = ["DROP TABLE IF EXISTS gen_add"]


def test_add_generated_column_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
