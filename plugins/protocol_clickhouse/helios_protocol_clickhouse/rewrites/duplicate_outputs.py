"""A subquery may give one name to several equal expressions (``SELECT 2 AS b, 2 AS b``):
ClickHouse's outer query reads that name as the one column. SQL would call it ambiguous, so
when the outer query names its columns (no ``*``), the repeats are dropped:

    SELECT b FROM (SELECT 2 AS b, 2 AS b, 41 AS c) ...  ->  SELECT b FROM (SELECT 2 AS b, 41 AS c) ...

``SELECT *`` keeps them all, as ClickHouse shows them all.
"""

from __future__ import annotations

from sqlglot import exp


def rewrite(tree: exp.Expression) -> exp.Expression:
    for subquery in list(tree.find_all(exp.Subquery)):
        inner = subquery.this
        outer = subquery.parent.parent if isinstance(subquery.parent, exp.Join | exp.From) else subquery.parent
        if not isinstance(inner, exp.Select) or not isinstance(outer, exp.Select) or \
                any(isinstance(e, exp.Star) or isinstance(e, exp.Column) and isinstance(e.this, exp.Star)
                    for e in outer.expressions):
            continue
        _drop_repeats(inner)
    return tree


def _drop_repeats(select: exp.Select) -> None:
    seen: dict[str, str] = {}
    kept = []
    for item in select.expressions:
        if isinstance(item, exp.Alias):
            text = item.this.sql()
            if seen.get(item.alias) == text:
                continue
            seen.setdefault(item.alias, text)
        kept.append(item)
    if len(kept) < len(select.expressions):
        select.set("expressions", kept)
