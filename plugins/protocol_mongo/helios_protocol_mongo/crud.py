"""insert, find, getMore, killCursors, update, delete, findAndModify, count, distinct.

Reads narrow the rows with ``sql_filter`` (jsonb containment and ``_id`` lookups the kernel
answers from the table and its primary key), then ``query`` decides each candidate
document; sort, skip and limit then run over the matched documents. Writes go back by
``_id`` (the primary key). Duplicate ``_id`` is error 11000 with MongoDB's E11000 wording.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import bson
from bson import Int64, ObjectId

from helios_core.errors import HeliosError
from helios_protocol_mongo import (
    bson_json,
    capped,
    change_streams,
    collation,
    document_locks,
    point_access,
    snapshot,
    tailable,
    text_search,
    time_limits,
    views,
)
from helios_protocol_mongo.bson_order import MISSING, sort_key
from helios_protocol_mongo.errors import MongoError, bad_value, from_helios_error
from helios_protocol_mongo.expressions import is_number
from helios_protocol_mongo.indexes import key_value, list_index_specs, unique_index_for
from helios_protocol_mongo.paths import candidates, set_path
from helios_protocol_mongo.pipeline import run_update_pipeline
from helios_protocol_mongo.projection import compile_projection
from helios_protocol_mongo.query import compile_filter
from helios_protocol_mongo.sql_filter import pushdown
from helios_protocol_mongo.update import check_replacement, compile_update, is_operator_update
from helios_protocol_mongo.validation import compile_validator, validation_error
from helios_protocol_mongo.wire import MAX_BSON_SIZE

if TYPE_CHECKING:
    from helios_protocol_mongo.commands import CommandContext

__all__ = ["COMMANDS", "collection_options", "compile_filter", "find_documents", "sort_documents"]


# -- reading ------------------------------------------------------------------------------------


def check_hint(ctx: CommandContext, collection: str, hint: Any) -> None:
    """A hint must name an existing index that is not hidden (it picks no plan here: the results are the same)."""
    if hint is None or hint == {} or hint == "":
        return
    specs = [{"name": "_id_", "key": {"_id": 1}},
             *(s for s in list_index_specs(ctx.store, ctx.db, collection) if not s.get("hidden"))]
    if isinstance(hint, str):
        found = any(s["name"] == hint for s in specs)
    elif isinstance(hint, dict):
        found = hint == {"$natural": 1} or hint == {"$natural": -1} or any(
            list(s["key"].items()) == list(hint.items()) for s in specs)
    else:
        found = False
    if not found:
        raise MongoError(2, "error processing query: planner returned error :: caused by :: hint provided does "
                            "not correspond to an existing index")


def find_documents(ctx: CommandContext, collection: str, spec: Any, *,
                   descending: bool = False) -> Iterator[dict[str, Any]]:
    """Documents of ``collection`` matching the filter ``spec`` (with ``$text``: scored, text_search);
    a capped collection's in natural order (``descending``: newest first)."""
    text, spec = text_search.split(spec)
    matcher = compile_filter(spec)
    view = views.lookup(ctx, ctx.db, collection)
    if view is not None:
        if text is not None:
            raise MongoError(2, "$text is not allowed on a view: its pipeline's first stage would have to be $match "
                                "with $text")
        return (d for d in views.documents(ctx, view, find_documents) if matcher(d))
    where, params, types = pushdown(spec or {})
    score = ""
    if text is not None:
        if not ctx.store.collection_exists(ctx.db, collection):
            return iter(())
        index = text_search.text_index(list_index_specs(ctx.store, ctx.db, collection))
        vector = text_search.vector_sql(index)
        query, query_params = text_search.query_sql(text, index, len(params) + 1)
        where = f"{vector} @@ {query}" + (f" and {where}" if where else "")
        params, types = [*params, *query_params], [*types, *["text"] * len(query_params)]
        score = f"ts_rank({vector}, {query})"
    docs = ctx.store.scan(ctx.db, collection, where, params, types, score=score, descending=descending,
                          as_of=snapshot.read_time(ctx))
    if time_limits.deadline() is not None:
        return (d for d in docs if time_limits.check() is None and matcher(d))
    return (d for d in docs if matcher(d))


def _sort_value(doc: dict[str, Any], path: str, descending: bool) -> tuple:
    values = []
    for v in candidates(doc, path):
        if isinstance(v, list):
            values.extend(v if v else [MISSING])
        else:
            values.append(v)
    keys = [sort_key(None if v is MISSING else v) for v in values] or [sort_key(None)]
    return max(keys) if descending else min(keys)


def sort_documents(docs: list[dict[str, Any]], sort: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not sort:
        return docs
    for path, direction in reversed(list(sort.items())):
        if text_search.sort_by_score(direction):  # {$meta: "textScore"}: best first
            docs.sort(key=lambda d: getattr(d, "text_score", 0.0), reverse=True)
            continue
        if isinstance(direction, dict):
            raise bad_value(f"Illegal key in $meta sort specification on {path}: {direction}")
        if direction not in (1, -1, 1.0, -1.0):
            raise bad_value(f"Invalid sort value for field {path}: sort values must be 1 or -1")
        descending = direction < 0
        docs.sort(key=lambda d, p=path, desc=descending: _sort_value(d, p, desc), reverse=descending)
    return docs


def _hinted_key(ctx: CommandContext, collection: str, hint: Any) -> dict[str, Any]:
    """The key pattern of the index a hint names (check_hint has made sure there is one)."""
    if isinstance(hint, dict):
        return hint
    specs = [{"name": "_id_", "key": {"_id": 1}}, *list_index_specs(ctx.store, ctx.db, collection)]
    return next(s["key"] for s in specs if s["name"] == hint)


def _index_order(ctx: CommandContext, collection: str, hint: Any) -> dict[str, Any] | None:
    """Without a sort, a hinted index decides the order, as MongoDB's scan of that index does
    ({$natural: -1}: a capped collection's newest first)."""
    if isinstance(hint, dict) and list(hint) == ["$natural"]:
        return dict(hint)
    if not hint or hint == {}:
        return None
    pattern = _hinted_key(ctx, collection, hint)
    if all(isinstance(d, int | float) and not isinstance(d, bool) and d in (1, -1) for d in pattern.values()):
        return pattern
    return None


def index_bounds(ctx: CommandContext, collection: str) -> Callable[[dict[str, Any]], bool] | None:
    """find's ``min``/``max``: documents whose key in the hinted index is >= min and < max (index order)."""
    low, high = ctx.command.get("min"), ctx.command.get("max")
    if low is None and high is None:
        return None
    hint = ctx.command.get("hint")
    if not hint:
        raise MongoError(51173, "When using min()/max() a hint of which index to use must be provided")
    pattern = _hinted_key(ctx, collection, hint)
    for bound in (low, high):
        if bound is not None and (not isinstance(bound, dict) or list(bound) != list(pattern)):
            raise MongoError(51174, "The index chosen is not compatible with min/max")
    paths = list(pattern)
    directions = [-1 if isinstance(d, int | float) and d < 0 else 1 for d in pattern.values()]

    def compare(doc_keys: list[tuple], bound: dict[str, Any]) -> int:
        for key, path, direction in zip(doc_keys, paths, directions, strict=True):
            other = sort_key(bound[path])
            if key != other:
                return direction if key > other else -direction
        return 0

    def within(doc: dict[str, Any]) -> bool:
        keys = [_sort_value(doc, path, direction < 0) for path, direction in zip(paths, directions, strict=True)]
        return (low is None or compare(keys, low) >= 0) and (high is None or compare(keys, high) < 0)
    return within


def _select(ctx: CommandContext, collection: str, spec: Any, sort: Any = None, skip: int = 0,
            limit: int = 0, bounds: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
    descending = False
    if isinstance(sort, dict) and list(sort) == ["$natural"]:  # the natural order: the scan's own
        descending, sort = sort["$natural"] in (-1, -1.0), None
    docs = find_documents(ctx, collection, spec, descending=descending)
    if bounds is not None:
        docs = (d for d in docs if bounds(d))
    if sort:
        ordered = sort_documents(list(docs), sort)
        docs = iter(ordered)
    if skip:
        docs = itertools.islice(docs, skip, None)
    if limit:
        docs = itertools.islice(docs, limit)
    return list(docs)


def _int_arg(ctx: CommandContext, name: str, default: int = 0) -> int:
    value = ctx.command.get(name, default)
    if value is None:
        return default
    if not is_number(value) or isinstance(value, bool):
        raise MongoError(14, f"BSON field '{name}' is the wrong type '{type(value).__name__}', expected types "
                             "'[long, int, decimal, double]'")
    return int(value)


def find(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    if ctx.read_at is None and point_access.is_point_find(ctx.command) and views.lookup(ctx, ctx.db, collection) is None:
        return point_access.find_by_id(ctx, collection)
    skip = _int_arg(ctx, "skip")
    limit = _int_arg(ctx, "limit")
    batch_size = ctx.command.get("batchSize")
    if skip < 0:
        raise bad_value(f"BSON field 'skip' value must be >= 0, actual value '{skip}'")
    single_batch = bool(ctx.command.get("singleBatch"))
    if limit < 0:
        limit, single_batch = -limit, True
    if batch_size is not None and int(batch_size) < 0:
        raise bad_value(f"BSON field 'batchSize' value must be >= 0, actual value '{batch_size}'")
    hint = ctx.command.get("hint")
    check_hint(ctx, collection, hint)
    if tailable.check_find(ctx, collection):
        matcher = compile_filter(ctx.command.get("filter"))
        projector = compile_projection(ctx.command.get("projection"), ctx.command.get("filter"))
        return {"cursor": tailable.find(ctx, collection, matcher, projector, skip, limit,
                                        None if batch_size is None else int(batch_size), single_batch), "ok": 1.0}
    docs = _select(ctx, collection, ctx.command.get("filter"), ctx.command.get("sort") or _index_order(ctx, collection, hint),
                   skip, limit, index_bounds(ctx, collection))
    projector = compile_projection(ctx.command.get("projection"), ctx.command.get("filter"))
    if projector is not None:
        docs = [projector(d) for d in docs]
    first = None if batch_size is None else int(batch_size)
    if single_batch and first is None:
        first = len(docs) or 1
    cursor = ctx.server.cursors.open(f"{ctx.db}.{collection}", iter(docs), first, single_batch=single_batch,
                                     lsid=ctx.lsid)
    return {"cursor": cursor, "ok": 1.0}


def get_more(ctx: CommandContext) -> dict[str, Any]:
    cursor_id = ctx.command["getMore"]
    collection = ctx.command.get("collection")
    if not isinstance(cursor_id, int):
        raise MongoError(14, "BSON field 'getMore.getMore' is the wrong type, expected type 'long'")
    batch = ctx.command.get("batchSize")
    namespace = f"{ctx.db}.{collection}"
    cursor = ctx.server.cursors.lookup(int(cursor_id), namespace)
    if isinstance(cursor.tail, change_streams.Stream):
        return {"cursor": change_streams.get_more(ctx, cursor, int(batch) if batch else None), "ok": 1.0}
    if cursor.tail is not None:
        return {"cursor": tailable.get_more(ctx, cursor, int(batch) if batch else None), "ok": 1.0}
    return {"cursor": ctx.server.cursors.get_more(int(cursor_id), namespace, int(batch) if batch else None),
            "ok": 1.0}


def kill_cursors(ctx: CommandContext) -> dict[str, Any]:
    killed, missing = [], []
    for cursor_id in ctx.command.get("cursors") or []:
        (killed if ctx.server.cursors.kill(int(cursor_id)) else missing).append(Int64(cursor_id))
    return {"cursorsKilled": killed, "cursorsNotFound": missing, "cursorsAlive": [], "cursorsUnknown": [],
            "ok": 1.0}


def count(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    query = ctx.command.get("query")
    skip = _int_arg(ctx, "skip")
    limit = abs(_int_arg(ctx, "limit"))
    check_hint(ctx, collection, ctx.command.get("hint"))
    if not query and not skip and not limit and views.lookup(ctx, ctx.db, collection) is None:
        return {"n": ctx.store.count(ctx.db, collection), "ok": 1.0}
    n = sum(1 for _ in find_documents(ctx, collection, query))
    n = max(0, n - skip)
    if limit:
        n = min(n, limit)
    return {"n": n, "ok": 1.0}


def distinct(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    key = ctx.command.get("key")
    if not isinstance(key, str):
        raise MongoError(14, "BSON field 'distinct.key' is missing or is the wrong type, expected type 'string'")
    seen: dict[tuple, Any] = {}
    for doc in find_documents(ctx, collection, ctx.command.get("query")):
        for value in candidates(doc, key):
            if value is MISSING:
                continue
            for item in (value if isinstance(value, list) else [value]):
                seen.setdefault(sort_key(item), item)
    return {"values": [seen[k] for k in sorted(seen)], "ok": 1.0}


# -- writing ------------------------------------------------------------------------------------


def _render(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, ObjectId):
        return f"ObjectId('{value}')"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k}: {_render(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[ " + ", ".join(_render(v) for v in value) + " ]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def duplicate_key_error(db: str, collection: str, key: dict[str, Any], index: str = "_id_") -> MongoError:
    rendered = ", ".join(f"{k}: {_render(v)}" for k, v in key.items())
    return MongoError(11000, f"E11000 duplicate key error collection: {db}.{collection} index: {index} "
                             f"dup key: {{ {rendered} }}",
                      extra={"keyPattern": {k: 1 for k in key}, "keyValue": key})


def _write_error(index: int, error: MongoError) -> dict[str, Any]:
    out = {"index": index, "code": error.code, "errmsg": error.message}
    if error.code == 11000:
        out.update(error.extra)
    return out


def collection_options(ctx: CommandContext, collection: str) -> dict[str, Any]:
    """create's options of the collection (cached by the server; cleared by create, drop, rename)."""
    key = (ctx.db, collection)
    cache = ctx.server.collection_options
    if key not in cache:
        cache[key] = ctx.store.collection_options(ctx.db, collection)
    return cache[key]


def _validate(ctx: CommandContext, collection: str, docs: list[dict[str, Any]],
              old: dict[str, Any] | None = None) -> None:
    """The collection's validator on written documents (``old``: the document an update replaces)."""
    if ctx.command.get("bypassDocumentValidation"):
        return
    options = collection_options(ctx, collection)
    if not options.get("validator") or options.get("validationAction") == "warn" \
            or options.get("validationLevel") == "off":
        return
    check = compile_validator(options["validator"])
    if old is not None and options.get("validationLevel") == "moderate" and not check(old):
        return  # moderate: a document that was invalid already may stay so
    for doc in docs:
        if not check(doc):
            raise validation_error(doc)


def _check_size(doc: dict[str, Any]) -> None:
    if bson_json.bson_size(doc) > MAX_BSON_SIZE:
        raise MongoError(10334, f"object to insert too large. size in bytes: {bson_json.bson_size(doc)}, "
                                f"max size: {MAX_BSON_SIZE}")


def _prepare_insert(doc: dict[str, Any], check_size: bool = True) -> dict[str, Any]:
    if "_id" not in doc:
        doc = {"_id": ObjectId(), **doc}
    elif next(iter(doc)) != "_id":
        doc = {"_id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}
    if isinstance(doc["_id"], list):
        raise MongoError(53, "The '_id' value cannot be of type array")
    if isinstance(doc["_id"], dict) and any(k.startswith("$") for k in doc["_id"]):
        raise MongoError(52, "_id fields may not contain '$'-prefixed fields")
    if check_size:
        _check_size(doc)
    return doc


def unique_violation(ctx: CommandContext, collection: str, exc: HeliosError, doc: dict[str, Any]) -> MongoError:
    """A kernel 23505 as MongoDB's E11000, naming the _id index or the unique index that refused ``doc``."""
    spec = unique_index_for(ctx.store, ctx.db, collection, getattr(exc, "constraint_name", None))
    if spec is None:
        return duplicate_key_error(ctx.db, collection, {"_id": doc.get("_id")})
    return duplicate_key_error(ctx.db, collection, key_value(spec, doc), spec["name"])


def _store_insert(ctx: CommandContext, collection: str, docs: list[dict[str, Any]]) -> int:
    """Insert ``docs`` as one batch (a capped collection then drops its oldest past its caps)."""
    options = collection_options(ctx, collection)
    if options.get("capped"):
        capped.check_write(ctx, collection, options)
        return capped.insert(ctx, collection, docs, options)
    return ctx.store.insert(ctx.db, collection, docs)


def _document_error(exc: HeliosError) -> MongoError | None:
    """A kernel error about the written document itself (a write error, not the command's): an array
    in a hashed index's field (16766, its CHECK)."""
    error = from_helios_error(exc)
    return error if error.code == 16766 else None


def _insert_one(ctx: CommandContext, collection: str, doc: dict[str, Any]) -> None:
    _validate(ctx, collection, [doc])
    try:
        _store_insert(ctx, collection, [doc])
    except HeliosError as exc:
        if exc.sqlstate == "23505":
            raise unique_violation(ctx, collection, exc, doc) from None
        raise _document_error(exc) or exc from None


def insert(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    documents = ctx.command.get("documents") or []
    ordered = ctx.command.get("ordered", True)
    write_errors: list[dict[str, Any]] = []
    prepared: list[tuple[int, dict[str, Any]]] = []
    # no document of the message can outgrow the limit (an added _id is 17 bytes): no need to encode each again
    check_size = ctx.runner.largest_document + 32 > MAX_BSON_SIZE
    for index, doc in enumerate(documents):
        try:
            prepared.append((index, _prepare_insert(doc, check_size)))
        except MongoError as exc:
            write_errors.append(_write_error(index, exc))
            if ordered:
                break
    if write_errors and ordered:
        prepared = [(i, d) for i, d in prepared if i < write_errors[0]["index"]]
    n = 0
    docs = [d for _, d in prepared]
    options = collection_options(ctx, collection)
    if options.get("validator") and not ctx.command.get("bypassDocumentValidation"):
        docs = []  # one by one: each document is validated and reported at its own index
    if docs and not ctx.in_transaction:
        try:
            n = _store_insert(ctx, collection, docs)
            prepared = []
        except HeliosError as exc:
            if exc.sqlstate != "23505" and _document_error(exc) is None:
                raise
    for index, doc in prepared:  # one by one: find the duplicate(s) and keep the others' order rules
        try:
            _insert_one(ctx, collection, doc)
            n += 1
        except MongoError as exc:
            write_errors.append(_write_error(index, exc))
            if ordered or ctx.in_transaction:
                break
    write_errors.sort(key=lambda e: e["index"])
    reply: dict[str, Any] = {"n": n, "ok": 1.0}
    if write_errors:
        reply["writeErrors"] = write_errors
    return reply


def _upsert_seed(query: dict[str, Any]) -> dict[str, Any]:
    """The fields an upsert's new document takes from the query's equality conditions."""
    seed: dict[str, Any] = {}

    def take(spec: dict[str, Any]) -> None:
        for key, value in spec.items():
            if key == "$and":
                for part in value:
                    take(part)
            elif key.startswith("$"):
                continue
            elif isinstance(value, dict) and value and next(iter(value)).startswith("$"):
                if "$eq" in value:
                    set_path(seed, key, copy.deepcopy(value["$eq"]))
            else:
                set_path(seed, key, copy.deepcopy(value))
    take(query)
    return seed


def _apply(doc: dict[str, Any] | None, spec: Any, query: dict[str, Any], array_filters: Any,
           inserting: bool, updater: Callable[[dict[str, Any], bool], dict[str, Any]] | None = None) -> dict[str, Any]:
    """The document after the update ``spec`` (``updater``: compile_update's of it, when made already)."""
    if isinstance(spec, list):
        new = run_update_pipeline(doc or {}, spec)
        if doc is not None and "_id" in doc and "_id" not in new:  # a pipeline keeps the document's _id
            new = {"_id": doc["_id"], **new}
    elif is_operator_update(spec):
        new = (updater or compile_update(spec, query, array_filters))(doc or {}, inserting)
    else:
        if not isinstance(spec, dict):
            raise MongoError(9, "Update argument must be either an object or an array")
        check_replacement(spec)
        new = copy.deepcopy(spec)
        if doc is not None and "_id" in doc:
            if "_id" in new and sort_key(new["_id"]) != sort_key(doc["_id"]):
                raise _immutable_id(doc, new)
            new = {"_id": doc["_id"], **{k: v for k, v in new.items() if k != "_id"}}
            change_streams.note_replacement(new)
    if doc is not None and "_id" in doc and ("_id" not in new or sort_key(new["_id"]) != sort_key(doc["_id"])):
        raise _immutable_id(doc, new)
    return new


def _immutable_id(old: dict[str, Any], new: dict[str, Any]) -> MongoError:
    return MongoError(66, f"After applying the update, the (immutable) field '_id' was found to have been "
                          f"altered to _id: {_render(new.get('_id'))}")


def _store_new(ctx: CommandContext, collection: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Write ``new`` over ``old``; False when nothing changed (MongoDB's nModified ignores no-ops).
    The BSON of each tells: equal bytes are the same fields, order, types and values."""
    encoded = bson.encode(new)
    if len(encoded) > MAX_BSON_SIZE:
        raise MongoError(10334, f"object to insert too large. size in bytes: {len(encoded)}, "
                                f"max size: {MAX_BSON_SIZE}")
    before = bson.encode(old)
    if before == encoded:
        return False
    options = collection_options(ctx, collection)
    if options.get("capped"):
        capped.check_same_size(before, encoded)
    _validate(ctx, collection, [new], old)
    ctx.store.replace(ctx.db, collection, old["_id"], new)
    return True


def _upsert(ctx: CommandContext, collection: str, query: dict[str, Any], spec: Any,
            array_filters: Any) -> dict[str, Any]:
    if is_operator_update(spec) or isinstance(spec, list):
        seed = _upsert_seed(query)
        new = _apply(seed, spec, query, array_filters, inserting=True)
    else:
        check_replacement(spec)
        new = copy.deepcopy(spec)
        seed_id = _upsert_seed(query).get("_id", MISSING)
        if "_id" not in new and seed_id is not MISSING:
            new["_id"] = seed_id
    new = _prepare_insert(new)
    _insert_one(ctx, collection, new)
    return new


def update(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    ordered = ctx.command.get("ordered", True)
    counts = {"n": 0, "nModified": 0}
    upserted: list[dict[str, Any]] = []
    write_errors: list[dict[str, Any]] = []
    for index, statement in enumerate(ctx.command.get("updates") or []):
        try:
            with collation.using(statement.get("collation")):
                _update_statement(ctx, collection, index, statement, counts, upserted)
        except MongoError as exc:
            write_errors.append(_write_error(index, exc))
            if ordered or ctx.in_transaction:
                break
    reply: dict[str, Any] = {**counts, "ok": 1.0}
    if upserted:
        reply["upserted"] = upserted
    if write_errors:
        reply["writeErrors"] = write_errors
    return reply


def _update_statement(ctx: CommandContext, collection: str, index: int, statement: dict[str, Any],
                      counts: dict[str, int], upserted: list[dict[str, Any]]) -> None:
    """One statement of an update command; ``counts`` (n, nModified) go on from the earlier statements'
    and keep what this one did before an error."""
    capped.check_write(ctx, collection, collection_options(ctx, collection))
    check_hint(ctx, collection, statement.get("hint"))
    query = statement.get("q") or {}
    spec = statement.get("u")
    multi = bool(statement.get("multi"))
    if multi and not is_operator_update(spec) and not isinstance(spec, list):
        raise MongoError(9, "multi update is not supported for replacement-style update")
    array_filters = statement.get("arrayFilters")
    updater = None
    if is_operator_update(spec):
        updater = compile_update(spec, query, array_filters)  # a bad update is refused even when nothing matches
    key = point_access.point_key(query)
    if key is not point_access.NOT_FOUND:  # one _id: a primary-key lookup, no filter to run
        with document_locks.holding(ctx, collection, key):
            found = ctx.store.point_read(ctx.db, collection, key)
            _update_matched(ctx, collection, [] if found is None else [found], index, statement, counts, upserted,
                            updater)
        return
    docs = find_documents(ctx, collection, query)
    matched = list(docs) if multi else list(itertools.islice(docs, 1))
    if statement.get("sort") and not multi:
        matched = sort_documents(list(find_documents(ctx, collection, query)), statement["sort"])[:1]
    if len(matched) == 1 and not ctx.in_transaction:
        # read again under the document's lock: another update may have changed it since
        with document_locks.holding(ctx, collection, matched[0]["_id"]):
            fresh = ctx.store.point_read(ctx.db, collection, matched[0]["_id"])
            current = [fresh] if fresh is not None and compile_filter(query)(fresh) else []
            _update_matched(ctx, collection, current, index, statement, counts, upserted, updater)
        return
    if len(matched) > 1 and not ctx.store.is_capped(ctx.db, collection):
        # MongoDB visits them in insertion order, and an error stops it there with the earlier ones written;
        # _id order is that order for ObjectIds (a table's scan order changes as rows are updated)
        matched.sort(key=lambda d: sort_key(d["_id"]))
    if matched and not ctx.in_transaction:  # updateMany: each document atomic on its own, as in MongoDB
        still_matches = compile_filter(query)
        for doc in matched:
            time_limits.check()
            with document_locks.holding(ctx, collection, doc["_id"]):
                fresh = ctx.store.point_read(ctx.db, collection, doc["_id"])
                if fresh is not None and still_matches(fresh):  # changed meanwhile so it no longer matches
                    _update_matched(ctx, collection, [fresh], index, statement, counts, upserted, updater)
        return
    _update_matched(ctx, collection, matched, index, statement, counts, upserted, updater)


def _update_matched(ctx: CommandContext, collection: str, matched: list[dict[str, Any]], index: int,
                    statement: dict[str, Any], counts: dict[str, int], upserted: list[dict[str, Any]],
                    updater: Any) -> None:
    """Apply an update statement to the documents it matched (or upsert when none and it may)."""
    query = statement.get("q") or {}
    spec = statement.get("u")
    array_filters = statement.get("arrayFilters")
    if not matched and statement.get("upsert"):
        new = _upsert(ctx, collection, query, spec, array_filters)
        upserted.append({"index": index, "_id": new["_id"]})
        counts["n"] += 1
        return
    for doc in matched:
        new = _apply(doc, spec, query, array_filters, inserting=False, updater=updater)
        counts["n"] += 1
        try:
            if _store_new(ctx, collection, doc, new):
                counts["nModified"] += 1
        except HeliosError as exc:
            if exc.sqlstate == "23505":
                raise unique_violation(ctx, collection, exc, new) from None
            raise _document_error(exc) or exc from None


def delete(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    ordered = ctx.command.get("ordered", True)
    n = 0
    write_errors: list[dict[str, Any]] = []
    for index, statement in enumerate(ctx.command.get("deletes") or []):
        try:
            capped.check_write(ctx, collection, collection_options(ctx, collection))
            check_hint(ctx, collection, statement.get("hint"))
            limit = statement.get("limit", 0)
            if limit not in (0, 1):
                raise MongoError(9, f"The limit field in delete objects must be 0 or 1. Got {limit}")
            with collation.using(statement.get("collation")):
                docs = find_documents(ctx, collection, statement.get("q") or {})
                matched = list(itertools.islice(docs, 1)) if limit == 1 else list(docs)
            n += ctx.store.delete_ids(ctx.db, collection, [d["_id"] for d in matched])
        except MongoError as exc:
            write_errors.append(_write_error(index, exc))
            if ordered or ctx.in_transaction:
                break
    reply: dict[str, Any] = {"n": n, "ok": 1.0}
    if write_errors:
        reply["writeErrors"] = write_errors
    return reply


def find_and_modify(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    command = ctx.command
    query = command.get("query") or {}
    remove = bool(command.get("remove"))
    spec = command.get("update")
    if remove and spec is not None:
        raise MongoError(9, "Cannot specify both an update and remove=true")
    if not remove and spec is None:
        raise MongoError(9, "Either an update or remove=true must be specified")
    if remove and command.get("upsert"):
        raise MongoError(9, "Cannot specify both upsert=true and remove=true")
    if remove and command.get("new"):
        raise MongoError(9, "Cannot specify both new=true and remove=true; 'remove' always returns the deleted "
                            "document")
    capped.check_write(ctx, collection, collection_options(ctx, collection))
    check_hint(ctx, collection, command.get("hint"))
    matched = _select(ctx, collection, query, command.get("sort"), 0, 1)
    projector = compile_projection(command.get("fields"), query)

    def shaped(doc: dict[str, Any] | None) -> Any:
        if doc is None:
            return None
        return projector(doc) if projector is not None else doc

    if remove:
        if matched:
            ctx.store.delete_ids(ctx.db, collection, [matched[0]["_id"]])
        return {"lastErrorObject": {"n": len(matched)}, "value": shaped(matched[0] if matched else None), "ok": 1.0}
    if not matched or ctx.in_transaction:
        return _modify_one(ctx, collection, matched, shaped)
    with document_locks.holding(ctx, collection, matched[0]["_id"]):  # read again under the document's lock
        fresh = ctx.store.point_read(ctx.db, collection, matched[0]["_id"])
        current = [fresh] if fresh is not None and compile_filter(query)(fresh) else []
        return _modify_one(ctx, collection, current, shaped)


def _modify_one(ctx: CommandContext, collection: str, matched: list[dict[str, Any]],
                shaped: Callable[[dict[str, Any] | None], Any]) -> dict[str, Any]:
    """findAndModify's update (or upsert) of the document it matched, if any."""
    command = ctx.command
    query = command.get("query") or {}
    spec = command.get("update")
    array_filters = command.get("arrayFilters")
    try:
        if not matched:
            if command.get("upsert"):
                new = _upsert(ctx, collection, query, spec, array_filters)
                return {"lastErrorObject": {"n": 1, "updatedExisting": False, "upserted": new["_id"]},
                        "value": shaped(new) if command.get("new") else None, "ok": 1.0}
            return {"lastErrorObject": {"n": 0, "updatedExisting": False}, "value": None, "ok": 1.0}
        old = matched[0]
        new = _apply(old, spec, query, array_filters, inserting=False)
        _store_new(ctx, collection, old, new)
    except HeliosError as exc:
        if exc.sqlstate == "23505":
            raise unique_violation(ctx, collection, exc, new if matched else {}) from None
        raise from_helios_error(exc) from None
    return {"lastErrorObject": {"n": 1, "updatedExisting": True},
            "value": shaped(new if command.get("new") else old), "ok": 1.0}


def explain(ctx: CommandContext) -> dict[str, Any]:
    """What a find/count/distinct/update/delete/findAndModify would do: the SQL narrowing the rows
    (a primary-key lookup, jsonb containment or a full scan) and the filter decided per document."""
    inner = ctx.command.get("explain")
    if not isinstance(inner, dict) or not inner:
        raise MongoError(9, "explain needs a command document")
    name = next(iter(inner))
    collection = inner[name]
    filters = {"find": "filter", "count": "query", "distinct": "query", "findAndModify": "query",
               "findandmodify": "query"}
    if name in filters:
        spec = inner.get(filters[name]) or {}
    elif name in ("update", "delete"):
        statements = inner.get("updates" if name == "update" else "deletes") or [{}]
        spec = statements[0].get("q") or {}
    else:
        raise MongoError(115, f"explain of {name} is not supported by HeliosDB")
    compile_filter(spec)
    check_hint(ctx, collection, inner.get("hint"))
    where, _params, _types = pushdown(spec)
    stage = "IDHACK" if where.startswith("_id =") and " and " not in where else ("FETCH" if where else "COLLSCAN")
    plan = {"stage": stage, "sql": f"select doc from {ctx.db}.{collection}" + (f" where {where}" if where else ""),
            "filter": spec, "documentFilter": "every condition, checked per document"}
    reply: dict[str, Any] = {"queryPlanner": {"namespace": f"{ctx.db}.{collection}", "parsedQuery": spec,
                                              "winningPlan": plan, "rejectedPlans": []}}
    verbosity = ctx.command.get("verbosity", "allPlansExecution")
    if verbosity not in ("queryPlanner", "executionStats", "allPlansExecution"):
        raise MongoError(2, f"verbosity must be queryPlanner, executionStats or allPlansExecution, not {verbosity!r}")
    if verbosity != "queryPlanner":
        reply["executionStats"] = _execution_stats(ctx, collection, spec, stage)
        if verbosity == "allPlansExecution":
            reply["executionStats"]["allPlansExecution"] = []
    return {**reply, "command": inner, "serverInfo": {"host": "heliosdb"}, "ok": 1.0}


def _execution_stats(ctx: CommandContext, collection: str, spec: Any, stage: str) -> dict[str, Any]:
    """What running the query part finds (a write's changes are not made, as MongoDB's explain): the
    rows SQL handed over, the documents the filter kept, the time it took."""
    started = time.perf_counter()
    matcher = compile_filter(spec)
    where, params, types = pushdown(spec or {})
    examined = returned = 0
    for doc in ctx.store.scan(ctx.db, collection, where, params, types):
        examined += 1
        returned += bool(matcher(doc))
    millis = int((time.perf_counter() - started) * 1000)
    return {"executionSuccess": True, "nReturned": returned, "executionTimeMillis": millis,
            "totalKeysExamined": examined if stage == "IDHACK" else 0, "totalDocsExamined": examined,
            "executionStages": {"stage": stage, "nReturned": returned, "executionTimeMillisEstimate": millis,
                                "docsExamined": examined}}


COMMANDS: dict[str, Callable[[CommandContext], dict[str, Any]]] = {
    "insert": insert,
    "find": find,
    "getMore": get_more,
    "killCursors": kill_cursors,
    "update": update,
    "delete": delete,
    "findAndModify": find_and_modify,
    "findandmodify": find_and_modify,
    "count": count,
    "distinct": distinct,
    "explain": explain,
}
