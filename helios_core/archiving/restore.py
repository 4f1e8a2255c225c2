"""Point-in-time recovery: a backup from the archive plus its WAL, replayed up to a time.

``restore`` fills an absent or empty directory: the newest backup that starts at or
before the target, then the archived WAL files of its timeline in order, and opens the
store with replay stopping after the last change stamped at or before the target (the log
is cut there). A missing or corrupt WAL object ends the replay at the last consistent
point before it, and the result names the object. The restored directory gets a timeline
number no archive object uses yet, so when it archives it never overwrites the history it
came from.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.archiving.backup import Progress, _no_progress, iso, list_backups
from helios_core.archiving.objects import CorruptObject
from helios_core.archiving.repository import Repository, wal_key
from helios_core.archiving.shipper import write_timeline
from helios_core.archiving.timelines import Lineage, latest, lineage
from helios_core.storage import Store
from helios_core.storage.persist import MANIFEST, record_ts, write_atomic
from helios_core.storage.wal import read_frames, wal_name


class RestoreError(Exception):
    """The restore cannot start (non-empty directory, no backup covering the target)."""


@attrs.define
class RestoreResult:
    backup_id: str
    timeline: int
    reached_ts: int  # the last change replayed (commit timestamp, microseconds)
    wal_files: int
    problem: str | None = None  # why the replay stopped short: names the object
    wal_bytes: int = 0  # WAL fetched for replay (before compression)
    seconds: dict[str, float] = attrs.Factory(dict)  # per phase: backup, wal, replay


def check_target_dir(data_dir: str) -> None:
    if os.path.exists(data_dir):
        if not os.path.isdir(data_dir):
            raise RestoreError(f"{data_dir} exists and is not a directory")
        if os.listdir(data_dir):
            raise RestoreError(f"{data_dir} is not empty: restore only into an absent or empty directory")


def choose_backup(repo: Repository, target_ts: int | None, line: Lineage | None = None) -> dict[str, Any]:
    """The newest backup on the history ``line`` follows that starts at or before the target."""
    backups = list_backups(repo)
    if not backups:
        raise RestoreError(f"no backup in the {repo.name} archive (take one with: helios backup create)")
    if line is not None:
        backups = [b for b in backups if line.holds(b)]
        if not backups:
            raise RestoreError(f"no backup in the {repo.name} archive lies on the history of timeline "
                               f"{line.timelines[-1]} (timelines {', '.join(map(str, line.timelines))})")
    if target_ts is None:
        return backups[-1]
    fit = [b for b in backups if b["start_ts"] <= target_ts]
    if not fit:
        raise RestoreError(f"no backup in the {repo.name} archive is old enough for {iso(target_ts)}: "
                           f"the oldest starts at {iso(backups[0]['start_ts'])}")
    return fit[-1]


def fetch_in_order(repo: Repository, keys: list[str], workers: int = 8) -> Iterator[tuple[str, Future]]:
    """(key, future of its content) in the order given, with up to ``workers`` downloads ahead:
    a restore waits on the network once per window instead of once per object."""
    pending: deque[tuple[str, Future]] = deque()
    rest = iter(keys)
    with ThreadPoolExecutor(workers, thread_name_prefix="helios-restore") as pool:
        for key in itertools.islice(rest, workers):
            pending.append((key, pool.submit(repo.get, key)))
        while pending:
            item = pending.popleft()
            following = next(rest, None)
            if following is not None:
                pending.append((following, pool.submit(repo.get, following)))
            yield item


def _last_ts(content: bytes) -> int:
    last = -1
    for _pos, _end, payload in read_frames(content):
        last = max(last, record_ts(payload))
    return last


def _cut_after(content: bytes, ts: int) -> bytes:
    """The frames up to the first one stamped later than ``ts``: a parent timeline's WAL file
    without the changes its child timeline never saw."""
    end = 0
    for _pos, frame_end, payload in read_frames(content):
        if record_ts(payload) > ts:
            break
        end = frame_end
    return content[:end]


def _hot_manifest(meta: dict[str, Any]) -> dict[str, Any]:
    """The backup's manifest with every segment recorded on the local tier: the backup holds the
    bytes of segments that lived on a warm or cold tier, and the restore puts them there."""
    layers = [dict(layer, segments=[entry[:2] for entry in layer["segments"]]) for layer in meta["layers"]]
    return dict(meta, layers=layers)


def _only_branches(meta: dict[str, Any], keep: Collection[int]) -> dict[str, Any]:
    return dict(meta, layers=[layer for layer in meta["layers"] if layer["b"] in keep])


def _state_of(state: bytes, keep: Collection[int]) -> bytes:
    """The checkpoint state file with only the rows of the ``keep`` branches' layers."""
    table = pa.ipc.open_file(pa.py_buffer(state)).read_all()
    table = table.filter(pc.is_in(table.column("b"), pa.array(sorted(keep), pa.int64())))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def restore(repo: Repository, data_dir: str, open_tier: Callable[[str], Any], target_ts: int | None = None,
            progress: Progress = _no_progress, *, open_store: Callable[..., Any] | None = None,
            timeline: int | None = None, claim_timeline: bool = True,
            only_branches: Collection[int] | None = None, use: Callable[[Store], None] | None = None
            ) -> RestoreResult:
    """Restore into ``data_dir`` up to ``target_ts`` (None: the last archived change).

    ``timeline``: the history to follow (default: the newest, see timelines.py).
    ``claim_timeline``: record the restored directory's new timeline in the archive (a trial or
    a branch restore that is thrown away afterwards does not).
    ``only_branches``: the backup's segments of just these branch ids are fetched (a branch and its
    ancestors, for heliosdb.restore_branch); the other branches come back without their data.
    ``use``: called with the recovered store instead of checkpointing it (a scratch restore read
    once and thrown away: the replayed changes stay in memory).
    """
    check_target_dir(data_dir)
    line = lineage(repo, timeline if timeline is not None else latest(repo, list_backups(repo)))
    backup = choose_backup(repo, target_ts, line)
    os.makedirs(os.path.join(data_dir, "wal"), exist_ok=True)
    tier = open_tier(data_dir)
    meta = backup["manifest"]
    plan = line.plan(backup)
    total = len(backup["segments"]) + len(plan) + 1
    done = 0
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    if meta is not None and only_branches is not None:
        meta = _only_branches(meta, only_branches)
        wanted = {e[1] for layer in meta["layers"] for e in layer["segments"]}
        names = {key: name for name, key in backup["segments"].items() if name in wanted}
    else:
        names = {key: name for name, key in backup["segments"].items()}
    for key, fetched in fetch_in_order(repo, list(names)):
        tier.put(names[key], fetched.result())
        done += 1
        progress(f"restore from {repo.name}", done, total)
    if meta is not None:
        state = repo.get(backup["state_object"])
        if only_branches is not None:
            state = _state_of(state, only_branches)
        write_atomic(data_dir, meta["state"], state)
        write_atomic(data_dir, MANIFEST, json.dumps(_hot_manifest(meta)).encode())
    seconds["backup"] = time.perf_counter() - clock
    clock = time.perf_counter()
    problem = None
    copied = wal_bytes = 0
    last_timeline = backup["timeline"]
    keys = [wal_key(step.timeline, step.seq) for step in plan]
    for step, (key, fetched) in zip(plan, fetch_in_order(repo, keys), strict=False):
        try:
            content = fetched.result()
        except CorruptObject as exc:
            problem = f"{exc}; replay stops before it"
            break
        except FileNotFoundError:
            problem = f"archived WAL object {key} is missing; replay stops before it"
            break
        if step.cut_after_ts is not None:
            content = _cut_after(content, step.cut_after_ts)
        write_atomic(os.path.join(data_dir, "wal"), wal_name(step.seq), content)
        copied += 1
        wal_bytes += len(content)
        last_timeline = step.timeline
        done += 1
        progress(f"restore from {repo.name}", done, total)
        if target_ts is not None and _last_ts(content) > target_ts:
            break  # the target lies in this file: later ones are not replayed
    seconds["wal"] = time.perf_counter() - clock
    clock = time.perf_counter()
    store = (open_store or Store.open)(data_dir, tier=tier, recover_until=target_ts)
    try:
        reached = store.clock.last
        if use is None:
            store.checkpoint()
        else:
            use(store)
        start_seq = store.wal.file_seq
    finally:
        store.close(checkpoint=False)
    seconds["replay"] = time.perf_counter() - clock
    new_timeline = max([*repo.timelines(), *line.timelines]) + 1
    history = {"parent": last_timeline, "backup": backup["id"], "target_ts": target_ts, "reached_ts": reached,
               "parent_end_seq": start_seq - 1, "start_seq": start_seq}
    write_timeline(data_dir, new_timeline, history)
    if claim_timeline:
        try:
            repo.put_timeline(new_timeline, history)
        except OSError:
            pass  # a read-only or half-reachable archive: the server ships the history with its first WAL
    progress(f"restore from {repo.name}", total, total)
    return RestoreResult(backup["id"], new_timeline, reached, copied, problem, wal_bytes, seconds)
