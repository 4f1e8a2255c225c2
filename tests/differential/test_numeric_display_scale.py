"""A materialized view or CREATE TABLE AS whose unconstrained numeric columns were filled with
values of one display scale prints them as PostgreSQL does, trailing zeros included: sums of a
numeric(10,2) column that all end in .00 print 20.00, not 20.0 (HeliosDB stores unconstrained
numeric at 16 fractional digits and prints a batch at the fewest that show it). Arithmetic, joins,
UPDATE and REFRESH over such columns; in order, on a live PostgreSQL and on HeliosDB."""

from __future__ import annotations

SETUP = ["CREATE TABLE nds (id int, customer text, total numeric(10,2), q int)",
         "INSERT INTO nds VALUES (1, 'alice', 10.50, 2), (2, 'bob', 20.00, 3), (3, 'alice', 9.50, 1), (4, 'dave', 1.00, 5)"]

STEPS = [
    ("CREATE MATERIALIZED VIEW nds_mv AS SELECT customer, sum(total) s, max(total) m, sum(total * q) tq, count(*) c"
     " FROM nds GROUP BY customer"),
    "SELECT * FROM nds_mv ORDER BY customer",
    "SELECT customer, s * 2, s + 1, s - m, s::text, format('%s', s) FROM nds_mv ORDER BY customer",
    "INSERT INTO nds VALUES (5, 'erin', 3.00, 1)",
    "REFRESH MATERIALIZED VIEW nds_mv",
    "SELECT * FROM nds_mv ORDER BY customer",
    "CREATE TABLE nds_ctas AS SELECT customer, sum(total) s, 1.50 AS lit, round(avg(total), 3) r FROM nds GROUP BY customer",
    "SELECT * FROM nds_ctas ORDER BY customer",
    "SELECT a.customer, a.s, b.s FROM nds_ctas a JOIN nds_mv b ON a.s = b.s ORDER BY 1",
    "UPDATE nds_ctas SET s = s + 1 WHERE customer = 'bob'",
    "SELECT customer, s FROM nds_ctas ORDER BY customer",
    "SELECT customer, total INTO nds_into FROM nds WHERE total >= 10",
    "SELECT * FROM nds_into ORDER BY customer",
]

CLEANUP = ["DROP MATERIALIZED VIEW IF EXISTS nds_mv", "DROP TABLE IF EXISTS nds_ctas", "DROP TABLE IF EXISTS nds_into",
           "DROP TABLE IF EXISTS nds"]


def test_filled_numeric_columns_print_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
