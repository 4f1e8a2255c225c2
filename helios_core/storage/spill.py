"""Spill files: a large transaction's new rows written to disk before it commits.

A transaction that has appended more than ``Store.spill_after_bytes`` of new row versions
(a large COPY or INSERT ... SELECT) writes each of its memtable chunks to a file of its own
under ``<data_dir>/spill`` (an uncompressed Arrow IPC file, fsync'd) and keeps the chunk
mapped from that file: the rows leave the process's memory for the page cache, as
PostgreSQL's heap pages and WAL leave a backend's. The commit record then names the file
instead of carrying the rows, so commit writes a few bytes however large the transaction.

Atomicity is the WAL's: a spill file is data only once a durable commit record names it.
Rollback deletes the transaction's files; recovery deletes every file no replayed commit
names (a crash mid-COPY leaves the table as it was). A committed file is deleted by the
first checkpoint whose manifest covers the commit (its rows are in segments from then on).

Not used when WAL archiving is on: an archived commit record must hold its rows.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pyarrow as pa

from helios_core.errors import DiskFull
from helios_core.storage.wal import fsync_dir

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.store import Store

SPILL_DIR = "spill"
SPILL_AFTER_BYTES = 64 << 20  # a transaction's resident new rows past this are spilled
THREADS = 2  # spill files written at once (per store)


def directory(store: Store) -> str:
    return os.path.join(store.data_dir, SPILL_DIR)


def enabled(store: Store) -> bool:
    """Spilling needs a WAL of our own and no archiver that ships commit records elsewhere."""
    return store.data_dir is not None and store.wal is not None and store.wal_keep_from is None


def write(store: Store, batch: pa.RecordBatch) -> tuple[str, pa.RecordBatch]:
    """Write ``batch`` durably to a new spill file; returns its name and the batch mapped from it."""
    d = directory(store)
    name = f"{uuid.uuid4().hex}.arrow"
    path = os.path.join(d, name)
    try:
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, batch.schema) as w:
            w.write_batch(batch)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise DiskFull(f"could not write spill file {name}: {e.strerror or e}") from None
    return name, read(store, name)


def read(store: Store, name: str) -> pa.RecordBatch:
    """The rows of a spill file, mapped zero-copy."""
    with pa.memory_map(os.path.join(directory(store), name)) as src:
        reader = pa.ipc.open_file(src)
        return reader.get_batch(0)


def sync_directory(store: Store) -> None:
    """Make the spill files' names durable (before a commit record names them)."""
    fsync_dir(directory(store))


def remove(store: Store, names: Iterable[str]) -> None:
    """Delete spill files (mappings still open keep their pages until dropped)."""
    names = list(names)
    if not names:
        return
    d = directory(store)
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(d, name))


def recover(store: Store, committed: Iterable[str]) -> None:
    """After WAL replay: delete the files of transactions that never committed."""
    d = directory(store)
    os.makedirs(d, exist_ok=True)
    keep = set(committed)
    remove(store, [n for n in os.listdir(d) if n not in keep])
