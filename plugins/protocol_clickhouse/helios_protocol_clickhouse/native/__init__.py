"""ClickHouse's native TCP protocol (the ``port`` of ``[protocols.clickhouse]``).

Placeholder until the native protocol lands: connections are accepted and closed at once,
so a native client fails fast instead of hanging. ``serve_native(ctx)`` is what
``helios_protocol_clickhouse.plugin`` runs on ``ctx.listener``; statements go through
``helios_protocol_clickhouse.execute`` like the HTTP interface's.
"""

from __future__ import annotations

import anyio.abc

from helios_core.hookspecs import ProtocolContext


async def serve_native(ctx: ProtocolContext) -> None:
    """Serve the native port until the kernel stops (for now: refuse each connection)."""

    async def refuse(stream: anyio.abc.ByteStream) -> None:
        ctx.log.warning("native ClickHouse protocol is not built yet; closing the connection")
        await stream.aclose()

    await ctx.listener.serve(refuse)
