"""Shipping closed WAL files to every archive backend, each on its own, in order.

A WAL file is closed when the store starts the next one: at a checkpoint, or here when the
current file has held commits for ``archive_timeout`` (so a restore from the archive loses at
most that much). Each backend has its own thread that ships file after file, retrying a
failure with a growing pause: one backend being down never holds back the other nor the
server, and when it returns it catches up in order. A backend that missed a file the server
has already deleted copies it from the primary.

Local WAL files are deleted only once the primary backend has them and the last checkpoint
no longer needs them (``Store.wal_keep_from``). Progress per backend is kept in
``data_dir/ARCHIVE_STATE`` (shipping a file twice after a crash is harmless: closed files
never change), the timeline number in ``data_dir/TIMELINE`` and, for a restored server, where
its timeline forked in ``data_dir/TIMELINE_HISTORY`` (every backend gets it with the first file).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

import attrs

from helios_core.archiving.repository import Repository, wal_key
from helios_core.storage.persist import write_atomic
from helios_core.storage.wal import wal_name

log = logging.getLogger("helios.archive")

STATE_FILE = "ARCHIVE_STATE"
TIMELINE_FILE = "TIMELINE"
HISTORY_FILE = "TIMELINE_HISTORY"  # where this timeline forked (timelines.py), shipped with its first WAL
MAX_PAUSE = 30.0


def read_timeline(data_dir: str) -> int:
    try:
        with open(os.path.join(data_dir, TIMELINE_FILE)) as f:
            return int(f.read().strip())
    except FileNotFoundError:
        return 1


def write_timeline(data_dir: str, timeline: int, history: dict[str, Any] | None = None) -> None:
    if history is not None:
        write_atomic(data_dir, HISTORY_FILE, json.dumps(history).encode())
    write_atomic(data_dir, TIMELINE_FILE, f"{timeline}\n".encode())


def read_history(data_dir: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(data_dir, HISTORY_FILE), "rb") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def local_wal_seqs(wal_dir: str) -> list[int]:
    return sorted(int(n.split(".")[0]) for n in os.listdir(wal_dir) if n.endswith(".wal"))


@attrs.define
class BackendStatus:
    """What heliosdb.wal_archive_status shows for one backend."""

    backend: str
    primary: bool
    last_seq: int | None = None  # last WAL file shipped
    last_archived_at: float | None = None  # unix time of that
    failures: int = 0  # failed attempts since start
    last_error: str | None = None
    shipped_bytes: int = 0  # sealed bytes uploaded since start
    wal_bytes: int = 0  # WAL bytes those held before compression


class WalShipper:
    """The archiving side of a running server: switches WAL files on timeout, ships them."""

    def __init__(self, store: Any, repos: dict[str, Repository], primary: str, archive_timeout: float) -> None:
        self.store = store
        self.repos = repos
        self.primary = primary
        self.archive_timeout = archive_timeout
        self.data_dir: str = store.data_dir
        self.wal_dir = os.path.join(self.data_dir, "wal")
        self.timeline = read_timeline(self.data_dir)
        self.history = read_history(self.data_dir)
        self._history_sent: set[str] = set()  # backends that have this timeline's history
        self.status = {name: BackendStatus(name, name == primary) for name in repos}
        self._mu = threading.Lock()
        self._wake = threading.Condition(self._mu)
        self._state_lock = threading.Lock()  # one writer of ARCHIVE_STATE at a time
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._first_data: dict[int, float] = {}  # WAL file seq -> when it was first seen holding data
        self._started = time.time()
        self._load_state()
        store.wal_keep_from = self.keep_from

    # -- state ----------------------------------------------------------------------------------
    def _load_state(self) -> None:
        try:
            with open(os.path.join(self.data_dir, STATE_FILE)) as f:
                state = json.load(f)
        except FileNotFoundError:
            state = {}
        if state.get("timeline") != self.timeline:
            state = {}
        local = local_wal_seqs(self.wal_dir)
        first = local[0] if local else self.store.wal.file_seq
        for name, st in self.status.items():
            shipped = state.get("shipped", {}).get(name)
            st.last_seq = shipped if shipped is not None else first - 1
            st.last_archived_at = state.get("at", {}).get(name)

    def _save_state(self) -> None:
        with self._mu:
            state = {"timeline": self.timeline,
                     "shipped": {n: s.last_seq for n, s in self.status.items()},
                     "at": {n: s.last_archived_at for n, s in self.status.items()}}
        with self._state_lock:
            write_atomic(self.data_dir, STATE_FILE, json.dumps(state).encode())

    def keep_from(self) -> int:
        """The lowest local WAL file the primary does not have yet."""
        last = self.status[self.primary].last_seq
        return (last if last is not None else 0) + 1

    # -- running --------------------------------------------------------------------------------
    def start(self) -> None:
        tick = threading.Thread(target=self._tick_loop, name="helios-archive-timeout", daemon=True)
        self._threads.append(tick)
        for name in self.repos:
            self._threads.append(threading.Thread(target=self._ship_loop, args=(name,),
                                                  name=f"helios-archive-{name}", daemon=True))
        for t in self._threads:
            t.start()

    def stop(self, wait: float = 5.0) -> None:
        """Close the current file and give the backends up to ``wait`` seconds to take everything."""
        try:
            self.switch()
        except Exception:
            log.warning("could not close the current WAL file at shutdown", exc_info=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not self.caught_up():
            time.sleep(0.05)
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        for t in self._threads:
            t.join(timeout=2.0)

    def caught_up(self) -> bool:
        closed = self.store.wal.file_seq - 1
        return all(s.last_seq is not None and s.last_seq >= closed for s in self.status.values())

    def switch(self) -> bool:
        """Close the current WAL file now (if it holds anything) and wake the shippers."""
        switched = self.store.switch_wal()
        if switched:
            with self._wake:
                self._wake.notify_all()
        return switched

    def _tick_loop(self) -> None:
        interval = min(max(self.archive_timeout / 4, 0.02), 1.0)
        while not self._stop.wait(interval):
            wal = self.store.wal
            if wal is None:
                return
            seq = wal.file_seq
            if wal.offset > 0:
                first = self._first_data.setdefault(seq, time.time())
                if time.time() - first >= self.archive_timeout:
                    try:
                        self.switch()
                    except Exception:
                        log.warning("closing the WAL file for archiving failed", exc_info=True)
            with self._wake:
                self._wake.notify_all()

    def _ship_loop(self, name: str) -> None:
        repo = self.repos[name]
        st = self.status[name]
        pause = 0.2
        while not self._stop.is_set():
            seq = (st.last_seq or 0) + 1
            if seq >= self.store.wal.file_seq:  # not closed yet
                with self._wake:
                    self._wake.wait(0.5)
                continue
            try:
                size, raw = self._ship_one(repo, seq)
            except Exception as exc:  # noqa: BLE001 - any failure: count it, wait, retry the same file
                with self._mu:
                    st.failures += 1
                    st.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("archiving %s to %s failed (attempt %d, retrying in %.1fs): %s",
                            wal_key(self.timeline, seq), name, st.failures, pause, st.last_error)
                if self._stop.wait(pause):
                    return
                pause = min(pause * 2, MAX_PAUSE)
                continue
            pause = 0.2
            with self._mu:
                st.last_seq = seq
                st.last_archived_at = time.time()
                st.last_error = None
                st.shipped_bytes += size
                st.wal_bytes += raw
            self._forget_shipped()
            try:
                self._save_state()
            except Exception:
                log.warning("could not record archiving progress", exc_info=True)
            if st.primary:
                try:
                    self.store.trim_wal()
                except OSError:
                    log.warning("deleting archived WAL files failed", exc_info=True)

    def _forget_shipped(self) -> None:
        with self._mu:
            done = min((s.last_seq or 0) for s in self.status.values())
            for seq in [s for s in self._first_data if s <= done]:
                del self._first_data[seq]

    def _ship_one(self, repo: Repository, seq: int) -> tuple[int, int]:
        """Upload WAL file ``seq``; returns (stored bytes, WAL bytes). A backend gets the timeline's
        history before its first WAL file, so any backend alone can follow the fork."""
        if self.history is not None and repo.name not in self._history_sent:
            repo.put_timeline(self.timeline, self.history)
            self._history_sent.add(repo.name)
        key = wal_key(self.timeline, seq)
        path = os.path.join(self.wal_dir, wal_name(seq))
        try:
            with open(path, "rb") as f:
                content = f.read()
        except FileNotFoundError:
            if repo.name == self.primary:
                raise FileNotFoundError(f"WAL file {path} is gone before it was archived") from None
            sealed = self.repos[self.primary].get_sealed(key)  # deleted locally: the primary has it
            repo.put_sealed(key, sealed)
            return len(sealed), 0
        return repo.put(key, content), len(content)

    # -- status ---------------------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        """One row per backend: last segment, when, lag in bytes and seconds, failures."""
        wal = self.store.wal
        current = wal.file_seq if wal is not None else 0
        sizes = {}
        for seq in local_wal_seqs(self.wal_dir):
            try:
                sizes[seq] = os.path.getsize(os.path.join(self.wal_dir, wal_name(seq)))
            except OSError:
                continue
        now = time.time()
        out = []
        with self._mu:
            for name, st in self.status.items():
                last = st.last_seq or 0
                lag = sum(size for seq, size in sizes.items() if seq > last)
                pending = [seq for seq in range(last + 1, current + 1) if sizes.get(seq)]
                if pending:
                    since = self._first_data.get(pending[0], st.last_archived_at or self._started)
                    lag_s = max(0.0, now - since)
                else:
                    lag_s = 0.0
                out.append({
                    "backend": name,
                    "last_segment": wal_key(self.timeline, last) if st.last_seq and last >= 1 else None,
                    "last_archived_at": st.last_archived_at,
                    "lag_bytes": lag,
                    "lag_seconds": lag_s,
                    "failures": st.failures,
                    "last_error": st.last_error,
                    "shipped_bytes": st.shipped_bytes,
                    "wal_bytes": st.wal_bytes,
                })
        return out
