"""The order PostgreSQL leaves rows that tie on every sort key.

PostgreSQL's in-memory sort is not stable: rows equal on all keys come out in the order its
quicksort (Bentley-McIlroy: median-of-three pivots, ninther past 40 rows, a presorted check,
insertion sort below 7 rows, equal keys swapped to the ends and back) or, under a LIMIT
smaller than half the input, its bounded heap leaves them. Clients and regression outputs see
that order, so a sort that finds ties replays the same algorithm over the keys' dense ranks:
the comparisons are integer ones, and the result is the permutation PostgreSQL would produce
from the same input order. Without ties any correct sort gives the same rows, so Arrow's sort
stands; past ``MAX_ROWS`` (where PostgreSQL itself would spill to an external merge whose order
this does not model) Arrow's stable order stands too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_ROWS = 50_000


def dense_ranks(keys: pa.Table, spec: list[tuple[str, str, str]]) -> tuple[np.ndarray, np.ndarray, bool]:
    """Arrow's stable sort order of ``keys``, each row's dense rank in it, and whether any tie."""
    n = keys.num_rows
    if n == 0:  # nothing to compare (a slice of length -1 below)
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), False
    perm = pc.sort_indices(keys, sort_keys=spec).to_numpy()
    same = np.ones(max(n - 1, 0), dtype=bool)
    for name, _order, _placement in spec:
        col = keys.column(name).take(pa.array(perm)).combine_chunks()
        a, b = col.slice(0, n - 1), col.slice(1)
        eq = pc.equal(a, b)
        both_null = pc.and_(pc.is_null(a), pc.is_null(b))
        if pa.types.is_floating(col.type):  # NaN sorts as one value in PostgreSQL
            both_null = pc.or_(both_null, pc.and_(pc.fill_null(pc.is_nan(a), False), pc.fill_null(pc.is_nan(b), False)))
        eq = pc.or_kleene(eq, both_null)
        same &= pc.fill_null(eq, False).to_numpy(zero_copy_only=False)
    ranks_sorted = np.concatenate([[0], np.cumsum(~same)]) if n else np.zeros(0, dtype=np.int64)
    ranks = np.empty(n, dtype=np.int64)
    ranks[perm] = ranks_sorted
    return perm, ranks, bool(same.any())


def sort_order(keys: pa.Table, spec: list[tuple[str, str, str]]) -> np.ndarray:
    """Row positions of ``keys`` in the order PostgreSQL's quicksort puts them."""
    perm, ranks, ties = dense_ranks(keys, spec)
    if not ties or keys.num_rows > MAX_ROWS:
        return perm
    return np.asarray(quicksort_order(ranks.tolist()), dtype=np.int64)


def top_order(keys: pa.Table, spec: list[tuple[str, str, str]], bound: int) -> np.ndarray | None:
    """The first ``bound`` row positions as PostgreSQL's sort under that bound gives them, or
    None when Arrow's order is the same (no ties) or the input is past ``MAX_ROWS``."""
    n = keys.num_rows
    if n > MAX_ROWS:
        return None
    ranks = _plain_ranks(keys, spec)
    if ranks is None:  # several keys, NULLs, NaN or other types: dense ranks from Arrow's sort
        _perm, ranks, ties = dense_ranks(keys, spec)
        if not ties:
            return None
    if n <= 2 * bound:  # PostgreSQL switches to its bounded heap only past twice the bound
        return np.asarray(quicksort_order(ranks.tolist())[:bound], dtype=np.int64)
    return np.asarray(bounded_heap_order(ranks, bound), dtype=np.int64)


def _plain_ranks(keys: pa.Table, spec: list[tuple[str, str, str]]) -> np.ndarray | None:
    """One integer or floating-point key without NULL or NaN: its values themselves order the
    rows as the dense ranks do (negated when descending), with no sort to find them. Without
    ties the replay gives the one correct order, so it needs no test for ties either."""
    if len(spec) != 1:
        return None
    col = keys.column(spec[0][0])
    t = col.type
    if col.null_count or not (pa.types.is_integer(t) or pa.types.is_floating(t)) or pa.types.is_float16(t):
        return None
    values = col.to_numpy()
    if pa.types.is_floating(t):
        if np.isnan(values).any():
            return None
        values = values.astype(np.float64)
    else:
        if pa.types.is_unsigned_integer(t) and t.bit_width == 64:
            return None
        values = values.astype(np.int64)
        if spec[0][1] == "descending" and len(values) and values.min() == np.iinfo(np.int64).min:
            return None
    return -values if spec[0][1] == "descending" else values


def quicksort_order(rank: list[int]) -> list[int]:
    """Positions 0..n-1 ordered by ``rank`` as PostgreSQL's qsort (sort_template.h) orders them."""
    n = len(rank)
    pos = list(range(n))
    key = list(rank)

    def swap(i: int, j: int) -> None:
        pos[i], pos[j] = pos[j], pos[i]
        key[i], key[j] = key[j], key[i]

    def med3(x: int, y: int, z: int) -> int:
        kx, ky, kz = key[x], key[y], key[z]
        if kx < ky:
            return y if ky < kz else (z if kx < kz else x)
        return y if ky > kz else (x if kx < kz else z)

    pending = [(0, n)]
    while pending:
        lo, size = pending.pop()
        end = lo + size
        if size < 7:  # insertion sort
            for m in range(lo + 1, end):
                p = m
                while p > lo and key[p - 1] > key[p]:
                    swap(p, p - 1)
                    p -= 1
            continue
        if all(key[i - 1] <= key[i] for i in range(lo + 1, end)):
            continue  # already in order: left exactly as it is
        mid = lo + size // 2
        if size > 7:
            first, last = lo, end - 1
            if size > 40:
                d = size // 8
                first = med3(first, first + d, first + 2 * d)
                mid = med3(mid - d, mid, mid + d)
                last = med3(last - 2 * d, last - d, last)
            mid = med3(first, mid, last)
        swap(lo, mid)
        pivot = key[lo]
        eq_lo = lt_end = lo + 1  # [lo+1, eq_lo): equal to the pivot; [eq_lo, lt_end): less
        gt_start = eq_hi = end - 1  # (gt_start, eq_hi]: greater; (eq_hi, end-1]: equal
        while True:
            while lt_end <= gt_start and key[lt_end] <= pivot:
                if key[lt_end] == pivot:
                    swap(eq_lo, lt_end)
                    eq_lo += 1
                lt_end += 1
            while lt_end <= gt_start and key[gt_start] >= pivot:
                if key[gt_start] == pivot:
                    swap(gt_start, eq_hi)
                    eq_hi -= 1
                gt_start -= 1
            if lt_end > gt_start:
                break
            swap(lt_end, gt_start)
            lt_end += 1
            gt_start -= 1
        count = min(eq_lo - lo, lt_end - eq_lo)  # move the equal runs into the middle
        for k in range(count):
            swap(lo + k, lt_end - count + k)
        count = min(eq_hi - gt_start, end - eq_hi - 1)
        for k in range(count):
            swap(lt_end + k, end - count + k)
        less, greater = lt_end - eq_lo, eq_hi - gt_start
        if less > 1:
            pending.append((lo, less))
        if greater > 1:
            pending.append((end - greater, greater))
    return pos


HEAP_BLOCK = 256  # rows fed to the heap between two vectorized discards


def bounded_heap_order(ranks: Sequence[Any], bound: int) -> list[int]:
    """The ``bound`` smallest positions by ``ranks`` in the order PostgreSQL's bounded heapsort
    (tuplesort's TSS_BOUNDED) returns them: a max-heap of ``bound`` rows fed in input order,
    a row not below the top discarded, then the heap emptied from its top into the tail.

    A row not below the top leaves the heap as it was, and the top never rises: given a numpy
    array, the rows of each block not below the top at its start are discarded at once, and
    only the others are fed one by one."""
    array = ranks if isinstance(ranks, np.ndarray) else None
    rank = ranks.tolist() if array is not None else ranks
    heap: list[int] = []  # positions; heap[0] has the largest rank

    def sift_down(item: int, size: int) -> None:
        i = 0
        while True:
            j = 2 * i + 1
            if j >= size:
                break
            if j + 1 < size and rank[heap[j]] < rank[heap[j + 1]]:
                j += 1
            if rank[item] >= rank[heap[j]]:
                break
            heap[i] = heap[j]
            i = j
        heap[i] = item

    n = len(rank)
    for p in range(min(bound, n)):
        heap.append(p)
        j = len(heap) - 1
        while j > 0:
            parent = (j - 1) >> 1
            if rank[p] <= rank[heap[parent]]:
                break
            heap[j] = heap[parent]
            j = parent
        heap[j] = p
    start = min(bound, n)
    while start < n:
        stop = n if array is None else min(n, start + HEAP_BLOCK)
        fed: Iterable[int] = range(start, stop) if array is None else \
            (np.flatnonzero(array[start:stop] < rank[heap[0]]) + start).tolist()
        for p in fed:
            if rank[p] < rank[heap[0]]:
                sift_down(p, len(heap))
        start = stop
    size = len(heap)
    while size > 1:
        top = heap[0]
        size -= 1
        sift_down(heap[size], size)
        heap[size] = top
    return heap
