"""Which WHERE terms of a scan are pure: built-in comparisons, LIKE, IN lists and boolean logic
over columns of built-in scalar types and constants.

Such a term reads nothing but its row and the statement's parameters and calls no user code
(no functions, subqueries, user-defined types, domains or casts to them), so evaluating it on
one batch cannot affect another: the scan may filter several batches at once in worker
threads (sql/operators/parallel_map.py). Anything not listed here is treated as impure.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

_NODES = (exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Parameter, exp.Placeholder,
          exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Between, exp.In, exp.Like, exp.ILike,
          exp.Escape, exp.Is, exp.Not, exp.And, exp.Or, exp.Paren, exp.Cast, exp.DataType,
          exp.DataTypeParam, exp.Interval, exp.Var, exp.Neg)
_COLUMN_TYPES = frozenset({"bool", "int2", "int4", "int8", "float4", "float8", "numeric", "text", "varchar",
                           "bpchar", "date", "time", "timestamp", "timestamptz", "interval"})


def is_pure(term: exp.Expression, fields: list[Any]) -> bool:
    """``term`` (bound over a scan whose output is ``fields``) is pure in the sense above."""
    types = {}
    for f in fields:
        types.setdefault(f.name, f.type)
    for node in term.walk():
        if not isinstance(node, _NODES):
            return False
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.USERDEFINED:
            return False
        if isinstance(node, exp.Column):
            t = types.get(node.name)
            if t is None or t.name not in _COLUMN_TYPES or t.domain is not None or t.labels is not None \
                    or t.element is not None:
                return False
    return True
