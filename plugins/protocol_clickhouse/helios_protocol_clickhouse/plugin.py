"""Entry point: the ``clickhouse`` protocol server (native TCP + HTTP) and the ``clickhouse`` dialect."""

from __future__ import annotations

from typing import Any

import anyio

from helios_core.hookspecs import (
    ProtocolContext,
    ProtocolServer,
    SqlAggregate,
    SqlDialect,
    SqlFunction,
    hookimpl,
)
from helios_protocol_clickhouse import (
    aggregate_states,
    aggregates,
    array_functions,
    sequence_match,
    timing_quantiles,
    url_functions,
)
from helios_protocol_clickhouse.config import HTTP_PORT, NATIVE_PORT, ClickHouseConfig
from helios_protocol_clickhouse.dialect import CLICKHOUSE
from helios_protocol_clickhouse.http.server import serve_http
from helios_protocol_clickhouse.native.server import serve_native
from helios_protocol_clickhouse.sql_functions import FUNCTIONS


async def serve(ctx: ProtocolContext) -> None:
    """Serve both of ClickHouse's ports until the kernel stops: native on ``ctx.listener``,
    HTTP on ``ctx.extra_listeners["http_port"]``."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(serve_native, ctx)
        tg.start_soon(serve_http, ctx)


def check_config(section: Any, config: Any) -> None:
    """No ``[auth]`` section lets the user ``default`` in without a password (as a fresh
    ClickHouse does): refuse that beyond loopback."""
    host = config.protocols["clickhouse"].host
    if host in ("127.0.0.1", "::1", "localhost") or config.auth.users:
        return
    raise ValueError(
        f"protocols.clickhouse.host: {host!r} listens beyond loopback but no [auth] section is configured "
        "(anyone could log in as 'default' without a password); add [auth.users] or set host = \"127.0.0.1\""
    )


@hookimpl
def helios_protocol_servers() -> list[ProtocolServer]:
    return [ProtocolServer(name="clickhouse", default_port=NATIVE_PORT, serve=serve,
                           config_class=ClickHouseConfig, check_config=check_config,
                           extra_ports={"http_port": HTTP_PORT}, package="helios-protocol-clickhouse")]


@hookimpl
def helios_sql_dialects() -> list[SqlDialect]:
    return [CLICKHOUSE]


@hookimpl
def helios_sql_functions() -> list[SqlFunction]:
    return [*FUNCTIONS, *array_functions.FUNCTIONS, *timing_quantiles.FUNCTIONS, *url_functions.FUNCTIONS,
            *aggregate_states.FUNCTIONS, *sequence_match.FUNCTIONS]


@hookimpl
def helios_sql_aggregates() -> list[SqlAggregate]:
    return [*aggregates.AGGREGATES, *aggregate_states.AGGREGATES]
