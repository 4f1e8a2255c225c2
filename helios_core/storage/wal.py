"""Write-ahead log: checksummed, length-framed records, group-committed fsync.

Frame: ``<u32 length><u32 crc32(length bytes + payload)><payload>``. A reader stops at
the first frame that is short or whose checksum does not match (a torn or corrupt tail)
and the log is cut there, so a half-written record is never misread.

Group commit (leader/follower): committers append under the store lock (so log order =
commit-timestamp order), then call ``sync(seq)``. The first one to find no fsync running
becomes the leader and fsyncs everything written so far; the others wait on a condition
and find their record already durable when it returns: many commits, one fsync.
"""

from __future__ import annotations

import errno
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator

from helios_core.errors import DiskFull

_HDR = struct.Struct("<II")
_LEN = struct.Struct("<I")


def frame(payload: bytes | list[bytes | memoryview]) -> list[bytes | memoryview]:
    """[header, *payload parts]: the checksum is computed over the parts without joining them."""
    parts = [payload] if isinstance(payload, bytes) else payload
    length = sum(len(p) if isinstance(p, bytes) else p.nbytes for p in parts)
    crc = zlib.crc32(_LEN.pack(length))
    for p in parts:
        crc = zlib.crc32(p, crc)
    return [_HDR.pack(length, crc), *parts]


def read_frames(data: bytes | memoryview, start: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """Yield (offset, end, payload) for every intact frame; stops at the first bad one."""
    pos = start
    n = len(data)
    while pos + _HDR.size <= n:
        length, crc = _HDR.unpack_from(data, pos)
        end = pos + _HDR.size + length
        if end > n:
            return
        payload = bytes(data[pos + _HDR.size:end])
        if zlib.crc32(payload, zlib.crc32(_LEN.pack(length))) != crc:
            return
        yield pos, end, payload
        pos = end


def wal_name(seq: int) -> str:
    return f"{seq:08d}.wal"


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_data(fd: int) -> None:
    """A commit's durability: fdatasync where the platform has it (as PostgreSQL's default
    wal_sync_method). It flushes the data and the file size an append changed, skipping the
    timestamps fsync also writes: on a journaling file system about a quarter of fsync's time."""
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)


_IOV_MAX = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") and "SC_IOV_MAX" in os.sysconf_names else 16


def _write_all(fd: int, views: list[memoryview]) -> int:
    """Write every view in order, a gathered write at a time (one system call for a record's
    header and parts, not one each); returns the bytes written."""
    if not hasattr(os, "writev"):  # pragma: no cover - Windows
        for view in views:
            while view:
                view = view[os.write(fd, view):]
        return sum(view.nbytes for view in views)
    written = 0
    at = 0
    while at < len(views):
        k = os.writev(fd, views[at:at + _IOV_MAX])
        written += k
        while at < len(views) and k >= views[at].nbytes:  # fully written (empty views too)
            k -= views[at].nbytes
            at += 1
        if k:  # a partial write: the rest of that view next
            views[at] = views[at][k:]
    return written


class Wal:
    """The append side of the log (recovery reads with read_frames first, then opens this)."""

    def __init__(self, directory: str, file_seq: int, offset: int) -> None:
        self.dir = directory
        self.file_seq = file_seq
        self.path = os.path.join(directory, wal_name(file_seq))
        fresh = not os.path.exists(self.path)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        os.ftruncate(self.fd, offset)  # cut anything beyond the last good frame
        os.lseek(self.fd, offset, os.SEEK_SET)
        os.fsync(self.fd)
        if fresh:
            fsync_dir(directory)
        self.alock = threading.Lock()  # appends and truncation
        self.cv = threading.Condition()
        self.offset = offset  # end of written data
        self.seq = 0  # records appended so far (logical, survives truncation)
        self.durable_seq = 0
        self.durable_offset = offset
        self.failed_upto = 0  # records in (durable_seq, failed_upto] were discarded
        self.syncing = False
        self.fsyncs = 0
        self.sync_seconds = 0.0  # recent fsyncs' duration, exponentially averaged (Store.commits_are_quick)
        self.bytes_written = 0  # since open, across rotations (metrics)
        self.synced_records = 0  # records made durable by group fsyncs: / fsyncs = mean group size

    def append(self, payload: bytes | list[bytes | memoryview]) -> tuple[int, int]:
        """Write one record (no fsync). Returns (seq, start offset). DiskFull leaves the log as before."""
        parts = frame(payload)
        with self.alock:
            start = self.offset
            try:
                written = _write_all(self.fd, [memoryview(part).cast("B") for part in parts])
            except OSError as e:
                self._cut(start)
                raise _disk_full(e) from None
            self.offset = start + written
            self.bytes_written += written
            self.seq += 1
            return self.seq, start

    def _cut(self, offset: int) -> None:
        try:
            os.ftruncate(self.fd, offset)
            os.lseek(self.fd, offset, os.SEEK_SET)
        except OSError:
            pass
        self.offset = offset

    def sync(self, seq: int) -> None:
        """Return once record `seq` is durable; DiskFull if the fsync failed (the record is discarded)."""
        with self.cv:
            while self.durable_seq < seq:
                if seq <= self.failed_upto:
                    raise DiskFull("could not write to the write-ahead log: disk full")
                if self.syncing:
                    self.cv.wait()
                    continue
                self.syncing = True
                with self.alock:
                    target_seq, target_off = self.seq, self.offset
                self.cv.release()
                err: OSError | None = None
                started = time.perf_counter()
                try:
                    _sync_data(self.fd)
                except OSError as e:
                    err = e
                finally:
                    self.cv.acquire()
                self.sync_seconds += (time.perf_counter() - started - self.sync_seconds) * 0.2
                self.syncing = False
                self.fsyncs += 1
                if err is None:
                    self.synced_records += max(0, target_seq - self.durable_seq)
                    self.durable_seq, self.durable_offset = target_seq, target_off
                else:
                    with self.alock:  # discard everything not known durable
                        self.failed_upto = self.seq
                        self._cut(self.durable_offset)
                self.cv.notify_all()
            return

    def rotate(self) -> int:
        """Start the next log file (caller holds the store lock; nothing may be in flight)."""
        with self.alock:
            os.fsync(self.fd)
            os.close(self.fd)
            self.file_seq += 1
            self.path = os.path.join(self.dir, wal_name(self.file_seq))
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            fsync_dir(self.dir)
            self.offset = self.durable_offset = 0
            self.durable_seq = self.seq
            return self.file_seq

    def close(self) -> None:
        with self.alock:
            try:
                os.fsync(self.fd)
            finally:
                os.close(self.fd)


def _disk_full(e: OSError) -> DiskFull:
    what = "disk full" if e.errno in (errno.ENOSPC, errno.EDQUOT) else (e.strerror or str(e))
    return DiskFull(f"could not write to the write-ahead log: {what}")
