"""Archive backends by name, from the installed archiver plugins and the server config."""

from __future__ import annotations

from typing import Any

from helios_core.archiving.repository import Repository
from helios_core.plugin_hints import missing_plugin_hint
from helios_core.plugins import wal_archiver_factories


class ArchiveSetupError(Exception):
    """The archive cannot be reached as configured; the message names the key or backend."""


def open_repository(name: str, config: Any, pm: Any) -> Repository:
    factories = wal_archiver_factories(pm)
    factory = factories.get(name)
    if factory is None:
        installed = ", ".join(sorted(factories)) or "none"
        raise ArchiveSetupError(
            f"no installed WAL archiver {name!r} (installed: {installed}); {missing_plugin_hint('helios-storage-object')}")
    try:
        archiver = factory.create(config.data_dir, config)
    except (ValueError, OSError) as exc:
        raise ArchiveSetupError(f"storage.{name}: cannot open the archive backend: {exc}") from None
    return Repository(name, archiver, config.storage.wal_archiving.compression)


def open_repositories(config: Any, pm: Any) -> dict[str, Repository]:
    """The configured backends of ``[storage.wal_archiving]``, primary first."""
    return {name: open_repository(name, config, pm) for name in config.storage.wal_archiving.backends}
