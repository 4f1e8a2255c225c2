"""Entry point: registers the ``postgres`` protocol server with the kernel's plugin manager."""

from __future__ import annotations

import logging
from typing import Any

from helios_core.hookspecs import ProtocolServer, hookimpl
from helios_protocol_pg.config import PostgresConfig


async def serve(ctx: Any) -> None:
    """Serve PostgreSQL clients on the listener the kernel bound until cancelled."""
    from helios_protocol_pg.server import PgServer

    log = ctx.log or logging.getLogger("helios.postgres")
    settings = getattr(ctx, "settings", None)
    server = PgServer(ctx.kernel, ctx.config, ctx.listener, log, settings=settings)
    server.check_host(getattr(settings if settings is not None else ctx.config, "host", None))
    _load_catalog_views(log)
    await server.serve(ctx.stopping)


def _load_catalog_views(log: logging.Logger) -> None:
    try:
        import helios_core.sql.catalog_views  # noqa: F401  (registers pg_catalog/information_schema)
    except ImportError as exc:
        log.warning("postgres: pg_catalog views unavailable: %s", exc)


@hookimpl
def helios_startup(kernel: Any) -> None:
    """Refuse to start when postgres listens beyond loopback and no [auth] is configured."""
    from helios_protocol_pg.startup import auth_policy_from_kernel, is_loopback

    protocols = getattr(getattr(kernel, "config", None), "protocols", None) or {}
    settings = protocols.get("postgres") if isinstance(protocols, dict) else None
    if settings is None or not getattr(settings, "enabled", True):
        return
    host = getattr(settings, "host", None)
    if host and not is_loopback(host) and not auth_policy_from_kernel(kernel).configured:
        raise ValueError(
            f"protocols.postgres.host = {host!r} listens beyond loopback but no [auth] section is configured; "
            "add [auth] users (or bind 127.0.0.1)")


@hookimpl
def helios_protocol_servers() -> list[ProtocolServer]:
    return [ProtocolServer(name="postgres", default_port=5432, serve=serve, config_class=PostgresConfig,
                           package="helios-protocol-pg")]
