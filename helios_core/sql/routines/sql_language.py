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

from helios_core.errors import HeliosError
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
    return [embedded_sql.bind_names(ast.copy(), names, (routine.name,), shadow) for ast in _parsed(routine.body)]


def run(session: Any, routine: Routine, values: list[Any]) -> embedded_sql.Outcome | None:
    """Run the body; the last statement's outcome (None when the body is empty)."""
    types = routine.in_types
    last = None
    for ast in statements(session, routine):
        last = embedded_sql.run(session, ast, values, types)
    return last
