"""One client connection: start-up, then the simple and extended query loop.

A connection is one anyio task; while it waits for the client it holds no thread.
Statements run in worker threads (``anyio.to_thread.run_sync`` under the server's
limiter) because the engine is synchronous and CPU-bound; the statement and the
encoding of its first rows share one hop, and plain reads that stay under a millisecond
run on the event loop (``run_statement``). Output messages are
buffered and written when the protocol says the client waits (ReadyForQuery, Flush,
a full buffer), which keeps a pgbench round trip to one write.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import struct
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import attrs
import pyarrow as pa

from helios_core.errors import HeliosError, QueryCanceled, from_engine_failure
from helios_core.session import (
    BudgetExceeded,
    Result,
    statement_take_turn,
    statement_turn,
    statement_waiting,
    time_budget,
)
from helios_protocol_pg import (
    admin_console,
    client_encoding,
    cursors,
    param_columns,
    pg_types,
    pipelined_rows,
    pooling,
)
from helios_protocol_pg import messages as m
from helios_protocol_pg.command_tags import command_tag
from helios_protocol_pg.config import parse_duration_ms
from helios_protocol_pg.copy_codec import RowEncoder, make_decoder
from helios_protocol_pg.formats import PLAIN_TEXT_OIDS as _PLAIN_OIDS
from helios_protocol_pg.formats import (
    data_rows,
    decode_param,
    encode_small_rows,
    result_format_list,
    small_row_kinds,
)
from helios_protocol_pg.lean_stream import lean
from helios_protocol_pg.pg_types import oid_of
from helios_protocol_pg.row_stream import EncodedRows
from helios_protocol_pg.startup import AuthError, authenticate, is_loopback, new_secret, parse_options

if TYPE_CHECKING:  # pragma: no cover
    from helios_protocol_pg.server import PgServer

FLUSH_AT = 64 * 1024
INLINE_BUDGET = 0.001  # seconds: a plain read this quick runs on the event loop (see run_statement)
WRITE_BUDGET = 0.008  # seconds: a prepared batch INSERT tried on the event loop (see run_write)
LOCK_WAIT_ON_LOOP = 0.25  # seconds a short statement waits on the loop for row locks before a worker waits
WRITE_BACKOFF_MAX = 64  # statements run in workers after a write handed back, at most
NOTIFY_POLL_SECONDS = 0.02  # how often an idle listening connection looks for notifications
# set_config(...) in any case (a search, not a lower-cased copy of a 60 kB batch on the event loop)
_SET_CONFIG = re.compile("_config(?<=set_config)", re.IGNORECASE)  # "_config" first: a quick scan
# searched in the lower-cased text (a third of the time of an IGNORECASE search)
_NOT_PLAIN_READ = re.compile(r"\b(?:for\s+(?:update|share|no\s+key|key)|pg_sleep|nextval|setval|set_config|"
                             r"insert|update|delete|merge|copy|lock|into|pg_cancel_backend|"
                             r"pg_terminate_backend|pg_notify|heliosdb)\b")
ROWS_PER_HOP = 8192  # rows encoded per worker-thread hop when streaming a result
COPY_CHUNK = 4 << 20  # COPY FROM STDIN: bytes of CopyData handed to the decoder at once
COPY_READ_AHEAD = 2  # chunks gathered ahead of the decoder

REPORTED_SETTINGS = {
    "server_version": "server_version",  # the engine's (PostgreSQL 15.x), as SHOW and version() say
    "application_name": "application_name",
    "client_encoding": "client_encoding",
    "datestyle": "DateStyle",
    "timezone": "TimeZone",
    "intervalstyle": "IntervalStyle",
    "standard_conforming_strings": "standard_conforming_strings",
    "search_path": None,
    "is_superuser": "is_superuser",
    "session_authorization": "session_authorization",
}

_STARTUP_IGNORED = {"user", "database", "options", "replication"}


class Terminate(Exception):
    """The client sent Terminate or the connection must close."""


@attrs.define
class Statement:
    sql: str
    prepared: Any  # helios_core.session.PreparedStatement, None for an empty query
    param_oids: list[int]
    cursor_cmd: Any = None  # cursors.Declare | Fetch | Close for SQL cursor statements
    prepared_at: dt.datetime = attrs.Factory(lambda: dt.datetime.now(dt.UTC))
    given_oids: list[int] = attrs.Factory(list)  # the Parse message's parameter types
    session_pid: int = 0  # the engine session it was prepared on (transaction pooling moves it)
    descriptions: dict = attrs.Factory(dict)  # result formats -> (columns, RowDescription bytes)

    def described_param_oids(self) -> list[int]:
        """ParameterDescription's OIDs: a domain parameter's own OID where the Parse message left
        the type to the server (values are read as its base type, ``param_oids``)."""
        catalog = getattr(self.prepared, "param_catalog_oids", None)
        if not catalog or len(catalog) != len(self.param_oids):
            return self.param_oids
        given = self.given_oids
        return [o if i < len(given) and given[i] else c
                for i, (o, c) in enumerate(zip(self.param_oids, catalog, strict=True))]


@attrs.define
class Portal:
    statement: Statement
    params: list[Any]
    result_formats: list[int]
    result: Any = None
    rows: EncodedRows | None = None
    formats: list[int] | None = None
    sent: int = 0
    done: bool = False


_NEEDS_SESSION = frozenset({b"Q", b"P", b"B", b"D", b"E", b"C"})
# what libpq sends after the Bind of one prepared execution on the unnamed portal (point_round_trip)
_SYNC = m.msg(b"S")
_DESCRIBE_PORTAL = m.msg(b"D", b"P\0")
_EXECUTE_HEAD = b"E" + struct.pack("!i", 9) + b"\0"  # Execute of the unnamed portal, a row limit next


def _execute_sync_length(buf: bytes, pos: int) -> int | None:
    """The length of the unnamed portal's Execute and a Sync at ``pos`` (None: other messages).
    Its row limit does not matter to a point read, which has one row at most: libpq asks for
    every row (0), asyncpg's fetchrow for one."""
    end = pos + len(_EXECUTE_HEAD) + 4
    if not buf.startswith(_EXECUTE_HEAD, pos) or not buf.startswith(_SYNC, end):
        return None
    return end + len(_SYNC) - pos
_SELECT_TAGS = (m.command_complete("SELECT 0"), m.command_complete("SELECT 1"))


def _bound_params(stmt: Any, b: m.Bind) -> list[Any]:
    """A Bind's parameters decoded for the session, after the checks PostgreSQL makes of them."""
    n = len(stmt.param_oids)
    if len(b.params) != n:
        raise HeliosError(f'bind message supplies {len(b.params)} parameters, but prepared statement '
                          f'"{b.statement}" requires {n}', sqlstate="08P01")
    if len(b.param_formats) not in (0, 1, n):
        raise HeliosError(f"bind message has {len(b.param_formats)} parameter formats but "
                          f"{n} parameters", sqlstate="08P01")
    if not any(b.param_formats):  # all text (psycopg's usual): strings for the engine to parse
        return [None if raw is None else m.decode_text(raw) for raw in b.params]
    if n >= param_columns.MIN_PARAMS:  # a batch's values: the binary ones of a type decoded together
        return param_columns.decode_params(b.params, stmt.param_oids, _binary_flags(b.param_formats, n), decode_param)
    params = []
    for i, raw in enumerate(b.params):
        fmt = b.param_formats[i] if len(b.param_formats) > 1 else b.param_formats[0]
        params.append(decode_param(raw, stmt.param_oids[i], fmt == 1))
    return params


def _binary_flags(formats: list[int], n: int) -> list[bool]:
    """Which of a Bind's ``n`` parameters are binary, from its format codes (one for all, or one each)."""
    return [f == 1 for f in formats] if len(formats) > 1 else [formats[0] == 1] * n


def _bound_rows(stmt: Any, binds: list[m.Bind]) -> list[list[Any]]:
    """The parameters of a pipeline's Binds of one statement (pipelined_inserts), one list per Bind.
    When they agree in count and formats and some are binary, they are decoded a column at a time
    across all the Binds (param_columns), as one Bind of a whole batch is; otherwise Bind by Bind."""
    n = len(stmt.param_oids)
    formats = binds[0].param_formats
    if n and any(formats) and len(formats) in (1, n) and len(binds) * n >= param_columns.MIN_PARAMS and all(
            len(b.params) == n and b.param_formats == formats for b in binds):
        values = param_columns.decode_params([raw for b in binds for raw in b.params], stmt.param_oids * len(binds),
                                             _binary_flags(formats, n) * len(binds), decode_param)
        return [values[i:i + n] for i in range(0, len(values), n)]
    return [_bound_params(stmt, b) for b in binds]


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class PgConnection:
    def __init__(self, server: PgServer, stream: anyio.abc.ByteStream) -> None:
        self.server = server
        self.stream = stream
        self.reader = m.WireReader(stream)
        self.out = bytearray()
        self.log: logging.Logger = server.log
        self.pid = 0
        self.secret = new_secret()
        self.session: Any = None
        self.user = ""
        self.database = ""
        self.statements: dict[str, Statement] = {}
        self.portals: dict[str, Portal] = {}
        self.cursors: dict[str, cursors.Cursor] = {}
        self.reported: dict[str, str] = {}
        self.skip_until_sync = False
        self.peer = "?"
        self.tls = False
        self.idle_scope: anyio.CancelScope | None = None  # the loop's scope while waiting for the client
        self._loop_scope = anyio.CancelScope()
        self.timezone = "UTC"
        self.datestyle = "ISO, MDY"  # DateStyle: how dates and timestamps are encoded as text
        self.client_encoding = "UTF8"
        self.terminating = False
        # COPY TO STDOUT sends rows the session already produced: a cancel request then stops the
        # sending (None: no COPY out under way; False/True: under way, cancelled)
        self.copy_out_cancelled: bool | None = None
        # set while a statement waits on the loop for a row lock (run_statement): a cancel ends it
        self.lock_wait: Any = None
        self.settings_dirty = True  # re-read session settings (ParameterStatus, TimeZone) at next ready
        self.reported_version: tuple[Any, int] | None = None  # (session, its settings_version) when last read
        self.fast_reads = False  # this connection's plain reads finish within INLINE_BUDGET
        self.write_backoff = 0  # run_write: writes to send to workers after the last hand-back
        self.write_skip = 0  # ... of which this many are still to go
        self.idle_tx_timeout = 0.0  # idle_in_transaction_session_timeout in seconds (0 = off)
        # Executes pipelined before one Sync share a transaction, as in PostgreSQL (asyncpg's and
        # psycopg's executemany are atomic); we open it unless the Sync is already the next message
        # (_sync_not_next), so a lone Execute + Sync stays a plain autocommit statement.
        self.implicit_tx = False
        self.rows_declined_until = 0  # reader offset up to which a declined pipelined run goes one by one
        self.login_scope: anyio.CancelScope | None = None  # start-up + login; cancelled at timeout or eviction
        self.accepted_at = time.monotonic()
        self._last_row_description: tuple[list[Any], bytes] | None = None
        self._point_kinds: tuple[Any, ...] | None = None  # (columns, formats, schema, kinds): _point_row_kinds
        self.pooled = False  # transaction pooling: self.session is linked only inside a transaction
        self.admin = False  # PgBouncer's admin console (database "pgbouncer"): no engine session
        self.session_options: dict[str, str] = {}
        self.client_params: dict[str, str] = {}  # PgBouncer's tracked parameters, as this client set them
        self.linked_at = 0.0
        self.connected_at = time.time()
        self.request_at = time.time()
        self.superuser = False

    # -- output ---------------------------------------------------------------

    def write(self, data: bytes) -> None:
        self.out += data

    async def flush(self) -> None:
        if self.out:
            data = bytes(self.out)
            self.out.clear()
            try:
                await self.stream.send(data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError, OSError) as exc:
                raise m.ClientGone(str(exc)) from exc

    async def maybe_flush(self) -> None:
        if len(self.out) >= FLUSH_AT:
            await self.flush()

    def send_error(self, exc: BaseException, severity: str | None = None) -> None:
        if severity != "FATAL":  # what the failed statement raised before its error (RAISE NOTICE) goes first
            self.write_late_notices()
        self.write(m.error_response(error_fields_for(exc, severity)))

    # -- worker threads ------------------------------------------------------------

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a session call in a worker thread (the session enforces statement_timeout itself)."""
        return await anyio.to_thread.run_sync(_in_session, self.session, None, fn, args,
                                              limiter=self.server.limiter)

    async def prepare_on_session(self, sql: str, param_oids: list[int]) -> Any:
        """session.prepare with the client's parameter OIDs; those of plugin types the kernel numbers
        its own way (tsvector, tsquery) go by type name."""
        names = pg_types.plugin_type_names(param_oids)
        if not any(names):
            return await self.run(self.session.prepare, sql, param_oids)
        oids = [0 if name else oid for oid, name in zip(param_oids, names, strict=True)]
        return await self.run(functools.partial(self.session.prepare, param_types=names), sql, oids)

    def prepared_statement_rows(self) -> list[tuple]:
        """Named statements prepared with Parse, as pg_prepared_statements shows them."""
        return [(name, st.sql, st.prepared_at, list(st.param_oids), False,
                 getattr(getattr(st.prepared, "plan", None), "executions", 0), 0)
                for name, st in list(self.statements.items()) if name]

    def prepared_statement(self, name: str) -> Any:
        """The session-level statement Parse prepared under ``name`` (None if none): SQL EXECUTE runs it."""
        st = self.statements.get(name)
        return getattr(st, "prepared", None) if st is not None and st.cursor_cmd is None else None

    def cursor_rows(self) -> list[tuple]:
        """DECLAREd cursors, as pg_cursors shows them."""
        return [(c.name, c.statement, c.hold, c.binary, c.scroll, c.created_at) for c in list(self.cursors.values())]

    def output_settings(self) -> dict[str, str]:
        """The settings that shape encoded values (text output of timestamptz and dates)."""
        return {"timezone": self.timezone, "datestyle": self.datestyle}

    async def run_encoding(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Encode result values in a worker thread, in the session's TimeZone."""
        return await anyio.to_thread.run_sync(_in_session, self.session, self.output_settings(), fn, args,
                                              limiter=self.server.limiter)

    async def run_statement(self, sql: str, fn: Callable[..., Any], *, may_inline: bool = True,
                            short: bool = False, ends_block: bool = False) -> Any:
        """Run a statement (and encode its first rows), inline when it is a read known to be quick.

        ``short``: the engine knows the statement is short and can be run again (PreparedStatement.short:
        a point read or write, BEGIN; a write that would wait is undone and handed back): it is tried
        inline as a plain read is, in or out of a transaction block. One that meets a row lock waits
        on the loop for the holder to end and is tried again (up to LOCK_WAIT_ON_LOOP seconds in all,
        then in a worker, whose wait checks cancel requests, timeouts and deadlocks). Under a CPU-starved machine the
        same rule sends it to worker threads (a loop preempted mid-statement overruns the budget).

        A worker-thread hop costs two thread switches, more than a primary-key read itself. A
        plain read (no locks, no side effects, so it can be run again) runs on the event loop
        while this connection's reads keep finishing within INLINE_BUDGET, under a time budget
        (helios_core.time_budget): past it the engine stops the read at its next cancellation
        check and it runs again in a worker thread, so an expensive read never holds the loop
        (and with it every other client, cancel requests and timeouts) for longer than that.

        ``ends_block``: COMMIT, END, ROLLBACK or ABORT. It cannot be handed back and run again; when
        the session says the block's end is quick (``Session.ending_is_quick``: a few rows, quick
        fsyncs) it runs on the loop with no budget, as a write's commit tried inline does; else in
        a worker thread.
        """
        if ends_block and self.server.inline_writes and self.session.ending_is_quick():
            return _with_session(self.session, fn, ())
        inline = may_inline and self.server.inline_reads and (short or _is_plain_read(sql))
        if inline and self.fast_reads and (short or self.tx_status() == "I"):
            waited = 0.0
            while True:
                started = time.perf_counter()
                cpu = 0.0 if short else time.thread_time()
                try:
                    with time_budget(INLINE_BUDGET * 2):
                        out = _with_session(self.session, fn, ())
                except BudgetExceeded as exc:
                    if exc.lock_wait is not None:  # a row lock: wait for its holder here, then again
                        if waited < LOCK_WAIT_ON_LOOP and await self._lock_released(exc.lock_wait,
                                                                                     LOCK_WAIT_ON_LOOP - waited):
                            waited += time.perf_counter() - started
                            continue
                        break  # long: the worker's wait checks cancels, timeouts and deadlocks
                    self.fast_reads = False
                    self.log.debug("postgres pid %d: statement over its inline budget; running it in a worker",
                                   self.pid)
                    break
                else:
                    # its own CPU time, as in a worker: the time the loop waited for the interpreter
                    # while a worker's statement held it is not the statement's cost. A short
                    # statement is known to be short: only its budget running out sends the next
                    # ones to workers (near a millisecond on a slow machine, its time flipped them)
                    if not short:
                        self.fast_reads = time.thread_time() - cpu < INLINE_BUDGET
                    return out
        if not inline:
            return await self.run_encoding(fn)
        cost = [0.0]

        def timed() -> Any:
            # the statement's own CPU time in the worker: the hop's wait and a loaded machine's
            # scheduling delays would otherwise keep a cheap read off the loop for good
            started = time.thread_time()
            try:
                return fn()
            finally:
                cost[0] = time.thread_time() - started

        out = await self.run_encoding(timed)
        self.fast_reads = cost[0] < (INLINE_BUDGET * 2 if short else INLINE_BUDGET)  # short: its budget
        return out

    async def _lock_released(self, lock_wait: Any, seconds: float) -> bool:
        """Wait on the loop for a row lock's holder to end (True). Not under statement_timeout (the
        worker's run would start its clock again); a cancel request meanwhile fails the statement
        (and the transaction block, as a cancel in the engine does)."""
        timeout = self.session.settings_obj.get("statement_timeout")
        if timeout and parse_duration_ms(timeout):
            return False
        self.lock_wait = lock_wait
        try:
            ended = await lock_wait.ended(seconds)
        finally:
            self.lock_wait = None
        if lock_wait.interrupted:  # as if cancelled in the engine: a transaction block is aborted too
            self.session.statement_failed()
            raise QueryCanceled("canceling statement due to user request")
        return ended

    async def run_write(self, fn: Callable[..., Any]) -> Any:
        """An INSERT (simple query, or a portal's Execute): tried on the event loop first, in the
        engine's prepared-only mode.

        A batch load's batches after its first are INSERT ... VALUES of literal rows whose shape
        the session has prepared, or a prepared statement's bound rows. One costs the interpreter
        a few milliseconds in a worker as on the loop (the GIL), and handing it to a worker and
        back costs more than the two thread switches: the statement and its commit run inline. Under ``time_budget(WRITE_BUDGET, prepared_only=True)``
        the engine hands back (BudgetExceeded) anything else before it starts (a shape not yet
        prepared, a routine, a trigger, a lock it would wait for, fsyncs that are slow) and undoes
        what a statement wrote before running past the budget; it then runs in a worker. After
        a hand-back the next 1, 2, 4, ... WRITE_BACKOFF_MAX writes of the connection go straight to
        workers, so that a client whose INSERTs never qualify pays for few attempts.
        """
        if self.write_skip:
            self.write_skip -= 1
            return await self.run_encoding(fn)
        try:
            with time_budget(WRITE_BUDGET, prepared_only=True):
                out = _with_session(self.session, fn, ())
        except BudgetExceeded:
            self.write_backoff = min(self.write_backoff * 2 or 1, WRITE_BACKOFF_MAX)
            self.write_skip = self.write_backoff
            return await self.run_encoding(fn)
        self.write_backoff = 0
        return out

    # -- lifecycle -----------------------------------------------------------------

    def login_age(self) -> float:
        return time.monotonic() - self.accepted_at

    def abort_login(self) -> None:
        """Close a socket that is still logging in (timeout or too many of them): no message, as PostgreSQL."""
        if self.login_scope is not None:
            self.login_scope.cancel()

    async def handle(self) -> None:
        try:
            self.peer = _peer_of(self.stream)
            with anyio.CancelScope(deadline=self.accepted_at + self.server.authentication_timeout) as scope:
                self.login_scope = scope
                params = await self.startup()
                if params is not None:
                    await self.start_session(params)
            self.login_scope = None
            if scope.cancelled_caught:
                self.log.info("postgres connection %s: closed while logging in after %.1fs "
                              "(authentication_timeout or too many sockets logging in)", self.peer, self.login_age())
                return
            if params is None:
                return
            if not self.tls:  # the message loop's reads and writes skip anyio's stream (lean_stream)
                self.stream = self.reader.stream = lean(self.stream)
            await self.loop()
        except (m.ClientGone, Terminate):
            pass
        except m.ProtocolViolation as exc:
            self.log.warning("postgres connection %s (pid %s): protocol violation: %s", self.peer, self.pid, exc)
            await self._fatal(exc)
        except AuthError as exc:
            self.log.info("postgres connection %s: authentication failed: %s", self.peer, exc.message)
            await self._fatal(exc)
        except HeliosError as exc:
            if exc.severity == "FATAL" or self.session is None or exc.sqlstate == "57P01":
                self.log.info("postgres connection %s: %s", self.peer, exc.message)
                await self._fatal(exc)
            else:  # pragma: no cover - errors inside the loop are answered there
                raise
        except Exception:
            self.log.exception("postgres connection %s (pid %s): internal error", self.peer, self.pid)
            await self._fatal(HeliosError("internal error; see the server log", sqlstate="XX000"))
        finally:
            await self.close()

    async def _fatal(self, exc: BaseException) -> None:
        try:
            self.out.clear()
            self.send_error(exc, "FATAL")
            with anyio.move_on_after(2):
                await self.flush()
        except Exception:  # noqa: BLE001 - best effort on a dying connection
            self.log.debug("postgres pid %s: could not send final error", self.pid)

    async def close(self) -> None:
        self.server.unregister(self)
        if self.pooled and self.session is not None:
            await self._return_after_disconnect()
        if self.session is not None:
            session, self.session = self.session, None
            try:
                await anyio.to_thread.run_sync(session.close, limiter=self.server.limiter)
            except Exception:
                self.log.exception("postgres connection %s: error closing session", self.peer)
        with anyio.CancelScope(shield=True):
            try:
                await self.stream.aclose()
            except Exception:  # noqa: BLE001 - the socket may already be gone
                self.log.debug("postgres pid %s: close failed", self.pid)

    async def startup(self) -> dict[str, str] | None:
        while True:
            code, body = await m.read_startup_packet(self.reader)
            if code == m.SSL_REQUEST:
                if self.server.ssl_context is not None and not self.tls:
                    await self.stream.send(b"S")
                    if self.reader.buffered():
                        raise m.ProtocolViolation("received unencrypted data after SSL request")
                    from anyio.streams.tls import TLSStream

                    self.stream = await TLSStream.wrap(self.stream, server_side=True,
                                                       ssl_context=self.server.ssl_context,
                                                       standard_compatible=False)
                    self.reader = m.WireReader(self.stream)
                    self.tls = True
                else:
                    await self.stream.send(b"N")
                continue
            if code == m.GSSENC_REQUEST:
                await self.stream.send(b"N")
                continue
            if code == m.CANCEL_REQUEST:
                if len(body) != 8:
                    raise m.ProtocolViolation("invalid length of cancel request")
                pid, secret = struct.unpack("!ii", body)
                self.server.cancel(pid, secret)
                return None
            major, minor = code >> 16, code & 0xFFFF
            if major != 3:
                raise HeliosError(f"unsupported frontend protocol {major}.{minor}: server supports 3.0",
                                  sqlstate="0A000")
            params = m.parse_startup_params(body)
            unknown = [k for k in params if k.startswith("_pq_.")]
            if minor != 0 or unknown:
                payload = struct.pack("!ii", 3 << 16, len(unknown)) + b"".join(m.cstr(k) for k in unknown)
                self.write(m.msg(b"v", payload))
                for k in unknown:
                    params.pop(k)
            return params

    async def start_session(self, params: dict[str, str]) -> None:
        user = params.get("user")
        if not user:
            raise HeliosError("no PostgreSQL user name specified in startup packet", sqlstate="28000",
                              ) from None
        self.user = user
        self.database = params.get("database") or user
        if params.get("replication") not in (None, "false", "0", "off", "no"):
            raise HeliosError("replication connections are not supported", sqlstate="0A000")
        options: dict[str, str] = {}
        for k, v in params.items():
            if k not in _STARTUP_IGNORED:
                options[k] = v
        options.update(parse_options(params.get("options", "")))
        for k, v in list(options.items()):
            if len(v) >= 2 and v[0] == v[-1] == "'":  # asyncpg sends client_encoding='utf-8'
                options[k] = v[1:-1]
        if "client_encoding" in options:
            options["client_encoding"] = _client_encoding(options["client_encoding"])
        if self.server.default_statement_timeout_ms and "statement_timeout" not in options:
            options["statement_timeout"] = str(self.server.default_statement_timeout_ms)
        if self.server.idle_in_transaction_timeout_ms and "idle_in_transaction_session_timeout" not in options:
            options["idle_in_transaction_session_timeout"] = str(self.server.idle_in_transaction_timeout_ms)
        options.setdefault("pg.backend_pid", str(self.pid))

        role = await anyio.to_thread.run_sync(self.server.get_role, user, limiter=self.server.limiter)
        await authenticate(self, self.server.auth, user, role, is_loopback(self.peer), database=self.database,
                           host=self.peer, tls=self.tls)
        self.server.logged_in(self)

        superuser = bool(role and role.get("superuser"))
        self.superuser = superuser
        refused = self.server.try_register(self, superuser)
        if refused is not None:
            self.log.warning("postgres: max_connections (%d, %d reserved for superusers) reached; refusing %s",
                             self.server.max_connections, self.server.superuser_reserved, self.peer)
            refuse = getattr(self.server.kernel, "connection_refused", None)
            if refuse is not None:
                refuse("postgres")
            raise HeliosError(refused, sqlstate="53300")
        if self.database == "pgbouncer":
            await admin_console.start(self)
            return
        self.session_options = options
        self.pooled = self.server.pool_mode == "transaction"
        self.client_params = {k.lower(): v for k, v in options.items() if k.lower() in pooling.TRACKED}

        def open_session() -> Any:
            return self.server.open_session(user=user, database=self.database, options=options)

        if self.pooled:
            # the login borrows a session when one is free (it checks database and role, and gives the
            # first ParameterStatus values); it never queues for one, or a crowd of clients logging in
            # would wait past authentication_timeout: the first statement then checks, as with PgBouncer
            pool = self.server.pooler.pool(self.database, user)
            if (pool.idle or pool.total < pool.size) and not self.server.pooler.paused:
                await self.link()
        else:
            with anyio.CancelScope(shield=True):  # a session opened must be kept, so close() closes it
                self.session = await anyio.to_thread.run_sync(open_session, limiter=self.server.limiter)
                self.session.protocol_listing = self  # pg_prepared_statements / pg_cursors list ours too
            engine_pid = getattr(self.session, "pid", None)
            if isinstance(engine_pid, int) and engine_pid > 0:
                self.server.rekey(self, engine_pid)  # pg_backend_pid() and BackendKeyData agree
        self.write(m.AUTH_OK)
        initial = {
            "server_encoding": "UTF8",
            "client_encoding": _client_encoding(options.get("client_encoding")),
            "DateStyle": "ISO, MDY",
            "TimeZone": "UTC",
            "IntervalStyle": "postgres",
            "integer_datetimes": "on",
            "standard_conforming_strings": "on",
            "application_name": options.get("application_name", ""),
            "is_superuser": "on" if superuser else "off",
            "session_authorization": user,
            "in_hot_standby": "off",
            "default_transaction_read_only": "off",
        }
        settings = self._settings()
        self.use_client_encoding(str(settings.get("client_encoding") or "UTF8"))
        for key, name in REPORTED_SETTINGS.items():
            if name and key in settings:
                initial[name] = str(settings[key])
        for name, value in initial.items():
            self.write(m.parameter_status(name, value))
            self.reported[name] = value
        self.write(m.backend_key_data(self.pid, self.secret))
        self.write(m.ready_for_query(self.tx_status()))
        if self.pooled:
            self.unlink()
        await self.flush()
        self.log.debug("postgres connection %s pid %d: user=%s database=%s", self.peer, self.pid, user,
                       self.database)

    # -- transaction pooling (helios_protocol_pg.pooling) -------------------------------------

    async def link(self) -> None:
        """Take an engine session from the pool for the transaction that starts now."""
        pool = self.server.pooler.pool(self.database, self.user)

        def open_session() -> Any:
            return self.server.open_session(user=self.user, database=self.database, options=self.session_options)

        with anyio.CancelScope(shield=True):  # a session taken must be given back, so close() can
            session = await pool.acquire(open_session, self.server.pooler.wait_unpaused)
            self.session = session
        self.linked_at = time.monotonic()
        session.protocol_listing = self
        settings = self._settings()
        changes = [f"SET {name} TO {_quote_literal(value)}" for name, value in self.client_params.items()
                   if str(settings.get(name, "")) != value]
        if changes:
            await self.run(session.execute, "; ".join(changes))
        self.settings_dirty = True

    def unlink(self) -> None:
        """The transaction ended: the session goes back to the pool, unless it holds this client's state."""
        session = self.session
        if session is None or session.listening or self.cursors or getattr(session, "temp_tables", None):
            return
        for name, shown in pooling.TRACKED.items():
            if shown in self.reported:
                self.client_params[name] = self.reported[shown]
        self.session = None
        session.protocol_listing = None
        self.server.pooler.pool(self.database, self.user).release(session, time.monotonic() - self.linked_at)

    async def _return_after_disconnect(self) -> None:
        """The client left while linked: roll back what it left open, then give the session back."""
        session, self.session = self.session, None
        pool = self.server.pooler.pool(self.database, self.user)
        with anyio.CancelScope(shield=True):
            try:
                if _TX_STATUS.get(session.transaction_state, "I") != "I":
                    await anyio.to_thread.run_sync(session.execute, "ROLLBACK", limiter=self.server.limiter)
                clean = not (session.listening or getattr(session, "temp_tables", None))
            except Exception:  # noqa: BLE001 - a broken session is closed, not reused
                clean = False
            session.protocol_listing = None
            if clean:
                pool.release(session, time.monotonic() - self.linked_at)
                return
            pool.forget(session)
            try:
                await anyio.to_thread.run_sync(session.close, limiter=self.server.limiter)
            except Exception:
                self.log.exception("postgres connection %s: error closing session", self.peer)

    def _settings(self) -> dict[str, Any]:
        if self.session is None:  # transaction pooling, between transactions: what the client asked for
            return {k.lower(): v for k, v in {**self.session_options, **self.client_params}.items()}
        try:
            s = self.session.settings
            return {k.lower(): v for k, v in s.items()} if s else {}
        except Exception:  # noqa: BLE001 - robustness at the protocol edge
            return {}

    def tx_status(self) -> str:
        try:
            return _TX_STATUS.get(self.session.transaction_state, "I")
        except Exception:  # noqa: BLE001 - robustness at the protocol edge
            return "I"

    def report_settings(self) -> None:
        if not self.settings_dirty:
            return
        self.settings_dirty = False
        session, last = self.session, self.reported_version
        # the session too: under transaction pooling another session may come with the same number
        version = None if session is None else (session, session.settings_version)
        if version is not None and last is not None and last[0] is session and last[1] == version[1]:
            return  # nothing changed since the last report (a COMMIT without SET LOCAL, most often)
        self.reported_version = version
        settings = self._settings()
        self.timezone = str(settings.get("timezone") or "UTC")
        self.datestyle = str(settings.get("datestyle") or "ISO, MDY")
        self.idle_tx_timeout = _duration_seconds(settings.get("idle_in_transaction_session_timeout"))
        self.use_client_encoding(str(settings.get("client_encoding") or "UTF8"))
        for key, name in REPORTED_SETTINGS.items():
            if not name or key not in settings:
                continue
            value = str(settings[key])
            if self.reported.get(name) != value:
                self.reported[name] = value
                self.write(m.parameter_status(name, value))

    def use_client_encoding(self, name: str) -> None:
        """Convert this connection's text from now on (see client_encoding)."""
        if name != self.client_encoding:
            client_encoding.use(name)
            self.client_encoding = name

    def ready(self) -> None:
        self.report_settings()
        status = self.tx_status()
        if status == "I" and self.cursors:
            self.cursors = {k: c for k, c in self.cursors.items() if c.hold}
        if status == "I":
            self.write_notifications()
        self.write(m.ready_for_query(status))
        if self.pooled and status == "I":
            self.unlink()

    def write_notifications(self) -> None:
        """NotificationResponses for what the session received (outside a transaction block only)."""
        if self.session is None:
            return
        for n in self.session.take_notifications():
            self.write(m.notification_response(n.sender_pid, n.channel, n.payload))

    async def read_while_listening(self) -> tuple[bytes, bytes]:
        """The next message; meanwhile notifications that arrive are sent at once, as PostgreSQL
        sends them to an idle client (psycopg's notifies(), asyncpg's listeners wait for them)."""
        received: list[tuple[bytes, bytes]] = []
        failed: list[Exception] = []
        async with anyio.create_task_group() as tg:
            async def read() -> None:
                try:
                    received.append(await m.read_message(self.reader))
                except Exception as exc:  # noqa: BLE001 - raised below, outside the task group
                    failed.append(exc)
                tg.cancel_scope.cancel()

            async def pass_on() -> None:
                while True:
                    await anyio.sleep(NOTIFY_POLL_SECONDS)
                    with anyio.CancelScope(shield=True):  # a message is never cut in half
                        self.write_notifications()
                        await self.flush()

            tg.start_soon(read)
            tg.start_soon(pass_on)
        if failed:
            raise failed[0]
        return received[0]

    def cancel(self) -> None:
        """A cancel request (CancelRequest, pg_cancel_backend; from any thread)."""
        if self.copy_out_cancelled is not None:
            self.copy_out_cancelled = True
        lock_wait = self.lock_wait
        if lock_wait is not None:
            lock_wait.interrupt()
        if self.session is not None:
            try:
                self.session.cancel()
            except Exception:
                self.log.exception("postgres pid %d: cancel failed", self.pid)

    # -- the message loop ------------------------------------------------------------------

    def terminate(self) -> None:
        """pg_terminate_backend: stop the running statement and close the connection (57P01)."""
        self.terminating = True
        self.cancel()
        self.terminate_idle()

    def terminate_idle(self) -> None:
        """Server shutdown: an idle connection is told so and closed (57P01)."""
        if self.idle_scope is not None:
            self.idle_scope.cancel()

    async def _shutdown_close(self) -> None:
        raise HeliosError("terminating connection due to administrator command", sqlstate="57P01")

    async def loop(self) -> None:
        """The message loop, in one cancel scope that a shutdown or pg_terminate_backend cancels while
        the connection waits for the client (``idle_scope`` is that scope then, None otherwise): one
        scope for the connection's life rather than one per message."""
        with anyio.CancelScope() as scope:
            self._loop_scope = scope
            await self._messages()
        if scope.cancelled_caught:
            await self._shutdown_close()

    async def _messages(self) -> None:
        while True:
            stopping = self.server.stopping
            if self.terminating or (stopping is not None and stopping.is_set() and self.tx_status() == "I"):
                await self._shutdown_close()
            ready = self.reader.try_message()  # pipelined (Bind, Execute, Sync in one packet): no wait
            if ready is not None:
                kind, payload = ready
            else:
                kind, payload = await self._wait_for_message()
            if self.skip_until_sync and kind not in (b"S", b"X"):
                continue
            try:
                await self.dispatch(kind, payload)
            except m.MalformedMessage as exc:  # framing is intact: an ERROR, as PostgreSQL answers it
                self.log.info("postgres pid %d: malformed %r message: %s", self.pid, kind, exc)
                self.send_error(HeliosError(str(exc), sqlstate="08P01"))
                if kind == b"Q":
                    self.ready()
                else:
                    self.skip_until_sync = True
                await self.flush()
            except (m.ClientGone, Terminate, m.ProtocolViolation):
                raise
            except HeliosError as exc:
                if exc.severity == "FATAL":
                    raise
                if self.terminating:  # pg_terminate_backend cut the statement: FATAL 57P01, not its 57014
                    await self._shutdown_close()
                self.log.debug("postgres pid %d: %s %s", self.pid, exc.sqlstate, exc.message)
                self.send_error(exc)
                if kind == b"Q":
                    self.ready()
                    await self.flush()
                else:
                    self.skip_until_sync = True
                    await self.flush()  # errors go out at once, as PostgreSQL does (a client may await it)
            except anyio.get_cancelled_exc_class():
                raise
            except Exception as exc:
                err = from_engine_failure(exc)
                if err.sqlstate == "XX000":
                    self.log.exception("postgres pid %d: internal error handling %r", self.pid, kind)
                self.send_error(err)
                if kind == b"Q":
                    self.ready()
                    await self.flush()
                else:
                    self.skip_until_sync = True
                    await self.flush()  # errors go out at once, as PostgreSQL does (a client may await it)

    async def _wait_for_message(self) -> tuple[bytes, bytes]:
        """The next message, waited for: idle, the connection can be closed by a shutdown or by
        idle_in_transaction_session_timeout."""
        status = self.tx_status()
        idle_limit = self.idle_tx_timeout if self.idle_tx_timeout and status != "I" else None
        listening = status == "I" and self.session is not None and self.session.listening
        self.idle_scope = self._loop_scope
        try:
            if idle_limit is None:
                message = await (self.read_while_listening() if listening else m.read_message(self.reader))
            else:
                with anyio.move_on_after(idle_limit) as idle_timer:
                    message = await (self.read_while_listening() if listening else m.read_message(self.reader))
                if idle_timer.cancelled_caught:
                    err = HeliosError("terminating connection due to idle-in-transaction timeout", sqlstate="25P03")
                    err.severity = "FATAL"
                    raise err
        finally:
            self.idle_scope = None
        if self._loop_scope.cancel_called:  # closed while the message arrived: close, do not run it
            await self._shutdown_close()
        return message

    async def dispatch(self, kind: bytes, payload: bytes) -> None:
        if self.admin:
            if kind == b"X":
                raise Terminate()
            await admin_console.dispatch(self, kind, payload)
            return
        if self.pooled:
            self.request_at = time.time()
            if self.session is None and kind in _NEEDS_SESSION:
                await self.link()
            if kind in (b"Q", b"E"):
                self.server.pooler.pool(self.database, self.user).query_count += 1
        if kind == b"Q":
            await self.simple_query(m.parse_query(payload))
        elif kind == b"P":
            await self.on_parse(m.parse_parse(payload))
        elif kind == b"B":
            bind = m.parse_bind(payload)
            if self.session is not None and not self.pooled and self.point_round_trip(bind):
                self.ready()
                await self.flush()
                return
            if self.session is not None and not self.pooled and await self.pipelined_inserts(bind):
                return
            await self.on_bind(bind)
        elif kind == b"D":
            await self.on_describe(*m.parse_describe_or_close(payload))
        elif kind == b"E":
            await self.on_execute(*m.parse_execute(payload))
        elif kind == b"C":
            await self.on_close(*m.parse_describe_or_close(payload))
        elif kind == b"S":
            failed, self.skip_until_sync = self.skip_until_sync, False
            if self.implicit_tx:
                await self.end_implicit_transaction(failed)
            if self.tx_status() == "I":
                self.portals.clear()
            self.ready()
            await self.flush()
        elif kind == b"H":
            await self.flush()
        elif kind == b"X":
            raise Terminate()
        elif kind in (b"d", b"c", b"f"):
            pass  # stray COPY messages after a failed COPY are ignored, as PostgreSQL does
        elif kind == b"F":
            raise HeliosError("the fastpath function call interface is not supported", sqlstate="0A000")
        else:
            raise m.ProtocolViolation(f"invalid frontend message type {kind[0]}")

    # -- simple query ----------------------------------------------------------------------

    async def simple_query(self, sql: str) -> None:
        self.portals.pop("", None)
        if not sql.strip() or not sql.strip().strip(";").strip():
            self.write(m.EMPTY_QUERY)
            self.ready()
            await self.flush()
            return
        cmd = cursors.parse(sql)
        if cmd is not None and not self._kernel_cursor(cmd):
            await self.run_cursor_command(cmd, [], [], describe=True, inner=None)
            self.ready()
            await self.flush()
            return
        dealloc = _DEALLOCATE.match(sql)
        if dealloc is not None and dealloc.group(1).lower() != "all" and self.statements.pop(_identifier(dealloc.group(1)), None) is not None:
            self.write(m.command_complete("DEALLOCATE"))  # a statement Parse prepared: one namespace
            self.ready()
            await self.flush()
            return
        session = self.session
        text = sql
        if _SET_CONFIG.search(text):
            self.settings_dirty = True

        if _streamable(text):
            point = getattr(session, "execute_point_sql", None)
            result = point(text) if point is not None else None
            if result is not None:  # a cached primary-key read (Session.execute_point_sql): answered here
                self.write(self._row_description(result.columns))
                self._write_point_rows(result, [0] * len(result.columns))
                self.ready()
                await self.flush()
                return
            await self._stream_simple(text)
            return

        def work() -> tuple[list[Any], list[Any]]:
            results = session.execute(text)
            pre = []
            for r in results:
                if r.copy is not None or r.columns is None:
                    pre.append(None)
                    continue
                with session.rendering(r):  # in the settings its statement ended with (a later SET's)
                    pre.append(_pre_encode(r, [0] * len(r.columns), ROWS_PER_HOP))
            return results, pre

        try:
            if self.server.inline_writes and _is_single_insert(text):
                results, pre = await self.run_write(work)
            else:
                short = _BEGIN.match(text) is not None or session.text_is_short(text)  # e.g. a point UPDATE
                results, pre = await self.run_statement(text, work,  # one hop for the statement and its rows
                                                        short=short, ends_block=_ENDS_BLOCK.match(text) is not None)
        except HeliosError as exc:
            # statements before the failing one still report their results, as in PostgreSQL
            for result in getattr(exc, "partial_results", None) or ():
                await self._send_simple_result(result)
            raise
        if not results:
            self.write(m.EMPTY_QUERY)
        for result, encoded in zip(results, pre, strict=True):
            await self._send_simple_result(result, encoded)
        self.ready()
        await self.flush()

    async def _stream_simple(self, text: str) -> None:
        """One query: its rows go out as they are produced, ROWS_PER_HOP at a time, each hop only
        once the previous rows were handed to the socket. A client that stops reading stops the
        query (the socket's buffers fill, ``flush`` waits), so the server holds a bounded buffer
        whatever the result's size, and the memory goes back as the rows leave."""
        session = self.session
        end = _QueryEnd()

        def work() -> tuple[Any, Any]:
            end.statements = iter(session.stream(text))
            result = next(end.statements)
            if result.copy is not None or result.columns is None:
                end.finish()
                return result, None
            return result, _pre_encode(result, [0] * len(result.columns), ROWS_PER_HOP, then=end.finish)

        result, encoded = await self.run_statement(text, work)
        await self._send_simple_result(result, encoded, end)
        if end.error is not None:  # the query string's implicit transaction failed to commit
            raise end.error
        self.ready()
        await self.flush()

    def write_notices(self, notices: Any) -> None:
        """NoticeResponses: plain texts are NOTICEs; a HeliosError carries its severity (RAISE)."""
        if not notices:
            return
        least = _NOTICE_RANK.get(str(self._settings().get("client_min_messages", "notice")).upper(), 3)
        for notice in notices:
            if isinstance(notice, str):
                if least <= _NOTICE_RANK["NOTICE"]:
                    self.write(m.notice_response(m.error_fields("NOTICE", "00000", notice)))
                continue
            severity = str(getattr(notice, "severity", "NOTICE")).upper()
            if severity == "INFO" or _NOTICE_RANK.get(severity, 3) >= least:  # INFO always goes, as in PostgreSQL
                self.write(m.notice_response(error_fields_for(notice, severity)))

    def write_late_notices(self) -> None:
        """Notices raised while a result streamed (RAISE in a function a query called)."""
        if self.session is not None and hasattr(self.session, "take_notices"):
            late = self.session.take_notices()
            if late:
                self.write_notices(late)

    async def _send_simple_result(self, result: Any, encoded: Any = None, end: Any = None) -> None:
        self.write_notices(getattr(result, "notices", ()) or ())
        if result.command_tag == "DEALLOCATE ALL":  # those Parse prepared go too (not the unnamed one)
            self.statements = {k: v for k, v in self.statements.items() if not k}
        self._note_settings_change(result.kind)
        if result.kind == "EMPTY" and result.columns is None and result.copy is None:
            self.write(m.EMPTY_QUERY)
            return
        if encoded is not None:
            rows, chunk, n = encoded
            self.write(self._row_description(result.columns))
            self.write(chunk)
            if n >= ROWS_PER_HOP:
                n += await self.stream_rows(rows, 0)
            self.write_late_notices()
            if end is None or end.error is None:  # a failed commit takes the CommandComplete's place
                self.write(m.command_complete(command_tag(result, n)))
            return
        await self.send_result(result, formats=None, limit=0, describe=True)
        self.write_late_notices()

    def _note_settings_change(self, tag: str) -> None:
        if tag.startswith(("SET", "RESET", "DISCARD", "ROLLBACK", "COMMIT")):
            self.settings_dirty = True

    def _row_description(self, columns: list[Any]) -> bytes:
        """RowDescription of text columns; a cached statement hands back the same columns list each
        time, so its bytes are made once (the list is held here, so identity cannot be reused)."""
        cached = self._last_row_description
        if cached is not None and cached[0] is columns:
            return cached[1]
        data = m.row_description(columns, [0] * len(columns))
        self._last_row_description = (columns, data)
        return data

    async def send_result(self, result: Any, formats: list[int] | None, limit: int, describe: bool,
                          portal: Portal | None = None) -> None:
        """Send one Result: rows (with RowDescription when describe), COPY, or just the tag."""
        if result.copy is not None:
            if result.copy.direction == "in":
                await self.copy_in(result)
            else:
                await self.copy_out(result)
            return
        if result.columns is None:
            self.write(m.command_complete(command_tag(result)))
            return
        cols = result.columns
        fmts = result_format_list(formats or [], len(cols))
        if describe:
            self.write(m.row_description(cols, fmts))
        rows = EncodedRows(result, cols, fmts)
        sent = await self.stream_rows(rows, limit)
        if limit > 0 and sent == limit:
            # find out whether there's more
            more = await self.run_encoding(rows.has_more)
            if more and portal is not None:
                portal.rows = rows
                portal.sent += sent
                self.write(m.PORTAL_SUSPENDED)
                return
        total = sent + (portal.sent if portal else 0)
        self.write(m.command_complete(command_tag(result, total)))
        if portal is not None:
            portal.done = True

    async def stream_rows(self, rows: EncodedRows, limit: int) -> int:
        sent = 0
        while True:
            want = ROWS_PER_HOP if limit <= 0 else min(ROWS_PER_HOP, limit - sent)
            if want <= 0:
                break
            chunk, n = await self.run_encoding(rows.take, want)
            if chunk:
                self.write(chunk)
                sent += n
                await self.maybe_flush()
            if n < want:
                break
        return sent

    # -- extended query -------------------------------------------------------------------

    async def on_parse(self, p: m.Parse) -> None:
        if p.name and (p.name in self.statements or p.name in getattr(self.session, "sql_prepared", {})):
            raise HeliosError(f'prepared statement "{p.name}" already exists', sqlstate="42P05")
        cmd = cursors.parse(p.query)
        if cmd is not None:
            inner = None
            oids = list(p.param_oids)
            if isinstance(cmd, cursors.Declare):
                inner = await self.prepare_on_session(cmd.query, list(p.param_oids))
                oids = [o or inner.param_type_oids[i] for i, o in enumerate(p.param_oids)] + list(
                    inner.param_type_oids[len(p.param_oids):])
            stmt = Statement(p.query, inner, oids, cursor_cmd=cmd)
        elif not p.query.strip().strip(";").strip():
            stmt = Statement(p.query, None, list(p.param_oids))
        else:
            prepared = await self.prepare_on_session(p.query, list(p.param_oids))
            oids = list(prepared.param_type_oids)
            for i, o in enumerate(p.param_oids):
                if i < len(oids) and o:
                    oids[i] = o
            stmt = Statement(p.query, prepared, oids)
        stmt.given_oids = list(p.param_oids)
        stmt.session_pid = getattr(self.session, "pid", 0)
        self.statements[p.name] = stmt
        self.write(m.PARSE_COMPLETE)

    async def _on_this_session(self, stmt: Statement) -> None:
        """Transaction pooling: a statement prepared on another engine session is prepared again on
        the linked one (the client keeps its name), as PgBouncer does with max_prepared_statements."""
        pid = getattr(self.session, "pid", 0)
        if not self.pooled or stmt.session_pid == pid or (stmt.prepared is None and stmt.cursor_cmd is None):
            return
        if stmt.cursor_cmd is not None:
            if isinstance(stmt.cursor_cmd, cursors.Declare):
                stmt.prepared = await self.prepare_on_session(stmt.cursor_cmd.query,
                                               list(stmt.given_oids))
        else:
            stmt.prepared = await self.prepare_on_session(stmt.sql,
                                           list(stmt.given_oids))
        stmt.session_pid = pid

    def _statement(self, name: str) -> Statement:
        stmt = self.statements.get(name)
        if stmt is None:
            raise HeliosError(f'prepared statement "{name}" does not exist' if name
                              else "unnamed prepared statement does not exist", sqlstate="26000")
        return stmt

    def _portal(self, name: str) -> Portal:
        portal = self.portals.get(name)
        if portal is None:
            raise HeliosError(f'portal "{name}" does not exist', sqlstate="34000")
        return portal

    async def on_bind(self, b: m.Bind) -> None:
        stmt = self._statement(b.statement)
        await self._on_this_session(stmt)
        if b.portal and b.portal in self.portals:
            raise HeliosError(f'cursor "{b.portal}" already exists', sqlstate="42P03")
        self.portals[b.portal] = Portal(stmt, _bound_params(stmt, b), b.result_formats)
        self.write(m.BIND_COMPLETE)

    async def pipelined_inserts(self, first: m.Bind) -> bool:
        """Inside a transaction block (a pipeline's implicit one included), the buffered run of
        executions of one prepared INSERT that starts at ``first`` (psycopg's executemany), run at
        once by ``Session.execute_prepared_rows``; each row answered as if run alone (BindComplete,
        NoData when described, ``INSERT 0 1``). False, with nothing consumed, when the run is short,
        the statement is not such an INSERT, or the session declined it (a row failed: the rows
        then run one by one, so the client sees PostgreSQL's answers)."""
        if first.portal or self.skip_until_sync or self.tx_status() != "T" or \
                self.reader.offset < self.rows_declined_until:
            return False
        stmt = self.statements.get(first.statement)
        if stmt is None or stmt.prepared is None or stmt.cursor_cmd is not None or stmt.prepared.columns is not None \
                or not _INSERT.match(stmt.sql):
            return False
        executions, end = pipelined_rows.buffered_executions(self.reader, first)
        if len(executions) < pipelined_rows.MIN_ROWS:
            return False
        try:
            rows = _bound_rows(stmt, [e.bind for e in executions])
        except (HeliosError, ValueError):
            return False  # the ordinary handling reports it, at its row
        session = self.session
        try:
            result = await self.run_statement(stmt.sql, lambda: session.execute_prepared_rows(stmt.prepared, rows),
                                              may_inline=False)
        except BaseException:
            # as if handled one by one: the first row's Bind and Describe answered, its Execute failed
            self.write(m.BIND_COMPLETE + (m.NO_DATA if executions[0].described else b""))
            raise
        if result is None:
            self.rows_declined_until = self.reader.dropped + end  # these rows go one by one
            return False
        one = m.command_complete("INSERT 0 1")
        self.write(b"".join(m.BIND_COMPLETE + (m.NO_DATA if e.described else b"") + one for e in executions))
        self.reader.pos = end
        self.portals[""] = Portal(stmt, rows[-1], executions[-1].bind.result_formats, result=Result(
            command_tag="INSERT 0 1"), done=True)
        await self.maybe_flush()
        return True

    async def on_describe(self, kind: str, name: str) -> None:
        if kind == "S":
            stmt = self._statement(name)
            await self._on_this_session(stmt)
            self.write(m.parameter_description(stmt.described_param_oids()))
            cols = self._statement_columns(stmt)
            self.write(m.row_description(cols) if cols is not None else m.NO_DATA)  # [] = rows of no columns
        else:
            if name not in self.portals and name in self.cursors:
                cur = self.cursors[name]
                self.write(m.row_description(cur.columns, [1 if cur.binary else 0]))
                return
            declared = self.session.cursor_columns(name) if name and name not in self.portals else None
            if declared is not None:  # DECLAREd by a multi-statement query: the session holds it
                self.write(m.row_description(declared))
                return
            self.write(self._portal_description(self._portal(name)))

    def _portal_description(self, portal: Portal) -> bytes:
        """RowDescription (or NoData) of a portal, made once per statement and result formats
        (libpq describes the portal of every prepared execution)."""
        cols = self._statement_columns(portal.statement)
        if cols is None:
            return m.NO_DATA
        key = tuple(portal.result_formats)
        known = portal.statement.descriptions.get(key)
        if known is None or known[0] is not cols:
            known = (cols, m.row_description(cols, result_format_list(portal.result_formats, len(cols))))
            portal.statement.descriptions[key] = known
        return known[1]

    def _statement_columns(self, stmt: Statement) -> list[Any] | None:
        cmd = stmt.cursor_cmd
        if cmd is not None:
            if isinstance(cmd, cursors.Fetch) and not cmd.move and cmd.name in self.cursors:
                return self.cursors[cmd.name].columns
            return None
        return stmt.prepared.columns if stmt.prepared is not None else None

    async def on_execute(self, name: str, limit: int) -> None:
        portal = self._portal(name)
        if portal.statement.cursor_cmd is not None:
            if portal.done:
                raise HeliosError(f'portal "{name}" cannot be run again', sqlstate="55000")
            await self.run_cursor_command(portal.statement.cursor_cmd, portal.params, portal.result_formats,
                                          describe=False, inner=portal.statement.prepared)
            portal.done = True
            await self.maybe_flush()
            return
        if portal.statement.prepared is None:
            self.write(m.EMPTY_QUERY)
            return
        if portal.done:
            # PostgreSQL answers a re-executed finished portal with an empty completion
            result = portal.result
            if result is None:
                tag = "SELECT 0"
            else:
                tag = command_tag(result, 0) if result.columns else command_tag(result)
            self.write(m.command_complete(tag))
            return
        if portal.result is None and limit <= 0 and portal.statement.prepared.short and self.point_read(portal):
            return
        pre_sent = 0
        if portal.result is None:
            if _SET_CONFIG.search(portal.statement.sql):
                self.settings_dirty = True
            session, stmt, params, rformats = self.session, portal.statement.prepared, portal.params, \
                portal.result_formats
            want = ROWS_PER_HOP if limit <= 0 else min(limit, ROWS_PER_HOP)

            if self.implicit_tx and re.match(r"\s*(begin|start)\b", portal.statement.sql, re.IGNORECASE):
                self.implicit_tx = False  # BEGIN inside a pipeline makes its transaction the client's block
            begin = self.tx_status() == "I" and self._sync_not_next() and _can_run_in_block(portal.statement.sql)
            if begin:
                self.implicit_tx = True

            def work() -> tuple[Any, Any]:
                if begin:
                    session.execute("BEGIN")
                # all of its rows are wanted now: stream them (a suspended portal keeps its rows instead)
                result = session.execute_prepared(stmt, params, stream=limit <= 0 and stmt.columns is not None)
                if result.copy is not None or result.columns is None:
                    return result, None
                fmts = result_format_list(rformats, len(result.columns))
                return result, (fmts, _pre_encode(result, fmts, want))

            if self.server.inline_writes and not begin and not stmt.short and _INSERT.match(portal.statement.sql):
                portal.result, encoded = await self.run_write(work)  # a bound batch INSERT
            else:
                portal.result, encoded = await self.run_statement(portal.statement.sql, work,  # one hop at most
                                                                  may_inline=not begin, short=stmt.short,
                                                                  ends_block=stmt.ends_block)
            result = portal.result
            self._note_settings_change(result.kind)
            self.write_notices(getattr(result, "notices", ()) or ())
            self.write_late_notices()
            if encoded is None:
                await self.send_result(result, None, 0, describe=False, portal=portal)
                portal.done = True
                await self.maybe_flush()
                return
            portal.formats, (portal.rows, chunk, pre_sent) = encoded
            self.write(chunk)
            if pre_sent < want:  # everything is out already
                portal.sent += pre_sent
                portal.done = True
                self.write_late_notices()
                self.write(m.command_complete(command_tag(result, portal.sent)))
                await self.maybe_flush()
                return
        result = portal.result
        assert portal.rows is not None
        if limit > 0 and pre_sent >= limit:
            sent = pre_sent
        else:
            sent = pre_sent + await self.stream_rows(portal.rows, limit - pre_sent if limit > 0 else 0)
        if limit > 0 and sent == limit:
            more = await self.run_encoding(portal.rows.has_more)
            if more:
                portal.sent += sent
                self.write(m.PORTAL_SUSPENDED)
                await self.maybe_flush()
                return
        portal.sent += sent
        portal.done = True
        self.write(m.command_complete(command_tag(result, portal.sent)))
        await self.maybe_flush()

    def point_round_trip(self, b: m.Bind) -> bool:
        """Bind, [Describe portal,] Execute, Sync of a point read, all already buffered (what libpq
        sends for one prepared execution): answered at once, with none of the per-message work.
        The messages after the Bind are matched as bytes; the Sync is left for the caller's
        ``ready``. False when anything differs (the messages are then handled one by one)."""
        if b.portal or self.implicit_tx or self.skip_until_sync:
            return False
        stmt = self.statements.get(b.statement)
        n = len(b.params)
        if stmt is None or stmt.prepared is None or stmt.cursor_cmd is not None or not stmt.prepared.short \
                or n != len(stmt.param_oids) or len(b.param_formats) not in (0, 1, n):
            return False
        reader = self.reader
        pos = reader.pos
        described = reader.buf.startswith(_DESCRIBE_PORTAL, pos)
        length = _execute_sync_length(reader.buf, pos + len(_DESCRIBE_PORTAL) if described else pos)
        if length is None:
            return False
        length += len(_DESCRIBE_PORTAL) if described else 0
        formats = b.param_formats if len(b.param_formats) == n else list(b.param_formats) * n or [0] * n
        params = [decode_param(raw, oid, fmt == 1)
                  for raw, oid, fmt in zip(b.params, stmt.param_oids, formats, strict=True)]
        portal = Portal(stmt, params, b.result_formats)
        self.portals[""] = portal
        head = m.BIND_COMPLETE + (self._portal_description(portal) if described else b"")
        try:
            done = self.point_read(portal, head, before_sync=True)
        except BaseException:
            # as if handled one by one: Bind and Describe answered, the Execute's error follows
            self.write(head)
            reader.pos = pos + length - len(_SYNC)
            raise
        if not done:
            self.portals.pop("", None)
            return False
        reader.pos = pos + length
        self.skip_until_sync = False
        if self.tx_status() == "I":
            self.portals.clear()
        return True

    def point_read(self, portal: Portal, head: bytes = b"", *, before_sync: bool = False) -> bool:
        """Execute a portal the engine answers as one primary-key read (``Session.execute_point``),
        here on the event loop: no worker hop, no time budget (it never waits, and costs tens of
        microseconds), its row encoded straight to a DataRow; ``head`` is written first when it
        runs. ``before_sync``: the Sync is known to come next. False: run it the ordinary way."""
        if self.implicit_tx or (not before_sync and self.tx_status() == "I" and self._pipelined()):
            return False  # a pipeline's implicit transaction block: the ordinary path opens it
        execute_point = getattr(self.session, "execute_point", None)
        if execute_point is None:
            return False
        result = execute_point(portal.statement.prepared, portal.params)
        if result is None:
            return False
        if head:
            self.write(head)
        portal.result = result
        portal.sent = self._write_point_rows(result, result_format_list(portal.result_formats, len(result.columns)))
        portal.done = True
        return True

    def _write_point_rows(self, result: Any, fmts: list[int]) -> int:
        """A point read's DataRow (none or one) and CommandComplete; the rows written."""
        cols = result.columns
        rows = 0
        for batch in result.batches:
            if not batch.num_rows:
                continue
            kinds = self._point_row_kinds(batch, cols, fmts)
            if kinds is not None and client_encoding.is_utf8():
                self.write(b"".join(encode_small_rows(batch, kinds)))
            elif _context_free(cols, fmts):
                self.write(b"".join(data_rows(batch, cols, fmts)))
            else:
                with self.session.rendering():
                    self.write(b"".join(data_rows(batch, cols, fmts)))
            rows += batch.num_rows
        self.write(_SELECT_TAGS[rows] if rows < 2 else m.command_complete(command_tag(result, rows)))
        return rows

    def _point_row_kinds(self, batch: Any, cols: list[Any], fmts: list[int]) -> tuple[int, ...] | None:
        """``small_row_kinds`` of a point read's row, kept while the statement (its columns list,
        the same object each time) and the stored types stay the same."""
        kept = self._point_kinds
        if kept is not None and kept[0] is cols and kept[1] == fmts and batch.schema.equals(kept[2]):
            return kept[3]
        kinds = small_row_kinds(batch.schema, cols, fmts)
        self._point_kinds = (cols, list(fmts), batch.schema, kinds)
        return kinds

    def _pipelined(self) -> bool:
        """Is another Bind/Execute already waiting before the Sync? (a pipeline: one transaction)"""
        ready = self.reader.peek_kind()
        return ready is not None and ready not in (b"S", b"H", b"C", b"X")

    def _sync_not_next(self) -> bool:
        """Does this Execute's implicit transaction last past it? Only a Sync (or the end of the
        session) already waiting right after it ends the transaction with it: anything else, nothing
        received yet included (a pipeline's first row, flushed before the rows that follow it),
        leaves it open until a later Sync, which commits every statement since, or none."""
        return self.reader.peek_kind() not in (b"S", b"C", b"X")

    async def end_implicit_transaction(self, failed: bool = False) -> None:
        """Sync after a pipeline: commit its implicit transaction, or roll it back after an error
        (``failed``: one the protocol reported, a malformed message say, which the session never saw)."""
        self.implicit_tx = False
        status = self.tx_status()
        if status == "I":
            return
        try:
            await self.run(self.session.execute, "COMMIT" if status == "T" and not failed else "ROLLBACK")
        except HeliosError as exc:
            self.send_error(exc)

    async def on_close(self, kind: str, name: str) -> None:
        if kind == "S":
            self.statements.pop(name, None)
        elif self.portals.pop(name, None) is None and name and self.cursors.pop(name, None) is None \
                and self.session.cursor_columns(name) is not None:  # a cursor is a portal too (one namespace)
            quoted = '"' + name.replace('"', '""') + '"'
            await self.run(self.session.execute, f"CLOSE {quoted}")
        self.write(m.CLOSE_COMPLETE)

    # -- SQL cursors -----------------------------------------------------------------------

    def _kernel_cursor(self, cmd: Any) -> bool:
        """FETCH/MOVE/CLOSE of a cursor that a multi-statement query declared: the session runs
        those (the cursors of this module are the ones DECLAREd alone)."""
        if isinstance(cmd, cursors.Declare) or cmd.name is None:
            return False
        return cmd.name not in self.cursors and cmd.name not in self.portals and \
            self.session.cursor_columns(cmd.name) is not None

    async def run_cursor_command(self, cmd: Any, params: list[Any], formats: list[int], *, describe: bool,
                                 inner: Any) -> None:
        if isinstance(cmd, cursors.Declare):
            if cmd.name in self.cursors:
                raise HeliosError(f'cursor "{cmd.name}" already exists', sqlstate="42P03")
            if not cmd.hold and self.tx_status() == "I":
                raise HeliosError("DECLARE CURSOR can only be used in transaction blocks", sqlstate="25P01")
            if inner is None:
                inner = await self.prepare_on_session(cmd.query, [])
            result = await self.run(self.session.execute_prepared, inner, params)
            if result.columns is None:
                raise HeliosError("DECLARE CURSOR must be a SELECT query", sqlstate="42P11")
            table = await self.run(lambda: _result_table(result))
            self.cursors[cmd.name] = cursors.Cursor(cmd.name, cmd.text, list(result.columns), table, cmd.hold,
                                                    cmd.binary, cmd.scroll)
            self.write(m.command_complete("DECLARE CURSOR"))
        elif isinstance(cmd, cursors.Close):
            if cmd.name is None:  # the session's too (those a multi-statement query declared)
                self.cursors.clear()
                await self.run(self.session.execute, "CLOSE ALL")
            elif self.cursors.pop(cmd.name, None) is None:
                raise HeliosError(f'cursor "{cmd.name}" does not exist', sqlstate="34000")
            self.write(m.command_complete("CLOSE CURSOR" if cmd.name is not None else "CLOSE CURSOR ALL"))
        else:
            cur = self.cursors.get(cmd.name)
            if cur is None and cmd.name in self.portals and cmd.name:
                await self._fetch_from_portal(self.portals[cmd.name], cmd, describe)
                return
            if cur is None:
                raise HeliosError(f'cursor "{cmd.name}" does not exist', sqlstate="34000")
            fmts = result_format_list(formats, len(cur.columns)) if formats else [1 if cur.binary else 0] * len(
                cur.columns)

            def fetch() -> tuple[bytes, int]:
                out = []
                n, batches = cur.fetch(cmd.direction, cmd.count)
                if not cmd.move:
                    for b in batches:
                        out.extend(data_rows(b, cur.columns, fmts))
                return b"".join(out), n

            data, n = await self.run_encoding(fetch)
            if not cmd.move and describe:
                self.write(m.row_description(cur.columns, fmts))
            self.write(data)
            self.write(m.command_complete(f"{'MOVE' if cmd.move else 'FETCH'} {n}"))

    async def _fetch_from_portal(self, portal: Portal, cmd: Any, describe: bool) -> None:
        """FETCH/MOVE naming a portal bound by the extended protocol: one namespace with cursors, as
        in PostgreSQL (asyncpg's ``Cursor.forward`` sends ``MOVE FORWARD n <portal>``). Such a portal
        is not scrollable: it only goes forward, from where Execute left it."""
        if cmd.direction != "forward":
            raise HeliosError("cursor can only scan forward", sqlstate="55000",
                              hint="Declare it with SCROLL option to enable backward scan.")
        stmt = portal.statement.prepared
        if stmt is None or portal.statement.cursor_cmd is not None or stmt.columns is None:
            raise HeliosError(f'cursor "{cmd.name}" does not exist', sqlstate="34000")
        if portal.result is None:
            session, params, rformats = self.session, portal.params, portal.result_formats

            def work() -> tuple[Any, Any]:
                result = session.execute_prepared(stmt, params, stream=True)
                fmts = result_format_list(rformats, len(result.columns))
                return result, (fmts, _pre_encode(result, fmts, 0))

            portal.result, (portal.formats, (portal.rows, _chunk, _n)) = await self.run_statement(
                portal.statement.sql, work, may_inline=False, short=stmt.short)
        want = cmd.count if cmd.count is not None and cmd.count >= 0 else None
        if portal.done or portal.rows is None:
            chunk, n = b"", 0
        elif want is None:
            chunk, n = await self.run_encoding(portal.rows.take, 1 << 62)
        else:
            chunk, n = await self.run_encoding(portal.rows.take, want)
        portal.sent += n
        if not cmd.move:
            if describe:
                self.write(m.row_description(portal.result.columns, portal.formats or []))
            self.write(chunk)
        self.write(m.command_complete(f"{'MOVE' if cmd.move else 'FETCH'} {n}"))

    # -- COPY ------------------------------------------------------------------------------

    async def copy_in(self, result: Any) -> None:
        """COPY FROM STDIN: a reader task gathers the client's CopyData into large chunks (up to
        COPY_READ_AHEAD of them ahead) while a worker thread decodes and stores the previous ones,
        so receiving, decoding and appending overlap."""
        spec = result.copy
        ncols = len(spec.columns) if spec.columns else len(spec.arrow_schema or [])
        self.write(m.copy_response(b"G", spec.format == "binary", ncols))
        await self.flush()
        state: dict[str, Any] = {"finished": False, "discard": False}

        async def next_chunk() -> bytes | None:
            """Gather CopyData until COPY_CHUNK bytes or CopyDone (batches stay large); None at the end."""
            if state["finished"]:
                return None
            parts: list[bytes] = []
            size = 0
            while size < COPY_CHUNK:
                size += self.reader.take_copy_data(parts, COPY_CHUNK - size)  # buffered rows, no await each
                if size >= COPY_CHUNK:
                    break
                ready = self.reader.try_message()
                kind, payload = ready if ready is not None else await m.read_message(self.reader)
                if kind == b"d":  # clients send anything from one row (pgbench) to megabytes per message
                    parts.append(payload)
                    size += len(payload)
                elif kind == b"c":
                    state["finished"] = True
                    break
                elif kind == b"f":
                    state["finished"] = True
                    reason = m.PayloadReader(payload).cstring()
                    raise HeliosError(f"COPY from stdin failed: {reason}", sqlstate="57014")
                elif kind in (b"H", b"S"):
                    continue
                else:
                    state["finished"] = True
                    state["violation"] = kind
                    raise m.ProtocolViolation(f"unexpected message type 0x{kind[0]:02X} during COPY from stdin")
            if not parts and state["finished"]:
                return None
            return b"".join(parts)

        send, receive = anyio.create_memory_object_stream(COPY_READ_AHEAD)

        async def read_ahead() -> None:
            """Chunks (then None) or the exception that ended the data, to the worker; after the worker
            failed, the rest of the client's data is read and dropped, so the error lands after it."""
            async with send:
                while True:
                    try:
                        chunk = await next_chunk()
                    except Exception as exc:  # noqa: BLE001 - CopyFail, a protocol violation, the client gone: the worker raises it
                        if state["discard"]:
                            state["drain_error"] = exc
                        else:
                            await send.send(exc)
                        return
                    if not state["discard"]:
                        await send.send(chunk)
                    if chunk is None:
                        return

        to_utf8 = client_encoding.to_utf8() if spec.format != "binary" else None

        def batches() -> Iterator[Any]:
            decoder = make_decoder(spec)
            while True:
                with statement_waiting():  # the client's next CopyData
                    chunk = anyio.from_thread.run(receive.receive)
                statement_take_turn()
                if isinstance(chunk, BaseException):
                    raise chunk
                if chunk is None:
                    if to_utf8 is not None:
                        yield from decoder.feed(to_utf8(b"", True))
                    yield from decoder.finish()
                    return
                yield from decoder.feed(chunk if to_utf8 is None else to_utf8(chunk, False))

        error: Exception | None = None
        done = None
        async with anyio.create_task_group() as tg:  # leaves when the reader has read up to CopyDone/CopyFail
            tg.start_soon(read_ahead)
            try:
                done = await self.run(self.session.copy_in, spec, batches())
            except Exception as exc:  # noqa: BLE001 - whatever failed the COPY is raised once the data is read
                error = exc
                state["discard"] = True
                while True:  # unblock the reader: what it queued (or waits to queue) is dropped
                    try:
                        receive.receive_nowait()
                    except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                        break
        if error is not None:
            drain_error = state.get("drain_error")
            if isinstance(drain_error, m.ProtocolViolation):
                raise m.ProtocolViolation(str(drain_error)) from error
            if isinstance(drain_error, m.ClientGone):
                raise drain_error from error
            if "violation" in state:
                # as PostgreSQL: the COPY fails with 08P01, then the connection ends (the client's next
                # messages can no longer be told from its COPY data)
                kind = state["violation"]
                self.send_error(HeliosError(f"unexpected message type 0x{kind[0]:02X} during COPY from stdin",
                                            sqlstate="08P01"))
                await self.flush()
                raise m.ProtocolViolation("terminating connection because protocol synchronization was lost") \
                    from error
            raise error
        tag = command_tag(done) if done is not None else "COPY"
        self.write(m.command_complete(tag))

    async def copy_out(self, result: Any) -> None:
        spec = result.copy
        cols = result.columns or spec.column_types
        encoder = RowEncoder(spec, cols)
        self.write(m.copy_response(b"H", spec.format == "binary", len(cols)))
        pending_head = encoder.header()
        binary = spec.format == "binary"
        recode = (lambda r: r) if binary or client_encoding.is_utf8() else client_encoding.from_utf8
        pending_head = recode(pending_head) if pending_head else pending_head
        if pending_head and not binary:
            self.write(m.copy_data(pending_head))  # the CSV/text header line is a row of its own
            pending_head = b""
        # a slice of rows at a time, so that a cancel request is seen between slices
        slices = (b.slice(i, ROWS_PER_HOP) for b in result.batches for i in range(0, b.num_rows, ROWS_PER_HOP))

        def next_rows() -> bytes | None:
            batch = next(slices, None)
            if batch is None:
                return None
            return b"".join(m.copy_data(recode(r)) for r in encoder.encode_rows(batch))

        self.copy_out_cancelled = False
        try:
            while True:
                if self.copy_out_cancelled:  # PostgreSQL's 57014; the statement fails (a block is aborted)
                    self.session.statement_failed()
                    raise HeliosError("canceling statement due to user request", sqlstate="57014")
                data = await self.run_encoding(next_rows)
                if data is None:
                    break
                if data and pending_head:
                    # binary: the file header travels with the first row, as PostgreSQL sends it
                    (length,) = struct.unpack_from("!i", data, 1)
                    first = data[5 : 1 + length]
                    data = m.copy_data(pending_head + first) + data[1 + length :]
                    pending_head = b""
                if data:
                    self.write(data)
                    await self.maybe_flush()
        finally:
            self.copy_out_cancelled = None
        tail = encoder.trailer()
        if pending_head or tail:
            self.write(m.copy_data(pending_head + tail))
        self.write(m.COPY_DONE)
        self.write(m.command_complete(f"COPY {encoder.rows}"))


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def error_fields_for(exc: BaseException, severity: str | None = None) -> dict[bytes, str]:
    if isinstance(exc, HeliosError):
        return m.error_fields(severity or exc.severity, exc.sqlstate, exc.message, detail=exc.detail,
                              hint=exc.hint, position=exc.position, context=getattr(exc, "context", None),
                              schema_name=getattr(exc, "schema_name", None),
                              table_name=getattr(exc, "table_name", None),
                              column_name=getattr(exc, "column_name", None),
                              constraint_name=getattr(exc, "constraint_name", None),
                              routine=getattr(exc, "routine", None) or getattr(exc, "source_function", None),
                              source_file=getattr(exc, "source_file", None),
                              source_line=getattr(exc, "source_line", None))
    if isinstance(exc, m.ProtocolViolation):
        return m.error_fields(severity or "FATAL", "08P01", str(exc))
    return m.error_fields(severity or "ERROR", "XX000", f"internal error: {exc}")


def _context_free(columns: list[Any], formats: list[int]) -> bool:
    """Are these columns encoded alike in any session (no TimeZone, DateStyle, float or bytea
    setting shapes them)? Then a point read's row is encoded without entering the session."""
    return all(f == 0 and oid_of(c) in _PLAIN_OIDS for c, f in zip(columns, formats, strict=True))


def _result_table(result: Any) -> pa.Table:
    """Every row of a cursor's query, kept so that the cursor can move both ways."""
    batches = [b for b in result.batches if b.num_rows]
    if batches:
        return pa.Table.from_batches(batches)
    names = [c.name for c in result.columns]
    return pa.table({f"c{i}": pa.array([], pa.null()) for i in range(len(names))})


def _in_session(session: Any, output: dict[str, str] | None, fn: Callable[..., Any], args: tuple) -> Any:
    """Worker thread: run fn in its turn on the interpreter (helios_core.statement_gate), with the
    session visible to catalog functions and, for encoding values, in its TimeZone and DateStyle
    (``session.rendering()``; ``output`` is what the connection last heard of them, kept for the
    callers)."""
    with statement_turn():
        return _with_session(session, fn, args)


def _with_session(session: Any, fn: Callable[..., Any], args: tuple) -> Any:
    """fn with the session visible to catalog functions, in its TimeZone and DateStyle; on the
    event loop (a read tried inline) it takes no turn: the loop never waits for one."""
    if session is None:
        return fn(*args)
    with session.rendering():
        return fn(*args)


_DEALLOCATE = re.compile(r'\s*deallocate\s+(?:prepare\s+)?("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\s*;?\s*$', re.IGNORECASE)


def _identifier(text: str) -> str:
    """An SQL identifier as written: folded to lower case unless double-quoted."""
    return text[1:-1].replace('""', '"') if text.startswith('"') else text.lower()


_BEGIN = re.compile(r"\s*(begin|start\s+transaction)(\s+(work|transaction))?\s*;?\s*$", re.IGNORECASE)
_ENDS_BLOCK = re.compile(r"\s*(commit|end|rollback|abort)(\s+(work|transaction))?(\s+and\s+(no\s+)?chain)?\s*;?\s*$",
                         re.IGNORECASE)
_INSERT = re.compile(r"\s*insert\s", re.IGNORECASE)
_TX_CONTROL = re.compile(r"^\s*(begin|start|commit|end|rollback|abort|savepoint|release|prepare\s+transaction|"
                         r"vacuum|create\s+database|drop\s+database|create\s+branch|drop\s+branch|"
                         r"alter\s+system|checkpoint|set\s+transaction)\b", re.IGNORECASE)


def _can_run_in_block(sql: str) -> bool:
    """Not a transaction-control statement nor one PostgreSQL refuses inside a transaction block."""
    return _TX_CONTROL.match(sql) is None


def _streamable(sql: str) -> bool:
    """A single plain read, whose rows can stream (several statements, COPY, SELECT INTO, locking
    reads and the rest run to the end first, as before)."""
    return _is_plain_read(sql)


def _is_single_insert(sql: str) -> bool:
    """One INSERT statement by its text (a quick look: the engine decides what may run inline)."""
    return _INSERT.match(sql) is not None and ";" not in sql.rstrip().rstrip(";")


def _is_plain_read(sql: str) -> bool:
    """A single SELECT that takes no locks and changes nothing (conservative: any doubt is False)."""
    head = sql.lstrip()[:6].lower()
    if head not in ("select", "values") or ";" in sql.rstrip().rstrip(";"):
        return False
    return _NOT_PLAIN_READ.search(sql.lower()) is None


def _pre_encode(result: Any, fmts: list[int], want: int,
                then: Callable[[], None] | None = None) -> tuple[EncodedRows, bytes, int]:
    """Worker thread: the rows of a result and its first ``want`` rows, encoded; ``then``
    runs in the hop that reads past the last row."""
    rows = EncodedRows(result, result.columns, fmts, then)
    chunk, n = rows.take(want)
    return rows, chunk, n


class _QueryEnd:
    """The rest of a streamed query string (``Session.stream``), run as soon as the client has its
    rows: advancing past the last Result ends the implicit transaction, so what the statement's
    functions wrote (nextval, advisory locks, a routine's INSERT) commits before ReadyForQuery,
    not when the connection's next statement arrives. A commit that fails is kept in ``error``
    and reported after the rows, as PostgreSQL reports an error at the end of a query string."""

    def __init__(self) -> None:
        self.statements: Iterator[Any] | None = None
        self.error: HeliosError | None = None

    def finish(self) -> None:
        statements, self.statements = self.statements, None
        if statements is None:
            return
        try:
            for _ in statements:
                pass
        except HeliosError as exc:
            self.error = exc


_TX_STATUS = {"idle": "I", "in_transaction": "T", "failed": "E"}  # ReadyForQuery's status byte
# client_min_messages levels, lowest first (DEBUG1..5 are DEBUG)
_NOTICE_RANK = {"DEBUG": 0, "DEBUG1": 0, "DEBUG2": 0, "DEBUG3": 0, "DEBUG4": 0, "DEBUG5": 0, "LOG": 1, "INFO": 2,
                "NOTICE": 3, "WARNING": 4, "ERROR": 5, "FATAL": 6, "PANIC": 7}


def _client_encoding(value: str | None) -> str:
    """The startup packet's client_encoding for the session ('auto' is libpq's: the client's locale,
    which for us means UTF-8); the session checks and canonicalizes the others."""
    v = (value or "").strip("'")
    return "UTF8" if not v or v.lower() == "auto" else v


def _duration_seconds(value: Any) -> float:
    """A time setting as the session reports it ('5s', '250ms', '0') -> seconds; unreadable = off."""
    if not value:
        return 0.0
    try:
        return max(0.0, parse_duration_ms(str(value)) / 1000.0)
    except ValueError:
        return 0.0


def _peer_of(stream: Any) -> str:
    try:
        addr = stream.extra(anyio.abc.SocketAttribute.remote_address)
    except Exception:  # noqa: BLE001 - robustness at the protocol edge
        return ""
    if isinstance(addr, tuple):
        return str(addr[0])
    return str(addr)
