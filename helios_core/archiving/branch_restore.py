"""``heliosdb.restore_branch(branch, timestamptz, new_branch)``: one branch as it was at a time.

Creates ``new_branch`` holding ``branch``'s state at the given time and returns its name;
no other branch is touched. Within the local retention window (``[storage] retention``) the
history is still in the store and the new branch is an O(1) fork. Older points come from
the WAL archive: the backup before the time and the archived WAL up to it are restored into
a scratch directory (only the segments of the branch and its ancestors are fetched), and
the branch's own state there is copied into the new branch (graft.py). A branch created after
the time is not the one the name meant then: a namesake dropped since is found by name and
all of its rows are copied (its whole backup is fetched). The primary backend
is tried first, then the secondary. A time in the future, before the branch existed or
before the oldest backup is refused (22023), as is an archive replay that stops short of
the time (58030, naming the object).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import time
import uuid
from typing import Any

import pyarrow as pa

from helios_core.archiving.graft import ancestry, graft, read_branch
from helios_core.archiving.restore import RestoreError, restore
from helios_core.branching import lifecycle, privileges
from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_core.plugins import storage_tier_factories
from helios_core.sql.catalog_views.functions import ACTIVE_SESSION

log = logging.getLogger("helios.archive")

SCRATCH_PREFIX = "branch-restore-"  # scratch restores inside data_dir (apart from segments and wal)


def _restore(args: list[pa.Array]) -> pa.Array:
    session = ACTIVE_SESSION.get()
    if session is None:
        raise HeliosError("heliosdb.restore_branch needs a session", sqlstate="55000")
    out = []
    ts_values = args[1].cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()
    for branch, ts, new in zip(args[0].to_pylist(), ts_values, args[2].to_pylist(), strict=True):
        if branch is None or ts is None or new is None:
            raise HeliosError("heliosdb.restore_branch: arguments must not be null", sqlstate="22004")
        store = session.engine.store
        if store.get_branch(session.database, branch) is None:
            raise HeliosError(f'branch "{branch}" does not exist', sqlstate="42704")
        if ts < store.now() - store.retention_us:
            from_archive(session, str(branch), int(ts), str(new))
        else:
            lifecycle.create_branch(session, str(new), str(branch), int(ts))
        out.append(str(new))
    return pa.array(out, pa.string())


def from_archive(session: Any, branch: str, ts: int, new: str) -> None:
    """``new`` as ``branch`` was at ``ts``, from the archive (the point is past local retention)."""
    engine, db = session.engine, session.database
    shipper = getattr(engine, "wal_archive", None)
    if shipper is None:
        raise HeliosError(
            "restoring a branch to before the local retention window needs the WAL archive, which is not enabled",
            sqlstate="0A000",
            hint="Enable [storage.wal_archiving], or raise [storage] retention.")
    privileges.check_use(session, branch)  # before the work, not only when the branch is made
    store = engine.store
    with store.mu:
        live = store.dbs[db][branch]
        if live.created_ts <= ts:  # this branch, as it was then: its own data and its ancestors'
            branch_id, keep = live.branch_id, ancestry(live)
        else:  # the name then meant a branch dropped since: found by name, all its data copied
            branch_id, keep = None, None
    open_tier = _scratch_tier(engine)
    started = time.perf_counter()
    problems = []
    copies: list[Any] = []  # what the scratch restore read, before it goes
    for repo in shipper.repos.values():  # the primary first
        scratch = os.path.join(store.data_dir, f"{SCRATCH_PREFIX}{uuid.uuid4().hex[:12]}")
        try:
            try:
                result = restore(repo, scratch, open_tier, ts, claim_timeline=False, only_branches=keep,
                                 use=lambda source: copies.append(read_branch(source, branch_id, ts, branch, db)))
            except RestoreError as exc:
                raise HeliosError(f"cannot restore branch \"{branch}\" from the archive: {exc}",
                                  sqlstate="22023") from None
            except OSError as exc:
                problems.append(f"{repo.name}: {(str(exc).strip().splitlines() or [type(exc).__name__])[0]}")
                continue
            if result.problem is not None:
                problems.append(f"{repo.name}: {result.problem}")
                continue
            copy = copies[-1]
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        lifecycle.create_branch(session, new, branch, None, fork=functools.partial(graft, store, db, new, copy))
        rows = sum(b.num_rows for layer in copy.layers for b in layer[2])
        log.info("branch %r restored from the %s archive as %r: backup %s, %d WAL files (%.1f MB), %d rows of its "
                 "own, %.1fs (%s)", branch, repo.name, new, result.backup_id, result.wal_files,
                 result.wal_bytes / 1e6, rows, time.perf_counter() - started,
                 ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()))
        return
    raise HeliosError(f"cannot restore branch \"{branch}\" from the archive: " + "; ".join(problems),
                      sqlstate="58030")


def remove_leftovers(data_dir: str) -> None:
    """Scratch directories a crash left behind (a branch restore under way when the server died)."""
    for name in os.listdir(data_dir):
        if name.startswith(SCRATCH_PREFIX):
            shutil.rmtree(os.path.join(data_dir, name), ignore_errors=True)


def _scratch_tier(engine: Any) -> Any:
    """The server's kind of local tier, in the scratch directory itself (never the live segments)."""
    factories = storage_tier_factories(engine.archive_plugins)
    name = engine.archive_config.storage.tier or ("nvme" if "nvme" in factories else None)
    if name is None or name not in factories:
        raise HeliosError("restoring a branch from the archive needs a persistent storage tier", sqlstate="0A000")
    factory = factories[name]
    return lambda data_dir: factory.create(data_dir, None)


def restore_branch_function() -> SqlFunction:
    return SqlFunction(name="heliosdb.restore_branch", impl=_restore, return_type="text",
                       arg_types=["text", "timestamp with time zone", "text"], strict=False)
