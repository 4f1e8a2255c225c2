"""A scalar subquery of several columns is one tuple in ClickHouse:

    (SELECT toDate('2015-01-02'), 'Hello')  ->  (SELECT (toDate('2015-01-02'), 'Hello'))

so ``(SELECT 1, 'a').2`` reads its second column and ``(SELECT 1, 2 WHERE 0)`` is NULL. A
scalar subquery of an Array that gives no row is an error (125), an Array being never NULL. A
subquery read as rows (FROM, JOIN, IN, ANY/ALL, EXISTS, a part of a UNION) keeps its columns.
"""

from __future__ import annotations

from sqlglot import exp

from helios_protocol_clickhouse.names import hint_type

# where a subquery gives rows, not one value
_ROW_SOURCES = (exp.From, exp.Join, exp.In, exp.Any, exp.All, exp.Exists, exp.SetOperation, exp.CTE,
                exp.Lateral, exp.Table, exp.Union, exp.Insert, exp.Create)

_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.NullSafeEQ)


def rewrite(tree: exp.Expression) -> exp.Expression:
    for sub in list(tree.find_all(exp.Subquery)):
        select = sub.this
        if not isinstance(select, exp.Select) or sub.parent is None or isinstance(sub.parent, _ROW_SOURCES):
            continue
        if len(select.expressions) == 1 and (hint_type(select.expressions[0], select) or "").startswith("Array("):
            # no row is NULL, which an Array cannot be: an error
            sub.replace(exp.Anonymous(this="ch_scalar_array", expressions=[sub.copy()]))
            continue
        if len(select.expressions) < 2:
            continue
        if isinstance(sub.parent, _COMPARISONS) and any(isinstance(side, exp.Tuple) for side in (
                sub.parent.this, sub.parent.expression)):
            continue  # (a, b) = (SELECT x, y): compared as rows
        if any(isinstance(e, exp.Star) or isinstance(e, exp.Column) and isinstance(e.this, exp.Star)
               for e in select.expressions):
            continue
        items = [e.this if isinstance(e, exp.Alias) else e for e in select.expressions]
        select.set("expressions", [exp.Tuple(expressions=[i.copy() for i in items])])
    return tree
