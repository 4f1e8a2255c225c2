"""``helios restore --to-time T`` takes PostgreSQL timestamptz literals, named time zones included
(a time written as the operator's region has it)."""

from __future__ import annotations

import datetime as dt

import pytest

from helios_core.archiving.cli import CommandError, parse_time


def utc(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp() * 1_000_000)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-03 02:50:00+00", utc(2026, 12, 3, 2, 50)),
    ("2026-12-03T02:50:00Z", utc(2026, 12, 3, 2, 50)),
    ("2026-12-03 04:50:00+02", utc(2026, 12, 3, 2, 50)),
    ("2026-12-03 02:50:00 America/New_York", utc(2026, 12, 3, 7, 50)),  # EST, UTC-5
    ("2026-07-03 02:50:00 America/New_York", utc(2026, 7, 3, 6, 50)),  # EDT, UTC-4
    ("2026-12-03 02:50:00 America/Port-au-Prince", utc(2026, 12, 3, 7, 50)),
    ("2026-12-03 02:50:00 Etc/GMT+5", utc(2026, 12, 3, 7, 50)),  # POSIX sign: five hours behind
    ("2026-12-03 02:50:00 pm", utc(2026, 12, 3, 14, 50)),
])
def test_timestamptz_literals(text, expected):
    assert parse_time(text) == expected


def test_not_a_time_names_the_option():
    with pytest.raises(CommandError, match="--to-time: not a timestamp"):
        parse_time("the day before yesterday")
