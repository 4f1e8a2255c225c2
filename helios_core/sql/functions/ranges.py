"""Range and multirange constructors, functions (lower, upper, isempty, ...) and operators
(@> <@ && -|- << >>), over the values of ``range_io``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError, SyntaxError_
from helios_core.sql import types as T
from helios_core.sql.functions import range_algebra, text_in
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.range_io import (
    EMPTY,
    EMPTY_RANGE,
    LB_INC,
    LB_INF,
    UB_INC,
    UB_INF,
    PyRange,
    bound_values,
    canonical,
    contains,
    contains_element,
    from_arrow,
    from_arrow_multi,
    multirange_of_ranges,
    normalize,
    numeric_storage,
    overlaps,
    range_type_of,
    subtype_of,
    to_arrow,
    to_arrow_multi,
    union,
    upper_vs_lower,
)
from helios_core.sql.functions.registry import define, no_function
from helios_core.sql.functions.vec import Vec, full


def _ranges_of(v: Vec, n: int) -> list[list[PyRange] | None]:
    """Each row of a range or multirange Vec as a list of ranges (a range: itself, or none when empty)."""
    arr = v.broadcast(n).array
    if v.type.is_multirange:
        return from_arrow_multi(arr)
    return [None if r is None else ([] if r[0] & EMPTY else [r]) for r in from_arrow(arr)]


def range_operator(op: str, left: Vec, right: Vec) -> Vec:
    """@> <@ && -|- << >> &< &> + - * between ranges, multiranges and elements (one side at
    least a range)."""
    if op == "<@":
        return range_operator("@>", right, left)
    lt, rt = left.type, right.type
    if lt.name == "unknown" and (rt.is_range or rt.is_multirange):
        left = cast(left, rt, context="implicit")
        lt = rt
    if not (lt.is_range or lt.is_multirange):
        raise _no_operator(op, lt, rt)
    if rt.name == "unknown":
        right = cast(right, lt, context="implicit")
        rt = lt
    elif not (rt.is_range or rt.is_multirange):  # range @> element
        if op != "@>":
            raise _no_operator(op, lt, rt)
        right = cast(right, subtype_of(lt), context="implicit")
        (arrays, scalar) = full([left, right])
        n = len(arrays[0])
        rows, elems = _ranges_of(left, n), bound_values(right.broadcast(n).array)
        out = [None if rs is None or e is None else any(contains_element(r, e) for r in rs)
               for rs, e in zip(rows, elems, strict=True)]
        return Vec(pa.array(out, pa.bool_()), T.BOOL, scalar)
    if range_type_of(lt) != range_type_of(rt):
        raise _no_operator(op, lt, rt)
    if op in SET_OPERATORS:
        return _set_operator(op, left, right)
    (arrays, scalar) = full([left, right])
    n = len(arrays[0])
    lrows, rrows = _ranges_of(left, n), _ranges_of(right, n)

    def one(a: list[PyRange], b: list[PyRange]) -> bool:
        if op == "@>":
            return all(any(contains(x, y) for x in a) for y in b)
        if op == "&&":
            return any(overlaps(x, y) for x in a for y in b)
        if op == "-|-":
            return range_algebra.adjacent_lists(a, b)
        if op == "<<":
            return bool(a and b) and upper_vs_lower(a[-1], b[0]) < 0
        if op == ">>":
            return bool(a and b) and upper_vs_lower(b[-1], a[0]) < 0
        if op == "&<":
            return range_algebra.overleft(a, b)
        if op == "&>":
            return range_algebra.overright(a, b)
        raise _no_operator(op, lt, rt)

    out = [None if a is None or b is None else one(a, b) for a, b in zip(lrows, rrows, strict=True)]
    return Vec(pa.array(out, pa.bool_()), T.BOOL, scalar)


# range + range, multirange * multirange, ...: union, intersection, difference of one kind
SET_OPERATORS = ("+", "-", "*")


def _set_operator(op: str, left: Vec, right: Vec) -> Vec:
    lt, rt = left.type, right.type
    if lt.is_range != rt.is_range:
        raise _no_operator(op, lt, rt)
    sub = subtype_of(lt)
    (arrays, scalar) = full([left, right])
    if lt.is_range:
        fn = {"+": range_algebra.range_union, "-": range_algebra.range_minus,
              "*": range_algebra.intersect}[op]
        rows = [None if a is None or b is None else fn(sub, a, b)
                for a, b in zip(from_arrow(arrays[0]), from_arrow(arrays[1]), strict=True)]
        return Vec(to_arrow(rows, lt), lt, scalar)
    multi = {"+": lambda a, b: range_algebra.multi_union(a, b),
             "-": lambda a, b: range_algebra.multi_minus(sub, a, b),
             "*": lambda a, b: range_algebra.multi_intersect(sub, a, b)}[op]
    mrows = [None if a is None or b is None else multi(a, b)
             for a, b in zip(from_arrow_multi(arrays[0]), from_arrow_multi(arrays[1]), strict=True)]
    return Vec(to_arrow_multi(mrows, lt), lt, scalar)


def _no_operator(op: str, a: T.SqlType, b: T.SqlType) -> HeliosError:
    left = f"{a} " if a is not None else ""
    return HeliosError(f"operator does not exist: {left}{op} {b}", sqlstate="42883",
                       hint="No operator matches the given name and argument types. You might need to "
                            "add explicit type casts.")


def construct(t: T.SqlType, args: list[Vec]) -> Vec:
    """int4range(lower, upper [, bounds]) and the other range constructors."""
    sub = subtype_of(t)
    if len(args) not in (2, 3):
        raise no_function(t.name, args)
    lower, upper = (cast(a, sub, context="implicit") for a in args[:2])
    vecs = [lower, upper] + ([cast(args[2], T.TEXT, context="implicit")] if len(args) == 3 else [])
    (arrays, scalar) = full(vecs)
    n = len(arrays[0])
    los, ups = bound_values(arrays[0]), bound_values(arrays[1])
    bounds = arrays[2].to_pylist() if len(arrays) == 3 else ["[)"] * n
    rows: list[PyRange | None] = []
    for lo, up, b in zip(los, ups, bounds, strict=True):
        if b is None:
            raise HeliosError("range constructor flags argument must not be null", sqlstate="22004")
        flags = _BOUND_FLAGS.get(b)
        if flags is None:
            raise SyntaxError_("invalid range bound flags",
                               hint='Valid values are "[]", "[)", "(]", and "()".')
        rows.append(canonical(sub, flags, lo, up))
    return Vec(to_arrow(rows, t), t, scalar)


def range_constructor(t: T.SqlType, args: list[Vec]) -> Vec:
    """The constructor function of range or multirange type t (textrange('a', 'z'), ...)."""
    if t.is_multirange:
        return construct_multi(t, args)
    if len(args) not in (2, 3):
        raise no_function(t.name, args)
    return construct(t, args)


_BOUND_FLAGS = {"[]": LB_INC | UB_INC, "[)": LB_INC, "(]": UB_INC, "()": 0}


def construct_multi(t: T.SqlType, args: list[Vec]) -> Vec:
    """int4multirange(range, ...) and the other multirange constructors (variadic)."""
    rtype = range_type_of(t)
    if not args:
        return Vec(to_arrow_multi([[]], t), t, True)
    vecs = [cast(a, rtype, context="implicit") for a in args]
    (arrays, scalar) = full(vecs)
    cols = [from_arrow(a) for a in arrays]
    rows = []
    for i in range(len(arrays[0])):
        items = [c[i] for c in cols]
        if any(r is None for r in items):
            raise HeliosError("multirange values cannot contain null members", sqlstate="22004")
        rows.append(normalize(items))
    return Vec(to_arrow_multi(rows, t), t, scalar)


def _per_range(fn: Callable[[PyRange], Any], out_type: Callable[[T.SqlType], T.SqlType]):
    def impl(args: list[Vec]) -> Vec:
        (v,) = args
        t = v.type
        if v.type.name == "unknown":
            raise HeliosError("could not determine polymorphic type because input has type unknown",
                              sqlstate="42804")
        if not (t.is_range or t.is_multirange):
                raise no_function(impl.__name__, args)
        if t.is_multirange:
            rows = [None if rs is None else _span(rs) for rs in from_arrow_multi(v.array)]
        else:
            rows = from_arrow(v.array)
        rt = out_type(t)
        values = [None if r is None else fn(r) for r in rows]
        if rt.name == "numeric":
            return Vec(numeric_storage(text_in.decimals_to_array(values)), rt, v.scalar)
        return Vec(pa.array(values, rt.arrow_type), rt, v.scalar)

    return impl


def _span(rs: list[PyRange]) -> PyRange:
    """The multirange's bounds as one range (empty when it has none)."""
    if not rs:
        return EMPTY_RANGE
    return (rs[0][0] & (LB_INC | LB_INF)) | (rs[-1][0] & (UB_INC | UB_INF)), rs[0][1], rs[-1][2]


def _bool(_t: T.SqlType) -> T.SqlType:
    return T.BOOL


RANGE_FUNCTIONS: dict[str, Callable[[list[Vec]], Vec]] = {
    "lower": _per_range(lambda r: r[1], subtype_of),
    "upper": _per_range(lambda r: r[2], subtype_of),
    "isempty": _per_range(lambda r: bool(r[0] & EMPTY), _bool),
    "lower_inc": _per_range(lambda r: bool(r[0] & LB_INC), _bool),
    "upper_inc": _per_range(lambda r: bool(r[0] & UB_INC), _bool),
    "lower_inf": _per_range(lambda r: bool(r[0] & LB_INF), _bool),
    "upper_inf": _per_range(lambda r: bool(r[0] & UB_INF), _bool),
}


def _operator_functions() -> dict[str, tuple[str, str]]:
    """The functions behind the range operators (range_contains, multirange_overlaps_range, ...):
    name -> (operator, argument kinds: r a range, m a multirange, e an element)."""
    out: dict[str, tuple[str, str]] = {}
    for op, stem in (("@>", "contains"), ("<@", "contained_by"), ("&&", "overlaps"), ("-|-", "adjacent"),
                     ("<<", "before"), (">>", "after"), ("&<", "overleft"), ("&>", "overright")):
        out[f"range_{stem}"] = (op, "rr")
        out[f"range_{stem}_multirange"] = (op, "rm")
        out[f"multirange_{stem}_range"] = (op, "mr")
        out[f"multirange_{stem}_multirange"] = (op, "mm")
    out.update({"range_contains_elem": ("@>", "re"), "multirange_contains_elem": ("@>", "me"),
                "elem_contained_by_range": ("<@", "er"), "elem_contained_by_multirange": ("<@", "em")})
    for op, stem in (("+", "union"), ("-", "minus"), ("*", "intersect")):
        out[f"range_{stem}"] = (op, "rr")
        out[f"multirange_{stem}"] = (op, "mm")
    return out


OPERATOR_FUNCTIONS = _operator_functions()


def _operator_function(name: str, op: str, kinds: str, args: list[Vec]) -> Vec:
    """range_contains(a, b) and the like: the operator, once the arguments are of the kinds the
    name says (an unknown literal takes the kind from the other argument's range type)."""
    known = next((a.type for a in args if a.type.is_range or a.type.is_multirange), None)
    if known is None:
        raise no_function(name, args)
    rtype = range_type_of(known)
    want = {"r": rtype, "m": T.multirange_of_range(rtype)}
    typed = []
    for kind, a in zip(kinds, args, strict=True):
        if kind == "e":
            typed.append(a if a.type.name != "unknown" else cast(a, subtype_of(rtype), context="implicit"))
            continue
        target = want[kind]
        if a.type.name == "unknown" and target is not None:
            a = cast(a, target, context="implicit")
        if a.type.oid != target.oid:
            raise no_function(name, args)
        typed.append(a)
    return range_operator(op, typed[0], typed[1])


def _register() -> None:
    for name, rtype in T.RANGE_TYPES.items():
        define(name, lambda args, t=rtype: construct(t, args), nargs=(2, 3))
    for name, mtype in T.MULTIRANGE_TYPES.items():
        define(name, lambda args, t=mtype: construct_multi(t, args), nargs=(0, None))
    for name in ("isempty", "lower_inc", "upper_inc", "lower_inf", "upper_inf"):
        define(name, RANGE_FUNCTIONS[name], nargs=1)
    define("multirange", _multirange_of, nargs=1)
    for name, (op, kinds) in OPERATOR_FUNCTIONS.items():
        define(name, lambda args, name=name, op=op, kinds=kinds: _operator_function(name, op, kinds, args),
               nargs=2)
    define("range_merge", _range_merge, nargs=(1, 2))


def _multirange_of(args: list[Vec]) -> Vec:
    (v,) = args
    if not v.type.is_range:
        raise no_function("multirange", args)
    mt = T.multirange_of_range(v.type)
    return Vec(multirange_of_ranges(v.array, mt), mt, v.scalar)


def _range_merge(args: list[Vec]) -> Vec:
    if len(args) == 1:  # range_merge(multirange): the smallest range holding it
        (v,) = args
        if not v.type.is_multirange:
            raise no_function("range_merge", args)
        rt = range_type_of(v.type)
        rows = [None if rs is None else _span(rs) for rs in from_arrow_multi(v.array)]
        return Vec(to_arrow(rows, rt), rt, v.scalar)
    t = args[0].type
    if not (t.is_range and args[1].type == t):  # range_merge(anyrange, anyrange): one range type
        raise no_function("range_merge", args)
    (arrays, scalar) = full(args)
    out = []
    for a, b in zip(from_arrow(arrays[0]), from_arrow(arrays[1]), strict=True):
        if a is None or b is None:
            out.append(None)
        elif a[0] & EMPTY:
            out.append(b)
        elif b[0] & EMPTY:
            out.append(a)
        else:
            out.append(union(a, b))
    return Vec(to_arrow(out, t), t, scalar)


_register()
