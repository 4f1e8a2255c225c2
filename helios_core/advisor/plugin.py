"""Built-in plugin: ``heliosdb.index_advice()``, the indexes the observed statements would gain from.

For each statement of pg_stat_statements in the current database (as that view shows them:
a role sees its own, pg_read_all_stats everyone's), the statement is planned; every column a
scan of a whole table compares with a value (``=``, ``IN``, a range) is a candidate, and the
statement is planned again as if an index on that column existed (helios_core.advisor.what_if).
When that plan reads through the index, the statement's share of the saving is its total time
times the share of rows it would no longer read (time taken as proportional to rows read, as
a sequential scan's cost is). One row per candidate index: the statements it would help, their
total time and the estimated saving, largest first. Join and sort columns are not advised: the
executor joins by hashing and sorts whole inputs, so no plan of it would read them through an
index.

Register it like the other built-ins (``helios_core.plugins.DEFAULT_PLUGINS``).
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import pyarrow as pa
from sqlglot import exp

from helios_core import roles
from helios_core.advisor import what_if
from helios_core.frontends.postgres.dialect import parse
from helios_core.hookspecs import SqlTableFunction, hookimpl

COLUMNS = [("table_name", "text"), ("columns", "text[]"), ("create_statement", "text"), ("statements", "text[]"),
           ("total_time_ms", "float8"), ("estimated_saving_ms", "float8")]
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_$]*")


@attrs.define
class Advice:
    schema: str
    table: str
    column: str
    statements: list[str] = attrs.Factory(list)
    total_ms: float = 0.0
    saving_ms: float = 0.0


def quote(name: str) -> str:
    """An identifier as PostgreSQL prints it: bare when it is plain lower case, else double-quoted."""
    return name if _PLAIN_NAME.fullmatch(name) else '"' + name.replace('"', '""') + '"'


def observed_statements(session: Any) -> list[tuple[str, float]]:
    """(normalized text, total ms) of the statements pg_stat_statements shows this session in its database."""
    engine = session.engine
    graph = roles.role_graph(engine)
    me = session.user
    sees_all = graph.has_privs_of(me, "pg_read_all_stats")
    out: dict[str, float] = {}
    for (user, database, text), entry in engine.statement_stats.statement_rows():
        if database == session.database and (sees_all or graph.has_privs_of(me, user)):
            out[text] = out.get(text, 0.0) + entry.total_ms
    return sorted(out.items())


def _query_of(text: str) -> Any:
    """The query a statement's scans serve, when it reads a stored relation; else None."""
    try:
        statements = parse(text)
    except Exception:  # noqa: BLE001 - the statistics hold texts of every dialect
        return None
    if len(statements) != 1:
        return None
    query = what_if.as_query(statements[0].ast)
    if query is None or not any(isinstance(t.this, exp.Identifier) for t in query.find_all(exp.Table)):
        return None  # nothing to index (and a FROM-less call is not planned for nothing)
    return query


def _plan(session: Any, ast: Any, hypothetical: dict | None = None) -> tuple[Any, Any] | None:
    ctx = session.context()
    ctx.hypothetical_indexes = hypothetical
    try:
        return session.plan_query(ast.copy(), ctx), ctx
    except Exception:  # noqa: BLE001 - a statement that no longer plans (dropped table, ...) gets no advice
        return None


def advise(session: Any) -> list[Advice]:
    """The advice for the session's database, largest estimated saving first."""
    stats = what_if.Statistics(session.tx.current())
    found: dict[tuple[str, str, str], Advice] = {}
    for text, total_ms in observed_statements(session):
        query = _query_of(text)
        if query is None:
            continue
        planned = _plan(session, query)
        if planned is None:
            continue
        plan, ctx = planned
        candidates = what_if.candidate_columns(plan)
        if not candidates:
            continue
        before = sum(what_if.rows_read(plan, stats, ctx).values())
        if before <= 0:
            continue
        for schema, table, column in sorted(candidates):
            name = f"{table}_{column}_idx"
            planned = _plan(session, query, {(schema, table): [(name, column)]})
            if planned is None:
                continue
            plan2, ctx2 = planned
            if not any(s.index is not None and s.index[0] == name and s.table == table
                       for s in what_if.scans(plan2)):
                continue
            after = sum(what_if.rows_read(plan2, stats, ctx2).values())
            if after >= before:
                continue
            advice = found.setdefault((schema, table, column), Advice(schema, table, column))
            advice.statements.append(text)
            advice.total_ms += total_ms
            advice.saving_ms += total_ms * (before - after) / before
    return sorted(found.values(), key=lambda a: (-a.saving_ms, a.schema, a.table, a.column))


def _table(session: Any) -> pa.Table:
    path = session.search_path()
    rows = advise(session)
    names = [a.table if a.schema in path else f"{a.schema}.{a.table}" for a in rows]
    return pa.table({
        "table_name": pa.array(names, pa.string()),
        "columns": pa.array([[a.column] for a in rows], pa.list_(pa.string())),
        "create_statement": pa.array([f"CREATE INDEX ON {quote(a.schema)}.{quote(a.table)} ({quote(a.column)})"
                                      for a in rows], pa.string()),
        "statements": pa.array([a.statements for a in rows], pa.list_(pa.string())),
        "total_time_ms": pa.array([a.total_ms for a in rows], pa.float64()),
        "estimated_saving_ms": pa.array([a.saving_ms for a in rows], pa.float64()),
    })


def _bind(args: dict[str, Any]) -> tuple[list[tuple[str, str]], Any]:
    return COLUMNS, _table


@hookimpl
def helios_table_functions() -> list[SqlTableFunction]:
    return [SqlTableFunction(schema="heliosdb", name="index_advice", params=[], bind=_bind)]
