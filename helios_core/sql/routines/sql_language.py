"""LANGUAGE sql routines: the body's statements run in order with the arguments as ``$n``;
the last one's rows are the result (its first row's first column for a scalar function).

Arguments are referenced as ``$n`` or by name (a column of a table the statement reads takes
precedence over a parameter of the same name, as in PostgreSQL; ``function_name.param``
always means the parameter). The body is parsed once per text.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.sql import embedded_sql
from helios_core.sql.routines.definition import Routine


@functools.lru_cache(maxsize=256)
def _parsed(body: str) -> tuple[Any, ...]:
    return tuple(st.ast for st in dialect.parse(body))


def check_body(routine: Routine) -> None:
    """CREATE FUNCTION's check: the body parses, and a function's last statement returns rows."""
    stmts = _parsed(routine.body)
    if routine.is_procedure:
        return
    if not stmts:
        raise HeliosError("return type mismatch in function declared to return "
                          f"{routine.record.get('returns')}",
                          sqlstate="42P13", detail="Function's final statement must be SELECT or INSERT/UPDATE/DELETE "
                                                   "RETURNING.")
    last = stmts[-1]
    returns = routine.record.get("returns")
    if returns != "void" and not (isinstance(last, (exp.Query, exp.Values)) or (
            isinstance(last, (exp.Insert, exp.Update, exp.Delete)) and last.args.get("returning") is not None)):
        raise HeliosError(f"return type mismatch in function declared to return {returns}", sqlstate="42P13",
                          detail="Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING.")


def statements(session: Any, routine: Routine) -> list[Any]:
    """The body's statements with argument names bound to ``$n``."""
    names = {a["name"]: i for i, a in enumerate(routine.in_args, 1) if a.get("name")}
    shadow = embedded_sql.table_columns(session)
    return [ast if isinstance(ast, dialect.Utility) else
            embedded_sql.bind_names(ast.copy(), names, (routine.name,), shadow) for ast in _parsed(routine.body)]


def run(session: Any, routine: Routine, values: list[Any]) -> embedded_sql.Outcome | None:
    """Run the body; the last statement's outcome (None when the body is empty)."""
    types = routine.in_types
    last = None
    for ast in statements(session, routine):
        if isinstance(ast, dialect.Utility) and ast.kind == "call":
            last = _nested_call(session, routine, ast.args, values, types)
            continue
        if isinstance(ast, dialect.Utility):
            raise FeatureNotSupported(f"{ast.kind.replace('_', ' ').upper()} in an SQL function body is not supported")
        last = embedded_sql.run(session, ast, values, types)
    return last


def _nested_call(session: Any, routine: Routine, args: dict, values: list[Any], types: list[Any]
                 ) -> embedded_sql.Outcome:
    """CALL in an SQL routine's body: its arguments see the routine's parameters (by name or $n)."""
    from helios_core.sql.routines import statements as routine_statements

    positional, named = routine_statements.call_arguments(args["args"])
    texts = positional + [t for _, t in named]
    got: list[Any] = []
    got_types: list[Any] = []
    if texts:
        names = {a["name"]: i for i, a in enumerate(routine.in_args, 1) if a.get("name")}
        tree = embedded_sql.bind_names(dialect.parse(f"SELECT {', '.join(texts)}")[0].ast, names, (routine.name,))
        outcome = embedded_sql.run(session, tree, values, types)
        got, got_types = list(outcome.rows[0]), [t for _, t in outcome.columns]
    _routine, row = routine_statements.run_procedure(session, args["name"], got, got_types, len(positional),
                                                     [n for n, _ in named])
    if row is not None:
        raise FeatureNotSupported("calling procedures with output arguments is not supported in SQL functions")
    return embedded_sql.Outcome(columns=[], rows=[], row_count=0, command="CALL")
