"""Geometric values in Arrow columns: parsing a column's texts, printing them under the session's
extra_float_digits, and applying operators and functions row by row.

Each distinct text of a batch is parsed once (a constant operand once per statement); NULL in
gives NULL out, as every geometric operator and function is strict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.sql import types as T
from helios_core.sql.functions import runtime
from helios_core.sql.functions.vec import Vec
from helios_core.sql.geometric import TYPE_NAMES
from helios_core.sql.geometric.text_io import PARSERS, Shape, format_shape, parse_canonical

_RESULT_TYPES = {"float8": T.FLOAT8, "bool": T.BOOL, "int4": T.INT4}


def result_type(name: str) -> T.SqlType:
    return _RESULT_TYPES.get(name) or T.type_from_name(name)


def values(arr: pa.Array, type_name: str) -> list[Any]:
    """The shapes of a column of stored (or input) texts; None for NULL."""
    parse = PARSERS[type_name]
    seen: dict[str, Any] = {}
    out = []
    for s in arr.cast(pa.string()).to_pylist():
        if s is None:
            out.append(None)
            continue
        v = seen.get(s)
        if v is None:
            v = seen[s] = parse_canonical(s, type_name) or parse(s)
        out.append(v)
    return out


def to_arrow(items: list[Any], t: T.SqlType) -> pa.Array:
    """Results as a column of ``t``: shapes as their canonical text, numbers and booleans as such."""
    if t.name in TYPE_NAMES:
        return pa.array([None if v is None else format_shape(v) for v in items], pa.string())
    return pa.array(items, t.arrow_type)


def parse_column(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """Text input: 22P02/22003 for a malformed value; valid ones become their canonical text."""
    return to_arrow(values(arr, t.name), t)


def text_column(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """Text output: the stored text itself at extra_float_digits >= 1, else re-printed."""
    digits = runtime.extra_float_digits()
    if digits >= 1:
        return arr.cast(pa.string())
    return pa.array([None if v is None else format_shape(v, digits) for v in values(arr, t.name)], pa.string())


def _rows(vecs: list[Vec]) -> tuple[list[list[Any]], bool]:
    columns = [len(v) for v in vecs if not v.scalar]
    n = max(columns) if columns else 1
    cols = []
    for v in vecs:
        if v.type.name in TYPE_NAMES:
            col = values(v.array, v.type.name)
        else:
            col = v.array.to_pylist()
        cols.append(col * n if v.scalar and len(col) == 1 and n != 1 else col)
    return cols, all(v.scalar for v in vecs)


def apply(fn: Callable[..., Any], t: T.SqlType, args: list[Vec]) -> Vec:
    """``fn`` over the rows of ``args`` (NULL when an argument is NULL), as a Vec of type ``t``."""
    cols, scalar = _rows(args)
    if len(cols) == 1:
        out = [None if a is None else fn(a) for a in cols[0]]
    elif len(cols) == 2:
        out = [None if a is None or b is None else fn(a, b) for a, b in zip(*cols, strict=True)]
    else:
        out = [None if any(a is None for a in row) else fn(*row) for row in zip(*cols, strict=True)]
    return Vec(to_arrow(out, t), t, scalar)


def shape_vec(items: list[Shape | None], type_name: str, scalar: bool) -> Vec:
    t = result_type(type_name)
    return Vec(to_arrow(items, t), t, scalar)
