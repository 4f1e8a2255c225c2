"""Built-in plugin: hands ``[branching]`` of the server config to the engine at start-up and
offers the heliosdb.branches / heliosdb.branch_history virtual tables, through the same hooks
as any third-party plugin.

Register it like the other built-ins (``helios_core.plugins.DEFAULT_PLUGINS``)::

    ("helios_core.branching.plugin", "helios_core.branching.plugin"),
"""

from __future__ import annotations

from typing import Any

from helios_core.branching import catalog_views, tiering
from helios_core.branching.policy import configure
from helios_core.hookspecs import BackgroundJob, VirtualTable, hookimpl


@hookimpl
def helios_startup(kernel: Any) -> None:
    """Branch isolation and limits follow the config the server was started with; so do the
    tier placement policies, whose gauges join the kernel's metrics."""
    if kernel.engine is not None:
        configure(kernel.engine, kernel.config.branching)
        tiering.configure(kernel.engine, kernel.config.storage)
        kernel.registry.register(tiering.TierCollector(kernel.engine))


@hookimpl
def helios_virtual_tables() -> list[VirtualTable]:
    return [*catalog_views.virtual_tables(), *tiering.virtual_tables()]


@hookimpl
def helios_background_jobs(kernel: Any) -> list[BackgroundJob]:
    """The tier mover, when some tier besides the hot one is configured."""
    engine = kernel.engine
    if engine is None or len(engine.store.tiers.tiers) < 2:
        return []
    return [BackgroundJob(name="tiering", interval=kernel.config.storage.tiering.interval,
                          run=lambda k: tiering.run_once(engine))]
