"""Prometheus metrics: the kernel's own collectors (a built-in plugin) and the ``/metrics`` endpoint.

The endpoint is a tiny HTTP/1.0 responder on a listener the kernel bound itself, so it
lives in the kernel's task group and a port in use is reported like any other.
Plugins add collectors with the ``helios_register_metrics(registry)`` hook.
"""

from __future__ import annotations

import logging

import anyio
import anyio.abc
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    Info,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

import helios_core
from helios_core.hookspecs import hookimpl

log = logging.getLogger("helios.metrics")


class KernelMetrics:
    """Gauges the kernel updates itself (connections and sessions)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.connections = Gauge(
            "helios_connections", "Open client connections", ["protocol"], registry=registry
        )
        self.sessions = Gauge("helios_sessions", "Open sessions", registry=registry)


@hookimpl
def helios_register_metrics(registry: CollectorRegistry) -> None:
    """Built-in: version info and process/platform collectors."""
    Info("helios_build", "HeliosDB build information", registry=registry).info(
        {"version": helios_core.__version__}
    )
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)


async def _respond(stream: anyio.abc.ByteStream, registry: CollectorRegistry) -> None:
    async with stream:
        request = b""
        with anyio.move_on_after(10):
            while b"\r\n\r\n" not in request and b"\n\n" not in request and len(request) < 65536:
                try:
                    chunk = await stream.receive(4096)
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    return
                request += chunk
        parts = request.split(b"\r\n", 1)[0].split()
        if len(parts) >= 2 and parts[0] == b"GET" and parts[1].split(b"?")[0] in (b"/metrics", b"/"):
            body = await anyio.to_thread.run_sync(generate_latest, registry)
            head = f"HTTP/1.0 200 OK\r\nContent-Type: {CONTENT_TYPE_LATEST}\r\n"
        else:
            body = b"not found\n"
            head = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        try:
            await stream.send(head.encode() + body)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return


async def serve_metrics(listener: anyio.abc.Listener, registry: CollectorRegistry) -> None:
    """Serve ``GET /metrics`` until cancelled."""

    async def handle(stream: anyio.abc.ByteStream) -> None:
        try:
            await _respond(stream, registry)
        except Exception:  # one bad scrape must not stop the endpoint
            log.warning("metrics request failed", exc_info=True)

    await listener.serve(handle)
