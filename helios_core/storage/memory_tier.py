"""The kernel's own in-memory segment tier (embedded use and tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import pyarrow as pa

from helios_core.hookspecs import StorageTier


class MemoryTier(StorageTier):
    """Segments held as pyarrow Buffers in a dict; `open` returns the buffer itself (zero-copy)."""

    name = "memory"

    def __init__(self) -> None:
        self._files: dict[str, pa.Buffer] = {}
        self._mu = threading.Lock()

    def put(self, name: str, data: bytes | pa.Buffer) -> None:
        buf = data if isinstance(data, pa.Buffer) else pa.py_buffer(bytes(data))
        with self._mu:
            self._files[name] = buf

    def open(self, name: str) -> pa.Buffer:
        with self._mu:
            try:
                return self._files[name]
            except KeyError:
                raise FileNotFoundError(name) from None

    def list(self, prefix: str = "") -> Iterable[str]:
        with self._mu:
            return sorted(n for n in self._files if n.startswith(prefix))

    def delete(self, name: str) -> None:
        with self._mu:
            self._files.pop(name, None)

    def size(self, name: str) -> int:
        return self.open(name).size
