"""SQL run from inside a routine: one statement in the session's current transaction.

Functions, procedures, DO blocks and triggers run their statements here, with values for
``$1..$n`` (Python values with their SQL types). Nothing here begins or ends a transaction
or a client statement: the routine runs inside the statement that called it, as in
PostgreSQL. A query's rows come back whole (routine bodies read what they need).

Names of parameters or variables are replaced by ``$n`` before a statement gets here
(``bind_names``), so a statement is parsed once and planned per execution with the values'
types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
from sqlglot import exp

from helios_core.errors import FeatureNotSupported
from helios_core.frontends.postgres import branch_syntax
from helios_core.frontends.postgres.dialect import Statement, Utility
from helios_core.sql import types as T

# utility statements (parsed by the PostgreSQL front end's own parser) a routine may run: DDL whose
# effects belong to the calling transaction
ROUTINE_UTILITIES = frozenset({"create_matview", "refresh_matview", "add_identity", "drop_identity",
                               "alter_identity", "column_attribute", "replica_identity", "set", "set_role",
                               "reset"})


@attrs.define
class Outcome:
    """What a statement did: its columns and rows (queries, RETURNING) and how many rows it touched."""

    columns: list[tuple[str, T.SqlType]]
    rows: list[tuple]
    row_count: int
    command: str


@attrs.define
class _Params:
    """What dml.execute reads of a prepared statement: the parameter types."""

    param_types: list[T.SqlType]
    cache: Any = None
    plan: Any = None


def run(session: Any, ast: Any, values: Sequence[Any] = (), types: Sequence[T.SqlType] = ()) -> Outcome:
    """Run one parsed statement with ``$n`` = ``values[n-1]`` (typed by ``types``)."""
    if isinstance(ast, Utility):
        if ast.kind not in ROUTINE_UTILITIES:  # transaction control and the like stay out of routines
            raise FeatureNotSupported(f"{ast.kind.upper().replace('_', ' ')} is not supported inside a routine")
        return outcome_of(session._utility(Statement(ast=ast, text="", offset=0)))
    if isinstance(ast, branch_syntax.BRANCH_STATEMENTS):
        raise FeatureNotSupported(f"{type(ast).__name__.replace('Branch', ' BRANCH').upper()} is not supported "
                                  "inside a routine")
    params = list(values)
    ptypes = list(types)
    if isinstance(ast, (exp.Query, exp.Values, exp.Subquery)):
        ctx = session.context(params=params, param_types=ptypes)
        plan = session.plan_query(ast, ctx)
        rows: list[tuple] = []
        for batch in plan.execute(ctx):
            cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            rows.extend(zip(*cols, strict=True))
        return Outcome(columns=list(plan.columns), rows=rows, row_count=len(rows), command="SELECT")
    if isinstance(ast, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        from helios_core.sql import dml

        result = dml.execute(session, ast, params, _Params(ptypes))
        return outcome_of(result)
    result = session._dispatch(Statement(ast=ast, text=ast.sql(dialect="postgres"), offset=0), params, None)
    return outcome_of(result)


def outcome_of(result: Any) -> Outcome:
    """A statement's Result as the rows and column types a routine reads."""
    from helios_core.sql.routines.definition import resolve_type

    cols = [(c.name, _type_of(c, resolve_type)) for c in result.columns or []]
    rows: list[tuple] = []
    for batch in result.batches or []:
        data = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        rows.extend(zip(*data, strict=True))
    tag = result.command_tag or ""
    count = int(tag.rsplit(" ", 1)[1]) if tag.rsplit(" ", 1)[-1].isdigit() else len(rows)
    return Outcome(columns=cols, rows=rows, row_count=count, command=tag.split(" ", 1)[0])


def _type_of(column: Any, resolve: Callable[[str], T.SqlType]) -> T.SqlType:
    try:
        return resolve(column.type_name)
    except Exception:  # noqa: BLE001 - a type only a plugin knows reads as text
        return T.TEXT


def bind_names(tree: exp.Expression, names: dict[str, int], qualifiers: Sequence[str] = (),
               shadowing: Callable[[exp.Expression], set[str]] | None = None) -> exp.Expression:
    """``tree`` with references to ``names`` (name -> parameter number) replaced by ``$n``.

    A bare name is a parameter unless a column of that name is in scope (``shadowing`` tells
    which names the statement's tables have: PostgreSQL's SQL functions prefer the column);
    ``qualifier.name`` (the routine's name) always is.
    """
    if not names:
        return tree
    source = tree.args.get("expression") if isinstance(tree, exp.Insert) else None
    if source is not None and shadowing is not None:
        # INSERT's VALUES / SELECT does not see the target table's columns: only its own tables shadow
        tree.set("expression", bind_names(source, names, qualifiers, shadowing))
    shadowed = shadowing(tree) if shadowing is not None else set()
    aliases = {t.alias_or_name for t in tree.find_all(exp.Table, exp.Subquery)}

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.args.get("db"):
            table = node.table
            name = node.name
            if table and table in qualifiers and name in names:
                return _placeholder(names[name])
            if not table and name in names and name not in shadowed:
                return _placeholder(names[name])
            if table and table in names and table not in aliases and not isinstance(node.this, exp.Star):
                # param.field of a composite-typed parameter: (param).field
                return exp.Dot(this=exp.Paren(this=_placeholder(names[table])), expression=node.this.copy())
        return node

    return tree.transform(swap)


def _placeholder(n: int) -> exp.Expression:
    return exp.Parameter(this=exp.Literal.number(n))


def table_columns(session: Any) -> Callable[[exp.Expression], set[str]]:
    """The column names of the tables a statement names (for ``bind_names``'s shadowing)."""
    def names_in(tree: exp.Expression) -> set[str]:
        from helios_core.sql.ddl import table_name

        txn = session.tx.current()
        out: set[str] = set()
        for t in tree.find_all(exp.Table):
            schema, name = table_name(session, t, txn)
            tdef = txn.get_table(schema, name)
            if tdef is not None:
                out.update(c.name for c in tdef.columns)
        return out

    return names_in
