"""The HTTP listener's serve loop: keep-alive connections, each request in a worker thread."""

from __future__ import annotations

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

from helios_core.hookspecs import ProtocolContext
from helios_protocol_clickhouse.http.handler import HttpContext, handle
from helios_protocol_clickhouse.http.sessions import SessionRegistry
from helios_protocol_clickhouse.http.wire import BadRequest, read_request, response_bytes


async def serve_http(ctx: ProtocolContext) -> None:
    """Serve ClickHouse's HTTP interface on ``ctx.extra_listeners["http_port"]`` until the kernel stops."""
    listener = ctx.extra_listeners["http_port"]
    config = ctx.config
    http = HttpContext(kernel=ctx.kernel, config=config, sessions=SessionRegistry(), log=ctx.log)
    limit = anyio.CapacityLimiter(max(1, int(getattr(config, "max_connections", 100) or 100)))

    async def connection(stream: anyio.abc.ByteStream) -> None:
        reader = BufferedByteReceiveStream(stream)
        try:
            while not ctx.stopping.is_set():
                try:
                    request = await read_request(reader)
                except BadRequest as exc:
                    body = f"Code: 1. DB::Exception: Bad request: {exc}. (UNSUPPORTED_METHOD)\n".encode()
                    await stream.send(response_bytes(400, [("Content-Type", "text/plain; charset=UTF-8")], body,
                                                     keep_alive=False))
                    return
                if request is None:
                    return
                response = await anyio.to_thread.run_sync(handle, http, request, limiter=limit)
                keep_alive = request.keep_alive and not ctx.stopping.is_set()
                await stream.send(response_bytes(response.status, response.headers, response.body,
                                                 keep_alive=keep_alive))
                if not keep_alive:
                    return
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, anyio.IncompleteRead,
                ConnectionError):
            pass  # the client went away
        finally:
            await stream.aclose()

    try:
        await listener.serve(connection)
    finally:
        http.sessions.close_all()
        http.pool.close_all()
