"""generate_series over dates: PostgreSQL has no date form, so date (and untyped text) bounds
with an interval step take the timestamptz form, timestamptz being the preferred type of the
date/time category; a timestamp bound takes the timestamp form. Column types and values beside a
live PostgreSQL, in the session's time zone (UTC here) and another."""

from __future__ import annotations

STEPS = [
    "SELECT generate_series(date '2024-01-01', date '2024-01-03', interval '1 day')",
    "SELECT x, pg_typeof(x) FROM generate_series(date '2024-02-27', date '2024-03-01', '1 day') x",
    "SELECT generate_series('2024-01-01', '2024-01-02', interval '12 hours')",
    "SELECT generate_series(date '2024-01-01', timestamp '2024-01-02', interval '12 hours')",
    "SELECT generate_series(date '2024-01-01', timestamptz '2024-01-02 00:00+00', interval '12 hours')",
    "SELECT x::date FROM generate_series(date '2024-01-31', date '2024-05-01', interval '1 month') x",
    "SET TIME ZONE 'America/New_York'",
    "SELECT generate_series(date '2024-03-09', date '2024-03-11', interval '1 day')",
    "RESET TIME ZONE",
]


def test_generate_series_over_dates_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)


# across both daylight-saving changes of 2024 in New York, by days, by a day and an hour, by months,
# and starting inside the hour the clocks skip and the hour they pass twice
DST_STEPS = [
    "SET TIME ZONE 'America/New_York'",
    "SELECT generate_series(timestamptz '2024-03-08 02:30', timestamptz '2024-03-12 03:00', interval '1 day')",
    "SELECT generate_series(timestamptz '2024-11-01 01:30', timestamptz '2024-11-05 02:00', interval '1 day 1 hour')",
    "SELECT generate_series(timestamptz '2024-01-31 02:30', timestamptz '2024-12-31', interval '1 month')",
    "SELECT generate_series(timestamptz '2024-03-09 02:30', timestamptz '2024-03-11 05:00', interval '1 day')",
    "SELECT generate_series(timestamptz '2024-11-02 01:30', timestamptz '2024-11-04 05:00', interval '1 day')",
    "SELECT generate_series(timestamptz '2024-11-05 01:30', timestamptz '2024-11-01', interval '-1 day')",
    "SELECT generate_series(timestamptz '2024-03-10 00:00', timestamptz '2024-03-10 05:00', interval '30 minutes')",
    "RESET TIME ZONE",
]


def test_generate_series_of_timestamptz_across_daylight_saving_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, DST_STEPS)
