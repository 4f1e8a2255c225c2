"""Which tables may differ from the merge base: so a merge reads only what either side touched.

A side's view of a table is its own layer plus its ancestors' layers capped at the fork
points (helios_core.storage.layer). Relative to a base (L, ts) on the side's lineage, the
table is unchanged when no branch between the side and L has a layer for it and L's own
layer holds nothing written, ended or tombstoned after ts. Anything else, including a base
off the side's lineage (after a recorded merge), a changed definition, or store internals
this does not recognise, counts as "may have changed": the diff then decides exactly.

This reads the store's branch objects (read-only); it only ever errs towards reading more.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helios_core.branching.ancestry import BasePoint

_MAX_TS = np.iinfo(np.int64).max


def _shape(t: Any) -> Any:
    if t is None:
        return None
    return ([(c.name, str(c.type), c.nullable) for c in t.columns], list(t.primary_key), t.data_id)


def may_differ(store: Any, db: str, sides: tuple[str, str], base: BasePoint, defs: tuple[Any, Any, Any]) -> bool:
    """defs: the table's definition on side 0, side 1 and at the base (None where absent)."""
    d0, d1, dbase = defs
    if dbase is None or _shape(d0) != _shape(dbase) or _shape(d1) != _shape(dbase):
        return True
    try:
        return any(_side_changed(store, db, side, base, dbase.data_id) for side in sides)
    except (AttributeError, KeyError, TypeError, ValueError):
        return True


def _side_changed(store: Any, db: str, side: str, base: BasePoint, data_id: int) -> bool:
    b = store.dbs[db][side]
    cap = None  # the side sees its ancestor as of the smallest fork timestamp on the way up
    while b is not None and b.name != base.branch:
        if data_id in b.layers:
            return True
        cap = b.fork_ts if cap is None else min(cap, b.fork_ts)
        b = b.parent
    if b is None:
        return True
    layer = b.layers.get(data_id)
    if layer is None:
        return False
    hi = _MAX_TS if cap is None else cap

    def seen(stamps: np.ndarray) -> bool:
        """Any stamp the side sees that is newer than the base (an open writer's, on the side itself)?"""
        return bool((((stamps > base.ts) & (stamps <= hi) & (stamps != _MAX_TS)).any())
                    or (cap is None and (stamps < 0).any()))

    for ch in list(layer.chunks.values()):
        created = ch.created
        if seen(np.atleast_1d(np.asarray(created, dtype=np.int64))) or seen(np.asarray(ch.ended)):
            return True
    tombs = list(layer.tomb.values())
    return bool(tombs) and seen(np.asarray(tombs, dtype=np.int64))


def candidate_rowids(store: Any, db: str, sides: tuple[str, ...], base: BasePoint, defs: tuple[Any, Any, Any]
                     ) -> np.ndarray | None:
    """Row ids that may differ between the base and any side: every row a layer on the way wrote,
    replaced or tombstoned after the base. Rows outside it read the same everywhere, so a diff may
    look at these alone. None when unknown (then read everything)."""
    d0, d1, dbase = defs
    if dbase is None or _shape(d0) != _shape(dbase) or _shape(d1) != _shape(dbase):
        return None
    try:
        parts = [_side_rowids(store, db, side, base, dbase.data_id) for side in sides]
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    if any(p is None for p in parts):
        return None
    return np.unique(np.concatenate([np.asarray(p, dtype=np.int64) for p in parts] or [np.empty(0, np.int64)]))


def _side_rowids(store: Any, db: str, side: str, base: BasePoint, data_id: int) -> np.ndarray | None:
    out: list[np.ndarray] = []
    b = store.dbs[db][side]
    cap = None
    while b is not None and b.name != base.branch:
        layer = b.layers.get(data_id)
        if layer is not None:  # everything this branch wrote itself
            out.extend(np.asarray(ch.rowids(), dtype=np.int64) for ch in list(layer.chunks.values()))
            out.append(np.fromiter(list(layer.tomb.keys()), dtype=np.int64))
        cap = b.fork_ts if cap is None else min(cap, b.fork_ts)
        b = b.parent
    if b is None:
        return None
    layer = b.layers.get(data_id)
    if layer is not None:  # the base branch's own changes after the base point that the side sees
        hi = _MAX_TS if cap is None else cap

        def newer(stamps: np.ndarray) -> np.ndarray:
            m = (stamps > base.ts) & (stamps <= hi) & (stamps != _MAX_TS)
            return m | (stamps < 0) if cap is None else m

        for ch in list(layer.chunks.values()):
            rid = np.asarray(ch.rowids(), dtype=np.int64)
            created = np.asarray(ch.created, dtype=np.int64)
            created = np.full(len(rid), int(created)) if created.ndim == 0 else created
            m = newer(created) | newer(np.asarray(ch.ended, dtype=np.int64))
            if m.any():
                out.append(rid[m])
        tomb = dict(layer.tomb)
        if tomb:
            keys = np.fromiter(tomb.keys(), dtype=np.int64, count=len(tomb))
            vals = np.fromiter(tomb.values(), dtype=np.int64, count=len(tomb))
            out.append(keys[newer(vals)])
    return np.concatenate(out) if out else np.empty(0, np.int64)
