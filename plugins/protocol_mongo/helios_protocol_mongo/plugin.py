"""Entry point: registers the ``mongodb`` protocol server with the kernel's plugin manager."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from helios_core.hookspecs import BackgroundJob, ProtocolServer, hookimpl
from helios_protocol_mongo.config import MongoConfig
from helios_protocol_mongo.indexes import expire_ttl_documents
from helios_protocol_mongo.server import MongoServer
from helios_protocol_mongo.store import CollectionStore


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


def _mongo_config(kernel: Any) -> MongoConfig | None:
    """The [protocols.mongodb] section when the protocol is enabled, else None."""
    settings = getattr(getattr(kernel, "config", None), "protocols", {}).get("mongodb")
    if settings is None or not getattr(settings, "enabled", False):
        return None
    options = getattr(settings, "options", None)
    return options if isinstance(options, MongoConfig) else MongoConfig()


@hookimpl
def helios_background_jobs(kernel: Any) -> list[BackgroundJob]:
    config = _mongo_config(kernel)
    if config is None:
        return []

    def expire(kernel: Any) -> None:
        session = kernel.open_session(user="helios", database=config.database, options={})
        try:
            removed = expire_ttl_documents(CollectionStore(session))
            if removed:
                logging.getLogger("helios.mongodb").info("mongodb: TTL monitor removed %d documents", removed)
        finally:
            session.close()

    return [BackgroundJob(name="mongodb-ttl", interval=config.ttl_monitor_interval, run=expire)]
