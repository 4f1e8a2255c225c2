"""Integer SET values of a point UPDATE computed on Python ints instead of one-row Arrow arrays.

``SET abalance = abalance + $1`` (TPC-B's shape) evaluated through the compiled expression costs
several pyarrow kernel calls for one value. When every operand is an integer column, an integer
parameter or an integer constant, and the result's type is the target column's own type (no
assignment cast), the value is exactly Python's integer result checked against the result
type's range: PostgreSQL's int2/int4/int8 ``+`` and ``-`` raise 22003 "<type> out of range" on
overflow and give NULL for a NULL operand. Anything else keeps the compiled expression.
"""

from __future__ import annotations

from typing import Any

import attrs
from sqlglot import exp

from helios_core.errors import NumericValueOutOfRange
from helios_core.sql import types as T
from helios_core.sql.ddl import ident
from helios_core.sql.dml import _param_index
from helios_core.sql.functions.resolve import arithmetic_type

INT_TYPES = {"int2": "smallint", "int4": "integer", "int8": "bigint"}
_BOUND = {"int2": 1 << 15, "int4": 1 << 31, "int8": 1 << 63}
NOT_PLAIN = object()  # a value the Python evaluation does not cover: use the compiled expression


@attrs.frozen
class Operand:
    kind: str  # "column" (index into the row), "param" (index into the parameters) or "const"
    value: int
    type_name: str


@attrs.frozen
class IntAssignment:
    """``left [+|- right]`` of integer operands whose result has type ``type_name``."""

    left: Operand
    op: str | None
    right: Operand | None
    type_name: str

    def value(self, row: Any, params: list[Any]) -> Any:
        """The new value (None for NULL), or NOT_PLAIN when a parameter is not a plain int."""
        a = _operand(self.left, row, params)
        if self.op is None or a is NOT_PLAIN:
            return a
        b = _operand(self.right, row, params)  # type: ignore[arg-type]
        if b is NOT_PLAIN:
            return b
        if a is None or b is None:
            return None
        v = a + b if self.op == "+" else a - b
        bound = _BOUND[self.type_name]
        if not -bound <= v < bound:
            raise NumericValueOutOfRange(f"{INT_TYPES[self.type_name]} out of range")
        return v


def _operand(o: Operand, row: Any, params: list[Any]) -> Any:
    if o.kind == "const":
        return o.value
    v = row[o.value] if o.kind == "column" else (params[o.value] if o.value < len(params) else NOT_PLAIN)
    if v is None:
        return v
    bound = _BOUND[o.type_name]
    if type(v) is int and -bound <= v < bound:
        return v
    return NOT_PLAIN


def int_assignment(node: Any, target_type: Any, columns: dict[str, tuple[int, Any]], param_types: list[Any],
                   qualifiers: set[str]) -> IntAssignment | None:
    """``node`` as an IntAssignment to a column of ``target_type``, or None when it is another shape.

    ``columns``: name -> (index, SQL type) of the table's columns; ``qualifiers``: names a column
    reference may be qualified with (the table's name and alias)."""
    if target_type.name not in INT_TYPES:
        return None
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, (exp.Add, exp.Sub)):
        left = _int_operand(node.this, columns, param_types, qualifiers)
        right = _int_operand(node.expression, columns, param_types, qualifiers)
        if left is None or right is None:
            return None
        rt = arithmetic_type(T.type_from_name(left.type_name), T.type_from_name(right.type_name))
        if rt.name != target_type.name:
            return None
        return IntAssignment(left, "+" if isinstance(node, exp.Add) else "-", right, rt.name)
    one = _int_operand(node, columns, param_types, qualifiers)
    if one is None or one.type_name != target_type.name:
        return None
    return IntAssignment(one, None, None, one.type_name)


def _int_operand(node: Any, columns: dict[str, tuple[int, Any]], param_types: list[Any],
                 qualifiers: set[str]) -> Operand | None:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column):
        if node.table and node.table not in qualifiers:
            return None
        hit = columns.get(ident(node))
        if hit is None or hit[1].name not in INT_TYPES:
            return None
        return Operand("column", hit[0], hit[1].name)
    if isinstance(node, exp.Parameter):
        idx = _param_index(node)
        if idx is None or idx >= len(param_types) or param_types[idx] is None \
                or param_types[idx].name not in INT_TYPES:
            return None
        return Operand("param", idx, param_types[idx].name)
    negative = False
    if isinstance(node, exp.Neg):
        negative, node = True, node.this
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        v = -int(node.this) if negative else int(node.this)
        if -(1 << 31) < v < (1 << 31):  # an int4 constant (larger ones keep the compiled expression)
            return Operand("const", v, "int4")
    return None
