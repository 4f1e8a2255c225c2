"""Command dispatch for one connection, and the handshake and administrative commands.

``CommandRunner.run`` turns one request into one reply document: it finds the command by
its first key, picks the kernel session it runs on (the connection's, or the transaction's
of its ``lsid``) and maps errors onto MongoDB's ``{ok: 0, code, codeName, errmsg}``. The
collection commands live in ``crud`` and ``aggregation``.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import platform
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import bson
from bson import Int64, ObjectId

from helios_core.errors import HeliosError
from helios_core.session import statement_take_turn, statement_waiting
from helios_protocol_mongo import (
    authentication,
    capped,
    change_streams,
    collation,
    crud,
    point_access,
    profiler,
    snapshot,
    time_limits,
    views,
)
from helios_protocol_mongo.aggregation import aggregate
from helios_protocol_mongo.collection_modify import coll_mod
from helios_protocol_mongo.errors import MongoError, from_helios_error, refuse_oplog
from helios_protocol_mongo.indexes import (
    collection_stats,
    create_indexes,
    database_stats,
    drop_indexes,
    list_indexes,
    rename_collection,
    validate,
)
from helios_protocol_mongo.logical_sessions import LogicalSession
from helios_protocol_mongo.store import ORDER_COLUMN, CollectionStore
from helios_protocol_mongo.users import create_user, drop_user, update_user, users_info
from helios_protocol_mongo.validation import check_settings, compile_validator
from helios_protocol_mongo.wire import COMPRESSORS, MAX_BSON_SIZE, MAX_MESSAGE_SIZE, OP_QUERY, Message

log = logging.getLogger("helios.mongodb")

SERVER_VERSIONS = {17: "6.0.0", 21: "7.0.0"}
REPLICA_SET = "helios"
ELECTION_ID = ObjectId("7fffffff0000000000000001")
# commands allowed before a handshake and that never touch a session's transaction
NO_TRANSACTION = {"hello", "ismaster", "ping", "buildinfo", "endsessions", "committransaction",
                  "aborttransaction", "killcursors", "getmore"}


@attrs.define
class CommandContext:
    """What a command handler gets: the command, its database, the store it runs on."""

    runner: CommandRunner
    command: dict[str, Any]
    db: str
    store: CollectionStore
    in_transaction: bool = False
    lsid: bytes | None = None
    txn_number: int | None = None
    read_at: int | None = None  # a snapshot read's commit timestamp (snapshot.read_time)

    @property
    def server(self) -> Any:
        return self.runner.server

    def collection_name(self) -> str:
        name = next(iter(self.command.values()))
        if not isinstance(name, str) or not name:
            raise MongoError(73, f"collection name has invalid type {type(name).__name__}")
        refuse_oplog(self.db, name)
        if name == profiler.COLLECTION and next(iter(self.command)) in profiler.WRITES:
            profiler.check_write(self.db, name)
        if "\x00" in name or (name.startswith("system.") and name != profiler.COLLECTION):
            raise MongoError(73, f"Invalid collection name: {name}")
        views.refuse(self, next(iter(self.command)), name)
        return name


NOT_IN_TRANSACTION = {"drop", "dropdatabase", "renamecollection", "dropindexes", "deleteindexes", "createuser",
                      "dropuser", "updateuser", "collmod", "converttocapped", "clonecollectionascapped", "profile"}
UNSIGNED = {"hash": bson.Binary(bytes(20)), "keyId": Int64(0)}  # no keys: cluster times are not signed
Handler = Callable[[CommandContext], dict[str, Any]]


class CommandRunner:
    """Runs the commands of one connection (in worker threads, one at a time)."""

    def __init__(self, server: Any, connection: Any) -> None:
        self.server = server
        self.connection = connection
        self._session: Any = None
        self._store: CollectionStore | None = None
        self.compressors: list[str] = []
        self.user: str | None = None  # the user a SCRAM login authenticated
        self.branch: str | None = None  # chosen with {heliosdb: 1, branch: ...}; None: the role's default
        self.conversation: authentication.Conversation | None = None
        self.largest_document = MAX_MESSAGE_SIZE  # of the message being run: bounds its documents' sizes
        self.command_slot: Any = None  # a connection thread's server.command_slots: it holds one while a command runs

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """A command that waits (an awaitData getMore) gives its slot to others meanwhile."""
        slot = self.command_slot
        if slot is not None:
            slot.release()
        try:
            with statement_waiting():
                yield
        finally:
            if slot is not None:
                slot.acquire()
        statement_take_turn()

    # -- sessions ---------------------------------------------------------------------

    def store(self) -> CollectionStore:
        if self._store is None:
            self._session = self.server.open_session(self.user or "helios", self.branch)
            self._store = CollectionStore(self._session)
        return self._store

    def open_session(self) -> Any:
        """A kernel session for the logged-in user on the connection's branch (a transaction's)."""
        return self.server.open_session(self.user or "helios", self.branch)

    def logged_in(self, user: str) -> None:
        """Later commands run as ``user``: the connection's kernel session is opened again."""
        self.user = user
        self.close()

    def close(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            except HeliosError:
                pass
            self._session = None
            self._store = None

    # -- dispatch ---------------------------------------------------------------------

    def run(self, message: Message) -> dict[str, Any]:
        command = message.command
        self.largest_document = message.largest_document
        if not command:
            return MongoError(59, "no such command: ''").reply()
        name = next(iter(command))
        db = command.get("$db")
        if message.op_code == OP_QUERY:
            db = message.legacy_collection.split(".", 1)[0]
        if not isinstance(db, str) or not db:
            return MongoError(40414, "BSON field 'OperationRequest.$db' is missing but a required field").reply()
        handler = COMMANDS.get(name) or COMMANDS.get(name.lower())
        if handler is None:
            return MongoError(59, f"no such command: '{name}'").reply()
        if self.server.auth.configured and self.user is None and name.lower() not in authentication.OPEN_COMMANDS:
            return MongoError(13, f"Command {name} requires authentication").reply()
        if name == "find" and not self.server.profiler.active(db):
            key = point_access.plain_point_key(command)
            reply = self._point_find(command, db, key) if key is not point_access.NOT_FOUND else None
            if reply is not None:
                return reply
        started = time.perf_counter()
        try:
            _check_api_version(name, command)
            _check_read_concern(command)
            with collation.using(None if name in ("create", "createIndexes") else command.get("collation")), \
                    time_limits.limit(name, command.get("maxTimeMS")):
                reply = self._run_in_session(handler, command, db, name)
        except MongoError as exc:
            reply = exc.reply()
        except HeliosError as exc:
            reply = from_helios_error(exc).reply()
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, bson.errors.BSONError) as exc:
            log.warning("mongodb: %s failed", name, exc_info=True)
            reply = MongoError(2, f"{name}: {type(exc).__name__}: {exc}").reply()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("mongodb: %s on %s in %.1f ms", name, db, (time.perf_counter() - started) * 1000)
        if "ok" not in reply:
            reply["ok"] = 1.0
        if self.server.profiler.active(db):
            try:
                self.server.profiler.record(self, db, command, reply, (time.perf_counter() - started) * 1000)
            except (HeliosError, MongoError):
                log.warning("mongodb: could not write %s.system.profile", db, exc_info=True)
        _write_concern(command, reply)
        now = self.server.cluster_time()
        reply.setdefault("operationTime", now)
        reply["$clusterTime"] = {"clusterTime": now, "signature": UNSIGNED}
        return reply

    def _point_find(self, command: dict[str, Any], db: str, key: Any) -> dict[str, Any] | None:
        """``find_one`` by ``key`` (``point_access.plain_point_key``): the general path's reply without
        its per-command steps, which have nothing to do for it (no collation, time limit, read concern,
        API version, transaction or snapshot); None for a view or an unexpected failure (the general
        path then runs the command and reports it)."""
        collection = command["find"]
        try:
            ctx = CommandContext(self, command, db, self.store())
            if views.lookup(ctx, db, collection) is not None:
                return None
            reply = point_access.find_by_id(ctx, collection, key)
        except HeliosError as exc:
            reply = from_helios_error(exc).reply()
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, bson.errors.BSONError):
            return None
        now = self.server.cluster_time()
        reply["operationTime"] = now
        reply["$clusterTime"] = {"clusterTime": now, "signature": UNSIGNED}
        return reply

    def _run_in_session(self, handler: Handler, command: dict[str, Any], db: str, name: str) -> dict[str, Any]:
        lsid_doc = command.get("lsid")
        lsid = bytes(lsid_doc["id"]) if isinstance(lsid_doc, dict) and "id" in lsid_doc else None
        txn_number = command.get("txnNumber")
        if lsid is None or txn_number is None or name.lower() in ("hello", "ismaster"):
            return _call(handler, CommandContext(self, command, db, self.store(), lsid=lsid))
        session = self.server.sessions.get(lsid)
        with session.lock:
            if command.get("autocommit") is False:
                return self._run_transactional(session, handler, command, db, name, int(txn_number))
            return self._run_retryable(session, handler, command, db, int(txn_number))

    def _run_transactional(self, session: LogicalSession, handler: Handler, command: dict[str, Any], db: str,
                           name: str, txn_number: int) -> dict[str, Any]:
        lowered = name.lower()
        if lowered == "committransaction":
            session.commit(txn_number)
            return {"ok": 1.0}
        if lowered == "aborttransaction":
            session.abort(txn_number)
            return {"ok": 1.0}
        if command.get("startTransaction"):
            session.start(self.open_session, txn_number, command.get("readConcern"))
        store = session.check_active(txn_number)
        if lowered == "count":
            raise MongoError(263, "Cannot run 'count' in a multi-document transaction. Please see "
                                  "http://dochub.mongodb.org/core/transaction-count for a recommended alternative.")
        self._refuse_in_transaction(command, db, name)
        try:
            reply = handler(CommandContext(self, command, db, store, in_transaction=True, lsid=session.lsid,
                                           txn_number=txn_number))
        except HeliosError as exc:
            session.fail()
            error = from_helios_error(exc)
            if error.code != 112:
                error.labels = ()
            raise error from None
        except MongoError:
            session.fail()
            raise
        if reply.get("writeErrors"):
            session.fail()
        return reply

    def _refuse_in_transaction(self, command: dict[str, Any], db: str, name: str) -> None:
        """What MongoDB does not run inside a multi-document transaction (error 263): catalog changes
        other than creating collections and their indexes, and pipelines that write ($out, $merge)."""
        lowered = name.lower()
        refused = lowered in NOT_IN_TRANSACTION
        if lowered == "aggregate":
            refused = any(isinstance(stage, dict) and ("$out" in stage or "$merge" in stage)
                          for stage in command.get("pipeline") or [])
        if lowered == "createindexes":  # only on a collection the transaction itself created
            refused = isinstance(command.get(name), str) and self.store().collection_exists(db, command[name])
        if refused:
            what = f"Cannot create new indexes on existing collection {db}.{command[name]}" \
                if lowered == "createindexes" else f"Cannot run '{name}'"
            raise MongoError(263, f"{what} in a multi-document transaction.")

    def _run_retryable(self, session: LogicalSession, handler: Handler, command: dict[str, Any], db: str,
                       txn_number: int) -> dict[str, Any]:
        if session.retry_txn_number == txn_number and session.retry_reply is not None:
            return dict(session.retry_reply)
        reply = _call(handler, CommandContext(self, command, db, self.store(), lsid=session.lsid,
                                              txn_number=txn_number))
        if not reply.get("writeErrors") and reply.get("ok", 1.0):
            session.retry_txn_number = txn_number
            session.retry_reply = reply
        return reply


def _call(handler: Handler, ctx: CommandContext) -> dict[str, Any]:
    """Run a command outside a transaction (a snapshot read at the time it chose, told in the reply)."""
    snapshot.check(next(iter(ctx.command)), ctx.command, in_transaction=False)
    if next(iter(ctx.command)) in snapshot.SNAPSHOT_COMMANDS:
        snapshot.read_time(ctx)
    reply = handler(ctx)
    snapshot.annotate(ctx, reply)
    return reply


def _write_concern(command: dict[str, Any], reply: dict[str, Any]) -> None:
    """One member: w 0, 1 and "majority" are met by the commit; a larger w never can be."""
    concern = command.get("writeConcern")
    if not isinstance(concern, dict) or reply.get("ok") != 1.0:
        return
    w = concern.get("w")
    if isinstance(w, int | float) and not isinstance(w, bool) and w > 1:
        reply["writeConcernError"] = {"code": 100, "codeName": "UnsatisfiableWriteConcern",
                                      "errmsg": f"Not enough data-bearing nodes: w {w} with one member",
                                      "errInfo": {"writeConcern": concern}}
    elif isinstance(w, str) and w != "majority":
        reply["writeConcernError"] = {"code": 79, "codeName": "UnknownReplWriteConcern",
                                      "errmsg": f"unrecognized write concern mode: {w}"}


# the commands of the Stable API's version 1 (what a client with apiStrict: true may run)
API_V1_COMMANDS = {"aborttransaction", "aggregate", "authenticate", "collmod", "committransaction", "count", "create",
                   "createindexes", "delete", "drop", "dropdatabase", "dropindexes", "endsessions", "explain", "find",
                   "findandmodify", "getmore", "hello", "insert", "killcursors", "listcollections", "listdatabases",
                   "listindexes", "ping", "refreshsessions", "update", "saslstart", "saslcontinue"}


def _check_api_version(name: str, command: dict[str, Any]) -> None:
    """The Stable API: version "1" only; with apiStrict, commands outside version 1 are refused (323)."""
    version = command.get("apiVersion")
    if version is None:
        for option in ("apiStrict", "apiDeprecationErrors"):
            if option in command:
                raise MongoError(4886600, f"Provided {option} without passing apiVersion")
        return
    if version != "1":
        raise MongoError(322, f"API version must be \"1\", not {version!r}")
    if command.get("apiStrict") is True and name.lower() not in API_V1_COMMANDS:
        raise MongoError(323, f"Provided apiStrict:true, but the command {name} is not in API Version 1")


READ_CONCERN_LEVELS = ("local", "majority", "available", "snapshot", "linearizable")


def _check_read_concern(command: dict[str, Any]) -> None:
    """One member is always majority-committed, so every level reads the latest commit; bad ones are refused."""
    concern = command.get("readConcern")
    if not isinstance(concern, dict) or "level" not in concern:
        return
    level = concern["level"]
    if level not in READ_CONCERN_LEVELS:
        raise MongoError(9, f"Invalid readConcern level: {level!r}; must be one of {list(READ_CONCERN_LEVELS)}")
    pipeline = command.get("pipeline")
    if level == "linearizable" and isinstance(pipeline, list) and any(
            isinstance(stage, dict) and ("$out" in stage or "$merge" in stage) for stage in pipeline):
        raise MongoError(2, "$out and $merge cannot be used with a 'linearizable' read concern level")


# -- handshake and administration --------------------------------------------------------------


def hello(ctx: CommandContext) -> dict[str, Any]:
    runner = ctx.runner
    config = ctx.server.config
    address = runner.connection.address
    requested = ctx.command.get("compression")
    if isinstance(requested, list):
        runner.compressors = [c for c in requested if c in COMPRESSORS]
    reply: dict[str, Any] = {
        "helloOk": True,
        "isWritablePrimary": True,
        "ismaster": True,
        "secondary": False,
        "setName": REPLICA_SET,
        "setVersion": 1,
        "hosts": [address],
        "primary": address,
        "me": address,
        "electionId": ELECTION_ID,
        "lastWrite": {"lastWriteDate": datetime.datetime.now(datetime.UTC).replace(microsecond=0)},
        "maxBsonObjectSize": MAX_BSON_SIZE,
        "maxMessageSizeBytes": MAX_MESSAGE_SIZE,
        "maxWriteBatchSize": 100_000,
        "localTime": datetime.datetime.now(datetime.UTC),
        "logicalSessionTimeoutMinutes": 30,
        "connectionId": runner.connection.connection_id,
        "minWireVersion": 0,
        "maxWireVersion": config.max_wire_version,
        "readOnly": False,
    }
    if runner.compressors:
        reply["compression"] = runner.compressors
    mechs_for = ctx.command.get("saslSupportedMechs")
    if isinstance(mechs_for, str) and "." in mechs_for:
        user = mechs_for.split(".", 1)[1]
        if authentication.user_known(ctx.server.kernel, ctx.server.auth, user):
            reply["saslSupportedMechs"] = authentication.mechanisms_for(ctx.server.kernel, ctx.server.auth, user,
                                                                        ctx.server.scram_sha1_credentials)
    reply["ok"] = 1.0
    return reply


def ping(ctx: CommandContext) -> dict[str, Any]:
    return {"ok": 1.0}


def build_info(ctx: CommandContext) -> dict[str, Any]:
    version = SERVER_VERSIONS[ctx.server.config.max_wire_version]
    return {"version": version, "gitVersion": "heliosdb", "versionArray": [int(p) for p in version.split(".")] + [0],
            "bits": 64, "debug": False, "maxBsonObjectSize": MAX_BSON_SIZE, "storageEngines": ["heliosdb"],
            "javascriptEngine": "none", "modules": [], "sysInfo": "deprecated", "allocator": "system",
            "openssl": {"running": "disabled"}, "buildEnvironment": {}, "ok": 1.0}


def host_info(ctx: CommandContext) -> dict[str, Any]:
    return {"system": {"currentTime": datetime.datetime.now(datetime.UTC), "hostname": socket.gethostname(),
                       "cpuAddrSize": 64, "numCores": os.cpu_count() or 1, "cpuArch": platform.machine()},
            "os": {"type": platform.system(), "name": platform.platform(), "version": platform.release()},
            "extra": {}, "ok": 1.0}


def _parameters(ctx: CommandContext) -> dict[str, Any]:
    version = SERVER_VERSIONS[ctx.server.config.max_wire_version]
    return {"featureCompatibilityVersion": {"version": version.rsplit(".", 1)[0]},
            "authenticationMechanisms": ["SCRAM-SHA-1", "SCRAM-SHA-256"],
            "enableTestCommands": False, "transactionLifetimeLimitSeconds": 60,
            "maxTransactionLockRequestTimeoutMillis": 5, "cursorTimeoutMillis": Int64(600_000),
            "logicalSessionRefreshMillis": 300_000, "requireApiVersion": False,
            "internalQueryMaxBlockingSortMemoryUsageBytes": 100 * 1024 * 1024}


def get_parameter(ctx: CommandContext) -> dict[str, Any]:
    params = _parameters(ctx)
    wanted = ctx.command.get("getParameter")
    if wanted == "*" or (isinstance(wanted, dict) and wanted.get("allParameters")):
        return {**params, "ok": 1.0}
    out = {k: v for k, v in params.items() if k in ctx.command}
    if not out:
        raise MongoError(72, "no option found to get")
    return {**out, "ok": 1.0}


def get_cmd_line_opts(ctx: CommandContext) -> dict[str, Any]:
    net = {"port": ctx.server.config.port, "bindIp": ctx.server.config.host}
    return {"argv": ["helios", "serve"], "parsed": {"net": net, "replication": {"replSet": REPLICA_SET}}, "ok": 1.0}


def server_status(ctx: CommandContext) -> dict[str, Any]:
    server = ctx.server
    uptime = time.time() - server.started
    version = SERVER_VERSIONS[server.config.max_wire_version]
    return {
        "host": socket.gethostname(), "version": version, "process": "helios", "pid": Int64(os.getpid()),
        "uptime": float(int(uptime)), "uptimeMillis": Int64(int(uptime * 1000)), "uptimeEstimate": Int64(int(uptime)),
        "localTime": datetime.datetime.now(datetime.UTC),
        "connections": {"current": server.open_connections, "available": server.max_connections -
                        server.open_connections, "totalCreated": next(server.connection_ids) - 1},
        "storageEngine": {"name": "heliosdb", "supportsCommittedReads": True, "persistent": True},
        "repl": {"setName": REPLICA_SET, "isWritablePrimary": True, "hosts": [ctx.runner.connection.address]},
        "metrics": {"cursor": {"open": {"total": Int64(len(server.cursors))}}},
        "logicalSessionRecordCache": {"activeSessionsCount": len(server.sessions)},
        "transactions": {}, "ok": 1.0,
    }


def connection_status(ctx: CommandContext) -> dict[str, Any]:
    user = ctx.runner.user
    users = [{"user": user, "db": "admin"}] if user else []
    roles = [{"role": "root", "db": "admin"}] if user else []
    return {"authInfo": {"authenticatedUsers": users, "authenticatedUserRoles": roles}, "ok": 1.0}


def sasl_start(ctx: CommandContext) -> dict[str, Any]:
    conversation, reply = authentication.sasl_start(ctx.server.kernel, ctx.server.auth, ctx.command,
                                                    ctx.server.scram_sha1_credentials)
    ctx.runner.conversation = conversation
    return reply


def sasl_continue(ctx: CommandContext) -> dict[str, Any]:
    conversation = ctx.runner.conversation
    if conversation is None or ctx.command.get("conversationId") != 1:
        raise MongoError(17, "No SASL session state found")
    try:
        done, reply = authentication.sasl_continue(conversation, ctx.command)
    except MongoError:
        ctx.runner.conversation = None
        raise
    if done:
        ctx.runner.conversation = None
        ctx.runner.logged_in(conversation.user)
    return reply


def list_databases(ctx: CommandContext) -> dict[str, Any]:
    names = ctx.store.list_databases()
    only_names = bool(ctx.command.get("nameOnly"))
    databases = []
    total = 0
    for name in names:
        if only_names:
            databases.append({"name": name})
            continue
        size = sum(ctx.store.size_bytes(name, c) for c in ctx.store.list_collections(name))
        total += size
        databases.append({"name": name, "sizeOnDisk": Int64(size), "empty": size == 0})
    flt = ctx.command.get("filter")
    if flt:
        matcher = crud.compile_filter(flt)
        databases = [d for d in databases if matcher(d)]
    if only_names:
        return {"databases": databases, "ok": 1.0}
    return {"databases": databases, "totalSize": Int64(total), "totalSizeMb": Int64(total // 1_000_000), "ok": 1.0}


def _collection_info(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """listCollections' entry of a collection: a time-series one is of type timeseries, without an _id index."""
    if "timeseries" in options:
        return {"name": name, "type": "timeseries", "options": options, "info": {"readOnly": False}}
    return {"name": name, "type": "collection", "options": options, "info": {"readOnly": False},
            "idIndex": {"v": 2, "key": {"_id": 1}, "name": "_id_"}}


def list_collections(ctx: CommandContext) -> dict[str, Any]:
    names = ctx.store.list_collections(ctx.db)
    cache = ctx.server.collection_options
    if any((ctx.db, n) not in cache for n in names):  # one catalog query for all, not one per collection
        found = ctx.store.database_collection_options(ctx.db)
        for n in names:
            cache.setdefault((ctx.db, n), found.get(n, {}))
    infos = [_collection_info(n, crud.collection_options(ctx, n)) for n in names]
    infos.extend(views.list_entries(ctx))
    flt = ctx.command.get("filter")
    if flt:
        matcher = crud.compile_filter(flt)
        infos = [i for i in infos if matcher(i)]
    if ctx.command.get("nameOnly"):
        infos = [{"name": i["name"], "type": i["type"]} for i in infos]
    cursor = ctx.command.get("cursor") or {}
    return {"cursor": ctx.server.cursors.open(f"{ctx.db}.$cmd.listCollections", iter(infos),
                                              cursor.get("batchSize")), "ok": 1.0}


def create(ctx: CommandContext) -> dict[str, Any]:
    name = ctx.collection_name()
    if "viewOn" in ctx.command or "pipeline" in ctx.command:
        if "viewOn" not in ctx.command:
            raise MongoError(2, "'pipeline' requires 'viewOn' to also be specified")
        return views.create(ctx, name)
    if views.lookup(ctx, ctx.db, name) is not None:
        raise MongoError(48, f"Collection {ctx.db}.{name} already exists.")
    if ctx.command.get("clusteredIndex"):
        raise MongoError(72, "create option 'clusteredIndex' is not supported by HeliosDB")
    if ctx.command.get("timeseries") is not None:
        return _create_timeseries(ctx, name)
    collation.refuse_default(ctx.command.get("collation"), "a collection")
    options: dict[str, Any] = capped.create_options(ctx.command)
    check_settings(ctx.command.get("validationLevel"), ctx.command.get("validationAction"), "create")
    if ctx.command.get("validator"):
        compile_validator(ctx.command["validator"])  # refuse a bad validator before anything exists
        options["validator"] = ctx.command["validator"]
        options["validationLevel"] = ctx.command.get("validationLevel", "strict")
        options["validationAction"] = ctx.command.get("validationAction", "error")
    if "changeStreamPreAndPostImages" in ctx.command:
        setting = change_streams.images_setting(ctx.command["changeStreamPreAndPostImages"], "create")
        if setting["enabled"]:
            options["changeStreamPreAndPostImages"] = setting
    if ctx.store.collection_exists(ctx.db, name):
        raise MongoError(48, f"Collection {ctx.db}.{name} already exists.")
    ctx.store.create_collection(ctx.db, name, capped=bool(options.get("capped")), options=options)
    ctx.server.collection_options.pop((ctx.db, name), None)  # read again when asked (an abort may undo this)
    return {"ok": 1.0}


# MongoDB's bucket span per granularity: a time-series collection's chunk interval here
_GRANULARITY_SPAN = {"seconds": "1 hour", "minutes": "1 day", "hours": "30 days"}
_SPAN_SECONDS = {"seconds": 3_600, "minutes": 86_400, "hours": 2_592_000}  # bucketMaxSpanSeconds
_TIMESERIES_FIELDS = {"timeField", "metaField", "granularity"}


def _create_timeseries(ctx: CommandContext, name: str) -> dict[str, Any]:
    """A time-series collection: a time-series table (CREATE TIMESERIES TABLE) whose time column
    is the documents' ``timeField`` date, generated from ``doc``; chunks span what MongoDB's
    buckets span for the ``granularity``. Documents without that date are refused."""
    spec = ctx.command["timeseries"]
    if not isinstance(spec, dict):
        raise MongoError(14, "'timeseries' must be a document")
    unknown = set(spec) - _TIMESERIES_FIELDS
    if unknown:
        raise MongoError(40415, f"BSON field 'timeseries.{min(unknown)}' is an unknown field.")
    time_field = spec.get("timeField")
    if not isinstance(time_field, str) or not time_field:
        raise MongoError(40414, "BSON field 'timeseries.timeField' is missing but a required field")
    meta_field = spec.get("metaField")
    for label, field in (("timeField", time_field), ("metaField", meta_field)):
        if field is not None and (not isinstance(field, str) or "." in field or field.startswith("$")):
            raise MongoError(2, f"timeseries.{label} cannot contain '.' or start with '$'")
    if time_field in ("_id", "doc", ORDER_COLUMN):
        raise MongoError(2, f"timeseries.timeField {time_field!r} is a column of the collection's table in HeliosDB")
    if meta_field == time_field:
        raise MongoError(2, "The 'metaField' cannot be the same as the 'timeField'")
    granularity = spec.get("granularity", "seconds")
    if granularity not in _GRANULARITY_SPAN:
        raise MongoError(2, f"Invalid timeseries granularity '{granularity}': expected seconds, minutes or hours")
    for option in ("capped", "expireAfterSeconds", "validator", "viewOn"):
        if ctx.command.get(option):
            raise MongoError(72, f"create option {option!r} on a time-series collection is not supported by HeliosDB")
    if ctx.store.collection_exists(ctx.db, name):
        raise MongoError(48, f"Collection {ctx.db}.{name} already exists.")
    options = {"timeseries": {"timeField": time_field, **({"metaField": meta_field} if meta_field else {}),
                              "granularity": granularity, "bucketMaxSpanSeconds": _SPAN_SECONDS[granularity]}}
    ctx.store.create_timeseries_collection(ctx.db, name, time_field, _GRANULARITY_SPAN[granularity], options)
    ctx.server.collection_options.pop((ctx.db, name), None)
    return {"ok": 1.0}


def drop(ctx: CommandContext) -> dict[str, Any]:
    name = ctx.collection_name()
    if views.lookup(ctx, ctx.db, name) is not None:
        return views.drop(ctx, name)
    if not ctx.store.collection_exists(ctx.db, name):
        return {"ok": 1.0}  # MongoDB 7.0: dropping a missing collection succeeds
    count = ctx.store.count(ctx.db, name)
    ctx.store.drop_collection(ctx.db, name)
    ctx.server.collection_options.clear()
    return {"nIndexesWas": 1, "ns": f"{ctx.db}.{name}", "n": count, "ok": 1.0}


def drop_database(ctx: CommandContext) -> dict[str, Any]:
    ctx.store.drop_database(ctx.db)
    ctx.server.collection_options.clear()
    return {"dropped": ctx.db, "ok": 1.0}


def end_sessions(ctx: CommandContext) -> dict[str, Any]:
    for lsid in ctx.command.get("endSessions") or []:
        if isinstance(lsid, dict) and "id" in lsid:
            ctx.server.sessions.end(bytes(lsid["id"]))
    return {"ok": 1.0}


def no_transaction(ctx: CommandContext) -> dict[str, Any]:
    name = next(iter(ctx.command))
    raise MongoError(251, f"{name} needs a transaction: no transaction is in progress on this session",
                     labels=("TransientTransactionError",))


def heliosdb(ctx: CommandContext) -> dict[str, Any]:
    """{heliosdb: 1, branch: "name"}: this connection works on that branch from now on (as SQL's
    SET heliosdb.branch); without ``branch`` it says which branch it is on."""
    runner = ctx.runner
    branch = ctx.command.get("branch")
    if branch is not None:
        if not isinstance(branch, str) or not branch:
            raise MongoError(2, "heliosdb.branch must be a non-empty string")
        previous = runner.branch
        runner.close()
        runner.branch = branch
        try:
            runner.store()
        except HeliosError as exc:
            runner.branch = previous
            error = from_helios_error(exc)
            raise MongoError(26 if exc.sqlstate == "42704" else error.code, str(exc)) from None
    return {"branch": runner.store().session.branch, "ok": 1.0}


def whats_my_uri(ctx: CommandContext) -> dict[str, Any]:
    return {"you": ctx.runner.connection.peer, "ok": 1.0}


def fsync(ctx: CommandContext) -> dict[str, Any]:
    """Every commit is already on disk (the WAL is synced before a commit returns): nothing to flush.
    ``lock: true`` (blocking writes for a file-level backup) is not built."""
    if ctx.command.get("lock"):
        raise MongoError(115, "fsync with lock is not supported by HeliosDB")
    return {"numFiles": 1, "ok": 1.0}


def get_log(ctx: CommandContext) -> dict[str, Any]:
    return {"names": ["global", "startupWarnings"], "log": [], "totalLinesWritten": 0, "ok": 1.0}


COMMANDS: dict[str, Handler] = {
    "hello": hello,
    "isMaster": hello,
    "ismaster": hello,
    "ping": ping,
    "buildInfo": build_info,
    "buildinfo": build_info,
    "hostInfo": host_info,
    "getParameter": get_parameter,
    "getCmdLineOpts": get_cmd_line_opts,
    "serverStatus": server_status,
    "connectionStatus": connection_status,
    "saslStart": sasl_start,
    "saslContinue": sasl_continue,
    "listDatabases": list_databases,
    "listCollections": list_collections,
    "create": create,
    "drop": drop,
    "dropDatabase": drop_database,
    "endSessions": end_sessions,
    "commitTransaction": no_transaction,
    "abortTransaction": no_transaction,
    "whatsmyuri": whats_my_uri,
    "heliosdb": heliosdb,
    "createUser": create_user,
    "updateUser": update_user,
    "dropUser": drop_user,
    "usersInfo": users_info,
    "getLog": get_log,
    "fsync": fsync,
    "aggregate": aggregate,
    "createIndexes": create_indexes,
    "listIndexes": list_indexes,
    "dropIndexes": drop_indexes,
    "deleteIndexes": drop_indexes,
    "renameCollection": rename_collection,
    "collMod": coll_mod,
    "cloneCollectionAsCapped": capped.clone_as_capped,
    "convertToCapped": capped.convert_to_capped,
    "profile": profiler.profile,
    "collStats": collection_stats,
    "validate": validate,
    "dbStats": database_stats,
    **crud.COMMANDS,
}
