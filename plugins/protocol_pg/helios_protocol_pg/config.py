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
    inline_writes: a batch load's next plain ``INSERT ... VALUES`` batch (literal rows, its
    shape already prepared by the session) is tried on the event loop under a budget too,
    while the log's fsyncs are quick (see ``connection.WRITE_BUDGET``), and so is the COMMIT of
    a block that wrote a few rows (``Session.ending_is_quick``).

    Connection hardening (PostgreSQL's settings of the same names): authentication_timeout
    bounds the whole start-up and login exchange, after which the socket is closed;
    superuser_reserved_connections of the max_connections slots are kept for superusers
    (others get 53300 when only those remain); idle_in_transaction_session_timeout is the
    default for new sessions ('0' = off; past it the session is closed with 25P03).
    Sockets that have not logged in yet are bounded too: at most max_connections plus
    ``login_margin`` sockets are open at once, and when that is reached the oldest socket
    still logging in is closed to make room (a legitimate login takes milliseconds).
    """

    tls_cert: str | None = None
    tls_key: str | None = None
    statement_timeout: str = attrs.field(default="0", converter=str)
    worker_threads: int = 16
    inline_reads: bool = True
    inline_writes: bool = True
    authentication_timeout: str = attrs.field(default="60s", converter=str)
    superuser_reserved_connections: int = attrs.field(default=3, metadata={"min": 0})
    idle_in_transaction_session_timeout: str = attrs.field(default="0", converter=str)
    login_margin: int = attrs.field(default=32, metadata={"min": 1})
    # PgBouncer's pooling (helios_protocol_pg.pooling): "session" (one engine session per client)
    # or "transaction" (clients share pool_size sessions per (database, user) between transactions)
    pool_mode: str = attrs.field(default="session", metadata={"choices": ("session", "transaction")})
    pool_size: int = attrs.field(default=20, metadata={"min": 1})
    max_client_conn: int = attrs.field(default=10_000, metadata={"min": 1})
    # roles of PgBouncer's admin console (database "pgbouncer"), besides superusers
    admin_users: list[str] = attrs.field(factory=list)
    stats_users: list[str] = attrs.field(factory=list)
    # common keys repeated so the section validates whether or not the kernel strips them
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 5432
    max_connections: int = 500

    def __attrs_post_init__(self) -> None:
        for key in ("statement_timeout", "authentication_timeout", "idle_in_transaction_session_timeout"):
            try:
                parse_duration_ms(getattr(self, key))
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        if not 1_000 <= parse_duration_ms(self.authentication_timeout) <= 600_000:
            raise ValueError("authentication_timeout: must be between 1s and 600s (PostgreSQL's range)")
        if self.worker_threads < 1:
            raise ValueError("worker_threads must be at least 1")
        if self.pool_mode not in ("session", "transaction"):
            raise ValueError(f"pool_mode: {self.pool_mode!r} is not supported (session or transaction; "
                             "PgBouncer's statement mode is not built)")
