"""The session a plugin's SQL function runs statements on: the calling statement's own.

A ``SqlFunction(with_session=True)`` (``heliosdb.mongo()`` of the MongoDB plugin) reads and
writes tables while the statement that called it runs, as a PL/pgSQL function does. Its
statements therefore belong to that statement and its transaction: none of them begins or
commits a transaction, finishes the caller's result stream or counts as a client statement,
and an error goes back to the caller, whose statement then fails (an open block needs
ROLLBACK, an implicit transaction rolls back). This view offers the part of the session
API (``helios_core.session.Session``) such a function needs: ``execute``, ``prepare`` and
``execute_prepared`` over SQL text, with results held whole. COPY is not offered: the
caller's statement is not a COPY.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import pyarrow as pa

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends import registry as dialects
from helios_core.session import Result, ResultColumn
from helios_core.sql import embedded_sql
from helios_core.sql import types as T
from helios_core.sql.catalog_views.functions import ACTIVE_SESSION
from helios_core.sql.functions import registry


@attrs.define
class InStatementPrepared:
    """A statement parsed once, with the SQL types of its ``$n`` parameters."""

    sql: str
    ast: Any
    param_types: list[T.SqlType]


class InStatementSession:
    """What a session-taking SQL function gets: statements run inside the calling one."""

    def __init__(self, session: Any) -> None:
        self._session = session

    @property
    def transaction_state(self) -> str:
        return self._session.transaction_state

    @property
    def branch(self) -> str:
        return self._session.branch

    @property
    def user(self) -> str:
        return self._session.user

    @property
    def database(self) -> str:
        return self._session.database

    def prepare(self, sql: str, param_type_oids: Sequence[int] = (), *, dialect: str = "postgres",
                param_types: Sequence[str | None] = ()) -> InStatementPrepared:
        if param_type_oids:
            raise FeatureNotSupported("parameter types given as OIDs inside a SQL function")
        statements = dialects.parse(sql, dialect)
        if len(statements) != 1:
            raise HeliosError("cannot insert multiple commands into a prepared statement", sqlstate="42601")
        types = [T.type_from_name(t) if t else T.TEXT for t in param_types]
        return InStatementPrepared(sql, statements[0].ast, types)

    def execute_prepared(self, stmt: InStatementPrepared, params: Sequence[Any], *,
                         stream: bool = False) -> Result:
        return _result(embedded_sql.run(self._session, stmt.ast, list(params), stmt.param_types))

    def execute(self, sql: str, dialect: str = "postgres") -> list[Result]:
        return [_result(embedded_sql.run(self._session, st.ast)) for st in dialects.parse(sql, dialect)]

    def copy_in(self, copy: Any, batches: Any) -> Result:
        raise FeatureNotSupported("COPY inside a SQL function")

    def close(self) -> None:
        """The caller's session stays open: nothing to do."""


def calling_session() -> InStatementSession | None:
    """The view of the session whose statement is running on this thread (None outside one)."""
    session = ACTIVE_SESSION.get()
    return None if session is None else InStatementSession(session)


registry.provide_session_view(calling_session)


def _result(outcome: embedded_sql.Outcome) -> Result:
    columns = [ResultColumn(name=name, type_oid=t.oid, type_name=t.sql_name()) for name, t in outcome.columns]
    batches = []
    if outcome.columns:
        arrays = [pa.array([row[i] for row in outcome.rows], t.arrow_type)
                  for i, (_, t) in enumerate(outcome.columns)]
        batches.append(pa.RecordBatch.from_arrays(arrays, names=[name for name, _ in outcome.columns]))
    return Result(kind=outcome.command, row_count=outcome.row_count, columns=columns, batches=batches,
                  command_tag=outcome.command)
