"""Serializable snapshot isolation: PostgreSQL's SSI on top of our snapshot isolation.

SERIALIZABLE transactions run on a REPEATABLE READ snapshot and, in addition, record what
they read (SIREAD "predicate locks") and what they wrote, so that every rw-antidependency
between two concurrent serializable transactions becomes an edge ``reader -> writer``:

- a read of a target that a concurrent transaction wrote (conflict out, found at read time),
- a write of a target that a concurrent transaction read (conflict in, found at write time).

Targets have two granularities: a whole relation (any scan) and one primary-key value of a
relation (point reads by key, and the keys a write touches). Coarser targets only add false
positives, which PostgreSQL allows too. A cycle of a serializable execution always contains
a *dangerous structure* ``T_in -> T_pivot -> T_out`` where ``T_out`` commits first; the
checks below are PostgreSQL's (predicate.c): on each new edge, and at commit, where the
committing transaction dooms a pivot that is still running. A doomed transaction fails with
40001 at its next read, write or commit.

Committed transactions stay here while a running serializable transaction overlaps them.
Past ``max_committed`` retained ones, the oldest are summarized: their locks and writes
fold into per-target timestamps and their edges into flags on the survivors, so memory
stays bounded whatever a long transaction does (at the price of more false positives).

Only SERIALIZABLE transactions take part (as in PostgreSQL); the store calls in under its
own lock ``store.mu`` at most, and this module never takes ``store.mu``.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from helios_core import statement_gate
from helios_core.errors import SerializationFailure

ALL = object()  # a target covering a whole relation
_KEYS_PER_RELATION = 512  # past this many keys of one relation, a transaction locks the relation
_MESSAGE = "could not serialize access due to read/write dependencies among transactions"
_HINT = "The transaction might succeed if retried."

Rel = tuple[int, int]  # (branch id, table id)


def failure(reason: str) -> SerializationFailure:
    """PostgreSQL's 40001 for SSI, with its reason code as DETAIL."""
    return SerializationFailure(_MESSAGE, detail=f"Reason code: {reason}.", hint=_HINT)


class SerializableXact:
    """The SSI state of one serializable transaction (PostgreSQL's SERIALIZABLEXACT)."""

    __slots__ = (
        "commit_seq",
        "commit_ts",
        "done",
        "doomed",
        "earliest_out_ts",
        "flag_out_first",
        "in_conflicts",
        "out_conflicts",
        "prepare_seq",
        "read_only",
        "reads",
        "snapshot_ts",
        "summary_in",
        "summary_out",
        "txid",
        "writes",
    )

    def __init__(self, txid: int, read_only: bool) -> None:
        self.txid = txid
        self.read_only = read_only
        self.snapshot_ts: int | None = None
        self.prepare_seq: int | None = None  # set by the pre-commit check
        self.commit_seq: int | None = None
        self.commit_ts: int | None = None  # MVCC commit timestamp (who saw it)
        self.done = False  # committed or aborted
        self.doomed = False
        self.in_conflicts: set[SerializableXact] = set()  # readers r with r ->rw self
        self.out_conflicts: set[SerializableXact] = set()  # writers w with self ->rw w
        self.summary_in = False  # an rw edge from a summarized transaction
        self.summary_out = False  # an rw edge to a summarized transaction
        self.flag_out_first = False  # committed with an out edge to one that committed before it
        self.earliest_out_ts: int | None = None  # MVCC commit ts of the earliest such one
        self.reads: dict[Rel, Any] = {}  # rel -> ALL or set of keys
        self.writes: dict[Rel, Any] = {}

    @property
    def committed(self) -> bool:
        return self.commit_seq is not None

    @property
    def prepared(self) -> bool:
        return self.prepare_seq is not None

    def has_conflict_out(self) -> bool:
        return self.flag_out_first or self.summary_out

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<sxact {self.txid}{' doomed' if self.doomed else ''}>"


class _Targets:
    """Who read / wrote what in one relation."""

    __slots__ = ("read_all", "read_keys", "write_all", "write_any", "write_keys")

    def __init__(self) -> None:
        self.read_all: set[SerializableXact] = set()
        self.read_keys: dict[Any, set[SerializableXact]] = {}
        self.write_any: set[SerializableXact] = set()  # wrote something here (keys or all)
        self.write_all: set[SerializableXact] = set()
        self.write_keys: dict[Any, set[SerializableXact]] = {}

    def empty(self) -> bool:
        return not (self.read_all or self.read_keys or self.write_any)


class _Summary:
    """What summarized committed transactions read and wrote, as latest commit timestamps."""

    def __init__(self) -> None:
        self.read_all: dict[Rel, int] = {}
        self.read_keys: dict[tuple[Rel, Any], int] = {}
        self.write_all: dict[Rel, tuple[int, bool]] = {}  # rel -> (commit ts, writer was a pivot)
        self.write_keys: dict[tuple[Rel, Any], tuple[int, bool]] = {}

    def read_ts(self, rel: Rel, keys: Any) -> int:
        ts = self.read_all.get(rel, 0)
        if keys is ALL:
            ts = max([ts, *(v for (r, _), v in self.read_keys.items() if r == rel)])
        else:
            for k in keys:
                ts = max(ts, self.read_keys.get((rel, k), 0))
        return ts

    def writes_seen(self, rel: Rel, keys: Any) -> list[tuple[int, bool]]:
        out = []
        if rel in self.write_all:
            out.append(self.write_all[rel])
        if keys is ALL:
            out.extend(v for (r, _), v in self.write_keys.items() if r == rel)
        else:
            out.extend(self.write_keys[(rel, k)] for k in keys if (rel, k) in self.write_keys)
        return out

    @staticmethod
    def _merge(d: dict, k: Any, ts: int) -> None:
        if d.get(k, 0) < ts:
            d[k] = ts

    def add(self, sx: SerializableXact) -> None:
        ts = sx.commit_ts or 0
        pivot = sx.has_conflict_out()
        for rel, keys in sx.reads.items():
            if keys is ALL:
                self._merge(self.read_all, rel, ts)
            else:
                for k in keys:
                    self._merge(self.read_keys, (rel, k), ts)
        for rel, keys in sx.writes.items():
            targets = [(self.write_all, rel)] if keys is ALL else [(self.write_keys, (rel, k)) for k in keys]
            for d, k in targets:
                old = d.get(k)
                d[k] = (max(ts, old[0]), pivot or old[1]) if old else (ts, pivot)

    def forget_before(self, horizon: int) -> None:
        """Drop what no running transaction can be concurrent with any more."""
        for d in (self.read_all, self.read_keys):
            for k in [k for k, v in d.items() if v <= horizon]:
                del d[k]
        for d in (self.write_all, self.write_keys):
            for k in [k for k, v in d.items() if v[0] <= horizon]:
                del d[k]


class SsiManager:
    """All serializable transactions of one store: locks, edges, the dangerous-structure rules."""

    def __init__(self, max_committed: int = 4096) -> None:
        self.mu = threading.Lock()
        self.changed = threading.Condition(self.mu)  # a serializable transaction ended
        self.max_committed = max_committed
        self.active: set[SerializableXact] = set()
        self.committed: dict[SerializableXact, None] = {}  # retained, in commit order
        self.targets: dict[Rel, _Targets] = {}
        self.summary = _Summary()
        self._seq = itertools.count(1)

    # ------------------------------------------------------------------ life cycle
    def register(self, txid: int, read_only: bool) -> SerializableXact:
        sx = SerializableXact(txid, read_only)
        with self.mu:
            self.active.add(sx)
        return sx

    def pre_commit(self, me: SerializableXact) -> None:
        """PostgreSQL's PreCommit_CheckForSerializationFailure: doom running pivots, or fail."""
        with self.mu:
            if me.doomed:
                raise failure("Canceled on identification as a pivot, during commit attempt")
            for near in list(me.in_conflicts):
                if near.committed or near.doomed:
                    continue
                for far in near.in_conflicts:
                    if far is me or not (far.committed or far.read_only or far.doomed):
                        if near.prepared:
                            raise failure("Canceled on commit attempt with conflict in from prepared pivot")
                        near.doomed = True
                        break
            me.prepare_seq = next(self._seq)

    def finish(self, me: SerializableXact, committed: bool, commit_ts: int | None) -> None:
        """The transaction ended (called under store.mu, with its MVCC outcome)."""
        with self.mu:
            if me.done:
                return
            me.done = True
            self.active.discard(me)
            if committed:
                if me.prepare_seq is None:
                    me.prepare_seq = next(self._seq)
                me.commit_seq = next(self._seq)
                me.commit_ts = commit_ts
                firsts = [o.commit_ts for o in me.out_conflicts if o.committed and o.commit_ts is not None]
                if firsts:
                    me.flag_out_first = True
                    me.earliest_out_ts = min(firsts)
                if me.summary_out:
                    me.flag_out_first = True
                self.committed[me] = None
            else:
                self._release(me)
            self._clean()
            self.changed.notify_all()

    def _release(self, sx: SerializableXact) -> None:
        for r in sx.in_conflicts:
            r.out_conflicts.discard(sx)
        for w in sx.out_conflicts:
            w.in_conflicts.discard(sx)
        sx.in_conflicts = set()
        sx.out_conflicts = set()
        for rel, keys in sx.reads.items():
            tg = self.targets.get(rel)
            if tg is not None:
                _forget(sx, keys, tg.read_all, tg.read_keys)
        for rel, keys in sx.writes.items():
            tg = self.targets.get(rel)
            if tg is not None:
                tg.write_any.discard(sx)
                _forget(sx, keys, tg.write_all, tg.write_keys)
        for rel in set(sx.reads) | set(sx.writes):
            tg = self.targets.get(rel)
            if tg is not None and tg.empty():
                del self.targets[rel]
        sx.reads = {}
        sx.writes = {}

    def _clean(self) -> None:
        snaps = [sx.snapshot_ts for sx in self.active if sx.snapshot_ts is not None]
        horizon = min(snaps) if snaps else None
        for sx in list(self.committed):
            if horizon is None or (sx.commit_ts or 0) <= horizon:
                del self.committed[sx]
                self._release(sx)
        if horizon is None:
            self.summary = _Summary()
        else:
            self.summary.forget_before(horizon)
        while len(self.committed) > self.max_committed:
            oldest = next(iter(self.committed))
            del self.committed[oldest]
            self._summarize(oldest)

    def _summarize(self, sx: SerializableXact) -> None:
        """Fold a committed transaction into the summary (PostgreSQL's SummarizeOldestCommittedSxact)."""
        for r in sx.in_conflicts:
            r.summary_out = True
        for w in sx.out_conflicts:
            w.summary_in = True
        self.summary.add(sx)
        self._release(sx)

    # ------------------------------------------------------------------ reads
    def on_read(self, me: SerializableXact, rel: Rel, keys: Any, snapshot_ts: int) -> None:
        """A read of ``keys`` (or ALL) of a relation: conflicts out, then the SIREAD lock."""
        with self.mu:
            if me.doomed:
                raise failure("Canceled on identification as a pivot, during conflict out checking")
            if me.snapshot_ts is None:
                me.snapshot_ts = snapshot_ts
            if keys is not ALL and len(keys) > _KEYS_PER_RELATION:
                keys = ALL
            self._check_summary_out(me, rel, keys)
            tg = self.targets.get(rel)
            if tg is not None and tg.write_any:
                for w in self._writers(tg, keys):
                    self._conflict_out(me, w)
            self._lock(me, rel, keys, read=True)

    def _writers(self, tg: _Targets, keys: Any) -> set[SerializableXact]:
        if keys is ALL:
            return set(tg.write_any)
        out = set(tg.write_all)
        for k in keys:
            s = tg.write_keys.get(k)
            if s:
                out |= s
        return out

    def _check_summary_out(self, me: SerializableXact, rel: Rel, keys: Any) -> None:
        for ts, pivot in self.summary.writes_seen(rel, keys):
            if ts <= (me.snapshot_ts or 0):
                continue
            if pivot and not me.read_only:
                raise failure("Canceled on conflict out to old pivot")
            if me.summary_in or me.in_conflicts:
                raise failure("Canceled on identification as a pivot, with conflict out to old committed "
                              "transaction")
            me.summary_out = True

    def _conflict_out(self, me: SerializableXact, w: SerializableXact) -> None:
        """PostgreSQL's CheckForSerializableConflictOut for one writer of what ``me`` reads."""
        if w is me or w.doomed:
            return
        if w.summary_out:
            if not w.prepared:
                w.doomed = True
                return
            raise failure("Canceled on conflict out to old pivot")
        if (me.read_only and w.committed and not w.summary_out
                and (not w.flag_out_first or (w.earliest_out_ts or 0) > (me.snapshot_ts or 0))):
            return  # a read-only transaction appears to run first
        if w.commit_ts is not None and w.commit_ts <= (me.snapshot_ts or 0):
            return  # not concurrent: me saw its writes
        if w in me.out_conflicts:
            return
        self._flag(me, w, me)

    # ------------------------------------------------------------------ writes
    def on_write(self, me: SerializableXact, rel: Rel, keys: Any, snapshot_ts: int) -> None:
        """A write of ``keys`` (or ALL) of a relation: conflicts in with SIREAD holders, then record it."""
        with self.mu:
            if me.doomed:
                raise failure("Canceled on identification as a pivot, during conflict in checking")
            if me.snapshot_ts is None:
                me.snapshot_ts = snapshot_ts
            if keys is not ALL and len(keys) > _KEYS_PER_RELATION:
                keys = ALL
            tg = self.targets.get(rel)
            if tg is not None:
                readers = set(tg.read_all)
                if keys is ALL:
                    for s in tg.read_keys.values():
                        readers |= s
                else:
                    for k in keys:
                        s = tg.read_keys.get(k)
                        if s:
                            readers |= s
                for r in readers:
                    if r is me or r.doomed:
                        continue
                    if r.commit_ts is not None and r.commit_ts <= me.snapshot_ts:
                        continue  # it committed before we began: not concurrent
                    if me in r.out_conflicts:
                        continue
                    self._flag(r, me, me)
            if self.summary.read_ts(rel, keys) > me.snapshot_ts:
                me.summary_in = True
                self._check_writer(None, me, me)
            self._lock(me, rel, keys, read=False)

    def _lock(self, me: SerializableXact, rel: Rel, keys: Any, *, read: bool) -> None:
        book = me.reads if read else me.writes
        have = book.get(rel)
        if have is ALL:
            return
        tg = self.targets.get(rel)
        if tg is None:
            tg = self.targets[rel] = _Targets()
        if not read:
            tg.write_any.add(me)
        if keys is not ALL and have is not None and len(have) + len(keys) > _KEYS_PER_RELATION:
            keys = ALL
        if keys is ALL:
            if have:  # promote: the relation lock covers the keys
                per_key = tg.read_keys if read else tg.write_keys
                for k in have:
                    s = per_key.get(k)
                    if s is not None:
                        s.discard(me)
                        if not s:
                            del per_key[k]
            (tg.read_all if read else tg.write_all).add(me)
            book[rel] = ALL
            return
        if have is None:
            have = book[rel] = set()
        per_key = tg.read_keys if read else tg.write_keys
        for k in keys:
            if k not in have:
                have.add(k)
                per_key.setdefault(k, set()).add(me)

    # ------------------------------------------------------------------ the rules
    def _flag(self, reader: SerializableXact, writer: SerializableXact, me: SerializableXact) -> None:
        reader.out_conflicts.add(writer)
        writer.in_conflicts.add(reader)
        self._check_writer(reader, writer, me)

    def _check_writer(self, reader: SerializableXact | None, writer: SerializableXact,
                      me: SerializableXact) -> None:
        """PostgreSQL's OnConflict_CheckForSerializationFailure (reader None: a summarized one)."""
        fail = False
        if writer.committed and writer.has_conflict_out():
            fail = True  # R -> W -> T2, W committed after T2
        elif writer.summary_out:
            fail = True
        else:
            for t2 in writer.out_conflicts:
                if (t2.prepared
                        and (reader is None or not reader.committed or t2.prepare_seq <= reader.commit_seq)
                        and (not writer.committed or t2.prepare_seq <= writer.commit_seq)
                        and (reader is None or not reader.read_only or _saw(reader, t2))):
                    fail = True
                    break
        if not fail and writer.prepared and reader is not None and not reader.read_only:
            if reader.summary_in:
                fail = True
            else:
                for t0 in reader.in_conflicts:
                    if (not t0.doomed
                            and (not t0.committed or t0.commit_seq >= writer.prepare_seq)
                            and (not t0.read_only or _saw(t0, writer))):
                        fail = True
                        break
        if not fail:
            return
        if writer is me:
            raise failure("Canceled on identification as a pivot, during write")
        if writer.prepared:
            raise failure(f"Canceled on conflict out to pivot {writer.txid}, during read")
        writer.doomed = True

    # ------------------------------------------------------------------ READ ONLY DEFERRABLE
    def running_writers(self, me: SerializableXact) -> list[SerializableXact]:
        """Read-write serializable transactions running now (call with the snapshot, under store.mu)."""
        with self.mu:
            return [sx for sx in self.active if sx is not me and not sx.read_only]

    def snapshot_is_safe(self, me: SerializableXact, others: list[SerializableXact], snap: int) -> bool:
        """READ ONLY DEFERRABLE (PostgreSQL's GetSafeSnapshot): wait until ``others`` (running when
        the snapshot ``snap`` was taken) have ended; the snapshot is safe unless one committed with
        an rw edge out to a transaction whose commit the snapshot saw. A safe snapshot cannot take
        part in an anomaly, so the transaction then runs without SIREAD locks and never fails."""
        with self.mu:
            while any(not sx.done for sx in others):
                with statement_gate.waiting():
                    self.changed.wait()
            unsafe = any(sx.committed and sx.has_conflict_out()
                         and (sx.summary_out or (sx.earliest_out_ts or 0) <= snap) for sx in others)
            if unsafe:
                return False
            self.active.discard(me)
            me.done = True
            return True


def _saw(t: SerializableXact, other: SerializableXact) -> bool:
    """Did ``t``'s snapshot see ``other``'s commit?"""
    return other.commit_ts is not None and t.snapshot_ts is not None and other.commit_ts <= t.snapshot_ts


def _forget(sx: Any, keys: Any, whole: set, by_key: dict) -> None:
    """Take ``sx`` out of one relation's index of readers (or writers): the whole-relation set
    when it touched all of it, else the per-key sets, dropping keys left with nobody."""
    if keys is ALL:
        whole.discard(sx)
        return
    for k in keys:
        holders = by_key.get(k)
        if holders is not None:
            holders.discard(sx)
            if not holders:
                del by_key[k]
