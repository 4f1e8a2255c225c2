"""One native-protocol connection: Hello, then Query/Ping/Cancel packets until the client leaves.

Small packets are parsed in the event loop (``Reader`` raises ``NeedMore`` and the parse starts
over once more bytes came); data blocks are decoded in a worker thread whose reader pulls from
the socket as it goes, so a block's size need not be known in advance. While a statement runs,
a watcher task reads the socket: a Cancel packet or a vanished client cancels the statement.

Errors of a statement reach the client as ClickHouse exceptions and the connection goes on;
bytes that are not the protocol (or a broken compressed frame) get an exception and a close.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.abc
import attrs
import pyarrow as pa

from helios_core.session import statement_take_turn, statement_turn, statement_waiting
from helios_protocol_clickhouse import expression_defaults, materialized_views
from helios_protocol_clickhouse.catalog import schema_of
from helios_protocol_clickhouse.errors import ClickHouseError, from_error
from helios_protocol_clickhouse.execute import ClickHouseSession
from helios_protocol_clickhouse.login import role_for
from helios_protocol_clickhouse.memory_guard import Footprint, forget_frames
from helios_protocol_clickhouse.native import packets as p
from helios_protocol_clickhouse.native.blocks import Block, cached_type, read_block, write_block
from helios_protocol_clickhouse.native.columns import ColumnError, with_nulls_allowed
from helios_protocol_clickhouse.native.compression import (
    METHODS,
    ChecksumMismatch,
    compress,
    frame_reader,
)
from helios_protocol_clickhouse.native.types import TypeNameError
from helios_protocol_clickhouse.native.wire import NeedMore, PeerGone, ProtocolError, Reader, Writer
from helios_protocol_clickhouse.types import clickhouse_type

if TYPE_CHECKING:
    from helios_protocol_clickhouse.native.server import NativeServer

T = TypeVar("T")

RECEIVE_SIZE = 1 << 20
MAX_PACKET = 256 << 20  # a Query or Hello longer than this is not a client's
DEFAULT_MAX_BLOCK_SIZE = 65409  # ClickHouse's default max_block_size (rows per Data packet)
UNEXPECTED_PACKET = 102
UNKNOWN_PACKET = 101
CHECKSUM_DOESNT_MATCH = 40
CANNOT_PARSE_INPUT = 27
BLOCKS_HAVE_DIFFERENT_STRUCTURE = 171
NOT_IMPLEMENTED = 48
UNKNOWN_TYPE = 50
HTTP_ON_NATIVE_PORT = (b"GET ", b"POST", b"PUT ", b"HEAD", b"OPTI", b"DELE")

# INSERT whose data follows as blocks: the statement ends at VALUES or FORMAT <name>
_INSERT_WITH_BLOCKS = re.compile(
    r"^\s*INSERT\s+INTO\s+(?:TABLE\s+)?(?P<table>(?:`[^`]+`|\"[^\"]+\"|[\w$]+)(?:\.(?:`[^`]+`|\"[^\"]+\"|[\w$]+))?)"
    r"\s*(?:\((?P<columns>[^()]*)\))?\s*(?:SETTINGS\s+(?P<settings>.*?)\s*)?"
    r"(?:VALUES|FORMAT\s+\w+)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)


class StatementCancelled(Exception):
    """The client sent Cancel during an INSERT's data."""


class NativeConnection:
    """The state of one client connection (see module docstring)."""

    def __init__(self, server: NativeServer, stream: anyio.abc.ByteStream) -> None:
        self.server = server
        self.stream = stream
        self.reader = Reader()
        self.revision = 0
        self.session: Any = None  # the HeliosDB session
        self.ch: Any = None  # helios_protocol_clickhouse.execute.ClickHouseSession
        self.user = ""
        self.idle_scope: anyio.CancelScope | None = None
        self.cancel_requested = False
        self.client_gone = False
        self.watch_error: ProtocolError | None = None
        self.peer = _peer(stream)

    # -- socket ----------------------------------------------------------------------------

    async def _receive(self, *, timeout: float | None) -> bytes:
        try:
            if timeout is None:
                return await self.stream.receive(RECEIVE_SIZE)
            with anyio.fail_after(timeout):
                return await self.stream.receive(RECEIVE_SIZE)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
            return b""

    async def _parse(self, parse: Callable[[Reader], T], *, idle: bool = False) -> T:
        """Parse from the buffer, receiving more until the message is whole. ``idle``: nothing
        of the message has arrived yet, so waiting has no time limit (the connection is idle)."""
        r = self.reader
        while True:
            mark = r.pos
            try:
                return parse(r)
            except NeedMore:
                r.pos = mark
            if r.available > MAX_PACKET:
                raise ProtocolError(f"a packet longer than {MAX_PACKET} bytes")
            waiting_idle = idle and r.available == 0
            chunk = await self._receive(timeout=None if waiting_idle else self.server.receive_timeout)
            if not chunk:
                raise PeerGone("the client closed the connection")
            r.feed(chunk)

    def _blocking_fill(self) -> bytes:
        """The reader's fill in a worker thread: the next bytes from the socket."""
        with statement_waiting():  # the client's next bytes: other statements run meanwhile
            data = anyio.from_thread.run(self._receive_for_thread)
        statement_take_turn()
        return data

    async def _receive_for_thread(self) -> bytes:
        return await self._receive(timeout=self.server.receive_timeout)

    async def _send(self, data: bytes | bytearray) -> None:
        await self.stream.send(bytes(data))

    # -- lifecycle ----------------------------------------------------------------------------

    async def handle(self) -> None:
        try:
            with anyio.fail_after(self.server.handshake_timeout):
                ok = await self._handshake()
            if ok:
                await self._serve()
        except (PeerGone, anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError,
                ConnectionError, TimeoutError):
            pass
        except ChecksumMismatch as e:
            await self._send_exception_quietly(ClickHouseError(CHECKSUM_DOESNT_MATCH, str(e)))
        except ProtocolError as e:
            await self._send_exception_quietly(ClickHouseError(e.code if isinstance(e, _PacketError) else
                                                               CANNOT_PARSE_INPUT, str(e)))
        finally:
            await self._close()

    async def _close(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.close)
        with anyio.CancelScope(shield=True):
            await self.stream.aclose()

    async def _send_exception_quietly(self, error: ClickHouseError) -> None:
        try:
            with anyio.move_on_after(5):
                await self._send(self._exception_bytes(error))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
            pass

    def _exception_bytes(self, error: ClickHouseError) -> bytes:
        w = Writer()
        p.write_exception(w, error.code, "DB::Exception", f"{error.message}", "")
        return w.getvalue()

    # -- handshake ----------------------------------------------------------------------------

    async def _handshake(self) -> bool:
        await self._parse(lambda r: r.ensure(1), idle=True)
        if bytes(self.reader.buf[self.reader.pos:self.reader.pos + 4]) in HTTP_ON_NATIVE_PORT:
            await self._send(b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
                             + f"Port {self.server.port} is for clickhouse-client program\r\n"
                               f"You must use port {self.server.http_port} for HTTP.\r\n".encode())
            return False
        kind = await self._parse(Reader.read_varint)
        if kind != p.ClientPacket.HELLO:
            raise _PacketError(UNEXPECTED_PACKET, f"Unexpected packet from client (expected Hello, got {_name(kind)})")
        hello = await self._parse(p.read_hello)
        if hello.revision < p.MIN_CLIENT_REVISION:
            await self._send(self._exception_bytes(ClickHouseError(
                NOT_IMPLEMENTED, f"client revision {hello.revision} is older than {p.MIN_CLIENT_REVISION}, "
                                 "the oldest this server speaks (settings sent as strings)")))
            return False
        self.revision = min(hello.revision, p.SERVER_REVISION)
        try:
            await self._open_session(hello)
        except ClickHouseError as e:
            await self._send(self._exception_bytes(e))
            return False
        w = Writer()
        p.write_hello(w, self.server.identity, self.revision)
        await self._send(w.buf)
        if self.revision >= p.REVISION_WITH_ADDENDUM:
            await self._parse(Reader.read_str)  # quota key
        return True

    async def _open_session(self, hello: p.Hello) -> None:
        role = role_for(self.server.kernel_config, hello.user, hello.password)
        self.user = hello.user or "default"

        def open_session() -> Any:
            session = self.server.kernel.open_session(user=role, database="helios", options={})
            ch = ClickHouseSession(session, timezone=self.server.timezone, stream_results=True)
            if hello.database:
                schema = schema_of(hello.database).replace("'", "''")
                found = session.execute(f"select 1 from pg_catalog.pg_namespace where nspname = '{schema}'")
                if not found[-1].rows():
                    session.close()
                    raise ClickHouseError(81, f"Database {hello.database} does not exist")
                ch.database = hello.database
            return session, ch

        try:
            self.session, self.ch = await anyio.to_thread.run_sync(open_session)
        except ClickHouseError:
            raise
        except Exception as e:
            error = from_error(e)
            if getattr(e, "sqlstate", "").startswith("28"):
                error = ClickHouseError(516, f"{self.user}: Authentication failed: {error.message}")
            raise error from e

    # -- packets ---------------------------------------------------------------------------------

    async def _serve(self) -> None:
        while True:
            if self.server.stopping is not None and self.server.stopping.is_set():
                return
            with anyio.CancelScope() as scope:
                self.idle_scope = scope
                kind = await self._parse(Reader.read_varint, idle=True)
            self.idle_scope = None
            if scope.cancelled_caught:
                return  # the server is shutting down: idle connections close
            if kind == p.ClientPacket.PING:
                w = Writer()
                p.write_simple(w, p.ServerPacket.PONG)
                await self._send(w.buf)
            elif kind == p.ClientPacket.QUERY:
                query = await self._parse(lambda r: p.read_query(r, self.revision))
                await self._query(query)
            elif kind == p.ClientPacket.CANCEL:
                continue  # nothing runs: nothing to cancel
            elif kind == p.ClientPacket.TABLES_STATUS_REQUEST:
                await self._tables_status()
            elif kind in (p.ClientPacket.DATA, p.ClientPacket.HELLO):
                raise _PacketError(UNEXPECTED_PACKET, f"Unexpected packet {_name(kind)} received from client")
            else:
                raise _PacketError(UNKNOWN_PACKET, f"Unknown packet {kind} from client")

    async def _tables_status(self) -> None:
        def parse(r: Reader) -> list[tuple[str, str]]:
            n = r.read_varint()
            if n > 10_000:
                raise ProtocolError(f"a tables status request for {n} tables")
            return [(r.read_str(), r.read_str()) for _ in range(n)]

        tables = await self._parse(parse)
        w = Writer()
        w.write_varint(p.ServerPacket.TABLES_STATUS_RESPONSE)
        w.write_varint(len(tables))
        for database, table in tables:
            w.write_str(database)
            w.write_str(table)
            w.write_u8(0)  # not replicated
        await self._send(w.buf)

    async def _read_data_packet(self, compressed: bool) -> Block:
        """The rest of a Data packet (its type already read): temporary table name and block."""
        await self._parse(Reader.read_str)

        def decode(r: Reader) -> Block:
            src = frame_reader(r) if compressed else r
            block = read_block(src, self.revision, timezone=self.server.timezone)
            if compressed and src.available:
                raise ProtocolError("bytes left over after a block in its compressed frame")
            return block

        mark = self.reader.pos
        try:
            return decode(self.reader)  # already buffered (small blocks): no thread needed
        except NeedMore:
            self.reader.pos = mark
        return await anyio.to_thread.run_sync(self._decode_in_thread, decode)

    def _decode_in_thread(self, decode: Callable[[Reader], T]) -> T:
        self.reader.fill = self._blocking_fill
        try:
            return decode(self.reader)
        finally:
            self.reader.fill = None

    # -- queries ---------------------------------------------------------------------------------

    async def _query(self, query: p.Query) -> None:
        started = time.monotonic()
        cancelled_early = False
        external_tables = False
        while True:  # external tables' data, ended by an empty block
            kind = await self._parse(Reader.read_varint)
            if kind == p.ClientPacket.DATA:
                block = await self._read_data_packet(query.compression)
                if not block.names:
                    break
                external_tables = True
            elif kind == p.ClientPacket.CANCEL:
                cancelled_early = True
                break
            else:
                raise _PacketError(UNEXPECTED_PACKET, f"Unexpected packet {_name(kind)} received from client "
                                                      "(expected Data after Query)")
        out = _Output(self, query)
        if cancelled_early:
            await out.end_of_stream()
            return
        footprint = Footprint()
        failed = True
        try:
            failed = not await self._answer(query, out, started, external_tables)
        finally:  # the failure's frames are forgotten by now: what the statement held can go
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(footprint.give_back, failed)

    async def _answer(self, query: p.Query, out: _Output, started: float, external_tables: bool) -> bool:
        """Answer one Query packet; whether it succeeded (a failure is sent as its Exception)."""
        try:
            if external_tables:
                raise ClickHouseError(NOT_IMPLEMENTED, "External tables are not supported by this server")
            if query.stage != p.QueryStage.COMPLETE:
                raise ClickHouseError(NOT_IMPLEMENTED, f"Query processing stage {query.stage} is not supported "
                                                       "(only Complete)")
            insert = _INSERT_WITH_BLOCKS.match(query.text)
            settings = dict(query.settings)
            if insert and insert.group("settings"):  # INSERT INTO t SETTINGS a = 1 VALUES
                settings.update(_settings_clause(insert.group("settings")))
            with self._query_settings(settings):
                out.configure(self.ch.settings)  # the session's (SET) and this query's settings
                await self._switch_branch()
                if insert:
                    await self._insert(query, insert, out)
                else:
                    await self._statement(query, out, started)
            return True
        except ClickHouseError as e:
            forget_frames(e)
            await out.flush()
            await self._send(self._exception_bytes(e))
        except (ProtocolError, PeerGone) as e:
            forget_frames(e)
            raise
        except Exception as e:  # noqa: BLE001 - any statement error goes to this client only
            forget_frames(e)
            await out.flush()
            await self._send(self._exception_bytes(from_error(e)))
        return False

    @contextlib.contextmanager
    def _query_settings(self, settings: dict[str, str]) -> Iterator[None]:
        """Apply a Query packet's settings for the statement (a ``SET`` inside it still sticks)."""
        before = dict(self.ch.settings)
        self.ch.settings.update(settings)
        try:
            yield
        finally:
            for key, value in settings.items():
                if self.ch.settings.get(key) == value:  # untouched by the statement: back to what it was
                    if key in before:
                        self.ch.settings[key] = before[key]
                    else:
                        self.ch.settings.pop(key, None)

    async def _switch_branch(self) -> None:
        """Run on the branch of the ``heliosdb_branch`` setting (else the session's own)."""
        wanted = self.ch.settings.get("heliosdb_branch") or self.server_default_branch
        if wanted == self.session.branch:
            return
        literal = "'" + wanted.replace("'", "''") + "'"
        await anyio.to_thread.run_sync(self.session.execute, f"SET heliosdb.branch = {literal}")

    @property
    def server_default_branch(self) -> str:
        return "main"

    async def _run_watched(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in a worker thread while a watcher reads the socket for Cancel."""
        result: list[T] = []
        error: list[Exception] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch)

            async def run() -> None:
                try:
                    result.append(await anyio.to_thread.run_sync(_in_turn, fn))
                except Exception as e:  # noqa: BLE001 - re-raised below, outside the task group
                    error.append(e)
                finally:
                    tg.cancel_scope.cancel()

            tg.start_soon(run)
        if self.watch_error is not None:
            raise self.watch_error
        if error:
            raise error[0]
        return result[0]

    async def _watch(self) -> None:
        """While a statement runs: Cancel (or the client vanishing) cancels it."""
        try:
            kind = await self._parse(Reader.read_varint, idle=True)
        except PeerGone:
            self.client_gone = True
            self.session.cancel()
            return
        except ProtocolError as e:
            self.watch_error = e
            self.session.cancel()
            return
        if kind == p.ClientPacket.CANCEL:
            self.cancel_requested = True
        else:
            self.watch_error = _PacketError(UNEXPECTED_PACKET,
                                            f"Unexpected packet {_name(kind)} received while a query runs")
        self.session.cancel()

    async def _statement(self, query: p.Query, out: _Output, started: float) -> None:
        self.cancel_requested = self.client_gone = False
        self.watch_error = None
        try:
            params = {name: _parameter_value(value) for name, value in query.parameters.items()}

            def run() -> tuple[list[Any], Any]:
                # the statement and its first blocks in one trip to a worker thread (a short
                # query's whole answer, sent at once)
                results = self.ch.run(query.text, params=params)
                first = next((r for r in results if r.columns is not None), None)
                try:
                    return results, out.start(first) if first is not None else None
                except BaseException:  # its first batches failed: it stops producing here, in this thread
                    close = getattr(first.batches, "close", None) if first is not None else None
                    if close is not None:
                        close()
                    raise

            results, first_step = await self._run_watched(run)
            for result in results:
                if result.columns is None:
                    out.progress.written_rows += result.written_rows or 0
                    continue
                try:
                    await out.result(result, first_step)
                    first_step = None
                finally:  # a result left early (Cancel, an error) stops producing here
                    close = getattr(result.batches, "close", None)
                    if close is not None:
                        with anyio.CancelScope(shield=True):
                            await anyio.to_thread.run_sync(close)
                if self.cancel_requested or self.client_gone:
                    break
        except Exception:
            if self.client_gone:
                raise PeerGone("the client left during its query") from None
            if self.cancel_requested:
                await out.end_of_stream()
                return
            raise
        if self.client_gone:
            raise PeerGone("the client left during its query")
        out.progress.elapsed_ns = int((time.monotonic() - started) * 1e9)
        await out.finish()

    # -- INSERT with data blocks -----------------------------------------------------------------

    async def _insert(self, query: p.Query, match: re.Match, out: _Output) -> None:
        target, declared, after = await anyio.to_thread.run_sync(self._copy_target, match.group("table"),
                                                                 match.group("columns"))
        names = list(target.columns)
        types = [declared.get(c.name) or clickhouse_type(c.type_name, nullable=c.nullable is not False)
                 for c in target.column_types]
        await out.header(names, types)
        schema = target.arrow_schema
        state = {"rows": 0, "bytes": 0}
        own_error: list[BaseException] = []  # what the data stream raised (the session may wrap it)

        def blocks() -> Iterator[pa.RecordBatch]:
            try:
                yield from read_blocks()
            except BaseException as e:
                own_error.append(e)
                raise

        def read_blocks() -> Iterator[pa.RecordBatch]:
            mismatch: ClickHouseError | None = None
            while True:
                kind = self.reader.read_varint()
                if kind == p.ClientPacket.CANCEL:
                    raise StatementCancelled
                if kind != p.ClientPacket.DATA:
                    raise _PacketError(UNEXPECTED_PACKET, f"Unexpected packet {_name(kind)} received from client "
                                                          "(expected Data of the INSERT)")
                self.reader.read_str()
                # acknowledged as it starts: the client (which awaits each block's ProfileEvents)
                # encodes its next block while this one is decoded; an error found in this block
                # still reaches it, in place of a later acknowledgement or of EndOfStream
                self._acknowledge_block()
                src = frame_reader(self.reader) if query.compression else self.reader
                block = read_block(src, self.revision, timezone=self.server.timezone)
                if query.compression and src.available:
                    raise ProtocolError("bytes left over after a block in its compressed frame")
                if not block.names:
                    if mismatch is not None:
                        raise mismatch
                    return
                if mismatch is not None or block.num_rows == 0:
                    continue
                try:
                    batch = _conform(block, names, schema)
                except ClickHouseError as e:
                    mismatch = e  # read on to the end of the data, then report it
                    continue
                state["rows"] += batch.num_rows
                state["bytes"] += batch.nbytes
                yield batch

        def run() -> Any:
            self.reader.fill = self._blocking_fill
            try:
                result = self.session.copy_in(target, blocks())
            finally:
                self.reader.fill = None
            for sql in after:  # a staged load (expression_defaults): the rows go on into the table
                self.session.execute(sql)
            return result

        try:
            try:
                await anyio.to_thread.run_sync(_in_turn, run)
            except Exception as e:
                if own_error and own_error[0] is not e:
                    raise own_error[0] from None
                raise
        except StatementCancelled:
            await out.end_of_stream()
            return
        except (ChecksumMismatch, TypeNameError, ColumnError) as e:
            code = CHECKSUM_DOESNT_MATCH if isinstance(e, ChecksumMismatch) else \
                UNKNOWN_TYPE if isinstance(e, TypeNameError) else CANNOT_PARSE_INPUT
            await self._send(self._exception_bytes(ClickHouseError(code, str(e))))
            raise PeerGone("the INSERT's data cannot be read on") from None  # the stream is out of step
        out.progress.written_rows = state["rows"]
        out.progress.written_bytes = state["bytes"]
        await out.finish()

    def _acknowledge_block(self) -> None:
        """From the INSERT's worker thread: the ProfileEvents a client awaits after each block."""
        if self.revision < p.REVISION_WITH_PROFILE_EVENTS_IN_INSERT:
            return
        w = Writer()
        p.write_profile_events(w, self.revision)
        with statement_waiting():
            anyio.from_thread.run(self._send, w.buf)
        statement_take_turn()

    def _copy_target(self, table: str, columns: str | None) -> tuple[Any, dict[str, str], list[str]]:
        """The CopySpec of ``table`` (ClickHouse names: ``db.t`` with ``default`` as ``public``),
        the ClickHouse types of its columns by name and the statements to run once the rows are in
        (a table with DEFAULTs over other columns is loaded through a stage: ``expression_defaults``)."""

        parts = [_unquote(x) for x in _split_dotted(table)]
        schema = self.ch.schema_of_table(parts[0] if len(parts) == 2 else None, parts[-1])
        column_list = ""
        if columns and columns.strip():
            column_list = " (" + ", ".join(_quote_ident(_unquote(c.strip())) for c in columns.split(",")) + ")"
        qualified = "" if schema == "pg_temp" else f"{_quote_ident(schema)}."  # the search path finds it first
        sql = f"COPY {qualified}{_quote_ident(parts[-1])}{column_list} FROM STDIN"
        after: list[str] = []
        try:
            columns_of_table = self.ch.table_columns(schema, parts[-1]) or []
            if expression_defaults.has_expression_defaults(self.session, schema, parts[-1]):
                listed = [_unquote(c.strip()) for c in columns.split(",")] if columns and columns.strip() else None
                sql, after = expression_defaults.staged_copy(self.session, schema, parts[-1], listed)
            staged = materialized_views.staged_copy(self.ch, schema, parts[-1], [_unquote(c.strip()) for c in columns.split(
                ",")] if columns and columns.strip() else None)
            if staged is not None:  # a merging engine's table (the block merged before it is written), views fed
                sql, after = staged
            results = self.session.execute(sql)
        except Exception as e:
            raise from_error(e) from e
        return results[-1].copy, {c.name: c.type for c in columns_of_table}, after


class _PacketError(ProtocolError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Output:
    """What goes back for one query: header and data blocks, progress, profile, end of stream."""

    def __init__(self, conn: NativeConnection, query: p.Query) -> None:
        self.conn = conn
        self.query = query
        self.compressed = query.compression
        self.method = METHODS["lz4"]
        self.zstd_level = 1
        self.max_block_size = DEFAULT_MAX_BLOCK_SIZE
        self.progress = p.Progress()
        self.rows = 0
        self.blocks = 0
        self.bytes = 0
        self.pending = bytearray()

    def configure(self, settings: dict[str, str]) -> None:
        method = settings.get("network_compression_method", "lz4").lower()
        if method not in METHODS:
            raise ClickHouseError(432, f"Unknown compression method {method!r} (lz4, zstd, none)")
        self.method = METHODS[method]
        self.zstd_level = _int_setting(settings, "network_zstd_compression_level", 1, 1, 22)
        self.max_block_size = _int_setting(settings, "max_block_size", DEFAULT_MAX_BLOCK_SIZE, 1, 1 << 30)

    def _packet(self, kind: p.ServerPacket, names: list[str], types: list[str], arrays: list[pa.Array] | None,
                rows: int) -> bytes:
        w = Writer()
        w.write_varint(kind)
        w.write_str("")
        body = Writer()
        write_block(body, names, types, arrays, rows, self.conn.revision, timezone=self.conn.server.timezone)
        w.write(compress(body.buf, self.method, self.zstd_level) if self.compressed else body.buf)
        return w.getvalue()

    async def header(self, names: list[str], types: list[str]) -> None:
        self.queue(self._packet(p.ServerPacket.DATA, names, types, None, 0))
        await self.flush()

    def queue(self, data: bytes | bytearray) -> None:
        """Add a packet to what goes out with the next ``flush`` (one write for a short answer)."""
        self.pending += data

    async def flush(self) -> None:
        if self.pending:
            data, self.pending = self.pending, bytearray()
            await self.conn._send(data)

    def start(self, result: Any) -> _Step:
        """In the worker thread that ran the statement: the result's types and its first blocks."""
        state = _Stream(names=[c.name for c in result.columns],
                        types=[cached_type(c.type) for c in result.columns],  # widened as NULLs show up
                        batches=iter(result.batches))
        return self._next_step(state)

    def _next_step(self, state: _Stream) -> _Step:
        """The Data packets of the next batch, reading one batch ahead so that the last step says
        it is the last (a short answer needs no further trip to a worker thread)."""
        batch = state.ahead if state.ahead is not None else next(state.batches, None)
        state.ahead = None
        if batch is None:
            return _Step(state, [], 0, 0, last=True)
        out = []
        rows = 0
        for start in range(0, max(batch.num_rows, 1), self.max_block_size):
            piece = batch.slice(start, self.max_block_size)
            if piece.num_rows == 0:
                continue
            arrays = [piece.column(i) for i in range(piece.num_columns)]
            for i, arr in enumerate(arrays):
                state.types[i] = with_nulls_allowed(state.types[i], arr)
            out.append(self._packet(p.ServerPacket.DATA, state.names, [str(t) for t in state.types], arrays,
                                    piece.num_rows))
            rows += piece.num_rows
        state.ahead = next(state.batches, None)
        return _Step(state, out, rows, batch.nbytes, last=state.ahead is None)

    async def result(self, result: Any, first: _Step | None = None) -> None:
        """Stream one result: a header block, then its batches as Data packets (``first``: its
        first step, made where the statement ran)."""
        step = first if first is not None else await self.conn._run_watched(lambda: self.start(result))
        state = step.state
        names, types = state.names, state.types
        self.queue(self._packet(p.ServerPacket.DATA, names, [str(t) for t in types], None, 0))
        while True:
            for packet in step.packets:
                self.queue(packet)
            if step.packets:
                self.rows += step.rows
                self.bytes += step.nbytes
                self.blocks += len(step.packets)
                self.progress.rows += step.rows
                self.progress.bytes += step.nbytes
                progress = Writer()
                p.write_progress(progress, p.Progress(rows=step.rows, bytes=step.nbytes), self.conn.revision)
                self.queue(progress.buf)
            if step.last:
                break
            await self.flush()  # the client has these blocks while the next are made
            if self.conn.cancel_requested or self.conn.client_gone:
                return
            step = await self.conn._run_watched(lambda s=state: self._next_step(s))
        extras = [(p.ServerPacket.TOTALS, getattr(result, "totals", None)),
                  (p.ServerPacket.EXTREMES, getattr(result, "extremes", None))]  # WITH TOTALS, extremes = 1
        for _, batch in extras:
            if batch is not None and batch.num_rows:
                for i in range(len(names)):
                    types[i] = with_nulls_allowed(types[i], batch.column(i))
        for kind, batch in extras:
            if batch is not None and batch.num_rows:
                self.queue(self._packet(kind, names, [str(t) for t in types],
                                        [batch.column(i) for i in range(len(names))], batch.num_rows))
        rows_before_limit = getattr(result, "rows_before_limit", None)
        w = Writer()
        p.write_profile_info(w, self.rows, self.blocks, self.bytes, rows_before_limit is not None,
                             rows_before_limit or 0)
        self.queue(w.buf)

    async def finish(self) -> None:
        w = Writer()
        p.write_progress(w, p.Progress(written_rows=self.progress.written_rows,
                                       written_bytes=self.progress.written_bytes,
                                       elapsed_ns=self.progress.elapsed_ns), self.conn.revision)
        p.write_simple(w, p.ServerPacket.END_OF_STREAM)
        self.queue(w.buf)
        await self.flush()

    async def end_of_stream(self) -> None:
        w = Writer()
        p.write_simple(w, p.ServerPacket.END_OF_STREAM)
        self.queue(w.buf)
        await self.flush()


@attrs.define
class _Stream:
    """A result being sent: its column names, its types so far, its batches and the one read ahead."""

    names: list[str]
    types: list[Any]
    batches: Iterator[pa.RecordBatch]
    ahead: pa.RecordBatch | None = None


@attrs.define
class _Step:
    """The Data packets of one batch of a result being sent; ``last``: no batch follows."""

    state: _Stream
    packets: list[bytes]
    rows: int
    nbytes: int
    last: bool


def _int_setting(settings: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = settings.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ClickHouseError(CANNOT_PARSE_INPUT, f"Cannot parse setting {name} = {raw!r} as an integer") from None
    return max(low, min(high, value)) if value else default


def _conform(block: Block, names: list[str], schema: pa.Schema) -> pa.RecordBatch:
    """A client block as a batch of the table's columns (by name), cast to their Arrow types."""
    if len(block.names) != len(names):
        raise ClickHouseError(BLOCKS_HAVE_DIFFERENT_STRUCTURE,
                              f"Block structure mismatch: the INSERT has {len(names)} columns, "
                              f"a block has {len(block.names)}")
    by_name = dict(zip(block.names, block.arrays, strict=True))
    arrays = []
    for name, field in zip(names, schema, strict=True):
        arr = by_name.get(name)
        if arr is None:
            raise ClickHouseError(BLOCKS_HAVE_DIFFERENT_STRUCTURE,
                                  f"Block structure mismatch: no column {name} in a block of the INSERT "
                                  f"(it has {', '.join(block.names)})")
        if arr.type != field.type:
            if pa.types.is_fixed_size_binary(arr.type) and pa.types.is_string(field.type):
                arr = arr.cast(pa.binary())
            try:
                arr = arr.cast(field.type)
            except pa.ArrowInvalid as e:
                raise ClickHouseError(69, f"Value out of range or not convertible for column {name}: {e}") from None
            except pa.ArrowNotImplementedError:
                pass  # the kernel's assignment cast decides (or refuses)
        arrays.append(arr)
    return pa.RecordBatch.from_arrays(arrays, names=list(names))


_UNESCAPE = {"b": "\b", "f": "\f", "r": "\r", "n": "\n", "t": "\t", "0": "\0", "a": "\a", "v": "\v"}


def _parameter_value(value: str) -> str:
    """A query parameter's value: the native protocol carries the escaped text form of the value
    as a quoted literal, so it is unquoted, then unescaped (``it's`` comes as the quoted ``it\\'s``)."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        value = _unescape(value[1:-1])
    return _unescape(value)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), text, flags=re.DOTALL)


_SETTING = re.compile(r"\s*(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|[^,\s]+)\s*(?:,|$)")


def _settings_clause(text: str) -> dict[str, str]:
    """``a = 1, b = 'x'`` -> {"a": "1", "b": "x"}; 62 SYNTAX_ERROR for anything else."""
    out: dict[str, str] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _SETTING.match(text, pos)
        if m is None or m.end() == pos:
            raise ClickHouseError(62, f"Syntax error: cannot read the SETTINGS clause {text!r}")
        value = m.group(2)
        out[m.group(1)] = _unescape(value[1:-1]) if value.startswith("'") else value
        pos = m.end()
    return out


def _split_dotted(name: str) -> list[str]:
    return re.findall(r"`[^`]+`|\"[^\"]+\"|[^.]+", name)


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "`\"":
        return name[1:-1]
    return name


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _name(kind: int) -> str:
    try:
        return p.ClientPacket(kind).name.title().replace("_", "")
    except ValueError:
        return f"Unknown({kind})"


def _peer(stream: Any) -> str:
    try:
        host, port = stream.extra(anyio.abc.SocketAttribute.remote_address)[:2]
        return f"{host}:{port}"
    except (anyio.TypedAttributeLookupError, TypeError, ValueError):
        return "?"


def _in_turn(fn: Callable[[], T]) -> T:
    """A worker thread's statement, run in its turn on the interpreter (helios_core.statement_gate)."""
    with statement_turn():
        return fn()
