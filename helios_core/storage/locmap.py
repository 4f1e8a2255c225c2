"""rowid -> location of a row version, cheap for bulk inserts.

Single entries live in a dict; a freshly inserted chunk (contiguous new rowids) is one *run*
``(lo, hi, base)`` mapping rowid r in [lo, hi) to ``base + (r - lo)``, so inserting a million
rows adds one run, not a million dict entries. Rows whose locations follow no run (a chunk
rewritten in another order, the indexes rebuilt at recovery) sit in two sorted numpy arrays
(rowids, locations): 16 bytes a row instead of a dict entry's hundred. Single entries override
runs and sorted entries (the row got a newer version elsewhere); a single value of -1 hides
them (the row was forgotten). A rowid is never both in a run and in the sorted arrays.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable

import numpy as np


class LocMap:
    __slots__ = ("los", "runs", "single", "sorted_chunks", "sorted_locs", "sorted_rowids")

    def __init__(self, pairs: Iterable[tuple[int, int]] | None = None) -> None:
        self.single: dict[int, int] = dict(pairs) if pairs is not None else {}
        self.los: list[int] = []
        self.runs: list[tuple[int, int, int]] = []
        self.sorted_rowids = _NONE
        self.sorted_locs = _NONE
        self.sorted_chunks = (0, -1)  # lowest and highest chunk id the sorted entries point into

    @classmethod
    def from_arrays(cls, rowids: np.ndarray, locs: np.ndarray) -> LocMap:
        """A map of distinct rowids to locations, kept as sorted arrays (no per-row Python objects)."""
        out = cls()
        out._set_sorted(np.asarray(rowids, dtype=np.int64), np.asarray(locs, dtype=np.int64))
        return out

    def _set_sorted(self, rowids: np.ndarray, locs: np.ndarray) -> None:
        order = np.argsort(rowids, kind="stable")
        self.sorted_rowids, self.sorted_locs = rowids[order], locs[order]
        self._note_sorted_chunks()

    def _note_sorted_chunks(self) -> None:
        chunks = self.sorted_locs[self.sorted_locs >= 0] >> 32
        self.sorted_chunks = (int(chunks.min()), int(chunks.max())) if len(chunks) else (0, -1)

    def _add_sorted(self, rowids: np.ndarray, locs: np.ndarray) -> None:
        """Merge a few new entries (rowids not present yet) into the sorted arrays without sorting
        them all again: a merge of a few memtable rows must not cost the size of the table."""
        order = np.argsort(rowids, kind="stable")
        rowids, locs = rowids[order], locs[order]
        at = np.searchsorted(self.sorted_rowids, rowids)
        self.sorted_rowids = np.insert(self.sorted_rowids, at, rowids)
        self.sorted_locs = np.insert(self.sorted_locs, at, locs)
        lo, hi = self.sorted_chunks
        chunks = locs[locs >= 0] >> 32
        if len(chunks):
            self.sorted_chunks = (min(lo, int(chunks.min())) if hi >= lo else int(chunks.min()),
                                  max(hi, int(chunks.max())))

    def _sorted_get(self, r: int) -> int | None:
        rs = self.sorted_rowids
        if not len(rs):
            return None
        i = int(np.searchsorted(rs, r))
        if i < len(rs) and rs[i] == r:
            return int(self.sorted_locs[i])
        return None

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
        if len(self.sorted_rowids):
            v = self._sorted_get(r)
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
        rs = self.sorted_rowids
        if len(rs):
            miss = locs == -3
            if miss.any():
                rr = np.asarray(rowids, dtype=np.int64)[miss]
                i = np.clip(np.searchsorted(rs, rr), 0, len(rs) - 1)
                locs[miss] = np.where(rs[i] == rr, self.sorted_locs[i], -3)
        locs[(locs == -3) | (locs == -1)] = missing
        return locs

    def __contains__(self, r: int) -> bool:
        return self.get(r) is not None

    def __bool__(self) -> bool:
        return bool(self.single) or bool(self.los) or bool(len(self.sorted_rowids))

    def __len__(self) -> int:
        return len(self.single) + sum(hi - lo for lo, hi, _ in self.runs) + len(self.sorted_rowids)

    def __setitem__(self, r: int, loc: int) -> None:
        self.single[r] = loc

    def update(self, pairs: Iterable[tuple[int, int]]) -> None:
        self.single.update(pairs)

    def pop(self, r: int, default: int | None = None) -> int | None:
        v = self.get(r)
        if v is None:
            return default
        if (self.los and self._run_get(r) is not None) or self._sorted_get(r) is not None:
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

    def relocate(self, rowids: np.ndarray, old_locs: np.ndarray, new_locs: np.ndarray, chunk_ids: set[int]) -> None:
        """Chunks ``chunk_ids`` were rewritten: the row versions at ``old_locs`` now sit at
        ``new_locs`` (-1: collected). Only rows whose newest version was the moved one change;
        every run and sorted entry into those chunks goes (their rows all moved).
        """
        rowid_list = rowids.tolist()
        cur = self.get_many(rowid_list, missing=-2)
        hit = cur == old_locs
        single = self.single
        # membership of the moved rows only: the dict may hold every row updated since the last
        # checkpoint, and each small memtable merge must not cost that many
        in_single = (np.fromiter(map(single.__contains__, rowid_list), dtype=bool, count=len(rowid_list))
                     if single else np.zeros(len(rowids), dtype=bool))
        self.drop_runs(lambda base: base >> 32 in chunk_ids)
        lo, hi = self.sorted_chunks
        if len(self.sorted_rowids) and any(lo <= c <= hi for c in chunk_ids):
            rs, ls = self.sorted_rowids, self.sorted_locs
            stay = ~np.isin(ls >> 32, np.fromiter(chunk_ids, dtype=np.int64, count=len(chunk_ids)))
            if not stay.all():
                self.sorted_rowids, self.sorted_locs = rs[stay], ls[stay]
                self._note_sorted_chunks()
        via_single = hit & in_single
        # a collected row keeps a -1 single: an older entry of it elsewhere must stay hidden
        single.update(zip(rowids[via_single].tolist(), np.maximum(new_locs[via_single], -1).tolist(), strict=True))
        add = hit & ~in_single & (new_locs >= 0)
        if add.any():
            self._add_sorted(rowids[add], new_locs[add])

_NONE = np.zeros(0, dtype=np.int64)
