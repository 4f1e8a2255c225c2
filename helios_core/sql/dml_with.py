"""WITH on INSERT, UPDATE, DELETE and MERGE: the WITH queries made visible where the statement reads.

``WITH aa AS (...) INSERT INTO t SELECT ... FROM aa``, ``... ON CONFLICT DO UPDATE SET v = (SELECT
... FROM aa)``, ``UPDATE t SET ... FROM aa``, ``DELETE FROM t USING aa``: the statement's queries
(its source SELECT, subqueries in VALUES, SET, WHERE, RETURNING) each get the WITH list in front
of their own, and a WITH query named in UPDATE ... FROM, DELETE ... USING or MERGE ... USING becomes
a subquery over it. The target table is never a WITH query, as in PostgreSQL.
"""

from __future__ import annotations

from sqlglot import exp

QUERIES = (exp.Select, exp.Union, exp.Intersect, exp.Except)


def _with_of(node: exp.Expression) -> exp.With | None:
    return node.args.get("with_") or node.args.get("with")


def _key(node: exp.Expression) -> str:
    return "with_" if "with_" in type(node).arg_types else "with"


def _in_query(node: exp.Expression, root: exp.Expression) -> bool:
    p = node.parent
    while p is not None and p is not root:
        if isinstance(p, QUERIES):
            return True
        p = p.parent
    return False


def _prefixed(query: exp.Expression, outer: exp.With) -> None:
    """Put the outer WITH list in front of the query's own (its own names hide the outer ones)."""
    own = _with_of(query)
    ctes = [c.copy() for c in outer.expressions]
    recursive = bool(outer.args.get("recursive"))
    if own is not None:
        mine = {c.alias_or_name for c in own.expressions}
        ctes = [c for c in ctes if c.alias_or_name not in mine] + list(own.expressions)
        recursive = recursive or bool(own.args.get("recursive"))
    query.set(_key(query), exp.With(expressions=ctes, recursive=recursive or None))


def distribute(ast: exp.Expression) -> exp.Expression:
    """The DML statement without its WITH, each of its queries carrying the WITH list instead."""
    outer = _with_of(ast)
    if outer is None or not outer.expressions:
        return ast
    ast = ast.copy()
    outer = _with_of(ast)
    ast.set(_key(ast), None)
    names = {c.alias_or_name for c in outer.expressions}
    target = ast.this
    for t in list(ast.find_all(exp.Table)):
        if t is target or t.name not in names or t.args.get("db") or _in_query(t, ast):
            continue
        if isinstance(target, exp.Schema) and t is target.this:
            continue
        if t.parent is target or (isinstance(t.parent, exp.Alias) and t.parent is target):
            continue
        alias = t.alias_or_name
        query = exp.select("*").from_(exp.Table(this=exp.to_identifier(t.name, quoted=True)))
        _prefixed(query, outer)
        t.replace(exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True))))
    for q in [n for n in ast.find_all(*QUERIES) if not _in_query(n, ast)]:
        _prefixed(q, outer)
    return ast
