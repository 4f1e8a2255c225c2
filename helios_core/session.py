"""One client's session: user, database, branch, settings, current transaction.

This is the only door into the engine for protocol plugins (PostgreSQL, MongoDB,
ClickHouse). Methods are synchronous and CPU-bound: a protocol server calls
them from a worker thread (``anyio.to_thread.run_sync``) so the event loop
keeps serving other connections.

Contract (stable; protocol plugins rely on it)::

    session = kernel.open_session(user="helios", database="helios",
                                  options={"heliosdb.branch": "main"})
    for result in session.execute("insert into t values (1); select * from t"):
        result.command_tag      # "INSERT 0 1", "SELECT 1"
        result.columns          # None for commands; else list[ResultColumn]
        for batch in result.batches:   # pyarrow.RecordBatch, columns in order
            ...
    stmt = session.prepare("select * from t where id = $1", param_type_oids=[0])
    stmt.param_type_oids        # inferred PostgreSQL type OIDs of $1..$n
    stmt.columns                # ResultColumn list, or None when no rows
    result = session.execute_prepared(stmt, [42])   # python values or str/bytes
    session.transaction_status  # "I" idle, "T" in transaction, "E" failed
    session.cancel()            # from another thread: running statement -> 57014
    session.close()

COPY: ``execute("copy t from stdin ...")`` returns a Result with ``copy`` set
(a CopySpec) and no rows; the protocol decodes the client's data into Arrow
batches of ``copy.arrow_schema`` and calls ``session.copy_in(copy, batches)``.
``copy ... to stdout`` returns a Result whose batches are the rows to encode.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs


@attrs.define(kw_only=True)
class ResultColumn:
    """A result column as clients see it (PostgreSQL's RowDescription fields)."""

    name: str
    type_oid: int  # PostgreSQL type OID (23 int4, 25 text, 1700 numeric, ...)
    type_name: str  # SQL type name, e.g. "integer", "numeric(15,2)"
    typmod: int = -1
    type_size: int = -1
    table_oid: int = 0
    column_number: int = 0


@attrs.define(kw_only=True)
class CopySpec:
    """A COPY in progress: which table/columns, direction and format options."""

    table: str
    columns: list[str]
    direction: str  # "in" (FROM STDIN) or "out" (TO STDOUT)
    format: str = "text"  # "text" | "csv" | "binary"
    delimiter: str | None = None
    null: str | None = None
    header: bool = False
    quote: str = '"'
    escape: str | None = None
    arrow_schema: Any = None  # pyarrow.Schema of the columns, in order
    column_types: list[ResultColumn] = attrs.Factory(list)


@attrs.define(kw_only=True)
class Result:
    """The outcome of one statement."""

    command_tag: str
    columns: list[ResultColumn] | None = None
    batches: Iterable[Any] = ()  # pyarrow.RecordBatch
    copy: CopySpec | None = None
    notices: list[str] = attrs.Factory(list)

    def rows(self) -> list[tuple]:
        """All rows as Python tuples (convenience for tests and small results)."""
        out: list[tuple] = []
        for batch in self.batches:
            cols = [c.to_pylist() for c in batch.columns]
            out.extend(zip(*cols, strict=True))
        return out


@attrs.define(kw_only=True)
class PreparedStatement:
    """A statement parsed and planned once, executed many times."""

    sql: str
    param_type_oids: list[int]
    columns: list[ResultColumn] | None
    plan: Any = None  # engine-private


class Session:
    """Interface implemented by the SQL engine (helios_core.sql)."""

    user: str
    database: str

    @property
    def branch(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def transaction_status(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def settings(self) -> dict[str, str]:  # pragma: no cover - interface
        raise NotImplementedError

    def execute(self, sql: str) -> list[Result]:  # pragma: no cover - interface
        """Run every statement in ``sql`` (simple-query semantics); stops at the first error."""
        raise NotImplementedError

    def prepare(self, sql: str, param_type_oids: Sequence[int] = ()) -> PreparedStatement:  # pragma: no cover
        raise NotImplementedError

    def execute_prepared(self, stmt: PreparedStatement, params: Sequence[Any]) -> Result:  # pragma: no cover
        raise NotImplementedError

    def copy_in(self, copy: CopySpec, batches: Iterator[Any]) -> Result:  # pragma: no cover
        raise NotImplementedError

    def cancel(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError
