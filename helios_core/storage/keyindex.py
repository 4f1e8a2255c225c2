"""A layer's primary-key index (key -> rowid of the row that last took the key), kept compact.

A Python dict costs about a hundred bytes an entry: 1 GB for ten million keys. Here recent
entries live in a small dict (``delta``), and once it grows past a share of the whole, keys that
are all plain integers are folded into two sorted numpy arrays (``keys``, ``rowids``): 16 bytes
an entry. A delta entry overrides the arrays; ``REMOVED`` in the delta hides an array entry.
A lookup in the arrays costs a binary search (a microsecond or two more than a dict's), so
tables under FOLD_MIN keys keep the dict.
Other keys (text, composite) stay in the dict. The dict interface the transaction code uses is
kept (get, [], update, pop, keys() & set), plus ``get_many`` for bulk inserts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

REMOVED = -1  # rowids are never negative
FOLD_MIN = 1 << 18  # the delta is folded into the arrays past this many entries ...
FOLD_SHARE = 4  # ... and past a quarter of the arrays' size (each key is re-sorted O(log n) times)
_EMPTY = np.zeros(0, dtype=np.int64)


def _as_int(k: Any) -> int | None:
    """The integer a key equals (as a dict would match it), or None for any other key."""
    if type(k) is int:
        return k
    if isinstance(k, str | bytes | tuple):
        return None
    try:
        ik = int(k)
    except (TypeError, ValueError, OverflowError):
        return None
    return ik if ik == k else None


class KeyIndex:
    __slots__ = ("delta", "foldable", "keys_np", "rowids_np")

    def __init__(self) -> None:
        self.delta: dict[Any, int] = {}
        self.keys_np = _EMPTY
        self.rowids_np = _EMPTY
        self.foldable = True  # False once a key that is not a plain integer was seen

    @classmethod
    def from_pairs(cls, keys: list[Any], rowids: list[int] | np.ndarray) -> KeyIndex:
        """An index of (key, rowid) pairs, later pairs winning over earlier ones with the same key."""
        out = cls()
        arr = _int_keys(keys) if len(keys) >= FOLD_MIN else None
        if arr is None:
            out.delta = dict(zip(keys, np.asarray(rowids).tolist() if isinstance(rowids, np.ndarray) else rowids,
                                 strict=True))
            out.foldable = len(keys) < FOLD_MIN
            return out
        out._set_arrays(arr, np.asarray(rowids, dtype=np.int64))
        return out

    def _set_arrays(self, keys: np.ndarray, rowids: np.ndarray) -> None:
        """Sort by key, the last of equal keys winning; REMOVED entries dropped."""
        order = np.argsort(keys, kind="stable")
        k, r = keys[order], rowids[order]
        last = np.ones(len(k), dtype=bool)
        last[:-1] = k[1:] != k[:-1]
        k, r = k[last], r[last]
        keep = r != REMOVED
        self.keys_np, self.rowids_np = k[keep], r[keep]

    # ------------------------------------------------------------------ reads
    def _array_get(self, k: Any) -> int | None:
        ks = self.keys_np
        if not len(ks):
            return None
        ik = _as_int(k)
        if ik is None or not -(1 << 63) <= ik < (1 << 63):
            return None
        i = int(ks.searchsorted(ik))
        if i < len(ks) and ks[i] == ik:
            return int(self.rowids_np[i])
        return None

    def get(self, k: Any, default: Any = None) -> Any:
        v = self.delta.get(k)
        if v is not None:
            return default if v == REMOVED else v
        v = self._array_get(k)
        return default if v is None else v

    def __getitem__(self, k: Any) -> int:
        v = self.get(k)
        if v is None:
            raise KeyError(k)
        return v

    def __contains__(self, k: Any) -> bool:
        return self.get(k) is not None

    def get_many(self, keys: list[Any]) -> list[int | None]:
        """``[get(k) for k in keys]``, the array part searched for all keys at once."""
        out = list(map(self.delta.get, keys))
        if len(self.keys_np):
            miss = [i for i, v in enumerate(out) if v is None]
            if miss:
                probe = _int_keys([keys[i] for i in miss])
                if probe is not None:
                    ks = self.keys_np
                    pos = np.clip(np.searchsorted(ks, probe), 0, len(ks) - 1)
                    found = ks[pos] == probe
                    rows = self.rowids_np[pos].tolist()
                    for j, i in enumerate(miss):
                        if found[j]:
                            out[i] = rows[j]
                else:
                    for i in miss:
                        out[i] = self._array_get(keys[i])
        return [None if v == REMOVED else v for v in out]

    def __len__(self) -> int:
        return len(self.keys_np) + sum(1 for v in self.delta.values() if v != REMOVED) - sum(
            1 for k, v in self.delta.items() if v != REMOVED and self._array_get(k) is not None)

    def keys(self) -> _Keys:
        return _Keys(self)

    def items(self) -> Iterator[tuple[Any, int]]:
        for k, r in zip(self.keys_np.tolist(), self.rowids_np.tolist(), strict=True):
            if k not in self.delta:
                yield k, r
        for k, r in self.delta.items():
            if r != REMOVED:
                yield k, r

    def common(self, keys: Iterable[Any]) -> set[Any]:
        """The given keys that have an entry."""
        keys = keys if isinstance(keys, set | frozenset) else set(keys)
        delta = self.delta
        out = {k for k in keys & delta.keys() if delta[k] != REMOVED}
        if len(self.keys_np):
            rest = [k for k in keys if k not in delta]
            if rest:
                probe = _int_keys(rest)
                if probe is None:
                    out.update(k for k in rest if self._array_get(k) is not None)
                else:
                    ks = self.keys_np
                    pos = np.clip(np.searchsorted(ks, probe), 0, len(ks) - 1)
                    found = ks[pos] == probe
                    out.update(itertools.compress(rest, found.tolist()))
        return out

    # ------------------------------------------------------------------ writes
    def __setitem__(self, k: Any, rowid: int) -> None:
        self.delta[k] = rowid
        self._maybe_fold()

    def update(self, pairs: Iterable[tuple[Any, int]]) -> None:
        self.delta.update(pairs)
        self._maybe_fold()

    def pop(self, k: Any, default: Any = None) -> Any:
        v = self.get(k)
        if v is None:
            return default
        if len(self.keys_np) and self._array_get(k) is not None:
            self.delta[k] = REMOVED
        else:
            del self.delta[k]
        return v

    def _maybe_fold(self) -> None:
        n = len(self.delta)
        if n < FOLD_MIN or n * FOLD_SHARE < len(self.keys_np) or not self.foldable:
            return
        arr = _int_keys(list(self.delta.keys()))
        if arr is None:
            self.foldable = False
            return
        rows = np.fromiter(self.delta.values(), dtype=np.int64, count=n)
        self._set_arrays(np.concatenate([self.keys_np, arr]), np.concatenate([self.rowids_np, rows]))
        self.delta = {}

    def nbytes(self) -> int:
        """Memory of the arrays plus an estimate of the dict (about 100 bytes an entry)."""
        return self.keys_np.nbytes + self.rowids_np.nbytes + 100 * len(self.delta)


class _Keys:
    """``index.keys() & some_set``, as with a dict."""

    __slots__ = ("index",)

    def __init__(self, index: KeyIndex) -> None:
        self.index = index

    def __and__(self, other: Iterable[Any]) -> set[Any]:
        return self.index.common(other)

    __rand__ = __and__

    def __iter__(self) -> Iterator[Any]:
        return (k for k, _ in self.index.items())


def _int_keys(keys: list[Any]) -> np.ndarray | None:
    """The keys as an int64 array when every one is a plain int in range, else None."""
    if not all(type(k) is int for k in keys):
        return None
    try:
        return np.fromiter(keys, dtype=np.int64, count=len(keys))
    except OverflowError:
        return None
