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
    return Vec(pa.array(rows, pa.list_(_el_arrow(t.element, rows))), t, scalar_)


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
        raise HeliosError("multidimensional arrays are not supported by HeliosDB", sqlstate="0A000")
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


# ------------------------------------------------------------------------------ size functions

@scalar("cardinality")
def _cardinality(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "cardinality", args)
    return Vec(pc.list_value_length(list_array(v.array)).cast(pa.int32()), T.INT4, v.scalar)


@scalar("array_length", nargs=2)
def _array_length(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_length", args)
    dim = cast(args[1], T.INT4)
    (a, d), s = full([v, dim])
    lens = pc.list_value_length(list_array(a)).cast(pa.int32())
    ok = pc.and_(pc.equal(d, 1), pc.greater(lens, 0))
    return Vec(pc.if_else(ok, lens, pa.scalar(None, pa.int32())), T.INT4, s)


@scalar("array_upper", nargs=2)
def _array_upper(args: list[Vec]) -> Vec:
    return _array_length(args)


@scalar("array_lower", nargs=2)
def _array_lower(args: list[Vec]) -> Vec:
    v = _array_length(args)
    return Vec(pc.if_else(pc.is_valid(v.array), pa.scalar(1, pa.int32()), pa.scalar(None, pa.int32())),
               T.INT4, v.scalar)


@scalar("array_ndims")
def _array_ndims(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_ndims", args)
    lens = pc.list_value_length(list_array(v.array))
    return Vec(pc.if_else(pc.greater(lens, 0), pa.scalar(1, pa.int32()), pa.scalar(None, pa.int32())), T.INT4,
               v.scalar)


@scalar("array_dims")
def _array_dims(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_dims", args)
    lens = pc.list_value_length(list_array(v.array)).to_pylist()
    return Vec(pa.array([None if n is None or n == 0 else f"[1:{n}]" for n in lens], pa.string()), T.TEXT,
               v.scalar)


# ------------------------------------------------------------------------------ search

def _el_arg(arr_v: Vec, el: Vec) -> Vec:
    t = arr_v.type.element
    if el.type.name == "unknown" or el.type != t:
        return cast(el, t, context="implicit")
    return el


@scalar("array_position", nargs=(2, 3))
def _array_position(args: list[Vec]) -> Vec:
    v = _array_arg(args[0], "array_position", args)
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
    el = _el_arg(v, args[1])
    (a, b), s = full([v, el])
    out = [None if lst is None else [i + 1 for i, y in enumerate(lst) if y == x]
           for lst, x in zip(a.to_pylist(), b.to_pylist(), strict=True)]
    return Vec(pa.array(out, pa.list_(pa.int32())), T.array_of(T.INT4), s)


# ------------------------------------------------------------------------------ building

def _concat_lists(a: Vec, b: Vec) -> Vec:
    t = common_type([a.type, b.type])
    a, b = cast(a, t, context="implicit"), cast(b, t, context="implicit")
    (x, y), s = full([a, b])
    x, y = list_array(x), list_array(y)
    if x.type != y.type:
        y = y.cast(x.type) if not pa.types.is_decimal(x.type.value_type) else y
    rows = []
    # Per-row Python: list concatenation keeping NULL-array rules (NULL || arr = arr)
    for p, q in zip(x.to_pylist(), y.to_pylist(), strict=True):
        if p is None and q is None:
            rows.append(None)
        else:
            rows.append((p or []) + (q or []))
    return _from_py(rows, t, s)


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
    rows = [None if lst is None else [nw if y == x else y for y in lst] for lst, x, nw in
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
    la = list_array(v.array)
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
    val, dims = args[0], cast(args[1], T.array_of(T.INT4))
    if val.type.name == "unknown":
        val = cast(val, T.TEXT)
    (a, d), s = full([val, dims])
    rows = []
    for x, dd in zip(a.to_pylist(), d.to_pylist(), strict=True):
        if dd is None or len(dd) != 1:
            raise HeliosError("HeliosDB supports one-dimensional arrays only", sqlstate="0A000")
        rows.append([x] * dd[0])
    return Vec(pa.array(rows, pa.list_(val.type.arrow_type if val.type.name != "numeric" else a.type)),
               T.array_of(val.type), s)


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
    # Per-row Python: set semantics over list values
    for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True):
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
    la = list_array(av.array)
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
    la = list_array(v.array)
    return pc.list_parent_indices(la).cast(pa.int64()), Vec(pc.list_flatten(la), v.type.element)


def string_to_text_array(v: Vec) -> Vec:
    """Convenience for callers holding '{...}' literals."""
    return cast(v, T.array_of(T.TEXT))
