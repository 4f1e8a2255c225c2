"""A storage tier whose segments are objects of an ObjectBackend (warm or cold data)."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from helios_core.hookspecs import StorageTier
from helios_storage_object.backends import ObjectBackend


class ObjectTier(StorageTier):
    """Immutable segment files as objects; ``open`` fetches the whole object, ``read_range`` a slice."""

    def __init__(self, backend: ObjectBackend, prefix: str = "segments/") -> None:
        self.backend = backend
        self.name = backend.kind
        self.prefix = prefix  # segments apart from what else shares the bucket (archived WAL)

    def set_timeout(self, seconds: float) -> None:
        """``[storage] object_timeout``: one request with its retries fails after this long."""
        self.backend = self.backend.with_timeout(seconds)

    def check(self) -> None:
        """Reach the store once, so bad credentials or a missing bucket show at start-up."""
        self.backend.check()

    def _key(self, name: str) -> str:
        return self.prefix + name

    def put(self, name: str, data: bytes | pa.Buffer) -> None:
        self.backend.put(self._key(name), data)

    def open(self, name: str) -> pa.Buffer:
        return pa.py_buffer(self.backend.get(self._key(name)))

    def read_range(self, name: str, start: int, end: int) -> bytes:
        return self.backend.get_range(self._key(name), start, end)

    def list(self, prefix: str = "") -> Iterable[str]:
        return [n[len(self.prefix):] for n in self.backend.list(self._key(prefix))]

    def delete(self, name: str) -> None:
        self.backend.delete(self._key(name))

    def size(self, name: str) -> int:
        return self.backend.size(self._key(name))

    def __repr__(self) -> str:
        return f"ObjectTier({self.backend.url})"
