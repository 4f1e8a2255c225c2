"""Placement of segments on the hot, warm and cold tiers: the policies, run by one background job.

* ``[storage] tier_hot_size``: past it, the least recently read hot segments move to warm.
* ``[storage.tiering] inactive_threshold``: a branch none of whose own sessions ran a statement
  for that long moves to cold (zstd-compressed segments); a query on main does not keep
  another branch warm. Activity is counted since the server started.
* A scan that reads a cold segment asks for its branch to come back: the job moves the
  branch's segments to hot and logs how long that took.
* By hand: ``ALTER BRANCH b SET tier = 'cold'`` and ``ALTER TABLE t SET (tier = 'warm')``
  move at once, in the statement.

The moves themselves (copy, record in the manifest, free the old copy) are
helios_core.storage.mover's.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import attrs
import pyarrow as pa
from prometheus_client.core import GaugeMetricFamily

from helios_core.branching import records
from helios_core.errors import HeliosError
from helios_core.hookspecs import VirtualTable
from helios_core.sql import types
from helios_core.storage import mover
from helios_core.storage.tiering import COLD, HOT, TIER_NAMES, WARM

log = logging.getLogger("helios.tiering")


@attrs.define(eq=False)
class TieringState:
    """What the job needs between runs: the policy, the promotions asked for, its counters."""

    hot_size: int | None = None
    inactive_threshold: float | None = None  # seconds
    started: float = attrs.Factory(time.time)  # activity before this is unknown: counted from here
    promote: set = attrs.Factory(set)  # branch ids a scan found cold
    backlog: int = 0  # segments due to move that the last run did not move (a tier was down)
    lock: threading.Lock = attrs.Factory(threading.Lock)
    last_run: float = 0.0


def state(engine: Any) -> TieringState:
    st = getattr(engine, "tiering", None)
    if st is None:
        st = engine.tiering = TieringState()
        engine.store.on_cold_read = lambda ch: _ask_promotion(engine, st, ch)
    return st


def configure(engine: Any, storage: Any) -> None:
    """Take the policies of the ``[storage]`` section (helios_core.config.StorageConfig)."""
    st = state(engine)
    st.hot_size = storage.tier_hot_size if engine.store.tiers.has(WARM) else None
    st.inactive_threshold = storage.tiering.inactive_threshold if engine.store.tiers.has(COLD) else None


def _ask_promotion(engine: Any, st: TieringState, ch: Any) -> None:
    for b in engine.store.branches.values():
        for lay in b.layers.values():
            if lay.chunks.get(ch.chunk_id) is ch:
                with st.lock:
                    st.promote.add(b.branch_id)
                return


def last_activity(engine: Any, branch: Any, st: TieringState) -> float:
    """Seconds since the epoch of the branch's last statement (its own sessions only)."""
    act = engine.branches.activity.get((records.db_key(engine, branch.db), branch.name))
    used = act.last_used / 1e6 if act is not None and act.last_used else 0.0
    return max(used, st.started)


def move_branch(engine: Any, db: str, name: str, tier: str) -> int:
    """Move every segment a branch owns (its catalog excepted) to ``tier``; returns how many moved."""
    store = engine.store
    store.tiers.get(tier)
    with store.mu:
        branch = store.dbs.get(db, {}).get(name)
    if branch is None:
        raise HeliosError(f'branch "{name}" does not exist', sqlstate="42704")
    store.checkpoint()  # the branch's memtables become segments first
    items = [(lay, ch) for lay, ch in mover.chunks_of_branch(store, branch.branch_id) if lay.data_id != 0]
    started = time.monotonic()
    n = mover.move_chunks(store, items, tier)
    log.info("tiering: branch %s.%s: %d segments moved to %s in %.2fs", db, name, n, tier,
             time.monotonic() - started)
    return n


def run_once(engine: Any, now: float | None = None) -> dict[str, int]:
    """One pass of every policy; returns the segments moved per reason.

    A move that fails (a tier down) is tried again at the next run: the promotions asked for
    stay asked for, and ``backlog`` says how many segments were due and did not move.
    """
    st = state(engine)
    now = time.time() if now is None else now
    done = {"promoted": 0, "inactive": 0, "hot_size": 0}
    with st.lock:
        promote, st.promote = st.promote, set()
    try:
        _promote(engine, st, promote, done)
        _inactive_to_cold(engine, st, now, done)
        if st.hot_size is not None:
            done["hot_size"] = mover.enforce_hot_size(engine.store, st.hot_size, WARM)
    except HeliosError:
        with st.lock:
            st.promote |= promote
        raise
    st.backlog = 0
    st.last_run = now
    return done


def _promote(engine: Any, st: TieringState, promote: set[int], done: dict[str, int]) -> None:
    """Branches whose cold segments a scan read come back to the hot tier (each removed once done)."""
    store = engine.store
    st.backlog = sum(1 for i in promote if i in store.branches for _ in mover.chunks_of_branch(store, i))
    for branch_id in sorted(promote):
        b = store.branches.get(branch_id)
        if b is not None and not b.dropped:
            started = time.monotonic()
            n = move_branch(engine, b.db, b.name, HOT)
            done["promoted"] += n
            log.info("tiering: branch %s.%s was cold and was queried: %d segments back on the hot tier in %.2fs",
                     b.db, b.name, n, time.monotonic() - started)
        promote.discard(branch_id)


def _inactive_to_cold(engine: Any, st: TieringState, now: float, done: dict[str, int]) -> None:
    """Branches idle for ``inactive_threshold`` go cold, all in one move."""
    store = engine.store
    if st.inactive_threshold is None:
        return
    idle = [b for b in list(store.branches.values())
            if not b.dropped and now - last_activity(engine, b, st) >= st.inactive_threshold]
    with store.mu:
        idle = [b for b in idle if any(ch.tier != COLD for did, lay in b.layers.items() if did != 0
                                       for ch in lay.chunks.values())]
    if not idle:
        return
    store.checkpoint()
    items = [(lay, ch) for b in idle for lay, ch in mover.chunks_of_branch(store, b.branch_id)
             if lay.data_id != 0 and ch.tier != COLD]
    started = time.monotonic()
    st.backlog = len(items)
    done["inactive"] = mover.move_chunks(store, items, COLD)
    log.info("tiering: %d branches idle for %.0fs or more: %d segments moved to cold in %.2fs",
             len(idle), st.inactive_threshold, done["inactive"], time.monotonic() - started)


def tier_bytes(engine: Any) -> dict[str, int]:
    """Bytes of the segments recorded on each tier."""
    out = dict.fromkeys(TIER_NAMES, 0)
    for _lay, ch in mover.all_segments(engine.store):
        out[ch.tier] = out.get(ch.tier, 0) + _segment_size(engine.store, ch)
    return out


def _segment_size(store: Any, ch: Any) -> int:
    if ch.tier != HOT:
        return ch.source.size
    try:
        return store.tiers.get(HOT).size(ch.segment)
    except (OSError, HeliosError):
        return 0


# ------------------------------------------------------------------ catalog views
_TS = pa.timestamp("us", tz="UTC")
SEGMENT_COLUMNS = [("table_name", types.TEXT), ("branch", types.TEXT), ("segment", types.TEXT),
                   ("tier", types.TEXT), ("bytes", types.INT8), ("last_read", types.TIMESTAMPTZ)]
TIERING_COLUMNS = [("branch", types.TEXT), ("tier", types.TEXT), ("hot_bytes", types.INT8),
                   ("warm_bytes", types.INT8), ("cold_bytes", types.INT8), ("last_activity", types.TIMESTAMPTZ)]


def _table_names(session: Any) -> dict[int, str]:
    """data_id -> qualified table name, from the session's branch catalog."""
    names: dict[int, str] = {}
    txn = session.engine.store.begin(session.database, session.branch, read_only=True)
    try:
        for t in txn.list_tables():
            names[t.data_id] = t.name if t.schema == "public" else f"{t.schema}.{t.name}"
    finally:
        txn.rollback()
    return names


def segments_table(session: Any) -> pa.Table:
    engine, db = session.engine, session.database
    store = engine.store
    names = _table_names(session)
    mono_now, wall_now = time.monotonic(), time.time()
    rows: dict[str, list] = {k: [] for k, _ in SEGMENT_COLUMNS}
    with store.mu:
        branches = [b for b in store.dbs.get(db, {}).values() if not b.dropped]
        chunks = [(b, lay, ch) for b in branches for lay in b.layers.values() if lay.data_id != 0
                  for ch in list(lay.chunks.values()) if ch.segment is not None]
    for b, lay, ch in chunks:
        rows["table_name"].append(names.get(lay.data_id, f"data set {lay.data_id}"))
        rows["branch"].append(b.name)
        rows["segment"].append(ch.segment)
        rows["tier"].append(ch.tier)
        rows["bytes"].append(_segment_size(store, ch))
        rows["last_read"].append(int((wall_now - (mono_now - ch.last_read)) * 1e6) if ch.last_read else None)
    return pa.table({
        "table_name": pa.array(rows["table_name"], pa.string()),
        "branch": pa.array(rows["branch"], pa.string()),
        "segment": pa.array(rows["segment"], pa.string()),
        "tier": pa.array(rows["tier"], pa.string()),
        "bytes": pa.array(rows["bytes"], pa.int64()),
        "last_read": pa.array(rows["last_read"], pa.int64()).cast(_TS),
    })


def tiering_table(session: Any) -> pa.Table:
    engine, db = session.engine, session.database
    store = engine.store
    st = state(engine)
    with store.mu:
        branches = sorted((b for b in store.dbs.get(db, {}).values() if not b.dropped), key=lambda b: b.branch_id)
    out: dict[str, list] = {k: [] for k, _ in TIERING_COLUMNS}
    for b in branches:
        sizes = dict.fromkeys(TIER_NAMES, 0)
        for lay, ch in mover.chunks_of_branch(store, b.branch_id):
            if lay.data_id != 0:
                sizes[ch.tier] += _segment_size(store, ch)
        out["branch"].append(b.name)
        out["tier"].append(max(TIER_NAMES, key=lambda t: (sizes[t], t == HOT)))  # where most of it is
        out["hot_bytes"].append(sizes[HOT])
        out["warm_bytes"].append(sizes[WARM])
        out["cold_bytes"].append(sizes[COLD])
        out["last_activity"].append(int(last_activity(engine, b, st) * 1e6))
    return pa.table({
        "branch": pa.array(out["branch"], pa.string()),
        "tier": pa.array(out["tier"], pa.string()),
        "hot_bytes": pa.array(out["hot_bytes"], pa.int64()),
        "warm_bytes": pa.array(out["warm_bytes"], pa.int64()),
        "cold_bytes": pa.array(out["cold_bytes"], pa.int64()),
        "last_activity": pa.array(out["last_activity"], pa.int64()).cast(_TS),
    })


class TierCollector:
    """Prometheus: bytes per tier, the read cache's hit ratio, the mover's backlog."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def collect(self) -> Any:
        bytes_by_tier = GaugeMetricFamily("helios_tier_bytes", "Bytes of segments recorded on each tier",
                                          labels=["tier"])
        for tier, n in tier_bytes(self.engine).items():
            bytes_by_tier.add_metric([tier], n)
        yield bytes_by_tier
        cache = self.engine.store.tiers.cache
        yield GaugeMetricFamily("helios_tier_cache_hit_ratio",
                                "Share of remote-segment reads answered by the local cache", value=cache.hit_ratio())
        yield GaugeMetricFamily("helios_tier_cache_bytes", "Bytes held by the remote-segment cache",
                                value=cache.used)
        yield GaugeMetricFamily("helios_tier_mover_backlog", "Segments due to move that have not moved yet",
                                value=state(self.engine).backlog)


def virtual_tables() -> list[VirtualTable]:
    return [
        VirtualTable(schema="heliosdb", name="segments", columns=[(n, t.sql_name()) for n, t in SEGMENT_COLUMNS],
                     produce=segments_table),
        VirtualTable(schema="heliosdb", name="tiering", columns=[(n, t.sql_name()) for n, t in TIERING_COLUMNS],
                     produce=tiering_table),
    ]
