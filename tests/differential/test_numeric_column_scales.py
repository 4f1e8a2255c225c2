"""Arithmetic over an unconstrained numeric column whose values share one scale prints as
PostgreSQL prints it: ``price * qty`` over 9.99 and 5.00 is 29.97 and 10.00 (the product's scale
is the sum of its operands' scales), not the 16 fractional digits the column is stored with.
stddev and variance over such a column (or a wide numeric(p, s) one) measure the digits their squares need instead of failing. The
exact text of every value is compared, in order, on a live PostgreSQL and on HeliosDB."""

from __future__ import annotations

SETUP = ["CREATE TABLE ncs (id int, price numeric, qty int, rate numeric, whole numeric, big numeric(50, 10))",
         ("INSERT INTO ncs VALUES (1, 9.99, 3, 0.125, 7, 123456789.5), (2, 5.00, 2, 0.500, 12, 0.25),"
          " (3, 10.50, 1, 1.250, -3, -42), (4, NULL, 4, NULL, NULL, NULL)")]

STEPS = [
    "SELECT id, price * qty, price + 1, price - 0.5, -price, abs(price) FROM ncs ORDER BY id",
    "SELECT id, price * rate, rate * rate, price + rate, whole * 2, whole + price FROM ncs ORDER BY id",
    "SELECT id, price * 1.10, price / 4, (price * qty) * 1.0 FROM ncs ORDER BY id",
    "SELECT sum(price * qty), sum(price) + 0, max(price * 2), min(rate + 1) FROM ncs",
    "SELECT qty, sum(price * qty) FROM ncs GROUP BY qty ORDER BY qty",
    "SELECT id FROM ncs WHERE price * qty > 10.00 ORDER BY id",
    "SELECT stddev(price), variance(price), var_pop(rate), stddev_pop(whole), var_samp(price * qty) FROM ncs",
    "SELECT qty > 2, stddev(price), variance(rate) FROM ncs GROUP BY qty > 2 ORDER BY 1",
    "SELECT stddev(big), variance(big) FROM ncs",
    "SELECT (price * qty)::text, price * qty || ' EUR' FROM ncs ORDER BY id",
]

CLEANUP = ["DROP TABLE IF EXISTS ncs"]


def test_uniform_scale_columns_compute_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
