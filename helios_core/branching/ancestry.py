"""The common point of two branches: where a three-way diff takes its base.

A branch reads its parent as of its fork timestamp, so its lineage is a list of
(ancestor, as-of cap), caps shrinking upwards::

    main ──●────────●──────── main
            \\ fork 10        \\ fork 30
             dev ──────        (feature from main at 30)
              \\ fork 20
               fix

    lineage(fix) = [(fix, ∞), (dev, 20), (main, 10)]
    common(fix, feature) = main @ min(10, 30) = main @ 10

After ``MERGE BRANCH a INTO b`` the pair's base moves: the last merge between them (either
direction) is remembered in the target's record (records.META "merges") and its source
state ``source @ source_ts`` is the new base, as git's merge base moves after a merge.
"""

from __future__ import annotations

from typing import Any

import attrs

from helios_core.branching import records
from helios_core.errors import HeliosError, UndefinedObject


@attrs.define(frozen=True)
class BasePoint:
    branch: str
    ts: int


def lineage(store: Any, db: str, name: str) -> list[tuple[str, int | None]]:
    info = store.get_branch(db, name)
    if info is None:
        raise UndefinedObject(f'branch "{name}" does not exist')
    out: list[tuple[str, int | None]] = [(name, None)]
    cap: int | None = None
    while info.parent is not None:
        cap = info.fork_ts if cap is None else min(cap, info.fork_ts)
        out.append((info.parent, cap))
        info = store.get_branch(db, info.parent)
        if info is None:  # pragma: no cover - storage keeps parents alive while children exist
            break
    return out


def common_point(engine: Any, db: str, a: str, b: str) -> BasePoint:
    """The state both a and b descend from (see module docstring)."""
    store = engine.store
    if a == b:
        raise HeliosError("a branch cannot be compared with or merged into itself", sqlstate="22023")
    la, lb = lineage(store, db, a), dict(lineage(store, db, b))
    base: BasePoint | None = None
    for name, cap_a in la:
        if name in lb:
            cap_b = lb[name]
            caps = [c for c in (cap_a, cap_b) if c is not None]
            ts = min(caps) if caps else store.now()
            base = BasePoint(name, ts)
            break
    if base is None:  # pragma: no cover - every branch descends from main
        raise HeliosError(f'branches "{a}" and "{b}" have no common ancestor', sqlstate="22023")
    merged = _last_merge(engine, db, a, b)
    if merged is not None and merged.ts > base.ts:
        return merged
    return base


def _last_merge(engine: Any, db: str, a: str, b: str) -> BasePoint | None:
    best: tuple[int, BasePoint] | None = None
    with records.reading(engine, db) as txn:
        for source, target in ((a, b), (b, a)):
            rec = ((txn.catalog_get(records.META, target) or {}).get("merges") or {}).get(source)
            if not rec:
                continue
            info = engine.store.get_branch(db, source)
            if info is None or info.created_ts > rec["source_ts"]:
                continue  # a namesake: the merged branch was dropped and re-created since
            cand = (int(rec["target_ts"]), BasePoint(source, int(rec["source_ts"])))
            if best is None or cand[0] > best[0]:
                best = cand
    return None if best is None else best[1]


def record_merge(txn: Any, source: str, target: str, source_ts: int, target_ts: int) -> None:
    """Inside a transaction on main: remember the merge so the next diff/merge starts from it."""

    def change(meta: dict) -> dict:
        merges = dict(meta.get("merges") or {})
        merges[source] = {"source_ts": source_ts, "target_ts": target_ts}
        meta["merges"] = merges
        return meta

    records.update(txn, records.META, target, change)
