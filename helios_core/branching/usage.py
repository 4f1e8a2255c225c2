"""Rows and bytes a branch owns: what it wrote itself, not what it shares with its parent.

A branch shares its parent's versions as of the fork point and owns only its own layers
(see helios_core.storage.layer). Dropping it frees exactly this. The storage API has no
call for it yet, so this reads the store's branch objects directly (read-only) and
prefers ``store.branch_usage(db, name) -> (rows, bytes)`` once the storage kernel offers it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_CATALOG_DATA_ID = 0  # storage's internal catalog table (pg_internal.catalog)


def owned_many(store: Any, db: str) -> Any:
    """A fast ``name -> owned(store, db, name)`` for listing every branch of ``db``."""
    branches = getattr(store, "dbs", {}).get(db) if getattr(store, "branch_usage", None) is None else None
    if not isinstance(branches, dict):
        return lambda name: owned(store, db, name)

    def one(name: str) -> tuple[int | None, int | None]:
        b = branches.get(name)
        if b is not None and not b.layers:
            return 0, 0
        return owned(store, db, name)

    return one


def owned(store: Any, db: str, name: str) -> tuple[int | None, int | None]:
    """(live row versions the branch wrote, bytes of all versions it holds); (None, None) if unknown."""
    api = getattr(store, "branch_usage", None)
    if api is not None:
        rows, nbytes = api(db, name)
        return int(rows), int(nbytes)
    try:
        branch = store.dbs[db][name]
        layers = list(branch.layers.items())
    except (AttributeError, KeyError):
        return None, None
    rows = 0
    nbytes = 0
    for data_id, layer in layers:
        if data_id == _CATALOG_DATA_ID:
            continue
        for ch in list(layer.chunks.values()):
            nbytes += ch.data.nbytes
            created = ch.created
            ended = ch.ended
            live = ended == np.iinfo(np.int64).max
            if isinstance(created, int):
                rows += int(np.count_nonzero(live)) if created > 0 else 0
            else:
                rows += int(np.count_nonzero(live & (np.asarray(created) > 0)))
    return rows, nbytes
