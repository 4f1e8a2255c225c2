"""enum_first, enum_last and enum_range: an enum type's labels, read from the argument's type."""

from __future__ import annotations

import pyarrow as pa

from helios_core.sql import types as T
from helios_core.sql.enum_labels import check_safe
from helios_core.sql.functions.registry import define, no_function
from helios_core.sql.functions.vec import Vec, full


def _labels(name: str, args: list[Vec]) -> tuple[str, ...]:
    """The labels of the enum the arguments are of (an untyped NULL beside an enum value takes its type)."""
    labels = _enum_of(args).labels if args else None
    if labels is None:
        raise no_function(name, args)
    return labels


def _enum_of(args: list[Vec]) -> T.SqlType:
    return next((a.type for a in args if a.type.labels is not None), args[0].type)


def _enum_first(args: list[Vec]) -> Vec:
    first = _labels("enum_first", args)[0]
    check_safe(args[0].type, [first])
    return Vec(pa.array([first], pa.string()), args[0].type, True)


def _enum_last(args: list[Vec]) -> Vec:
    last = _labels("enum_last", args)[-1]
    check_safe(args[0].type, [last])
    return Vec(pa.array([last], pa.string()), args[0].type, True)


def _enum_range(args: list[Vec]) -> Vec:
    """enum_range(x): every label; enum_range(a, b): the labels from a to b (NULL: from the first/to the last)."""
    labels = list(_labels("enum_range", args))
    t = _enum_of(args)
    at = T.array_of(t)
    if len(args) == 1:
        check_safe(t, labels)
        return Vec(pa.array([labels], at.arrow_type), at, True)
    arrays, scalar = full(args)
    out = []
    for lo, hi in zip(arrays[0].to_pylist(), arrays[1].to_pylist(), strict=True):
        start = 0 if lo is None else labels.index(lo)
        stop = len(labels) if hi is None else labels.index(hi) + 1
        out.append(labels[start:stop])
        check_safe(t, labels[start:stop])
    return Vec(pa.array(out, at.arrow_type), at, scalar)


define("enum_first", _enum_first, nargs=1)
define("enum_last", _enum_last, nargs=1)
define("enum_range", _enum_range, nargs=(1, 2))
