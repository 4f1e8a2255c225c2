"""Entry point: registers the ``mongodb`` protocol server with the kernel's plugin manager."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from helios_core.hookspecs import ProtocolServer, hookimpl
from helios_protocol_mongo.config import MongoConfig
from helios_protocol_mongo.server import MongoServer


async def serve(ctx: Any) -> None:
    """Serve MongoDB clients on the listener the kernel bound until cancelled."""
    log = ctx.log or logging.getLogger("helios.mongodb")
    config = ctx.config if isinstance(ctx.config, MongoConfig) else MongoConfig()
    settings = ctx.settings if ctx.settings is not None else config
    server = MongoServer(ctx.kernel, config, ctx.listener, log, settings=settings)
    await server.serve(ctx.stopping)


def check_config(section: Any, config: Any) -> None:
    """Refuse to listen beyond loopback: MongoDB clients are not authenticated yet."""
    host = str(getattr(section, "host", "127.0.0.1") or "127.0.0.1")
    try:
        loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(f"protocols.mongodb.host: {host!r} listens beyond loopback, but MongoDB authentication "
                         "(SCRAM) is not supported yet, so anyone could connect; set host = \"127.0.0.1\"")


@hookimpl
def helios_protocol_servers() -> list[ProtocolServer]:
    return [ProtocolServer(name="mongodb", default_port=27017, serve=serve, config_class=MongoConfig,
                           check_config=check_config, package="helios-protocol-mongo")]
