"""Capped collections: insertion order kept, the oldest documents removed past ``size`` or ``max``.

A capped collection's table numbers its rows as they are inserted (an identity column, the
natural order finds return them in) and keeps each document's BSON size. After each insert,
the oldest documents go until the collection holds at most ``max`` documents and ``size``
bytes (``size`` raised as mongod does: to 4096 at least, else to a multiple of 256). Writes to
one capped collection are serialized by this server so numbering follows the commits. An
update may not change a document's size (error 10003, as mongod), and writes inside a
multi-document transaction are refused (263).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.expressions import is_number
from helios_protocol_mongo.store import quote_ident, table_name

if TYPE_CHECKING:
    from helios_protocol_mongo.commands import CommandContext
    from helios_protocol_mongo.store import CollectionStore

_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()
written = threading.Condition()  # notified after each insert into a capped collection (tailable cursors wait)


def writing(db: str, collection: str) -> threading.Lock:
    """The lock that orders the writes of one capped collection."""
    with _locks_guard:
        return _locks.setdefault((db, collection), threading.Lock())


def create_options(command: dict[str, Any]) -> dict[str, Any]:
    """``capped``, ``size`` and ``max`` of a create command, checked (empty when not capped)."""
    if not command.get("capped"):
        return {}
    size = command.get("size")
    if size is None:
        raise MongoError(72, "the 'size' field is required when 'capped' is true")
    if not is_number(size) or isinstance(size, bool):
        raise MongoError(14, f"BSON field 'create.size' is the wrong type '{type(size).__name__}', expected types "
                             "'[long, int, decimal, double]'")
    if size <= 0 or size > 2**50:
        raise MongoError(2, f"Capped collection size must be between 1 and 2^50 bytes, not {size}")
    options: dict[str, Any] = {"capped": True, "size": size}
    limit = command.get("max")
    if limit is not None:
        if not is_number(limit) or isinstance(limit, bool):
            raise MongoError(14, f"BSON field 'create.max' is the wrong type '{type(limit).__name__}', expected "
                                 "types '[long, int, decimal, double]'")
        options["max"] = limit
    return options


def effective_size(size: Any) -> int:
    """The byte cap mongod applies for a ``size``: 4096 at least, else rounded up to 256."""
    size = int(size)
    return 4096 if size <= 4096 else (size + 255) // 256 * 256


def document_limit(options: dict[str, Any]) -> int | None:
    """The ``max`` that caps the number of documents (absent, zero or negative: none)."""
    limit = options.get("max")
    return int(limit) if limit is not None and int(limit) > 0 else None


def check_write(ctx: CommandContext, collection: str, options: dict[str, Any]) -> None:
    """A write to a capped collection inside a transaction is refused, as by mongod."""
    if options.get("capped") and ctx.in_transaction:
        raise MongoError(263, f"Collection '{ctx.db}.{collection}' is a capped collection. Writes in transactions "
                              "are not allowed on capped collections.")


def check_same_size(old: bytes, new: bytes) -> None:
    if len(old) != len(new):
        raise MongoError(10003, f"Cannot change the size of a document in a capped collection: {len(old)} != "
                                f"{len(new)}")


def insert(ctx: CommandContext, collection: str, docs: list[dict[str, Any]], options: dict[str, Any]) -> int:
    """Insert into a capped collection, then remove the oldest documents past its caps."""
    with writing(ctx.db, collection):
        n = ctx.store.insert_capped(ctx.db, collection, docs)
        trim(ctx.store, ctx.db, collection, options)
    with written:
        written.notify_all()
    return n


def trim(store: CollectionStore, db: str, collection: str, options: dict[str, Any]) -> int:
    """Remove the oldest documents until the caps hold; how many went."""
    count, total = store.capped_totals(db, collection)
    limit = document_limit(options)
    max_bytes = effective_size(options["size"])
    over_count = max(0, count - limit) if limit is not None else 0
    if not over_count and total <= max_bytes:
        return 0
    chunk = over_count + 64  # usually enough: the few oldest make room for the few just inserted
    while True:
        removed, left, last = 0, total, None
        oldest = store.oldest_sizes(db, collection, chunk)
        for position, size in oldest:
            if removed >= over_count and left <= max_bytes:
                break
            removed, left, last = removed + 1, left - size, position
        if (removed >= over_count and left <= max_bytes) or len(oldest) < chunk:
            break
        chunk *= 4
    return store.delete_through(db, collection, last) if last is not None else 0


def clone_as_capped(ctx: CommandContext) -> dict[str, Any]:
    """cloneCollectionAsCapped: a new capped collection holding the source's documents (the newest
    that fit its caps), in the source's natural order."""
    source = ctx.collection_name()
    target = ctx.command.get("toCollection")
    if not isinstance(target, str) or not target:
        raise MongoError(40414, "BSON field 'cloneCollectionAsCapped.toCollection' is missing but a required field")
    _copy_into_capped(ctx, source, target)
    return {"ok": 1.0}


def convert_to_capped(ctx: CommandContext) -> dict[str, Any]:
    """convertToCapped: the collection made capped in place (its documents kept as the caps allow)."""
    source = ctx.collection_name()
    if ctx.store.is_capped(ctx.db, source):
        options = ctx.store.collection_options(ctx.db, source)
        new = create_options({"capped": True, "size": ctx.command.get("size"), "max": options.get("max")})
        ctx.store.set_collection_options(ctx.db, source, {**options, **new})
        ctx.server.collection_options.pop((ctx.db, source), None)
        return {"ok": 1.0}
    temporary = f"tmp.convertToCapped.{source}"
    ctx.store.drop_collection(ctx.db, temporary)
    _copy_into_capped(ctx, source, temporary)
    options = ctx.store.collection_options(ctx.db, temporary)
    ctx.store.drop_collection(ctx.db, source)
    ctx.store.execute(f"alter table {table_name(ctx.db, temporary)} rename to {quote_ident(source)}")
    ctx.store.set_collection_options(ctx.db, source, options)  # a rename does not carry the comment
    ctx.server.collection_options.clear()
    return {"ok": 1.0}


def _copy_into_capped(ctx: CommandContext, source: str, target: str) -> None:
    store, db = ctx.store, ctx.db
    if not store.collection_exists(db, source):
        raise MongoError(26, f"source collection {db}.{source} does not exist")
    if store.collection_exists(db, target):
        raise MongoError(48, f"target namespace {db}.{target} exists")
    options = create_options({"capped": True, "size": ctx.command.get("size")})
    source_options = store.collection_options(db, source)
    docs = [d for _, d in store.natural_after(db, source, 0)] if store.is_capped(db, source) \
        else list(store.scan(db, source))
    store.create_collection(db, target, capped=True)
    kept = {k: v for k, v in source_options.items() if k in ("validator", "validationLevel", "validationAction")}
    store.set_collection_options(db, target, {**options, **kept})
    ctx.server.collection_options.pop((db, target), None)
    with writing(db, target):
        if docs:
            store.insert_capped(db, target, docs)
        trim(store, db, target, options)
