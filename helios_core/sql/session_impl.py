"""SqlSession: the SQL engine's implementation of helios_core.session.Session.

One object per client connection. ``execute`` parses a whole query string (nothing
runs if any statement has a syntax error, as in PostgreSQL), then runs its statements
in order inside an implicit transaction (or the explicit block), stopping at the first
error. The error raised carries ``partial_results``: the Results of the statements
that completed before it (a protocol sends those before the ErrorResponse).

Statements are dispatched by kind: queries go to the planner (helios_core.sql.planner),
DDL to ddl.py, DML to dml.py, COPY to copy.py, session commands (SET, SHOW, BEGIN,
SAVEPOINT, PREPARE, branches, roles) are handled here and in transactions.py.

Functions that need the session (for the planner/functions layer, via ``ctx.session``):
``nextval(name)``, ``currval(name)``, ``setval(name, value, is_called=True)``,
``lastval()``, ``current_setting(name, missing_ok=False)``, ``set_config(name, value,
is_local)``, plus the attributes ``user``, ``database``, ``branch``, ``pid``.
"""

from __future__ import annotations

import contextlib
import decimal
import re
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pyarrow as pa
from sqlglot import exp

from helios_core import branching, plugin_extensions, statement_gate, statement_stats, time_budget
from helios_core.errors import FeatureNotSupported, HeliosError, QueryCanceled, from_engine_failure
from helios_core.frontends import registry as dialects
from helios_core.frontends.postgres import branch_syntax, dialect
from helios_core.frontends.postgres.dialect import Statement, Utility
from helios_core.session import CopySpec, PreparedStatement, Result, ResultColumn, ResultStream, Session
from helios_core.sql import (
    clustering,
    column_attributes,
    composite_types,
    constraints,
    ddl,
    ddl_privileges,
    deep_nesting,
    deferred_checks,
    dml,
    dml_privileges,
    domains,
    drop_unbuilt,
    foreign_data,
    foreign_tables,
    in_statement,  # noqa: F401  (gives session-taking SQL functions their view of the session)
    maintenance,
    matviews,
    notifications,
    object_privileges,
    owned_objects,
    pipelined_rows,
    point_reads,
    point_writes,
    prepared,
    privilege_functions,
    publications,
    range_type_ddl,
    replica_identity,
    schema_elements,
    sequences,
    session_identity,
    set_schema,
    storage_parameters,
    transactions,
    types,
    user_types,  # noqa: F401  (installs the lookup of CREATE TYPE's types)
)
from helios_core.sql.explain import explain_json, explain_write_json
from helios_core.sql.extensions import catalog as extensions_catalog
from helios_core.sql.functions import runtime
from helios_core.sql.planner import system_columns
from helios_core.sql.point_reads import point_read_of
from helios_core.sql.point_writes import run_undoable
from helios_core.sql.routines import notices as plpgsql_notices
from helios_core.sql.routines import statements as routine_statements
from helios_core.sql.row_security import statements as rls_statements
from helios_core.sql.settings import SUPERUSER_SETTINGS, Settings, display_name, parse_duration_ms
from helios_core.sql.statement_cache import StatementCache, bad_string_position, prepare_shared
from helios_core.sql.transactions import TransactionState
from helios_core.sql.triggers import statements as trigger_statements
from helios_core.sql.user_aggregates import statements as aggregate_statements
from helios_core.storage.errors import ReadOnlyTransaction

# PostgreSQL's typlen per type OID (RowDescription's type size)
_TYPE_SIZE = {16: 1, 18: 1, 19: 64, 20: 8, 21: 2, 23: 4, 24: 4, 26: 4, 700: 4, 701: 8, 1082: 4,
              1083: 8, 1114: 8, 1184: 8, 1186: 16, 1266: 12, 2205: 4, 2206: 4, 2950: 16}


def plan_result_columns(plan: Any, txn: Any) -> list[ResultColumn]:
    """A plan's ResultColumns; a column that reads a table's column unchanged names its table's
    OID and the column's number, as PostgreSQL's RowDescription does."""
    fields = [f for f in getattr(plan.root, "fields", []) if not f.hidden]
    if len(fields) != len(plan.columns):
        fields = [None] * len(plan.columns)
    out = []
    for (name, t), f in zip(plan.columns, fields, strict=True):
        origin = getattr(f, "origin", None)
        table = txn.get_table(origin[0], origin[1]) if origin is not None and txn is not None else None
        names = [c.name for c in table.columns] if table is not None else []
        if table is not None and origin[2] in names:
            out.append(result_column(name, t, table_oid=system_columns.table_oid(table, origin[0], origin[1]),
                                     column_number=names.index(origin[2]) + 1))
        else:
            out.append(result_column(name, t))
    return out


def result_column(name: str, sql_type: Any, *, table_oid: int = 0, column_number: int = 0,
                  nullable: bool | None = None) -> ResultColumn:
    """A ResultColumn for a SqlType (D's helios_core.sql.types.SqlType); a domain is described
    as its base type, as PostgreSQL's RowDescription does."""
    if getattr(sql_type, "domain", None) is not None or getattr(getattr(sql_type, "element", None), "domain", None):
        sql_type = types.without_domain(sql_type)
    oid = int(getattr(sql_type, "oid", 25))
    if oid == 705:  # unknown -> text, as PostgreSQL reports an untyped literal column
        oid = 25
    sql_name = sql_type.sql_name() if hasattr(sql_type, "sql_name") else str(sql_type)
    if oid == 25:
        sql_name = "text"
    return ResultColumn(
        name=name,
        type_oid=oid,
        type_name=sql_name,
        typmod=int(getattr(sql_type, "typmod", -1)),
        type_size=_TYPE_SIZE.get(oid, -1),
        table_oid=table_oid,
        column_number=column_number,
        nullable=nullable,
    )


def _using_session(session: Any) -> Any:
    """Make ``session`` the ACTIVE_SESSION that session-aware SQL functions read."""
    try:
        from helios_core.sql.catalog_views.functions import using_session
    except ImportError:  # pragma: no cover - catalog views absent
        return contextlib.nullcontext()
    return using_session(session)


def _register_functions() -> None:
    sequences.register_sql_functions()
    notifications.register_sql_functions()


_register_functions()


@contextlib.contextmanager
def _positions_from(offset: int) -> Iterator[None]:
    """Errors in a statement nested in another (PREPARE ... AS body, EXPLAIN body) point into the
    whole query string, as PostgreSQL's do, not into the nested text."""
    try:
        yield
    except HeliosError as e:
        if e.position is not None and not getattr(e, "position_shifted", False):
            e.position += offset
            e.position_shifted = True  # type: ignore[attr-defined]
        raise


def _with_raised_notices(session: Any, result: Result) -> Result:
    """The result with the RAISE NOTICE / WARNING / INFO ... of the routines its statement ran."""
    raised = plpgsql_notices.take(session)
    if raised:
        result.notices = [*result.notices, *raised]
    return result


def _with_values_inlined(ast: Any, values: list[Any]) -> str | None:
    """The statement's text with ``$n`` replaced by plain number, string, boolean or NULL literals
    (None when a value is of another kind: EXPLAIN then shows the parameters)."""
    tree = ast.copy()
    for node in list(tree.find_all(exp.Parameter)):
        try:
            value = values[int(node.this.this) - 1]
        except (ValueError, IndexError, AttributeError):
            return None
        if value is None:
            node.replace(exp.Null())
        elif isinstance(value, bool):
            node.replace(exp.Boolean(this=value))
        elif isinstance(value, (int, float, decimal.Decimal)):
            node.replace(exp.Literal.number(value))
        elif isinstance(value, str):
            node.replace(exp.Literal.string(value))
        else:
            return None
    return dialect.to_sql(tree)


def _tree_statement(tree: Any) -> Statement:
    """A Statement for a tree built by a front end (its text is for logs and error positions)."""
    if not isinstance(tree, exp.Expression):
        raise HeliosError(f"execute_tree needs a sqlglot expression, not {type(tree).__name__}", sqlstate="42601")
    return Statement(ast=tree, text=dialect.to_sql(tree), offset=0)


_TRANSACTION_STATES = {"I": "idle", "T": "in_transaction", "E": "failed"}  # by TransactionState.status


class SqlSession(Session):
    """A client's session on one database and branch (see module docstring)."""

    def __init__(
        self, engine: Any, *, user: str, database: str, branch: str, options: dict[str, str], pid: int
    ) -> None:
        self.engine = engine
        self.authenticated_user = user  # fixed for the session's life (helios_core.sql.session_identity)
        self.database = database
        self.pid = pid
        self.settings_obj = Settings(options, user=user)
        self._search_path_cache: tuple[Any, list[str]] | None = None  # (setting, user, temp), parsed
        # what a point read's plan was last found valid for (point_reads.execute_point) and the
        # statement cache's last stamp (statement_cache.stamp_of), by settings version and plan generation
        self.point_checked: tuple = ()
        self.stamp_memo: tuple = ()
        session_identity.apply_startup(self, user, options)
        self.settings_obj.values["heliosdb.branch"] = branch
        self.settings_obj.session_defaults["heliosdb.branch"] = branch
        self.tx = TransactionState(self)
        self.sql_prepared: dict[str, PreparedStatement] = {}
        self.statement_cache = StatementCache()  # simple-query texts planned once (sql.statement_cache)
        self._cancel = threading.Event()
        self._running = False
        self._lock = threading.Lock()
        self.closed = False
        self.last_sequence: str | None = None
        self.currvals: dict[str, int] = {}
        self.temp_tables: set[tuple[str, str]] = set()  # CREATE TEMP TABLE: dropped at close
        self.temp_on_commit: dict[tuple[str, str], str] = {}  # ON COMMIT drop|delete (sql.temp_tables)
        self.cursors: dict[str, Any] = {}  # DECLARE ... CURSOR (helios_core.sql.prepared.SqlCursor)
        self.last_query = ""
        self.protocol = "embedded"  # the protocol serving it (the kernel sets it; pg_stat_activity)
        self.client_addr: tuple[str, int] | None = None  # the protocol's peer, when it has one
        self.backend_start = time.time()
        self.query_start: float | None = None
        self._in_statement = False  # a top-level statement is running (nested ones are not counted)
        self._statements_run = 0
        self._open_stream: ResultStream | None = None  # a streamed query still producing rows
        self._open_statements: Any = None  # the rest of a streamed query string
        branching.session_started(self)  # 42501 without usage on the branch (helios_core.branching)

    # ------------------------------------------------------------------ Session properties
    @property
    def user(self) -> str:
        """The current user (after SET ROLE): whose privileges every check uses."""
        return session_identity.current_user(self)

    @property
    def session_user(self) -> str:
        return self.settings_obj.values["session_authorization"]

    @property
    def branch(self) -> str:
        return self.settings_obj.values["heliosdb.branch"]

    @property
    def transaction_status(self) -> str:
        return self.tx.status

    @property
    def catalog_version(self) -> int:
        return self.engine.store.catalog_version

    @property
    def transaction_state(self) -> str:
        return _TRANSACTION_STATES[self.tx.status]

    def _output_styles(self) -> dict[str, str | None]:
        """IntervalStyle and bytea_output: how interval and bytea values are written as text."""
        return {"intervalstyle": self.settings_obj.get("intervalstyle"),
                "bytea_output": self.settings_obj.get("bytea_output")}

    def rendering(self, result: Any = None) -> Any:
        """Values rendered outside a statement (a protocol's encoder thread) see this session's
        TimeZone and catalog functions (or those ``result``'s statement ended with)."""
        stack = contextlib.ExitStack()
        styles = getattr(result, "rendered_with", None) or self._rendering_styles()
        stack.enter_context(runtime.use(**styles))
        stack.enter_context(_using_session(self))
        return stack

    def _rendering_styles(self) -> dict[str, Any]:
        return {"timezone": self.settings_obj.get("timezone"), "datestyle": self.settings_obj.get("datestyle"),
                "extra_float_digits": self.settings_obj.get("extra_float_digits", True), **self._output_styles()}

    @property
    def settings(self) -> dict[str, str]:
        session_identity.refresh(self)
        return self.settings_obj.as_dict()

    @property
    def settings_version(self) -> int:
        return self.settings_obj.version

    def search_path(self) -> list[str]:
        """search_path as a list; the session's temp schema comes first while it has temp tables."""
        text = self.settings_obj.get("search_path")
        key = (text, self.user, bool(self.temp_tables))
        cached = self._search_path_cache
        if cached is not None and cached[0] == key:
            return list(cached[1])
        out = self._parse_search_path(text)
        self._search_path_cache = (key, out)
        return list(out)

    def _parse_search_path(self, text: str) -> list[str]:
        out = [f"pg_temp_{self.pid}"] if self.temp_tables else []
        for part in text.split(","):
            p = part.strip()
            if p.startswith('"') and p.endswith('"'):
                p = p[1:-1]
            if p == "$user":
                p = self.user
            if p == "pg_temp":
                continue  # searched first anyway (see above)
            if p:
                out.append(p)
        return out

    def current_schema(self, txn: Any = None) -> str:
        """The schema new objects go to: the first schema of search_path that exists."""
        txn = txn or self.tx.current()
        for s in self.search_path():
            if s.startswith("pg_temp_"):
                continue
            if s == "public" or txn.catalog_get("schema", s) is not None:
                return s
        raise HeliosError("no schema has been selected to create in", sqlstate="3F000")

    # ------------------------------------------------------------------ running statements
    def execute(self, sql: str, dialect: str = "postgres") -> list[Result]:
        """Run every statement of ``sql``; raises at the first error (with ``partial_results``)."""
        self._check_open()
        self.last_query = sql  # pg_stat_activity.query (shown to privileged roles only)
        self.settle_stream()
        if time_budget.prepared_only() and self._commit_would_wait():
            time_budget.inline()  # a write tried inline would wait for a slow fsync on the event loop
        lifted, cached = self._cached(sql, dialect)
        if cached is not None:
            return list(self._run_statements([cached.plan.statement], lazy=False, cached=(cached, lifted.values)))
        if time_budget.prepared_only():  # a write tried inline runs only prepared (helios_core.time_budget)
            time_budget.inline()
        try:
            stmts = self._parse(sql, dialect, [])
            if not stmts:
                return [Result(command_tag="EMPTY")]
            results = list(self._run_statements(stmts, lazy=False))
            if lifted is not None and len(stmts) == 1:
                self.statement_cache.learn(self, lifted, results)
            return results
        finally:
            self.statement_cache.settle(self)

    def stream(self, sql: str, dialect: str = "postgres") -> Any:
        """``execute`` lazily (helios_core.session, "Streaming"): Results as the caller advances."""
        self._check_open()
        self.last_query = sql
        self.settle_stream()
        lifted, cached = self._cached(sql, dialect)
        if cached is None and time_budget.prepared_only():
            time_budget.inline()
        if cached is not None:
            gen = self._run_statements([cached.plan.statement], lazy=True, cached=(cached, lifted.values))
        else:
            try:
                stmts = self._parse(sql, dialect, [])
            except BaseException:
                self.statement_cache.settle(self)
                raise
            if not stmts:
                self.statement_cache.settle(self)
                return iter([Result(command_tag="EMPTY")])
            gen = self._run_statements(stmts, lazy=True)
            if lifted is not None and len(stmts) == 1:
                gen = self._learning(gen, lifted)
            else:
                self.statement_cache.settle(self)
        self._open_statements = gen
        return gen

    def _cached(self, sql: str, dialect_name: str) -> tuple[Any, PreparedStatement | None]:
        """The statement cache's lifted form of ``sql`` and its prepared statement when cached
        (helios_core.sql.statement_cache); (None, None) for what it does not take."""
        if dialect_name != "postgres" or self.tx.failed:
            return None, None
        return self.statement_cache.lookup(self, sql)

    def _learning(self, gen: Any, lifted: Any) -> Any:
        """A streamed statement's Results, shown to the statement cache once it has started well.
        Closing this closes ``gen`` at once (settle_stream relies on it to finish the statement)."""
        try:
            try:
                first = next(gen, None)
                if first is None:
                    return
                self.statement_cache.learn(self, lifted, [first])
            finally:
                self.statement_cache.settle(self)  # a bulk INSERT claimed and not prepared: released
            yield first
            yield from gen
        finally:
            gen.close()

    def _parse(self, sql: str, dialect_name: str, results: list[Result]) -> list[Statement]:
        try:
            return deep_nesting.retry_deep(dialects.parse, sql, dialect_name)
        except RecursionError:
            self.tx.on_error()
            err = deep_nesting.stack_depth_error()
            err.partial_results = results  # type: ignore[attr-defined]
            raise err from None
        except HeliosError as e:
            self.tx.on_error()
            e.partial_results = results  # type: ignore[attr-defined]
            raise

    def _run_statements(self, stmts: list[Statement], *, lazy: bool, cached: tuple | None = None) -> Any:
        """Results of ``stmts`` one by one; a streamed one is finished before the next runs.
        ``cached``: (prepared statement, parameter texts) of the one statement, from the statement cache."""
        results: list[Result] = []
        for st in stmts:
            try:
                if cached is not None:
                    result = prepared.run_prepared(self, cached[0], cached[1], lazy=lazy)
                elif not isinstance(st.ast, Utility) and deep_nesting.is_deep(st.ast):
                    # planned and run (not streamed) on the deep stack: its evaluation recurses too
                    deep_nesting.check_depth(st.ast)
                    result = deep_nesting.run_deep(self._run_statement, st)
                else:
                    result = self._run_statement(st, lazy=lazy)
            except HeliosError as e:
                self.tx.on_error()
                e.partial_results = results  # type: ignore[attr-defined]
                if cached is not None and e.position is None and e.sqlstate.startswith("22"):
                    e.position = bad_string_position(self.last_query or "", cached[0], cached[1])
                raise
            except RecursionError:
                self.tx.on_error()
                err = deep_nesting.stack_depth_error()
                err.partial_results = results  # type: ignore[attr-defined]
                raise err from None
            except Exception as e:  # an engine bug (XX000) or out of memory (53200): keep the session
                self.tx.on_error()
                err = from_engine_failure(e)
                err.partial_results = results  # type: ignore[attr-defined]
                raise err from e
            if len(stmts) > 1 and result.columns is not None:
                result.rendered_with = self._rendering_styles()
            results.append(result)
            try:
                yield result
            finally:
                if isinstance(result.batches, ResultStream):
                    try:
                        result.batches.drain()
                    except HeliosError as e:
                        e.partial_results = results[:-1]  # type: ignore[attr-defined]
                        raise
        try:
            self.tx.end_implicit()
        except HeliosError as e:
            # PostgreSQL commits before the last statement's CommandComplete: when the commit fails
            # (a deferred constraint), that statement reports only the error
            e.partial_results = results[:-1]  # type: ignore[attr-defined]
            raise
        finally:
            self._open_statements = None

    def take_notices(self) -> list[Any]:
        return plpgsql_notices.take(self)

    def take_notifications(self) -> list[Any]:
        return notifications.take(self)

    @property
    def listening(self) -> bool:
        return bool(notifications.listening(self))

    def settle_stream(self) -> None:
        """Before a new statement: end what a stream left open (its running statement, the rest of
        its query string), as PostgreSQL finishes one query before reading the next."""
        gen, self._open_statements = self._open_statements, None
        if gen is not None:
            gen.close()
        running, self._open_stream = self._open_stream, None
        if running is not None and not running.done:
            running.close()
        if gen is not None and not self.tx.in_block and self.tx.txn is not None:
            # the query string's implicit transaction ends here: a SELECT may have written
            # (a function it called), and a later error must not take that back
            self.tx.end_implicit()

    def _run_statement(self, st: Statement, params: Sequence[Any] = (), prepared: Any = None,
                       lazy: bool = False) -> Result:
        """One statement; a top-level one is timed and counted (helios_core.statement_stats)."""
        if self._in_statement:  # nested (EXPLAIN's body, a routine's statement): its caller counts it
            return self._run_hooked(st, params, prepared, lazy)
        self._in_statement = True
        self.query_start = time.time()
        self._statements_run += 1
        started = time.perf_counter()
        counting = self.engine.statement_stats.enabled
        cpu_started = statement_stats.cpu_sample_start(self._statements_run) if counting else None
        try:
            result = self._run_hooked(st, params, prepared, lazy)
        except time_budget.BudgetExceeded:  # handed back to be run again in a worker: not counted
            self._in_statement = False
            raise
        except BaseException as e:
            self._in_statement = False
            sqlstate = getattr(e, "sqlstate", None) or "XX000"
            self._count_statement(st.text, statement_stats.kind_of_text(st.text), started,
                                  statement_stats.cpu_since(cpu_started), None, sqlstate)
            raise
        cpu = statement_stats.cpu_since(cpu_started)
        batches = result.batches
        if isinstance(batches, ResultStream) and not batches.done:
            def finished(error: BaseException | None) -> None:
                self._in_statement = False
                failed = (getattr(error, "sqlstate", None) or "XX000") if error is not None else None
                self._count_statement(st.text, statement_stats.kind_of(result.kind), started, cpu,
                                      result.row_count, failed)

            batches.on_finish(finished)
        else:
            self._in_statement = False
            self._count_statement(st.text, statement_stats.kind_of(result.kind), started, cpu,
                                  result.row_count, None)
        return result

    def _count_statement(self, text: str, kind: str, started: float, cpu: float, rows: int | None,
                         sqlstate: str | None) -> None:
        if not self.engine.statement_stats.enabled:
            return
        seconds = time.perf_counter() - started
        self.engine.statement_stats.record(self, text, kind, seconds, cpu, rows, sqlstate)
        slow_ms = statement_stats.slow_statement_ms(self)
        if slow_ms >= 0 and seconds * 1000.0 >= slow_ms:
            statement_stats.log_slow(self, text, seconds)

    def _run_hooked(self, st: Statement, params: Sequence[Any], prepared: Any, lazy: bool) -> Result:
        """One statement, through the plugins that wrap statements (``helios_run_statement``)."""
        hook = self.engine.statement_hook()
        if hook is None:
            return self._run_one(st, params, prepared, lazy)
        return hook(session=self, statement=st.text, run=lambda: self._run_one(st, params, prepared, lazy))

    def dispatch_nested(self, st: Statement) -> Result:
        """A statement that is part of the running one (CREATE SCHEMA's elements): same transaction,
        no statement boundaries of its own."""
        if isinstance(st.ast, Utility):
            return self._utility(st)
        return self._dispatch(st, (), None)

    def _run_one(self, st: Statement, params: Sequence[Any], prepared: Any, lazy: bool) -> Result:
        ast = st.ast
        if isinstance(ast, Utility) and ast.kind in ("rollback", "commit", "rollback_to"):
            return self._utility(st)
        self.tx.check_not_failed()
        self._begin_statement()
        streaming = False
        try:
            with self._runtime():
                if isinstance(ast, Utility):
                    return _with_raised_notices(self, self._utility(st))
                if isinstance(ast, branch_syntax.BRANCH_STATEMENTS):  # outside any statement transaction
                    return _with_raised_notices(self, ddl.branch_statement(self, ast))
                self.tx.statement_start()
                result = self._dispatch(st, params, prepared, lazy=lazy)
                streaming = isinstance(result.batches, ResultStream)
                return _with_raised_notices(self, result)
        finally:
            if not streaming:
                self._end_statement()

    def _lazy_result(self, plan: Any, ctx: Any, columns: list[ResultColumn]) -> Result:
        """A query Result whose batches the plan produces as they are read (each step in this
        statement's TimeZone, clock and session, whichever thread reads it)."""
        tz, started, now = self.settings_obj.get("timezone"), self.tx.started_at, runtime.statement_now()
        datestyle = self.settings_obj.get("datestyle")
        float_digits = self.settings_obj.get("extra_float_digits", True)
        styles = self._output_styles()

        def produce() -> Iterator[pa.RecordBatch]:
            it = plan.execute(ctx)
            try:
                while True:
                    with runtime.use(timezone=tz, now=started, statement_now=now, datestyle=datestyle,
                                     extra_float_digits=float_digits, **styles), \
                            _using_session(self):
                        try:
                            batch = next(it, None)
                        except HeliosError:
                            raise
                        except Exception as e:  # an engine bug (XX000), or out of stack or memory
                            raise from_engine_failure(e) from e
                    if batch is None:
                        return
                    yield batch
            finally:
                it.close()

        def finish(error: BaseException | None) -> None:
            if self._open_stream is stream:
                self._open_stream = None
            self._end_statement()
            if error is not None:
                self.tx.on_error()

        stream = ResultStream(produce(), finish)
        result = Result(kind="SELECT", row_count=0, columns=columns, batches=stream, command_tag="SELECT 0")
        stream.result = result
        self._open_stream = stream
        return result

    def _runtime(self) -> Any:
        """TimeZone and the transaction clock for the scalar functions (now(), timestamptz I/O)."""
        import datetime as dt

        now = dt.datetime.now(dt.UTC)
        if self.tx.started_at is None:
            self.tx.started_at = now
        stack = contextlib.ExitStack()
        stack.enter_context(runtime.use(timezone=self.settings_obj.get("timezone"), now=self.tx.started_at,
                                        statement_now=now, datestyle=self.settings_obj.get("datestyle"),
                                        extra_float_digits=self.settings_obj.get("extra_float_digits", True),
                                        **self._output_styles()))
        stack.enter_context(_using_session(self))
        return stack

    def _begin_statement(self) -> None:
        with self._lock:
            if self._cancel.is_set():
                self._cancel.clear()
            self._running = True
        timeout = self.settings_obj.get("statement_timeout")
        ms = parse_duration_ms(timeout) if timeout else 0
        self._deadline = time.monotonic() + ms / 1000.0 if ms else None
        branching.limits.before_statement(self)  # max_cpu_percent: may queue (helios_core.branching.limits)

    def _end_statement(self) -> None:
        with self._lock:
            self._running = False
        branching.limits.after_statement(self)

    def check_cancel(self) -> None:
        time_budget.check()  # a protocol trying the statement inline (helios_core.time_budget)
        statement_gate.take_turn()
        if self._cancel.is_set():
            raise QueryCanceled("canceling statement due to user request")
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise QueryCanceled("canceling statement due to statement timeout")

    def context(self, txn: Any = None, params: Sequence[Any] = (), param_types: Sequence[Any] = (),
                as_of: int | None = None) -> Any:
        """A QueryContext (C1's contract) for running a query in this session."""
        from helios_core.branching import limits

        QueryContext = limits.context_class(self)
        return QueryContext(
            txn=txn if txn is not None else self.tx.current(),
            session=self,
            search_path=self.search_path(),
            params=list(params),
            param_types=list(param_types),
            settings=self.settings_obj.values,
            as_of=as_of,
            cancel_event=self._cancel,
            deadline=getattr(self, "_deadline", None),
        )

    def _dispatch(self, st: Statement, params: Sequence[Any], prepared: Any, lazy: bool = False) -> Result:
        ast = st.ast
        clauses = ast.args.get("foreign_table") if isinstance(ast, (exp.Expression, Utility)) else None
        if clauses is not None:  # CREATE/ALTER/DROP/COMMENT ON FOREIGN TABLE: a table statement and more
            return foreign_tables.run(self, st, clauses, lambda inner: self._dispatch(inner, params, prepared, lazy))
        if isinstance(ast, (exp.Query, exp.Values, exp.Subquery)):
            return self.run_query(ast, params, prepared, lazy=lazy)
        if isinstance(ast, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
            with _read_only_names(ast):
                return run_undoable(self, lambda: point_writes.execute(self, ast, params, prepared))
        if isinstance(ast, (exp.Create, exp.Drop, exp.Alter, exp.TruncateTable)):
            self.tx.wrote_ddl = True
            self.engine.bump_plan_generation()
            return ddl.execute(self, ast, st.text)
        if isinstance(ast, branch_syntax.BRANCH_STATEMENTS):
            return ddl.branch_statement(self, ast)
            with _read_only_names(ast):
                return ddl.execute(self, ast, st.text)
        if isinstance(ast, exp.Comment):
            ddl_privileges.check_comment(self, ast)  # only the owner comments on an object
            return ddl.comment(self, ast)
        if isinstance(ast, exp.Command):
            word = str(ast.this).upper()
            rest = str(ast.expression.this if isinstance(ast.expression, exp.Literal) else ast.expression or "")
            with_elements = schema_elements.split(rest) if word == "CREATE" else None
            if with_elements is not None:  # CREATE SCHEMA ... CREATE TABLE ... CREATE VIEW ...
                self.tx.wrote_ddl = True
                self.engine.bump_plan_generation()
                return schema_elements.run(self, *with_elements)
            if word == "CREATE" and " authorization " in f" {rest.lower()} ":
                self.tx.wrote_ddl = True
                done = ddl_privileges.create_schema_authorization(self, rest)
                if done is not None:
                    return done
            if word == "COMMENT" and rest.split()[:2] and [w.upper() for w in rest.split()[:2]] == ["ON", "EXTENSION"]:
                return extensions_catalog.comment(self, rest)
            if drop_unbuilt.handles(word, rest):  # DROP COLLATION, DROP OPERATOR, DROP CAST, ...
                self.tx.wrote_ddl = True
                return drop_unbuilt.execute(self, st.text, st.offset)
            if domains.handles(word, rest):
                self.tx.wrote_ddl = True
                self.engine.bump_plan_generation()
                return domains.execute(self, word, rest)
            if set_schema.handles(word, rest):  # ALTER TABLE / VIEW ... SET SCHEMA
                self.tx.wrote_ddl = True
                self.engine.bump_plan_generation()
                return set_schema.execute(self, rest)
            if word == "ALTER" and " owner to " in f" {rest.lower()} ":
                self.tx.wrote_ddl = True
                return ddl_privileges.alter_owner_command(self, rest)
            reset = _VIEW_RESET.match(rest) if word == "ALTER" else None
            if reset is not None:  # ALTER VIEW name RESET (option, ...)
                self.tx.wrote_ddl = True
                return ddl.alter_view_reset(self, reset["name"], [n.strip().lower() for n in reset["opts"].split(",")],
                                            bool(reset["if_exists"]))
            if word == "ALTER" and " rename constraint " in f" {' '.join(rest.lower().split())} ":
                self.tx.wrote_ddl = True
                self.engine.bump_plan_generation()
                done = ddl.rename_constraint_command(self, rest)
                if done is not None:
                    return done
            if word == "ALTER" and " alter constraint " in f" {' '.join(rest.lower().split())} ":
                self.tx.wrote_ddl = True
                self.engine.bump_plan_generation()
                done = ddl.alter_constraint_command(self, rest, st.offset + 1 + st.text.find(rest))
                if done is not None:
                    return done
            if word == "ALTER" and " inherit " in f" {rest.lower()} ":  # ALTER TABLE c [NO] INHERIT p
                self.tx.wrote_ddl = True
                self.engine.bump_plan_generation()
                done = ddl.inherit_command(self, rest)
                if done is not None:
                    return done
            if word == "ALTER" and " partition " in f" {rest.lower()} ":
                self.tx.wrote_ddl = True
                self.engine.bump_plan_generation()
                done = ddl.partition_command(self, rest)
                if done is not None:
                    return done
            raise FeatureNotSupported(_unsupported_command(word, rest), position=st.offset + 1)
        raise FeatureNotSupported(f"statement not supported: {st.text[:60]}", position=st.offset + 1)

    # ------------------------------------------------------------------ queries
    def run_query(self, ast: Any, params: Sequence[Any] = (), prepared: Any = None, lazy: bool = False) -> Result:
        ctx = self.context(params=params, param_types=prepared.param_types if prepared is not None else ())
        with_ = ast.args.get("with_") or ast.args.get("with")
        if with_ is not None and any(isinstance(c.this, (exp.Insert, exp.Update, exp.Delete, exp.Merge))
                                     for c in with_.expressions):
            txn = ctx.txn
            try:  # the query reads the tables as they were before its WITH queries wrote them
                ast = self._run_writable_ctes(ast, with_, params, prepared)
                return self._run_query_body(ast, ctx, params, None, lazy=False)
            finally:
                txn.hidden_writes = frozenset()
        return self._run_query_body(ast, ctx, params, prepared, lazy)

    def _run_query_body(self, ast: Any, ctx: Any, params: Sequence[Any], prepared: Any, lazy: bool) -> Result:
        cache = getattr(prepared, "cache", None)
        time_travel = cache.get("as_of") if cache is not None else None
        if time_travel is None:
            time_travel = any(t.args.get("version") is not None for t in ast.find_all(exp.Table))
            if cache is not None:
                cache["as_of"] = time_travel
        if time_travel:
            ast = self._resolve_as_of(ast, ctx)
            prepared = None
        locks = ast.args.get("locks") if isinstance(ast, exp.Select) else None
        if locks:
            dml_privileges.check_row_locks(self, ast, locks)  # FOR UPDATE/SHARE needs UPDATE too

            changed, restrict = dml.lock_selected_rows(self, ast, ctx, locks)
            if changed:
                ctx.txn.new_statement()  # READ COMMITTED: return the newest versions of locked rows
            if restrict is not None:
                ast = dml.restrict_to_rowids(ast, *restrict)
                prepared = None
        if prepared is not None and prepared.plan is not None:
            plan = prepared.plan
            if "point" not in cache:  # re-made with the plan (prepared._plan empties the cache)
                cache["point"] = point_read_of(plan)
                cache["columns"] = plan_result_columns(plan, ctx.txn)
            cols = cache["columns"]
            point = cache["point"]
            batches = point.run(ctx) if point is not None else None
            if batches is not None:  # a primary-key point read (helios_core.sql.point_reads)
                rows = sum(b.num_rows for b in batches)
                return Result(command_tag=f"SELECT {rows}", columns=cols, batches=batches, kind="SELECT",
                              row_count=rows)
        else:
            plan = self.plan_query(ast, ctx)
            cols = plan_result_columns(plan, ctx.txn)
        if lazy:
            return self._lazy_result(plan, ctx, cols)
        batches = list(plan.execute(ctx))
        rows = sum(b.num_rows for b in batches)
        return Result(command_tag=f"SELECT {rows}", columns=cols, batches=batches)

    def _run_writable_ctes(self, ast: Any, with_: Any, params: Sequence[Any], prepared: Any) -> Any:
        """WITH x AS (INSERT/UPDATE/DELETE ... RETURNING ...) SELECT ...: run each data-modifying CTE
        once, in order, and let the query read its RETURNING rows as a VALUES list.

        As in PostgreSQL, all parts of the statement read one snapshot: a later WITH query and the
        main statement read the tables the earlier ones wrote as they were before (their changes
        show only through RETURNING), and a row an earlier one updated or deleted is not written
        again. On return ``txn.hidden_writes`` names those tables; the caller clears it when the
        statement is done. Known limit: a table the transaction had already written before this
        statement is read with all its writes (storage keeps no per-statement marks of them).
        """
        from helios_core.sql import dml, types, writable_with
        from helios_core.sql import functions as F

        ast = ast.copy()
        with_ = ast.args.get("with_") or ast.args.get("with")
        writable_with.check(ast, with_)
        txn = self.tx.current()
        marks = txn.write_marks()
        for k in writable_with.order(with_):
            cte = with_.expressions[k]
            body = cte.this
            txn.hidden_writes = frozenset(txn.written_since(marks)[0])
            seen = writable_with.visible_to(with_, k)  # the WITH queries it may read (writers: their RETURNING rows)
            if seen:
                body = body.copy()
                body.set("with_" if "with_" in type(body).arg_types else "with",
                         exp.With(expressions=[c.copy() for c in seen], recursive=with_.args.get("recursive")))
            result = dml.execute(self, body, params, None)
            if result.columns is None:
                cte.set("this", exp.select(exp.Null().as_("_")).where(exp.false()))
                continue
            col_types = [types.type_from_name(c.type_name) if c.type_oid != 25 else types.TEXT
                         for c in result.columns]
            texts: list[list[Any]] = [[] for _ in result.columns]
            for batch in result.batches:
                for j, t in enumerate(col_types):
                    texts[j].extend(F.to_text(batch.column(j), t).to_pylist())
            names = [c.name for c in result.columns]
            n = len(texts[0]) if texts else 0

            def cell(v: Any, t: Any) -> Any:
                lit = exp.Null() if v is None else exp.Literal.string(v)
                return exp.Cast(this=lit, to=exp.DataType.build(t.stored_name(), dialect="postgres", udt=True))

            if n == 0:
                sel = exp.select(*[cell(None, t).as_(nm, quoted=True) for nm, t in zip(names, col_types,
                                                                                        strict=True)])
                sel = sel.where(exp.false())
            else:
                rows = [exp.Tuple(expressions=[cell(texts[j][i], col_types[j]) for j in range(len(names))])
                        for i in range(n)]
                alias = exp.TableAlias(this=exp.to_identifier("_w"),
                                       columns=[exp.to_identifier(nm, quoted=True) for nm in names])
                sel = exp.select("*").from_(exp.Values(expressions=rows, alias=alias))
            cte.set("this", sel)
        txn.hidden_writes = frozenset(txn.written_since(marks)[0])
        return ast

    def _resolve_as_of(self, ast: Any, ctx: Any) -> Any:
        """``t AS OF TIMESTAMP x``: x becomes a literal commit timestamp (µs since the epoch, UTC).

        The planner reads each table's ``version`` (exp.Version with an integer literal); when every
        table of the query reads at the same timestamp, ``ctx.as_of`` is set too.
        """
        ast = ast.copy()
        stamps = set()
        plain = False
        store = self.engine.store
        for t in ast.find_all(exp.Table):
            v = t.args.get("version")
            if v is None:
                plain = True
                continue
            node = v.expression
            if isinstance(node, exp.Literal) and not node.is_string:
                ts = int(node.this)
            elif isinstance(node, exp.Literal):
                ts = ddl._parse_ts(self, node.this)
            else:
                q = exp.Select(expressions=[exp.Cast(this=node.copy(), to=exp.DataType.build("timestamptz"))])
                plan = self.plan_query(q, ctx)
                rows = [b.column(0)[0] for b in plan.execute(ctx)]
                ts = int(rows[0].cast(pa.int64()).as_py())
            horizon = store.now() - getattr(store, "retention_us", 7 * 86400 * 10**6)
            if ts < horizon:
                raise HeliosError("AS OF timestamp is older than the retention window", sqlstate="22023",
                                  hint="Time travel reaches back as far as the configured retention.")
            if ts > store.now():
                raise HeliosError("AS OF timestamp is in the future", sqlstate="22023")
            branching.check_as_of(self, ts)  # before the fork: the parent's past (helios_core.branching)
            v.set("expression", exp.Literal.number(ts))
            stamps.add(ts)
        if len(stamps) == 1 and not plain:
            ctx.as_of = next(iter(stamps))
        return ast

    def plan_query(self, ast: Any, ctx: Any) -> Any:
        from helios_core.sql.planner import plan_query

        branching.check_plan_as_of(self, ast)  # AS OF in prepared/DML paths too (helios_core.branching)
        return plan_query(ast, ctx)

    # ------------------------------------------------------------------ utility statements
    def _utility(self, st: Statement) -> Result:
        u: Utility = st.ast
        k = u.kind
        a = u.args
        if k == "begin":
            notices = self.tx.begin_block(a)
            return Result(command_tag="BEGIN", notices=notices)
        if k in ("commit", "rollback"):
            in_block = self.tx.in_block
            if a.get("chain") and not in_block:
                raise HeliosError(f"{k.upper()} AND CHAIN can only be used in transaction blocks", sqlstate="25P01")
            modes = {"isolation": self.tx.isolation, "read_only": self.tx.read_only, "deferrable": self.tx.deferrable}
            notices = [] if in_block else [transactions.warning("there is no transaction in progress", "25P01")]
            if k == "commit":
                tag = self.tx.commit()
            else:
                self.tx.rollback()
                tag = "ROLLBACK"
            if a.get("chain"):
                self.tx.begin_block({m: v for m, v in modes.items() if v is not None})
            return Result(command_tag=tag, notices=notices)
        if k == "savepoint":
            self.tx.savepoint(a["name"])
            return Result(command_tag="SAVEPOINT")
        if k == "release":
            self.tx.release(a["name"])
            return Result(command_tag="RELEASE")
        if k == "rollback_to":
            self.tx.rollback_to(a["name"])
            return Result(command_tag="ROLLBACK")
        if k == "set_constraints":
            if not self.tx.in_block:  # PostgreSQL warns and changes nothing
                notice = transactions.warning("SET CONSTRAINTS can only be used in transaction blocks", "25P01")
                return Result(command_tag="SET CONSTRAINTS", notices=[notice])
            deferred_checks.set_constraints(self, a["names"], a["mode"])
            return Result(command_tag="SET CONSTRAINTS")
        if k == "set_transaction":
            self.tx.set_transaction(a)
            return Result(command_tag="SET")
        if k == "set_session_characteristics":
            if "isolation" in a:
                self.settings_obj.set("default_transaction_isolation", a["isolation"], in_block=self.tx.in_block)
            if "read_only" in a:
                self.settings_obj.set("default_transaction_read_only", "on" if a["read_only"] else "off",
                                      in_block=self.tx.in_block)
            if "deferrable" in a:
                self.settings_obj.set("default_transaction_deferrable", "on" if a["deferrable"] else "off",
                                      in_block=self.tx.in_block)
            self.tx.set_transaction({})
            return Result(command_tag="SET")
        if k == "set":
            self.set_setting(a["name"], a["value"], local=a.get("local", False))
            return Result(command_tag="SET")
        if k == "set_role":
            self.set_setting(a["what"], a["value"], local=a.get("local", False))
            return Result(command_tag="SET")
        if k == "reset":
            if a["name"] == "all":
                branch = self.branch
                self.settings_obj.reset("all", in_block=self.tx.in_block)
                self._switch_branch_checked(self.settings_obj.values["heliosdb.branch"], previous=branch)
            else:
                self.set_setting(a["name"], None)
            return Result(command_tag="RESET")
        if k == "show":
            return self._show(a["name"])
        if k == "discard":
            if a["what"] == "all":
                if self.tx.in_block:
                    raise HeliosError("DISCARD ALL cannot run inside a transaction block", sqlstate="25001")
                self.settings_obj.reset("all")
                # DISCARD ALL includes SET SESSION AUTHORIZATION DEFAULT (a pooler's reset must not leak a role)
                self.settings_obj.values["session_authorization"] = self.authenticated_user
                self.settings_obj.values["role"] = "none"
                self.engine.bump_plan_generation()
                self.sql_prepared.clear()
                self.statement_cache.clear()
                self.currvals.clear()
                self.last_sequence = None
                self.cursors.clear()
                self._drop_temp_tables()
            elif a["what"] == "plans":
                self.statement_cache.clear()
            elif a["what"] == "sequences":
                self.currvals.clear()
                self.last_sequence = None
            return Result(command_tag="DISCARD " + a["what"].upper().replace("TEMPORARY", "TEMP"))
        if k in ("vacuum", "analyze"):
            return maintenance.vacuum_or_analyze(self, k, a)
        if k == "reindex":
            return maintenance.reindex(self, a)
        if k == "cluster":
            return clustering.cluster(self, a)
        if k == "checkpoint":
            return privilege_functions.checkpoint(self)
        if k == "comment_constraint":
            return ddl.comment_on_constraint(self, a)
        if k == "lock":
            if not self.tx.in_block:
                raise HeliosError("LOCK TABLE can only be used in transaction blocks", sqlstate="25P01")
            dml_privileges.check_lock_table(self, a.get("tables", []), a.get("mode", ""))  # 42P01 / 42501
            self._lock_tables(a.get("tables", []), a.get("mode", "ACCESS EXCLUSIVE"), bool(a.get("nowait")))
            return Result(command_tag="LOCK TABLE")
        if k in ("create_extension", "drop_extension", "alter_sequence"):
            self.tx.statement_start()
            return ddl.misc_statement(self, u)
        if k == "copy":
            from helios_core.sql import copy

            self.tx.statement_start()
            return copy.start(self, u)
        if k == "prepare":
            with _positions_from(a["body_offset"]):
                return prepared.sql_prepare(self, {**a, "text": st.text.strip().rstrip(";").rstrip()})
        if k == "execute":
            return prepared.sql_execute(self, a)
        if k in ("declare_cursor", "fetch", "close_cursor"):
            if k == "declare_cursor":
                self.tx.statement_start()
                return prepared.declare_cursor(self, {**a, "text": st.text.strip().rstrip(";").rstrip()})
            return prepared.fetch_cursor(self, a) if k == "fetch" else prepared.close_cursor(self, a)
        if k == "deallocate":
            if a["name"] is None:
                self.sql_prepared.clear()
            elif self.sql_prepared.pop(a["name"], None) is None:
                raise HeliosError(f'prepared statement "{a["name"]}" does not exist', sqlstate="26000")
            return Result(command_tag="DEALLOCATE" + (" ALL" if a["name"] is None else ""))
        if k == "explain":
            with _positions_from(a["body_offset"]):
                return self._explain(a)
        if k == "table_physical":
            self.tx.statement_start()
            return ddl.table_physical(self, a)
        if k == "reset_table_options":
            self.tx.statement_start()
            txn = self.tx.current()
            tdef = ddl.table_to_alter(self, txn, a["table"], a["if_exists"])
            if isinstance(tdef, Result):
                return tdef
            kept = storage_parameters.reset_table_parameters(self, tdef, a["names"])
            txn.alter_table(tdef.schema, tdef.name, options={"reloptions": kept})
            return Result(command_tag="ALTER TABLE")
        if k == "validate_constraint":
            self.tx.statement_start()
            txn = self.tx.current()
            tdef = ddl.table_to_alter(self, txn, a["table"], a["if_exists"])
            if isinstance(tdef, Result):
                return tdef
            constraints.validate_constraint(self, txn, tdef, a["name"])
            return Result(command_tag="ALTER TABLE")
        if k in ("reassign_owned", "drop_owned"):
            self.tx.statement_start()
            return owned_objects.reassign(self, a) if k == "reassign_owned" else owned_objects.drop(self, a)
        if k in ("add_identity", "drop_identity", "alter_identity"):
            from helios_core.sql import identity_columns

            self.tx.statement_start()
            return getattr(identity_columns, k)(self, a)
        if k == "column_attribute":
            self.tx.statement_start()
            return column_attributes.alter(self, a)
        if k in ("create_routine", "drop_routine", "alter_routine", "call", "do", "create_aggregate",
                 "comment_aggregate"):
            self.tx.statement_start()
            if k in ("create_routine", "drop_routine", "alter_routine", "create_aggregate"):
                self.tx.wrote_ddl = True
                self.engine.bump_plan_generation()
            if k in ("create_aggregate", "comment_aggregate"):
                return (aggregate_statements.create if k == "create_aggregate" else aggregate_statements.comment)(
                    self, a)
            run = {"create_routine": routine_statements.create, "drop_routine": routine_statements.drop,
                   "alter_routine": routine_statements.alter, "call": routine_statements.call,
                   "do": routine_statements.do}[k]
            return run(self, a)
        if k in ("create_trigger", "drop_trigger", "enable_trigger"):
            self.tx.statement_start()
            self.tx.wrote_ddl = True
            self.engine.bump_plan_generation()
            return {"create_trigger": trigger_statements.create, "drop_trigger": trigger_statements.drop,
                    "enable_trigger": trigger_statements.enable}[k](self, a)
        if k in ("create_policy", "alter_policy", "drop_policy", "row_security_switch"):
            self.tx.statement_start()
            self.tx.wrote_ddl = True
            self.engine.bump_plan_generation()
            return {"create_policy": rls_statements.create, "alter_policy": rls_statements.alter,
                    "drop_policy": rls_statements.drop, "row_security_switch": rls_statements.switch}[k](self, a)
        if k in ("listen", "unlisten", "notify"):
            return notifications.run(self, k, a)
        if k in ("create_matview", "refresh_matview"):
            self.tx.statement_start()
            self.tx.wrote_ddl = True
            self.engine.bump_plan_generation()
            if k == "refresh_matview":
                return matviews.refresh(self, a)
            with _positions_from(a["body_offset"]):
                return matviews.create(self, a)
        if k == "plugin_statement":  # helios_sql_statements
            statement = plugin_extensions.statement_named(a["statement"])
            self.tx.statement_start()
            if statement.ddl:
                self.tx.wrote_ddl = True
                self.engine.bump_plan_generation()
            return statement.run(self, a["args"])
        if k == "create_database":
            from helios_core.sql import databases

            return databases.create_database(self, a["name"], a["options"])
        if k in ("create_role", "alter_role", "drop_role", "rename_role", "grant", "revoke"):
            self.tx.statement_start()
            self.engine.bump_plan_generation()  # cached plans were checked against the old privileges
            return ddl.role_statement(self, u)
        if k == "alter_default_privileges":
            self.tx.statement_start()
            return object_privileges.alter_default_privileges(self, a["spec"])
        if k == "create_range_type":
            self.tx.statement_start()
            self.tx.wrote_ddl = True
            self.engine.bump_plan_generation()
            return range_type_ddl.create(self, a["name"], a["options"])
        if k in ("drop_type", "alter_type", "create_shell_type"):
            self.tx.statement_start()
            self.tx.wrote_ddl = True
            self.engine.bump_plan_generation()
            return composite_types.utility(self, k, a)
        if k == "replica_identity":
            self.tx.statement_start()
            self.tx.wrote_ddl = True
            self.engine.bump_plan_generation()
            return replica_identity.alter(self, a)
        if k == "publication":
            self.tx.statement_start()
            self.tx.wrote_ddl = True
            return publications.execute(self, a)
        if k == "foreign_table_options":
            self.tx.statement_start()
            self.tx.wrote_ddl = True
            return foreign_tables.alter_options(self, a)
        if k == "foreign_data":
            self.tx.statement_start()
            self.tx.wrote_ddl = True
            return foreign_data.execute(self, a)
        if k == "unsupported":
            raise FeatureNotSupported(f"{a['what']} is not supported")
        raise FeatureNotSupported(f"{k} is not supported")

    # the storage's two table lock modes: "write" conflicts only with "exclusive", as ACCESS SHARE,
    # ROW SHARE and ROW EXCLUSIVE conflict (among these) only with EXCLUSIVE and ACCESS EXCLUSIVE
    _LOCK_MODE_OF: ClassVar[dict[str, str]] = {"ACCESS SHARE": "write", "ROW SHARE": "write", "ROW EXCLUSIVE": "write",
                     "EXCLUSIVE": "exclusive", "ACCESS EXCLUSIVE": "exclusive"}

    def _lock_tables(self, tables: list[str], mode: str, nowait: bool) -> None:
        """LOCK TABLE ... IN mode MODE: held until the transaction ends. Readers take no lock here
        (MVCC), so ACCESS EXCLUSIVE does not block plain SELECTs as in PostgreSQL."""
        from helios_core.sql.object_privileges import find_relation

        kind = self._LOCK_MODE_OF.get(mode)
        if kind is None:
            raise FeatureNotSupported(f"LOCK TABLE ... IN {mode} MODE is not supported",
                                      hint="ACCESS SHARE, ROW SHARE, ROW EXCLUSIVE, EXCLUSIVE and ACCESS "
                                           "EXCLUSIVE are.")
        txn = self.tx.current()
        for dotted in tables:
            ref = find_relation(self, dotted, txn)
            if ref.kind == "table":
                txn.lock_table(ref.schema, ref.name, kind, nowait)

    def _explain(self, a: dict) -> Result:
        from helios_core.sql import types

        stmts = dialect.parse(a["body"])
        if len(stmts) != 1:
            raise HeliosError("EXPLAIN needs exactly one statement", sqlstate="42601")
        ast = stmts[0].ast
        if isinstance(ast, Utility) and ast.kind == "execute":  # EXPLAIN EXECUTE name(args): its statement
            stmt, values = prepared.execute_arguments(self, ast.args)
            inner = stmt.plan.statement
            if inner is None or isinstance(inner.ast, Utility):
                raise FeatureNotSupported("EXPLAIN of this statement is not supported")
            python_values = [getattr(v, "as_py", lambda v=v: v)() for v in values]
            body = _with_values_inlined(inner.ast, python_values)  # a custom plan shows them, as PostgreSQL's
            return self._explain({**a, "body": body if body is not None else inner.text, "params": python_values,
                                  "param_types": list(stmt.plan.param_types)})
        self.tx.statement_start()
        ctx = self.context(params=a.get("params", ()), param_types=a.get("param_types", ()))
        as_json = (a.get("options") or {}).get("format") == "json"
        if as_json and isinstance(ast, (exp.Query, exp.Values)):
            if any(t.args.get("version") is not None for t in ast.find_all(exp.Table)):
                ast = self._resolve_as_of(ast, ctx)
            plan, options = self._planned_for_explain(ast, ctx, a)
            document = explain_json(plan, ctx, analyze=a["analyze"], options=options)
            return Result(command_tag="EXPLAIN", columns=[result_column("QUERY PLAN", types.JSON)],
                          batches=[pa.record_batch([pa.array([document], pa.string())], names=["QUERY PLAN"])])
        if as_json and isinstance(ast, (exp.Insert, exp.Update, exp.Delete)):
            operation, table, source = dml.explain_parts(self, ast, ctx)
            params = a.get("params", ())

            def run() -> None:  # ANALYZE: the write happens, as in PostgreSQL, with EXPLAIN's parameters
                names = [t.sql_name() if t is not None else None for t in a.get("param_types", ())]
                stmt = prepared.prepare_statement(self, stmts[0], a["body"], param_types=names)
                prepared.run_prepared(self, stmt, params)

            document = explain_write_json(operation, table, source, run=run if a["analyze"] else None)
            return Result(command_tag="EXPLAIN", columns=[result_column("QUERY PLAN", types.JSON)],
                          batches=[pa.record_batch([pa.array([document], pa.string())], names=["QUERY PLAN"])])
        if as_json:
            raise FeatureNotSupported("EXPLAIN (FORMAT JSON) of this statement is not supported",
                                      hint="FORMAT TEXT is.")
        if isinstance(ast, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
            if a["analyze"]:
                raise FeatureNotSupported("EXPLAIN ANALYZE of INSERT/UPDATE/DELETE/MERGE is not supported yet")
            lines = dml.explain(self, ast, ctx, a.get("options"))
        elif isinstance(ast, (exp.Query, exp.Values)):
            if any(t.args.get("version") is not None for t in ast.find_all(exp.Table)):
                ast = self._resolve_as_of(ast, ctx)  # AS OF '...' -> the commit timestamp it reads
            plan, options = self._planned_for_explain(ast, ctx, a)
            lines = plan.explain(ctx, analyze=a["analyze"], options=options)
        else:
            raise FeatureNotSupported("EXPLAIN of this statement is not supported")
        batch = pa.record_batch([pa.array(lines, pa.string())], names=["QUERY PLAN"])
        return Result(command_tag="EXPLAIN", columns=[result_column("QUERY PLAN", types.TEXT)],
                      batches=[batch])

    def _planned_for_explain(self, ast: Any, ctx: Any, a: dict) -> tuple[Any, dict[str, Any]]:
        """The query's plan, and EXPLAIN's options with the time planning took (its Planning Time)."""
        started = time.perf_counter()
        plan = self.plan_query(ast, ctx)
        return plan, {**(a.get("options") or {}), "planning_ms": (time.perf_counter() - started) * 1000}

    def statement_failed(self) -> None:
        """A protocol failed the last statement after it ran (its result was being sent): a block
        is aborted; an implicit transaction has ended already."""
        if self.tx.in_block:
            self.tx.on_error()

    def cursor_columns(self, name: str) -> list[ResultColumn] | None:
        """Row description of an open SQL cursor (for a protocol's Describe of that portal name)."""
        cur = self.cursors.get(name)
        return cur.columns if cur is not None else None

    # ------------------------------------------------------------------ settings
    def set_setting(self, name: str, value: str | None, *, local: bool = False) -> str:
        """SET name = value (None = DEFAULT); heliosdb.branch switches the branch."""
        lname = name.lower()
        if lname in session_identity.IDENTITY_SETTINGS:
            if getattr(self, "security_definer_depth", 0):
                raise HeliosError(f'cannot set parameter "{lname}" within security-definer function',
                                  sqlstate="42501")
            value = session_identity.check_set(self, lname, value)  # 42501 unless allowed
        if lname in SUPERUSER_SETTINGS and not (self.engine.get_role(self.user) or {}).get("superuser"):
            raise HeliosError(f'permission denied to set parameter "{lname}"', sqlstate="42501")
        if lname == "heliosdb.branch":
            previous = self.branch
            target = value if value is not None else self.settings_obj.session_defaults["heliosdb.branch"]
            if self.tx.in_block and self.tx.txn is not None and target != previous:
                raise HeliosError("cannot change heliosdb.branch inside a transaction that has already run "
                                  "a statement", sqlstate="25001")
            self._check_branch(target)
            if not self.tx.in_block and self.tx.txn is not None and target != previous:
                self.tx.end_implicit()  # what ran so far in this query string belongs to the old branch
        self.settings_obj.set(lname, value, local=local, in_block=self.tx.in_block)
        if lname == "transaction_isolation" and value is not None:
            self.tx.set_transaction({"isolation": self.settings_obj.get("transaction_isolation")})
        elif lname in ("transaction_read_only", "transaction_deferrable") and value is not None:
            mode = lname.removeprefix("transaction_")
            self.tx.set_transaction({mode: self.settings_obj.get(lname) == "on"})
        elif lname.startswith("default_transaction_"):
            self.tx.set_transaction({})  # the transaction_* settings follow the new default
        if lname == "heliosdb.branch" or lname in session_identity.IDENTITY_SETTINGS:
            self.engine.bump_plan_generation()  # plans were checked for the previous user/branch
        return lname

    def _check_branch(self, name: str) -> None:
        if self.engine.store.get_branch(self.database, name) is None:
            raise HeliosError(f'branch "{name}" does not exist', sqlstate="42704")
        branching.check_switch(self, name)  # 42501 / 53300 (helios_core.branching)

    def _switch_branch_checked(self, name: str, previous: str) -> None:
        if name != previous:
            self._check_branch(name)
            self.engine.bump_plan_generation()

    def current_setting(self, name: str, missing_ok: bool = False) -> str | None:
        session_identity.refresh(self)
        if name.lower() == "transaction_isolation":
            return self.tx.isolation or self.settings_obj.get("default_transaction_isolation")
        return self.settings_obj.get(name, missing_ok=missing_ok)

    def set_config(self, name: str, value: str | None, is_local: bool = False) -> str:
        lname = self.set_setting(name, value, local=is_local)
        return self.settings_obj.values.get(lname, "") or ""

    def _show(self, name: str) -> Result:
        from helios_core.sql import types

        if name == "all":
            rows = self.settings_obj.show_all()
            batch = pa.record_batch(
                [pa.array([r[i] for r in rows], pa.string()) for i in range(3)],
                names=["name", "setting", "description"],
            )
            cols = [result_column(n, types.TEXT) for n in ("name", "setting", "description")]
            return Result(command_tag="SHOW", columns=cols, batches=[batch])
        value = self.current_setting(name)
        label = display_name(name)
        batch = pa.record_batch([pa.array([value], pa.string())], names=[label])
        return Result(command_tag="SHOW", columns=[result_column(label, types.TEXT)], batches=[batch])

    # ------------------------------------------------------------------ sequences (session side)
    def nextval(self, name: str) -> int:
        return sequences.nextval(self, name)

    def currval(self, name: str) -> int:
        return sequences.currval(self, name)

    def lastval(self) -> int:
        return sequences.lastval(self)

    def setval(self, name: str, value: int, is_called: bool = True) -> int:
        return sequences.setval(self, name, value, is_called)

    # ------------------------------------------------------------------ prepared statements
    def prepare(self, sql: str, param_type_oids: Sequence[int] = (), *, dialect: str = "postgres",
                param_types: Sequence[str | None] = ()) -> PreparedStatement:
        self._check_open()
        self.settle_stream()
        try:
            if dialect != "postgres":
                stmts = dialects.parse(sql, dialect)
                if len(stmts) > 1:
                    raise HeliosError("cannot insert multiple commands into a prepared statement",
                                      sqlstate="42601")
                return prepared.prepare_statement(self, stmts[0] if stmts else None, sql, param_type_oids,
                                                  param_types)
            return prepare_shared(
                self, sql, param_type_oids, param_types,
                lambda: prepared.prepare(self, sql, param_type_oids, param_types=param_types))
        except HeliosError:
            self.tx.on_error()  # as any error: a transaction block is aborted (25P02 until it ends)
            raise
        except RecursionError:
            self.tx.on_error()
            raise deep_nesting.stack_depth_error() from None

    def prepare_tree(self, tree: Any, param_types: Sequence[str | None] = ()) -> PreparedStatement:
        """Prepare a statement given as a sqlglot tree (a front end that does not write SQL text)."""
        self._check_open()
        self.settle_stream()
        st = _tree_statement(tree)
        try:
            return prepared.prepare_statement(self, st, st.text, (), param_types)
        except HeliosError:
            self.tx.on_error()  # as any error: a transaction block is aborted (25P02 until it ends)
            raise

    def execute_tree(self, tree: Any, params: Sequence[Any] = (), *, stream: bool = False) -> Result:
        """Run one statement given as a sqlglot tree; ``$n`` parameters take ``params``."""
        stmt = self.prepare_tree(tree, [None] * len(params))
        return self.execute_prepared(stmt, params, stream=stream)

    def execute_point(self, stmt: PreparedStatement, params: Sequence[Any]) -> Result | None:
        """``execute_prepared`` of a planned primary-key point read, with nothing else around it;
        None when the ordinary path must run it (helios_core.sql.point_reads.execute_point)."""
        return point_reads.execute_point(self, stmt, params)

    def text_is_short(self, sql: str) -> bool:
        if self.closed or self.tx.failed:
            return False
        cached = self.statement_cache.peek(self, sql)
        return cached is not None and cached.short

    def execute_point_sql(self, sql: str) -> Result | None:
        """``execute`` of a query text the statement cache holds as a point read (its numbers
        lifted out), run as ``execute_point``; None when the ordinary path must run it."""
        if self.closed:
            return None
        lifted, cached = self._cached(sql, "postgres")
        if cached is None or not cached.short:
            return None
        result = point_reads.execute_point(self, cached, lifted.values)
        if result is not None:
            self.last_query = sql
        return result

    def execute_prepared(self, stmt: PreparedStatement, params: Sequence[Any], *, stream: bool = False) -> Result:
        self._check_open()
        self.last_query = stmt.sql
        self.settle_stream()
        if time_budget.prepared_only() and (not prepared.is_inline_batch(self, stmt) or self._commit_would_wait()):
            time_budget.inline()  # a write tried on a protocol's event loop (helios_core.time_budget)
        if not stream:
            return prepared.execute(self, stmt, params)
        try:
            result = prepared.run_prepared(self, stmt, params, lazy=True)
        except HeliosError:
            self.tx.on_error()
            raise
        except RecursionError:
            self.tx.on_error()
            raise deep_nesting.stack_depth_error() from None
        except Exception as e:
            self.tx.on_error()
            raise from_engine_failure(e) from e
        if isinstance(result.batches, ResultStream):
            result.batches.on_finish(lambda error: None if error is not None else self.tx.end_implicit())
        else:
            self.tx.end_implicit()
        return result

    def ending_is_quick(self) -> bool:
        return self.tx.ending_is_small() and self.engine.store.commits_are_quick()

    def _commit_would_wait(self) -> bool:
        """A statement run now would end with a commit whose fsync is slow (Store.commits_are_quick)."""
        return not self.tx.in_block and not self.engine.store.commits_are_quick()

    def execute_prepared_rows(self, stmt: PreparedStatement, rows: Sequence[Sequence[Any]]) -> Result | None:
        self._check_open()
        self.settle_stream()
        return pipelined_rows.run(self, stmt, rows)

    def run_in_implicit(self, fn: Any) -> Any:
        """Run fn() as one statement outside/inside a block with PostgreSQL's error handling."""
        try:
            out = fn()
        except HeliosError:
            self.tx.on_error()
            raise
        except RecursionError:
            self.tx.on_error()
            raise deep_nesting.stack_depth_error() from None
        except Exception as e:
            self.tx.on_error()
            raise from_engine_failure(e) from e
        self.tx.end_implicit()
        return out

    # ------------------------------------------------------------------ COPY
    def copy_in(self, copy: CopySpec, batches: Iterator[Any]) -> Result:
        from helios_core.sql import copy as copy_mod

        self._check_open()
        self.settle_stream()

        def run() -> Result:
            self.tx.check_not_failed()
            self._begin_statement()
            try:
                return copy_mod.copy_in(self, copy, batches)
            finally:
                self._end_statement()

        return self.run_in_implicit(run)

    # ------------------------------------------------------------------ lifecycle
    def cancel(self) -> None:
        """From another thread: the running statement stops with 57014 (no-op when idle)."""
        with self._lock:
            if self._running:
                self._cancel.set()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            with contextlib.suppress(Exception):  # closing must go on
                self.settle_stream()
            self.tx.rollback()
            self._drop_temp_tables()
            from helios_core.sql import advisory_locks

            advisory_locks.release_session_locks(self)
        finally:
            self.engine.forget_session(self.pid)

    def _drop_temp_tables(self) -> None:
        if not self.temp_tables:
            return
        txn = self.engine.store.begin(self.database, self.branch)
        try:
            for schema, name in self.temp_tables:
                if txn.get_table(schema, name) is not None:
                    ddl.drop_table_objects(self, txn, schema, name, cascade=True)
                elif txn.catalog_get("view", f"{schema}.{name}") is not None:  # CREATE TEMPORARY VIEW
                    txn.catalog_delete("view", f"{schema}.{name}")
                elif txn.catalog_get("sequence", f"{schema}.{name}") is not None:  # CREATE TEMPORARY SEQUENCE
                    txn.catalog_delete("sequence", f"{schema}.{name}")
            txn.commit()
        except Exception:  # noqa: BLE001 - a session must always close
            txn.rollback()
        self.temp_tables.clear()
        self.temp_on_commit.clear()

    def _check_open(self) -> None:
        if self.closed:
            raise HeliosError("session is closed", sqlstate="08003")


# Statements of HeliosDB's design that this release does not have yet: refused naming the feature.
_PLANNED_STATEMENTS = {
}


@contextlib.contextmanager
def _read_only_names(ast: Any) -> Iterator[None]:
    """25006 names the statement, as PostgreSQL's "cannot execute INSERT in a read-only transaction"."""
    try:
        yield
    except ReadOnlyTransaction as e:
        if e.message != "cannot execute write in a read-only transaction":
            raise
        if isinstance(ast, exp.TruncateTable):
            what = "TRUNCATE TABLE"
        elif isinstance(ast, (exp.Create, exp.Drop, exp.Alter)):
            verb = type(ast).__name__.upper()
            what = "CREATE TABLE AS" if isinstance(ast, exp.Create) and ast.args.get("expression") is not None \
                else f"{verb} {str(ast.args.get('kind') or '').upper()}".strip()
        else:
            what = type(ast).__name__.upper()
        raise ReadOnlyTransaction(f"cannot execute {what} in a read-only transaction") from None


_VIEW_RESET = re.compile(r"^\s*view\s+(?P<if_exists>if\s+exists\s+)?(?P<name>.+?)\s+reset\s*\((?P<opts>[^)]*)\)\s*;?\s*$",
                         re.IGNORECASE | re.DOTALL)


def _unsupported_command(word: str, rest: str) -> str:
    """The 0A000 message for a statement sqlglot could only keep as text: its first two words."""
    second = rest.split()[0].upper() if rest.split() else ""
    if re.search(r"\bNULLS\s+NOT\s+DISTINCT\b", rest, re.IGNORECASE):
        return "UNIQUE NULLS NOT DISTINCT is not supported"
    planned = _PLANNED_STATEMENTS.get((word, second))
    if planned is not None:
        return planned
    return f"{word} {second} is not supported".replace("  ", " ")
