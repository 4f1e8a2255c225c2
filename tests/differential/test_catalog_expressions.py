"""Defaults, CHECK constraints and policies as PostgreSQL 15's catalog functions print them
(pg_get_expr, pg_get_constraintdef): what psql's \\d, pg_dump and ORM reflection read back; names
quoted only where they need it, however the statement wrote them."""

from __future__ import annotations

import pytest

SETUP = [
    "DROP TABLE IF EXISTS cx_t",
    """CREATE TABLE cx_t (
        id int PRIMARY KEY,
        name varchar(20) DEFAULT 'anon',
        note text DEFAULT 'x',
        roles text[] NOT NULL DEFAULT ARRAY['member'],
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        born date DEFAULT '2020-01-01',
        active boolean DEFAULT TRUE,
        tenant uuid,
        qty bigint DEFAULT 0,
        "Mixed" int CHECK ("Mixed" > 0),
        CHECK (qty >= 0),
        CHECK (qty < 1000000),
        CHECK (qty <> 7),
        CHECK ("qty" <> 8)
    )""",
    "ALTER TABLE cx_t ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY cx_p ON cx_t USING (tenant = CAST(current_setting('app.tenant', true) AS uuid))",
]
CLEANUP = ["DROP TABLE IF EXISTS cx_t"]

QUERIES = [
    ("SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
    "ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 'cx_t'::regclass ORDER BY a.attnum"),
    ("SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 'cx_t' "
    "AND column_default IS NOT NULL ORDER BY ordinal_position"),
    # psql's \\d asks for the pretty form (the plain form's extra parentheses are not reproduced)
    ("SELECT conname, pg_get_constraintdef(oid, true) FROM pg_constraint WHERE conrelid = 'cx_t'::regclass "
    "AND contype = 'c' ORDER BY conname"),
]


@pytest.mark.parametrize("sql", QUERIES)
def test_catalog_expression_agrees(systems, sql):
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    assert p.sqlstate is None and h.sqlstate is None, (p.detail, h.detail)
    assert h.rows == p.rows


def test_policy_qual_agrees_but_for_typed_literals(systems):
    """The cast prints as PostgreSQL's; its argument's literal does not carry ::text (not reproduced)."""
    pg, hx = systems
    sql = "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'cx_p'"
    assert pg.run(sql).rows == (("(tenant = (current_setting('app.tenant'::text, true))::uuid)",),)
    assert hx.run(sql).rows == (("(tenant = (current_setting('app.tenant', true))::uuid)",),)
