"""``[timeseries.tiers]``: packed chunks move between the kernel's storage tiers by age.

``hot = { duration = "7d", storage = "nvme" }, warm = { duration = "90d", storage = "s3" },
cold = { storage = "s3" }``: a time chunk stays on a tier until its end is ``duration`` old,
then belongs to the next tier listed (the last one keeps it). The compression job moves the
table's packed chunks there after packing (helios_core.storage.mover: copy, manifest, then
the old copy goes); the tiers themselves are the kernel's (``[storage] tier_warm_backend``,
``[storage.tiering] cold_storage_backend``), which the configuration checks ``storage``
against. Only packed chunks move: the younger rows are still being written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helios_core.config import TIMESERIES_TIERS
from helios_core.timeseries import settings
from helios_core.timeseries.durations import duration_usec


def role_by_age(tiers: dict[str, Any], interval: int, now_usec: int) -> Callable[[int], str | None] | None:
    """part -> the tier role a chunk of that age belongs to; None when no tiers are configured."""
    listed = [role for role in TIMESERIES_TIERS if role in tiers]
    if not listed:
        return None
    limits = [(role, duration_usec(tiers[role]["duration"], f"tiers.{role}.duration")
               if "duration" in tiers[role] else None) for role in listed]

    def role_of(part: int) -> str | None:
        age = now_usec - (part + 1) * interval
        for i, (_role, limit) in enumerate(limits):
            if limit is None or age < limit:
                return limits[i][0]
            if i == len(limits) - 1:
                return limits[i][0]
        return None

    return role_of


def place_chunks(session: Any, tdef: Any, interval: int, now_usec: int) -> int:
    """Move the table's packed chunks to the tiers their age calls for; returns how many moved."""
    role_of = role_by_age(settings.of(session.engine).tiers, interval, now_usec)
    if role_of is None:
        return 0
    txn = session.tx.current()
    return session.engine.store.place_packed(txn.db, txn.branch, tdef.data_id, role_of)
