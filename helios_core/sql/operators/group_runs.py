"""Rows gathered into runs, one per group, each run ordered by a value: what an ordered-set
aggregate (percentile_cont/disc) needs of its input.

A multi-key ``sort_indices`` over (group keys, value) sorts every row by the first key
(for a 90-day hourly rollup, 10M timestamps) before the others; most of that work only
finds the groups again. Here a group's id comes from its integer keys' offsets from their least
values divided by their common step (a dictionary encoding for any other key), numbered in the
order groups first appear; the rows are put in group order by
numpy's stable sort of those ids (nearly free when the stored order already keeps groups
together, as a time-series chunk sorted by partition and time does), and each run is then
sorted on its own: runs of one length at a time as the rows of a matrix, so numpy sorts
many short rows in one call instead of Python looping over groups.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import pooled_arrays

_INT_LIKE = (pa.types.is_integer, pa.types.is_timestamp, pa.types.is_date, pa.types.is_time,
             pa.types.is_duration)
_COMBINED_LIMIT = 1 << 62
_DIRECT_SPAN = 1 << 48  # an integer key spread wider (after its common step) is numbered by hashing


def _integers_of(col: pa.Array) -> np.ndarray | None:
    """An integer-like key column without NULLs as numpy integers (its buffer, not a copy);
    None for any other."""
    if col.null_count or not any(test(col.type) for test in _INT_LIKE) or pa.types.is_unsigned_integer(col.type):
        return None
    width = col.type.bit_width
    raw = {64: pa.int64(), 32: pa.int32(), 16: pa.int16(), 8: pa.int8()}.get(width)
    return col.view(raw).to_numpy() if raw is not None else None


_SAMPLE_ROWS = 1 << 16  # rows ``keys_in_runs`` looks at first
_SLICE = 1 << 20  # rows per slice: temporaries of 8 MB stay in the heap (no fresh pages per query)


def _slices(n: int) -> range:
    return range(0, n, _SLICE)


def _direct(raw: np.ndarray, n: int) -> tuple[int, int, int] | None:
    """(least value, common step, width) of an integer key whose values, less the least and
    divided by their common step (hour buckets in microseconds are 3.6e9 apart), number at most
    _DIRECT_SPAN; None when wider."""
    low, high = int(raw.min()), int(raw.max())
    step = 0
    if high - low >= n:  # sparse: look for a common step
        for start in _slices(n):
            part = raw[start:start + _SLICE]
            heads = np.flatnonzero(part[1:] != part[:-1]) + 1
            # keys stored in runs (hour buckets of rows sorted by time): one value per run will do
            part = np.concatenate((part[:1], part[heads])) if len(heads) < len(part) // 4 else part
            step = int(np.gcd(step, np.gcd.reduce(np.subtract(part, low, dtype=np.int64))))
            if step == 1:
                break
    step = step or 1
    width = (high - low) // step + 1
    return (low, step, width) if width <= _DIRECT_SPAN else None


def _renumbered(values: np.ndarray) -> tuple[np.ndarray, int]:
    dense = pc.dictionary_encode(pa.array(values))
    return dense.indices.to_numpy().astype(np.int64), max(len(dense.dictionary), 1)


def _dense_by_first_appearance(combined: np.ndarray, span: int) -> tuple[np.ndarray, int, np.ndarray | None]:
    """Values in 0..span-1 renumbered 0..k-1 in the order they first appear: through a table of
    ``span`` entries when that is not much larger than the rows (which also gives each id's
    first row), else by hashing."""
    n = len(combined)
    if span > max(4 * n, 1 << 16):
        dense = pc.dictionary_encode(pa.array(combined))
        return dense.indices.to_numpy(), len(dense.dictionary), None
    first = np.full(span, n, np.int64)
    # a value first appears where a run of equal values starts: rows stored grouped (a time-series
    # chunk sorted by its keys) have few runs, and only their starts go through the slow minimum.at
    run_starts = np.flatnonzero(combined[1:] != combined[:-1]) + 1
    if len(run_starts) < n // 4:
        np.minimum.at(first, combined[:1], np.zeros(1, np.int64))
        np.minimum.at(first, combined[run_starts], run_starts)
    else:
        for start in _slices(n):
            part = combined[start:start + _SLICE]
            np.minimum.at(first, part, np.arange(start, start + len(part)))
    present = np.flatnonzero(first < n)
    ids = np.empty(span, np.int32 if len(present) < (1 << 31) else np.int64)
    by_first = present[np.argsort(first[present])]
    ids[by_first] = np.arange(len(present))
    out = pooled_arrays.empty(n, ids.dtype)
    for start in _slices(n):
        np.take(ids, combined[start:start + _SLICE], out=out[start:start + _SLICE])
    return out, len(present), first[by_first]


def _combined_integers(raws: list[np.ndarray], plans: list[tuple[int, int, int]], n: int) -> np.ndarray:
    """Integer keys combined into one number per row (mixed radix of their widths), a slice at a time."""
    combined = pooled_arrays.empty(n, np.int64)
    for start in _slices(n):
        acc = None
        for raw, (low, step, width) in zip(raws, plans, strict=True):
            part = np.subtract(raw[start:start + _SLICE], low, dtype=np.int64)
            if step > 1:
                part //= step
            if acc is None:
                acc = part
            else:
                acc *= width
                acc += part
        combined[start:start + len(acc)] = acc
    return combined


def _run_heads(raws: list[np.ndarray], n: int) -> np.ndarray | None:
    """The rows where any key differs from the row before (row 0 first), when such runs of equal
    keys are few (under a quarter of the rows); None otherwise."""
    change = np.zeros(n - 1, np.bool_)
    for raw in raws:
        for start in _slices(n - 1):
            stop = min(start + _SLICE, n - 1)
            change[start:stop] |= raw[start + 1:stop + 1] != raw[start:stop]
    heads = np.flatnonzero(change)
    if len(heads) >= n // 4:
        return None
    heads += 1
    return np.concatenate((np.zeros(1, heads.dtype), heads))


def keys_in_runs(columns: list[pa.Array | pa.ChunkedArray]) -> bool:
    """Whether integer key columns come in runs of equal keys (fewer runs than a quarter of the
    rows: ``_run_heads``). Keys that change on a quarter of their first ``_SAMPLE_ROWS`` rows are
    taken as not in runs without reading the rest (this only chooses between two exact ways)."""
    n = len(columns[0]) if columns else 0
    if n < 2:
        return False
    def in_runs(rows: int) -> bool:  # over the first ``rows`` rows
        parts = [c.slice(0, rows) for c in columns]
        raws = [_integers_of(p.combine_chunks() if isinstance(p, pa.ChunkedArray) else p) for p in parts]
        return all(raw is not None for raw in raws) and _run_heads(raws, rows) is not None

    head = min(n, _SAMPLE_ROWS)
    return in_runs(head) and (head == n or in_runs(n))


def group_ids_and_runs(columns: list[pa.Array]) -> tuple[np.ndarray, int, np.ndarray | None, np.ndarray | None]:
    """``group_ids``, and where each group's rows begin when every group is one run of rows
    (None otherwise). Integer keys stored in runs (a time-series chunk sorted by partition and
    time: 10M rows, 432,000 runs) are numbered one run at a time, not one row at a time."""
    if not columns:
        raise ValueError("no key columns")
    n = len(columns[0])
    raws = [_integers_of(col) for col in columns] if n > 1 else []
    heads = _run_heads(raws, n) if raws and all(raw is not None for raw in raws) else None
    if heads is None:
        ids, count, firsts = group_ids(columns)
        return ids, count, firsts, None
    head_ids, count, head_firsts = group_ids([col.take(pa.array(heads)) for col in columns])
    ids = pooled_arrays.empty(n, head_ids.dtype)
    lengths = np.diff(heads, append=n)
    step = 1 << 16  # runs at a time: the repeated piece stays a small temporary
    for a in range(0, len(heads), step):
        b = min(a + step, len(heads))
        ids[heads[a]:heads[b] if b < len(heads) else n] = np.repeat(head_ids[a:b], lengths[a:b])
    firsts = heads[head_firsts] if head_firsts is not None else None
    return ids, count, firsts, heads if count == len(heads) else None


def offset_ids(columns: list[pa.Array]) -> tuple[np.ndarray, int, Any] | None:
    """Each row's group as its integer keys' offsets from their least values (over their common
    step, mixed radix across keys): ids in 0..span-1 that some values of the span may not have,
    numbered in key order, not by first appearance; with ``key_values(ids)``, the key columns of
    those ids. None for keys that are not integers without NULLs, lie too far apart (a span over
    four times the rows), or come in runs of equal keys (``group_ids_and_runs`` numbers those a
    run at a time)."""
    n = len(columns[0])
    raws = [_integers_of(col) for col in columns]
    if n < 2 or any(raw is None for raw in raws):
        return None
    plans = [_direct(raw, n) for raw in raws]
    span = 1
    for plan in plans:
        if plan is None:
            return None
        span *= plan[2]
    if span > max(4 * n, 1 << 16) or _run_heads(raws, n) is not None:
        return None

    def key_values(ids: np.ndarray) -> list[pa.Array]:
        out = []
        rest = ids.astype(np.int64)
        for col, raw, (low, step, width) in reversed(list(zip(columns, raws, plans, strict=True))):
            values = (rest % width) * step + low
            rest = rest // width
            out.append(pa.array(values.astype(raw.dtype)).view(col.type))
        return out[::-1]

    return _combined_integers(raws, plans, n), span, key_values


def group_ids(columns: list[pa.Array]) -> tuple[np.ndarray, int, np.ndarray | None]:
    """Each row's group over the key ``columns`` (equal values, NULLs equal to each other), as
    dense ids numbered in the order the groups first appear; the number of groups; and each
    group's first row when it came for free (None when the keys were hashed)."""
    if not columns:
        raise ValueError("no key columns")
    n = len(columns[0])
    if n == 0:
        return np.zeros(0, np.int32), 0, np.zeros(0, np.int64)
    raws = [_integers_of(col) for col in columns]
    plans = [_direct(raw, n) if raw is not None else None for raw in raws]
    span = 1
    for plan in plans:
        span = span * plan[2] if plan is not None else _COMBINED_LIMIT
    if span < _COMBINED_LIMIT:  # integer keys only (the common case): no hashing at all
        return _dense_by_first_appearance(_combined_integers(raws, plans, n), span)
    combined: np.ndarray | None = None
    span = 1
    for col, raw, plan in zip(columns, raws, plans, strict=True):
        if plan is not None:  # integers: their offsets are the ids
            part, width = _combined_integers([raw], [plan], n), plan[2]
        else:  # any other key (one with NULLs, values far apart): its values' dictionary positions
            enc = pc.dictionary_encode(col, null_encoding="encode")
            part, width = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), max(len(enc.dictionary), 1)
        if combined is None:
            combined, span = part, width
            continue
        if span * width >= _COMBINED_LIMIT:  # renumber densely (at most one id per row), then go on
            combined, span = _renumbered(combined)
            if span * width >= _COMBINED_LIMIT:
                part, width = _renumbered(part)
        combined *= width
        combined += part
        span *= width
    assert combined is not None
    return _dense_by_first_appearance(combined, span)


def sort_runs(values: np.ndarray, starts: np.ndarray, descending: bool) -> None:
    """Sort ``values`` in place inside each run (a run is ``starts[i]`` up to the next start):
    ascending with NaN last, or descending with NaN first, as PostgreSQL orders floats."""
    n = len(values)
    lengths = np.diff(np.append(starts, n))
    by_length = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[by_length]
    edges = np.flatnonzero(np.diff(sorted_lengths, prepend=-1, append=-1))
    for a, b in itertools.pairwise(edges.tolist()):
        length = int(sorted_lengths[a])
        if length < 2:
            continue
        cells = starts[by_length[a:b]][:, None] + np.arange(length)
        block = values[cells]
        block.sort(axis=1)
        values[cells] = block[:, ::-1] if descending else block
