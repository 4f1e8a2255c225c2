"""The native TCP server: the accept loop, the connection limit and shutdown of idle connections."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import anyio.abc

from helios_core.hookspecs import ProtocolContext
from helios_protocol_clickhouse.errors import VERSION, ClickHouseError
from helios_protocol_clickhouse.native.connection import NativeConnection
from helios_protocol_clickhouse.native.packets import ServerIdentity, write_exception
from helios_protocol_clickhouse.native.wire import Writer

TOO_MANY_CONNECTIONS = 202  # TOO_MANY_SIMULTANEOUS_QUERIES: what a full server answers


def _version_triple(version: str) -> tuple[int, int, int]:
    parts = [int(x) for x in version.split(".")[:3]]
    return (parts + [0, 0, 0])[0], (parts + [0, 0, 0])[1], (parts + [0, 0, 0])[2]


class NativeServer:
    """Serves ClickHouse clients on the listener the kernel bound for ``[protocols.clickhouse] port``."""

    def __init__(self, ctx: Any) -> None:
        self.kernel = ctx.kernel
        self.kernel_config = getattr(ctx.kernel, "config", None)
        self.listener = ctx.listener
        self.stopping = ctx.stopping
        self.log: logging.Logger = ctx.log or logging.getLogger("helios.protocol.clickhouse")
        config = ctx.config
        settings = ctx.settings if ctx.settings is not None else config
        self.timezone = str(getattr(config, "timezone", "UTC") or "UTC")
        self.max_connections = int(getattr(settings, "max_connections", None) or 100)
        self.port = getattr(ctx.listener, "port", 9000)
        http = getattr(ctx, "extra_listeners", {}).get("http_port")
        self.http_port = getattr(http, "port", 8123)
        self.receive_timeout = float(getattr(config, "receive_timeout", 300) or 300)
        self.handshake_timeout = 10.0
        self.identity = ServerIdentity(name="ClickHouse", version=_version_triple(VERSION), timezone=self.timezone,
                                       display_name="heliosdb")
        self.connections: set[NativeConnection] = set()

    async def handle(self, stream: anyio.abc.ByteStream) -> None:
        conn = NativeConnection(self, stream)
        if len(self.connections) >= self.max_connections:
            await self._refuse(stream, conn)
            return
        self.connections.add(conn)
        try:
            await conn.handle()
        finally:
            self.connections.discard(conn)

    async def _refuse(self, stream: anyio.abc.ByteStream, conn: NativeConnection) -> None:
        error = ClickHouseError(TOO_MANY_CONNECTIONS,
                                f"Too many simultaneous connections (max_connections = {self.max_connections})")
        w = Writer()
        write_exception(w, error.code, "DB::Exception", error.message)
        try:
            with anyio.move_on_after(5):
                await stream.send(w.getvalue())
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
            pass
        finally:
            await stream.aclose()
        self.log.warning("clickhouse native: refused %s, %d connections open", conn.peer, len(self.connections))

    async def serve(self) -> None:
        async with anyio.create_task_group() as tg:
            if self.stopping is not None:
                tg.start_soon(self._close_idle_when_stopping)
            await self.listener.serve(self.handle)
            tg.cancel_scope.cancel()

    async def _close_idle_when_stopping(self) -> None:
        await self.stopping.wait()
        for conn in list(self.connections):
            if conn.idle_scope is not None:
                conn.idle_scope.cancel()


async def serve_native(ctx: ProtocolContext) -> None:
    """Serve the native port until the kernel stops."""
    await NativeServer(ctx).serve()
