"""Arrays: ARRAY[...] construction, array functions, @> <@ && || operators, ANY/ALL and unnest.

Arrays are Arrow list arrays. Construction, unnest, cardinality, ANY/ALL and element lookup
are vectorized (list kernels + a hash aggregate over the flattened elements); functions that
rebuild lists element by element (array_remove, array_replace, containment) are per-row Python.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import array_dims as dims
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.registry import no_function, scalar
from helios_core.sql.functions.resolve import common_type
from helios_core.sql.functions.vec import Vec, full, length_of


def list_array(arr) -> pa.ListArray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_large_list(arr.type) or pa.types.is_fixed_size_list(arr.type):
        arr = arr.cast(pa.list_(arr.type.value_type))
    return arr


def _array_arg(v: Vec, fname: str, args: list[Vec]) -> Vec:
    if v.type.element is not None:
        return v
    if v.type.name == "unknown":
        other = next((a for a in args if a.type.element is not None), None)
        return cast(v, other.type if other is not None else T.array_of(T.TEXT))
    raise no_function(fname, args)


def _elements(v: Vec) -> tuple[pa.Array, pa.Array]:
    """(parent row index, flat element values) of a full-length list Vec."""
    la = list_array(v.array)
    parents = pc.list_parent_indices(la)
    flat = pc.list_flatten(la)
    return parents, flat


def _from_py(rows: list, t: T.SqlType, scalar_: bool) -> Vec:
    if any(r and isinstance(r[0], list) for r in rows):  # N-dimensional values
        arr, out_t = dims.from_rows(rows, t, _el_arrow(t.element, [dims.flat_leaves(r) for r in rows if r]))
        return Vec(arr, out_t, scalar_)
    return Vec(pa.array(rows, pa.list_(_el_arrow(t.element, rows))), T.array_of(t.element), scalar_)


def _el_arrow(el: T.SqlType, rows: list) -> pa.DataType:
    if el.name == "numeric":
        vals = [x for r in rows if r for x in r if x is not None]
        if vals:
            return pa.array(vals).type
        return pa.decimal128(38, 0)
    return el.arrow_type


# ------------------------------------------------------------------------------ construction

@scalar("array", "make_array", nargs=(0, None))
def array_constructor(args: list[Vec]) -> Vec:
    """ARRAY[a, b, c]: element type by PostgreSQL's common-type rule ('ARRAY' context)."""
    if not args:
        return Vec(pa.array([[]], pa.list_(pa.string())), T.array_of(T.TEXT), True)
    el = common_type([a.type for a in args], "ARRAY")
    if el.element is not None:
        vs = [cast(a, T.array_of(el.element), context="implicit") for a in args]
        n = length_of(vs)
        return stack_subarrays([v.broadcast(n) for v in vs], all(v.scalar for v in vs))
    vs = [cast(a, el, context="implicit") for a in args]
    n = length_of(vs)
    all_scalar = all(v.scalar for v in vs)
    arrays = [v.broadcast(n).array for v in vs]
    if el.name == "numeric":
        from helios_core.sql.functions.decimals import dec_type

        sc = max(a.type.scale for a in arrays if pa.types.is_decimal(a.type))
        ip = max(a.type.precision - a.type.scale for a in arrays if pa.types.is_decimal(a.type))
        arrays = [a.cast(dec_type(ip + sc, sc)) for a in arrays]
    else:
        typ = arrays[0].type
        arrays = [a if a.type == typ else a.cast(typ) for a in arrays]
    k = len(arrays)
    values = pa.concat_arrays(arrays)
    idx = [j * n + i for i in range(n) for j in range(k)]
    values = pc.take(values, pa.array(idx, pa.int64()))  # row-major interleave
    offsets = pa.array(range(0, n * k + 1, k), pa.int32())
    return Vec(pa.ListArray.from_arrays(offsets, values), T.array_of(el), all_scalar)


def stack_subarrays(vs: list[Vec], scalar: bool) -> Vec:
    """ARRAY[a1, a2, ...] over arrays: an array of one more dimension (rows of matching dims).

    Per-row Python checks that the sub-arrays match (2202E otherwise) and builds the nested
    values; all-empty sub-arrays give an empty array, as in PostgreSQL."""
    t = vs[0].type
    cols = [_unify_leaf(v) for v in vs]
    leaf = dims.leaf_type(cols[0].type)
    rows = []
    for parts in zip(*[c.to_pylist() for c in cols], strict=True):
        parts = tuple(p or [] for p in parts)  # a NULL sub-array counts as empty
        shapes = {tuple(dims.check_rectangular(p)) for p in parts}
        if len(shapes) != 1:
            raise HeliosError("multidimensional arrays must have array expressions with matching dimensions",
                              sqlstate="2202E")
        rows.append([] if shapes == {()} else list(parts))
    arr, out_t = dims.from_rows(rows, dims.with_dims(t, max(dims.depth(cols[0].type), 1) + 1, leaf), leaf)
    return Vec(arr, out_t, scalar)


def _unify_leaf(v: Vec) -> pa.Array:
    a = v.array.combine_chunks() if isinstance(v.array, pa.ChunkedArray) else v.array
    if pa.types.is_decimal(dims.leaf_type(a.type)):
        a = a.cast(dims.nested_type(pa.decimal256(76, dims.leaf_type(a.type).scale), dims.depth(a.type)))
    return a


# ------------------------------------------------------------------------------ size functions

@scalar("cardinality")
def _cardinality(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "cardinality", args)
    return Vec(pc.list_value_length(dims.flatten_rows(v.array)).cast(pa.int32()), T.INT4, v.scalar)


def _dim_lengths(v: Vec) -> list[list[int] | None]:
    """Per row: the length of each dimension ([] for an empty array, None for NULL)."""
    a = list_array(v.array)
    if dims.depth(a.type) <= 1:
        return [None if n is None else ([n] if n else []) for n in pc.list_value_length(a).to_pylist()]
    # Per-row Python over the nested values (multi-dimensional arrays only)
    return [None if x is None else dims.dims_of(x) for x in a.to_pylist()]


def _per_dim(args: list[Vec], fname: str, pick) -> Vec:
    v = _array_arg(args[0], fname, args)
    dim = cast(args[1], T.INT4)
    n = length_of([v, dim])
    lens = _dim_lengths(v.broadcast(n))
    ds = dim.broadcast(n).array.to_pylist()
    out = [None if dl is None or d is None or not 1 <= d <= len(dl) else pick(dl[d - 1])
           for dl, d in zip(lens, ds, strict=True)]
    return Vec(pa.array(out, pa.int32()), T.INT4, v.scalar and dim.scalar)


@scalar("array_length", nargs=2)
def _array_length(args: list[Vec]) -> Vec:
    return _per_dim(args, "array_length", lambda k: k)


@scalar("array_upper", nargs=2)
def _array_upper(args: list[Vec]) -> Vec:
    return _per_dim(args, "array_upper", lambda k: k)


@scalar("array_lower", nargs=2)
def _array_lower(args: list[Vec]) -> Vec:
    return _per_dim(args, "array_lower", lambda k: 1)


@scalar("array_ndims")
def _array_ndims(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_ndims", args)
    out = [None if d is None or not d else len(d) for d in _dim_lengths(v)]
    return Vec(pa.array(out, pa.int32()), T.INT4, v.scalar)


@scalar("array_dims")
def _array_dims(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_dims", args)
    out = [None if d is None or not d else "".join(f"[1:{k}]" for k in d) for d in _dim_lengths(v)]
    return Vec(pa.array(out, pa.string()), T.TEXT, v.scalar)


# ------------------------------------------------------------------------------ search

def _el_arg(arr_v: Vec, el: Vec) -> Vec:
    t = arr_v.type.element
    if el.type.name == "unknown" or el.type != t:
        return cast(el, t, context="implicit")
    return el


@scalar("array_position", nargs=(2, 3))
def _array_position(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_position", args)
    _one_dim_search(v)
    el = _el_arg(v, args[1])
    start = cast(args[2], T.INT4) if len(args) == 3 else Vec.const(1, T.INT4)
    arrays, s = full([v, el, start])
    out = []
    # Per-row Python: first matching position (NULL-safe: NULL finds NULL, like IS NOT DISTINCT FROM)
    for lst, x, st in zip(arrays[0].to_pylist(), arrays[1].to_pylist(), arrays[2].to_pylist(), strict=True):
        if lst is None or st is None:
            out.append(None)
            continue
        pos = None
        for i in range(max(st, 1) - 1, len(lst)):
            if lst[i] == x:
                pos = i + 1
                break
        out.append(pos)
    return Vec(pa.array(out, pa.int32()), T.INT4, s)


@scalar("array_positions", nargs=2)
def _array_positions(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_positions", args)
    _one_dim_search(v)
    el = _el_arg(v, args[1])
    (a, b), s = full([v, el])
    out = [None if lst is None else [i + 1 for i, y in enumerate(lst) if y == x]
           for lst, x in zip(a.to_pylist(), b.to_pylist(), strict=True)]
    return Vec(pa.array(out, pa.list_(pa.int32())), T.array_of(T.INT4), s)


def _one_dim_search(v: Vec) -> None:
    _one_dim_only(v, "searching for elements in multidimensional arrays is not supported", "0A000")


def _one_dim_only(v: Vec, message: str, sqlstate: str) -> None:
    """PostgreSQL's error when a one-dimensional-only function meets a non-empty N-dim array."""
    a = list_array(v.array)
    if dims.depth(a.type) > 1 and pc.any(pc.greater(pc.fill_null(pc.list_value_length(a), 0), 0)).as_py():
        raise HeliosError(message, sqlstate=sqlstate)


# ------------------------------------------------------------------------------ building

def _concat_lists(a: Vec, b: Vec) -> Vec:
    t = common_type([a.type, b.type])
    a, b = cast(a, t, context="implicit"), cast(b, t, context="implicit")
    (x, y), s = full([a, b])
    x, y = list_array(x), list_array(y)
    if x.type != y.type and dims.depth(x.type) == dims.depth(y.type) == 1:
        y = y.cast(x.type) if not pa.types.is_decimal(x.type.value_type) else y
    rows = []
    # Per-row Python: list concatenation keeping NULL-array rules (NULL || arr = arr)
    for p, q in zip(x.to_pylist(), y.to_pylist(), strict=True):
        if p is None and q is None:
            rows.append(None)
        else:
            rows.append(_concat_values(p or [], q or []))
    return _from_py(rows, t, s)


def _incompatible(detail: str) -> HeliosError:
    return HeliosError("cannot concatenate incompatible arrays", sqlstate="2202E", detail=detail)


def _concat_values(p: list, q: list) -> list:
    """PostgreSQL's array_cat: N-dim || N-dim along the first dimension, (N-1)-dim || N-dim
    adds an element at either end; empty arrays vanish."""
    if not p:
        return q
    if not q:
        return p
    dp, dq = dims.dims_of(p), dims.dims_of(q)
    if len(dp) == len(dq):
        if dp[1:] != dq[1:]:
            raise _incompatible("Arrays with differing element dimensions are not compatible for concatenation.")
        return p + q
    if len(dp) + 1 == len(dq):
        if dp != dq[1:]:
            raise _incompatible("Arrays with differing dimensions are not compatible for concatenation.")
        return [p, *q]
    if len(dq) + 1 == len(dp):
        if dq != dp[1:]:
            raise _incompatible("Arrays with differing dimensions are not compatible for concatenation.")
        return [*p, q]
    raise _incompatible(f"Arrays of {len(dp)} and {len(dq)} dimensions are not compatible for concatenation.")


def array_concat_op(l: Vec, r: Vec) -> Vec:
    """||: array || array, array || element, element || array."""
    if l.type.element is not None and r.type.element is not None:
        return _concat_lists(l, r)
    if l.type.element is not None:
        if r.type.name == "unknown":
            try:
                return _concat_lists(l, cast(r, l.type))
            except HeliosError:
                pass
        return _append(l, _el_arg(l, r), prepend=False)
    if r.type.name == "unknown":
        try:
            return _concat_lists(cast(l, r.type), r)
        except HeliosError:
            pass
    return _append(r, _el_arg(r, l), prepend=True)


def _append(arr_v: Vec, el: Vec, prepend: bool) -> Vec:
    _one_dim_only(arr_v, "argument must be empty or one-dimensional array", "22000")
    (a, e), s = full([arr_v, el])
    rows = []
    for lst, x in zip(a.to_pylist(), e.to_pylist(), strict=True):
        base = lst or []
        rows.append([x, *base] if prepend else [*base, x])
    return _from_py(rows, arr_v.type, s)


@scalar("array_append", nargs=2)
def _array_append(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_append", args)
    return _append(v, _el_arg(v, args[1]), prepend=False)


@scalar("array_prepend", nargs=2)
def _array_prepend(args: list[Vec]) -> Vec:
    v = _array_arg(args[1], "array_prepend", args)
    return _append(v, _el_arg(v, args[0]), prepend=True)


@scalar("array_cat", nargs=2)
def _array_cat(args: list[Vec]) -> Vec:
    a = _array_arg(args[0], "array_cat", args)
    b = _array_arg(args[1], "array_cat", args)
    return _concat_lists(a, b)


@scalar("array_remove", nargs=2)
def _array_remove(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_remove", args)
    _one_dim_only(v, "removing elements from multidimensional arrays is not supported", "0A000")
    el = _el_arg(v, args[1])
    (a, e), s = full([v, el])
    rows = [None if lst is None else [y for y in lst if y != x] for lst, x in
            zip(a.to_pylist(), e.to_pylist(), strict=True)]
    return _from_py(rows, v.type, s)


@scalar("array_replace", nargs=3)
def _array_replace(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_replace", args)
    old, new = _el_arg(v, args[1]), _el_arg(v, args[2])
    (a, o, n), s = full([v, old, new])

    def replace(lst: list, x, nw) -> list:  # keeps every dimension
        return [replace(y, x, nw) if isinstance(y, list) else (nw if y == x else y) for y in lst]

    rows = [None if lst is None else replace(lst, x, nw) for lst, x, nw in
            zip(a.to_pylist(), o.to_pylist(), n.to_pylist(), strict=True)]
    return _from_py(rows, v.type, s)


@scalar("trim_array", nargs=2)
def _trim_array(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "trim_array", args)
    k = cast(args[1], T.INT4)
    (a, n), s = full([v, k])
    rows = []
    for lst, m in zip(a.to_pylist(), n.to_pylist(), strict=True):
        if lst is None or m is None:
            rows.append(None)
            continue
        if m < 0 or m > len(lst):
            raise HeliosError("number of elements to trim must be between 0 and " + str(len(lst)),
                              sqlstate="2202E")
        rows.append(lst[: len(lst) - m])
    return _from_py(rows, v.type, s)


@scalar("array_to_string", nargs=(2, 3))
def _array_to_string(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_to_string", args)
    sep = cast(args[1], T.TEXT)
    null_s = cast(args[2], T.TEXT) if len(args) == 3 else Vec.null(T.TEXT)
    la = list_array(dims.flatten_rows(v.array))
    el_text = cast(Vec(la.values, v.type.element), T.TEXT).array
    txt_lists = pa.ListArray.from_arrays(la.offsets, el_text, mask=la.is_null())
    (a, sp, ns), s = full([Vec(txt_lists, T.array_of(T.TEXT), v.scalar), sep, null_s])
    rows = []
    for lst, sp_, n_ in zip(a.to_pylist(), sp.to_pylist(), ns.to_pylist(), strict=True):
        if lst is None or sp_ is None:
            rows.append(None)
            continue
        parts = [x if x is not None else n_ for x in lst]
        rows.append(sp_.join(p for p in parts if p is not None))
    return Vec(pa.array(rows, pa.string()), T.TEXT, s)


@scalar("array_fill", nargs=(2, 3))
def _array_fill(args: list[Vec]) -> Vec:
    val, dim_lengths = args[0], cast(args[1], T.array_of(T.INT4))
    if val.type.name == "unknown":
        val = cast(val, T.TEXT)
    (a, d), s = full([val, dim_lengths])
    rows = []
    if len(args) == 3:
        lower = cast(args[2], T.array_of(T.INT4)).array.to_pylist()
        if any(lb is not None and any(x != 1 for x in lb if x is not None) for lb in lower):
            raise HeliosError("arrays with lower bounds other than 1 are not supported by HeliosDB",
                              sqlstate="0A000")
    for x, dd in zip(a.to_pylist(), d.to_pylist(), strict=True):
        if dd is None:
            raise HeliosError("dimension array or low bound array cannot be null", sqlstate="22004")
        if any(k is None for k in dd):
            raise HeliosError("dimension values cannot be null", sqlstate="22004")
        if len(dd) > 6:
            raise HeliosError(f"number of array dimensions ({len(dd)}) exceeds the maximum allowed (6)",
                              sqlstate="54000")
        value: object = x
        for k in reversed(dd):
            value = [value] * k if not isinstance(value, list) else [list(value) for _ in range(k)]
        rows.append([] if not dd or any(k <= 0 for k in dd) else value)
    leaf = val.type.arrow_type if val.type.name != "numeric" else a.type
    arr, t = dims.from_rows(rows, T.array_of(val.type), leaf)
    return Vec(arr, t, s)


# ------------------------------------------------------------------------------ operators

def _contains_rows(a: list | None, b: list | None) -> bool | None:
    if a is None or b is None:
        return None
    sa = {x for x in a if x is not None}
    return all(y is not None and y in sa for y in b)


def array_operator(op: str, l: Vec, r: Vec) -> Vec:
    from helios_core.sql.functions.operators import no_operator

    if l.type.element is None and l.type.name != "unknown" or r.type.element is None and r.type.name != "unknown":
        raise no_operator(op, l.type, r.type)
    if l.type.name == "unknown":
        l = cast(l, r.type)
    if r.type.name == "unknown":
        r = cast(r, l.type)
    t = common_type([l.type, r.type])
    l, r = cast(l, t, context="implicit"), cast(r, t, context="implicit")
    (a, b), s = full([l, r])
    out = []
    # Per-row Python: set semantics over the elements (dimensions do not matter)
    for x, y in zip(dims.flatten_rows(a).to_pylist(), dims.flatten_rows(b).to_pylist(), strict=True):
        if op == "@>":
            out.append(_contains_rows(x, y))
        elif op == "<@":
            out.append(_contains_rows(y, x))
        else:
            out.append(None if x is None or y is None else
                       bool({v for v in x if v is not None} & {v for v in y if v is not None}))
    return Vec(pa.array(out, pa.bool_()), T.BOOL, s)


def any_all(op: str, left: Vec, arr: Vec, is_all: bool) -> Vec:
    """left op ANY(arr) / left op ALL(arr) with SQL's three-valued logic, vectorized.

    ANY: true if some comparison is true, else NULL if some is NULL, else false (empty: false).
    ALL: false if some comparison is false, else NULL if some is NULL, else true (empty: true).
    """
    from helios_core.sql.functions.operators import binary_op

    if arr.type.element is None:
        if arr.type.name == "unknown":
            arr = cast(arr, T.array_of(left.type if left.type.name != "unknown" else T.TEXT))
        else:
            raise HeliosError(f"op ANY/ALL (array) requires array on right side, not {arr.type}",
                              sqlstate="42809")
    n = length_of([left, arr])
    all_scalar = left.scalar and arr.scalar
    av = arr.broadcast(n)
    lv = left.broadcast(n)
    la = list_array(dims.flatten_rows(av.array))
    parents = pc.list_parent_indices(la)
    flat = pc.list_flatten(la)
    lefts = pc.take(lv.array, parents)
    cmp = binary_op(op, Vec(lefts, lv.type), Vec(flat, arr.type.element)).array
    lens = pc.list_value_length(la)
    if len(parents):
        tbl = pa.table({"p": parents,
                        "t": pc.cast(pc.fill_null(cmp, False), pa.int64()),
                        "f": pc.cast(pc.fill_null(pc.invert(cmp), False), pa.int64()),
                        "n": pc.cast(pc.is_null(cmp), pa.int64())})
        g = tbl.group_by("p").aggregate([("t", "sum"), ("f", "sum"), ("n", "sum")])
        idx = pc.index_in(pa.array(range(n), pa.int64()), value_set=g["p"].combine_chunks().cast(pa.int64()))
        has_t = pc.fill_null(pc.greater(pc.take(g["t_sum"].combine_chunks(), idx), 0), False)
        has_f = pc.fill_null(pc.greater(pc.take(g["f_sum"].combine_chunks(), idx), 0), False)
        has_n = pc.fill_null(pc.greater(pc.take(g["n_sum"].combine_chunks(), idx), 0), False)
    else:
        has_t = has_f = has_n = pa.repeat(pa.scalar(False), n)
    null_b = pa.scalar(None, pa.bool_())
    if is_all:
        out = pc.if_else(has_f, False, pc.if_else(has_n, null_b, True))
    else:
        out = pc.if_else(has_t, True, pc.if_else(has_n, null_b, False))
    out = pc.if_else(pc.is_null(lens), null_b, out)
    # a NULL left operand against a non-empty array compares NULL
    out = pc.if_else(pc.and_(pc.is_null(lv.array), pc.greater(pc.fill_null(lens, 0), 0)), null_b, out)
    return Vec(out, T.BOOL, all_scalar)


def unnest(v: Vec) -> tuple[pa.Array, Vec]:
    """unnest(array): (parent row index int64, element Vec), vectorized."""
    v = _array_arg(v, "unnest", [v])
    parents, values = dims.leaves(list_array(v.array))  # N dimensions unnest in storage order
    return parents, Vec(values, v.type.element)


def string_to_text_array(v: Vec) -> Vec:
    """Convenience for callers holding '{...}' literals."""
    return cast(v, T.array_of(T.TEXT))


# ------------------------------------------------------------------------------ assignment

@scalar("helios_array_assign", nargs=3)
def _array_assign(args: list[Vec]) -> Vec:
    """``SET a[i] = v`` (helios_core.sql.subscript_assignment): a one-dimensional array with element i
    replaced, NULLs filling the gap when i is past the end, as PostgreSQL. A NULL array becomes
    ARRAY[v] for i = 1; other lower bounds (i < 1, or i > 1 on a NULL array) are not built here."""
    v = _array_arg(args[0], "helios_array_assign", args)
    el = _el_arg(v, args[2])
    (a, idx, e), s = full([v, cast(args[1], T.INT8, context="implicit"), el])
    if dims.depth(list_array(a).type) > 1:
        raise HeliosError("assignment to an element of a multidimensional array is not supported by HeliosDB",
                          sqlstate="0A000")
    out = []
    for lst, i, x in zip(list_array(a).to_pylist(), idx.to_pylist(), e.to_pylist(), strict=True):
        if i is None:
            raise HeliosError("array subscript in assignment must not be null", sqlstate="22004")
        if i < 1 or (lst is None and i != 1) or (lst == [] and i != 1):
            raise HeliosError("arrays with lower bounds other than 1 are not supported by HeliosDB",
                              sqlstate="0A000")
        items = list(lst or [])
        if i > len(items):
            items.extend([None] * (i - len(items)))
        items[i - 1] = x
        out.append(items)
    return Vec(pa.array(out, list_array(a).type), v.type, s)
