"""Secondary indexes over immutable chunks: a sorted copy of one column per chunk, searched by bisection.

A chunk (a flushed segment or a statement's batch of versions) never changes, so its index
never needs maintenance: the first index scan that reads the chunk sorts the column once
(``pyarrow.compute.sort_indices``) and keeps the sorted values and their row positions with
the chunk; later scans find the positions of ``col = v``, ``col IN (...)`` or a range by
binary search and read only those rows. Versions, branches and time travel need nothing
special: visibility is still decided per row, on the positions found. A chunk that is
small or whose column type has no order here is read whole, as is one where the index would
select most rows anyway. A segment held compressed (or on another tier) sorts the column it
decodes for the first such scan; later scans read their rows from its decoded columns.

A probe is ``[(op, [values...])]`` with op one of ``=``, ``in``, ``<``, ``<=``, ``>``, ``>=``;
its terms are ANDed. Values are already of the column's Arrow type.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# chunks smaller than this are read whole: sorting them would cost more than it saves
MIN_INDEXED_ROWS = 256
# an index read that keeps more than this share of a chunk reads it whole instead
MAX_SELECTED_SHARE = 0.5


def _searchable(t: pa.DataType) -> bool:
    return (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_string(t)
            or pa.types.is_large_string(t) or pa.types.is_date(t) or pa.types.is_timestamp(t))


def sorted_column(chunk: Any, column: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(sorted non-null values, their row positions) of ``column`` in ``chunk``, built once per chunk."""
    cache = chunk.derived()
    hit = cache.get(column)
    if hit is not None:
        return hit
    if column not in chunk.schema.names:
        return None
    col = chunk.columns([column]).column(column)  # a compressed segment decodes this column alone
    if not _searchable(col.type):
        return None
    order = pc.array_sort_indices(col, order="ascending", null_placement="at_end")
    n_valid = len(col) - col.null_count
    order = order.slice(0, n_valid)
    ordered = col.take(order)
    values = _fixed_width(ordered) if pa.types.is_string(col.type) or pa.types.is_large_string(col.type) else None
    if values is None:
        values = np.asarray(ordered.to_numpy(zero_copy_only=False))
    rows = np.asarray(order.to_numpy(zero_copy_only=False))
    built = (values, rows.astype(np.int32) if len(col) < 1 << 31 else rows)
    cache[column] = built
    return built


MAX_FIXED_WIDTH = 64  # bytes: longer strings keep a Python object each (the padding would cost more)


def _fixed_width(strings: pa.Array) -> np.ndarray | None:
    """Sorted strings as a numpy ``S<w>`` array of their UTF-8 bytes (w: the longest), searched by
    memcmp: 22 bytes a row for e-mail addresses where a Python str each cost 75, and no object
    made per row. UTF-8 bytes order as their code points do, as Arrow sorted them; a value's
    trailing NUL bytes do not count (``S`` pads with NULs), so ``positions`` searches a strict
    bound as the inclusive one: a probe may find more rows, never fewer, and the reader checks
    the rows it reads. None: some value is longer than ``MAX_FIXED_WIDTH``."""
    if len(strings) == 0 or strings.null_count:
        return None
    lengths = pc.binary_length(strings)
    width = pc.max(lengths).as_py()
    if width > MAX_FIXED_WIDTH:
        return None
    width = max(width, 1)
    # each value and NUL bytes up to the width, joined by Arrow's kernels: one buffer of n x width
    kind = pa.large_binary() if pa.types.is_large_string(strings.type) else pa.binary()
    pads = pc.binary_repeat(pa.scalar(b"\x00", kind), pc.subtract(width, lengths))
    padded = pc.binary_join_element_wise(strings.cast(kind), pads, pa.scalar(b"", kind))
    fixed = padded.cast(pa.binary(width))
    return np.frombuffer(fixed.buffers()[1], dtype=f"S{width}")[fixed.offset:fixed.offset + len(fixed)]


def _as_numpy_value(v: Any, t: pa.DataType, values: np.ndarray) -> Any:
    """A probe value in the representation of the sorted ``values`` (datetime64, str, int ...;
    UTF-8 bytes for fixed-width strings). Raises ValueError for a string longer than their
    width (it would be cut to compare: the chunk is then read whole)."""
    scalar = v if isinstance(v, pa.Scalar) else pa.scalar(v, type=t)
    x = pa.array([scalar.as_py()], type=t).to_numpy(zero_copy_only=False)[0]
    if values.dtype.kind == "S":
        x = x.encode()
        if len(x) > values.dtype.itemsize:
            raise ValueError("longer than the sorted copy's width")
    return x


def positions(chunk: Any, column: str, probe: list[tuple[str, list[Any]]]) -> np.ndarray | None:
    """Sorted row positions in ``chunk`` that may satisfy ``probe``, or None: read the chunk whole."""
    if chunk.num_rows < MIN_INDEXED_ROWS:
        return _compared_positions(chunk, column, probe)
    built = sorted_column(chunk, column)
    if built is None:
        return None
    values, order = built
    t = chunk.schema.field(column).type
    lo, hi = 0, len(values)
    sets: list[np.ndarray] = []
    try:
        for op, vals in probe:
            if op == "in":
                parts = []
                for v in vals:
                    if v is None or (isinstance(v, pa.Scalar) and not v.is_valid):
                        continue
                    x = _as_numpy_value(v, t, values)
                    a, b = np.searchsorted(values, x, "left"), np.searchsorted(values, x, "right")
                    parts.append(np.arange(a, b))
                sets.append(np.concatenate(parts) if parts else np.empty(0, np.int64))
                continue
            v = vals[0]
            if v is None or (isinstance(v, pa.Scalar) and not v.is_valid):
                return np.empty(0, np.int64)
            x = _as_numpy_value(v, t, values)
            if values.dtype.kind == "S":  # padded bytes: a value and that value with NULs after it look equal,
                op = {">": ">=", "<": "<="}.get(op, op)  # so a strict bound keeps the equal ones too
            if op == "=":
                lo = max(lo, int(np.searchsorted(values, x, "left")))
                hi = min(hi, int(np.searchsorted(values, x, "right")))
            elif op == ">":
                lo = max(lo, int(np.searchsorted(values, x, "right")))
            elif op == ">=":
                lo = max(lo, int(np.searchsorted(values, x, "left")))
            elif op == "<":
                hi = min(hi, int(np.searchsorted(values, x, "left")))
            elif op == "<=":
                hi = min(hi, int(np.searchsorted(values, x, "right")))
            else:
                return None
    except (TypeError, ValueError, pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # a value the sorted column cannot be compared with: read the chunk whole
    if hi <= lo:
        return np.empty(0, np.int64)
    if sets:  # IN lists: their ranks, kept within the range the other terms leave
        ranks = sets[0]
        for other in sets[1:]:
            ranks = np.intersect1d(ranks, other)
        ranks = ranks[(ranks >= lo) & (ranks < hi)]
        if len(ranks) > MAX_SELECTED_SHARE * chunk.num_rows:
            return None
        return np.sort(order[ranks]).astype(np.int64, copy=False)
    if hi - lo > MAX_SELECTED_SHARE * chunk.num_rows:
        return None
    return np.sort(order[lo:hi]).astype(np.int64, copy=False)


_COMPARISONS = {"=": pc.equal, "<": pc.less, "<=": pc.less_equal, ">": pc.greater, ">=": pc.greater_equal}


def _compared_positions(chunk: Any, column: str, probe: list[tuple[str, list[Any]]]) -> np.ndarray | None:
    """The positions of a small chunk's rows that satisfy ``probe``, by comparing its column with
    the kernels (sorting so few rows costs more than comparing them; reading the chunk whole and
    filtering it with the scan's expression cost several times as much again). None: read whole."""
    if not chunk.resident or column not in chunk.schema.names:
        return None
    col = chunk.data.column(column)
    if not _searchable(col.type):
        return None
    terms = _probe_values(probe, col.type)
    if terms is None or not terms:
        return None if terms is None else np.empty(0, np.int64)
    if len(terms) == 1 and terms[0][0] in ("=", "in") and _keyed_by_value(col.type):
        return _positions_of_values(chunk, column, col, terms[0][1])
    mask = None
    try:
        for op, value in terms:
            m = pc.is_in(col, value_set=value) if op == "in" else _COMPARISONS[op](col, value)
            mask = m if mask is None else pc.and_(mask, m)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if mask.null_count:
        mask = pc.fill_null(mask, False)
    return np.flatnonzero(mask.to_numpy(zero_copy_only=False))


def _keyed_by_value(t: pa.DataType) -> bool:
    """Types whose Python values are equal exactly when Arrow's ``equal`` says so."""
    return pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_date32(t)


def _positions_of_values(chunk: Any, column: str, col: pa.Array, wanted: Any) -> np.ndarray:
    """Positions of the rows of a small chunk holding one of ``wanted`` (a scalar or an array),
    through a value -> positions map of the column built on the chunk's first such lookup (a
    chunk never changes; comparing the column again cost 10 µs a chunk, a lookup under one)."""
    by_value = _value_map(chunk, column, col)
    if isinstance(wanted, pa.Scalar):
        return np.array(by_value.get(wanted.as_py(), ()), dtype=np.int64)
    found = sorted({i for v in wanted.to_pylist() if v is not None for i in by_value.get(v, ())})
    return np.array(found, dtype=np.int64)


def _value_map(chunk: Any, column: str, col: pa.Array) -> dict[Any, list[int]]:
    """A small chunk's value -> row positions map of ``col`` (its ``column``), built once and kept
    with the chunk (``_positions_of_values`` and the layer's map, ``small_chunk_positions``)."""
    cache = chunk.derived()
    key = ("=", column)
    by_value = cache.get(key)
    if by_value is None:
        by_value = {}
        for i, v in enumerate(col.to_pylist()):
            if v is not None:
                by_value.setdefault(v, []).append(i)
        cache[key] = by_value
    return by_value


def small_chunk_positions(layer: Any, chunks: list[Any], column: str,
                          probe: list[tuple[str, list[Any]]]) -> dict[int, np.ndarray]:
    """The positions, by chunk id, of the rows of each small resident chunk among ``chunks`` (one
    read's list of ``layer``'s chunks; under ``MIN_INDEXED_ROWS`` rows) that hold a value of a
    one-term ``=``/``IN`` probe; a chunk not answered for is asked alone (``positions``). A table
    written a row at a time holds tens of such chunks, and asking each alone cost a dozen µs a
    chunk; one value -> (chunk, position) map over them all is kept with the layer, chunks added
    as reads meet them and the map built again when one of them leaves the layer (a merge, a
    compaction). Chunks never change, and visibility is still decided per row."""
    if len(probe) != 1 or probe[0][0] not in ("=", "in"):
        return {}
    with _small_lock:
        kept = layer.index_maps.get(column)
        if kept is not None and any(layer.chunks.get(cid) is not ch for cid, ch in kept[0].items()):
            kept = None  # a chunk left the layer
        if kept is None:
            kept = layer.index_maps[column] = ({}, {}, [None])
        covered, by_value, kind = kept
        answered: dict[int, np.ndarray] = {}
        for ch in chunks:
            if ch.num_rows >= MIN_INDEXED_ROWS or not ch.resident:
                continue
            if covered.get(ch.chunk_id) is not ch:
                t = ch.schema.field(column).type if column in ch.schema.names else None
                if ch.chunk_id in covered or t is None or not _keyed_by_value(t) or kind[0] not in (None, t):
                    continue  # asked alone
                kind[0] = t
                for v, rows in _value_map(ch, column, ch.data.column(column)).items():
                    by_value.setdefault(v, []).extend((ch.chunk_id, i) for i in rows)
                covered[ch.chunk_id] = ch
            answered[ch.chunk_id] = _NONE_HERE
        if not answered:
            return answered
        try:  # the probe's values as the column's type holds them in Python
            wanted = pa.array([v.as_py() if isinstance(v, pa.Scalar) else v for v in probe[0][1]],
                              type=kind[0]).to_pylist()
        except (TypeError, ValueError, OverflowError, pa.ArrowInvalid, pa.ArrowTypeError):
            return {}
        found: dict[int, list[int]] = {}
        for v in dict.fromkeys(wanted):
            if v is not None:
                for cid, i in by_value.get(v, ()):
                    if cid in answered:
                        found.setdefault(cid, []).append(i)
    for cid, pos in found.items():
        answered[cid] = np.array(sorted(pos), dtype=np.int64)
    return answered


_NONE_HERE = np.empty(0, np.int64)
_small_lock = threading.Lock()
_CONVERTED: list[Any] = [None]  # (probe, type, terms) of the last probe converted: a scan's chunks share it


def _probe_values(probe: list[tuple[str, list[Any]]], t: pa.DataType) -> list[tuple[str, Any]] | None:
    """``probe`` as the kernels take it for a column of type ``t``: (op, scalar), or ("in", array of
    two or more values); [] when no row can match (a comparison with NULL, IN of NULLs only);
    None when a value does not convert (the chunk is then read whole). Kept for the next chunk."""
    kept = _CONVERTED[0]
    if kept is not None and kept[0] is probe and kept[1] == t:
        return kept[2]
    terms: list[tuple[str, Any]] | None = []
    try:
        for op, vals in probe:
            given = [v.as_py() if isinstance(v, pa.Scalar) else v for v in vals]
            given = [v for v in given if v is not None]
            if not given or (op != "in" and len(given) < len(vals)):
                terms = []
                break
            if op == "in" and len(given) > 1:
                terms.append(("in", pa.array(given, type=t)))
            elif op == "in" or op in _COMPARISONS:
                terms.append(("=" if op == "in" else op, pa.scalar(given[0], type=t)))
            else:
                terms = None
                break
    except (TypeError, ValueError, OverflowError, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        terms = None
    _CONVERTED[0] = (probe, t, terms)
    return terms


def visible_at(chunk: Any, pos: np.ndarray, ts: int, txid: int) -> np.ndarray:
    """The positions among ``pos`` whose versions snapshot (ts, txid) sees (Chunk.visible_mask's rule)."""
    c = chunk.created
    if isinstance(c, int):
        if c < 0:
            if txid == 0 or c != -txid:
                return pos[:0]
        elif c > ts:
            return pos[:0]
        created_ok: Any = True
    else:
        created_ok = c[pos] <= ts
    e = chunk.ended[pos]
    alive = (e > ts) | (e < 0)
    if txid:
        alive &= e != -txid
    if created_ok is not True:
        alive &= created_ok
    return pos[alive]
