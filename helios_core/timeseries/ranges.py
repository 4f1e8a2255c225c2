"""Sets of time ranges [start, end) in microseconds, kept sorted and merged: the buckets of a
continuous aggregate still to be refreshed."""

from __future__ import annotations

from collections.abc import Iterable

Range = tuple[int, int]


def merged(ranges: Iterable[Range]) -> list[Range]:
    out: list[list[int]] = []
    for lo, hi in sorted(r for r in ranges if r[0] < r[1]):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def intersect(ranges: list[Range], window: Range) -> list[Range]:
    lo, hi = window
    return [(max(a, lo), min(b, hi)) for a, b in ranges if max(a, lo) < min(b, hi)]


def subtract(ranges: list[Range], window: Range) -> list[Range]:
    lo, hi = window
    out: list[Range] = []
    for a, b in ranges:
        if b <= lo or a >= hi:
            out.append((a, b))
            continue
        if a < lo:
            out.append((a, lo))
        if b > hi:
            out.append((hi, b))
    return out


def from_buckets(starts: Iterable[int], width: int) -> list[Range]:
    return merged((s, s + width) for s in starts)
