"""Aggregates this plugin adds to the kernel, for ClickHouse aggregates SQL's cannot stand for.

``ch_group_array_of_arrays(arr)``: groupArray of arrays, each group's arrays in the order read
(ragged and empty ones too: SQL's array_agg of arrays makes a rectangular array and refuses
empty ones); NULLs skipped. ``ch_group_array_array(arr)``: groupArrayArray, the group's arrays
concatenated. ``ch_uniq_array(arr)``: uniqArray/uniqExactArray, the distinct elements of the
group's arrays counted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from helios_core.hookspecs import SqlAggregate


def _per_group(groups: Any, values: pa.Array, ngroups: int) -> list[list]:
    out: list[list] = [[] for _ in range(ngroups)]
    for g, v in zip(np.asarray(groups).tolist(), values.to_pylist(), strict=True):
        if v is not None:
            out[g].append(v)
    return out


def _group_array_of_arrays(groups: Any, args: list[pa.Array], ngroups: int) -> pa.Array:
    lists = _per_group(groups, args[0], ngroups)
    element = args[0].type if pa.types.is_list(args[0].type) else pa.list_(pa.int64())
    return pa.array(lists, pa.list_(element))


def _group_array_array(groups: Any, args: list[pa.Array], ngroups: int) -> pa.Array:
    lists = _per_group(groups, args[0], ngroups)
    element = args[0].type if pa.types.is_list(args[0].type) else pa.list_(pa.int64())
    return pa.array([[x for arr in group for x in arr] for group in lists], element)


def _uniq_array(groups: Any, args: list[pa.Array], ngroups: int) -> pa.Array:
    lists = _per_group(groups, args[0], ngroups)
    return pa.array([len({_hashable(x) for arr in group for x in arr if x is not None}) for group in lists],
                    pa.int64())


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple(_hashable(x) for x in v.values())
    return v


def _as_array(types: list[str]) -> str:
    return types[0] if types[0].endswith("[]") else types[0] + "[]"


AGGREGATES = [
    SqlAggregate(name="ch_group_array_of_arrays", impl=_group_array_of_arrays, return_type=_as_array),
    SqlAggregate(name="ch_group_array_array", impl=_group_array_array, return_type=_as_array),
    SqlAggregate(name="ch_uniq_array", impl=_uniq_array, return_type="bigint"),
]
