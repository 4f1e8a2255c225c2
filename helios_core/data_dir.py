"""The server's data directory: created, checked and locked before anything else uses it.

An operator who points ``data_dir`` at a file, at a read-only or full file system, or
under a parent that cannot be created gets one line naming ``data_dir`` and the reason
(exit status 2), never a traceback. The check writes and fsyncs the lock file, so a
disk that cannot take a few bytes is found here and not half-way through recovery.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

# OS errors that mean "this directory cannot hold our data": the operator fixes them.
OPERATOR_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOSPC,
        errno.EDQUOT,
        errno.ENOTDIR,
        errno.EEXIST,
        errno.ENOENT,
        errno.EISDIR,
        errno.ENAMETOOLONG,
        errno.ELOOP,
    }
)

LOCK_FILE = ".helios-serve.lock"


class DataDirError(Exception):
    """``data_dir`` cannot be used; the message starts with the key path."""


def describe(exc: OSError, data_dir: Path) -> str:
    """One line naming data_dir and what is wrong with it (the OS's words, not a traceback)."""
    reason = exc.strerror or str(exc)
    where = f"{data_dir}"
    if exc.filename and Path(exc.filename) != data_dir:
        where += f" ({exc.filename})"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"data_dir: {where}: {reason}; free some space or point data_dir at another file system"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"data_dir: {where} is not writable: {reason}; make it writable by this user or choose another"
    return f"data_dir: cannot use {where}: {reason}"


def lock_data_dir(data_dir: Path) -> int:
    """Create ``data_dir`` if needed, take the one-server lock and return its descriptor.

    Raises DataDirError when the directory cannot be created or written, or another
    ``helios serve`` holds it.
    """
    if data_dir.exists() and not data_dir.is_dir():
        raise DataDirError(f"data_dir: {data_dir} exists and is not a directory")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DataDirError(describe(exc, data_dir)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataDirError(f"data_dir: {data_dir} is in use by another helios server") from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        raise DataDirError(describe(exc, data_dir)) from None
    return fd
