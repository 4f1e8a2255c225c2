"""Open cursors: the documents of a find/aggregate left after its first batch, by cursor id.

Cursors belong to the server (a driver may send getMore on any pooled connection). A cursor
holds an iterator over its remaining documents; a batch is taken from it on each getMore.
An unknown or killed id is error 43 (CursorNotFound).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import attrs

from helios_protocol_mongo.errors import MongoError

DEFAULT_FIRST_BATCH = 101
REPLY_BUDGET = 16 * 1024 * 1024 - 64 * 1024  # a batch stops before the reply would pass 16 MiB
IDLE_TIMEOUT = 600.0  # MongoDB's cursorTimeoutMillis default


@attrs.define
class Cursor:
    cursor_id: int
    namespace: str
    documents: Iterator[dict[str, Any]]
    lsid: bytes | None = None
    last_used: float = attrs.Factory(time.monotonic)
    pending: list[dict[str, Any]] = attrs.Factory(list)
    tail: Any = None  # a tailable cursor's Tail (tailable.py): it stays open at the end of its documents


class CursorRegistry:
    def __init__(self) -> None:
        self._cursors: dict[int, Cursor] = {}
        self._lock = threading.Lock()

    def take_batch(self, documents: Iterator[dict[str, Any]], size: int | None,
                   pending: list[dict[str, Any]] | None = None) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``size`` documents (None: all that fit); True when the iterator is exhausted."""
        batch: list[dict[str, Any]] = []
        budget = 0
        while size is None or len(batch) < size:
            if pending:
                doc = pending.pop(0)
            else:
                try:
                    doc = next(documents)
                except StopIteration:
                    return batch, True
            budget += _approx_size(doc)
            if batch and budget > REPLY_BUDGET:
                if pending is not None:
                    pending.insert(0, doc)
                    return batch, False
                raise AssertionError("pending list required")
            batch.append(doc)
        return batch, False

    def open(self, namespace: str, documents: Iterator[dict[str, Any]], batch_size: int | None,
             single_batch: bool = False, lsid: bytes | None = None, tail: Any = None) -> dict[str, Any]:
        """The ``cursor`` document of a first reply; keeps the rest under a new id if any."""
        pending: list[dict[str, Any]] = []
        size = DEFAULT_FIRST_BATCH if batch_size is None else (batch_size or DEFAULT_FIRST_BATCH)
        if batch_size == 0:
            first: list[dict[str, Any]] = []
            exhausted = False
        else:
            first, exhausted = self.take_batch(documents, size, pending)
        cursor_id = 0
        if not single_batch:
            if not exhausted and not pending:
                try:
                    pending.append(next(documents))
                except StopIteration:
                    exhausted = True
            if not exhausted or tail is not None:  # a tailable cursor waits at its end for more
                with self._lock:
                    cursor_id = random.getrandbits(62) + 1
                    self._cursors[cursor_id] = Cursor(cursor_id, namespace, documents, lsid, pending=pending,
                                                      tail=tail)
        return {"firstBatch": first, "id": cursor_id, "ns": namespace}

    def lookup(self, cursor_id: int, namespace: str) -> Cursor:
        """The open cursor ``cursor_id`` of ``namespace`` (43 when there is none, 13 for another namespace)."""
        with self._lock:
            cursor = self._cursors.get(cursor_id)
        if cursor is None:
            raise MongoError(43, f"cursor id {cursor_id} not found")
        if cursor.namespace != namespace:
            raise MongoError(13, f"Requested getMore on namespace '{namespace}', but cursor belongs to a "
                                 f"different namespace {cursor.namespace}")
        return cursor

    def alive(self, cursor_id: int) -> bool:
        with self._lock:
            return cursor_id in self._cursors

    def get_more(self, cursor_id: int, namespace: str, batch_size: int | None) -> dict[str, Any]:
        cursor = self.lookup(cursor_id, namespace)
        batch, exhausted = self.take_batch(cursor.documents, batch_size or None, cursor.pending)
        cursor.last_used = time.monotonic()
        if exhausted and not cursor.pending:
            self.kill(cursor_id)
            cursor_id = 0
        return {"nextBatch": batch, "id": cursor_id, "ns": namespace}

    def kill(self, cursor_id: int) -> bool:
        with self._lock:
            return self._cursors.pop(cursor_id, None) is not None

    def kill_session(self, lsid: bytes) -> None:
        with self._lock:
            for cursor_id in [c.cursor_id for c in self._cursors.values() if c.lsid == lsid]:
                del self._cursors[cursor_id]

    def expire_idle(self) -> None:
        cutoff = time.monotonic() - IDLE_TIMEOUT
        with self._lock:
            for cursor_id in [c.cursor_id for c in self._cursors.values() if c.last_used < cutoff]:
                del self._cursors[cursor_id]

    def __len__(self) -> int:
        return len(self._cursors)


def _approx_size(doc: dict[str, Any]) -> int:
    return len(repr(doc))
