"""``heliosdb.mongo(database, command)``: a MongoDB command inside the current SQL transaction.

``BEGIN; UPDATE permissions ...; SELECT heliosdb.mongo('app', '{"update": "profiles", ...}');
COMMIT`` changes a table and a collection in one ACID transaction: the command runs on the
calling statement's session (``SqlFunction(with_session=True)``), so its reads see the
transaction's writes and its writes commit or roll back with it. The answer is the command's
reply document as jsonb, in the form the collection's rows use (Extended JSON for BSON types
JSON lacks): ``{"n": 1, "ok": 1}``, ``{"cursor": {"firstBatch": [...], "id": ..., "ns": ...}, "ok": 1}``.

The commands are insert, update, delete, findAndModify, find and aggregate (without $out and
$merge, which change the catalog). A query's documents all come back in ``firstBatch`` (there is
no getMore from SQL). A write error fails the SQL statement, as a constraint violation does:
a duplicate key is 23505, a validator's refusal 23514, the other MongoDB errors 22023, each
naming the MongoDB code. A jsonb argument has jsonb's key order (by length); pass the command
as text to keep the order of its fields (compound sort keys, the documents' field order).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_protocol_mongo import bson_json, collation
from helios_protocol_mongo.aggregation import aggregate
from helios_protocol_mongo.commands import CommandContext
from helios_protocol_mongo.crud import delete, find, find_and_modify, insert, update
from helios_protocol_mongo.cursors import CursorRegistry
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.store import CollectionStore
from helios_protocol_mongo.wire import MAX_MESSAGE_SIZE

COMMANDS = {"insert": insert, "update": update, "delete": delete, "findandmodify": find_and_modify, "find": find,
            "aggregate": aggregate}
# MongoDB's error code -> the SQLSTATE a SQL client gets
SQLSTATES = {11000: "23505", 121: "23514", 13: "42501", 112: "40001"}


class _CallServer:
    """What the command handlers read of a server, for one call: its own cursors and option cache."""

    def __init__(self) -> None:
        self.cursors = CursorRegistry()
        self.collection_options: dict[Any, Any] = {}


class _CallRunner:
    """What the command handlers read of a connection's runner."""

    def __init__(self) -> None:
        self.server = _CallServer()
        self.largest_document = MAX_MESSAGE_SIZE


def run_command(session: Any, database: str, command: dict[str, Any]) -> dict[str, Any]:
    """Run one MongoDB command on ``session`` (the calling statement's) and return its reply."""
    name = next((k for k in command if k.lower() in COMMANDS), None)
    if name is None:
        first = next(iter(command), "")
        raise HeliosError(f"heliosdb.mongo() runs insert, update, delete, findAndModify, find and aggregate, "
                          f"not {first!r}", sqlstate="0A000")
    command = {name: command[name], **{k: v for k, v in command.items() if k != name}}
    if name.lower() == "find":  # every document in the first batch: SQL has no getMore
        command.pop("batchSize", None)
        command["singleBatch"] = True
    if name.lower() == "aggregate" and any(isinstance(s, dict) and ("$out" in s or "$merge" in s)
                                           for s in command.get("pipeline") or []):
        raise HeliosError("heliosdb.mongo() does not run $out or $merge (they change the catalog)", sqlstate="0A000")
    if command.get("lsid") is not None or command.get("txnNumber") is not None:
        raise HeliosError("heliosdb.mongo() runs in the SQL transaction: lsid and txnNumber are not taken",
                          sqlstate="0A000")
    ctx = CommandContext(_CallRunner(), command, database, CollectionStore(session, use_copy=False),
                         in_transaction=True)
    try:
        with collation.using(command.get("collation")):
            reply = COMMANDS[name.lower()](ctx)
    except MongoError as exc:
        raise _sql_error(exc.code, exc.message) from None
    errors = reply.get("writeErrors")
    if errors:
        raise _sql_error(int(errors[0].get("code", 2)), str(errors[0].get("errmsg", "")))
    cursor = reply.get("cursor")
    if isinstance(cursor, dict) and cursor.get("id"):
        raise HeliosError("heliosdb.mongo(): the result is larger than a 16 MiB reply; narrow it with limit or "
                          "skip", sqlstate="54000")
    reply["ok"] = 1
    return reply


def _sql_error(code: int, message: str) -> HeliosError:
    error = MongoError(code, message)
    return HeliosError(message, sqlstate=SQLSTATES.get(code, "22023"),
                       detail=f"MongoDB error {code} ({error.code_name})")


def _mongo(args: list[pa.Array], session: Any) -> pa.Array:
    out = []
    for database, text in zip(args[0].to_pylist(), args[1].to_pylist(), strict=True):
        try:
            command = bson_json.loads(text)
        except ValueError as exc:
            raise HeliosError(f"heliosdb.mongo(): the command is not JSON: {exc}", sqlstate="22P02") from None
        if not isinstance(command, dict) or not command:
            raise HeliosError("heliosdb.mongo(): the command must be a JSON object naming a command",
                              sqlstate="22023")
        out.append(bson_json.dumps(run_command(session, str(database), command)))
    return pa.array(out, pa.string())


def mongo_function() -> SqlFunction:
    # no arg_types: a text command keeps the order of its fields, a jsonb one has jsonb's order
    return SqlFunction(name="heliosdb.mongo", impl=_mongo, return_type="jsonb", with_session=True)
