"""The ``[protocols.postgres]`` section's protocol-specific keys.

The kernel accepts the common keys (enabled, host, port, max_connections) for every
protocol; these are the ones only PostgreSQL clients need.
"""

from __future__ import annotations

import re

import attrs


def parse_duration_ms(value: str | float | None) -> int:
    """'30s', '250ms', '2min', '1h' or a bare number of milliseconds (PG's rule) -> ms; 0 = off."""
    if value is None or value == "":
        return 0
    if isinstance(value, int | float):
        return int(value)
    m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*", str(value))
    if not m:
        raise ValueError(f"invalid duration: {value!r} (examples: '30s', '250ms', '2min', 1000)")
    n = float(m.group(1))
    unit = m.group(2) or "ms"
    scale = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}[unit]
    return int(n * scale)


@attrs.define(kw_only=True)
class PostgresConfig:
    """Protocol keys of ``[protocols.postgres]``.

    tls_cert / tls_key: PEM files; when both are set an SSLRequest is answered 'S' and the
    connection is wrapped in TLS, otherwise 'N'. statement_timeout: the default for new
    sessions ('30s', '0' = none); a client may change it with SET. worker_threads: how many
    statements may run at once in worker threads (the rest wait; idle connections cost no
    thread). inline_reads: plain SELECTs that keep finishing within a millisecond run on the
    event loop instead of a worker thread (saves two thread switches per point read).
    """

    tls_cert: str | None = None
    tls_key: str | None = None
    statement_timeout: str = attrs.field(default="0", converter=str)
    worker_threads: int = 16
    server_version: str = "16.4"
    inline_reads: bool = True
    # common keys repeated so the section validates whether or not the kernel strips them
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 5432
    max_connections: int = 500

    def __attrs_post_init__(self) -> None:
        parse_duration_ms(self.statement_timeout)
        if self.worker_threads < 1:
            raise ValueError("worker_threads must be at least 1")
