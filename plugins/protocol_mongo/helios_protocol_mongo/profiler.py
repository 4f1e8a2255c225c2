"""The database profiler: the ``profile`` command and the ``system.profile`` collection.

As in mongod, the level belongs to a database and to this server's run (not kept across a
restart): 0 off, 1 the operations slower than ``slowms`` (100 ms by default), 2 all of them,
each kept with probability ``sampleRate`` and only when it matches ``filter`` if one is set.
A profiled operation becomes a document of the database's ``system.profile``, a capped
collection of 1 MiB made when the profiler first writes there: ``op`` (query, getmore,
insert, update, remove, command), ``ns``, ``command`` (as the client sent it), ``nreturned``,
``millis``, ``ts``, ``client`` and ``user``, plus ``ok``/``errCode``/``errName`` for a failed
one. ``system.profile`` can be read and dropped, not written by clients (error 73).
"""

from __future__ import annotations

import datetime
import random
import threading
from typing import TYPE_CHECKING, Any

import attrs
from bson import ObjectId

from helios_protocol_mongo import capped
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.expressions import is_number
from helios_protocol_mongo.query import compile_filter

if TYPE_CHECKING:
    from helios_protocol_mongo.commands import CommandContext, CommandRunner

COLLECTION = "system.profile"
SIZE = 1024 * 1024
DEFAULT_SLOW_MS = 100
OPS = {"find": "query", "getMore": "getmore", "insert": "insert", "update": "update", "delete": "remove"}
NOT_PROFILED = {"profile", "hello", "isMaster", "ismaster", "ping", "saslStart", "saslContinue", "endSessions",
                "killCursors"}
WRITES = {"insert", "update", "delete", "findAndModify", "findandmodify", "createIndexes", "collMod"}
DROPPED_FIELDS = {"lsid", "$clusterTime", "$readPreference", "txnNumber", "autocommit", "startTransaction"}


@attrs.define
class Setting:
    level: int = 0
    slow_ms: int = DEFAULT_SLOW_MS
    sample_rate: float = 1.0
    filter: dict[str, Any] | None = None


class Profiler:
    """The profiling settings of this server's databases."""

    def __init__(self) -> None:
        self._settings: dict[str, Setting] = {}
        self._lock = threading.Lock()

    def setting(self, db: str) -> Setting:
        with self._lock:
            return self._settings.get(db) or Setting()

    def change(self, db: str, setting: Setting) -> None:
        with self._lock:
            self._settings[db] = setting

    def active(self, db: str) -> bool:
        return bool(self._settings) and self.setting(db).level > 0

    def record(self, runner: CommandRunner, db: str, command: dict[str, Any], reply: dict[str, Any],
               millis: float) -> None:
        """Keep one operation in ``db``'s system.profile when its level, slowms, sampleRate and filter say so."""
        name = next(iter(command))
        setting = self.setting(db)
        if name in NOT_PROFILED or (setting.level == 1 and millis < setting.slow_ms):
            return
        if setting.sample_rate < 1.0 and random.random() >= setting.sample_rate:
            return
        entry = _entry(runner, db, name, command, reply, millis)
        if setting.filter is not None and not compile_filter(setting.filter)(entry):
            return
        store = runner.store()
        if not store.collection_exists(db, COLLECTION):
            store.create_collection(db, COLLECTION, capped=True)
            store.set_collection_options(db, COLLECTION, {"capped": True, "size": SIZE})
            runner.server.collection_options.pop((db, COLLECTION), None)
        options = {"capped": True, "size": SIZE}
        with capped.writing(db, COLLECTION):
            store.insert_capped(db, COLLECTION, [entry])
            capped.trim(store, db, COLLECTION, options)


def _entry(runner: CommandRunner, db: str, name: str, command: dict[str, Any], reply: dict[str, Any],
           millis: float) -> dict[str, Any]:
    target = command[name]
    if name == "getMore":
        target = command.get("collection")
    entry: dict[str, Any] = {
        "_id": ObjectId(),  # collections here are keyed by _id (mongod's profile documents have none)
        "op": OPS.get(name, "command"),
        "ns": f"{db}.{target}" if isinstance(target, str) else f"{db}.$cmd",
        "command": {k: v for k, v in command.items() if k not in DROPPED_FIELDS},
    }
    cursor = reply.get("cursor")
    if isinstance(cursor, dict):
        entry["nreturned"] = len(cursor.get("firstBatch", cursor.get("nextBatch", [])))
        entry["cursorid"] = cursor.get("id", 0)
    elif name in ("insert", "delete"):
        entry["ninserted" if name == "insert" else "ndeleted"] = reply.get("n", 0)
    elif name == "update":
        entry["nMatched"], entry["nModified"] = reply.get("n", 0), reply.get("nModified", 0)
    if reply.get("ok") != 1.0:
        entry.update({"ok": 0.0, "errCode": reply.get("code"), "errName": reply.get("codeName"),
                      "errMsg": reply.get("errmsg")})
    entry.update({"millis": int(millis), "ts": datetime.datetime.now(datetime.UTC),
                  "client": runner.connection.peer.rsplit(":", 1)[0], "appName": "", "allUsers": [],
                  "user": runner.user or ""})
    return entry


def profile(ctx: CommandContext) -> dict[str, Any]:
    """{profile: level, slowms, sampleRate, filter}: the level before the change, as mongod answers."""
    command = ctx.command
    level = command.get("profile")
    if not is_number(level) or isinstance(level, bool) or int(level) not in (-1, 0, 1, 2):
        raise MongoError(2, f"Invalid profiling level: {level}")
    profiler: Profiler = ctx.server.profiler
    before = profiler.setting(ctx.db)
    reply = {"was": before.level, "slowms": before.slow_ms, "sampleRate": before.sample_rate}
    if before.filter is not None:
        reply["filter"] = before.filter
    if int(level) == -1 and not any(k in command for k in ("slowms", "sampleRate", "filter")):
        return {**reply, "ok": 1.0}
    slow_ms = command.get("slowms", before.slow_ms)
    sample_rate = command.get("sampleRate", before.sample_rate)
    if not is_number(slow_ms) or isinstance(slow_ms, bool):
        raise MongoError(14, "'slowms' must be a number")
    if not is_number(sample_rate) or not 0 <= float(sample_rate) <= 1:
        raise MongoError(2, "'sampleRate' must be between 0.0 and 1.0 inclusive")
    flt = command.get("filter", before.filter)
    if flt == "unset":
        flt = None
    if flt is not None:
        if not isinstance(flt, dict):
            raise MongoError(14, "'filter' must be an object or the string 'unset'")
        compile_filter(flt)
    new_level = before.level if int(level) == -1 else int(level)
    profiler.change(ctx.db, Setting(new_level, int(slow_ms), float(sample_rate), flt))
    return {**reply, "ok": 1.0}


def check_write(db: str, collection: str) -> None:
    """Clients read and drop system.profile; writing to it is refused, as by mongod."""
    if collection == COLLECTION:
        raise MongoError(73, f"cannot write to '{db}.{COLLECTION}'")
