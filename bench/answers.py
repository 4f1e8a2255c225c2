"""Comparing query answers across systems, so a fast wrong answer is not reported as a time.

Values are normalized before comparison: numbers compare with a small relative
tolerance (numeric vs double averages), strings without char(n) padding, dates as ISO
text. Rows compare in order when the query orders them, otherwise as sorted lists.
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Sequence
from typing import Any


def normalize_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.rstrip()
    return str(value)


def normalize(rows: Sequence[Sequence[Any]]) -> list[tuple]:
    return [tuple(normalize_value(v) for v in row) for row in rows]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    return a == b


def _sort_key(row: tuple) -> tuple:
    return tuple((0, round(v, 4)) if isinstance(v, float) else (1, str(v)) for v in row)


def difference(expected: list[tuple], actual: list[tuple]) -> str | None:
    """None when the answers match; otherwise a short description of the first difference."""
    if len(expected) != len(actual):
        return f"{len(actual)} rows, expected {len(expected)}"
    for ordered in (expected, sorted(expected, key=_sort_key)):
        got = actual if ordered is expected else sorted(actual, key=_sort_key)
        mismatch = next(((e, a) for e, a in zip(ordered, got, strict=True)
                         if len(e) != len(a) or not all(_same(x, y) for x, y in zip(e, a, strict=False))), None)
        if mismatch is None:
            return None
    e, a = mismatch
    return f"row {str(a)[:120]} where expected {str(e)[:120]}"
