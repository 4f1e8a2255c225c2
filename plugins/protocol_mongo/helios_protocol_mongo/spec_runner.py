"""Runs MongoDB's unified-format CRUD spec tests with pymongo against a server (a tool, not a test).

    python -m helios_protocol_mongo.spec_runner --uri mongodb://127.0.0.1:27017/ [FILE ...]

Without files it runs the CRUD core subset of ``../shared/corpora/mongodb-specifications``
(``HELIOS_MONGO_SPECS`` overrides the corpus folder); ``--legacy`` runs the legacy v1/v2 CRUD
files, converted to the unified shape. Each test gets its initial data, runs
its operations through pymongo, and is checked against ``expectResult``/``expectError``,
``expectEvents`` (the commands the driver sent, through command monitoring) and ``outcome``,
with the format's matching rules: numbers compare by value, root documents may have extra
fields, ``$$unsetOrMatches``/``$$exists``/``$$type`` operators. Prints one line per failing
test and a summary per file.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pymongo
from bson import json_util
from bson.json_util import JSONMode, JSONOptions
from pymongo import monitoring
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from helios_protocol_mongo.expressions import bson_type_name, is_number


def _default_corpus() -> Path:
    """$HELIOS_MONGO_SPECS, else shared/corpora/mongodb-specifications beside the repository or the cwd."""
    env = os.environ.get("HELIOS_MONGO_SPECS")
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" / "corpora" / "mongodb-specifications"
                   for p in (*Path(__file__).resolve().parents, Path.cwd(), *Path.cwd().parents)]
    for candidate in candidates:
        if (candidate / "source" / "crud").is_dir():
            return candidate
    return candidates[0]


DEFAULT_CORPUS = _default_corpus()
CORE_SUBSET = ["aggregate", "bulkWrite", "bypassDocumentValidation", "count", "count-empty", "create-null-ids",
               "db-aggregate", "deleteMany", "deleteOne", "distinct", "find", "findOne", "findOneAndDelete",
               "findOneAndReplace", "findOneAndReplace-upsert", "findOneAndUpdate", "insertMany", "insertOne",
               "replaceOne", "updateMany", "updateOne"]
SERVER_VERSION = (7, 0, 0)
IGNORED_EVENTS = {"hello", "isMaster", "ismaster", "buildInfo", "endSessions", "ping", "saslStart",
                  "saslContinue", "configureFailPoint"}
# Legacy files the specification replaced by unified ones with narrower requirements: they expect the
# driver to refuse a hint on a w:0 write, which drivers do only for servers before 4.4 (4.2 for
# updates). Against a 7.0 server their expectations no longer hold for any server; the successors
# (same operations, both server ranges) are in the unified folder and are what to run.
LEGACY_SUPERSEDED = {
    "unacknowledged-bulkWrite-delete-hint-clientError": ["bulkWrite-deleteOne-hint-unacknowledged",
                                                         "bulkWrite-deleteMany-hint-unacknowledged"],
    "unacknowledged-bulkWrite-update-hint-clientError": ["bulkWrite-updateOne-hint-unacknowledged",
                                                         "bulkWrite-updateMany-hint-unacknowledged",
                                                         "bulkWrite-replaceOne-hint-unacknowledged"],
    "unacknowledged-findOneAndDelete-hint-clientError": ["findOneAndDelete-hint-unacknowledged"],
    "unacknowledged-findOneAndReplace-hint-clientError": ["findOneAndReplace-hint-unacknowledged"],
    "unacknowledged-findOneAndUpdate-hint-clientError": ["findOneAndUpdate-hint-unacknowledged"],
    "unacknowledged-deleteMany-hint-clientError": ["deleteMany-hint-unacknowledged"],
    "unacknowledged-deleteOne-hint-clientError": ["deleteOne-hint-unacknowledged"],
    "unacknowledged-replaceOne-hint-clientError": ["replaceOne-hint-unacknowledged"],
    "unacknowledged-updateMany-hint-clientError": ["updateMany-hint-unacknowledged"],
    "unacknowledged-updateOne-hint-clientError": ["updateOne-hint-unacknowledged"],
}
EXTENDED = JSONOptions(json_mode=JSONMode.RELAXED, tz_aware=True)


class Mismatch(Exception):
    """An expectation did not hold."""


@attrs.define
class FileScore:
    name: str
    passed: int = 0
    failed: list[tuple[str, str]] = attrs.Factory(list)
    skipped: int = 0
    superseded_by: list[str] = attrs.Factory(list)


class _Events(monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def started(self, event: Any) -> None:
        if event.command_name not in IGNORED_EVENTS:
            self.seen.append(event)

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:3]) + (0,) * (3 - len(text.split(".")[:3]))


def requirements_met(requirements: list[dict[str, Any]] | None) -> bool:
    if not requirements:
        return True
    for req in requirements:
        ok = True
        if "minServerVersion" in req and SERVER_VERSION < _version(req["minServerVersion"]):
            ok = False
        if "maxServerVersion" in req and SERVER_VERSION > _version(req["maxServerVersion"]):
            ok = False
        if "topologies" in req and not {"single", "replicaset"} & set(req["topologies"]):
            ok = False
        if req.get("serverless") == "require" or req.get("auth") is True:
            ok = False
        if ok:
            return True
    return False


# -- matching -------------------------------------------------------------------------------


def match(expected: Any, actual: Any, path: str = "", root: bool = True, lenient: bool = False) -> None:
    """``lenient``: the legacy files' rules (extra fields allowed at every level, null = absent)."""
    if lenient and expected is None and actual is _UNSET:
        return
    if isinstance(expected, dict) and len(expected) == 1 and next(iter(expected)).startswith("$$"):
        op, arg = next(iter(expected.items()))
        if op == "$$unsetOrMatches":
            if actual is not _UNSET:
                match(arg, actual, path, root, lenient)
            return
        if op == "$$exists":
            if (actual is not _UNSET) != bool(arg):
                raise Mismatch(f"{path}: expected exists={arg}")
            return
        if op == "$$type":
            names = arg if isinstance(arg, list) else [arg]
            if actual is _UNSET or bson_type_name(actual) not in names and not (
                    "long" in names and bson_type_name(actual) == "int"):
                raise Mismatch(f"{path}: expected type {names}, got {actual!r}")
            return
        if op in ("$$matchesEntity", "$$sessionLsid", "$$lte", "$$matchAsDocument", "$$matchAsRoot"):
            return  # not needed by the CRUD subset's expectations we check
        raise Mismatch(f"{path}: unsupported operator {op}")
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            raise Mismatch(f"{path}: expected a document, got {actual!r}")
        for key, value in expected.items():
            match(value, actual.get(key, _UNSET), f"{path}.{key}", root=False, lenient=lenient)
        if not root and not lenient:
            extra = set(actual) - set(expected)
            if extra:
                raise Mismatch(f"{path}: unexpected fields {sorted(extra)}")
        return
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            raise Mismatch(f"{path}: expected {expected!r}, got {actual!r}")
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            match(e, a, f"{path}[{i}]", root=False, lenient=lenient)
        return
    if is_number(expected) and is_number(actual) and not isinstance(actual, bool):
        if float(str(expected)) != float(str(actual)):
            raise Mismatch(f"{path}: expected {expected!r}, got {actual!r}")
        return
    if actual is _UNSET or expected != actual or type(expected) is bool and type(actual) is not bool:
        raise Mismatch(f"{path}: expected {expected!r}, got {actual!r}")


_UNSET: Any = type("Unset", (), {"__repr__": lambda self: "<unset>"})()


# -- operations ----------------------------------------------------------------------------


def _sort(value: Any) -> Any:
    return list(value.items()) if isinstance(value, dict) else value


def _common(args: dict[str, Any]) -> dict[str, Any]:
    names = {"upsert": "upsert", "arrayFilters": "array_filters", "hint": "hint", "collation": "collation",
             "comment": "comment", "let": "let", "bypassDocumentValidation": "bypass_document_validation",
             "projection": "projection", "sort": "sort", "ordered": "ordered", "skip": "skip", "limit": "limit",
             "batchSize": "batch_size", "allowDiskUse": "allow_disk_use", "maxTimeMS": "maxTimeMS"}
    out = {}
    for key, value in args.items():
        if key in names:
            out[names[key]] = _sort(value) if key == "sort" else value
    return out


def _update_result(result: Any) -> dict[str, Any]:
    if not result.acknowledged:
        return {"acknowledged": False}
    out = {"matchedCount": result.matched_count, "modifiedCount": result.modified_count,
           "upsertedCount": 1 if result.upserted_id is not None else 0}
    if result.upserted_id is not None:
        out["upsertedId"] = result.upserted_id
    return out


def _bulk_requests(requests: list[dict[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for request in requests:
        if "name" in request:  # the legacy files' shape
            kind, spec = request["name"], request.get("arguments") or {}
        else:
            (kind, spec), = request.items()
        extra = _common({k: v for k, v in spec.items() if k not in ("filter", "update", "replacement", "document")})
        if kind == "insertOne":
            out.append(pymongo.InsertOne(spec["document"]))
        elif kind == "deleteOne":
            out.append(pymongo.DeleteOne(spec["filter"], **extra))
        elif kind == "deleteMany":
            out.append(pymongo.DeleteMany(spec["filter"], **extra))
        elif kind == "updateOne":
            out.append(pymongo.UpdateOne(spec["filter"], spec["update"], **extra))
        elif kind == "updateMany":
            out.append(pymongo.UpdateMany(spec["filter"], spec["update"], **extra))
        elif kind == "replaceOne":
            out.append(pymongo.ReplaceOne(spec["filter"], spec["replacement"], **extra))
        else:
            raise Mismatch(f"bulk request {kind} is not supported by the runner")
    return out


def _bulk_result(result: Any) -> dict[str, Any]:
    # pymongo's BulkWriteResult does not keep inserted ids: the format allows them unset
    if not result.acknowledged:  # w: 0 -- no counts exist
        return {"acknowledged": False}
    return {"deletedCount": result.deleted_count, "insertedCount": result.inserted_count,
            "matchedCount": result.matched_count, "modifiedCount": result.modified_count,
            "upsertedCount": result.upserted_count, "upsertedIds": {str(k): v for k, v in result.upserted_ids.items()}}


def run_operation(entities: dict[str, Any], op: dict[str, Any]) -> Any:
    target = entities[op["object"]]
    name = op["name"]
    args = dict(op.get("arguments") or {})
    if "session" in args:
        args["session"] = entities[args["session"]]
    session = {"session": args["session"]} if "session" in args else {}
    common = _common(args)
    if name == "insertOne":
        result = target.insert_one(args["document"], **session, **_only(common, "bypass_document_validation",
                                                                        "comment"))
        return {"insertedId": result.inserted_id}
    if name == "insertMany":
        result = target.insert_many(args["documents"], **session, **_only(common, "ordered", "comment",
                                                                          "bypass_document_validation"))
        return {"insertedIds": {str(i): v for i, v in enumerate(result.inserted_ids)}}
    if name == "findOne":
        return target.find_one(args.get("filter", {}), **session, **_only(
            common, "projection", "sort", "skip", "hint", "collation", "comment", "allow_disk_use", "let"))
    if name == "find":
        cursor = target.find(args.get("filter", {}), **session, **_only(
            common, "projection", "sort", "skip", "limit", "batch_size", "hint", "collation", "comment",
            "allow_disk_use", "let"))
        return list(cursor)
    if name == "aggregate":
        options = _only(common, "batch_size", "collation", "comment", "let", "hint",
                        "bypass_document_validation", "maxTimeMS")
        if "allow_disk_use" in common:
            options["allowDiskUse"] = common["allow_disk_use"]
        if "batch_size" in options:
            options["batchSize"] = options.pop("batch_size")
        if "bypass_document_validation" in options:
            options["bypassDocumentValidation"] = options.pop("bypass_document_validation")
        return list(target.aggregate(args["pipeline"], **session, **options))
    if name == "countDocuments":
        return target.count_documents(args.get("filter", {}), **session, **_only(common, "skip", "limit", "hint",
                                                                                 "collation", "comment"))
    if name == "estimatedDocumentCount":
        return target.estimated_document_count(**_only(common, "comment", "maxTimeMS"))
    if name == "count":
        return target.database.command("count", target.name, query=args.get("filter", {}),
                                       **_only(common, "skip", "limit", "collation", "hint"))["n"]
    if name == "distinct":
        return target.distinct(args["fieldName"], args.get("filter"), **session, **_only(common, "collation",
                                                                                         "comment", "hint"))
    if name in ("deleteOne", "deleteMany"):
        fn = target.delete_one if name == "deleteOne" else target.delete_many
        deleted = fn(args["filter"], **session, **_only(common, "hint", "collation", "comment", "let"))
        return {"deletedCount": deleted.deleted_count} if deleted.acknowledged else {"acknowledged": False}
    if name in ("updateOne", "updateMany"):
        fn = target.update_one if name == "updateOne" else target.update_many
        return _update_result(fn(args["filter"], args["update"], **session, **_only(
            common, "upsert", "array_filters", "hint", "collation", "comment", "let", "bypass_document_validation",
            "sort")))
    if name == "replaceOne":
        return _update_result(target.replace_one(args["filter"], args["replacement"], **session, **_only(
            common, "upsert", "hint", "collation", "comment", "let", "bypass_document_validation", "sort")))
    if name in ("findOneAndUpdate", "findOneAndReplace", "findOneAndDelete"):
        options = _only(common, "projection", "sort", "upsert", "array_filters", "hint", "collation", "comment",
                        "let")
        if "bypass_document_validation" in common:  # passed through to the findAndModify command as is
            options["bypassDocumentValidation"] = common["bypass_document_validation"]
        if "returnDocument" in args:
            options["return_document"] = (pymongo.ReturnDocument.AFTER if args["returnDocument"] == "After"
                                          else pymongo.ReturnDocument.BEFORE)
        if name == "findOneAndUpdate":
            return target.find_one_and_update(args["filter"], args["update"], **session, **options)
        if name == "findOneAndReplace":
            return target.find_one_and_replace(args["filter"], args["replacement"], **session, **options)
        options.pop("upsert", None)
        options.pop("return_document", None)
        return target.find_one_and_delete(args["filter"], **session, **options)
    if name == "bulkWrite":
        return _bulk_result(target.bulk_write(_bulk_requests(args["requests"]), **session,
                                              **_only(common, "ordered", "comment", "let",
                                                      "bypass_document_validation")))
    raise Mismatch(f"operation {name} is not supported by the runner")


def _only(options: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k in names}


def check_error(expected: dict[str, Any], error: Exception) -> None:
    if expected.get("isClientError") and isinstance(error, OperationFailure):
        raise Mismatch(f"expected a client error, got server error {error}")
    code = getattr(error, "code", None)
    if "errorCode" in expected and code != expected["errorCode"]:
        raise Mismatch(f"expected error code {expected['errorCode']}, got {code} ({error})")
    if "errorCodeName" in expected:
        details = getattr(error, "details", None) or {}
        if details.get("codeName") != expected["errorCodeName"]:
            raise Mismatch(f"expected {expected['errorCodeName']}, got {details.get('codeName')}")
    if "errorContains" in expected and expected["errorContains"].lower() not in str(error).lower():
        raise Mismatch(f"expected error containing {expected['errorContains']!r}, got {error}")
    if "expectResult" in expected and isinstance(error, BulkWriteError):
        details = error.details
        partial = {"insertedCount": details.get("nInserted"), "deletedCount": details.get("nRemoved"),
                   "matchedCount": details.get("nMatched"), "modifiedCount": details.get("nModified"),
                   "upsertedCount": details.get("nUpserted"),
                   "upsertedIds": {str(u["index"]): u["_id"] for u in details.get("upserted", [])}}
        match(expected["expectResult"], partial)


# -- running --------------------------------------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    return json_util.loads(path.read_text(), json_options=EXTENDED)


def _with_options(collection: Any, options: dict[str, Any]) -> Any:
    concerns: dict[str, Any] = {}
    if "writeConcern" in options:
        concerns["write_concern"] = WriteConcern(**options["writeConcern"])
    if "readConcern" in options:
        concerns["read_concern"] = ReadConcern(**options["readConcern"])
    return collection.with_options(**concerns)


def run_test(uri: str, spec: dict[str, Any], test: dict[str, Any]) -> None:
    clients: list[pymongo.MongoClient] = []
    listeners: dict[str, _Events] = {}
    entities: dict[str, Any] = {}
    try:
        for entity in spec.get("createEntities", []):
            (kind, options), = entity.items()
            if kind == "client":
                events = _Events()
                client = pymongo.MongoClient(uri, event_listeners=[events], serverSelectionTimeoutMS=5000,
                                             **(options.get("uriOptions") or {}))
                clients.append(client)
                listeners[options["id"]] = events
                entities[options["id"]] = client
            elif kind == "database":
                entities[options["id"]] = entities[options["client"]][options["databaseName"]]
            elif kind == "collection":
                entities[options["id"]] = entities[options["database"]][options["collectionName"]]
                if options.get("collectionOptions"):
                    entities[options["id"]] = _with_options(entities[options["id"]], options["collectionOptions"])
            elif kind == "session":
                entities[options["id"]] = entities[options["client"]].start_session()
            else:
                raise Mismatch(f"entity {kind} is not supported by the runner")
        if test.get("collectionOptions"):
            entities["collection0"] = _with_options(entities["collection0"], test["collectionOptions"])
        setup = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
        clients.append(setup)
        for data in spec.get("initialData", []):
            coll = setup[data["databaseName"]][data["collectionName"]]
            coll.drop()
            coll.database.create_collection(data["collectionName"])
            if data["documents"]:
                coll.insert_many(data["documents"])
        for events in listeners.values():
            events.seen.clear()
        for op in test["operations"]:
            if op["object"] == "testRunner":
                raise Mismatch(f"testRunner operation {op['name']} is not supported by the runner")
            scope = entities
            if op.get("collectionOptions"):
                scope = {**entities, op["object"]: _with_options(entities[op["object"]], op["collectionOptions"])}
            try:
                result = run_operation(scope, op)
            except (PyMongoError, ValueError) as error:  # pymongo refuses some requests itself (ValueError)
                if "expectError" not in op:
                    raise Mismatch(f"{op['name']}: unexpected error {error}") from None
                check_error(op["expectError"], error)
                continue
            if "expectError" in op:
                raise Mismatch(f"{op['name']}: expected an error, got {result!r}")
            if "expectResult" in op:
                match(op["expectResult"], result, op["name"], root=True)
            if "saveResultAsEntity" in op:
                entities[op["saveResultAsEntity"]] = result
        for expectation in test.get("expectEvents", []):
            events = listeners[expectation["client"]].seen
            expected = [e["commandStartedEvent"] for e in expectation.get("events", []) if "commandStartedEvent" in e]
            if len(events) != len(expected):
                raise Mismatch(f"expected {len(expected)} command events, got {[e.command_name for e in events]}")
            for want, got in zip(expected, events, strict=True):
                if "commandName" in want and want["commandName"] != got.command_name:
                    raise Mismatch(f"expected command {want['commandName']}, got {got.command_name}")
                if "databaseName" in want and want["databaseName"] != got.database_name:
                    raise Mismatch(f"expected database {want['databaseName']}, got {got.database_name}")
                if "command" in want:
                    match(want["command"], dict(got.command), got.command_name, root=True,
                          lenient=bool(test.get("legacy")))
        for data in test.get("outcome", []):
            docs = list(setup[data["databaseName"]][data["collectionName"]].find({}, sort=[("_id", 1)]))
            match(data["documents"], docs, f"outcome {data['collectionName']}", root=False)
    finally:
        for client in clients:
            client.close()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _legacy_operation(op: dict[str, Any], result: Any, error: Any) -> dict[str, Any]:
    obj = {"collection": "collection0", "database": "database0"}.get(op.get("object", "collection"), "collection0")
    arguments = dict(op.get("arguments") or {})
    arguments.update(arguments.pop("options", None) or {})  # legacy files nest some options
    out = {"object": obj, "name": op["name"], "arguments": arguments}
    if op.get("collectionOptions"):
        out["collectionOptions"] = op["collectionOptions"]
    if error:
        out["expectError"] = {"isError": True}
    elif result is not None:
        if isinstance(result, dict) and "insertedIds" in result:
            result = {**result, "insertedIds": {"$$unsetOrMatches": result["insertedIds"]}}
        if isinstance(result, dict) and result.get("upsertedCount") == 0 and "upsertedId" not in result:
            result = dict(result)
        out["expectResult"] = result
    return out


def legacy_to_unified(spec: dict[str, Any], default_collection: str) -> dict[str, Any]:
    """A legacy v1/v2 CRUD file in the unified format's shape (same checks, same runner)."""
    database = spec.get("database_name", "crud-tests")
    collection = spec.get("collection_name", default_collection)
    requirements = spec.get("runOn") or [{k: v for k, v in spec.items() if k in ("minServerVersion",
                                                                                    "maxServerVersion")}]
    unified: dict[str, Any] = {
        "runOnRequirements": requirements,
        "createEntities": [{"client": {"id": "client0", "observeEvents": ["commandStartedEvent"]}},
                           {"database": {"id": "database0", "client": "client0", "databaseName": database}},
                           {"collection": {"id": "collection0", "database": "database0",
                                           "collectionName": collection}}],
        "initialData": [{"databaseName": database, "collectionName": collection, "documents": spec.get("data", [])}],
        "tests": [],
    }
    for test in spec.get("tests", []):
        converted: dict[str, Any] = {"description": test["description"], "legacy": True}
        if test.get("collectionOptions"):
            converted["collectionOptions"] = test["collectionOptions"]
        if test.get("skipReason"):
            converted["skipReason"] = test["skipReason"]
        if "operation" in test:  # v1: one operation, its result in the outcome
            outcome = test.get("outcome") or {}
            converted["operations"] = [_legacy_operation(test["operation"], outcome.get("result"),
                                                         outcome.get("error"))]
        else:
            converted["operations"] = [_legacy_operation(op, op.get("result"), op.get("error"))
                                       for op in test.get("operations", [])]
        if test.get("expectations"):
            converted["expectEvents"] = [{"client": "client0", "events": [
                {"commandStartedEvent": {_camel(k): v for k, v in e["command_started_event"].items()}}
                for e in test["expectations"]]}]
        target = (test.get("outcome") or {}).get("collection")
        if target is not None:
            converted["outcome"] = [{"databaseName": database, "collectionName": target.get("name", collection),
                                     "documents": target["data"]}]
        unified["tests"].append(converted)
    return unified


def run_file(uri: str, path: Path) -> FileScore:
    spec = _load(path)
    score = FileScore(path.stem)
    if "createEntities" not in spec:
        if path.stem in LEGACY_SUPERSEDED:
            score.skipped = len(spec.get("tests", []))
            score.superseded_by = LEGACY_SUPERSEDED[path.stem]
            return score
        spec = legacy_to_unified(spec, path.stem.replace("-", "_"))
    if not requirements_met(spec.get("runOnRequirements")):
        score.skipped = len(spec.get("tests", []))
        return score
    for test in spec.get("tests", []):
        if test.get("skipReason") or not requirements_met(test.get("runOnRequirements")):
            score.skipped += 1
            continue
        try:
            run_test(uri, spec, test)
            score.passed += 1
        except Mismatch as exc:
            score.failed.append((test["description"], str(exc)))
        except (PyMongoError, KeyError, TypeError, ValueError) as exc:
            score.failed.append((test["description"], f"{type(exc).__name__}: {exc}"))
    return score


def corpus_files(corpus: Path, names: list[str]) -> Iterator[Path]:
    folder = corpus / "source" / "crud" / "tests" / "unified"
    for name in names:
        yield folder / f"{name}.json"


def legacy_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "legacy").glob("crud-v*/**/*.json"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uri", default="mongodb://127.0.0.1:27017/")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--legacy", action="store_true", help="run the legacy v1/v2 CRUD files instead")
    parser.add_argument("files", nargs="*", help="spec files (default: the CRUD core subset)")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    paths = [Path(f) for f in args.files] or (legacy_files(corpus) if args.legacy else
                                             list(corpus_files(corpus, CORE_SUBSET)))
    total_passed = total_failed = total_skipped = 0
    for path in paths:
        score = run_file(args.uri, path)
        total_passed += score.passed
        total_failed += len(score.failed)
        total_skipped += score.skipped
        for description, why in score.failed:
            print(f"FAIL {score.name}: {description}: {why}")
        superseded = f" (superseded by unified {', '.join(score.superseded_by)})" if score.superseded_by else ""
        print(f"{score.name}: {score.passed} passed, {len(score.failed)} failed, {score.skipped} skipped"
              + superseded)
    ran = total_passed + total_failed
    share = 100.0 * total_passed / ran if ran else 0.0
    print(f"total: {total_passed}/{ran} passed ({share:.1f}%), {total_skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
