"""Finds by ``_id``: one primary-key lookup, no filter machinery, no cursor.

``find({_id: "k"})`` (pymongo's ``find_one`` by key, the read of every key-value workload) can
match one document at most, and the primary key finds it exactly when the key is a string or an
ObjectId (jsonb equality is MongoDB's equality for those; numbers are not, as 1, 1.0 and
Int64(1) are one key to MongoDB and three to jsonb). Such a find needs no matcher, sort,
projection or cursor: its reply is the document, if any, and cursor id 0.

They still run in worker threads like every command: answering them on the event loop (as the
PostgreSQL protocol does with its short statements) was tried and, with 8 clients on a loaded
2-core machine, served 4 to 8 times fewer finds (they queue behind each other on the loop while
other threads hold the GIL).
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from helios_protocol_mongo import collation

# what a find may say besides its filter and still be a point find (the rest change what it returns)
POINT_FIND_FIELDS = {"find", "filter", "limit", "singleBatch", "batchSize", "lsid", "$db", "$clusterTime",
                     "$readPreference", "readConcern", "apiVersion", "apiStrict", "apiDeprecationErrors", "comment",
                     "maxTimeMS", "noCursorTimeout", "allowPartialResults"}
NOT_FOUND = object()
# a point find with none of these needs no per-command machinery (read concern, time limit, Stable API
# checks): CommandRunner answers it directly (plain_point_key)
NEEDS_MACHINERY = {"readConcern", "maxTimeMS", "apiVersion", "apiStrict", "apiDeprecationErrors"}


def point_key(spec: Any) -> Any:
    """The ``_id`` a filter asks for when it is exactly ``{_id: k}`` or ``{_id: {$eq: k}}`` with ``k`` a
    string or an ObjectId, outside a collation (which may make "A" equal "a"); else NOT_FOUND."""
    if type(spec) is not dict or len(spec) != 1 or "_id" not in spec or collation.active():
        return NOT_FOUND
    key = spec["_id"]
    if type(key) is dict and len(key) == 1 and "$eq" in key:
        key = key["$eq"]
    if type(key) is str or type(key) is ObjectId:
        return key
    return NOT_FOUND


def is_point_find(command: dict[str, Any]) -> bool:
    """A find of one ``_id`` whose reply is that document alone (see module doc)."""
    if not POINT_FIND_FIELDS.issuperset(command):
        return False
    limit, batch_size = command.get("limit", 0), command.get("batchSize")
    if type(limit) is not int or limit not in (0, 1, -1):
        return False
    if batch_size is not None and (type(batch_size) is not int or batch_size < 1):
        return False
    return point_key(command.get("filter")) is not NOT_FOUND


def plain_point_key(command: dict[str, Any]) -> Any:
    """The ``_id`` of a point find (``is_point_find``) outside transactions and snapshots, with no time
    limit or API version, on a collection name the general path would take as it is (not ``system.*``,
    no NUL, not the oplog), else NOT_FOUND: its reply is ``find_by_id``'s unless the name is a view's."""
    name = command.get("find")
    if type(name) is not str or not name or "\x00" in name or name.startswith("system.") \
            or command.get("$db") == "local" or not NEEDS_MACHINERY.isdisjoint(command):
        return NOT_FOUND
    return point_key(command.get("filter")) if is_point_find(command) else NOT_FOUND


def find_by_id(ctx: Any, collection: str, key: Any = NOT_FOUND) -> dict[str, Any]:
    """The reply of a point find: the document of the key (if any) in the first batch, cursor 0
    (``key``: the filter's, when the caller has it already)."""
    if key is NOT_FOUND:
        key = point_key(ctx.command.get("filter"))
    doc = ctx.store.point_read(ctx.db, collection, key)
    return {"cursor": {"firstBatch": [] if doc is None else [doc], "id": 0, "ns": f"{ctx.db}.{collection}"},
            "ok": 1.0}
