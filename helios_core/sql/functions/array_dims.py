"""Multi-dimensional arrays: PostgreSQL's N-dimensional arrays as nested Arrow lists.

PostgreSQL has one array type per element type (integer[]), whose values may have any number
of dimensions, always rectangular. HeliosDB keeps an N-dimensional value as N nested Arrow
lists (``{{1,2},{3,4}}`` is ``list<list<int32>>`` [[1,2],[3,4]]), which keeps the values
columnar and makes the wire formats (nested braces, the binary dims header) direct. Arrow
holds one list depth per array, so one column holds arrays of one dimensionality (empty
arrays and NULLs fit any): the SqlType is still ``_int4`` and only its ``arrow_type`` says the
depth (see ``with_dims``). A column declared ``integer[][]`` stores two-dimensional values;
storing values of another dimensionality in a column is refused (0A000), as is mixing
dimensionalities in one result column. Lower bounds are always 1 ('[0:1]={1,2}' is refused).
"""

from __future__ import annotations

from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import types as T


def depth(t: pa.DataType) -> int:
    """How many list levels an Arrow type has (0 for a scalar type)."""
    n = 0
    while _is_level(t):
        t = t.value_type
        n += 1
    return n


def _is_level(t: pa.DataType) -> bool:
    """A list level of an array (a multirange is a list of range structs: an element, not a level)."""
    if not (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)):
        return False
    return t.value_field.name != "ranges"


def nested_type(leaf: pa.DataType, ndims: int) -> pa.DataType:
    for _ in range(max(ndims, 1)):
        leaf = pa.list_(leaf)
    return leaf


def leaf_type(t: pa.DataType) -> pa.DataType:
    while _is_level(t):
        t = t.value_type
    return t


def with_dims(t: T.SqlType, ndims: int, leaf: pa.DataType | None = None) -> T.SqlType:
    """The array type t whose Arrow representation nests ``ndims`` lists of ``leaf`` values."""
    el = t.element if t.element is not None else t
    base = T.array_with_dims(el, ndims)
    if leaf is None:
        return base
    arrow = nested_type(leaf, ndims)
    return base if arrow == base.arrow_type else attrs.evolve(base, arrow_type=arrow)


def ndims_of(t: T.SqlType) -> int:
    return max(depth(t.arrow_type), 1) if t.element is not None else 0


def leaves(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(row index int64, value) of every element of every array, in storage order (row-major)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    parents = pc.list_parent_indices(arr).cast(pa.int64())
    values = pc.list_flatten(arr)
    while depth(values.type) > 0:
        inner = pc.list_parent_indices(values).cast(pa.int64())
        parents = pc.take(parents, inner)
        values = pc.list_flatten(values)
    return parents, values


def flatten_rows(arr: pa.Array) -> pa.Array:
    """Each array's elements as one flat list (unnest order), for functions that ignore dims."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if depth(arr.type) <= 1:
        return arr
    n = len(arr)
    parents, values = leaves(arr)
    counts = pc.value_counts(parents) if len(parents) else None
    lens = [0] * n
    if counts is not None:
        for item in counts.to_pylist():
            lens[item["values"]] = item["counts"]
    offsets = [0]
    for k in lens:
        offsets.append(offsets[-1] + k)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, mask=arr.is_null())


def dims_of(value: Any) -> list[int]:
    """Lengths per dimension of one array value (a nested Python list); [] for an empty array."""
    dims: list[int] = []
    v = value
    while isinstance(v, list):
        if not v:
            return [] if not dims else dims + [0]
        dims.append(len(v))
        v = v[0]
    return dims


def check_rectangular(value: list, message: str = "multidimensional arrays must have array expressions "
                                                 "with matching dimensions", sqlstate: str = "2202E") -> list[int]:
    """The value's dims, or PostgreSQL's error when its sub-arrays do not match."""
    dims = dims_of(value)
    if not dims:
        return dims

    def walk(v: Any, level: int) -> None:
        if level == len(dims):
            if isinstance(v, list):
                raise HeliosError(message, sqlstate=sqlstate)
            return
        if not isinstance(v, list) or len(v) != dims[level]:
            raise HeliosError(message, sqlstate=sqlstate)
        for x in v:
            walk(x, level + 1)

    walk(value, 0)
    return dims


def from_rows(rows: list[Any], t: T.SqlType, leaf: pa.DataType | None = None) -> tuple[pa.Array, T.SqlType]:
    """Nested Python lists (one per row, None = NULL) as an Arrow array and its SqlType.

    All non-empty values must have one dimensionality (else 0A000, see the module doc)."""
    nds = {len(dims_of(r)) for r in rows if r}
    if len(nds) > 1:
        raise FeatureNotSupported("arrays of different dimensionality in one column are not supported")
    nd = nds.pop() if nds else max(ndims_of(t), 1)
    el = t.element if t.element is not None else t
    lt = leaf if leaf is not None else (leaf_type(t.arrow_type) if t.element is not None else el.arrow_type)
    out_t = with_dims(t, nd, lt)
    return pa.array(rows, out_t.arrow_type), out_t


def flat_leaves(value: Any) -> list[Any]:
    """Elements of one nested Python list in row-major order."""
    if not isinstance(value, list):
        return [value]
    out: list[Any] = []
    for x in value:
        out.extend(flat_leaves(x))
    return out


def compare_values(x: list, y: list) -> int:
    """PostgreSQL's array ordering: elements in storage order (NULL last), then the number of
    elements, then the number of dimensions, then each dimension's length."""
    fx, fy = flat_leaves(x), flat_leaves(y)
    for u, v in zip(fx, fy, strict=False):
        if u == v:
            continue
        if u is None:
            return 1
        if v is None:
            return -1
        return -1 if u < v else 1
    if len(fx) != len(fy):
        return -1 if len(fx) < len(fy) else 1
    dx, dy = dims_of(x), dims_of(y)
    if len(dx) != len(dy):
        return -1 if len(dx) < len(dy) else 1
    return (dx > dy) - (dx < dy)


def require_one_dim(v: Any, what: str = "argument must be empty or one-dimensional array",
                    sqlstate: str = "22000") -> None:
    """PostgreSQL's error for functions that only take one-dimensional arrays."""
    t = v.type if hasattr(v, "type") else v
    if depth(t.arrow_type if hasattr(t, "arrow_type") else t) > 1:
        arr = v.array if hasattr(v, "array") else None
        if arr is None or any(x for x in arr.to_pylist()):
            raise HeliosError(what, sqlstate=sqlstate)
