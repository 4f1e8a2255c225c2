"""A storage tier whose segments are objects of an ObjectBackend (warm or cold data)."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from helios_core.hookspecs import StorageTier
from helios_storage_object.backends import ObjectBackend


class ObjectTier(StorageTier):
    """Immutable segment files as objects; ``open`` fetches the whole object, ``read_range`` a slice."""

    def __init__(self, backend: ObjectBackend) -> None:
        self.backend = backend
        self.name = backend.kind

    def put(self, name: str, data: bytes | pa.Buffer) -> None:
        self.backend.put(name, memoryview(data))

    def open(self, name: str) -> pa.Buffer:
        return pa.py_buffer(self.backend.get(name))

    def read_range(self, name: str, start: int, end: int) -> bytes:
        return self.backend.get_range(name, start, end)

    def list(self, prefix: str = "") -> Iterable[str]:
        return self.backend.list(prefix)

    def delete(self, name: str) -> None:
        self.backend.delete(name)

    def size(self, name: str) -> int:
        return self.backend.size(name)

    def __repr__(self) -> str:
        return f"ObjectTier({self.backend.url})"
