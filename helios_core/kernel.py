"""The server kernel: one anyio task group that owns the engine, the listeners and the jobs.

Start-up, in order: create, check and lock ``data_dir`` (a file, a read-only or full
disk ends start-up with one line naming data_dir), bind every enabled protocol's
listener (a port in use ends start-up with one clear line, before any data is read), open the engine in a worker thread
(recovery may take a while), call ``helios_startup``, then run each protocol's serve loop,
the background jobs and the metrics endpoint in the task group and log ``helios ready``.

Shutdown (SIGINT/SIGTERM): ``kernel.stopping`` is set, every listener stops accepting,
running connections get ``shutdown_grace_period`` seconds to finish (protocol servers
watch ``ctx.stopping`` and close idle connections), then running statements are cancelled
and the serve loops with them. Finally ``helios_shutdown`` hooks run and the engine is
checkpointed and closed (flush + fsync). A second signal skips what is left of the grace
period.
"""

from __future__ import annotations

import errno
import importlib.util
import inspect
import logging
import os
import signal
import weakref
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import attrs
import pluggy
from prometheus_client import CollectorRegistry

import helios_core
from helios_core import garbage_collection, statement_gate
from helios_core.config import HeliosConfig, ProtocolSettings
from helios_core.data_dir import OPERATOR_ERRNOS, DataDirError, describe, lock_data_dir
from helios_core.errors import DiskFull, HeliosError, TooManyConnections
from helios_core.hookspecs import BackgroundJob, ProtocolContext, ProtocolServer
from helios_core.metrics import EngineCollector, KernelMetrics, serve_metrics
from helios_core.plugin_hints import missing_plugin_hint
from helios_core.plugins import (
    background_jobs,
    commit_observers,
    protocol_servers,
    sql_functions,
    storage_tier_factories,
)
from helios_core.storage.tiering import TierSet

log = logging.getLogger("helios.kernel")

PORT_SEARCH_SPAN = 100  # with no explicit port: try the standard port and the next ones
# (protocol, peer address) of the connection a task serves: sessions it opens carry them
# (pg_stat_activity's protocol and client_addr); worker threads inherit it with the context
# (protocol, the client's address, the server's address) of the connection a task serves
CONNECTION: ContextVar[tuple[str, Any, Any] | None] = ContextVar("helios_connection", default=None)


class StartupError(Exception):
    """Start-up failed for a reason the operator fixes (port in use, data dir locked...): exit 2."""


def object_tiers(config: HeliosConfig, factories: dict[str, Any]) -> dict[str, Any]:
    """The warm and cold tiers the policies name (``tier_warm_backend``, ``[storage.tiering]
    cold_storage_backend``) by role, each checked once: bad credentials or a missing bucket
    stop the start (or a backup) with one line naming the tier."""
    storage = config.storage
    others = {}
    for role, kind, key in (("warm", storage.tier_warm_backend, "storage.tier_warm_backend"),
                            ("cold", storage.tiering.cold_storage_backend, "storage.tiering.cold_storage_backend")):
        if kind is None:
            continue
        factory = factories.get(kind)
        if factory is None:
            raise StartupError(f"{key}: {missing_plugin_hint('helios-storage-object')}")
        section = storage.backend_section(kind)
        # warm and cold on one backend keep apart under their own prefix
        section = attrs.evolve(section, prefix="/".join(p for p in (section.prefix.strip("/"), role) if p))
        try:
            tier = factory.create(config.data_dir, section)
            if hasattr(tier, "set_timeout"):
                tier.set_timeout(storage.object_timeout)
            if hasattr(tier, "check"):
                tier.check()
        except Exception as exc:  # noqa: BLE001 - any client error: one line
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StartupError(f"{key}: the {role} tier ({kind}) cannot be used: {first}") from None
        others[role] = tier
    return others


class KernelListener(anyio.abc.Listener[anyio.abc.SocketStream]):
    """The listener a protocol server gets: it stops accepting when the kernel stops.

    ``serve(handler)`` runs each connection in its own task and, once the kernel is
    stopping, closes the socket and returns when the open connections have finished.
    A handler's exception is logged and ends only that connection.
    """

    def __init__(self, inner: anyio.abc.Listener, kernel: Kernel, protocol: str) -> None:
        self._inner = inner
        self._kernel = kernel
        self._pending: list[anyio.abc.SocketStream] = []
        self.protocol = protocol
        self.active_connections = 0
        self.host, self.port = _bound_address(inner)

    @property
    def extra_attributes(self) -> dict[Any, Callable[[], Any]]:
        return self._inner.extra_attributes

    async def _accept_or_stop(self) -> anyio.abc.SocketStream | None:
        """The next connection, or None once the kernel is stopping."""
        stopping = self._kernel.stopping
        while not stopping.is_set():
            if self._pending:
                return self._pending.pop(0)
            accepted: list[anyio.abc.SocketStream] = []
            async with anyio.create_task_group() as tg:

                async def accept_from(listener: Any, accepted: list = accepted) -> None:
                    try:
                        accepted.append(await listener.accept())
                    except OSError as exc:  # EMFILE and friends: log, breathe, go on
                        log.warning("accept failed protocol=%s: %s", self.protocol, exc)
                        await anyio.sleep(0.1)
                    tg.cancel_scope.cancel()

                async def wait_stop() -> None:
                    await stopping.wait()
                    tg.cancel_scope.cancel()

                for listener in getattr(self._inner, "listeners", [self._inner]):
                    tg.start_soon(accept_from, listener)
                tg.start_soon(wait_stop)
            self._pending.extend(accepted)
        for stream in self._pending:
            await stream.aclose()
        self._pending.clear()
        return None

    async def accept(self) -> anyio.abc.SocketStream:
        """Accept one connection; once stopping, waits until cancelled (prefer ``serve``)."""
        stream = await self._accept_or_stop()
        if stream is None:
            await anyio.sleep_forever()
        assert stream is not None
        return stream

    async def serve(
        self,
        handler: Callable[[anyio.abc.SocketStream], Awaitable[Any]],
        task_group: anyio.abc.TaskGroup | None = None,
    ) -> None:
        async def run(stream: anyio.abc.SocketStream) -> None:
            CONNECTION.set((self.protocol, stream.extra(anyio.abc.SocketAttribute.remote_address, None),
                            stream.extra(anyio.abc.SocketAttribute.local_address, None)))
            self.active_connections += 1
            self._kernel.metrics.connections.labels(self.protocol).inc()
            try:
                await handler(stream)
            except Exception:
                log.exception("connection handler failed protocol=%s", self.protocol)
            finally:
                self.active_connections -= 1
                self._kernel.metrics.connections.labels(self.protocol).dec()
                with anyio.CancelScope(shield=True):
                    await stream.aclose()

        async with anyio.create_task_group() as own:
            tg = task_group or own
            while (stream := await self._accept_or_stop()) is not None:
                tg.start_soon(run, stream)
            await self.aclose()  # refuse new clients while the open connections finish
            log.info(
                "stopped accepting protocol=%s open_connections=%d", self.protocol, self.active_connections
            )

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            await self._inner.aclose()


def _protocol_of_task() -> str:
    connection = CONNECTION.get()
    return connection[0] if connection is not None else "embedded"


def _bound_address(listener: Any) -> tuple[str, int]:
    first = getattr(listener, "listeners", [listener])[0]
    return str(first.extra(anyio.abc.SocketAttribute.local_address)[0]), int(
        first.extra(anyio.abc.SocketAttribute.local_port)
    )


async def bind_listener(
    host: str, port: int | None, default_port: int, what: str, key: str = "port"
) -> anyio.abc.Listener:
    """Bind ``host:port``; with ``port`` None try ``default_port`` and the next free ones.

    Errors name the config key: ``{what}.{key}`` (e.g. "protocols.clickhouse.http_port")."""
    candidates = [port] if port is not None else list(range(default_port, default_port + PORT_SEARCH_SPAN))
    for candidate in candidates:
        try:
            listener = await anyio.create_tcp_listener(local_host=host, local_port=candidate)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                if port is not None:
                    raise StartupError(f"{what}.{key}: port {port} on {host} is already in use") from None
                continue
            if exc.errno == errno.EACCES:
                raise StartupError(
                    f"{what}.{key}: permission denied to listen on {host}:{candidate}"
                ) from None
            raise StartupError(
                f"{what}: cannot listen on {host}:{candidate}: {exc.strerror or exc}"
            ) from None
        if port is None and candidate != default_port:
            log.warning(
                "%s: standard port %d on %s is in use; using port %d instead",
                what,
                default_port,
                host,
                candidate,
            )
        return listener
    raise StartupError(
        f"{what}.{key}: ports {default_port}-{default_port + PORT_SEARCH_SPAN - 1} on {host} are all in use"
    )


class Kernel:
    """Owns the engine, the protocol servers, background jobs and metrics of one server.

    Protocol plugins reach the engine only through ``open_session``; ``config`` is the
    whole validated configuration (``kernel.config.auth`` for authentication, ...).
    """

    def __init__(self, config: HeliosConfig, pm: pluggy.PluginManager) -> None:
        self.config = config
        self.pm = pm
        self.engine: Any = None
        self.stopping: anyio.Event | None = None
        self.registry = CollectorRegistry()
        self.metrics = KernelMetrics(self.registry)
        self.registry.register(EngineCollector(self))
        self.listeners: dict[str, KernelListener] = {}
        self.extra_listeners: dict[str, dict[str, KernelListener]] = {}  # protocol -> config key -> listener
        self.exit_status = 0
        self._servers = {s.name: s for s in protocol_servers(pm)}
        self._sessions: weakref.WeakSet[Any] = weakref.WeakSet()
        self._force: anyio.Event | None = None
        self._lock_fd: int | None = None
        self.metrics.sessions.set_function(lambda: len(self._sessions))

    # -- the engine -----------------------------------------------------------------------

    def open_session(
        self, user: str = "helios", database: str = "helios", options: dict[str, str] | None = None
    ):
        """A new Session (see helios_core.session) for a client; blocking, call from a worker thread."""
        if self.stopping is not None and self.stopping.is_set():
            raise HeliosError("the database system is shutting down", sqlstate="57P03")
        if self.engine is None:
            raise HeliosError("the database system is starting up", sqlstate="57P03")
        opts = dict(options or {})
        branch = opts.get("heliosdb.branch") or "main"
        try:
            session = self.engine.connect(user=user, database=database, branch=branch, options=opts)
        except TooManyConnections:
            self.connection_refused(_protocol_of_task())
            raise
        connection = CONNECTION.get()
        if connection is not None:
            session.protocol, session.client_addr, session.server_addr = connection
        try:
            self._sessions.add(session)
        except TypeError:  # a session type without weakref support: not tracked
            pass
        return session

    def connection_refused(self, protocol: str) -> None:
        """A protocol refused a client for a connection limit (helios_connections_refused_total)."""
        if self.engine is not None:
            self.engine.statement_stats.refused(protocol)

    def _tier_name(self) -> str | None:
        """The storage tier segments go to: ``[storage] tier``, else nvme when installed, else memory."""
        return self.config.storage.tier or ("nvme" if "nvme" in storage_tier_factories(self.pm) else None)

    def _lock_data_dir(self) -> None:
        """Create, check and lock data_dir before any port is bound (exit 2 with one line if unusable).
        A data_dir the operator set, with no persistent tier installed to keep its data, is refused:
        the data would live in memory and be gone at exit (``[storage] tier = "memory"`` asks for that)."""
        tier = self._tier_name()
        if tier is None and self.config.data_dir_given:
            raise StartupError(
                f"data_dir {self.config.data_dir!r} is set, but no persistent storage tier is installed "
                f"({missing_plugin_hint('helios-storage-nvme')}); its data would be kept in memory and lost "
                'at exit. To run in memory on purpose, set [storage] tier = "memory"'
            )
        if tier in (None, "memory"):
            return
        try:
            self._lock_fd = lock_data_dir(Path(self.config.data_dir))
        except DataDirError as exc:
            raise StartupError(str(exc)) from None

    def _open_engine(self) -> None:
        try:
            from helios_core.engine import Engine
        except ImportError as exc:
            raise StartupError(f"the SQL engine is not available in this installation: {exc}") from None
        cfg = self.config
        tiers = storage_tier_factories(self.pm)
        tier_name = self._tier_name()
        data_dir: str | None = cfg.data_dir
        tier = None
        if tier_name is None or tier_name == "memory":
            log.warning(
                "no persistent storage tier (%s): data is kept in memory",
                missing_plugin_hint("helios-storage-nvme"),
            )
            data_dir = None
            if "memory" in tiers:
                tier = tiers["memory"].create("", None)
        else:
            factory = tiers[tier_name]
            try:
                tier = factory.create(cfg.data_dir, cfg.storage.tiers.get(tier_name))
            except OSError as exc:
                if exc.errno in OPERATOR_ERRNOS:
                    raise StartupError(describe(exc, Path(cfg.data_dir))) from None
                raise StartupError(f"storage.tier: cannot open tier {tier_name!r}: {exc}") from exc
            except Exception as exc:
                raise StartupError(f"storage.tier: cannot open tier {tier_name!r}: {exc}") from exc
        functions = sql_functions(self.pm)
        tier_set = self._tier_set(tier, tiers) if data_dir is not None else None
        try:
            self.engine = Engine.open(
                data_dir, tier=tier, sql_functions=functions, retention_seconds=cfg.storage.retention_seconds,
                plugin_manager=self.pm, tiers=tier_set,
            )
        except OSError as exc:  # a full or read-only disk found while recovering or bootstrapping
            if data_dir is None or exc.errno not in OPERATOR_ERRNOS:
                raise
            raise StartupError(describe(exc, Path(data_dir))) from None
        # [storage] compression: the codec of the segments checkpoints write
        self.engine.store.segment_codec = None if cfg.storage.compression == "none" else cfg.storage.compression
        self.engine.store.spill_after_bytes = cfg.storage.spill_after
        self.engine.statement_stats.max_branch_labels = cfg.metrics.max_branch_labels
        self.engine.statement_stats.enabled = cfg.metrics.statement_statistics
        self.engine.ensure_login_roles(list(cfg.auth.users))  # [auth.users] can log in as plain roles
        if cfg.source:  # it may hold passwords: no COPY reads or writes it (helios_core.sql.server_files)
            self.engine.protected_paths = [str(cfg.source)]
        log.info(
            "engine open data_dir=%s tier=%s sql_functions=%d",
            data_dir or ":memory:",
            tier_name or "memory",
            len(functions),
        )

    def _tier_set(self, hot: Any, factories: dict[str, Any]) -> Any:
        storage = self.config.storage
        return TierSet(hot, object_tiers(self.config, factories), cache_size=storage.cache_size,
                       timeout=storage.object_timeout)

    def _close_engine(self) -> None:
        if self.engine is not None:
            engine, self.engine = self.engine, None
            checkpointed = False
            try:
                engine.checkpoint()
                checkpointed = True
            except (DiskFull, OSError) as exc:  # a full or read-only disk: one line, no traceback
                log.error("checkpoint at shutdown failed: %s; the WAL still holds every commit and is "
                          "replayed at the next start", getattr(exc, "message", None) or exc)
                self.exit_status = 1
            except Exception:
                log.exception("checkpoint at shutdown failed; the WAL still holds every commit")
                self.exit_status = 1
            finally:
                engine.close(checkpoint=checkpointed)  # never a second attempt on a disk that just failed
            log.info("engine %s and closed", "checkpointed" if checkpointed else "not checkpointed")
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- running --------------------------------------------------------------------------

    async def _bind_all(self) -> anyio.abc.Listener | None:
        for name, settings in sorted(self.config.protocols.items()):
            server = self._servers.get(name)
            if server is None or not settings.enabled:
                continue
            inner = await bind_listener(
                settings.host, settings.port, server.default_port, f"protocols.{name}"
            )
            listener = KernelListener(inner, self, name)
            self.listeners[name] = listener
            log.info("listening protocol=%s host=%s port=%d", name, listener.host, listener.port)
            for key, default_port in server.extra_ports.items():
                extra_name = f"{name}_{key.removesuffix('_port')}"
                inner = await bind_listener(
                    settings.host, getattr(settings.options, key, None), default_port, f"protocols.{name}", key
                )
                extra = KernelListener(inner, self, extra_name)
                self.extra_listeners.setdefault(name, {})[key] = extra
                log.info("listening protocol=%s host=%s port=%d", extra_name, extra.host, extra.port)
        metrics = self.config.metrics
        if not metrics.enabled:
            return None
        listener = await bind_listener(metrics.host, metrics.port, metrics.port, "metrics")
        host, port = _bound_address(listener)
        log.info("listening protocol=metrics host=%s port=%d", host, port)
        return listener

    async def _watch_signals(self) -> None:
        assert self.stopping is not None and self._force is not None
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                name = signal.Signals(signum).name
                if not self.stopping.is_set():
                    log.info(
                        "received %s: shutting down (grace period %gs)",
                        name,
                        self.config.shutdown_grace_period,
                    )
                    self.stopping.set()
                else:
                    log.info("received %s again: cancelling running statements now", name)
                    self._force.set()

    async def _run_job(self, job: BackgroundJob) -> None:
        while True:
            await anyio.sleep(job.interval)
            try:
                if inspect.iscoroutinefunction(job.run):
                    await job.run(self)
                else:
                    result = await anyio.to_thread.run_sync(job.run, self)
                    if inspect.isawaitable(result):
                        await result
            except Exception:
                log.exception("background job %s failed", job.name)

    def _protocol_context(self, server: ProtocolServer, settings: ProtocolSettings) -> ProtocolContext:
        assert self.stopping is not None
        config = settings.options if settings.options is not None else settings
        return ProtocolContext(
            kernel=self,
            config=config,
            settings=settings,
            listener=self.listeners[server.name],
            extra_listeners=dict(self.extra_listeners.get(server.name, {})),
            stopping=self.stopping,
            log=logging.getLogger(f"helios.protocol.{server.name}"),
        )

    async def _run_protocols(self) -> None:
        assert self.stopping is not None and self._force is not None
        stopping, force = self.stopping, self._force
        remaining = len(self.listeners)
        all_done = anyio.Event()
        if remaining == 0:
            all_done.set()

        async def run_one(name: str) -> None:
            nonlocal remaining
            server = self._servers[name]
            try:
                await server.serve(self._protocol_context(server, self.config.protocols[name]))
                if not stopping.is_set():
                    log.warning("protocol %s stopped serving before shutdown", name)
            except Exception:
                log.exception("protocol %s failed; shutting down", name)
                self.exit_status = 1
                stopping.set()
            finally:
                remaining -= 1
                if remaining == 0:
                    all_done.set()

        async def grace_period(scope: anyio.CancelScope) -> None:
            await stopping.wait()
            with anyio.move_on_after(self.config.shutdown_grace_period):
                async with anyio.create_task_group() as waiters:

                    async def until(event: anyio.Event) -> None:
                        await event.wait()
                        waiters.cancel_scope.cancel()

                    waiters.start_soon(until, all_done)
                    waiters.start_soon(until, force)
            if not all_done.is_set():
                sessions = list(self._sessions)
                log.warning(
                    "grace period over: cancelling %d sessions and closing connections", len(sessions)
                )
                for session in sessions:
                    try:
                        session.cancel()
                    except Exception:
                        log.exception("cancelling a session failed")
                scope.cancel()

        async with anyio.create_task_group() as ptg:
            for name in self.listeners:
                ptg.start_soon(run_one, name)
            ptg.start_soon(grace_period, ptg.cancel_scope)
            addresses = " ".join(f"{n}={lst.host}:{lst.port}" for n, lst in self.listeners.items())
            log.info("helios ready version=%s %s", helios_core.__version__, addresses or "protocols=none")

    async def run(self) -> int:
        """Serve until a signal; returns the process exit status. Raises StartupError."""
        self.stopping = anyio.Event()
        self._force = anyio.Event()
        log.info("starting helios %s pid=%d", helios_core.__version__, os.getpid())
        metrics_listener = None
        try:
            self._lock_data_dir()
            metrics_listener = await self._bind_all()
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._watch_signals)
                await anyio.to_thread.run_sync(self._open_engine)
                self.pm.hook.helios_register_metrics(registry=self.registry)
                self.engine.store.commit_observers = commit_observers(self.pm, self)
                self.pm.hook.helios_startup(kernel=self)
                garbage_collection.freeze_startup_objects()
                if metrics_listener is not None:
                    tg.start_soon(serve_metrics, metrics_listener, self.registry)
                for job in background_jobs(self.pm, self):
                    tg.start_soon(self._run_job, job)
                if not self.stopping.is_set():
                    await self._run_protocols()
                tg.cancel_scope.cancel()
            self.pm.hook.helios_shutdown(kernel=self)
        finally:
            with anyio.CancelScope(shield=True):
                for listener in self.listeners.values():
                    await listener.aclose()
                for extras in self.extra_listeners.values():
                    for listener in extras.values():
                        await listener.aclose()
                if metrics_listener is not None:
                    await metrics_listener.aclose()
                await anyio.to_thread.run_sync(self._close_engine)
        log.info("shutdown complete exit_status=%d", self.exit_status)
        return self.exit_status


def run_kernel(config: HeliosConfig, pm: pluggy.PluginManager) -> int:
    """Run a kernel on the asyncio event loop (uvloop's when installed: its socket I/O and
    scheduling cost a fraction of the pure-Python loop's per message); returns the exit status."""
    statement_gate.configure(config.statement_turns)
    garbage_collection.configure_for_serving()
    return anyio.run(Kernel(config, pm).run, backend_options={"use_uvloop": _uvloop_installed()})


def _uvloop_installed() -> bool:
    return importlib.util.find_spec("uvloop") is not None
