"""Change streams: ``aggregate`` with a leading ``$changeStream`` stage, continued by getMore.

Where the events come from: the kernel tells its commit observers (``helios_commit_observers``)
of every commit, in commit order, once it is durable, with the rows it ended and made per
table, whoever wrote them (MongoDB commands, SQL over PostgreSQL, ``heliosdb.mongo()`` in a SQL
transaction); an aborted transaction is never told. ``ChangeHistory`` keeps the newest such
commits of the server in memory (``change_history_commits`` of them, 10,000, holding at most
``change_history_rows`` changed row versions, 200,000; the newest one always) and turns each
into MongoDB events the first time a stream reads it:

* a row made and none ended: ``insert``; ended and none made: ``delete``; both: ``update``
  (``updateDescription`` from comparing the two documents: dotted paths into embedded
  documents, array elements by index, ``truncatedArrays`` for shortened arrays) or
  ``replace`` when a MongoDB replacement wrote exactly that document;
* catalog changes: a collection's table gone is ``drop``, gone under one name and present
  under another with the same table id ``rename``, a schema gone ``dropDatabase`` (after the
  drops of its collections).

A transaction's events share its commit's ``clusterTime``; a document changed twice in one
transaction gives one event with the net change (MongoDB gives one per operation).

Resume tokens are ``{_data: hex}`` of (commit timestamp, event number within the commit, a
flag for invalidate), fixed width, so they sort as the events do. A stream resumes after a
token while the history still holds every commit since it; older is error 286
(ChangeStreamHistoryLost). The history starts empty when the server starts.
"""

from __future__ import annotations

import collections
import datetime
import threading
import time
import uuid
import weakref
from typing import TYPE_CHECKING, Any

import attrs
import bson
from bson import Binary, Timestamp

from helios_protocol_mongo import bson_json, snapshot
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.pipeline import STAGES, run_pipeline

if TYPE_CHECKING:
    from helios_core.hookspecs import CommittedChanges
    from helios_protocol_mongo.commands import CommandContext
    from helios_protocol_mongo.cursors import Cursor

HISTORY_COMMITS = 10_000  # commits kept for resuming (each with all its events): config's default
HISTORY_ROWS = 200_000  # changed row versions those commits may hold
DEFAULT_AWAIT_MS = 1000
MAX_INDEX = (1 << 48) - 1  # event number: the table's place in its commit << 32 | the event's place in the table's
FLAG_EVENT, FLAG_INVALIDATE = 0, 1
TOKEN_PREFIX = "82"
STREAM_STAGES = {"$match", "$project", "$addFields", "$set", "$unset", "$replaceRoot", "$replaceWith"}
OTHER_STAGES = {"$out", "$merge", "$changeStream", "$graphLookup", "$unionWith", "$redact", "$sample", "$geoNear",
                "$densify", "$fill", "$setWindowFields", "$bucketAuto", "$indexStats", "$collStats",
                "$currentOp", "$documents", "$listSessions", "$listLocalSessions", "$search"}
NON_RESUMABLE = ("NonResumableChangeStreamError",)  # drivers do not resume after these errors
FULL_DOCUMENT = ("default", "updateLookup", "whenAvailable", "required")
BEFORE_CHANGE = ("off", "whenAvailable", "required")
INTERNAL_SCHEMAS = {"pg_internal", "pg_catalog", "information_schema", "heliosdb", "heliosdb_mongo"}
REPLACEMENT_MEMORY = 60.0  # seconds a MongoDB replacement is remembered to name its event "replace"


# -- resume tokens ---------------------------------------------------------------------------------


def make_token(ts: int, index: int, flag: int = FLAG_EVENT) -> dict[str, Any]:
    return {"_data": f"{TOKEN_PREFIX}{ts:016X}{index:012X}{flag:02X}"}


def read_token(token: Any) -> tuple[int, int, int]:
    data = token.get("_data") if isinstance(token, dict) else None
    if not isinstance(data, str) or len(data) != 32 or not data.startswith(TOKEN_PREFIX):
        raise MongoError(260, f"Bad resume token: {token!r}")
    try:
        return int(data[2:18], 16), int(data[18:30], 16), int(data[30:32], 16)
    except ValueError:
        raise MongoError(260, f"Bad resume token: {token!r}") from None


# -- replacements (to tell "replace" from "update") --------------------------------------------------

_replacements: collections.OrderedDict[bytes, float] = collections.OrderedDict()
_replacements_lock = threading.Lock()


def note_replacement(doc: dict[str, Any]) -> None:
    """A MongoDB replacement is about to write ``doc``: its event is ``replace`` when it commits."""
    now = time.monotonic()
    with _replacements_lock:
        _replacements[bson.encode(doc)] = now
        while _replacements and (len(_replacements) > 10_000 or
                                 next(iter(_replacements.values())) < now - REPLACEMENT_MEMORY):
            _replacements.popitem(last=False)


def _was_replacement(doc: dict[str, Any]) -> bool:
    with _replacements_lock:
        return _replacements.pop(bson.encode(doc), None) is not None


# -- the history ---------------------------------------------------------------------------------


@attrs.define
class Commit:
    ts: int
    changes: Any  # CommittedChanges
    rows: int = 0
    events: dict[int, list[dict[str, Any]]] = attrs.Factory(dict)  # by table number, made on first read


class ChangeHistory:
    """The server's recent commits (all databases and branches), newest last."""

    def __init__(self, bound: int = HISTORY_COMMITS, row_bound: int = HISTORY_ROWS) -> None:
        self.commits: collections.deque[Commit] = collections.deque()
        self.bound = bound
        self.row_bound = row_bound
        self.rows = 0  # changed row versions the kept commits hold
        self.horizon = snapshot.now_micros()  # a position before this may have lost events
        self.last_ts = self.horizon  # the newest commit told (or the start)
        self.changed = threading.Condition()

    def observe(self, changes: CommittedChanges) -> None:
        """The kernel's commit observer (under its commit lock: only queue)."""
        if all(t.schema in INTERNAL_SCHEMAS and t.name != "catalog" for t in changes.tables):
            return
        rows = sum(t.rows for t in changes.tables)
        with self.changed:
            self.commits.append(Commit(changes.commit_ts, changes, rows))
            self.rows += rows
            self.last_ts = changes.commit_ts
            while len(self.commits) > 1 and (len(self.commits) > self.bound or self.rows > self.row_bound):
                gone = self.commits.popleft()
                self.horizon = gone.ts
                self.rows -= gone.rows
            self.changed.notify_all()

    def since(self, ts: int) -> list[Commit]:
        """The commits after ``ts`` (oldest first)."""
        with self.changed:
            commits = self.commits
            if not commits or commits[-1].ts <= ts:
                return []
            lo, hi = 0, len(commits)
            while lo < hi:  # deque indexing is O(n) at worst, fine for a bounded history
                mid = (lo + hi) // 2
                if commits[mid].ts <= ts:
                    lo = mid + 1
                else:
                    hi = mid
            return [commits[i] for i in range(lo, len(commits))]


_histories: weakref.WeakKeyDictionary[Any, ChangeHistory] = weakref.WeakKeyDictionary()
_histories_lock = threading.Lock()


def history_of(kernel: Any, config: Any = None) -> ChangeHistory:
    """The server's history (made by the commit observer hook at start-up, with ``config``'s bounds)."""
    with _histories_lock:
        history = _histories.get(kernel)
        if history is None:
            history = _histories[kernel] = ChangeHistory(
                getattr(config, "change_history_commits", HISTORY_COMMITS),
                getattr(config, "change_history_rows", HISTORY_ROWS))
        return history


# -- events of one commit ---------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _documents(table: Any) -> dict[int, dict[str, Any]]:
    """rowid -> document, for a collection table's rows (None when the table is not one)."""
    names = table.schema.names
    if "_id" not in names or "doc" not in names:
        return {}
    has_order = "field_order" in names
    out: dict[int, dict[str, Any]] = {}
    for row in table.to_pylist():
        doc_text = _text(row["doc"])
        if doc_text is None:
            continue
        out[row["_rowid"]] = bson_json.load_document(doc_text, _text(row["_id"]),
                                                     _text(row.get("field_order")) if has_order else None)
    return out


def _same(a: Any, b: Any) -> bool:
    return bson.encode({"v": a}) == bson.encode({"v": b})


def _diff(old: dict[str, Any], new: dict[str, Any], prefix: str, updated: dict[str, Any], removed: list[str],
          truncated: list[dict[str, Any]], parts: tuple[Any, ...] = (),
          paths: dict[str, list[Any]] | None = None) -> None:
    """updateDescription's fields from two documents; ``paths`` gets each path's components (array
    indexes as ints), for showExpandedEvents' disambiguatedPaths."""
    if paths is None:
        paths = {}
    for key in old:
        if key not in new:
            removed.append(prefix + key)
            paths[prefix + key] = [*parts, key]
    for key, value in new.items():
        path = prefix + key
        here = (*parts, key)
        if key not in old:
            updated[path] = value
            paths[path] = list(here)
            continue
        before = old[key]
        if _same(before, value):
            continue
        if _nested(before, value):
            _diff(before, value, path + ".", updated, removed, truncated, here, paths)
        elif type(before) is list and type(value) is list:
            if len(value) < len(before):
                truncated.append({"field": path, "newSize": len(value)})
                paths[path] = list(here)
            for i, item in enumerate(value):
                if i < len(before) and _same(before[i], item):
                    continue
                if i < len(before) and _nested(before[i], item):  # an embedded document changed in place
                    _diff(before[i], item, f"{path}.{i}.", updated, removed, truncated, (*here, i), paths)
                else:
                    updated[f"{path}.{i}"] = item
                    paths[f"{path}.{i}"] = [*here, i]
        else:
            updated[path] = value
            paths[path] = list(here)


def _nested(before: Any, after: Any) -> bool:
    """Both embedded documents, their common fields in the same order: told field by field."""
    return type(before) is dict and type(after) is dict and \
        [k for k in before if k in after] == [k for k in after if k in before]


def _ambiguous(paths: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The paths a dotted string does not name unambiguously: with an array index, a numeric field
    name or a field name holding a dot."""
    return {path: parts for path, parts in paths.items()
            if any(isinstance(p, int) or p.isdigit() or "." in p for p in parts)}


def is_catalog(table: Any) -> bool:
    return table.schema == "pg_internal" and table.name == "catalog"


def tables_of(commit: Commit) -> list[tuple[int, Any]]:
    """(number, table) of a commit's tables whose changes may be events: collections' tables in the
    order the kernel gave them, then the catalog's (drops, renames after the rows)."""
    tables = commit.changes.tables
    out = [(n, t) for n, t in enumerate(tables) if not is_catalog(t) and t.schema not in INTERNAL_SCHEMAS]
    out.extend((len(tables), t) for t in tables if is_catalog(t))
    return out


_making = threading.Lock()  # events are made once: streams of several connections read the same commits


def events_of(commit: Commit, number: int, table: Any) -> list[dict[str, Any]]:
    """The MongoDB events of one table of a commit (each with ``ts`` and ``index``), made once."""
    made = commit.events.get(number)
    if made is not None:
        return made
    with _making:
        made = commit.events.get(number)
        if made is None:
            made = commit.events[number] = _make_events(commit, number, table)
        return made


def _make_events(commit: Commit, number: int, table: Any) -> list[dict[str, Any]]:
    ts = commit.ts
    events = _ddl_events(table) if is_catalog(table) else _row_events(table)
    if not is_catalog(table) and table.table_id:
        for event in events:
            event["uuid"] = table.table_id
    base = {"clusterTime": snapshot.to_cluster_time(ts),
            "wallTime": datetime.datetime.fromtimestamp(ts / 1_000_000, datetime.UTC)}
    for index, event in enumerate(events):
        event.update(base)
        event["ts"] = ts
        event["index"] = number << 32 | index
    return events


def _row_events(table: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    before, after = _documents(table.before()), _documents(table.after())
    ns = {"db": table.schema, "coll": table.name}
    for rowid in sorted(set(before) | set(after), key=lambda r: (r not in after, r)):
        old, new = before.get(rowid), after.get(rowid)
        if new is not None and old is None:
            events.append({"operationType": "insert", "fullDocument": new, "ns": ns,
                           "documentKey": {"_id": new["_id"]}})
        elif new is None and old is not None:
            events.append({"operationType": "delete", "ns": ns, "documentKey": {"_id": old["_id"]},
                           "preImage": old})
        elif new is not None and old is not None:
            if bson.encode(old) == bson.encode(new):
                continue
            if _was_replacement(new):
                events.append({"operationType": "replace", "fullDocument": new, "ns": ns,
                               "documentKey": {"_id": new["_id"]}, "preImage": old})
                continue
            updated: dict[str, Any] = {}
            removed: list[str] = []
            truncated: list[dict[str, Any]] = []
            paths: dict[str, list[Any]] = {}
            _diff(old, new, "", updated, removed, truncated, (), paths)
            events.append({"operationType": "update", "postImage": new, "preImage": old, "ns": ns,
                           "documentKey": {"_id": new["_id"]},
                           "updateDescription": {"updatedFields": updated, "removedFields": removed,
                                                 "truncatedArrays": truncated},
                           "disambiguatedPaths": _ambiguous(paths)})
    return events


def _rows_by_kind(rows: Any) -> dict[str, dict[str, Any]]:
    """catalog rows -> {kind: {key: parsed value}}."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows.to_pylist():
        try:
            value = bson_json.parse_json(row["value"])
        except ValueError:
            value = {}
        out.setdefault(row["kind"], {})[row["key"]] = value if isinstance(value, dict) else {}
    return out


def _ns(key: str) -> dict[str, str]:
    db, _, coll = key.partition(".")
    return {"db": db, "coll": coll}


def _comment(comments: dict[str, Any], key: str) -> Any:
    """A COMMENT's text parsed as the JSON the plugin keeps there (None when absent or not JSON)."""
    text = comments.get(key, {}).get("text")
    try:
        return bson_json.loads(text) if text else None
    except ValueError:
        return None


def _ddl_events(table: Any) -> list[dict[str, Any]]:
    """drop, rename and dropDatabase from the catalog's rows: a table is known by its table id, so a
    rename (also onto a target it replaces, ``dropTarget``) keeps it and a drop loses it. Events only
    streams with ``showExpandedEvents`` see (marked ``expanded``): create (of a collection or a
    view), createIndexes and dropIndexes (of the plugin's ``coll$name`` indexes), modify (a
    changed collection or index definition, as collMod makes)."""
    before_all, after_all = _rows_by_kind(table.before()), _rows_by_kind(table.after())
    before = {k: int(v.get("table_id") or 0) for k, v in before_all.get("table", {}).items()}
    after = {k: int(v.get("table_id") or 0) for k, v in after_all.get("table", {}).items()}
    gone_schemas = set(before_all.get("schema", {})) - set(after_all.get("schema", {}))
    after_by_id = {tid: key for key, tid in after.items() if tid}
    before_ids = {tid for tid in before.values() if tid}
    renamed_onto = {after_by_id[tid] for key, tid in before.items()
                    if tid in after_by_id and after_by_id[tid] != key}
    touched: set[str] = set()  # tables made, renamed or dropped here: their index changes go with them
    out: list[dict[str, Any]] = []
    for key, tid in before.items():
        if after.get(key) == tid:
            continue
        if key.partition(".")[0] in INTERNAL_SCHEMAS:
            continue
        touched.add(key)
        target = after_by_id.get(tid) if tid else None
        if target is not None and target != key:
            touched.add(target)
            rename: dict[str, Any] = {"operationType": "rename", "ns": _ns(key), "to": _ns(target), "uuid": tid,
                                      "operationDescription": {"to": _ns(target)}}
            if target in before:  # the replaced target goes first, as a drop
                out.append({"operationType": "drop", "ns": _ns(target), "uuid": before[target]})
                rename["operationDescription"]["dropTarget"] = _uuid(before[target])
            out.append(rename)
        elif key not in renamed_onto:
            out.append({"operationType": "drop", "ns": _ns(key), "uuid": tid})
    comments_after = after_all.get("comment", {})
    for key, tid in after.items():
        if tid in before_ids or key.partition(".")[0] in INTERNAL_SCHEMAS:
            continue
        touched.add(key)
        columns = [c.get("name") for c in after_all["table"][key].get("columns", []) if isinstance(c, dict)]
        if "doc" in columns:
            out.append({"operationType": "create", "ns": _ns(key), "uuid": tid, "expanded": True,
                        "operationDescription": {"idIndex": {"v": 2, "key": {"_id": 1}, "name": "_id_"}}})
    for key in sorted(set(after_all.get("view", {})) - set(before_all.get("view", {}))):
        if key.partition(".")[0] in INTERNAL_SCHEMAS:
            continue
        spec = next((_comment(comments_after, f"{kind}:{key}") for kind in ("view", "table")
                     if _comment(comments_after, f"{kind}:{key}") is not None), None)
        description = {"viewOn": spec.get("viewOn"), "pipeline": spec.get("pipeline")} if isinstance(spec, dict) else {}
        out.append({"operationType": "create", "ns": _ns(key), "expanded": True,
                    "operationDescription": description})
    out.extend(_index_events(before_all, after_all, touched))
    for key in comments_after:  # collMod: a collection's definition written again
        target = key.partition(":")[2]
        if key.startswith("table:") and target not in touched and target.partition(".")[0] not in INTERNAL_SCHEMAS:
            options = _comment(comments_after, key)
            out.append({"operationType": "modify", "ns": _ns(target), "uuid": after.get(target, 0),
                        "expanded": True, "operationDescription": options if isinstance(options, dict) else {}})
    for db in sorted(gone_schemas - INTERNAL_SCHEMAS):
        out.append({"operationType": "dropDatabase", "ns": {"db": db}})
    return out


def _index_events(before_all: dict[str, Any], after_all: dict[str, Any], touched: set[str]) -> list[dict[str, Any]]:
    """createIndexes / dropIndexes / modify (of an index) for the indexes the plugin names ``coll$name``;
    an index renamed along with its table's rename is neither."""
    def mongo_indexes(rows: dict[str, Any]) -> dict[tuple[str, str, str], tuple[str, dict[str, Any]]]:
        found = {}
        for key, value in rows.items():
            schema, table, name = value.get("schema"), value.get("table"), value.get("name")
            if not (schema and table and isinstance(name, str) and name.startswith(f"{table}$")):
                continue
            if schema in INTERNAL_SCHEMAS or f"{schema}.{table}" in touched:
                continue
            found[(schema, table, name[len(table) + 1:])] = (key, value)
        return found

    before, after = mongo_indexes(before_all.get("index", {})), mongo_indexes(after_all.get("index", {}))
    tables_after = after_all.get("table", {})
    comments_before, comments_after = before_all.get("comment", {}), after_all.get("comment", {})
    out: list[dict[str, Any]] = []
    for (schema, table, name), (key, _value) in after.items():
        ns = {"db": schema, "coll": table}
        uuid = int(tables_after.get(f"{schema}.{table}", {}).get("table_id") or 0)
        spec = _comment(comments_after, f"index:{key}")
        if (schema, table, name) not in before:
            out.append({"operationType": "createIndexes", "ns": ns, "uuid": uuid, "expanded": True,
                        "operationDescription": {"indexes": [spec if isinstance(spec, dict) else
                                                             {"v": 2, "name": name}]}})
        elif f"index:{key}" in comments_before and isinstance(spec, dict):  # collMod of the index
            out.append({"operationType": "modify", "ns": ns, "uuid": uuid, "expanded": True,
                        "operationDescription": {"index": spec}})
    for (schema, table, name), (key, _value) in before.items():
        if (schema, table, name) in after:
            continue
        spec = _comment(comments_before, f"index:{key}")
        out.append({"operationType": "dropIndexes", "ns": {"db": schema, "coll": table}, "expanded": True,
                    "operationDescription": {"indexes": [spec if isinstance(spec, dict) else {"v": 2, "name": name}]}})
    return out


def _uuid(table_id: int) -> Binary:
    """A collection's UUID (collectionUUID): made of its table id, which renames keep."""
    return Binary(uuid.UUID(int=(0x48454C494F53 << 80) | table_id).bytes, 4)


# -- a stream ------------------------------------------------------------------------------------------


@attrs.define
class Stream:
    """One change stream cursor: what it watches, where it stands, how it renders events."""

    db: str | None  # None: the whole server
    collection: str | None  # None: a database's or the server's stream
    branch: str
    database: str  # the HeliosDB database the server serves
    stages: list[dict[str, Any]]
    full_document: str
    before_change: str  # fullDocumentBeforeChange
    position: tuple[int, int]  # (commit ts, event index): events after it are next
    history: ChangeHistory
    find_documents: Any  # crud.find_documents, for updateLookup
    expanded: bool = False  # showExpandedEvents
    invalidated: bool = False
    scanned: int = 0  # every commit up to this timestamp has been examined

    def high_water_token(self) -> dict[str, Any]:
        """An empty batch's resume token: after every commit examined so far."""
        if self.scanned > self.position[0]:
            return make_token(self.scanned, MAX_INDEX)
        return make_token(*self.position)

    def _watches(self, event: dict[str, Any]) -> bool:
        if event.get("expanded") and not self.expanded:
            return False
        ns = event["ns"]
        if event["operationType"] == "dropDatabase":
            return self.db is None or ns["db"] == self.db
        return self._covers(ns["db"], ns["coll"])

    def _covers(self, db: str, collection: str) -> bool:
        """Whether the rows of ``db.collection`` are this stream's to report (a database's or the
        server's stream leaves out the system collections, such as system.profile, as MongoDB's)."""
        if self.collection is not None:
            return db == self.db and collection == self.collection
        if collection.startswith("system."):
            return False
        return db not in ("admin", "config", "local") if self.db is None else db == self.db

    def _invalidates(self, event: dict[str, Any]) -> bool:
        kind = event["operationType"]
        if self.collection is not None:
            return kind in ("drop", "rename") or kind == "dropDatabase"
        if self.db is not None:
            return kind == "dropDatabase"
        return False

    def fetch(self, ctx: CommandContext, limit: int | None) -> list[dict[str, Any]]:
        """Up to ``limit`` rendered events after the position (the position moves past those examined)."""
        out: list[dict[str, Any]] = []
        if self.invalidated:
            return out
        history = self.history
        with history.changed:
            high_water, horizon = history.last_ts, history.horizon
        if self.position[0] < horizon:
            raise MongoError(286, labels=NON_RESUMABLE,
                             message="Resume of change stream was not possible, as the resume point may no longer be "
                                     "in the oplog.")
        for commit in self.history.since(self.position[0] - 1):
            if commit.changes.database != self.database or commit.changes.branch != self.branch:
                continue
            for number, table in tables_of(commit):
                if (commit.ts, number << 32 | 0xFFFFFFFF) <= self.position:
                    continue  # examined already
                if not is_catalog(table) and not self._covers(table.schema, table.name):
                    continue  # not read at all: its rows are not even decoded
                for event in events_of(commit, number, table):
                    where = (event["ts"], event["index"])
                    if where <= self.position:
                        continue
                    if not self._watches(event):
                        self.position = where
                        continue
                    rendered = self._render(ctx, event)
                    self.position = where
                    if rendered is not None:
                        out.append(rendered)
                    if self._invalidates(event):
                        self.invalidated = True
                        out.append({"_id": make_token(event["ts"], event["index"], FLAG_INVALIDATE),
                                    "operationType": "invalidate", "clusterTime": event["clusterTime"],
                                    "wallTime": event["wallTime"]})
                        return out
                    if limit is not None and len(out) >= limit:
                        return out
        self.scanned = max(self.scanned, high_water)
        return out

    def _image(self, ctx: CommandContext, event: dict[str, Any], which: str, mode: str) -> dict[str, Any] | None:
        """A pre- or post-image: the kernel gives both for every change, but as in MongoDB they are
        shown only for collections with ``changeStreamPreAndPostImages`` enabled; ``required``
        without them is error 47 (NoMatchingDocument), ``whenAvailable`` null."""
        if _images_enabled(ctx, event["ns"]):
            return event[which]
        if mode == "required":
            image = "pre-image" if which == "preImage" else "post-image"
            raise MongoError(47, f"Change stream was configured to require a {image} for all update, delete and "
                                 f"replace events, but the {image} was not found for event on "
                                 f"{event['ns']['db']}.{event['ns']['coll']} (changeStreamPreAndPostImages is not "
                                 "enabled on the collection)")
        return None

    def _render(self, ctx: CommandContext, event: dict[str, Any]) -> dict[str, Any] | None:
        kind = event["operationType"]
        doc: dict[str, Any] = {"_id": make_token(event["ts"], event["index"]), "operationType": kind,
                               "clusterTime": event["clusterTime"], "wallTime": event["wallTime"]}
        if self.expanded and event.get("uuid"):
            doc["collectionUUID"] = _uuid(event["uuid"])
        if kind in ("insert", "replace"):
            doc["fullDocument"] = event["fullDocument"]
        elif kind == "update" and self.full_document != "default":
            if self.full_document == "updateLookup":
                doc["fullDocument"] = _lookup(ctx, self.find_documents, event["ns"], event["documentKey"]["_id"])
            else:
                doc["fullDocument"] = self._image(ctx, event, "postImage", self.full_document)
        if "preImage" in event and self.before_change != "off":
            doc["fullDocumentBeforeChange"] = self._image(ctx, event, "preImage", self.before_change)
        doc["ns"] = event["ns"]
        if "to" in event:
            doc["to"] = event["to"]
        if "documentKey" in event:
            doc["documentKey"] = event["documentKey"]
        if "updateDescription" in event:
            doc["updateDescription"] = event["updateDescription"]
            if self.expanded and event.get("disambiguatedPaths"):
                doc["updateDescription"] = {**event["updateDescription"],
                                            "disambiguatedPaths": event["disambiguatedPaths"]}
        if self.expanded and "operationDescription" in event:
            doc["operationDescription"] = event["operationDescription"]
        if not self.stages:
            return doc
        results = list(run_pipeline(iter([doc]), self.stages, lambda name: []))
        if not results:
            return None
        result = results[0]
        if "_id" not in result or not _same(result["_id"], doc["_id"]):
            raise MongoError(280, labels=NON_RESUMABLE,
                             message="Encountered an event whose _id field, which contains the resume token, was "
                                     "modified by the pipeline. Modifying the _id field of an event makes it "
                                     "impossible to resume the stream from that point. Only transformations that "
                                     "retain the unmodified _id field are allowed.")
        return result


def images_setting(value: Any, command: str) -> dict[str, bool]:
    """create's / collMod's ``changeStreamPreAndPostImages: {enabled: bool}``, checked."""
    if not isinstance(value, dict):
        raise MongoError(14, f"BSON field '{command}.changeStreamPreAndPostImages' is the wrong type, expected "
                             "type 'object'")
    for key in value:
        if key != "enabled":
            raise MongoError(40415, f"BSON field '{command}.changeStreamPreAndPostImages.{key}' is an unknown field.")
    if not isinstance(value.get("enabled"), bool):
        raise MongoError(40414, f"BSON field '{command}.changeStreamPreAndPostImages.enabled' is missing but a "
                                "required field" if "enabled" not in value else
                                f"BSON field '{command}.changeStreamPreAndPostImages.enabled' is the wrong type, "
                                "expected type 'bool'")
    return {"enabled": value["enabled"]}


def _images_enabled(ctx: CommandContext, ns: dict[str, Any]) -> bool:
    key = (ns["db"], ns["coll"])
    cache = ctx.server.collection_options
    if key not in cache:
        cache[key] = ctx.store.collection_options(*key)
    setting = cache[key].get("changeStreamPreAndPostImages")
    return isinstance(setting, dict) and bool(setting.get("enabled"))


def _lookup(ctx: CommandContext, find_documents: Any, ns: dict[str, Any], key: Any) -> dict[str, Any] | None:
    """updateLookup: the document as it is now (None when it is gone)."""
    sub = type(ctx)(ctx.runner, ctx.command, ns["db"], ctx.store, ctx.in_transaction, ctx.lsid, ctx.txn_number)
    try:
        return next(iter(find_documents(sub, ns["coll"], {"_id": key})), None)
    except MongoError:
        return None


# -- the commands ------------------------------------------------------------------------------------


def open_stream(ctx: CommandContext, target: Any, stages: list[Any], find_documents: Any) -> dict[str, Any]:
    """aggregate with a leading $changeStream: the first (possibly empty) batch and the cursor
    (``find_documents``: crud's, for updateLookup)."""
    if ctx.in_transaction:
        raise MongoError(263, "Operation not permitted in transaction :: caused by :: Cannot run aggregate with "
                              "$changeStream in a multi-document transaction.")
    spec = stages[0]["$changeStream"]
    if not isinstance(spec, dict):
        raise MongoError(14, "the $changeStream stage specification must be an object")
    rest = stages[1:]
    for stage in rest:
        name = next(iter(stage), None) if isinstance(stage, dict) else None
        if name == "$changeStream":
            raise MongoError(40602, "$changeStream is only valid as the first stage in a pipeline")
        if name == "$changeStreamSplitLargeEvent":
            raise MongoError(115, "$changeStreamSplitLargeEvent is not supported by HeliosDB (an event over 16 MiB "
                                  "fails the stream instead of being split)")
        if name not in STREAM_STAGES:
            if name in STAGES or name in OTHER_STAGES:
                raise MongoError(20, f"{name} is not permitted in a $changeStream pipeline")
            raise MongoError(40324, f"Unrecognized pipeline stage name: '{name}'")
    known = {"fullDocument", "fullDocumentBeforeChange", "resumeAfter", "startAfter", "startAtOperationTime",
             "allChangesForCluster", "showExpandedEvents"}
    for option in spec:
        if option not in known:
            raise MongoError(40415, f"BSON field '$changeStream.{option}' is an unknown field.")
    full = spec.get("fullDocument", "default")
    if full not in FULL_DOCUMENT:
        raise MongoError(2, f"Enumeration value '{full}' for field '$changeStream.fullDocument' is not a valid value.")
    before = spec.get("fullDocumentBeforeChange", "off")
    if before not in BEFORE_CHANGE:
        raise MongoError(2, f"Enumeration value '{before}' for field '$changeStream.fullDocumentBeforeChange' is not "
                            "a valid value.")
    concern = ctx.command.get("readConcern")
    if isinstance(concern, dict) and concern.get("level", "majority") != "majority":
        raise MongoError(72, f"$changeStream needs readConcern level 'majority', not {concern.get('level')!r}")
    expanded = spec.get("showExpandedEvents", False)
    if not isinstance(expanded, bool):
        raise MongoError(14, "BSON field '$changeStream.showExpandedEvents' is the wrong type, expected type 'bool'")
    db, collection = _scope(ctx, target, spec)
    history = history_of(ctx.server.kernel)
    position = _start(spec, history, ctx)
    stream = Stream(db=db, collection=collection, branch=ctx.store.session.branch, database=ctx.server.config.database,
                    stages=rest, full_document=full, before_change=before, position=position, history=history,
                    find_documents=find_documents, expanded=expanded)
    namespace = f"{ctx.db}.{collection}" if collection is not None else f"{ctx.db}.$cmd.aggregate"
    cursor_opts = ctx.command.get("cursor") or {}
    size = cursor_opts.get("batchSize")
    batch = stream.fetch(ctx, None if size is None else int(size)) if size != 0 else []
    reply_cursor = ctx.server.cursors.open(namespace, iter(()), None, lsid=ctx.lsid, tail=stream)
    reply_cursor["firstBatch"] = batch
    if stream.invalidated:
        ctx.server.cursors.kill(reply_cursor["id"])
        reply_cursor["id"] = 0
    reply_cursor["postBatchResumeToken"] = _batch_token(stream, batch)
    return {"cursor": reply_cursor, "ok": 1.0}


def _batch_token(stream: Stream, batch: list[dict[str, Any]]) -> dict[str, Any]:
    if batch:
        return batch[-1]["_id"]
    return stream.high_water_token()


def _scope(ctx: CommandContext, target: Any, spec: dict[str, Any]) -> tuple[str | None, str | None]:
    if isinstance(target, str):
        if spec.get("allChangesForCluster"):
            raise MongoError(40415, "allChangesForCluster is only valid on the admin database with aggregate: 1")
        if ctx.db in ("admin", "config", "local"):
            raise MongoError(73, f"$changeStream may not be opened on the internal {ctx.db}.{target} collection")
        return ctx.db, target
    if target not in (1, 1.0):
        raise MongoError(73, f"Invalid collection name: {target!r}")
    if spec.get("allChangesForCluster"):
        if ctx.db != "admin":
            raise MongoError(73, "$changeStream with allChangesForCluster must be run on the admin database")
        return None, None
    if ctx.db in ("admin", "config", "local"):
        raise MongoError(73, f"$changeStream may not be opened on the internal {ctx.db} database")
    return ctx.db, None


def _start(spec: dict[str, Any], history: ChangeHistory, ctx: CommandContext) -> tuple[int, int]:
    given = [k for k in ("resumeAfter", "startAfter", "startAtOperationTime") if k in spec]
    if len(given) > 1:
        raise MongoError(40674, "Only one type of resume option is allowed, but multiple were found.")
    if not given:
        return (max(history.last_ts, snapshot.to_micros(ctx.server.cluster_time())), MAX_INDEX)
    option = given[0]
    if option == "startAtOperationTime":
        at = spec[option]
        if not isinstance(at, Timestamp):
            raise MongoError(14, "BSON field '$changeStream.startAtOperationTime' is the wrong type, expected "
                                 "type 'timestamp'")
        position = (snapshot.to_micros(at) - 1, MAX_INDEX)
    else:
        ts, index, flag = read_token(spec[option])
        if flag == FLAG_INVALIDATE and option == "resumeAfter":
            raise MongoError(260, "Attempting to resume a change stream using 'resumeAfter' is not allowed from an "
                                  "invalidate notification.")
        position = (ts, index)
    if position[0] < history.horizon:
        raise MongoError(286, labels=NON_RESUMABLE,
                         message="Resume of change stream was not possible, as the resume point may no longer be in "
                                 "the oplog.")
    return position


def get_more(ctx: CommandContext, cursor: Cursor, batch_size: int | None) -> dict[str, Any]:
    """The next events of a change stream, waiting up to ``maxTimeMS`` (1 s) for one."""
    registry = ctx.server.cursors
    stream: Stream = cursor.tail
    wait_ms = ctx.command.get("maxTimeMS")
    deadline = time.monotonic() + (DEFAULT_AWAIT_MS if wait_ms is None else int(wait_ms)) / 1000
    history = stream.history
    try:
        while True:
            with history.changed:
                seen = history.last_ts
            batch = stream.fetch(ctx, batch_size)
            left = deadline - time.monotonic()
            if batch or stream.invalidated or left <= 0:
                break
            with ctx.runner.waiting(), history.changed:
                if history.last_ts == seen:
                    history.changed.wait(min(left, 0.5))
            if not registry.alive(cursor.cursor_id):
                raise MongoError(237, f"cursor id {cursor.cursor_id} was killed while waiting for data")
    except MongoError:
        registry.kill(cursor.cursor_id)
        raise
    cursor.last_used = time.monotonic()
    cursor_id = cursor.cursor_id
    if stream.invalidated:
        registry.kill(cursor_id)
        cursor_id = 0
    return {"nextBatch": batch, "postBatchResumeToken": _batch_token(stream, batch), "id": cursor_id,
            "ns": cursor.namespace}
