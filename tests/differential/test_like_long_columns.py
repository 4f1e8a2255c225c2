"""LIKE over a column of many rows, where HeliosDB first looks for the pattern's longest literal piece
in the column's whole data buffer: the same rows as PostgreSQL for pieces that run across two rows'
boundary, repeat inside a row, sit at a row's start or end, hold multi-byte characters or escaped
wildcards, and for NULL rows and NOT LIKE. In order, on a live PostgreSQL and on HeliosDB."""

from __future__ import annotations

_WORDS = "ARRAY['special', 'requests', 'furiously', '日本語テキスト', 'ly final', 'spe', 'cial', '50%_off', 'x', '']"

SETUP = [
    "CREATE TABLE lk (id int PRIMARY KEY, t text)",
    # rows of three words: a piece may run on from one row into the next ('spe' + 'cial'), or sit whole in one
    ("INSERT INTO lk SELECT g, CASE WHEN g % 101 = 0 THEN NULL ELSE "
     f"({_WORDS})[1 + g % 10] || ({_WORDS})[1 + (g / 10) % 10] || ' ' || ({_WORDS})[1 + (g / 100) % 10] END "
     "FROM generate_series(1, 30000) g"),
]

PATTERNS = [
    "%special%requests%", "%requests%", "special%", "%requests", "%日本語テキスト%", "%ly final%",
    "%specialrequests%", "%cialspecial%", "%spe_ial%", "%special", "%50\\%\\_off%", "%0\\%\\_off special%",
    "%furiously %special%", "furiously%requests", "%special requests furiously%", "%xxxxxxxxx%",
]

STEPS = [
    *(f"SELECT count(*), sum(id) FROM lk WHERE t LIKE '{p}'" for p in PATTERNS),
    *(f"SELECT count(*), sum(id) FROM lk WHERE t NOT LIKE '{p}'" for p in PATTERNS[:4]),
    "SELECT count(*) FROM lk WHERE (t LIKE '%special%requests%') IS NULL",
    "SELECT id, t LIKE '%requests%' FROM lk WHERE id BETWEEN 95 AND 105 ORDER BY id",
]

CLEANUP = ["DROP TABLE IF EXISTS lk"]


def test_like_over_many_rows_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
