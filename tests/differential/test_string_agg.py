"""string_agg as PostgreSQL 15 computes it: each non-NULL value after the first is preceded by
its own row's delimiter (a column or a parameter, not only a constant; it was ',' whatever the
delimiter was), a NULL delimiter adds nothing (the result was NULL), and bytea values give bytea
(an internal error before). Compared with a live PostgreSQL."""

from __future__ import annotations

STATEMENTS = [
    "SELECT string_agg(x, y), string_agg(x, NULL), string_agg(x, '') FROM (VALUES ('a','-'),('b','+'),(NULL,'*'),('c',NULL)) v(x, y)",
    "SELECT g, string_agg(x, y ORDER BY x DESC) FROM (VALUES (1,'a','-'),(1,'b','+'),(2,'c','*'),(2,'d','/')) v(g, x, y) GROUP BY g ORDER BY g",
    ("SELECT string_agg(v, '\\x2c'::bytea), string_agg(v, NULL::bytea), string_agg(v, d) "
     "FROM (VALUES ('\\xff'::bytea, '\\x01'::bytea), ('\\xaa', '\\x02'), ('\\xbb', NULL)) t(v, d)"),
    "SELECT string_agg(x::text, ', ' ORDER BY x) FROM generate_series(1, 5) x",
    "SELECT string_agg(x, y) FROM (VALUES (NULL::text, '-')) v(x, y)",
    "PREPARE sa_p(text) AS SELECT string_agg(x, $1) FROM (VALUES ('a'),('b')) v(x)",
    "EXECUTE sa_p(' | ')",
    "EXECUTE sa_p(NULL)",
]

CLEANUP = ["DEALLOCATE ALL"]


def test_string_agg_agrees(systems):
    pg, hx = systems
    for sql in STATEMENTS:
        p, h = pg.run(sql), hx.run(sql)
        assert (h.sqlstate, h.rows) == (p.sqlstate, p.rows), (sql, p.detail, h.detail, p.rows, h.rows)
