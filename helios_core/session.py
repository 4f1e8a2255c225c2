"""One client's session: user, database, branch, settings, current transaction.

This is the only door into the engine for protocol plugins (PostgreSQL, MongoDB,
ClickHouse). Methods are synchronous and CPU-bound: a protocol server calls
them from a worker thread (``anyio.to_thread.run_sync``) so the event loop
keeps serving other connections.

Contract (stable; protocol plugins rely on it)::

    session = kernel.open_session(user="helios", database="helios",
                                  options={"heliosdb.branch": "main"})
    for result in session.execute("insert into t values (1); select * from t"):
        result.kind                 # "INSERT", "SELECT", "CREATE TABLE", ...
        result.row_count            # rows inserted/returned/...; None for commands without one
        result.columns              # None for commands; else list[ResultColumn]
        for batch in result.batches:   # pyarrow.RecordBatch, columns in order
            ...
    for result in session.stream("select * from big"):   # lazily: see "Streaming" below
        for batch in result.batches: ...
    stmt = session.prepare("select * from t where id = $1", param_types=["integer"])
    stmt.param_types            # SQL type names of $1..$n (given or inferred)
    stmt.columns                # ResultColumn list, or None when no rows
    result = session.execute_prepared(stmt, [42])   # python values or str/bytes
    session.execute_prepared_rows(stmt, [[1], [2], ...])  # a pipelined one-row INSERT's rows, or None
    session.execute_tree(sqlglot_tree, params)      # a front end that builds trees (MongoDB)
    session.transaction_state   # "idle", "in_transaction" or "failed"
    session.take_notifications()   # LISTEN/NOTIFY messages received (helios_core.session.Notification)
    session.cancel()            # from another thread: running statement -> 57014
    session.close()

Columns are described neutrally: a name, the SQL type's name as SQL spells it
(``"integer"``, ``"numeric(15,2)"``, ``"text[]"``) and whether it may hold NULL. A
protocol renders them in its own terms (``helios_protocol_pg.pg_types`` maps SQL types to
PostgreSQL's OIDs, typmods and sizes; command tags are built there from ``kind`` and
``row_count``). Values are Arrow arrays; ``helios_core.types`` turns them to and from the
types' text forms.

Streaming: ``stream(sql)`` runs the statements one at a time as the caller advances. A
query's Result carries a ``ResultStream`` as its ``batches``: the plan runs as batches are
read (a large SELECT's first batch leaves before the rest exists), ``row_count`` grows as
they pass and is final once the stream is exhausted. Reading the next Result first finishes
the previous one (its remaining batches are produced and dropped), and the implicit
transaction of the query string ends after the last. ``execute_prepared(..., stream=True)``
and ``execute_tree(..., stream=True)`` return such a Result directly; ``result.batches.close()``
stops it early. Errors found while producing batches are raised from the iteration.

Trying a cheap read inline: ``with time_budget(seconds): session.execute(sql)`` raises
``BudgetExceeded`` once the executor has spent the budget (see ``helios_core.time_budget``).
A write is tried the same way with ``time_budget(seconds, prepared_only=True)``: the engine
runs it only when it is a batch INSERT whose shape is already prepared and hands anything
else back (``BudgetExceeded``) before it writes, undoing what it wrote if the budget runs out;
the protocol then runs it in a worker thread. A statement handed back because it met another
transaction's row lock carries ``exc.lock_wait``: ``await exc.lock_wait.ended(seconds)``
waits on the protocol's asyncio loop for the lock (True: try the statement again; False: run it in
a worker, whose wait checks cancels, timeouts and deadlocks; see ``helios_core.storage.lock_wait``);
a cancel request meanwhile calls ``exc.lock_wait.interrupt()`` (from any thread), which ends the wait
with False and sets ``exc.lock_wait.interrupted``.

Ending a transaction block (``PreparedStatement.ends_block``, or a query string that is only
COMMIT/END/ROLLBACK/ABORT) cannot be tried and handed back: a commit must not run twice. When
``session.ending_is_quick()`` says it does little work, a protocol may run it on its event loop
directly (no budget); otherwise in a worker thread.

Worker threads: run each statement inside ``statement_turn()`` and wrap anything the statement
waits for outside the engine (the client's COPY data) in ``statement_waiting()``, then call
``statement_take_turn()``: statements of different sessions then take turns on the interpreter
instead of contending for it (see ``helios_core.statement_gate``; results never change).

COPY: ``execute("copy t from stdin ...")`` returns a Result with ``copy`` set
(a CopySpec) and no rows; the protocol decodes the client's data into Arrow
batches of ``copy.arrow_schema`` and calls ``session.copy_in(copy, batches)``.
``copy ... to stdout`` returns a Result whose batches are the rows to encode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs

from helios_core.statement_gate import running as statement_turn
from helios_core.statement_gate import take_turn as statement_take_turn
from helios_core.statement_gate import waiting as statement_waiting
from helios_core.time_budget import BudgetExceeded, time_budget
from helios_core.types import python_values

__all__ = [
    "BudgetExceeded",
    "CanonicalText",
    "CopySpec",
    "Notification",
    "PreparedStatement",
    "Result",
    "ResultColumn",
    "ResultStream",
    "Session",
    "add_backend_signaller",
    "remove_backend_signaller",
    "sql_function_names",
    "statement_take_turn",
    "statement_turn",
    "statement_waiting",
    "time_budget",
]


@attrs.define(kw_only=True)
class ResultColumn:
    """A result column: its name, SQL type (as SQL spells it) and nullability.

    ``type_name`` is the neutral description every protocol renders in its own terms
    (``sql_type`` is the same). ``type_oid``, ``typmod``, ``type_size``, ``table_oid`` and
    ``column_number`` are PostgreSQL's rendering, still filled by the SQL layer for its own
    callers; protocol plugins must derive wire types from ``type_name`` instead.
    """

    name: str
    type_oid: int = 25
    type_name: str = "text"  # SQL type name, e.g. "integer", "numeric(15,2)", "text[]"
    typmod: int = -1
    type_size: int = -1
    table_oid: int = 0
    column_number: int = 0
    nullable: bool | None = None  # None: not known (a computed column)

    @property
    def sql_type(self) -> str:
        return self.type_name


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
    header_match: bool = False  # HEADER MATCH (COPY FROM): the header line must name the columns
    quote: str = '"'
    escape: str | None = None
    arrow_schema: Any = None  # pyarrow.Schema of the columns, in order
    column_types: list[ResultColumn] = attrs.Factory(list)
    # CSV only: COPY TO quotes every non-NULL value of these columns; COPY FROM does not read an
    # unquoted NULL string as NULL in force_not_null's, and reads a quoted one as NULL in force_null's
    force_quote: list[str] = attrs.Factory(list)
    force_not_null: list[str] = attrs.Factory(list)
    force_null: list[str] = attrs.Factory(list)
    where: str | None = None  # COPY FROM ... WHERE condition: rows it is not true for are skipped
    # COPY FROM by an in-process caller (a protocol plugin that builds the Arrow batches itself): these
    # columns of a type held as its canonical text (jsonb, ...) arrive in exactly that text, as the
    # type's output writes it, so their input function is not run again (the MongoDB plugin's
    # documents: jsonb's parse of every inserted document was most of an insert's CPU). A caller
    # that sets it answers for the text; the wire protocols never set it.
    canonical_text: frozenset[str] = frozenset()


class CanonicalText(str):
    """A parameter of ``execute_prepared`` that is already its type's canonical text (jsonb's, as
    jsonb's output writes it): bound as stored, without running the type's input function again
    (the MongoDB plugin's documents in a point UPDATE, like ``CopySpec.canonical_text`` for COPY).
    A caller that passes one answers for the text; the wire protocols never do."""

    __slots__ = ()


def _split_tag(tag: str) -> tuple[str, int | None]:
    """("INSERT", 3) from "INSERT 0 3", ("CREATE TABLE", None) from "CREATE TABLE"."""
    words = tag.split()
    count = None
    while words and words[-1].isdigit():
        n = int(words.pop())
        if count is None:
            count = n
    return " ".join(words), count


@attrs.define(kw_only=True)
class Result:
    """The outcome of one statement.

    ``kind`` names the statement ("SELECT", "INSERT", "CREATE TABLE", ...), ``row_count``
    is the number of rows it returned or changed (None when that means nothing for it).
    ``command_tag`` is PostgreSQL's rendering kept for the SQL layer's own use; protocols
    build their own from ``kind`` and ``row_count``.
    """

    command_tag: str = ""
    columns: list[ResultColumn] | None = None
    batches: Iterable[Any] = ()  # pyarrow.RecordBatch (a ResultStream when streamed)
    copy: CopySpec | None = None
    notices: list[str] = attrs.Factory(list)
    kind: str = ""
    row_count: int | None = None
    # the output settings (TimeZone, DateStyle, ...) in effect when the statement ended, kept for a
    # query string of several statements: a later SET must not change how this one's rows render
    rendered_with: dict[str, Any] | None = None

    def __attrs_post_init__(self) -> None:
        if not self.kind and self.command_tag:
            self.kind, count = _split_tag(self.command_tag)
            if self.row_count is None:
                self.row_count = count

    @property
    def streaming(self) -> bool:
        return isinstance(self.batches, ResultStream)

    def rows(self) -> list[tuple]:
        """All rows as Python tuples (convenience for tests and small results)."""
        out: list[tuple] = []
        for batch in self.batches:
            cols = [python_values(c) for c in batch.columns]  # NaN numerics, ROW values as tuples
            out.extend(zip(*cols, strict=True))
        return out


class ResultStream:
    """The batches of a streamed query result, produced as they are read.

    ``produce`` yields the batches; ``finish`` (called exactly once, with the exception that
    ended production or None) releases what the statement held. ``result.row_count`` counts
    the rows that passed; it is final once ``done``.
    """

    def __init__(self, produce: Iterator[Any], finish: Callable[[BaseException | None], None]) -> None:
        self._produce = produce
        self._finish = [finish]
        self.result: Result | None = None
        self.rows = 0
        self.done = False

    def __iter__(self) -> ResultStream:
        return self

    def __next__(self) -> Any:
        if self.done:
            raise StopIteration
        try:
            batch = next(self._produce)
        except StopIteration:
            self._end(None)
            raise
        except BaseException as e:
            self._end(e)
            raise
        self.rows += batch.num_rows
        if self.result is not None:
            self.result.row_count = self.rows
        return batch

    def drain(self) -> None:
        """Produce (and drop) what is left, so the statement completes."""
        for _ in self:
            pass

    def close(self) -> None:
        """Stop producing; the statement ends here (as a portal closed before its last row)."""
        if self.done:
            return
        close = getattr(self._produce, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self._end(None)

    def on_finish(self, finish: Callable[[BaseException | None], None]) -> None:
        """Also call ``finish(error)`` when the stream ends (after the ones given before)."""
        self._finish.append(finish)

    def _end(self, error: BaseException | None) -> None:
        if self.done:
            return
        self.done = True
        if self.result is not None:
            self.result.row_count = self.rows
            self.result.command_tag = f"{self.result.kind} {self.rows}"
        for finish in self._finish:
            finish(error)


@attrs.define(kw_only=True)
class PreparedStatement:
    """A statement parsed and planned once, executed many times.

    ``param_types`` are the SQL type names of ``$1..$n`` (given or inferred);
    ``param_type_oids`` is PostgreSQL's rendering of them, kept for the SQL layer.
    """

    sql: str
    param_type_oids: list[int]
    columns: list[ResultColumn] | None
    plan: Any = None  # engine-private
    param_types: list[str] = attrs.Factory(list)
    # the parameters' pg_type OIDs as PostgreSQL's ParameterDescription names them: a domain's own
    # (``param_type_oids`` has its base type's, which is how values are read); [] = the same
    param_catalog_oids: list[int] = attrs.Factory(list)
    # every execution is short and never waits (a primary-key point read, BEGIN): a protocol may
    # run it on its event loop instead of handing it to a worker thread
    short: bool = False
    # COMMIT, END, ROLLBACK or ABORT of the transaction block (Session.ending_is_quick)
    ends_block: bool = False


@attrs.frozen(kw_only=True)
class Notification:
    """A NOTIFY another session (or this one) committed on a channel this session listens on."""

    sender_pid: int
    channel: str
    payload: str


class Session:
    """Interface implemented by the SQL engine (helios_core.sql)."""

    user: str
    database: str
    pid: int

    @property
    def branch(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def transaction_state(self) -> str:  # pragma: no cover - interface
        """"idle", "in_transaction" (a transaction block is open) or "failed" (it must be rolled back)."""
        raise NotImplementedError

    @property
    def transaction_status(self) -> str:  # pragma: no cover - interface
        """PostgreSQL's letter for ``transaction_state`` ("I", "T", "E"), kept for the SQL layer."""
        raise NotImplementedError

    @property
    def settings(self) -> dict[str, str]:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def settings_version(self) -> int:  # pragma: no cover - interface
        """A number that changes whenever one of the session's settings does (SET, RESET, SET LOCAL
        undone at a block's end, a routine's SET clause): equal numbers, equal ``settings``. A protocol
        that reports settings after each statement reads ``settings`` again only when it moved."""
        raise NotImplementedError

    @property
    def catalog_version(self) -> int:  # pragma: no cover - interface
        """A number that changes whenever a committed transaction changed some catalog: what a
        protocol caches from catalog queries (a table's columns) stays current while it holds."""
        raise NotImplementedError

    def statement_failed(self) -> None:  # pragma: no cover - interface
        """The protocol failed the last statement while it sent the result (a cancel request during
        COPY TO STDOUT): a transaction block is aborted, as after any error."""
        raise NotImplementedError

    def cursor_columns(self, name: str) -> list[ResultColumn] | None:  # pragma: no cover - interface
        """The columns of SQL cursor ``name`` that a statement of ``execute`` declared (DECLARE in a
        multi-statement query), None when there is none: a protocol's Describe and FETCH of it."""
        raise NotImplementedError

    def execute(self, sql: str, dialect: str = "postgres") -> list[Result]:  # pragma: no cover - interface
        """Run every statement in ``sql`` (simple-query semantics); stops at the first error."""
        raise NotImplementedError

    def stream(self, sql: str, dialect: str = "postgres") -> Iterator[Result]:  # pragma: no cover
        """``execute``, lazily: see "Streaming" in the module docstring."""
        raise NotImplementedError

    def execute_tree(self, tree: Any, params: Sequence[Any] = (), *,
                     stream: bool = False) -> Result:  # pragma: no cover - interface
        """Run one statement given as a sqlglot expression tree (``$n`` parameters bound to ``params``)."""
        raise NotImplementedError

    def prepare(self, sql: str, param_type_oids: Sequence[int] = (), *, dialect: str = "postgres",
                param_types: Sequence[str | None] = ()) -> PreparedStatement:  # pragma: no cover
        raise NotImplementedError

    def prepare_tree(self, tree: Any, param_types: Sequence[str | None] = ()
                     ) -> PreparedStatement:  # pragma: no cover - interface
        """Prepare one statement given as a sqlglot expression tree."""
        raise NotImplementedError

    def execute_prepared(self, stmt: PreparedStatement, params: Sequence[Any], *,
                         stream: bool = False) -> Result:  # pragma: no cover
        raise NotImplementedError

    def ending_is_quick(self) -> bool:
        """Ending the transaction block now (COMMIT, END, ROLLBACK, ABORT) does little work: nothing
        deferred to check, no cursor or temporary table to settle, no DDL, few written rows, and the
        log's fsyncs are quick. A protocol may then run that statement on its event loop, where a
        worker thread's two switches would cost more than the commit's own work."""
        return False

    def execute_point(self, stmt: PreparedStatement, params: Sequence[Any]) -> Result | None:
        """A shortcut a protocol may try before ``execute_prepared``: the same Result for a statement
        the engine can run as one primary-key read with nothing around it (pgbench -S), at a fraction
        of the cost, so that the protocol can run it on its event loop; None when it cannot (the
        protocol then calls ``execute_prepared``). Never waits for a lock or a quota."""
        return None

    def execute_prepared_rows(self, stmt: PreparedStatement, rows: Sequence[Sequence[Any]]) -> Result | None:
        """``execute_prepared(stmt, row)`` for every row of ``rows`` at once, inside a transaction
        block: what a client pipelining one prepared one-row INSERT sends (psycopg's executemany).
        The Result's ``row_count`` is the rows inserted. None when nothing ran: the statement is not a
        plain INSERT of ``$1..$n`` into a table without triggers, there is no open block, or a row
        failed (undone); the protocol then executes the rows one by one, and the client gets the
        answers PostgreSQL gives. Other errors (a cancel, a timeout) are raised: the block has failed.
        See ``helios_core.sql.pipelined_rows``."""
        return None

    def text_is_short(self, sql: str) -> bool:
        """A query text the session's statement cache holds as one short statement (a primary-key
        point read or write, BEGIN: ``PreparedStatement.short``, its numbers lifted out): a
        protocol may try ``execute(sql)`` on its event loop as it tries a short prepared one."""
        return False

    def execute_point_sql(self, sql: str) -> Result | None:
        """``execute_point`` for a simple-query text: the one Result ``execute(sql)`` would give when
        the text is a point read the session has already seen (its statement cache), else None."""
        return None

    def copy_in(self, copy: CopySpec, batches: Iterator[Any]) -> Result:  # pragma: no cover
        raise NotImplementedError

    def rendering(self, result: Result | None = None
                  ) -> contextlib.AbstractContextManager[None]:  # pragma: no cover - interface
        """A block in which values are rendered for this session (its TimeZone, its catalog functions):
        wrap value encoding that runs outside ``execute`` (a protocol's worker thread) in it. Given
        ``result``, in the settings its statement ended with (``SET TimeZone ...; SELECT ...`` in one
        query string renders the SELECT in the new zone, a SELECT before the SET in the old one)."""
        raise NotImplementedError

    def take_notices(self) -> list[Any]:  # pragma: no cover - interface
        """Notices raised since the last call that no Result carried (RAISE NOTICE in a function a
        streamed query called): HeliosErrors whose ``severity`` is NOTICE, WARNING, INFO ..."""
        raise NotImplementedError

    def take_notifications(self) -> list[Notification]:  # pragma: no cover - interface
        """The notifications delivered since the last call, oldest first (LISTEN/NOTIFY). A protocol
        passes them on when the client is outside a transaction block, as PostgreSQL does."""
        raise NotImplementedError

    @property
    def listening(self) -> bool:  # pragma: no cover - interface
        """True while the session listens on a channel: a protocol then watches for notifications
        even while the client is idle."""
        raise NotImplementedError

    def cancel(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def add_backend_signaller(signaller: Callable[[int, bool], bool]) -> None:
    """Offer ``pg_cancel_backend``/``pg_terminate_backend`` for a protocol's connections.

    ``signaller(pid, terminate)`` returns True when the pid was one of its connections and got
    the signal; the SQL functions ask each registered signaller in turn.
    """
    from helios_core.sql.catalog_views.functions import BACKEND_SIGNALLERS

    if signaller not in BACKEND_SIGNALLERS:
        BACKEND_SIGNALLERS.append(signaller)


def remove_backend_signaller(signaller: Callable[[int, bool], bool]) -> None:
    from helios_core.sql.catalog_views.functions import BACKEND_SIGNALLERS

    with contextlib.suppress(ValueError):
        BACKEND_SIGNALLERS.remove(signaller)


def sql_function_names() -> dict[str, bool]:
    """The names of the SQL functions statements can call (built in and registered by plugins),
    each with True for an aggregate: what a protocol's own function catalog is built from."""
    from helios_core.sql.functions import registry
    from helios_core.sql.planner.scalar import AGGREGATE_NAMES

    names = dict.fromkeys(registry.function_names(), False)
    names.update(dict.fromkeys(AGGREGATE_NAMES, True))
    return names
