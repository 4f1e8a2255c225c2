"""Predicate pushdown: a filter right above a table scan becomes part of the scan.

Before::

    Filter id >= 42000 AND id <= 42004 AND label LIKE 'row%'
      Scan big [id, label]

After::

    Scan big [id, label] prune: id >= 42000, id <= 42004 filter: id >= 42000 AND id <= 42004 AND label LIKE 'row%'

The terms that compare a column with a per-execution constant (``prune``) reach storage:
a segment whose min/max statistics or bloom filter of keys rule a term out is never read
(EXPLAIN ANALYZE: "Segments: n read, m skipped"). The scan then evaluates every term on
the rows it reads (``filter``), column terms first. When equalities pin the whole primary
key (and the scan is not AS OF a past timestamp) the scan is a point read through the key
index instead, and evaluates only the other terms::

    Filter id = 7 AND grp = 3            ->   Scan big [id, grp] key: id filter: grp = 3
      Scan big [id, grp]

A term comparing the leading column of a secondary index (``=``, ``IN``, a range; hash
indexes: ``=`` and ``IN``) makes the scan read through that index: storage reads each chunk
only at the rows the index finds, and the scan still evaluates every term::

    Filter grp = 3                       ->   Scan big [grp, label] index: big_grp_idx prune: grp = 3 filter: grp = 3
      Scan big [grp, label]

Why the terms are not handed to storage as a row filter: the in-memory tier would apply
it to whole stored batches before projecting, which costs more than filtering the
projected columns in the scan (TPC-H Q6: 2x); ``PUSH_ROW_FILTERS`` switches that on.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlglot import exp

from helios_core.logical import index_choice
from helios_core.logical import nodes as L
from helios_core.logical.pure_terms import is_pure

PUSH_ROW_FILTERS = False


def push_filters_into_scans(node: Any) -> Any:
    if not isinstance(node, L.Filter) or node.scan_terms is None:
        return node
    scan = node.child
    if not isinstance(scan, L.Scan) or scan.residual or scan.pk_lookup or scan.pushed:
        return node
    pushed = [t for term in node.scan_terms if term.pushable for t in term.pushable]
    equal = {t.column: t.values[0] for t in pushed if t.op == "="}
    pk = scan.primary_key
    if pk and all(k in equal for k in pk) and scan.as_of is None and scan.index_use is None:
        scan.pk_lookup = [(k, equal[k]) for k in pk]
        keep = [i for i, term in enumerate(node.scan_terms) if not pins_key(term, pk)]
        scan.residual = [node.part(i) for i in keep]
        scan.residual_simple = [simple_level(node.scan_terms[i], scan.fields) for i in keep]
        scan.residual_pure = all(is_pure(node.scan_terms[i].ast, scan.fields) for i in keep)
        scan.residual_text = " AND ".join(node.scan_terms[i].text for i in keep)
        return scan
    if PUSH_ROW_FILTERS:
        scan.pushed = pushed
        keep = [i for i, term in enumerate(node.scan_terms) if not term.pushable]
        scan.residual = [node.part(i) for i in keep]
        scan.residual_text = " AND ".join(node.scan_terms[i].text for i in keep)
        return scan
    if scan.indexes and scan.as_of is None and scan.index_use is None:
        scan.index = index_choice.choose(scan.indexes, pushed)
    scan.prune_terms = pushed
    scan.residual = list(node.parts)
    scan.residual_simple = [simple_level(term, scan.fields) for term in node.scan_terms]
    scan.residual_pure = all(is_pure(term.ast, scan.fields) for term in node.scan_terms)
    scan.residual_text = node.text
    return scan


def simple_level(term: L.ScanTerm, fields: list[Any] | None = None) -> int:
    """0: not ``column op constant``; 1: one over a fixed-width column (a comparison costs next to
    nothing per row), or a comparison of two of the scan's columns of one fixed-width type (TPC-H
    Q12's ``l_shipdate < l_commitdate``: filtering the batch after it alone copied every column);
    2: one over a string column (hashing or comparing bytes per row: the scan evaluates it on the
    rows the others leave, see operators.basic.apply_scan_terms)."""
    if term.pushable is None:
        return 1 if fields is not None and (_fixed_width_columns_compared(term.ast, fields)
                                             or _numeric_column_against_constant(term.ast, fields)) else 0
    strings = any(pa.types.is_string(t.arrow_type) or pa.types.is_large_string(t.arrow_type)
                  or pa.types.is_binary(t.arrow_type) or pa.types.is_large_binary(t.arrow_type)
                  for t in term.pushable if t.arrow_type is not None)
    return 2 if strings else 1


def pins_key(term: L.ScanTerm, pk: list[str]) -> bool:
    """``key_column = value``: answered by the point read itself."""
    return term.pushable is not None and len(term.pushable) == 1 and term.pushable[0].op == "=" \
        and term.pushable[0].column in pk


_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_FIXED_WIDTH = frozenset({"bool", "int2", "int4", "int8", "float4", "float8", "date", "time", "timestamp",
                          "timestamptz"})


def _column_types(fields: list[Any]) -> dict[str, Any]:
    types: dict[str, Any] = {}
    for f in fields:
        types.setdefault(f.name, f.type)
    return types


def _numeric_constant(node: exp.Expression) -> bool:
    """A number written in the statement (or negated), or a parameter."""
    if isinstance(node, exp.Neg):
        node = node.this
    return isinstance(node, (exp.Placeholder, exp.Parameter)) or \
        (isinstance(node, exp.Literal) and not node.is_string)


def _numeric_column_against_constant(ast: exp.Expression, fields: list[Any]) -> bool:
    """``numeric_column op number`` or ``numeric_column BETWEEN number AND number``: storage does
    not take it when the number's type is not the column's (``l_quantity < 24``, TPC-H Q6), yet
    it costs one comparison of the column's unscaled integers per row
    (``functions.decimal_compare``), so it is evaluated with the other cheap terms and their
    masks combined before one filter."""
    node = ast.unnest() if isinstance(ast, exp.Paren) else ast
    if isinstance(node, exp.Between) and not node.args.get("symmetric"):
        column, constants = node.this, [node.args.get("low"), node.args.get("high")]
    elif isinstance(node, _COMPARISONS):
        column, constants = node.this, [node.expression]
        if not isinstance(column, exp.Column):
            column, constants = node.expression, [node.this]
    else:
        return False
    if not isinstance(column, exp.Column) or not all(c is not None and _numeric_constant(c) for c in constants):
        return False
    t = _column_types(fields).get(column.name)
    # up to 18 digits: compared through 8 bytes or fewer a value; a wider decimal's comparison
    # costs ~3 ns a row in Arrow, better spent on the rows the other terms leave
    return t is not None and t.name == "numeric" and t.domain is None and t.labels is None and t.element is None \
        and pa.types.is_decimal128(t.arrow_type) and t.arrow_type.precision <= 18


def _fixed_width_columns_compared(ast: exp.Expression, fields: list[Any]) -> bool:
    """``column op column``, both of the scan and of one built-in fixed-width type (no domain)."""
    node = ast.unnest() if isinstance(ast, exp.Paren) else ast
    if not isinstance(node, _COMPARISONS):
        return False
    left, right = node.this, node.expression
    if not isinstance(left, exp.Column) or not isinstance(right, exp.Column):
        return False
    types = _column_types(fields)
    tl, tr = types.get(left.name), types.get(right.name)
    return all(t is not None and t.name in _FIXED_WIDTH and t.domain is None and t.labels is None
               and t.element is None for t in (tl, tr)) and tl.name == tr.name
