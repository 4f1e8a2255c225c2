"""Built-in plugin: WAL archiving in a running server, through the same hooks as any plugin.

At start-up with ``[storage.wal_archiving] enabled``, the configured backends are opened
(from the installed ``helios_wal_archivers`` plugins) and a WalShipper ships every closed
WAL file; at shutdown the current file is closed and shipped (a few seconds at most).
Status: the ``heliosdb.wal_archive_status`` virtual table and the
``helios_wal_archive_*`` Prometheus metrics, one row / label per backend. A timeline that has
no backup in a backend yet (a new server, a restored one) gets one at start, in the background.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pyarrow as pa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from helios_core.archiving import backup as backups
from helios_core.archiving.backends import ArchiveSetupError, open_repositories
from helios_core.archiving.branch_restore import remove_leftovers, restore_branch_function
from helios_core.archiving.graft import drop_provisional
from helios_core.archiving.shipper import WalShipper
from helios_core.hookspecs import SqlFunction, VirtualTable, hookimpl
from helios_core.kernel import StartupError
from helios_core.storage.tiering import HOT

log = logging.getLogger("helios.archive")

STATUS_COLUMNS = [("backend", "text"), ("last_segment", "text"), ("last_archived_at", "timestamp with time zone"),
                  ("lag_bytes", "bigint"), ("lag_seconds", "double precision"), ("failures", "bigint"),
                  ("last_error", "text")]


@hookimpl
def helios_startup(kernel: Any) -> None:
    engine = kernel.engine
    cfg = kernel.config.storage.wal_archiving
    if engine is None or not cfg.enabled:
        return
    if engine.store.wal is None:
        log.warning("[storage.wal_archiving] is enabled but the data is kept in memory: nothing to archive")
        return
    try:
        repos = open_repositories(kernel.config, kernel.pm)
    except ArchiveSetupError as exc:
        raise StartupError(f"storage.wal_archiving: {exc}") from None
    remove_leftovers(engine.store.data_dir)
    for name in drop_provisional(engine.store):
        log.warning("dropped branch %r: a restore from the archive was cut short while filling it", name)
    shipper = WalShipper(engine.store, repos, cfg.primary_backend, cfg.archive_timeout)
    engine.wal_archive = shipper
    engine.archive_config = kernel.config
    engine.archive_plugins = kernel.pm
    kernel.registry.register(ArchiveCollector(shipper))
    shipper.start()
    threading.Thread(target=_first_backup, args=(engine.store, repos, shipper.timeline), daemon=True,
                     name="helios-first-backup").start()
    log.info("WAL archiving to %s (timeline %d, archive_timeout %gs)", ", ".join(repos), shipper.timeline,
             cfg.archive_timeout)


def _first_backup(store: Any, repos: dict[str, Any], timeline: int) -> None:
    """A timeline with no backup yet (a new server, or one restored from the archive) gets one, so
    the archive can restore it to any later time without an operator remembering to."""
    for repo in repos.values():
        try:
            if any(b["timeline"] == timeline for b in repo.backups()):
                continue
            made = backups.create(store.data_dir, store.tier, [repo], remote=remote_tiers(store))
            log.info("first backup of timeline %d in %s: %s", timeline, repo.name, made["id"])
        except Exception as exc:  # noqa: BLE001 - logged; helios backup create can take it by hand
            log.warning("first backup of timeline %d in %s failed: %s", timeline, repo.name, exc)


def remote_tiers(store: Any) -> dict[str, Any]:
    """The store's warm and cold tiers by role (what a backup copies tiered segments from)."""
    return {role: tier for role, tier in store.tiers.tiers.items() if role != HOT}


@hookimpl
def helios_shutdown(kernel: Any) -> None:
    shipper = getattr(kernel.engine, "wal_archive", None)
    if shipper is not None:
        shipper.stop()
        if not shipper.caught_up():
            log.warning("WAL archiving not caught up at shutdown; the rest ships at the next start")


def _status_table(session: Any) -> pa.Table:
    shipper = getattr(session.engine, "wal_archive", None)
    rows = shipper.rows() if shipper is not None else []
    at = [None if r["last_archived_at"] is None else int(r["last_archived_at"] * 1e6) for r in rows]
    return pa.table({
        "backend": pa.array([r["backend"] for r in rows], pa.string()),
        "last_segment": pa.array([r["last_segment"] for r in rows], pa.string()),
        "last_archived_at": pa.array(at, pa.timestamp("us", tz="UTC")),
        "lag_bytes": pa.array([r["lag_bytes"] for r in rows], pa.int64()),
        "lag_seconds": pa.array([r["lag_seconds"] for r in rows], pa.float64()),
        "failures": pa.array([r["failures"] for r in rows], pa.int64()),
        "last_error": pa.array([r["last_error"] for r in rows], pa.string()),
    })


@hookimpl
def helios_virtual_tables() -> list[VirtualTable]:
    return [VirtualTable(schema="heliosdb", name="wal_archive_status", columns=STATUS_COLUMNS,
                         produce=_status_table)]


@hookimpl
def helios_sql_functions() -> list[SqlFunction]:
    return [restore_branch_function()]


class ArchiveCollector:
    """Prometheus view of the shipper: read at scrape time, one label value per backend."""

    def __init__(self, shipper: WalShipper) -> None:
        self.shipper = shipper

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Any:
        rows = self.shipper.rows()
        lag_b = GaugeMetricFamily("helios_wal_archive_lag_bytes", "WAL bytes not yet on the backend",
                                  labels=["backend"])
        lag_s = GaugeMetricFamily("helios_wal_archive_lag_seconds", "Age of the oldest WAL not yet on the backend",
                                  labels=["backend"])
        last = GaugeMetricFamily("helios_wal_archive_last_segment", "Sequence number of the last WAL file shipped",
                                 labels=["backend"])
        at = GaugeMetricFamily("helios_wal_archive_last_archived_timestamp_seconds",
                               "When the last WAL file was shipped", labels=["backend"])
        fails = CounterMetricFamily("helios_wal_archive_failures", "Failed attempts to ship a WAL file",
                                    labels=["backend"])
        shipped = CounterMetricFamily("helios_wal_archive_shipped_bytes", "Bytes stored in the backend (compressed)",
                                      labels=["backend"])
        raw = CounterMetricFamily("helios_wal_archive_wal_bytes", "WAL bytes shipped (before compression)",
                                  labels=["backend"])
        for r in rows:
            b = [r["backend"]]
            st = self.shipper.status[r["backend"]]
            lag_b.add_metric(b, r["lag_bytes"])
            lag_s.add_metric(b, r["lag_seconds"])
            last.add_metric(b, st.last_seq or 0)
            at.add_metric(b, r["last_archived_at"] or 0)
            fails.add_metric(b, r["failures"])
            shipped.add_metric(b, r["shipped_bytes"])
            raw.add_metric(b, r["wal_bytes"])
        return [lag_b, lag_s, last, at, fails, shipped, raw]
