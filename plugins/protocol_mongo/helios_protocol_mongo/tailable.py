"""Tailable cursors: a find on a capped collection that stays open at its end.

The cursor remembers the natural position of the last document it examined; each getMore
returns the matching documents inserted after it. With ``awaitData`` a getMore that finds
none waits for an insert (``maxTimeMS`` of the getMore, 1 s by default, as mongod) instead of
answering at once. A find that examines no document (an empty collection) gives a dead
cursor (id 0), and a cursor whose last examined document was removed (the collection rolled
over past it) ends with error 136 (CappedPositionLost), as in mongod.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from helios_protocol_mongo import capped
from helios_protocol_mongo.errors import MongoError

if TYPE_CHECKING:
    from helios_protocol_mongo.commands import CommandContext
    from helios_protocol_mongo.cursors import Cursor

DEFAULT_AWAIT_MS = 1000
POLL_SECONDS = 0.1  # a wait also looks for rows written through SQL, which send no notice


@attrs.define
class Tail:
    """Where a tailable cursor stands and what it returns."""

    db: str
    collection: str
    matcher: Callable[[dict[str, Any]], bool]
    projector: Callable[[dict[str, Any]], dict[str, Any]] | None
    position: int
    await_data: bool

    def fetch(self, ctx: CommandContext) -> list[dict[str, Any]]:
        """The matching documents inserted since the last one examined."""
        store = ctx.store
        if not store.has_position(self.db, self.collection, self.position):
            raise MongoError(136, "CollectionScan died due to position in capped collection being deleted. "
                                  f"Last seen record id: RecordId({self.position})")
        out = []
        for position, doc in store.natural_after(self.db, self.collection, self.position):
            self.position = position
            if self.matcher(doc):
                out.append(self.projector(doc) if self.projector is not None else doc)
        return out


def check_find(ctx: CommandContext, collection: str) -> bool:
    """Whether the find asks for a tailable cursor (checked against mongod's rules)."""
    command = ctx.command
    tailable, await_data = bool(command.get("tailable")), bool(command.get("awaitData"))
    if await_data and not tailable:
        raise MongoError(9, "Cannot set 'awaitData' without also setting 'tailable'")
    if not tailable:
        return False
    sort = command.get("sort")
    if sort and sort != {"$natural": 1}:
        raise MongoError(2, "error processing query: cannot use tailable option with a sort other than "
                            "{$natural: 1}")
    if not ctx.store.is_capped(ctx.db, collection):
        raise MongoError(2, f"error processing query: ns={ctx.db}.{collection} planner returned error :: caused by "
                            ":: tailable cursor requested on non capped collection")
    return True


def find(ctx: CommandContext, collection: str, matcher: Callable[[dict[str, Any]], bool],
         projector: Callable[[dict[str, Any]], dict[str, Any]] | None, skip: int, limit: int,
         batch_size: int | None, single_batch: bool) -> dict[str, Any]:
    """A tailable find's first reply: the matching documents so far, and the cursor left at the end."""
    rows = ctx.store.natural_after(ctx.db, collection, 0)
    docs = [d for _, d in rows if matcher(d)][skip:]
    if limit:
        docs = docs[:limit]
        single_batch = True  # a limited tailable cursor ends with its documents
    if projector is not None:
        docs = [projector(d) for d in docs]
    namespace = f"{ctx.db}.{collection}"
    if not rows:  # no position to stand on: mongod's cursor dies too
        return {"firstBatch": [], "id": 0, "ns": namespace}
    tail = Tail(ctx.db, collection, matcher, projector, rows[-1][0], bool(ctx.command.get("awaitData")))
    return ctx.server.cursors.open(namespace, iter(docs), batch_size, single_batch=single_batch, lsid=ctx.lsid,
                                   tail=tail)


def get_more(ctx: CommandContext, cursor: Cursor, batch_size: int | None) -> dict[str, Any]:
    """The next documents of a tailable cursor: those buffered, else new ones (awaited with awaitData)."""
    registry = ctx.server.cursors
    tail: Tail = cursor.tail
    wait_ms = ctx.command.get("maxTimeMS")
    if wait_ms is not None and not tail.await_data:
        raise MongoError(2, "cannot set maxTimeMS on getMore command for a non-awaitData cursor")
    deadline = time.monotonic() + (DEFAULT_AWAIT_MS if wait_ms is None else int(wait_ms)) / 1000
    batch, _ = registry.take_batch(cursor.documents, batch_size, cursor.pending)
    try:
        while not batch:
            cursor.documents = iter(tail.fetch(ctx))
            batch, _ = registry.take_batch(cursor.documents, batch_size, cursor.pending)
            left = deadline - time.monotonic()
            if batch or not tail.await_data or left <= 0:
                break
            with ctx.runner.waiting(), capped.written:
                capped.written.wait(min(left, POLL_SECONDS))
            if not registry.alive(cursor.cursor_id):
                raise MongoError(237, f"cursor id {cursor.cursor_id} was killed while waiting for data")
    except MongoError:
        registry.kill(cursor.cursor_id)
        raise
    cursor.last_used = time.monotonic()
    return {"nextBatch": batch, "id": cursor.cursor_id, "ns": cursor.namespace}
