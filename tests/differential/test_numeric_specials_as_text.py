"""numeric NaN and ±Infinity inside the functions that write their arguments' text: concat,
concat_ws and format give 'NaN', and the json/jsonb builders a JSON string "NaN" while finite
numbers of the same column stay JSON numbers. In order, on a live PostgreSQL and on HeliosDB."""

from __future__ import annotations

SETUP = ["CREATE TABLE nsx (id int, x numeric)",
         "INSERT INTO nsx VALUES (1, 'NaN'), (2, 1.5), (3, NULL), (4, '-Infinity'), (5, 'Infinity')"]

STEPS = [
    ("SELECT jsonb_build_object('k', 'NaN'::numeric), concat('a', 'NaN'::numeric, 'Infinity'::numeric),"
    " json_build_object('k', 'NaN'::numeric), format('%s', 'NaN'::numeric)"),
    ("SELECT concat_ws('-', 1.50::numeric, '-Infinity'::numeric), jsonb_build_array(1, 'Infinity'::numeric, 2.50),"
    " json_build_array('NaN'::numeric), format('%L|%s', 'NaN'::numeric, 'Infinity'::numeric)"),
    ("SELECT id, concat(x, '|'), format('<%s>', x), jsonb_build_object('k', x), json_build_object('k', x),"
    " jsonb_build_array(x, 1) FROM nsx ORDER BY id"),
]

CLEANUP = ["DROP TABLE IF EXISTS nsx"]


def test_numeric_specials_in_text_writers_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
