"""first(value, time), last(value, time) and histogram(value, min, max, nbuckets), as TimescaleDB's.

first/last: the value at the earliest/latest time of the group (rows with a NULL time are
skipped; a NULL value at that time is the answer). histogram: nbuckets + 2 counts, the first
for values below ``min``, the last for values at or above ``max`` (width_bucket's numbering);
NULL values are not counted; a group with none is NULL.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlAggregate
from helios_core.sql.operators.sort import sortable


def _extreme(groups: np.ndarray, args: list[pa.Array], ngroups: int, *, last: bool) -> pa.Array:
    if len(args) != 2:
        raise HeliosError(f"function {'last' if last else 'first'} needs (value, time)", sqlstate="42883")
    value, time = args[0], args[1]
    keep = pc.is_valid(time)
    idx = np.arange(len(time))[np.asarray(keep, dtype=bool)] if len(time) else np.zeros(0, np.int64)
    table = pa.table({"g": pa.array(groups[idx]), "t": sortable(time.take(pa.array(idx, pa.int64()))),
                      "i": pa.array(idx, pa.int64())})
    order = table.sort_by([("g", "ascending"), ("t", "descending" if last else "ascending")])
    g = order.column("g").to_numpy()
    first_of_group = np.ones(len(g), bool)
    first_of_group[1:] = g[1:] != g[:-1]
    rows = order.column("i").to_numpy()[first_of_group]
    where = np.full(ngroups, -1, np.int64)
    where[g[first_of_group]] = rows
    missing = where < 0
    if not len(value):
        return pa.nulls(ngroups, value.type)
    return value.take(pa.array(np.where(missing, 0, where), mask=missing))


def first(groups: np.ndarray, args: list[pa.Array], ngroups: int) -> pa.Array:
    return _extreme(groups, args, ngroups, last=False)


def last(groups: np.ndarray, args: list[pa.Array], ngroups: int) -> pa.Array:
    return _extreme(groups, args, ngroups, last=True)


def histogram(groups: np.ndarray, args: list[pa.Array], ngroups: int) -> pa.Array:
    if len(args) != 4:
        raise HeliosError("function histogram needs (value, min, max, nbuckets)", sqlstate="42883")
    value = args[0]
    if not len(value):
        return pa.nulls(ngroups, pa.list_(pa.int32()))
    lo = args[1].cast(pa.float64())[0].as_py()
    hi = args[2].cast(pa.float64())[0].as_py()
    nb = args[3].cast(pa.int64())[0].as_py()
    if nb is None or nb <= 0:
        raise HeliosError("number of buckets must be greater than zero", sqlstate="2201G")
    if lo is None or hi is None or lo >= hi:
        raise HeliosError("lower bound cannot equal upper bound" if lo == hi else
                          "lower bound must be less than upper bound", sqlstate="2201G")
    valid = np.asarray(pc.is_valid(value), dtype=bool)
    v = value.cast(pa.float64()).fill_null(0).to_numpy(zero_copy_only=False)[valid]
    g = groups[valid]
    bucket = np.clip(np.floor((v - lo) / (hi - lo) * nb).astype(np.int64) + 1, 0, nb + 1)
    bucket[v < lo] = 0
    bucket[v >= hi] = nb + 1
    counts = np.zeros((ngroups, nb + 2), np.int32)
    np.add.at(counts, (g, bucket), 1)
    seen = np.bincount(g, minlength=ngroups) > 0
    return pa.array([counts[i].tolist() if seen[i] else None for i in range(ngroups)], pa.list_(pa.int32()))


def sql_aggregates() -> list[SqlAggregate]:
    return [
        SqlAggregate(name="first", impl=first, return_type=lambda types: types[0]),
        SqlAggregate(name="last", impl=last, return_type=lambda types: types[0]),
        SqlAggregate(name="histogram", impl=histogram, return_type="integer[]"),
    ]
