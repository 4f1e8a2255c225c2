"""The rules PostgreSQL puts on data-modifying WITH queries, and the order they run in.

A data-modifying WITH query (INSERT/UPDATE/DELETE/MERGE) of a WITH RECURSIVE list may not read
itself (42P19); one without RETURNING may not be read by the statement (0A000). Each runs once,
before the main statement: in list order, except that under WITH RECURSIVE a query that reads
a later one of the list runs after it (PostgreSQL lets it read forward there). What each one
may read: the WITH queries before it, and under RECURSIVE all the others too.
"""

from __future__ import annotations

from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql.window_placement import position_of

WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge)


def _reads(node: exp.Expression, name: str) -> list[exp.Table]:
    return [t for t in node.find_all(exp.Table) if t.name == name and not t.args.get("db")]


def _targets(node: exp.Expression) -> set[int]:
    """ids of the tables a data-modifying statement writes (its target is not a read of a WITH query)."""
    target = node.this.this if isinstance(node.this, exp.Schema) else node.this
    return {id(target)} if isinstance(target, exp.Table) else set()


def _name_node(cte: exp.CTE) -> exp.Expression:
    return cte.args.get("alias") or cte


def check(statement: exp.Expression, with_: exp.With) -> None:
    """Raise PostgreSQL's error for a data-modifying WITH query it does not allow."""
    recursive = bool(with_.args.get("recursive"))
    for cte in with_.expressions:
        body = cte.this
        if not isinstance(body, WRITES):
            continue
        name = cte.alias_or_name
        if recursive and [t for t in _reads(body, name) if id(t) not in _targets(body)]:
            raise HeliosError(f'recursive query "{name}" must not contain data-modifying statements',
                              sqlstate="42P19", position=position_of(_name_node(cte)))
        if body.args.get("returning") is None:
            for t in _reads(statement, name):
                if t.find_ancestor(exp.CTE) is cte or any(id(t) in _targets(c.this) for c in with_.expressions
                                                          if isinstance(c.this, WRITES)):
                    continue
                if t is (statement.this.this if isinstance(statement.this, exp.Schema) else statement.this):
                    continue
                raise FeatureNotSupported(f'WITH query "{name}" does not have a RETURNING clause',
                                          position=position_of(t))


def order(with_: exp.With) -> list[int]:
    """Indexes of the data-modifying WITH queries in the order they run."""
    ctes = list(with_.expressions)
    names = {c.alias_or_name: i for i, c in enumerate(ctes)}
    recursive = bool(with_.args.get("recursive"))
    out: list[int] = []
    state: dict[int, str] = {}

    def visit(i: int) -> None:
        if state.get(i) == "done":
            return
        if state.get(i) == "visiting":  # they read each other: list order decides
            return
        state[i] = "visiting"
        if recursive:
            for t in ctes[i].this.find_all(exp.Table):
                j = names.get(t.name)
                if j is not None and j != i and not t.args.get("db") and isinstance(ctes[j].this, WRITES):
                    visit(j)
        state[i] = "done"
        if isinstance(ctes[i].this, WRITES):
            out.append(i)

    for i in range(len(ctes)):
        visit(i)
    return out


def visible_to(with_: exp.With, k: int) -> list[exp.CTE]:
    """The WITH queries the k-th one may read: those before it, or under RECURSIVE all the others
    (a data-modifying one only once it has run and stands for its RETURNING rows)."""
    ctes = [c for i, c in enumerate(with_.expressions) if i != k] if with_.args.get("recursive") else \
        list(with_.expressions[:k])
    return [c for c in ctes if not isinstance(c.this, WRITES)]
