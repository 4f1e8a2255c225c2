"""Backups: the last checkpoint of a data directory copied into the archive, online.

A checkpoint is consistent by construction: its MANIFEST (replaced atomically) names
immutable segments, a state file and the WAL position replay starts from. A backup copies
exactly those, while writers keep going; if a checkpoint replaces them meanwhile it starts
over from the new MANIFEST. Segments are named by their content, so a backup uploads only
the segments the repository does not have yet (incremental by nature). Replaying the
archived WAL from the backup's position brings it to any later time.

``expire`` applies ``retention_days``: backups no time within it needs go (the newest always
stays), then the segments and WAL files no remaining backup needs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from helios_core.archiving.objects import CorruptObject, check
from helios_core.archiving.repository import Repository, parse_wal_key, wal_key
from helios_core.archiving.shipper import read_timeline
from helios_core.storage.persist import MANIFEST

Progress = Callable[[str, int, int], None]  # (what, done, total)


class BackupError(Exception):
    """A backup could not be taken; the message says why."""


def _no_progress(what: str, done: int, total: int) -> None:
    return None


def iso(ts_us: float | None) -> str | None:
    if ts_us is None:
        return None
    return dt.datetime.fromtimestamp(ts_us / 1e6, dt.UTC).isoformat()


def _segment_bytes(entry: list[Any], tier: Any, remote: Mapping[str, Any]) -> bytes:
    """A manifest entry's segment: from the local tier, or from the warm or cold tier it moved to."""
    if len(entry) <= 2:
        return bytes(memoryview(tier.open(entry[1])))
    where = remote.get(entry[2])
    if where is None:
        raise BackupError(f"segment {entry[1]} lives on the {entry[2]} tier, which is not configured "
                          "([storage] tier_warm_backend / [storage.tiering] cold_storage_backend)")
    return bytes(memoryview(where.open(entry[1])))


def _read_checkpoint(data_dir: str, tier: Any, remote: Mapping[str, Any]
                     ) -> tuple[dict[str, Any] | None, bytes | None, dict[str, bytes]]:
    """(manifest, state file, {segment name: bytes}) of the current checkpoint, all of one MANIFEST.

    Segments on a warm or cold tier are copied into the backup like local ones: a backup has to
    restore on its own (the tier's objects go when a later checkpoint no longer records them, and
    a restored server must not share them with the one it came from), as a pgBackRest backup does."""
    for _attempt in range(20):
        path = os.path.join(data_dir, MANIFEST)
        try:
            with open(path, "rb") as f:
                meta = json.load(f)
        except FileNotFoundError:
            return None, None, {}
        try:
            with open(os.path.join(data_dir, meta["state"]), "rb") as f:
                state = f.read()
            segments = {e[1]: _segment_bytes(e, tier, remote) for layer in meta["layers"] for e in layer["segments"]}
        except (FileNotFoundError, KeyError):
            time.sleep(0.05)  # a checkpoint replaced them meanwhile: take the new one
            continue
        with open(path, "rb") as f:
            if json.load(f) == meta:
                return meta, state, segments
    raise BackupError("the data directory kept changing under the backup (checkpoints too frequent)")


def create(data_dir: str, tier: Any, repos: list[Repository], progress: Progress = _no_progress, *,
           remote: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Take a backup of ``data_dir`` into every repository; returns its description.

    ``tier``: the local (hot) tier; ``remote``: the warm/cold tiers by role, where the manifest
    records segments that moved there."""
    started = time.time()
    meta, state, segments = _read_checkpoint(data_dir, tier, remote or {})
    timeline = read_timeline(data_dir)
    backup_id = dt.datetime.fromtimestamp(started, dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    keys = {name: f"segments/{hashlib.sha256(data).hexdigest()}.arrow" for name, data in segments.items()}
    raw_bytes = sum(len(d) for d in segments.values()) + len(state or b"")
    description: dict[str, Any] = {
        "id": backup_id, "timeline": timeline,
        "start_ts": meta["clock"] if meta else 0,
        "wal_start": meta["wal"] if meta else {"seq": 1, "offset": 0},
        "manifest": meta, "segments": keys,
        "state_object": f"backups/{backup_id}/state.arrow" if meta else None,
        "bytes": raw_bytes, "started_at": iso(started * 1e6),
    }
    for repo in repos:
        have = repo.segment_keys()
        todo = [(name, key) for name, key in keys.items() if key not in have]
        uploaded = 0
        total = len(todo) + 2
        for i, (name, key) in enumerate(todo):
            uploaded += repo.put(key, segments[name])
            progress(f"backup to {repo.name}", i + 1, total)
        if state is not None:
            uploaded += repo.put(description["state_object"], state)
        progress(f"backup to {repo.name}", total - 1, total)
        done = dict(description, end_ts=int(time.time() * 1e6), uploaded_bytes=uploaded)
        done["ended_at"] = iso(done["end_ts"])
        repo.put(f"backups/{backup_id}/backup.json", json.dumps(done).encode())
        progress(f"backup to {repo.name}", total, total)
        description = dict(done, uploaded_bytes=uploaded)
    return description


def list_backups(repo: Repository) -> list[dict[str, Any]]:
    return sorted(repo.backups(), key=lambda b: b["start_ts"])


@attrs.define
class VerifyReport:
    checked: int = 0
    bad: list[str] = attrs.Factory(list)  # "<object>: <why>"

    @property
    def ok(self) -> bool:
        return not self.bad


def verify(repo: Repository, progress: Progress = _no_progress) -> VerifyReport:
    """Check every object's checksum, that every backup's objects exist and its WAL has no gap, and
    that every restored timeline's history is there and its WAL has no gap from its first file."""
    report = VerifyReport()
    keys = repo.keys()
    present = set(keys)
    for i, key in enumerate(keys):
        try:
            check(key, repo.get_sealed(key))
        except CorruptObject as exc:
            report.bad.append(f"{key}: {exc}")
        except (FileNotFoundError, OSError) as exc:
            report.bad.append(f"{key}: cannot be read: {exc}")
        report.checked += 1
        progress(f"verify {repo.name}", i + 1, len(keys))
    wal = {}
    for key in keys:
        parsed = parse_wal_key(key)
        if parsed is not None:
            wal.setdefault(parsed[0], set()).add(parsed[1])
    for bid in repo.backup_ids():
        try:
            b = repo.backup(bid)
        except (CorruptObject, ValueError):
            continue  # already reported as a bad object
        needed = list(b["segments"].values()) + ([b["state_object"]] if b.get("state_object") else [])
        for key in needed:
            if key not in present:
                report.bad.append(f"{key}: missing (needed by backup {bid})")
        seqs = wal.get(b["timeline"], set())
        start = b["wal_start"]["seq"]
        last = max(seqs) if seqs else start - 1
        for seq in range(start, last + 1):
            if seq not in seqs:
                report.bad.append(f"{wal_key(b['timeline'], seq)}: missing (WAL after backup {bid} has a gap)")
    for timeline, seqs in wal.items():  # a restored server's timeline, replayed from an ancestor's backup
        if timeline == 1:
            continue
        try:
            start = repo.timeline(timeline).get("start_seq")
        except FileNotFoundError:
            report.bad.append(f"timelines/{timeline:08d}.json: missing (timeline {timeline} has WAL but no history)")
            continue
        except (CorruptObject, ValueError):
            continue  # already reported as a bad object
        for seq in range(start if start is not None else min(seqs), max(seqs) + 1):
            if seq not in seqs:
                report.bad.append(f"{wal_key(timeline, seq)}: missing (WAL of timeline {timeline} has a gap)")
    report.bad = sorted(set(report.bad))
    return report


def expire(repo: Repository, retention_days: float, now: float | None = None) -> list[str]:
    """Delete backups older than the retention and what only they needed.

    Kept: every backup that ended within the retention, and the newest one that started at or
    before its horizon, so every time within it stays restorable (the newest backup always stays)."""
    now = time.time() if now is None else now
    backups = list_backups(repo)
    if not backups:
        return []
    horizon = (now - retention_days * 86400) * 1e6
    covering = [i for i, b in enumerate(backups) if b["start_ts"] <= horizon]
    first = covering[-1] if covering else -1
    keep = [b for i, b in enumerate(backups) if b["end_ts"] >= horizon or i == first] or [backups[-1]]
    gone = [b for b in backups if b not in keep]
    deleted: list[str] = []
    for b in gone:
        for key in repo.keys(f"backups/{b['id']}/"):
            repo.delete(key)
            deleted.append(key)
    if not gone:
        return deleted
    needed = {key for b in keep for key in b["segments"].values()}
    for key in repo.segment_keys() - needed:
        repo.delete(key)
        deleted.append(key)
    oldest = min((b["timeline"], b["wal_start"]["seq"]) for b in keep)
    for key in repo.keys("wal/"):
        parsed = parse_wal_key(key)
        if parsed is not None and parsed < oldest:
            repo.delete(key)
            deleted.append(key)
    return deleted
