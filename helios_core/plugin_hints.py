"""What to tell an operator whose config names a first-party plugin that is not loaded.

The first-party plugins are not published on PyPI: they are installed from a HeliosDB
checkout (``pip install ./plugins/protocol_pg``), and some are planned but not part of
this release yet. A plugin that is installed but switched off with
``HELIOS_DISABLE_PLUGINS`` is reported as disabled, naming the variable, because
"pip install" would not help.
"""

from __future__ import annotations

import importlib.metadata
import os

import attrs

DISABLE_VARIABLE = "HELIOS_DISABLE_PLUGINS"
ENTRY_POINT_GROUP = "helios"


@attrs.frozen
class FirstPartyPlugin:
    """A plugin of the HeliosDB repository: its distribution and folder in the checkout."""

    package: str
    directory: str  # under plugins/ of a HeliosDB checkout
    in_this_release: bool  # False: planned (DESIGN.md) but not written yet
    serves: str  # what it gives, for the message


FIRST_PARTY_PLUGINS: dict[str, FirstPartyPlugin] = {
    p.package: p
    for p in (
        FirstPartyPlugin("helios-protocol-pg", "protocol_pg", True, "the PostgreSQL protocol"),
        FirstPartyPlugin("helios-storage-nvme", "storage_nvme", True, "the local-disk storage tier"),
        FirstPartyPlugin("helios-protocol-mongo", "protocol_mongo", True, "the MongoDB protocol"),
        FirstPartyPlugin(
            "helios-protocol-clickhouse", "protocol_clickhouse", True, "the ClickHouse protocol"
        ),
        FirstPartyPlugin(
            "helios-storage-object", "storage_object", True, "object-store tiers and WAL archiving"
        ),
        FirstPartyPlugin("helios-search", "search", True, "full-text search"),
    )
}

# Storage tier names of first-party plugins -> their distribution.
FIRST_PARTY_TIERS: dict[str, str] = {
    "nvme": "helios-storage-nvme",
    **{kind: "helios-storage-object" for kind in ("s3", "gcs", "azure", "local")},
}


def disabled_entry_points() -> set[str]:
    """Entry-point names listed in HELIOS_DISABLE_PLUGINS."""
    return {n.strip() for n in os.environ.get(DISABLE_VARIABLE, "").split(",") if n.strip()}


def _disabled_by_variable(package: str) -> list[str]:
    """The entry points of installed ``package`` that HELIOS_DISABLE_PLUGINS switches off."""
    disabled = disabled_entry_points()
    if not disabled:
        return []
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return []
    return sorted(
        ep.name for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP and ep.name in disabled
    )


def missing_plugin_hint(package: str) -> str:
    """Why ``package`` gives nothing and what to do: disabled, install from a checkout, or not built yet."""
    names = _disabled_by_variable(package)
    if names:
        listed = ",".join(names)
        return (
            f"plugin {package} is installed but disabled by {DISABLE_VARIABLE} ({listed}); "
            f"remove {listed} from {DISABLE_VARIABLE} to use it"
        )
    plugin = FIRST_PARTY_PLUGINS.get(package)
    if plugin is None:
        return f"plugin not installed; pip install {package}"
    if plugin.in_this_release:
        return (
            f"plugin not installed; install {plugin.package} from a HeliosDB checkout: "
            f"pip install ./plugins/{plugin.directory}"
        )
    return (
        f"plugin not installed; {plugin.package} ({plugin.serves}) is not part of this HeliosDB release yet, "
        "so this section cannot be used"
    )
