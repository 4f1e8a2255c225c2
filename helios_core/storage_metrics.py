"""Prometheus families of the store: transactions, WAL, checkpoints, compaction, memtable and segment bytes.

Read at scrape time from counters the store keeps as plain integers, and from one walk over
the branches' own layers for the byte gauges (a branch counts only what it owns: what it
shares with its parent is its parent's). Per-branch series use the statement statistics'
capped branch labels, so thousands of branches export a bounded number of series.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily


def families(engine: Any, stats: Any) -> Iterator[Any]:
    store = engine.store
    transactions = CounterMetricFamily("helios_transactions", "Transactions ended, by outcome",
                                       labels=["outcome"])
    transactions.add_metric(["commit"], store.xact_commit)
    transactions.add_metric(["rollback"], store.xact_rollback)
    yield transactions
    wal = store.wal
    yield CounterMetricFamily("helios_wal_written_bytes", "Bytes appended to the write-ahead log",
                              value=wal.bytes_written if wal is not None else 0)
    yield CounterMetricFamily("helios_wal_fsyncs", "fsyncs of the write-ahead log (one per commit group)",
                              value=wal.fsyncs if wal is not None else 0)
    yield CounterMetricFamily("helios_wal_synced_records",
                              "Commit records made durable; divided by fsyncs: the mean group-commit size",
                              value=wal.synced_records if wal is not None else 0)
    yield CounterMetricFamily("helios_checkpoints", "Checkpoints written", value=store.checkpoints)
    yield CounterMetricFamily("helios_compactions", "Chunk merges done by compaction", value=store.compactions)
    yield CounterMetricFamily("helios_segments_pruned", "Chunks a scan skipped by their min/max statistics",
                              value=store.segments_pruned)
    memtable = GaugeMetricFamily("helios_memtable_bytes", "Bytes of row versions not yet flushed to segments",
                                 labels=["database", "branch"], unit="bytes")
    segments = GaugeMetricFamily("helios_segment_bytes", "Bytes of immutable segments a branch owns",
                                 labels=["database", "branch"], unit="bytes")
    branch_count = GaugeMetricFamily("helios_branches", "Branches per database", labels=["database"])
    mem, seg, count = _bytes_per_branch(store, stats)
    for key, n in sorted(mem.items()):
        memtable.add_metric(list(key), n)
    for key, n in sorted(seg.items()):
        segments.add_metric(list(key), n)
    for db, n in sorted(count.items()):
        branch_count.add_metric([db], n)
    yield from (memtable, segments, branch_count)
    held = GaugeMetricFamily("helios_branch_memory_bytes",
                             "Bytes a branch's running queries hold in materialized tables",
                             labels=["database", "branch"], unit="bytes")
    per_branch: dict[tuple[str, str], int] = {}
    for (db_key, branch), act in list(engine.branches.activity.items()):
        key = (db_key[0], stats.branch_label(db_key[0], branch))
        per_branch[key] = per_branch.get(key, 0) + act.memory_held
    for key, n in sorted(per_branch.items()):
        held.add_metric(list(key), n)
    yield held


def _bytes_per_branch(store: Any, stats: Any) -> tuple[dict, dict, dict[str, int]]:
    mem: dict[tuple[str, str], int] = {}
    seg: dict[tuple[str, str], int] = {}
    count: dict[str, int] = {}
    with store.mu:
        branches = [b for b in store.branches.values() if not b.dropped]
    for branch in branches:
        if branch.db.startswith("_"):
            continue  # the hidden system database (roles)
        count[branch.db] = count.get(branch.db, 0) + 1
        key = (branch.db, stats.branch_label(branch.db, branch.name))
        for layer in list(branch.layers.values()):
            for chunk in list(layer.chunks.values()):
                size = chunk.data.nbytes
                target = mem if chunk.segment is None else seg
                target[key] = target.get(key, 0) + size
        mem.setdefault(key, 0)
        seg.setdefault(key, 0)
    return mem, seg, count
