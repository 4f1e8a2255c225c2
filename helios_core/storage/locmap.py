"""rowid -> location of a row version, cheap for bulk inserts.

Single entries live in a dict; a freshly inserted chunk (contiguous new rowids) is one *run*
``(lo, hi, base)`` mapping rowid r in [lo, hi) to ``base + (r - lo)``, so inserting a million
rows adds one run, not a million dict entries. Single entries override runs (the row got a
newer version elsewhere); a single value of -1 hides a run entry (the row was forgotten).
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable

import numpy as np


class LocMap:
    __slots__ = ("los", "runs", "single")

    def __init__(self, pairs: Iterable[tuple[int, int]] | None = None) -> None:
        self.single: dict[int, int] = dict(pairs) if pairs is not None else {}
        self.los: list[int] = []
        self.runs: list[tuple[int, int, int]] = []

    def _run_get(self, r: int) -> int | None:
        i = bisect_right(self.los, r) - 1
        if i >= 0:
            lo, hi, base = self.runs[i]
            if r < hi:
                return base + (r - lo)
        return None

    def get(self, r: int, default: int | None = None) -> int | None:
        v = self.single.get(r)
        if v is not None:
            return default if v < 0 else v
        if self.los:
            v = self._run_get(r)
            if v is not None:
                return v
        return default

    def get_many(self, rowids: list[int], missing: int = -1) -> np.ndarray:
        """Locations of many rowids at once (`missing` where there is none): dict + searchsorted."""
        n = len(rowids)
        locs = np.fromiter(map(self.single.get, rowids, itertools.repeat(-3)), dtype=np.int64, count=n)
        miss = locs == -3
        if self.los and miss.any():
            los = np.asarray(self.los, dtype=np.int64)
            his = np.fromiter((hi for _, hi, _ in self.runs), dtype=np.int64, count=len(self.runs))
            bases = np.fromiter((b for _, _, b in self.runs), dtype=np.int64, count=len(self.runs))
            rr = np.asarray(rowids, dtype=np.int64)[miss]
            i = np.searchsorted(los, rr, side="right") - 1
            ic = np.clip(i, 0, None)
            inside = (i >= 0) & (rr < his[ic])
            locs[miss] = np.where(inside, bases[ic] + (rr - los[ic]), -3)
        locs[(locs == -3) | (locs == -1)] = missing
        return locs

    def __contains__(self, r: int) -> bool:
        return self.get(r) is not None

    def __bool__(self) -> bool:
        return bool(self.single) or bool(self.los)

    def __len__(self) -> int:
        return len(self.single) + sum(hi - lo for lo, hi, _ in self.runs)

    def __setitem__(self, r: int, loc: int) -> None:
        self.single[r] = loc

    def update(self, pairs: Iterable[tuple[int, int]]) -> None:
        self.single.update(pairs)

    def pop(self, r: int, default: int | None = None) -> int | None:
        v = self.get(r)
        if v is None:
            return default
        if self.los and self._run_get(r) is not None:
            self.single[r] = -1
        else:
            self.single.pop(r, None)
        return v

    def add_run(self, lo: int, hi: int, base: int) -> None:
        i = bisect_left(self.los, lo)
        self.los.insert(i, lo)
        self.runs.insert(i, (lo, hi, base))

    def absorb(self, other: LocMap) -> None:
        """Take over another map's entries (a committing transaction's newest versions)."""
        for lo, hi, base in other.runs:
            self.add_run(lo, hi, base)
        self.single.update(other.single)

    def drop_runs(self, doomed: Callable[[int], bool]) -> None:
        """Forget runs whose base location satisfies `doomed` (their chunk went away)."""
        keep = [(lo, hi, base) for lo, hi, base in self.runs if not doomed(base)]
        if len(keep) != len(self.runs):
            self.runs = keep
            self.los = [lo for lo, _, _ in keep]

    def runs_into(self, chunk_id: int) -> list[int]:
        """Indexes of runs pointing into a chunk."""
        return self.runs_into_any({chunk_id})

    def runs_into_any(self, chunk_ids: set[int]) -> list[int]:
        """Indexes of runs pointing into any of the chunks, in one pass (a merge has many sources)."""
        return [i for i, (_, _, base) in enumerate(self.runs) if base >> 32 in chunk_ids]

    def coalesce(self) -> None:
        """Join neighbouring runs whose rowids and locations both continue each other.

        Every single-row insert is a run of its own until compaction copies those rows side by
        side into one chunk; joining them there keeps the run count bounded by the chunks
        instead of growing with every insert ever served.
        """
        if len(self.runs) < 2:
            return
        joined: list[tuple[int, int, int]] = [self.runs[0]]
        for lo, hi, base in itertools.islice(self.runs, 1, None):
            plo, phi, pbase = joined[-1]
            if phi == lo and pbase + (phi - plo) == base and (pbase >> 32) == (base >> 32):
                joined[-1] = (plo, hi, pbase)
            else:
                joined.append((lo, hi, base))
        if len(joined) != len(self.runs):
            self.runs = joined
            self.los = [lo for lo, _, _ in joined]

    def set_run_base(self, i: int, base: int) -> None:
        lo, hi, _ = self.runs[i]
        self.runs[i] = (lo, hi, base)

    def run_to_singles(self, i: int) -> None:
        """Turn a run into single entries (before some of its rows are dropped)."""
        lo, hi, base = self.runs.pop(i)
        self.los.pop(i)
        single = self.single
        for r in range(lo, hi):
            if r not in single:
                single[r] = base + (r - lo)
