"""HeliosDB local-disk segment tier: files under ``<data_dir>/segments``, opened with mmap.

Registered under the entry-point group ``helios``; the kernel picks it up through the
``helios_storage_tiers`` hook (``[storage.tiers.hot] kind = "nvme"``, or by default).
"""

from __future__ import annotations

from helios_core.hookspecs import StorageTierFactory, hookimpl
from helios_storage_nvme.tier import DiskTier, NvmeConfig

__all__ = ["DiskTier", "NvmeConfig", "helios_storage_tiers"]


@hookimpl
def helios_storage_tiers():
    return [
        StorageTierFactory(
            name="nvme",
            create=lambda data_dir, cfg: DiskTier(data_dir, cfg),
            config_class=NvmeConfig,
            package="helios-storage-nvme",
        )
    ]
