"""Timelines: which archived WAL a restore replays once restores have forked the history.

A server restored from the archive archives under a new timeline number; its history
(``timelines/<n>.json``) names the parent timeline, the last parent WAL file it continued
from (``parent_end_seq``, whose changes after ``reached_ts`` belong to the parent's abandoned
future) and its own first WAL file (``start_seq``). As PostgreSQL's
``recovery_target_timeline = 'latest'``, a restore follows the newest timeline that archived
anything, back through its ancestors: a backup on any of them will do, and replay reads the
ancestors' WAL up to each fork point, then the next timeline's.
"""

from __future__ import annotations

from typing import Any

import attrs

from helios_core.archiving.repository import Repository


@attrs.frozen
class Step:
    """One archived WAL file to replay; changes stamped after ``cut_after_ts`` are not part of this history."""

    timeline: int
    seq: int
    cut_after_ts: int | None = None


@attrs.define
class Lineage:
    """The timelines from the oldest ancestor to ``timelines[-1]``, and where each handed over to its child."""

    timelines: list[int]
    ends: dict[int, tuple[int | None, int | None]]  # ancestor -> (last WAL seq, last change ts) its child kept
    starts: dict[int, int | None]  # child timeline -> its first own WAL seq (None: it archived none)
    seqs: dict[int, list[int]]  # archived WAL seqs per timeline

    def holds(self, backup: dict[str, Any]) -> bool:
        """Whether replaying ``backup`` forward stays on this history."""
        tl = backup["timeline"]
        if tl not in self.timelines:
            return False
        end_seq, end_ts = self.ends.get(tl, (None, None))
        if end_seq is not None and backup["wal_start"]["seq"] > end_seq:
            return False
        return end_ts is None or backup["start_ts"] <= end_ts

    def plan(self, backup: dict[str, Any]) -> list[Step]:
        """The WAL files to replay after ``backup``, in order; a file the archive lacks is still listed
        (the restore reports it missing and stops before it)."""
        steps: list[Step] = []
        first = self.timelines.index(backup["timeline"])
        seq: int | None = backup["wal_start"]["seq"]
        for tl in self.timelines[first:]:
            if tl != backup["timeline"]:
                seq = self.starts.get(tl)
                if seq is None:
                    break  # the child archived nothing: its history is the parent's up to the fork
            end_seq, end_ts = self.ends.get(tl, (None, None))
            have = self.seqs.get(tl, [])
            last = end_seq if end_seq is not None else (max(have) if have else seq - 1)
            steps.extend(Step(tl, s, end_ts) for s in range(seq, last + 1))
        return steps


def histories(repo: Repository) -> dict[int, dict[str, Any]]:
    out = {}
    for key in repo.keys("timelines/"):
        try:
            tl = int(key.split("/")[-1].removesuffix(".json"))
        except ValueError:
            continue
        out[tl] = repo.timeline(tl)
    return out


def latest(repo: Repository, backups: list[dict[str, Any]]) -> int:
    """The newest timeline that archived WAL or holds a backup (a restore that never served adds none)."""
    used = set(repo.wal_timelines()) | {b["timeline"] for b in backups}
    return max(used, default=1)


def lineage(repo: Repository, timeline: int) -> Lineage:
    hist = histories(repo)
    chain = [timeline]
    ends: dict[int, tuple[int | None, int | None]] = {}
    starts: dict[int, int | None] = {}
    seqs = {timeline: repo.wal_seqs(timeline)}
    cur = timeline
    while hist.get(cur, {}).get("parent") is not None:
        h = hist[cur]
        parent = int(h["parent"])
        if parent in chain:
            raise ValueError(f"timeline histories form a cycle at timeline {parent}")
        start = h.get("start_seq")
        if start is None and seqs[cur]:  # a history written before start_seq was recorded
            start = seqs[cur][0]
        starts[cur] = start
        end = h.get("parent_end_seq", None if start is None else start - 1)
        ends[parent] = (end, h.get("reached_ts"))
        seqs[parent] = repo.wal_seqs(parent)
        chain.append(parent)
        cur = parent
    chain.reverse()
    return Lineage(chain, ends, starts, seqs)
