"""Choosing the geometric operator an expression calls, from its operands' types.

As in PostgreSQL, an untyped literal operand takes the other operand's type when an operator
exists for that pair, else the type of the one operator of that name the known side has; no
operator for the types is 42883 ``operator does not exist: point = point``. Subscripts read a
point's coordinates (``p[0]``, ``p[1]``) and the two points of an lseg or a box.
"""

from __future__ import annotations

import pyarrow as pa

from helios_core.errors import HeliosError, UndefinedFunction
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.vec import Vec
from helios_core.sql.geometric import TYPE_NAMES
from helios_core.sql.geometric.operators import BINARY, PREFIX
from helios_core.sql.geometric.vectors import apply, result_type

_BINARY_SYMBOLS = frozenset(k[0] for k in BINARY)
_PREFIX_SYMBOLS = frozenset(k[0] for k in PREFIX)


def involves(*vecs: Vec) -> bool:
    return any(v.type.name in TYPE_NAMES for v in vecs)


def handles_binary(op: str, l: Vec, r: Vec) -> bool:
    """Whether ``l op r`` is for this module: a geometric operand and a symbol of a geometric
    operator (``'x' || point`` is text concatenation, left to the other operators)."""
    return op in _BINARY_SYMBOLS and involves(l, r)


def handles_prefix(op: str, v: Vec) -> bool:
    return op in _PREFIX_SYMBOLS and involves(v)


def involves_type(t: T.SqlType) -> bool:
    return t.name in TYPE_NAMES


def _no_operator(op: str, left: T.SqlType | None, right: T.SqlType) -> HeliosError:
    lead = f"{left} " if left is not None else ""
    return UndefinedFunction(f"operator does not exist: {lead}{op} {right}",
                             hint="No operator matches the given name and argument types. You might need to "
                                  "add explicit type casts.")


def _typed(v: Vec, name: str) -> Vec:
    return v if v.type.name == name else cast(v, T.type_from_name(name), context="implicit")


def operator_key(op: str, ln: str, rn: str) -> tuple[str, str, str] | None:
    """The operator ``op`` between types named ``ln`` and ``rn`` (one may be ``unknown``)."""
    key = (op, ln, rn)
    if key in BINARY:
        return key
    if ln == "unknown" and (op, rn, rn) in BINARY:
        return (op, rn, rn)
    if rn == "unknown" and (op, ln, ln) in BINARY:
        return (op, ln, ln)
    options = [k for k in BINARY if k[0] == op and (
        (ln == "unknown" and k[2] == rn) or (rn == "unknown" and k[1] == ln))]
    return options[0] if len(options) == 1 else None


def operand_types(op: str, left: T.SqlType, right: T.SqlType) -> tuple[T.SqlType, T.SqlType] | None:
    """The types an untyped literal operand takes beside a geometric one (None: no such operator)."""
    key = operator_key(op, left.name, right.name)
    if key is None:
        return None
    return T.type_from_name(key[1]), T.type_from_name(key[2])


def binary(op: str, l: Vec, r: Vec) -> Vec:
    """``l op r`` where an operand is geometric (42883 when PostgreSQL has no such operator)."""
    key = operator_key(op, l.type.name, r.type.name)
    if key is None:
        raise _no_operator(op, l.type, r.type)
    fn, result = BINARY[key]
    return apply(fn, result_type(result), [_typed(l, key[1]), _typed(r, key[2])])


def prefix(op: str, v: Vec) -> Vec:
    entry = PREFIX.get((op, v.type.name))
    if entry is None:
        raise _no_operator(op, None, v.type)
    fn, result = entry
    return apply(fn, result_type(result), [v])


def has_prefix(op: str) -> bool:
    return any(k[0] == op for k in PREFIX)


def subscript(v: Vec, index: Vec) -> Vec:
    """point[0|1] is a float8 coordinate; lseg[0|1] and box[0|1] a point; other indexes NULL."""
    name = v.type.name
    if name == "point":
        out_type = T.FLOAT8
    elif name in ("lseg", "box"):
        out_type = T.POINT
    else:
        raise HeliosError(f"cannot subscript type {v.type} because it does not support subscripting",
                          sqlstate="42804")

    def pick(shape, i):
        return shape[i] if i in (0, 1) else None

    return apply(pick, out_type, [v, Vec(index.array.cast(pa.int64()), T.INT8, index.scalar)])



