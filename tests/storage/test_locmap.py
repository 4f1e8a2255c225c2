"""LocMap (rowid -> newest version's location) against a plain dict, under random inserts, updates,
chunk rewrites (compaction's relocate) and rebuilds: every lookup agrees with the model."""

from __future__ import annotations

import random

import numpy as np
import pytest

from helios_core.storage.locmap import LocMap


class _Model:
    """Chunks of row versions and the newest location of each row, as a dict."""

    def __init__(self) -> None:
        self.map = LocMap()
        self.newest: dict[int, int] = {}
        self.chunks: dict[int, list[int]] = {}  # chunk id -> rowid at each position
        self.next_chunk = 1
        self.next_rowid = 0

    def _chunk(self, rowids: list[int]) -> int:
        cid = self.next_chunk
        self.next_chunk += 1
        self.chunks[cid] = rowids
        return cid

    def insert_run(self, n: int) -> None:
        rowids = list(range(self.next_rowid, self.next_rowid + n))
        self.next_rowid += n
        base = self._chunk(rowids) << 32
        self.map.add_run(rowids[0], rowids[-1] + 1, base)
        self.newest.update((r, base + i) for i, r in enumerate(rowids))

    def update(self, rowids: list[int]) -> None:
        base = self._chunk(rowids) << 32
        for i, r in enumerate(rowids):
            self.map[r] = base + i
            self.newest[r] = base + i

    def rewrite(self, chunk_ids: list[int], rng: random.Random) -> None:
        """Merge chunks into one, dropping some versions (-1), as compaction's merge does."""
        rowids, old, keep = [], [], []
        for cid in chunk_ids:
            for pos, r in enumerate(self.chunks.pop(cid)):
                rowids.append(r)
                old.append((cid << 32) + pos)
                keep.append(rng.random() > 0.2)
        kept = [r for r, k in zip(rowids, keep, strict=True) if k]
        base = self._chunk(kept) << 32
        new, at = [], 0
        for k in keep:
            new.append(base + at if k else -1)
            at += k
        self.map.relocate(np.asarray(rowids, dtype=np.int64), np.asarray(old, dtype=np.int64),
                          np.asarray(new, dtype=np.int64), set(chunk_ids))
        moved = dict(zip(old, new, strict=True))
        for r, loc in list(self.newest.items()):
            if loc in moved:
                if moved[loc] < 0:
                    del self.newest[r]
                else:
                    self.newest[r] = moved[loc]

    def rebuild(self) -> None:
        rowids = np.fromiter(self.newest.keys(), dtype=np.int64, count=len(self.newest))
        locs = np.fromiter(self.newest.values(), dtype=np.int64, count=len(self.newest))
        self.map = LocMap.from_arrays(rowids, locs)

    def check(self) -> None:
        everyone = list(range(self.next_rowid))
        want = [self.newest.get(r, -1) for r in everyone]
        assert [self.map.get(r, -1) for r in everyone] == want
        assert self.map.get_many(everyone).tolist() == want


@pytest.mark.parametrize("seed", range(40))
def test_locmap_agrees_with_a_dict(seed: int) -> None:
    rng = random.Random(seed)
    m = _Model()
    for _ in range(60):
        op = rng.random()
        if op < 0.25 or not m.newest:
            m.insert_run(rng.randint(1, 40))
        elif op < 0.6:
            m.update(rng.sample(sorted(m.newest), min(len(m.newest), rng.randint(1, 5))))
        elif op < 0.92 and len(m.chunks) >= 2:
            m.rewrite(rng.sample(sorted(m.chunks), rng.randint(1, min(4, len(m.chunks)))), rng)
        else:
            m.rebuild()
        m.check()


def test_small_rewrite_leaves_unrelated_sorted_entries_alone() -> None:
    """A merge of a few memtable rows keeps the sorted arrays of other chunks as they are (no
    rebuild sized by the table) and still finds every row."""
    m = _Model()
    m.insert_run(1000)
    m.rebuild()
    before = m.map.sorted_rowids
    m.update([5])
    m.update([7])
    m.rewrite(sorted(m.chunks)[-2:], random.Random(3))
    assert m.map.sorted_rowids is before
    m.check()
