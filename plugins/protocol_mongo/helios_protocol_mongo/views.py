"""Read-only views: ``create`` with ``viewOn`` and ``pipeline``.

A view ``db.v`` is a SQL view ``db.v (mongo_view text)`` that returns no rows, whose COMMENT
holds the definition (``{"viewOn": ..., "pipeline": [...]}`` as Extended JSON). So it lives
in the catalog of the branch like a collection: created and dropped transactionally, gone
with ``dropDatabase`` (DROP SCHEMA ... CASCADE), never listed as a collection (it has no
``doc`` column). Reads of a view (find, aggregate, count, distinct, ``$lookup`` from it) read
its source (a collection or another view), run the view's pipeline over the documents, then
the command's own filter, sort and projection, as MongoDB does. Writes, indexes and
collection-only commands on a view are error 166 (CommandNotSupportedOnView).

The definitions of a database are read in one catalog query and kept until a catalog change
commits (``Session.catalog_version``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from helios_protocol_mongo import bson_json
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.pipeline import run_pipeline
from helios_protocol_mongo.store import quote_ident, table_name

if TYPE_CHECKING:
    from helios_protocol_mongo.commands import CommandContext

VIEW_COLUMN = "mongo_view"
MAX_DEPTH = 20  # MongoDB's maximum view nesting depth
# commands that need a collection: on a view they are error 166
REFUSED = {"insert", "update", "delete", "findAndModify", "findandmodify", "createIndexes", "dropIndexes",
           "deleteIndexes", "listIndexes", "collStats", "validate", "convertToCapped", "cloneCollectionAsCapped",
           "renameCollection", "compact"}
NOT_ON_VIEWS = ("capped", "size", "max", "validator", "validationLevel", "validationAction", "timeseries",
                "clusteredIndex", "changeStreamPreAndPostImages", "storageEngine", "indexOptionDefaults",
                "expireAfterSeconds")

_cache: dict[tuple[int, str, str], tuple[int, dict[str, dict[str, Any]]]] = {}
_cache_lock = threading.Lock()


def definitions(ctx: CommandContext, db: str) -> dict[str, dict[str, Any]]:
    """name -> {viewOn, pipeline} of the views of ``db`` (on the session's branch)."""
    session = ctx.store.session
    version = getattr(session, "catalog_version", None)
    key = (id(ctx.server), getattr(session, "branch", ""), db)
    if version is not None:
        with _cache_lock:
            hit = _cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
    rows = ctx.store.rows(
        "select c.relname, d.description from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "join pg_description d on d.objoid = c.oid where n.nspname = $1 and c.relkind = 'v'", [db], ["text"])
    found: dict[str, dict[str, Any]] = {}
    for name, text in rows:
        try:
            spec = bson_json.loads(text) if text else None
        except ValueError:
            continue
        if isinstance(spec, dict) and isinstance(spec.get("viewOn"), str) and isinstance(spec.get("pipeline"), list):
            found[name] = spec
    if version is not None:
        with _cache_lock:
            if len(_cache) > 10_000:
                _cache.clear()
            _cache[key] = (version, found)
    return found


def lookup(ctx: CommandContext, db: str, name: str) -> dict[str, Any] | None:
    return definitions(ctx, db).get(name)


def refuse(ctx: CommandContext, command: str, name: str) -> None:
    """Error 166 when ``command`` (one that needs a collection) names a view."""
    if command in REFUSED and lookup(ctx, ctx.db, name) is not None:
        raise MongoError(166, f"Namespace {ctx.db}.{name} is a view, not a collection")


Find = Callable[..., Iterator[dict[str, Any]]]


def documents(ctx: CommandContext, view: dict[str, Any], find_documents: Find, depth: int = 0
              ) -> Iterator[dict[str, Any]]:
    """The documents a view gives: its source's (a view's recursively, ``find_documents`` reads a
    collection's) through its pipeline."""
    if depth > MAX_DEPTH:
        raise MongoError(165, f"View depth limit exceeded; maximum depth is {MAX_DEPTH}")

    def load(name: str) -> list[dict[str, Any]]:
        return list(find_documents(ctx, name, {}))

    source = view["viewOn"]
    inner = lookup(ctx, ctx.db, source)
    docs = documents(ctx, inner, find_documents, depth + 1) if inner is not None else find_documents(ctx, source, {})
    return run_pipeline(docs, list(view["pipeline"]), load)


def create(ctx: CommandContext, name: str) -> dict[str, Any]:
    """create with viewOn (and pipeline): a view of a collection or of another view."""
    command = ctx.command
    view_on = command.get("viewOn")
    pipeline = command.get("pipeline", [])
    if not isinstance(view_on, str):
        raise MongoError(14, "BSON field 'create.viewOn' is the wrong type, expected type 'string'")
    if not view_on:
        raise MongoError(2, "'viewOn' cannot be empty")
    if not isinstance(pipeline, list) or not all(isinstance(stage, dict) for stage in pipeline):
        raise MongoError(14, "BSON field 'create.pipeline' is the wrong type, expected type 'array' of objects")
    if ctx.in_transaction:
        raise MongoError(263, f"Cannot create a view in a multi-document transaction: {ctx.db}.{name}")
    for option in NOT_ON_VIEWS:
        if option in command:
            raise MongoError(167, f"option '{option}' is not supported on a view")
    if "collation" in command:
        raise MongoError(72, "a view's default collation is not supported by HeliosDB")
    for stage in pipeline:
        stage_name = next(iter(stage), "")
        if stage_name in ("$out", "$merge"):
            raise MongoError(167, f"{stage_name} cannot be used in a view definition")
        if stage_name == "$changeStream":
            raise MongoError(167, "$changeStream cannot be used in a view definition")
    if lookup(ctx, ctx.db, name) is not None or ctx.store.collection_exists(ctx.db, name):
        raise MongoError(48, f"Collection {ctx.db}.{name} already exists.")
    _check_chain(ctx, name, view_on)
    list(run_pipeline(iter(()), list(pipeline), lambda _name: []))  # an unknown stage is refused now
    text = bson_json.dumps({"viewOn": view_on, "pipeline": pipeline}).replace("'", "''")
    ctx.store.execute(f"create schema if not exists {quote_ident(ctx.db)}; "
                      f"create view {table_name(ctx.db, name)} ({VIEW_COLUMN}) as select null::text where false; "
                      f"comment on view {table_name(ctx.db, name)} is '{text}'")
    return {"ok": 1.0}


def _check_chain(ctx: CommandContext, name: str, view_on: str) -> None:
    """Refuse a view that would read itself (5, GraphContainsCycle) or sit over 20 views (165)."""
    seen = {name}
    source = view_on
    depth = 1  # views on the way down, the new one included
    while True:
        if source in seen:
            raise MongoError(5, f"View cycle detected: {ctx.db}.{name} would read itself through {ctx.db}.{source}")
        seen.add(source)
        inner = lookup(ctx, ctx.db, source)
        if inner is None:
            return
        depth += 1
        if depth > MAX_DEPTH:
            raise MongoError(165, f"View depth limit exceeded; maximum depth is {MAX_DEPTH}")
        source = inner["viewOn"]


def drop(ctx: CommandContext, name: str) -> dict[str, Any]:
    ctx.store.execute(f"drop view if exists {table_name(ctx.db, name)}")
    return {"ns": f"{ctx.db}.{name}", "ok": 1.0}


def modify(ctx: CommandContext, name: str, view: dict[str, Any]) -> dict[str, Any]:
    """collMod of a view: a new viewOn and pipeline (both, as MongoDB requires)."""
    command = ctx.command
    others = [k for k in command if k not in ("collMod", "viewOn", "pipeline") and not k.startswith("$")
              and k not in ("lsid", "txnNumber", "writeConcern", "comment", "apiVersion", "apiStrict",
                            "apiDeprecationErrors")]
    if others:
        raise MongoError(167, f"option '{others[0]}' is not supported on a view")
    if "viewOn" not in command or "pipeline" not in command:
        raise MongoError(72, "must specify both 'viewOn' and 'pipeline' when modifying a view")
    view_on, pipeline = command["viewOn"], command["pipeline"]
    if not isinstance(view_on, str) or not view_on or not isinstance(pipeline, list):
        raise MongoError(14, "collMod of a view needs 'viewOn' (a string) and 'pipeline' (an array)")
    _check_chain(ctx, name, view_on)
    text = bson_json.dumps({"viewOn": view_on, "pipeline": pipeline}).replace("'", "''")
    ctx.store.execute(f"comment on view {table_name(ctx.db, name)} is '{text}'")
    return {"ok": 1.0}


def list_entries(ctx: CommandContext) -> list[dict[str, Any]]:
    """listCollections' entries of the database's views."""
    return [{"name": name, "type": "view", "options": {"viewOn": spec["viewOn"], "pipeline": spec["pipeline"]},
             "info": {"readOnly": True}} for name, spec in sorted(definitions(ctx, ctx.db).items())]
