"""Entry point: registers the ``mongodb`` protocol server with the kernel's plugin manager."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from helios_core.hookspecs import BackgroundJob, ProtocolServer, SqlFunction, hookimpl
from helios_protocol_mongo import change_streams
from helios_protocol_mongo.authentication import settings_from_kernel
from helios_protocol_mongo.config import MongoConfig
from helios_protocol_mongo.hashed_indexes import hash_function
from helios_protocol_mongo.indexes import expire_ttl_documents
from helios_protocol_mongo.partial_indexes import matches_function
from helios_protocol_mongo.server import MongoServer
from helios_protocol_mongo.sql_function import mongo_function
from helios_protocol_mongo.store import CollectionStore


async def serve(ctx: Any) -> None:
    """Serve MongoDB clients on the listener the kernel bound until cancelled."""
    log = ctx.log or logging.getLogger("helios.mongodb")
    config = ctx.config if isinstance(ctx.config, MongoConfig) else MongoConfig()
    settings = ctx.settings if ctx.settings is not None else config
    server = MongoServer(ctx.kernel, config, ctx.listener, log, settings=settings)
    await server.serve(ctx.stopping)


def check_config(section: Any, config: Any) -> None:
    """Refuse to listen beyond loopback without an [auth] section (anyone could connect unauthenticated)."""
    host = str(config.protocols["mongodb"].host or "127.0.0.1")
    try:
        loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and not settings_from_kernel(_ConfigHolder(config)).configured:
        raise ValueError(f"protocols.mongodb.host: {host!r} listens beyond loopback but no [auth] section is "
                         "configured (anyone could connect without a password); add [auth.users] with a user and "
                         'password, e.g. helios = "change-me", or set host = "127.0.0.1"')


class _ConfigHolder:
    """What ``settings_from_kernel`` reads: an object with the whole configuration."""

    def __init__(self, config: Any) -> None:
        self.config = config


@hookimpl
def helios_commit_observers(kernel: Any) -> list[Any]:
    """Change streams hear of every commit (change_streams.ChangeHistory) when the protocol is on."""
    config = _mongo_config(kernel)
    if config is None:
        return []
    return [change_streams.history_of(kernel, config).observe]


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


@hookimpl
def helios_sql_functions() -> list[SqlFunction]:
    return [mongo_function(), matches_function(), hash_function()]
