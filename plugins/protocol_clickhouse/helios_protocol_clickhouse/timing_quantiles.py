"""quantileTiming and its family: ClickHouse's deterministic quantiles of millisecond timings.

ClickHouse reads each value as a whole number of milliseconds (a fraction is cut off, a
negative value or NULL is left out, anything past 30 000 counts as 30 000) and keeps them in
one of three states, which decide the answer:

* up to 5 672 values (``_EXACT_UP_TO``; with weights, up to 31 in all): the values
  themselves; the quantile at level p is the element at position ``floor(p * n)`` of them
  sorted (the last one for p = 1);
* past that, a histogram: each value below 1 024 counted exactly, values from 1 024 on in
  bins of 16; the quantile is the first value, in ascending order, at which the running count
  reaches ``ceil(p * count)`` (30 000 when none does); a bin stands for its lower bound moved
  by a small deterministic offset (a 64-to-32-bit integer mix of the bin's number, modulo 16,
  less 8), so that the answers are not all even.

The answers are Float32; with no values, NaN. Run as ``ch_quantile_timing(array_agg(x),
weights, level)`` and ``ch_quantiles_timing(array_agg(x), weights, levels)`` (weights NULL for
the unweighted forms).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.hookspecs import SqlFunction

_BIG = 30000
_SMALL = 1024
_STEP = 16
_TINY = 31
_EXACT_UP_TO = 5672  # the values are kept while they take less room than the histogram
_M64 = (1 << 64) - 1


def _mix32(key: int) -> int:
    """A 64-to-32-bit integer mix (Thomas Wang's), unsalted: the offsets of the histogram's bins."""
    key &= _M64
    key = ((~key) + (key << 18)) & _M64
    key ^= (key >> 31) | ((key << 33) & _M64)
    key = (key * 21) & _M64
    key ^= (key >> 11) | ((key << 53) & _M64)
    key = (key + (key << 6)) & _M64
    key ^= (key >> 22) | ((key << 42) & _M64)
    return key & 0xFFFFFFFF


def _bin_value(i: int) -> int:
    return i * _STEP + _SMALL + (_mix32(i) % _STEP - _STEP // 2)


def _milliseconds(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Whole milliseconds, the ones ClickHouse keeps (NULL, NaN and negative values left out);
    a mask of the kept positions goes with them."""
    x = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    kept = ~np.isnan(x) & (x >= 0)
    return np.minimum(np.trunc(np.where(kept, x, 0)), _BIG).astype(np.int64), kept


def _histogram(ms: np.ndarray, weights: np.ndarray, levels: list[float]) -> list[float]:
    small = np.bincount(ms[ms < _SMALL], weights[ms < _SMALL], minlength=_SMALL)
    middle = (ms >= _SMALL) & (ms < _BIG)
    bins = np.bincount((ms[middle] - _SMALL) // _STEP, weights[middle], minlength=(_BIG - _SMALL) // _STEP)
    counts = np.concatenate([small, bins])
    running = np.cumsum(counts)
    total = float(weights.sum())
    out = []
    for level in levels:
        wanted = math.ceil(total * level)
        reached = np.nonzero((running >= wanted) & (counts > 0))[0]
        if not len(reached):
            out.append(float(_BIG))
            continue
        key = int(reached[0])
        out.append(float(key if key < _SMALL else _bin_value(key - _SMALL)))
    return out


def quantiles(values: pa.Array, weights: pa.Array | None, levels: list[float]) -> list[float]:
    """The quantiles of one group's values (and weights) at ``levels``, as ClickHouse gives them."""
    ms, kept = _milliseconds(values)
    if weights is None:
        w = np.ones(len(ms), np.int64)
    else:
        w = pc.fill_null(pc.cast(weights, pa.int64()), 0).to_numpy(zero_copy_only=False)
        kept &= w > 0
    ms, w = ms[kept], w[kept]
    if not len(ms):
        return [math.nan] * len(levels)
    if (len(ms) <= _EXACT_UP_TO) if weights is None else (w.sum() <= _TINY):
        ordered = np.sort(np.repeat(ms, w))
        n = len(ordered)
        return [float(ordered[min(int(level * n), n - 1)] if level < 1 else ordered[-1]) for level in levels]
    return _histogram(ms, w, levels)


def _groups(args: list[pa.Array]) -> list[tuple[pa.Array, pa.Array | None, Any]]:
    values, weights, levels = args
    out = []
    for i in range(len(values)):
        v = values[i].values if values[i].is_valid else pa.array([], pa.float64())
        w = weights[i].values if weights[i].is_valid else None
        out.append((v, w, levels[i].as_py()))
    return out


def _one(args: list[pa.Array]) -> pa.Array:
    return pa.array([quantiles(v, w, [float(level)])[0] for v, w, level in _groups(args)], pa.float32())


def _many(args: list[pa.Array]) -> pa.Array:
    return pa.array([quantiles(v, w, [float(x) for x in levels]) for v, w, levels in _groups(args)],
                    pa.list_(pa.float32()))


FUNCTIONS = [
    SqlFunction(name="ch_quantile_timing", impl=_one, return_type="real", strict=False),
    SqlFunction(name="ch_quantiles_timing", impl=_many, return_type="real[]", strict=False),
]
