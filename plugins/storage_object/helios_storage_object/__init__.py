"""HeliosDB object-store tiers: S3, Google Cloud Storage, Azure Blob Storage and a local directory.

Registered under the entry-point group ``helios``. Each backend is configured once in its
``[storage.<kind>]`` section (backends.py) and serves both the warm/cold segment tiers and
WAL archiving. Tests start real servers for each (testing.py).
"""

from __future__ import annotations

from typing import Any

from helios_core import OBJECT_BACKENDS, AzureSection, GcsSection, LocalSection, S3Section
from helios_core.hookspecs import StorageTierFactory, hookimpl
from helios_storage_object.archive import wal_archiver_factories
from helios_storage_object.backends import ObjectBackend, open_backend
from helios_storage_object.tier import ObjectTier

__all__ = ["ObjectBackend", "ObjectTier", "helios_storage_tiers", "helios_wal_archivers", "open_backend"]

_CONFIG_CLASSES = {"s3": S3Section, "gcs": GcsSection, "azure": AzureSection, "local": LocalSection}


def _factory(kind: str) -> StorageTierFactory:
    def create(data_dir: str, section: Any) -> ObjectTier:
        return ObjectTier(open_backend(kind, section, data_dir=data_dir))

    return StorageTierFactory(
        name=kind, create=create, config_class=_CONFIG_CLASSES[kind], package="helios-storage-object"
    )


@hookimpl
def helios_storage_tiers():
    return [_factory(kind) for kind in OBJECT_BACKENDS]


@hookimpl
def helios_wal_archivers():
    return wal_archiver_factories()
