"""``f(a, VARIADIC array)``: the array's elements passed as the trailing arguments.

PostgreSQL hands a VARIADIC array to a variadic function as its elements (all of them, whatever
the dimensions, for ``VARIADIC "any"`` functions like json_build_array); a NULL array makes the
call NULL. The array must be known when the statement is planned (a constant), since the
number of arguments decides which function is called.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core.errors import FeatureNotSupported
from helios_core.sql.functions.array_dims import leaves
from helios_core.sql.functions.text_out import to_text


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



