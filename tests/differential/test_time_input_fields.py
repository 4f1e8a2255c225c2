"""time input takes one- and two-digit fields as PostgreSQL's time_in does ('7:9:59' is 07:09:59,
'1:2' is 01:02:00; they were 22007), and a field past its range is 22008. In order, on a live
PostgreSQL and on HeliosDB."""

from __future__ import annotations

STEPS = [
    "SELECT '7:9:59'::time, '7:09'::time, '1:2'::time, '01:02:3.5'::time, '7:9:5 pm'::time",
    "SELECT '7:9:60'::time, '24:00'::time",
    "SELECT '7:60'::time",
    "SELECT '123:4'::time",
    "SELECT '7:123'::time",
    "SELECT '2024-01-02 3:4:5'::time",
]


def test_time_input_fields_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
