"""The HTTP listener's serve loop: keep-alive connections, each request in a worker thread."""

from __future__ import annotations

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

from helios_core.hookspecs import ProtocolContext
from helios_core.session import statement_turn
from helios_protocol_clickhouse.http.handler import HttpContext, Response, handle
from helios_protocol_clickhouse.http.sessions import SessionRegistry
from helios_protocol_clickhouse.http.wire import BadRequest, Request, read_request, response_bytes


async def _next_request(reader: BufferedByteReceiveStream, stopping: anyio.Event) -> Request | None:
    """The next request, or None when the client left or the server is stopping (an idle
    keep-alive connection must not hold a shutdown up)."""
    outcome: list[Request | None | BaseException] = [None]
    async with anyio.create_task_group() as tg:

        async def read() -> None:
            try:
                outcome[0] = await read_request(reader)
            except (BadRequest, anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError) as exc:
                outcome[0] = exc
            tg.cancel_scope.cancel()

        async def stop() -> None:
            await stopping.wait()
            tg.cancel_scope.cancel()

        tg.start_soon(read)
        tg.start_soon(stop)
    if isinstance(outcome[0], BadRequest):
        raise outcome[0]
    if isinstance(outcome[0], BaseException):
        return None
    return outcome[0]


async def _answer(http: HttpContext, request: Request, reader: BufferedByteReceiveStream,
                  limit: anyio.CapacityLimiter) -> Response:
    """Run the request in a worker thread while watching its connection: a client that closes it
    before its answer is reported to ``request.client`` (which may cancel the statement)."""
    answer: list[Response] = []
    async with anyio.create_task_group() as tg:

        async def run() -> None:
            try:
                answer.append(await anyio.to_thread.run_sync(_handle_in_turn, http, request, limiter=limit))
            finally:
                tg.cancel_scope.cancel()

        async def watch() -> None:
            try:
                data = await reader.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
                request.client.gone()
                return
            reader.feed_data(data)  # the next request, sent early: read again after this answer

        tg.start_soon(watch)
        tg.start_soon(run)
    return answer[0]


async def serve_http(ctx: ProtocolContext) -> None:
    """Serve ClickHouse's HTTP interface on ``ctx.extra_listeners["http_port"]`` until the kernel stops."""
    listener = ctx.extra_listeners["http_port"]
    config = ctx.config
    http = HttpContext(kernel=ctx.kernel, config=config, sessions=SessionRegistry(), log=ctx.log)
    limit = anyio.CapacityLimiter(max(1, int(getattr(config, "max_connections", 100) or 100)))

    max_connections = max(1, int(getattr(config, "max_connections", 100) or 100))

    async def connection(stream: anyio.abc.ByteStream) -> None:
        if getattr(listener, "active_connections", 0) > max_connections:
            body = (f"Code: 202. DB::Exception: Too many simultaneous connections (max_connections = "
                    f"{max_connections}). (TOO_MANY_SIMULTANEOUS_QUERIES)\n").encode()
            headers = [("Content-Type", "text/plain; charset=UTF-8"), ("X-ClickHouse-Exception-Code", "202")]
            with anyio.move_on_after(5):
                await stream.send(response_bytes(503, headers, body, keep_alive=False))
            await stream.aclose()
            return
        reader = BufferedByteReceiveStream(stream)
        try:
            while not ctx.stopping.is_set():
                try:
                    request = await _next_request(reader, ctx.stopping)
                except BadRequest as exc:
                    body = f"Code: 1. DB::Exception: Bad request: {exc}. (UNSUPPORTED_METHOD)\n".encode()
                    await stream.send(response_bytes(400, [("Content-Type", "text/plain; charset=UTF-8")], body,
                                                     keep_alive=False))
                    return
                if request is None:
                    return
                response = await _answer(http, request, reader, limit)
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


def _handle_in_turn(http: HttpContext, request: Request) -> Response:
    """A request in a worker thread, run in its turn on the interpreter (helios_core.statement_gate)."""
    with statement_turn():
        return handle(http, request)
