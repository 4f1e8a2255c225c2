"""The PostgreSQL protocol server: accept loop, connection registry, cancel keys, limits.

One anyio task per connection; the registry maps backend pids to connections so a
CancelRequest (which arrives on a fresh socket) can reach the running statement.

Sockets that have not logged in yet are kept apart (``logging_in``, oldest first): at most
max_connections + login_margin sockets are open at once, and a new one past that closes the
oldest socket still logging in, so a peer that opens sockets and never finishes its login
cannot exhaust file descriptors nor keep legitimate clients out; each of those sockets is
closed anyway after authentication_timeout.
"""

from __future__ import annotations

import itertools
import logging
import os
import resource
import ssl
from typing import Any

import anyio
import anyio.abc

from helios_core.session import add_backend_signaller, remove_backend_signaller
from helios_protocol_pg.config import PostgresConfig, parse_duration_ms
from helios_protocol_pg.connection import PgConnection
from helios_protocol_pg.pooling import Pooler
from helios_protocol_pg.startup import AuthPolicy, auth_policy_from_kernel, is_loopback

# All servers in this process, so SQL functions (pg_cancel_backend, pg_stat_activity) can find
# connections by pid.
SERVERS: list[PgServer] = []


class PgServer:
    def __init__(self, kernel: Any, config: Any, listener: anyio.abc.Listener | None, log: logging.Logger,
                 auth: AuthPolicy | None = None, settings: Any = None) -> None:
        self.kernel = kernel
        self.config = config if isinstance(config, PostgresConfig) else PostgresConfig()
        self.settings = settings if settings is not None else config
        self.listener = listener
        self.log = log
        self.auth = auth if auth is not None else auth_policy_from_kernel(kernel)
        self.max_connections = int(getattr(self.settings, "max_connections", None)
                                   or self.config.max_connections)
        self.stopping: Any = None
        self.default_statement_timeout_ms = parse_duration_ms(getattr(self.config, "statement_timeout", "0"))
        self.limiter = anyio.CapacityLimiter(int(getattr(self.config, "worker_threads", 16) or 16))
        self.inline_reads = bool(getattr(self.config, "inline_reads", True)) and \
            os.environ.get("HELIOS_PG_INLINE_READS", "1") != "0"
        self.inline_writes = bool(getattr(self.config, "inline_writes", True))
        self.connections: dict[int, PgConnection] = {}
        self.logging_in: dict[int, PgConnection] = {}  # accepted, not logged in yet; oldest first
        self.authentication_timeout = parse_duration_ms(getattr(self.config, "authentication_timeout", "60s")) / 1000
        self.login_margin = int(getattr(self.config, "login_margin", 32) or 32)
        # PostgreSQL requires reserved < max_connections; a small max_connections keeps one ordinary slot
        self.superuser_reserved = max(0, min(int(getattr(self.config, "superuser_reserved_connections", 3)),
                                             self.max_connections - 1))
        _ensure_file_descriptors(self.max_connections + self.login_margin + 64, log)
        self.idle_in_transaction_timeout_ms = parse_duration_ms(
            getattr(self.config, "idle_in_transaction_session_timeout", "0"))
        self._pids = itertools.count(1_000_000 + (os.getpid() % 1000) * 10_000)
        self.ssl_context = self._make_ssl_context()
        self.pool_mode = str(getattr(self.config, "pool_mode", "session"))
        self.pooler = Pooler(int(getattr(self.config, "pool_size", 20)),
                             int(getattr(self.config, "max_client_conn", 10_000)))
        self.admin_users = set(getattr(self.config, "admin_users", []) or [])
        self.stats_users = set(getattr(self.config, "stats_users", []) or [])
        if self.pool_mode == "transaction":
            _ensure_file_descriptors(self.pooler.max_client_conn + self.login_margin + 64, log)

    def _make_ssl_context(self) -> ssl.SSLContext | None:
        cert = getattr(self.config, "tls_cert", None)
        key = getattr(self.config, "tls_key", None)
        if not cert or not key:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        return ctx

    def check_host(self, host: str | None) -> None:
        """A non-loopback listener without [auth] is a configuration error (issue 5)."""
        if host and not self.auth.configured and not is_loopback(host):
            raise ValueError(
                f"protocols.postgres.host = {host!r} listens beyond loopback but no [auth] section is "
                "configured; add [auth] users (or bind 127.0.0.1)")

    # -- engine access -----------------------------------------------------------

    def _engine(self) -> Any:
        return getattr(self.kernel, "engine", self.kernel)

    def get_role(self, name: str) -> dict | None:
        for target in (self.kernel, self._engine()):
            fn = getattr(target, "get_role", None)
            if fn is not None:
                return fn(name)
        return {"name": name, "superuser": name == "helios", "login": True, "password": None}

    def open_session(self, *, user: str, database: str, options: dict[str, str]) -> Any:
        opener = getattr(self.kernel, "open_session", None)
        if opener is not None:
            return opener(user=user, database=database, options=options)
        return self._engine().connect(user=user, database=database,
                                      branch=options.get("heliosdb.branch", "main"), options=options)

    # -- registry ----------------------------------------------------------------

    def try_register(self, conn: PgConnection, superuser: bool) -> str | None:
        """Take a session slot; None when done, else why not (53300 message, as PostgreSQL)."""
        used = len(self.connections)
        if self.pool_mode == "transaction" or conn.database == "pgbouncer":  # clients, not engine sessions
            if used >= self.pooler.max_client_conn:
                return "no more connections allowed (max_client_conn)"
            self.connections[conn.pid] = conn
            return None
        if used >= self.max_connections:
            return "sorry, too many clients already"
        if not superuser and used >= self.max_connections - self.superuser_reserved:
            return "remaining connection slots are reserved for non-replication superuser connections"
        self.connections[conn.pid] = conn
        return None

    def admit(self, conn: PgConnection) -> None:
        """Count a new socket as logging in; past the cap, close the oldest socket still logging in."""
        clients = self.pooler.max_client_conn if self.pool_mode == "transaction" else self.max_connections
        cap = clients + self.login_margin
        while self.logging_in and len(self.connections) + len(self.logging_in) >= cap:
            oldest = next(iter(self.logging_in.values()))
            self.logging_in.pop(oldest.pid, None)
            self.log.warning("postgres: %d sockets open; closing %s, still logging in after %.1fs",
                             cap, oldest.peer, oldest.login_age())
            oldest.abort_login()
        self.logging_in[conn.pid] = conn

    def logged_in(self, conn: PgConnection) -> None:
        self.logging_in.pop(conn.pid, None)

    def rekey(self, conn: PgConnection, pid: int) -> None:
        if self.connections.get(conn.pid) is conn:
            del self.connections[conn.pid]
        conn.pid = pid
        self.connections[pid] = conn

    def unregister(self, conn: PgConnection) -> None:
        if self.connections.get(conn.pid) is conn:
            del self.connections[conn.pid]
        if self.logging_in.get(conn.pid) is conn:
            del self.logging_in[conn.pid]

    def cancel(self, pid: int, secret: int) -> bool:
        conn = self.connections.get(pid)
        if conn is None or conn.secret != secret:
            self.log.info("postgres: cancel request for unknown pid %d ignored", pid)
            return False
        self.log.info("postgres: cancel request for pid %d", pid)
        conn.cancel()
        return True

    # -- serving -----------------------------------------------------------------

    async def handle(self, stream: anyio.abc.ByteStream) -> None:
        conn = PgConnection(self, stream)
        conn.pid = next(self._pids)
        self.admit(conn)
        await conn.handle()

    async def serve(self, stopping: Any = None) -> None:
        """Serve until the listener stops (the kernel's listener returns once stopping and drained)."""
        assert self.listener is not None
        self.stopping = stopping
        SERVERS.append(self)
        add_backend_signaller(self.signal_backend)
        try:
            async with anyio.create_task_group() as tg:
                if stopping is not None:
                    tg.start_soon(self._close_idle_when_stopping, stopping)
                await self.listener.serve(self.handle)
                tg.cancel_scope.cancel()
        finally:
            SERVERS.remove(self)
            remove_backend_signaller(self.signal_backend)

    async def _close_idle_when_stopping(self, stopping: Any) -> None:
        await stopping.wait()
        idle = [c for c in self.connections.values() if c.idle_scope is not None]
        self.log.info("postgres: shutting down; closing %d idle connections", len(idle))
        for conn in idle:
            conn.terminate_idle()

    def signal_backend(self, pid: int, terminate: bool) -> bool:
        """pg_cancel_backend / pg_terminate_backend for one of our connections (called from a worker)."""
        conn = self.connections.get(pid)
        if conn is None:
            return False
        if not terminate:
            conn.cancel()
            return True
        try:
            anyio.from_thread.run_sync(conn.terminate)
        except RuntimeError:  # not in an anyio worker thread: best effort
            conn.terminating = True
            conn.cancel()
        return True


def _ensure_file_descriptors(needed: int, log: logging.Logger) -> None:
    """Raise the soft RLIMIT_NOFILE towards what max_connections + login_margin sockets need; say so
    when the hard limit is lower (accepting then fails with EMFILE, which the listener survives)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning("postgres: the process may open %d files but max_connections + login_margin sockets need "
                    "about %d; raise the limit (ulimit -n) or lower max_connections", soft, needed)
