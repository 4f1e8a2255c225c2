"""A third-party HeliosDB plugin: the hooks it implements.

Registered under the entry-point group ``helios`` (see pyproject.toml); HeliosDB loads this
module and calls the ``@hookimpl`` functions below.
"""

import logging

from helios_core.hookspecs import (
    BackgroundJob,
    ProtocolServer,
    SqlDataType,
    SqlDialect,
    SqlFunction,
    SqlTableFunction,
    VirtualTable,
    hookimpl,
)
from helios_example_plugin.audit import helios_run_statement  # noqa: F401  (a statement wrapper)
from helios_example_plugin.dialect import TINY
from helios_example_plugin.functions import reverse_text, sleep_seconds
from helios_example_plugin.line_protocol import LineConfig, check_config, serve_lines
from helios_example_plugin.rgb import COLOURS, RGB, SHADES

__version__ = "0.1.0"


@hookimpl
def helios_sql_functions() -> list[SqlFunction]:
    return [
        SqlFunction(name="example_reverse", impl=reverse_text, return_type="text", arg_types=["text"]),
        SqlFunction(
            name="example_sleep",
            impl=sleep_seconds,
            return_type="double precision",
            arg_types=["double precision"],
        ),
    ]


@hookimpl
def helios_sql_dialects() -> list[SqlDialect]:
    return [TINY]


@hookimpl
def helios_sql_types() -> list[SqlDataType]:
    return [RGB]


@hookimpl
def helios_virtual_tables() -> list[VirtualTable]:
    return [COLOURS]


@hookimpl
def helios_table_functions() -> list[SqlTableFunction]:
    return [SHADES]


@hookimpl
def helios_protocol_servers() -> list[ProtocolServer]:
    return [
        ProtocolServer(
            name="line",
            default_port=7878,
            serve=serve_lines,
            config_class=LineConfig,
            check_config=check_config,
            package="helios-example-plugin",
        )
    ]


log = logging.getLogger("helios.example")


@hookimpl
def helios_startup(kernel) -> None:
    log.info("example startup")


@hookimpl
def helios_shutdown(kernel) -> None:
    log.info("example shutdown")


@hookimpl
def helios_background_jobs(kernel) -> list[BackgroundJob]:
    """A heartbeat every ``[protocols.line] heartbeat_seconds`` (0: none)."""
    line = kernel.config.protocols.get("line")
    interval = line.options.heartbeat_seconds if line is not None and line.enabled else 0
    if not interval:
        return []
    beats = 0

    def beat(kernel) -> None:  # a plain function: the kernel runs it in a worker thread
        nonlocal beats
        beats += 1
        log.info("example heartbeat n=%d", beats)

    return [BackgroundJob(name="example_heartbeat", interval=interval, run=beat)]
