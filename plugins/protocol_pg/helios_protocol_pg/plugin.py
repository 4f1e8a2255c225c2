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
    await server.serve(ctx.stopping)


def check_config(section: Any, config: Any) -> None:
    """Refuse, before any port is bound, to listen beyond loopback without an ``[auth]`` section,
    or to require TLS ([auth] require_tls) without a certificate to offer it.

    Without ``[auth]`` every role logs in without a password, which is only safe when
    nobody but local users can reach the port.
    """
    from helios_protocol_pg.startup import auth_policy_from_kernel, is_loopback

    policy = auth_policy_from_kernel(_ConfigHolder(config))
    if policy.require_tls and not (getattr(section, "tls_cert", None) and getattr(section, "tls_key", None)):
        raise ValueError("protocols.postgres.tls_cert: [auth] require_tls = true needs tls_cert and tls_key "
                         "(PEM files), or no login could ever succeed")
    host = config.protocols["postgres"].host
    if is_loopback(host) or policy.configured:
        return
    raise ValueError(
        f"protocols.postgres.host: {host!r} listens beyond loopback but no [auth] section is configured "
        '(anyone could log in without a password); add [auth.users] with a user and password, '
        'e.g. helios = "change-me", or set host = "127.0.0.1"'
    )


class _ConfigHolder:
    """What ``auth_policy_from_kernel`` reads: an object with the whole configuration."""

    def __init__(self, config: Any) -> None:
        self.config = config


@hookimpl
def helios_protocol_servers() -> list[ProtocolServer]:
    return [ProtocolServer(name="postgres", default_port=5432, serve=serve, config_class=PostgresConfig,
                           check_config=check_config, package="helios-protocol-pg")]
