"""createIndexes, listIndexes, dropIndexes as SQL expression indexes, and the TTL job.

A MongoDB index on ``{a: 1, "b.c": -1}`` of collection ``C`` is the SQL index ``"C$a_1_b.c_-1"``
on ``X.C ((coalesce(doc #> '{a}', 'null')), (coalesce(doc #> '{b,c}', 'null')))``: the kernel
maintains it and, for a unique index, enforces it, with a missing field counted as null as
MongoDB does (a sparse index leaves the coalesce out, so documents without the field do not
collide). The MongoDB definition (key, name, unique, sparse, expireAfterSeconds) is kept as
the index's COMMENT. Keys index whole values: an array is one key, not one per element
(multikey unique indexes are not enforced per element). A TTL index's documents are deleted
by a background job once their date is older than ``expireAfterSeconds``.
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import TYPE_CHECKING, Any

from helios_core.errors import HeliosError
from helios_protocol_mongo import bson_json, capped, collation, hashed_indexes, partial_indexes, text_search
from helios_protocol_mongo.bson_order import date_millis
from helios_protocol_mongo.errors import MongoError, from_helios_error
from helios_protocol_mongo.paths import candidates
from helios_protocol_mongo.store import CollectionStore, quote_ident, table_name

if TYPE_CHECKING:
    from helios_protocol_mongo.commands import CommandContext

log = logging.getLogger("helios.mongodb")

ID_INDEX = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression", "background", "collation",
           "hidden", "v", "ns")


def sql_index_name(collection: str, name: str) -> str:
    return f"{collection}${name}"


def default_name(key: dict[str, Any]) -> str:
    return "_".join(f"{field}_{direction}" for field, direction in key.items())


def _path_value(path: str) -> str:
    parts = ",".join('"' + p.replace('"', '\\"') + '"' if not p.isidentifier() else p for p in path.split("."))
    return f"doc #> '{{{parts.replace(chr(39), chr(39) * 2)}}}'"


def _key_expression(path: str, sparse: bool, hashed: bool = False) -> str:
    value = _path_value(path)
    if hashed:
        return hashed_indexes.key_expression(value)
    return f"({value})" if sparse else f"(coalesce({value}, 'null'::jsonb))"


def list_index_specs(store: CollectionStore, db: str, collection: str) -> list[dict[str, Any]]:
    rows = store.rows("select c.relname, d.description from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                      "join pg_description d on d.objoid = c.oid where n.nspname = $1 and c.relkind = 'i'",
                      [db], ["text"])
    prefix = f"{collection}$"
    specs = []
    for name, description in rows:
        if name.startswith(prefix) and description:
            try:
                spec = json.loads(description)
            except ValueError:
                continue
            if isinstance(spec, dict) and "key" in spec:
                specs.append(spec)
    return specs


def create_indexes(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    wanted = ctx.command.get("indexes")
    if not isinstance(wanted, list) or not wanted:
        raise MongoError(2, "Must specify at least one index to create")
    created_collection = False
    if not ctx.store.collection_exists(ctx.db, collection):
        ctx.store.create_collection(ctx.db, collection)
        created_collection = True
    existing = {s["name"]: s for s in list_index_specs(ctx.store, ctx.db, collection)}
    before = len(existing) + 1
    for spec in wanted:
        key = spec.get("key")
        if not isinstance(key, dict) or not key:
            raise MongoError(67, "Index keys cannot be empty.")
        if text_search.is_text_key(key):
            name = spec.get("name") or default_name(key)
            _create_text_index(ctx, collection, spec, name, existing)
            continue
        hashed_indexes.check(key, spec)
        for field, direction in key.items():
            if hashed_indexes.is_hashed(direction):
                continue
            if direction not in (1, -1) and not (isinstance(direction, int | float) and direction != 0):
                raise MongoError(67, f"Values in the index key pattern can only be numbers: {field}: {direction!r}"
                                     if not isinstance(direction, str) else
                                     f"{direction} indexes are not supported by HeliosDB (index on {field})")
        name = spec.get("name") or default_name(key)
        if list(key) == ["_id"]:
            continue  # the primary key is the _id index
        collation.refuse_default(spec.get("collation"), "an index")
        partial = spec.get("partialFilterExpression")
        if partial is not None:
            partial_indexes.check(partial)
            if spec.get("sparse"):
                raise MongoError(67, "cannot mix \"partialFilterExpression\" and \"sparse\" options")
        definition = {"v": 2, "key": dict(key), "name": name}
        for option in ("unique", "sparse", "expireAfterSeconds", "background", "hidden", "partialFilterExpression"):
            if option in spec:
                definition[option] = spec[option]
        if name in existing:
            if existing[name]["key"] != definition["key"] or bool(existing[name].get("unique")) != bool(
                    definition.get("unique")) or existing[name].get("partialFilterExpression") != partial:
                raise MongoError(86 if existing[name]["key"] != definition["key"] else 85,
                                 f"An existing index has the same name as the requested index. When index names "
                                 f"are not specified, they are auto generated and can cause conflicts. Requested "
                                 f"index: {definition}, existing index: {existing[name]}")
            continue
        same_key = [s for s in existing.values() if s["key"] == definition["key"]
                    and s.get("partialFilterExpression") == partial]
        if same_key:
            raise MongoError(85, f"Index already exists with a different name: {same_key[0]['name']}")
        sql_name = sql_index_name(collection, name)
        columns = ", ".join(_key_expression(path, bool(spec.get("sparse")), hashed_indexes.is_hashed(direction))
                            for path, direction in key.items())
        unique = "unique " if spec.get("unique") else ""
        where = f" where {partial_indexes.where_clause(partial)}" if partial is not None else ""
        try:
            ctx.store.execute(f"create {unique}index {quote_ident(sql_name)} on "
                              f"{table_name(ctx.db, collection)} ({columns}){where}")
        except HeliosError as exc:
            if exc.sqlstate == "23505":
                raise MongoError(11000, f"Index build failed: E11000 duplicate key error collection: "
                                        f"{ctx.db}.{collection} index: {name}") from None
            raise from_helios_error(exc) from None
        hashed = [path for path, direction in key.items() if hashed_indexes.is_hashed(direction)]
        if hashed:
            _keep_arrays_out(ctx, collection, name, hashed[0])
        _comment(ctx.store, ctx.db, sql_name, definition)
        existing[name] = definition
    return {"numIndexesBefore": before, "numIndexesAfter": len(existing) + 1,
            "createdCollectionAutomatically": created_collection, "ok": 1.0}


def _keep_arrays_out(ctx: CommandContext, collection: str, name: str, path: str) -> None:
    """A hashed index's CHECK against arrays; when a document has one already, no index either (16766)."""
    try:
        ctx.store.execute(f"alter table {table_name(ctx.db, collection)} add constraint "
                          f"{quote_ident(hashed_indexes.constraint_name(name))} "
                          f"{hashed_indexes.no_array_check(_path_value(path))}")
    except HeliosError as exc:
        ctx.store.execute(f"drop index {quote_ident(ctx.db)}.{quote_ident(sql_index_name(collection, name))}")
        raise from_helios_error(exc) from None


def _create_text_index(ctx: CommandContext, collection: str, spec: dict[str, Any], name: str,
                       existing: dict[str, dict[str, Any]]) -> None:
    """A text index: a GIN index over the fields' tsvector (see text_search)."""
    definition = text_search.definition(spec, name)
    for other in existing.values():
        if other.get("key") == text_search.TEXT_KEY:
            if other.get("name") == name and other.get("weights") == definition["weights"]:
                return
            raise MongoError(85, f"An equivalent index already exists with a different name and options. "
                                 f"Requested index: {definition}, existing index: {other}")
    sql_name = sql_index_name(collection, name)
    try:
        ctx.store.execute(f"create index {quote_ident(sql_name)} on {table_name(ctx.db, collection)} "
                          f"using gin (({text_search.vector_sql(definition)}))")
    except HeliosError as exc:
        if exc.sqlstate in ("42883", "42704", "0A000"):
            raise MongoError(67, "text indexes need the search plugin: pip install helios-search") from None
        raise
    _comment(ctx.store, ctx.db, sql_name, definition)
    existing[name] = definition


def _comment(store: CollectionStore, db: str, sql_name: str, definition: dict[str, Any]) -> None:
    text = json.dumps(definition).replace("'", "''")
    store.execute(f"comment on index {quote_ident(db)}.{quote_ident(sql_name)} is '{text}'")


def keep_definition(store: CollectionStore, db: str, collection: str, definition: dict[str, Any]) -> None:
    """Replace the MongoDB definition kept for one index (collMod's changes)."""
    _comment(store, db, sql_index_name(collection, definition["name"]), definition)


def list_indexes(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    if not ctx.store.collection_exists(ctx.db, collection):
        raise MongoError(26, f"ns does not exist: {ctx.db}.{collection}")
    specs = [dict(ID_INDEX)] + list_index_specs(ctx.store, ctx.db, collection)
    cursor = ctx.command.get("cursor") or {}
    return {"cursor": ctx.server.cursors.open(f"{ctx.db}.$cmd.listIndexes.{collection}", iter(specs),
                                              cursor.get("batchSize")), "ok": 1.0}


def drop_indexes(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    if not ctx.store.collection_exists(ctx.db, collection):
        raise MongoError(26, f"ns not found {ctx.db}.{collection}")
    target = ctx.command.get("index")
    specs = list_index_specs(ctx.store, ctx.db, collection)
    if target == "*":
        names = [s["name"] for s in specs]
    elif isinstance(target, str):
        if target == "_id_":
            raise MongoError(72, "cannot drop _id index")
        names = [target]
    elif isinstance(target, dict):
        names = [s["name"] for s in specs if s["key"] == target]
        if not names:
            raise MongoError(27, f"can't find index with key: {target}")
    elif isinstance(target, list):
        names = list(target)
    else:
        raise MongoError(14, "dropIndexes 'index' must be a string, a document or an array of names")
    known = {s["name"] for s in specs}
    for name in names:
        if name not in known:
            raise MongoError(27, f"index not found with name [{name}]")
    by_name = {s["name"]: s for s in specs}
    for name in names:
        ctx.store.execute(f"drop index {quote_ident(ctx.db)}.{quote_ident(sql_index_name(collection, name))}")
        if any(hashed_indexes.is_hashed(d) for d in by_name[name]["key"].values()):
            ctx.store.execute(f"alter table {table_name(ctx.db, collection)} drop constraint if exists "
                              f"{quote_ident(hashed_indexes.constraint_name(name))}")
    return {"nIndexesWas": len(specs) + 1, "ok": 1.0}


def unique_index_for(store: CollectionStore, db: str, collection: str, constraint: str | None
                     ) -> dict[str, Any] | None:
    """The MongoDB definition of the unique index a 23505 names (None: the _id primary key)."""
    if not constraint or not constraint.startswith(f"{collection}$"):
        return None
    name = constraint[len(collection) + 1:]
    for spec in list_index_specs(store, db, collection):
        if spec["name"] == name:
            return spec
    return None


def key_value(spec: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for path in spec["key"]:
        values = candidates(doc, path)
        out[path] = None if not values or values[0] is None or repr(values[0]) == "MISSING" else values[0]
    return out


def expire_ttl_documents(store: CollectionStore) -> int:
    """Delete documents whose TTL-indexed date is older than the index's expireAfterSeconds."""
    removed = 0
    now = date_millis(datetime.datetime.now(datetime.UTC))
    for db in store.list_databases():
        for collection in store.list_collections(db):
            for spec in list_index_specs(store, db, collection):
                seconds = spec.get("expireAfterSeconds")
                if seconds is None or len(spec["key"]) != 1:
                    continue
                path = next(iter(spec["key"]))
                cutoff = now - int(seconds) * 1000
                expired = []
                for doc in store.scan(db, collection):
                    dates = [v for v in candidates(doc, path) for v in (v if isinstance(v, list) else [v])
                             if isinstance(v, datetime.datetime)]
                    if dates and min(date_millis(d) for d in dates) <= cutoff:
                        expired.append(doc["_id"])
                removed += store.delete_ids(db, collection, expired)
    return removed


def rename_collection(ctx: CommandContext) -> dict[str, Any]:
    """renameCollection: ALTER TABLE ... RENAME within a database; a copy and drop across databases."""
    source, target = ctx.command.get("renameCollection"), ctx.command.get("to")
    if not isinstance(source, str) or not isinstance(target, str) or "." not in source or "." not in target:
        raise MongoError(73, "renameCollection needs full namespaces: {renameCollection: 'db.a', to: 'db.b'}")
    src_db, src_coll = source.split(".", 1)
    dst_db, dst_coll = target.split(".", 1)
    store = ctx.store
    if not store.collection_exists(src_db, src_coll):
        raise MongoError(26, f"Source collection {source} does not exist")
    if source == target:
        raise MongoError(20, "Can't rename a collection to itself")
    drop_target = store.collection_exists(dst_db, dst_coll)
    if drop_target and not ctx.command.get("dropTarget"):
        raise MongoError(48, "target namespace exists")
    specs = list_index_specs(store, src_db, src_coll)
    ctx.server.collection_options.clear()
    if src_db == dst_db:  # one commit: the target's drop, the rename, the indexes' new names
        options = store.collection_options(src_db, src_coll)
        statements = [f"drop table if exists {table_name(dst_db, dst_coll)}"] if drop_target else []
        statements.append(f"alter table {table_name(src_db, src_coll)} rename to {quote_ident(dst_coll)}")
        if options:  # a rename does not carry the table's comment
            text = bson_json.dumps(options).replace("'", "''")
            statements.append(f"comment on table {table_name(dst_db, dst_coll)} is '{text}'")
        for spec in specs:
            new_name = sql_index_name(dst_coll, spec["name"])
            statements.append(f"alter index {quote_ident(src_db)}.{quote_ident(sql_index_name(src_coll, spec['name']))} "
                              f"rename to {quote_ident(new_name)}")
            text = json.dumps(spec).replace("'", "''")  # the rename drops the comment
            statements.append(f"comment on index {quote_ident(src_db)}.{quote_ident(new_name)} is '{text}'")
        store.execute("; ".join(statements))
        return {"ok": 1.0}
    if drop_target:
        store.drop_collection(dst_db, dst_coll)
    options = store.collection_options(src_db, src_coll)
    store.create_collection(dst_db, dst_coll, capped=bool(options.get("capped")))
    if options:
        store.set_collection_options(dst_db, dst_coll, options)
    if options.get("capped"):  # the natural order goes along
        store.insert_capped(dst_db, dst_coll, [doc for _, doc in store.natural_after(src_db, src_coll, 0)])
    else:
        store.execute(f"insert into {table_name(dst_db, dst_coll)} (_id, doc) "
                      f"select _id, doc from {table_name(src_db, src_coll)}")
    copy = type(ctx)(ctx.runner, {"createIndexes": dst_coll, "indexes": specs}, dst_db, store,
                     ctx.in_transaction, ctx.lsid, ctx.txn_number)
    if specs:
        create_indexes(copy)
    store.drop_collection(src_db, src_coll)
    return {"ok": 1.0}


def collection_stats(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    count = ctx.store.count(ctx.db, collection)
    size = ctx.store.size_bytes(ctx.db, collection)
    indexes = 1 + len(list_index_specs(ctx.store, ctx.db, collection)) \
        if ctx.store.collection_exists(ctx.db, collection) else 0
    reply = {"ns": f"{ctx.db}.{collection}", "count": count, "size": size, "storageSize": size,
             "avgObjSize": size // count if count else 0, "nindexes": indexes, "totalIndexSize": 0,
             "indexSizes": {}, "capped": False}
    options = ctx.store.collection_options(ctx.db, collection) if indexes else {}
    if options.get("capped"):
        reply["capped"] = True
        reply["maxSize"] = capped.effective_size(options["size"])
        if capped.document_limit(options) is not None:
            reply["max"] = capped.document_limit(options)
    return {**reply, "ok": 1.0}


def validate(ctx: CommandContext) -> dict[str, Any]:
    """Reads every document of the collection back (each must decode) and counts them."""
    collection = ctx.collection_name()
    if ctx.command.get("background") and ctx.command.get("full"):  # mongod refuses the pair too
        raise MongoError(72, "Running the validate command with both { background: true } and { full: true } is "
                             "not supported.")
    if not ctx.store.collection_exists(ctx.db, collection):
        raise MongoError(26, f"Collection '{ctx.db}.{collection}' does not exist to validate.")
    records = sum(1 for _ in ctx.store.scan(ctx.db, collection))
    indexes = 1 + len(list_index_specs(ctx.store, ctx.db, collection))
    return {"ns": f"{ctx.db}.{collection}", "nInvalidDocuments": 0, "nNonCompliantDocuments": 0,
            "nrecords": records, "nIndexes": indexes, "keysPerIndex": {}, "indexDetails": {}, "valid": True,
            "repaired": False, "warnings": [], "errors": [], "extraIndexEntries": [], "missingIndexEntries": [],
            "corruptRecords": [], "ok": 1.0}


def database_stats(ctx: CommandContext) -> dict[str, Any]:
    collections = ctx.store.list_collections(ctx.db)
    objects = sum(ctx.store.count(ctx.db, c) for c in collections)
    size = sum(ctx.store.size_bytes(ctx.db, c) for c in collections)
    indexes = sum(1 + len(list_index_specs(ctx.store, ctx.db, c)) for c in collections)
    return {"db": ctx.db, "collections": len(collections), "views": 0, "objects": objects,
            "avgObjSize": size / objects if objects else 0, "dataSize": float(size), "storageSize": float(size),
            "indexes": indexes, "indexSize": 0.0, "totalSize": float(size), "scaleFactor": 1, "ok": 1.0}
