"""INSTEAD OF triggers: INSERT, UPDATE and DELETE on a view run the view's trigger function per row.

A view's INSTEAD OF ROW triggers live in its catalog record ("triggers", records shaped like a
table's, timing "INSTEAD OF"). When a statement reaches a view that has one for its command
(directly, or through views above it that rewrite down to it), nothing is written by the
statement itself: each row is handed to the triggers, in name order, as NEW (INSERT, UPDATE)
and OLD (UPDATE, DELETE) records typed as the view's columns. A trigger that returns NULL
drops the row: it is not counted and RETURNING does not show it. RETURNING is computed from
the NEW a trigger returned (INSERT, UPDATE) or from OLD (DELETE), as PostgreSQL does. The WITH
CHECK OPTION conditions of views above are checked on the rows the triggers returned.

INSERT ... ON CONFLICT DO NOTHING leaves the rows to the triggers; an ON CONFLICT naming keys, or
DO UPDATE, is 42P10 (a view has no unique index), as in PostgreSQL. Not built (0A000, named):
UPDATE SET (a, b) = (...) through the triggers.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedColumn
from helios_core.frontends.postgres.dialect import parse
from helios_core.session import Result
from helios_core.sql.context import table_sql_columns
from helios_core.sql.ddl import ident
from helios_core.sql.triggers import firing
from helios_core.sql.triggers_catalog import INSTEAD_OF, OPTION
from helios_core.sql.updatable_views import check_rows
from helios_core.storage import ColumnDef, TableDef


def triggers_of(rec: dict) -> list[dict]:
    return list(rec.get(OPTION) or [])


def _view_table(session: Any, txn: Any, schema: str, name: str, rec: dict) -> TableDef:
    """A stand-in table with the view's columns, typed as its query gives them (trigger records,
    RETURNING and row batches are all shaped like a table)."""
    q = exp.select("*").from_(exp.Table(this=exp.to_identifier(name, quoted=True),
                                        db=exp.to_identifier(schema, quoted=True)))
    plan = session.plan_query(q, session.context(txn))
    names = list(rec.get("columns") or [n for n, _ in plan.columns])
    cols = [ColumnDef(n, t.arrow_type, True, {"sql_type": t.stored_name()})
            for n, (_, t) in zip(names, plan.columns, strict=False)]
    return TableDef(schema, name, cols, [], {OPTION: triggers_of(rec)}, 0)


def _typed(node: exp.Expression, t: Any) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build(t.stored_name(), dialect="postgres", udt=True))


def _types(view: TableDef) -> list[tuple[str, Any]]:
    return table_sql_columns(view)


def _insert_rows(session: Any, ast: exp.Insert, view: TableDef, rec: dict) -> exp.Select:
    """A query giving the INSERT's rows as whole view rows: the values named, the view's defaults
    (or NULL) for the other columns."""
    types = _types(view)
    target = ast.this
    names = [ident(c) for c in target.expressions] if isinstance(target, exp.Schema) else []
    known = {n for n, _ in types}
    for n in names:
        if n not in known:
            raise UndefinedColumn(f'column "{n}" of relation "{view.name}" does not exist')
    defaults = dict(rec.get("defaults") or {})
    source = ast.args.get("expression")
    if isinstance(source, exp.Values) and not names:
        first = source.expressions[0] if source.expressions else None
        width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
        names = [n for n, _ in types][:width]
    elif isinstance(source, exp.Select | exp.SetOperation) and not names:
        names = [n for n, _ in types][:len(source.selects)]

    def default(n: str, t: Any) -> exp.Expression:
        if n in defaults:
            return _typed(parse(f"select {defaults[n]}")[0].ast.expressions[0], t)
        return _typed(exp.Null(), t)

    if source is None or ast.args.get("default"):
        return exp.select(*[default(n, t).as_(n, quoted=True) for n, t in types])
    if isinstance(source, exp.Values):
        source = source.copy()
        for row in source.expressions:
            cells = row.expressions if isinstance(row, exp.Tuple) else [row]
            for j, cell in enumerate(cells):
                if j < len(names) and isinstance(cell, exp.Var) and cell.name.upper() == "DEFAULT":
                    t = dict(types)[names[j]]
                    cell.replace(default(names[j], t))
    inner = [f"_c{j}" for j in range(len(names))]
    src = exp.Subquery(this=source if not isinstance(source, exp.Values) else exp.select("*").from_(source),
                       alias=exp.TableAlias(this=exp.to_identifier("_src"),
                                            columns=[exp.to_identifier(c) for c in inner]))
    picks = []
    for n, t in types:
        if n in names:
            picks.append(_typed(exp.column(inner[names.index(n)], table="_src"), t).as_(n, quoted=True))
        else:
            picks.append(default(n, t).as_(n, quoted=True))
    return exp.select(*picks).from_(src)


def _matching_rows(ast: exp.Expression, view: TableDef, alias: str, extra: list[Any]) -> exp.Select:
    """``SELECT alias.<view columns> [, new values] FROM view AS alias [, extra] WHERE ...``."""
    types = _types(view)
    picks: list[exp.Expression] = [exp.column(n, table=alias, quoted=True) for n, _ in types]
    if isinstance(ast, exp.Update):
        kinds = dict(types)
        for e in ast.expressions:
            if not isinstance(e, exp.EQ) or not isinstance(e.this, exp.Column | exp.Identifier):
                raise FeatureNotSupported("UPDATE SET (a, b) = (...) of a view with INSTEAD OF triggers "
                                          "is not supported")
            n = ident(e.this.this if isinstance(e.this, exp.Column) else e.this)
            if n not in kinds:
                raise UndefinedColumn(f'column "{n}" of relation "{view.name}" does not exist')
            picks.append(_typed(e.expression.copy(), kinds[n]).as_(f"_new_{n}", quoted=True))
    table = exp.Table(this=exp.to_identifier(view.name, quoted=True), db=exp.to_identifier(view.schema, quoted=True),
                      alias=exp.TableAlias(this=exp.to_identifier(alias)))
    q = exp.select(*picks).from_(table)
    for t in extra:
        q = q.join(t.copy())
    where = ast.args.get("where")
    if where is not None:
        q = q.where(where.this.copy())
    return q


def _run(session: Any, ctx: Any, q: exp.Expression) -> list[pa.RecordBatch]:
    plan = session.plan_query(q, ctx)
    return [b for b in plan.execute(ctx) if b.num_rows]


def _as_view_rows(view: TableDef, arrays: list[pa.Array]) -> pa.RecordBatch:
    schema = pa.schema([pa.field(c.name, c.type) for c in view.columns])
    return pa.RecordBatch.from_arrays([a.cast(f.type) if a.type != f.type else a for a, f in zip(arrays, schema,
                                                                                                 strict=True)],
                                      schema=schema)


def execute(session: Any, ast: exp.Expression, schema: str, name: str, rec: dict,
            checks: list[tuple[str, exp.Expression]], params: Any, returning_result: Any) -> Result:
    """Run ``ast`` (INSERT/UPDATE/DELETE whose target is this view) through its INSTEAD OF triggers;
    ``returning_result`` is dml's (RETURNING over rows shaped like a table)."""

    txn = session.tx.current()
    ctx = session.context(txn, params)
    view = _view_table(session, txn, schema, name, rec)
    op = {exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE"}[type(ast)]
    target = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
    alias = ident(target.args["alias"].this) if target.args.get("alias") is not None else name
    n = len(view.columns)
    written: list[pa.RecordBatch] = []
    if op == "INSERT":
        conflict = ast.args.get("conflict")
        action = conflict.args.get("action") if conflict is not None else None
        if conflict is not None and (conflict.args.get("conflict_keys") or conflict.args.get("constraint")
                                     or action is None or action.name.upper() != "DO NOTHING"):
            # a view has no unique index to infer from; plain DO NOTHING leaves it to the triggers
            raise HeliosError("there is no unique or exclusion constraint matching the ON CONFLICT specification",
                              sqlstate="42P10")
        for b in _run(session, ctx, _insert_rows(session, ast, view, rec)):
            new, _kept = firing.before_rows(session, view, op, _as_view_rows(view, b.columns[:n]), None,
                                            timing=INSTEAD_OF)
            written.append(new)
    else:
        extra = list(ast.args.get("from_") or ast.args.get("from") or []) if op == "UPDATE" else \
            list(ast.args.get("using") or [])
        extra = [e.this if isinstance(e, exp.From) else e for e in extra]
        for b in _run(session, ctx, _matching_rows(ast, view, alias, extra)):
            old = _as_view_rows(view, b.columns[:n])
            if op == "DELETE":
                _none, kept = firing.before_rows(session, view, op, None, old, timing=INSTEAD_OF)
                written.append(old.take(pa.array(kept, pa.int64())))
                continue
            arrays = list(b.columns[:n])
            set_names = [f.name[len("_new_"):] for f in b.schema][n:]
            for j, col in enumerate(set_names):
                arrays[[c.name for c in view.columns].index(col)] = b.column(n + j)
            new, _kept = firing.before_rows(session, view, op, _as_view_rows(view, arrays), old, set(set_names),
                                            timing=INSTEAD_OF)
            written.append(new)
    written = [w for w in written if w is not None and w.num_rows]
    if checks and op != "DELETE":
        for w in written:
            check_rows(ctx, view, w, checks)
    count = sum(w.num_rows for w in written)
    tag = {"INSERT": f"INSERT 0 {count}", "UPDATE": f"UPDATE {count}", "DELETE": f"DELETE {count}"}[op]
    returning = ast.args.get("returning")
    if returning is not None:
        return returning_result(session, ctx, tag, view, alias, returning, written)
    return Result(command_tag=tag)
