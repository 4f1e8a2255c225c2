"""Built-in plugin: hands ``[branching]`` of the server config to the engine at start-up and
offers the heliosdb.branches / heliosdb.branch_history virtual tables, through the same hooks
as any third-party plugin.

Register it like the other built-ins (``helios_core.plugins.DEFAULT_PLUGINS``)::

    ("helios_core.branching.plugin", "helios_core.branching.plugin"),
"""

from __future__ import annotations

from typing import Any

from helios_core.branching import catalog_views
from helios_core.branching.policy import configure
from helios_core.hookspecs import VirtualTable, hookimpl


@hookimpl
def helios_startup(kernel: Any) -> None:
    """Branch isolation and limits follow the config the server was started with."""
    if kernel.engine is not None:
        configure(kernel.engine, kernel.config.branching)


@hookimpl
def helios_virtual_tables() -> list[VirtualTable]:
    return catalog_views.virtual_tables()
