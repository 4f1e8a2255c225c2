"""Prometheus metrics: the kernel's own collectors (a built-in plugin) and the ``/metrics`` endpoint.

The endpoint is a tiny HTTP/1.0 responder on a listener the kernel bound itself, so it
lives in the kernel's task group and a port in use is reported like any other.
Plugins add collectors with the ``helios_register_metrics(registry)`` hook.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.abc
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    GCCollector,
    Info,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

import helios_core
from helios_core import storage_metrics
from helios_core.hookspecs import hookimpl
from helios_core.statement_stats import BUCKETS

log = logging.getLogger("helios.metrics")


class KernelMetrics:
    """Gauges the kernel updates itself (connections and sessions)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.connections = Gauge(
            "helios_connections", "Open client connections", ["protocol"], registry=registry
        )
        self.sessions = Gauge("helios_sessions", "Open sessions", registry=registry)


class EngineCollector(Collector):
    """The engine's counters, read at scrape time (the statement path only updates plain dicts)."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    def describe(self) -> list[Any]:
        return []  # collected on demand: the engine may not be open when the registry is built

    def collect(self) -> Iterator[Any]:
        kernel = self.kernel
        engine = getattr(kernel, "engine", None)
        yield from _connection_families(kernel, engine)
        if engine is None:
            return
        stats = engine.statement_stats
        yield from _statement_families(stats.snapshot(), stats)
        yield from storage_metrics.families(engine, stats)


@hookimpl
def helios_register_metrics(registry: CollectorRegistry) -> None:
    """Built-in: version info, process/platform collectors, the garbage collector's work."""
    Info("helios_build", "HeliosDB build information", registry=registry).info(
        {"version": helios_core.__version__}
    )
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)  # python_gc_collections_total{generation}, ...
    Gauge("helios_gc_frozen_objects", "Objects kept out of garbage collection since start-up "
          "(helios_core.garbage_collection)", registry=registry).set_function(gc.get_freeze_count)


def _connection_families(kernel: Any, engine: Any) -> Iterator[Any]:
    limit = GaugeMetricFamily("helios_connections_max", "Connections a protocol accepts (max_connections)",
                              labels=["protocol"])
    protocols = getattr(getattr(kernel, "config", None), "protocols", {}) or {}
    for name, settings in sorted(protocols.items()):
        if not getattr(settings, "enabled", False):
            continue
        options = getattr(settings, "options", None)
        value = getattr(options, "max_connections", None) or getattr(settings, "max_connections", None)
        if value:
            limit.add_metric([name], float(value))
    yield limit
    refused = CounterMetricFamily("helios_connections_refused", "Clients refused for a connection limit (53300)",
                                  labels=["protocol"])
    if engine is not None:
        for protocol, n in sorted(engine.statement_stats.snapshot()["connections_refused"].items()):
            refused.add_metric([protocol], n)
    yield refused
    sessions = GaugeMetricFamily("helios_protocol_sessions", "Open engine sessions per protocol",
                                 labels=["protocol"])
    per_protocol: dict[str, int] = {}
    for session in list(getattr(engine, "sessions", {}).values()) if engine is not None else []:
        protocol = getattr(session, "protocol", "embedded")
        per_protocol[protocol] = per_protocol.get(protocol, 0) + 1
    for protocol, n in sorted(per_protocol.items()):
        sessions.add_metric([protocol], n)
    yield sessions


def _statement_families(snap: dict[str, Any], stats: Any) -> Iterator[Any]:
    statements = CounterMetricFamily("helios_statements", "Top-level statements run, by kind and outcome",
                                     labels=["protocol", "kind", "outcome"])
    for key, n in sorted(snap["statements"].items()):
        statements.add_metric(list(key), n)
    yield statements
    duration = HistogramMetricFamily("helios_statement_duration_seconds", "Time to run a top-level statement",
                                     labels=["protocol", "kind"], unit="seconds")
    for key, hist in sorted(snap["histograms"].items()):
        running, buckets = 0.0, []
        for bound, n in zip((*map(str, BUCKETS), "+Inf"), hist[: len(BUCKETS) + 1], strict=True):
            running += n
            buckets.append((bound, running))
        duration.add_metric(list(key), buckets, hist[-2])
    yield duration
    errors = CounterMetricFamily("helios_errors", "Statements that failed, by SQLSTATE class",
                                 labels=["protocol", "sqlstate_class"])
    for key, n in sorted(snap["errors"].items()):
        errors.add_metric(list(key), n)
    yield errors
    rows_read = CounterMetricFamily("helios_rows_read", "Rows returned by queries", labels=["protocol"])
    for protocol, n in sorted(snap["rows_read"].items()):
        rows_read.add_metric([protocol], n)
    yield rows_read
    rows_written = CounterMetricFamily("helios_rows_written", "Rows inserted, updated, deleted or copied in",
                                       labels=["protocol", "kind"])
    for key, n in sorted(snap["rows_written"].items()):
        rows_written.add_metric(list(key), n)
    yield rows_written
    limits = CounterMetricFamily("helios_limit_rejections", "Work refused or cancelled by a configured limit",
                                 labels=["limit"])
    for limit, n in sorted(snap["limit_rejections"].items()):
        limits.add_metric([limit], n)
    yield limits
    branch_statements = CounterMetricFamily("helios_branch_statements", "Statements run per branch",
                                            labels=["database", "branch"])
    branch_seconds = CounterMetricFamily("helios_branch_statement_seconds", "Statement time per branch",
                                         labels=["database", "branch"], unit="seconds")
    branch_cpu = CounterMetricFamily("helios_branch_cpu_seconds",
                                     "CPU time of statements per branch (one statement in 8 measured)",
                                     labels=["database", "branch"], unit="seconds")
    for key, (n, seconds, cpu) in sorted(snap["branches"].items()):
        branch_statements.add_metric(list(key), n)
        branch_seconds.add_metric(list(key), seconds)
        branch_cpu.add_metric(list(key), cpu)
    yield from (branch_statements, branch_seconds, branch_cpu)
    yield GaugeMetricFamily("helios_statement_statistics_entries", "Entries of pg_stat_statements",
                            value=len(stats.entries))


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
