"""The ``aggregate`` command: a leading $match narrows the scan (``crud.find_documents``), the
stages run in ``pipeline``, and a final $out or $merge writes the result to a collection."""

from __future__ import annotations

import datetime
import hashlib
from typing import TYPE_CHECKING, Any

from bson import Binary

from helios_core.errors import HeliosError
from helios_protocol_mongo import change_streams, text_search
from helios_protocol_mongo.crud import duplicate_key_error, find_documents
from helios_protocol_mongo.errors import MongoError, refuse_oplog
from helios_protocol_mongo.pipeline import refuse_where, run_pipeline
from helios_protocol_mongo.query import compile_filter

if TYPE_CHECKING:
    from helios_protocol_mongo.commands import CommandContext


def aggregate(ctx: CommandContext) -> dict[str, Any]:
    target = ctx.command["aggregate"]
    pipeline = ctx.command.get("pipeline")
    if not isinstance(pipeline, list):
        raise MongoError(14, "'pipeline' option must be specified as an array")
    if "cursor" not in ctx.command and not ctx.command.get("explain"):
        raise MongoError(9, "The 'cursor' option is required, except for aggregate with the explain argument")
    if ctx.command.get("explain"):
        raise MongoError(115, "explain of aggregate is not supported by HeliosDB")
    final = pipeline[-1] if pipeline else {}
    write_stage = next(iter(final), None) if isinstance(final, dict) else None
    if write_stage not in ("$out", "$merge"):
        write_stage = None
    stages = pipeline[:-1] if write_stage else pipeline

    def load(name: str) -> list[dict[str, Any]]:
        return list(find_documents(ctx, name, {}))

    if stages and isinstance(stages[0], dict) and "$changeStream" in stages[0] and write_stage is None:
        return change_streams.open_stream(ctx, target, stages, find_documents)
    if any(isinstance(stage, dict) and "$changeStream" in stage for stage in pipeline):
        raise MongoError(40602, "$changeStream is only valid as the first stage in a pipeline")
    if isinstance(target, str):
        refuse_oplog(ctx.db, target)
    if target == 1 or target == 1.0:
        if stages and isinstance(stages[0], dict) and "$documents" in stages[0]:
            docs = iter(list(stages[0]["$documents"]))
            stages = stages[1:]
        elif stages and isinstance(stages[0], dict) and "$listLocalSessions" in stages[0]:
            docs = iter(_local_sessions(ctx))
            stages = stages[1:]
        else:
            raise MongoError(73, "aggregate with no collection needs a $documents or $listLocalSessions first "
                                 "stage ($currentOp is not supported)")
        namespace = f"{ctx.db}.$cmd.aggregate"
    else:
        if not isinstance(target, str):
            raise MongoError(73, f"Invalid collection name: {target!r}")
        first_filter: dict[str, Any] = {}
        if stages and isinstance(stages[0], dict) and "$match" in stages[0]:
            first_filter = stages[0]["$match"]
            refuse_where(first_filter)
            compile_filter(text_search.split(first_filter)[1])  # $text: answered by find_documents
            stages = stages[1:]
        docs = find_documents(ctx, target, first_filter)
        namespace = f"{ctx.db}.{target}"
    results = run_pipeline(docs, stages, load)
    if write_stage is not None:
        _write_out(ctx, write_stage, final[write_stage], list(results))
        results = iter(())
    cursor = ctx.command.get("cursor") or {}
    batch = cursor.get("batchSize")
    return {"cursor": ctx.server.cursors.open(namespace, iter(list(results)), batch, lsid=ctx.lsid), "ok": 1.0}


def _write_out(ctx: CommandContext, stage: str, spec: Any, docs: list[dict[str, Any]]) -> None:
    if stage == "$out":
        db, name = (spec.get("db", ctx.db), spec.get("coll")) if isinstance(spec, dict) else (ctx.db, spec)
        ctx.store.drop_collection(db, name)
        ctx.store.create_collection(db, name)
        _insert_all(ctx, db, name, docs)
        return
    into = spec if isinstance(spec, str) else spec.get("into")
    db, name = (into.get("db", ctx.db), into.get("coll")) if isinstance(into, dict) else (ctx.db, into)
    on = spec.get("on", "_id") if isinstance(spec, dict) else "_id"
    if on != "_id":
        raise MongoError(51183, "$merge on fields other than _id needs a unique index, which is not supported yet")
    matched = spec.get("whenMatched", "merge") if isinstance(spec, dict) else "merge"
    not_matched = spec.get("whenNotMatched", "insert") if isinstance(spec, dict) else "insert"
    ctx.store.create_collection(db, name)
    existing = {repr(d["_id"]): d for d in find_documents(_in(ctx, db), name, {})}
    for doc in docs:
        current = existing.get(repr(doc.get("_id")))
        if current is None:
            if not_matched == "insert":
                _insert_all(ctx, db, name, [doc])
            elif not_matched == "fail":
                raise MongoError(13113, "$merge could not find a matching document in the target collection")
            continue
        if matched == "keepExisting":
            continue
        if matched == "fail":
            raise duplicate_key_error(db, name, {"_id": doc["_id"]})
        new = doc if matched == "replace" else {**current, **doc}
        ctx.store.replace(db, name, current["_id"], new)


def _in(ctx: CommandContext, db: str) -> CommandContext:
    return type(ctx)(ctx.runner, ctx.command, db, ctx.store, ctx.in_transaction, ctx.lsid, ctx.txn_number)


def _insert_all(ctx: CommandContext, db: str, name: str, docs: list[dict[str, Any]]) -> None:
    if not docs:
        return
    try:
        ctx.store.insert(db, name, docs)
    except HeliosError as exc:
        if exc.sqlstate == "23505":
            raise MongoError(11000, f"E11000 duplicate key error collection: {db}.{name} index: _id_") from None
        raise


def _local_sessions(ctx: CommandContext) -> list[dict[str, Any]]:
    """$listLocalSessions: the logical sessions this server knows, the caller's included."""
    lsids = ctx.server.sessions.lsids()
    if ctx.lsid is not None and ctx.lsid not in lsids:
        lsids.append(ctx.lsid)
    now = datetime.datetime.now(datetime.UTC)
    return [{"_id": {"id": Binary(lsid, 4), "uid": Binary(hashlib.sha256(b"").digest(), 0)}, "lastUse": now}
            for lsid in lsids]
