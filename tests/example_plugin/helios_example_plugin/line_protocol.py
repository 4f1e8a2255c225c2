"""The ``line`` protocol: one SQL statement per line in, tab-separated rows out.

Request:  ``select 1, 'a'\n``
Response: ``1\ta\n`` per row, then ``OK SELECT 1\n`` (the statement's kind and row count) or
``ERROR <SQLSTATE> <message>\n``. ``[protocols.line] dialect`` picks the SQL dialect (``tiny``,
this plugin's own, or the built-in ``postgres``).

It uses only what a protocol server gets from the kernel (``ProtocolContext``) and the
Session API: ``kernel.open_session`` and ``session.stream`` run in worker threads so one
slow statement never blocks other connections. On shutdown (``ctx.stopping``), an idle
connection is closed at once and a busy one after its statement finished.
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.abc
import attrs
from anyio.streams.buffered import BufferedByteReceiveStream

from helios_core.hookspecs import ProtocolContext

MAX_LINE = 1 << 20


@attrs.define(kw_only=True)
class LineConfig:
    """Keys of ``[protocols.line]`` beyond the common ones."""

    null_text: str = "\\N"
    dialect: str = "postgres"  # the SQL dialect of the statements (the plugin's own: "tiny")
    heartbeat_seconds: float = attrs.field(default=0.0, metadata={"duration": True})


def check_config(section: LineConfig, config: Any) -> None:
    """Cross-section rule: no authentication here, so listen on loopback only unless [auth] has users."""
    host = config.protocols["line"].host
    if host not in ("127.0.0.1", "::1", "localhost") and not config.auth.users:
        raise ValueError(f"protocols.line.host: {host!r} is beyond loopback but [auth] has no users")


def _clean(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _format(value: object, null_text: str) -> str:
    return null_text if value is None else _clean(str(value))


async def _next_line(reader: BufferedByteReceiveStream, stopping: anyio.Event) -> bytes | None:
    """The next request line, or None when the client left or the server is stopping."""
    line: bytes | None = None
    async with anyio.create_task_group() as tg:

        async def read() -> None:
            nonlocal line
            try:
                line = await reader.receive_until(b"\n", MAX_LINE)
            except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError):
                pass
            tg.cancel_scope.cancel()

        async def stop() -> None:
            await stopping.wait()
            tg.cancel_scope.cancel()

        tg.start_soon(read)
        tg.start_soon(stop)
    return line


def _error_line(exc: Exception) -> str:
    # Session errors carry a SQLSTATE (helios_core.errors); anything else is an internal error.
    sqlstate = getattr(exc, "sqlstate", "XX000")
    message = getattr(exc, "message", None) or str(exc)
    return f"ERROR {sqlstate} {_clean(message)}"


def _status(result) -> str:
    return f"OK {result.kind}" if result.row_count is None else f"OK {result.kind} {result.row_count}"


def _run(session, sql: str, null_text: str, dialect: str) -> str:
    out: list[str] = []
    try:
        for result in session.stream(sql, dialect=dialect):
            for batch in result.batches:  # produced as they are read
                columns = [c.to_pylist() for c in batch.columns]
                out.extend("\t".join(_format(v, null_text) for v in row) for row in zip(*columns, strict=True))
            out.append(_status(result))
    except Exception as exc:  # noqa: BLE001 - reported to this client; the connection goes on
        out.append(_error_line(exc))
    return "".join(line + "\n" for line in out)


async def serve_lines(ctx: ProtocolContext) -> None:
    """Serve until the kernel stops: one session per connection."""
    null_text = ctx.config.null_text
    dialect = ctx.config.dialect

    async def handle(stream: anyio.abc.ByteStream) -> None:
        try:
            session = await anyio.to_thread.run_sync(ctx.kernel.open_session, "helios", "helios", {})
        except Exception as exc:  # noqa: BLE001 - e.g. 57P03 while shutting down
            await stream.send((_error_line(exc) + "\n").encode())
            return
        reader = BufferedByteReceiveStream(stream)
        try:
            while (line := await _next_line(reader, ctx.stopping)) is not None:
                sql = line.decode().strip()
                if not sql:
                    continue
                ctx.log.info("executing %s", sql)
                reply = await anyio.to_thread.run_sync(_run, session, sql, null_text, dialect)
                await stream.send(reply.encode())
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # the client went away
        finally:
            await anyio.to_thread.run_sync(session.close)

    await ctx.listener.serve(handle)
