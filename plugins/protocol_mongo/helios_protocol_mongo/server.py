"""The MongoDB protocol server: accept loop, one thread per connection.

A connection reads whole messages (header, then body), decodes them (``wire``), runs the
command (commands call the blocking session API) and writes the reply, compressed when the
request was. Each connection's socket is taken from the event loop and served by a thread of
its own with blocking I/O (``socket_handoff``: the loop's receive, thread hop and send cost
more than a point command itself); where that cannot be done, the connection is served
through its stream with commands in worker threads. At most ``worker_threads`` commands run at
once either way. Bytes that are not a MongoDB message close that connection only. Cursors and logical sessions belong to the server, not to a connection:
drivers pool connections and may continue a cursor or a transaction on any of them.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import threading
import time
from typing import Any

import anyio
import anyio.abc
from anyio.abc import SocketAttribute
from anyio.streams.buffered import BufferedByteReceiveStream
from bson import Timestamp

from helios_core.session import statement_turn
from helios_protocol_mongo import scram_sha1, snapshot
from helios_protocol_mongo.authentication import role_of, settings_from_kernel
from helios_protocol_mongo.commands import CommandRunner
from helios_protocol_mongo.config import MongoConfig
from helios_protocol_mongo.cursors import CursorRegistry
from helios_protocol_mongo.logical_sessions import LogicalSessions
from helios_protocol_mongo.point_access import NOT_FOUND, plain_point_key
from helios_protocol_mongo.profiler import Profiler
from helios_protocol_mongo.socket_handoff import TakenSocket, take_socket
from helios_protocol_mongo.wire import (
    HEADER,
    MAX_MESSAGE_SIZE,
    MORE_TO_COME,
    OP_MSG,
    OP_QUERY,
    Message,
    ProtocolViolation,
    encode_op_msg,
    encode_op_reply,
    parse_message,
)


class CommandSlots:
    """At most ``count`` commands of connection threads run at once: a thread takes a slot before its
    command and gives it back after. The slots are tokens in a queue implemented in C: threading's
    semaphores are Python code (a Condition around a lock), about 2 µs of GIL time per command where
    this takes 0.1. ``with slots:`` holds one; ``acquire``/``release`` as a semaphore's."""

    def __init__(self, count: int) -> None:
        self._tokens: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(count):
            self._tokens.put(None)

    def acquire(self) -> None:
        self._tokens.get()

    def release(self) -> None:
        self._tokens.put(None)

    def __enter__(self) -> None:
        self._tokens.get()

    def __exit__(self, *exc: object) -> None:
        self._tokens.put(None)


class MongoServer:
    """State shared by every connection: configuration, cursors, logical sessions, the kernel."""

    def __init__(self, kernel: Any, config: MongoConfig, listener: anyio.abc.Listener | None,
                 log: logging.Logger, settings: Any = None) -> None:
        self.kernel = kernel
        self.config = config
        self.listener = listener
        self.log = log
        self.max_connections = int(getattr(settings, "max_connections", None) or config.max_connections)
        self.limiter = anyio.CapacityLimiter(config.worker_threads)
        self.command_slots = CommandSlots(config.worker_threads)  # for connection threads
        self.connection_threads = anyio.CapacityLimiter(self.max_connections + 1)
        self.cursors = CursorRegistry()
        self.profiler = Profiler()
        self.sessions = LogicalSessions(self)
        self.auth = settings_from_kernel(kernel)
        self.collection_options: dict[tuple[str, str], dict[str, Any]] = {}  # read from table comments
        self.connection_ids = itertools.count(1)
        self.request_ids = itertools.count(1)
        self.open_connections = 0
        self.connections: set[MongoConnection] = set()
        self.stopping = False
        self.started = time.time()
        self._clock = threading.Lock()
        self._last_micros = 0

    def cluster_time(self) -> Timestamp:
        """The replica set's logical clock, strictly increasing: replies carry it as ``operationTime`` and
        ``$clusterTime`` so drivers' causally consistent sessions have one to send. It is the commit clock
        in microseconds (``snapshot.to_cluster_time``), so a snapshot read at a cluster time reads the
        commits made before it."""
        with self._clock:
            self._last_micros = max(snapshot.now_micros(), self._last_micros + 1)
            return snapshot.to_cluster_time(self._last_micros)

    def open_session(self, user: str = "helios", branch: str | None = None) -> Any:
        """A kernel session on the configured database (blocking); ``branch`` None: the role's default."""
        options = {"heliosdb.branch": branch} if branch else {}
        return self.kernel.open_session(user=user, database=self.config.database, options=options)

    def scram_sha1_credentials(self, user: str) -> tuple[str, str] | None:
        """A user's SCRAM-SHA-1 keys as createUser/updateUser kept them (read as the bootstrap superuser)."""
        session = self.open_session()
        try:
            return scram_sha1.load(session, user)
        finally:
            session.close()

    def keep_scram_sha1_credentials(self, user: str, password: str | None) -> None:
        """After createUser/updateUser set ``password`` (None: dropUser): the user's SCRAM-SHA-1 keys."""
        session = self.open_session()
        try:
            role = role_of(self.kernel, user) if password is not None else None
            if role and role.get("password"):
                scram_sha1.save(session, user, password, str(role["password"]))
            else:
                scram_sha1.forget(session, user)
        finally:
            session.close()

    async def serve(self, stopping: Any = None) -> None:
        """Serve until the listener stops; once ``stopping`` is set, idle connections are closed at once."""
        assert self.listener is not None
        async with anyio.create_task_group() as tg:
            if stopping is not None:
                tg.start_soon(self._close_idle_when_stopping, stopping)
            await self.listener.serve(self.handle)
            tg.cancel_scope.cancel()

    async def _close_idle_when_stopping(self, stopping: Any) -> None:
        await stopping.wait()
        self.stopping = True
        for connection in list(self.connections):
            connection.close_if_idle()

    async def handle(self, stream: anyio.abc.SocketStream) -> None:
        connection = MongoConnection(self, stream, next(self.connection_ids))
        self.open_connections += 1
        self.connections.add(connection)
        try:
            await connection.run()
        finally:
            self.open_connections -= 1
            self.connections.discard(connection)
            await anyio.to_thread.run_sync(connection.commands.close, limiter=self.limiter)


class MongoConnection:
    """One client socket: reads messages, answers them in order."""

    def __init__(self, server: MongoServer, stream: anyio.abc.SocketStream, connection_id: int) -> None:
        self.server = server
        self.stream = stream
        self.reader = BufferedByteReceiveStream(stream)
        self.connection_id = connection_id
        self.address = _dialled_address(stream)
        self.peer = _peer_address(stream)
        self.commands = CommandRunner(server, self)
        self.idle_scope: anyio.CancelScope | None = None  # set while waiting for the next request
        self.taken: TakenSocket | None = None  # the socket, once its own thread serves it
        self._state = threading.Lock()  # orders "a command starts" against "the server closes idle sockets"
        self.running = False  # the connection thread runs a command (else it waits for, or reads, one)

    def close_if_idle(self) -> None:
        """The server stops: a connection that is not running a command is closed now (its thread
        wakes from ``recv`` and ends); one that is ends after writing its reply."""
        if self.idle_scope is not None:
            self.idle_scope.cancel()
        taken = self.taken
        if taken is not None:
            with self._state:
                if not self.running:
                    taken.shut_down()

    async def run(self) -> None:
        if self.server.open_connections > self.server.max_connections:
            self.server.log.warning("mongodb: %d connections open (max_connections); closing %s",
                                    self.server.open_connections - 1, self.peer)
            return
        taken = take_socket(self.stream)
        if taken is None:
            await self._serve_stream()
            return
        self.taken = taken
        finished = threading.Event()
        try:
            await anyio.to_thread.run_sync(self._serve_blocking, taken, finished,
                                           limiter=self.server.connection_threads, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            # the kernel's grace period is over: wake the thread, let it end (its statement is cancelled)
            taken.shut_down()
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(finished.wait, 10.0)
            raise
        finally:
            if finished.is_set():
                taken.close()

    def _serve_blocking(self, taken: TakenSocket, finished: threading.Event) -> None:
        self.commands.command_slot = self.server.command_slots  # held while a command runs (CommandRunner.waiting)
        try:
            self._serve_requests(taken)
        finally:
            finished.set()

    def _serve_requests(self, taken: TakenSocket) -> None:
        """The connection's own thread: read a request, run it, write its reply, until the client goes."""
        server = self.server
        while not server.stopping:
            head = taken.receive_exactly(HEADER.size)
            if head is None:
                return
            header = HEADER.unpack(head)
            length = header[0]
            if length <= HEADER.size or length > MAX_MESSAGE_SIZE:
                server.log.warning("mongodb: closing %s: message length %d out of bounds", self.peer, length)
                return
            body = taken.receive_exactly(length - HEADER.size)
            if body is None:
                return
            try:
                message = parse_message(header, body)
            except ProtocolViolation as exc:
                server.log.warning("mongodb: closing %s: %s", self.peer, exc)
                return
            with self._state:
                if server.stopping:
                    return
                self.running = True
            try:
                self._answer(taken, message)
            finally:
                with self._state:
                    self.running = False

    def _answer(self, taken: TakenSocket, message: Message) -> None:
        """Run one request and write its reply (an exhaust cursor's batches, one after another)."""
        server = self.server
        with server.command_slots, _turn_for(message):
            reply = self.commands.run(message)
        if message.more_to_come:
            return
        response_to = message.request_id
        while True:
            data, request_id, streaming = _encode_reply(server, message, reply, response_to)
            if not taken.send(data) or not streaming:
                return
            response_to = request_id  # an exhaust cursor, as in _serve_stream
            with server.command_slots, _turn_for(message):
                reply = self.commands.run(message)

    async def _serve_stream(self) -> None:
        while not self.server.stopping:
            head = b""
            with anyio.CancelScope() as self.idle_scope:
                try:
                    head = await self.reader.receive_exactly(HEADER.size)
                except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError, OSError):
                    return
            self.idle_scope = None
            if self.server.stopping or len(head) < HEADER.size:
                return
            header = HEADER.unpack(head)
            length = header[0]
            if length <= HEADER.size or length > MAX_MESSAGE_SIZE:
                self.server.log.warning("mongodb: closing %s: message length %d out of bounds", self.peer, length)
                return
            try:
                body = await self.reader.receive_exactly(length - HEADER.size)
            except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError, OSError):
                return
            try:
                message = parse_message(header, body)
            except ProtocolViolation as exc:
                self.server.log.warning("mongodb: closing %s: %s", self.peer, exc)
                return
            reply = await anyio.to_thread.run_sync(_run_in_turn, self.commands, message, limiter=self.server.limiter)
            if message.more_to_come:
                continue
            response_to = message.request_id
            while True:
                data, request_id, streaming = _encode_reply(self.server, message, reply, response_to)
                try:
                    await self.stream.send(data)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                    return
                if not streaming:
                    break
                # an exhaust cursor: the next batch follows unasked, answering the reply just sent
                response_to = request_id
                reply = await anyio.to_thread.run_sync(_run_in_turn, self.commands, message, limiter=self.server.limiter)


def _run_in_turn(commands: CommandRunner, message: Message) -> Any:
    """A worker thread's command, run in its turn on the interpreter (helios_core.statement_gate)."""
    with _turn_for(message):
        return commands.run(message)


def _turn_for(message: Message) -> contextlib.AbstractContextManager[Any]:
    """A command's turn on the interpreter; a point find by ``_id`` (about 100 us) takes none: the
    hand-over between threads would cost it more than it saves (as PostgreSQL's point reads run on
    the event loop without one)."""
    if plain_point_key(message.command) is not NOT_FOUND:
        return contextlib.nullcontext()
    return statement_turn()


def _encode_reply(server: MongoServer, message: Message, reply: Any, response_to: int) -> tuple[bytes, int, bool]:
    """(the reply's bytes, its request id, whether an exhaust cursor's next batch follows it)."""
    request_id = next(server.request_ids)
    streaming = _exhaust_continues(message, reply)
    if message.op_code == OP_QUERY:
        return encode_op_reply(request_id, response_to, reply, message.compressor), request_id, streaming
    data = encode_op_msg(request_id, response_to, reply, message.compressor, flags=MORE_TO_COME if streaming else 0)
    return data, request_id, streaming


def _format_address(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)


def _dialled_address(stream: anyio.abc.SocketStream) -> str:
    """host:port of our end of the socket: the address the client reached us at."""
    try:
        return _format_address(stream.extra(SocketAttribute.local_address))
    except (anyio.TypedAttributeLookupError, OSError):
        return "localhost:27017"


def _peer_address(stream: anyio.abc.SocketStream) -> str:
    try:
        return _format_address(stream.extra(SocketAttribute.remote_address))
    except (anyio.TypedAttributeLookupError, OSError):
        return "unknown"


def _exhaust_continues(message: Message, reply: dict[str, Any]) -> bool:
    """A getMore of a client that allows exhaust, with documents left: answer with moreToCome and go on."""
    if not message.exhaust_allowed or message.op_code != OP_MSG or next(iter(message.command), "") != "getMore":
        return False
    cursor = reply.get("cursor")
    return reply.get("ok") == 1.0 and isinstance(cursor, dict) and bool(cursor.get("id"))
