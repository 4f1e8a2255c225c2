"""INSERT ... ON CONFLICT DO UPDATE ... RETURNING as applications use it: rows come back in the
order the statement gave them (inserted and updated mixed), and ``(xmax = 0) AS inserted`` tells an
inserted row from an updated one. In order, on a live PostgreSQL and on HeliosDB; same rows (in
order) or SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE upr (id int PRIMARY KEY, v text, n int DEFAULT 0)", "INSERT INTO upr VALUES (1, 'a'), (3, 'x')"]

STEPS = [
    ("INSERT INTO upr VALUES (1, 'b'), (2, 'c'), (3, 'y'), (4, 'z') ON CONFLICT (id) DO UPDATE "
     "SET v = excluded.v, n = upr.n + 1 RETURNING id, v, (xmax = 0) AS inserted"),
    "INSERT INTO upr VALUES (9, 'q') ON CONFLICT (id) DO NOTHING RETURNING id, xmax = 0",
    "INSERT INTO upr VALUES (9, 'q2') ON CONFLICT (id) DO UPDATE SET v = excluded.v RETURNING id, v, xmax <> 0",
    ("INSERT INTO upr VALUES (5, 'r'), (1, 's') ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE upr.v <> 'b' "
    "RETURNING id, v"),
    "SELECT id, v, n FROM upr ORDER BY id",
]

CLEANUP = ["DROP TABLE IF EXISTS upr"]


def test_upsert_returning_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)


JSON_STEPS = [
    ("SELECT json_build_object('b', array[1,2], 'c', array['x','y'], 'd', row(1,'a'), 'e', '{\"x\": 1}'::jsonb, "
     "'f', '{\"y\" :  2}'::json, 'g', null, 'h', 'txt', 'i', 1.50, 'j', true)::text"),
    "SELECT json_build_array(array[1,2], 3, null, 'a', '{\"z\": 1}'::jsonb, row(2, 'b'))::text",
    "SELECT json_build_object()::text, json_build_array()::text",
]


def test_json_build_spacing_as_postgres(systems, assert_steps_agree):
    """json_build_object/json_build_array embed each value as to_json writes it (arrays and records
    compact, jsonb and json as their own text) between PostgreSQL's spaced separators."""
    assert_steps_agree(*systems, JSON_STEPS)
