"""WAL archivers over the object backends: s3, gcs, azure and local, one per ``[storage.<kind>]``.

The kernel (helios_core.archiving) names, compresses and checksums every archived object; an
archiver only stores bytes under names in its backend's bucket. Errors of the store become
``OSError`` (``FileNotFoundError`` for a missing object), which the kernel retries or reports.
"""

from __future__ import annotations

from typing import Any

from helios_core import OBJECT_BACKENDS
from helios_core.hookspecs import WalArchiver, WalArchiverFactory
from helios_storage_object.backends import ObjectBackend, ObjectNotFound, open_backend


class ObjectArchiver(WalArchiver):
    """A WalArchiver storing into one ObjectBackend."""

    def __init__(self, backend: ObjectBackend) -> None:
        self.backend = backend
        self.name = backend.kind

    def archive(self, name: str, data: bytes) -> None:
        try:
            self.backend.put(name, data)
        except Exception as exc:
            raise OSError(f"{self.backend.url}: cannot store {name}: {exc}") from exc

    def fetch(self, name: str) -> bytes:
        try:
            return self.backend.get(name)
        except (ObjectNotFound, FileNotFoundError):
            raise FileNotFoundError(f"{self.backend.url}: no object {name}") from None
        except Exception as exc:
            raise OSError(f"{self.backend.url}: cannot read {name}: {exc}") from exc

    def list(self, prefix: str = "") -> list[str]:
        try:
            return self.backend.list(prefix)
        except Exception as exc:
            raise OSError(f"{self.backend.url}: cannot list {prefix or '/'}: {exc}") from exc

    def delete(self, name: str) -> None:
        try:
            self.backend.delete(name)
        except Exception as exc:
            raise OSError(f"{self.backend.url}: cannot delete {name}: {exc}") from exc


def _factory(kind: str) -> WalArchiverFactory:
    def create(data_dir: str, config: Any) -> ObjectArchiver:
        section = config.storage.backend_section(kind)
        if section is None:
            raise ValueError(f"there is no [storage.{kind}] section")
        return ObjectArchiver(open_backend(kind, section, data_dir=data_dir, timeout=config.storage.object_timeout))

    return WalArchiverFactory(name=kind, create=create, package="helios-storage-object")


def wal_archiver_factories() -> list[WalArchiverFactory]:
    return [_factory(kind) for kind in OBJECT_BACKENDS]
