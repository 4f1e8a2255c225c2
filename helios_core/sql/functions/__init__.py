"""SQL scalar functions and operators over Arrow, with PostgreSQL's semantics.

Public API (used by the planner, DML, and protocol plugins):

- ``Vec``: an Arrow array + its SqlType; ``Vec.const(v, type)`` makes a broadcast constant.
- ``binary_op(op, l, r)`` / ``unary_op(op, v)``: operators ('+', '=', '||', 'like', '->>', ...).
- ``operand_types(op, lt, rt)``: the types PostgreSQL gives untyped literal operands of op.
- ``cast(v, type, context="assignment"|"explicit"|"implicit")``: conversions; to TEXT gives
  PostgreSQL's text output, from TEXT/UNKNOWN parses PostgreSQL's input syntax.
- ``call_function(name, args)``: scalar functions (42883 when unknown).
- ``common_type(types)``: the type of UNION/CASE/COALESCE branches.
- ``register_function(SqlFunction)``: plugin functions.
- ``to_storage(v, column_type, n)``: the exact Arrow array a column stores (INSERT/UPDATE/COPY).
- ``literal(value)``: the Vec of a SQL literal typed like PostgreSQL types literals.
- ``runtime.use(timezone=..., now=...)``: session TimeZone and transaction clock.
"""

from __future__ import annotations

from helios_core.sql.functions import runtime
from helios_core.sql.functions.cast import can_cast, cast, to_storage
from helios_core.sql.functions.literals import literal, number_literal, string_literal
from helios_core.sql.functions.operators import binary_op, operand_types, unary_op
from helios_core.sql.functions.registry import (
    call_function,
    declared_arg_types,
    declared_return_type,
    has_function,
    is_volatile,
    register_function,
)
from helios_core.sql.functions.resolve import common_type, implicitly_castable
from helios_core.sql.functions.text_out import to_text
from helios_core.sql.functions.vec import Vec
from helios_core.sql.geometric import functions as geometric_functions  # noqa: F401  (they register on import)

__all__ = [
    "Vec",
    "binary_op",
    "call_function",
    "can_cast",
    "cast",
    "common_type",
    "declared_arg_types",
    "declared_return_type",
    "has_function",
    "implicitly_castable",
    "is_volatile",
    "literal",
    "number_literal",
    "operand_types",
    "register_function",
    "runtime",
    "string_literal",
    "to_storage",
    "to_text",
    "unary_op",
]
