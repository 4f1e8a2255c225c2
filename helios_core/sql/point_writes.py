"""Point writes: DML statements that touch at most one row, found by their shape.

``UPDATE t SET ... WHERE pk = $1``, ``DELETE FROM t WHERE pk = $1`` (a whole one-column
primary key compared with a parameter or a constant) and ``INSERT INTO t ... VALUES (...)``
of one row, with no subquery, FROM/USING list or WITH. Such a statement is short; a protocol
may run it on its event loop (PreparedStatement.short). It can still meet a wait (a row or
table lock held by another transaction, a CPU quota): inside a protocol's time budget the
storage raises BudgetExceeded instead of waiting, the session rolls the statement back to
where it began (``run_undoable``), and the protocol runs it again in a worker thread.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core import time_budget


def is_point_write(ctx: Any, ast: Any) -> bool:
    """``ast`` is a DML statement of one row (see module docstring); ``ctx`` resolves its table."""
    if isinstance(ast, exp.Insert):
        values = ast.expression
        if not isinstance(values, exp.Values) or len(values.expressions) != 1 or ast.args.get("with"):
            return False
        return _no_subquery(ast)
    if not isinstance(ast, (exp.Update, exp.Delete)):
        return False
    if ast.args.get("from") or ast.args.get("using") or ast.args.get("with") or not _no_subquery(ast):
        return False
    where = ast.args.get("where")
    cond = where.this if where is not None else None
    if not isinstance(cond, exp.EQ):
        return False
    col, val = cond.this, cond.expression
    if not isinstance(col, exp.Column):
        col, val = val, col
    if not isinstance(col, exp.Column) or not isinstance(val, (exp.Parameter, exp.Literal)):
        return False
    table = ast.this
    if not isinstance(table, exp.Table):
        return False
    source = ctx.resolve_relation(table.db or None, table.name)
    if source is None or source.kind != "table":
        return False
    return list(getattr(source.table, "primary_key", None) or []) == [col.name]


def _no_subquery(ast: Any) -> bool:
    return ast.find(exp.Subquery, exp.Exists, exp.Select) is None


def run_undoable(session: Any, run: Any) -> Any:
    """Run a DML statement; inside a protocol's time budget, a BudgetExceeded (a wait it would
    have had) first undoes what the statement wrote, so that it can be run again elsewhere."""
    if not time_budget.active():
        return run()
    txn = session.tx.current()
    token = txn.savepoint()
    try:
        return run()
    except time_budget.BudgetExceeded:
        txn.rollback_to(token)
        raise
