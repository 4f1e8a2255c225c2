"""ClickHouse functions onto the shared function library (PostgreSQL's names and shapes).

    count()            -> count(*)
    arrayJoin(a)       -> unnest(a)
"""

from __future__ import annotations

from sqlglot import exp


def _rewrite_node(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Count) and node.this is None and not node.expressions:
        return exp.Count(this=exp.Star())
    if isinstance(node, exp.Explode):
        return exp.Anonymous(this="unnest", expressions=[node.this.copy()])
    return node


def rewrite(tree: exp.Expression) -> exp.Expression:
    return tree.transform(_rewrite_node)
