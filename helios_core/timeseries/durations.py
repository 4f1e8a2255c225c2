"""Durations written in options and calls ('900d', '1h', '7 days', '1 month') as microseconds.

They are read as PostgreSQL reads an interval literal, so a bad one gets its error (22007);
a month counts 30 days, as TimescaleDB counts it for chunk and retention intervals.
"""

from __future__ import annotations

from helios_core.errors import HeliosError
from helios_core.sql.functions.interval_input import parse_interval_value

USEC_PER_DAY = 86_400_000_000


def duration_usec(text: str, option: str) -> int:
    """Microseconds of a positive interval text; 22007 when it does not parse, 22023 when not positive."""
    months, days, usec = parse_interval_value(str(text).strip())
    total = (months * 30 + days) * USEC_PER_DAY + usec
    if total <= 0:
        raise HeliosError(f'invalid value for parameter "{option}": "{text}"', sqlstate="22023",
                          detail="The interval must be positive.")
    return total
