"""A client's pipelined executions of one prepared one-row INSERT, run as multi-row INSERTs.

psycopg's ``executemany`` (and any pipelining client) sends ``Bind, Describe, Execute`` of the
same prepared ``INSERT INTO t VALUES ($1, $2)`` once per row, all before one Sync: one statement
per row, each paying the whole statement machinery (about 0.4 ms of the server's CPU a row,
against PostgreSQL's 15 us). Inside the transaction block those executions share, running the
rows as ``INSERT INTO t VALUES ($1, $2), ($3, $4), ...`` gives the same rows, defaults, sequence
values, constraint checks and privileges, in the same order: the bulk INSERT's prepared shape is
shared by the server's sessions (statement_cache.prepare_shared) and binds its parameters a column
at a time (prepared.bind_columns).

What would tell them apart is left to the one-by-one path: tables with triggers (a statement
trigger fires once per statement, an AFTER ROW trigger at its statement's end), RETURNING, ON
CONFLICT (a multi-row INSERT may not touch one row twice), anything but ``$1..$n`` in order. A
run that fails is undone (an internal savepoint, and the sequence values it took given back) and
None is returned, so the protocol runs the rows one by one and the client sees PostgreSQL's
answers: the rows before the bad one complete, the bad one's own error. Errors that belong to no row (a cancel, a lock or statement timeout, a
serialization failure) are raised as they are: the block has failed, as it would have there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.session import PreparedStatement, Result
from helios_core.sql import dml, prepared, sequences, statement_cache
from helios_core.sql.constant_lifting import parameter_rows_text
from helios_core.sql.triggers import firing

# rows per statement: powers of two, so a client's runs of any length take a few shapes only
CHUNKS = (1024, 512, 256, 128, 64, 32, 16, 8, 4, 2)
MIN_ROWS = 8  # fewer rows: the statement machinery of the run costs more than it saves
_SAVEPOINT = "\x00heliosdb pipelined rows"  # no client can name it (a NUL is never in SQL text)
# errors a row's values cause: the rows are run again one by one to find whose
_ROW_ERRORS = ("22", "23", "42", "44", "P0")
_HEAD = re.compile(r"\s*(insert\s+into\s.+?\svalues)\s*\(\s*\$1(?:\s*,\s*\$\d+)*\s*\)\s*;?\s*",
                   re.IGNORECASE | re.DOTALL)


def _head(session: Any, stmt: PreparedStatement) -> str | None:
    """``INSERT INTO t [(cols)] VALUES`` of a one-row INSERT whose cells are $1..$n in order, into
    a table without triggers; None for any other statement. The shape is kept with the plan; the
    table is looked at every time (a trigger may have been created since)."""
    pp = stmt.plan
    if pp is None or pp.statement is None or not isinstance(pp.statement.ast, exp.Insert):
        return None
    cache = pp.cache
    head = cache.get("pipelined_rows_head")
    if head is None:
        head = cache["pipelined_rows_head"] = _shape_head(stmt, pp.statement.ast) or False
    if not head:
        return None
    target = pp.statement.ast.this
    try:
        tdef, _ = dml._target(session, session.tx.current(), target.this if isinstance(target, exp.Schema) else target)
    except HeliosError:
        return None
    return None if firing.has_triggers(tdef) else head


def _shape_head(stmt: PreparedStatement, ast: exp.Insert) -> str | None:
    if any(ast.args.get(a) for a in ("returning", "conflict", "with", "with_", "overriding", "default")):
        return None
    source = ast.expression
    if not isinstance(source, exp.Values) or len(source.expressions) != 1:
        return None
    width = len(source.expressions[0].expressions)
    if not width or dml.values_parameters(source) != [[j] for j in range(width)] or \
            len(stmt.param_type_oids) != width:
        return None
    m = _HEAD.fullmatch(stmt.sql)
    return m.group(1) + " " if m is not None else None


def run(session: Any, stmt: PreparedStatement, rows: Sequence[Sequence[Any]]) -> Result | None:
    """Run ``stmt`` once per row of ``rows`` (see the module docstring): a Result whose row_count
    is the rows inserted, or None when nothing ran (not that kind of statement, not in a block,
    or a row's error: run them one by one)."""
    if len(rows) < MIN_ROWS or not session.tx.in_block or session.tx.failed:
        return None
    head = _head(session, stmt)
    if head is None:
        return None
    query = session.last_query
    session.tx.savepoint(_SAVEPOINT)
    with sequences.retry_log(session) as taken:
        try:
            done = 0
            for size in CHUNKS:
                while len(rows) - done >= size:
                    bulk = _bulk_statement(session, stmt, head, size)
                    session.execute_prepared(bulk, [v for row in rows[done:done + size] for v in row])
                    done += size
            for row in rows[done:]:
                session.execute_prepared(stmt, row)
        except HeliosError as exc:
            if exc.sqlstate[:2] not in _ROW_ERRORS:
                raise
            session.tx.rollback_to(_SAVEPOINT)
            session.tx.release(_SAVEPOINT)
            sequences.give_back(session, taken)  # the rows run again one by one take the same values
            return None
        finally:
            session.last_query = query
    session.tx.release(_SAVEPOINT)
    return Result(command_tag=f"INSERT 0 {len(rows)}")


def _bulk_statement(session: Any, stmt: PreparedStatement, head: str, size: int) -> PreparedStatement:
    """The prepared ``size``-row form of ``stmt`` (kept with its plan; its parameters typed as
    ``stmt``'s, row after row), shared by the server's sessions as any bulk INSERT's Parse is."""
    kept = stmt.plan.cache.setdefault("pipelined_rows", {})
    bulk = kept.get(size)
    if bulk is None:
        sql = head + parameter_rows_text(len(stmt.param_type_oids), size)
        oids, types = list(stmt.param_type_oids) * size, list(stmt.param_types) * size
        bulk = kept[size] = statement_cache.prepare_shared(
            session, sql, oids, types, lambda: prepared.prepare(session, sql, oids, param_types=types), short=True)
    return bulk
