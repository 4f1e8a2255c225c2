"""``f(a, VARIADIC array)``: the array's elements passed as the trailing arguments.

PostgreSQL hands a VARIADIC array to a variadic function as its elements (all of them, whatever
the dimensions, for ``VARIADIC "any"`` functions like json_build_array); a NULL array makes the
call NULL. The array must be known when the statement is planned (a constant), since the
number of arguments decides which function is called. num_nulls / num_nonnulls are the exception:
they count the elements of each row's array (``null_count``).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import types as T
from helios_core.sql.expr import Compiled
from helios_core.sql.functions.array_dims import leaves
from helios_core.sql.functions.text_out import to_text
from helios_core.sql.functions.vec import Vec


def expand(builder: Any, arg_asts: list[exp.Expression], scope: Any) -> list[exp.Expression] | None:
    """The arguments with the VARIADIC array spread out, or None when the array is NULL."""
    array = builder.compile(arg_asts[-1].this, scope)
    if array.const is None:
        raise FeatureNotSupported("VARIADIC with an array computed per row is not supported")
    if not array.type.is_array:
        raise FeatureNotSupported("VARIADIC argument must be an array")
    value = array.const.array.slice(0, 1)
    if not value[0].is_valid:
        return None
    element = array.type.element
    items = to_text(leaves(value)[1], element).to_pylist()
    spelled = element.sql_name()
    out = list(arg_asts[:-1])
    for text in items:
        literal = exp.Null() if text is None else exp.Literal.string(text)
        out.append(exp.Cast(this=literal, to=exp.DataType.build(spelled, dialect="postgres")))
    return out





# num_nulls / num_nonnulls take VARIADIC "any": with VARIADIC, they count the array's elements
NULL_COUNTERS = ("num_nulls", "num_nonnulls")


def _elements(value: Any) -> list[Any]:
    """Every element of a (maybe multidimensional) array value."""
    if not isinstance(value, list):
        return [value]
    return [e for item in value for e in _elements(item)]


def null_count(builder: Any, name: str, array_ast: exp.Expression, scope: Any) -> Compiled:
    """num_nulls(VARIADIC a) / num_nonnulls(VARIADIC a): the NULL (or non-NULL) elements of each row's
    array; NULL for a NULL array, 0 for an empty one, as PostgreSQL."""
    array = builder.compile(array_ast, scope)
    if array.type.name != "unknown" and not array.type.is_array:
        raise HeliosError("VARIADIC argument must be an array", sqlstate="42804")
    counting_nulls = name == "num_nulls"
    inner = array.fn

    def fn(b: Any, ctx: Any) -> Vec:
        v = inner(b, ctx)
        out = [None if row is None else sum((e is None) == counting_nulls for e in _elements(row))
               for row in v.array.to_pylist()]
        return Vec(pa.array(out, pa.int32()), T.INT4, v.scalar)

    return Compiled(T.INT4, fn, label=name)
