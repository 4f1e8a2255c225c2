"""The disk tier: put = write tmp + fsync + rename (+ fsync dir); open = pa.memory_map."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterable
from typing import Any

import attrs
import pyarrow as pa

from helios_core.hookspecs import StorageTier


@attrs.define
class NvmeConfig:
    """``[storage.tiers.<name>]`` keys: an optional directory other than <data_dir>/segments."""

    path: str | None = None


class DiskTier(StorageTier):
    """Immutable segment files on a local filesystem, read zero-copy through mmap."""

    name = "nvme"

    def __init__(self, data_dir: str, config: Any = None) -> None:
        path = config.get("path") if isinstance(config, dict) else getattr(config, "path", None)
        self.root = os.path.abspath(path or os.path.join(data_dir, "segments"))
        os.makedirs(self.root, exist_ok=True)
        self._dirs_synced: set[str] = set()
        self._mu = threading.Lock()

    def _path(self, name: str) -> str:
        if name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"bad segment name {name!r}")
        return os.path.join(self.root, name)

    def put(self, name: str, data: bytes | pa.Buffer) -> None:
        path = self._path(name)
        d = os.path.dirname(path)
        os.makedirs(d, exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
        view = memoryview(data)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            _fsync_dir(d)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def open(self, name: str) -> pa.Buffer:
        path = self._path(name)
        if not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, "no such segment", name)
        with pa.memory_map(path, "r") as mm:
            return mm.read_buffer()

    def list(self, prefix: str = "") -> Iterable[str]:
        out = []
        for dirpath, _dirs, files in os.walk(self.root):
            rel = os.path.relpath(dirpath, self.root)
            for f in files:
                if ".tmp-" in f:
                    continue
                name = f if rel == "." else f"{rel}/{f}"
                if name.startswith(prefix):
                    out.append(name)
        return sorted(out)

    def delete(self, name: str) -> None:
        try:
            os.unlink(self._path(name))
        except FileNotFoundError:
            pass

    def size(self, name: str) -> int:
        return os.path.getsize(self._path(name))


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
