"""Built-in plugin: hands ``[branching]`` of the server config to the engine at start-up.

Register it like the other built-ins (``helios_core.plugins.DEFAULT_PLUGINS``)::

    ("helios_core.branching.plugin", "helios_core.branching.plugin"),
"""

from __future__ import annotations

from typing import Any

from helios_core.branching.policy import configure
from helios_core.hookspecs import hookimpl


@hookimpl
def helios_startup(kernel: Any) -> None:
    """Branch isolation and limits follow the config the server was started with."""
    if kernel.engine is not None:
        configure(kernel.engine, kernel.config.branching)
