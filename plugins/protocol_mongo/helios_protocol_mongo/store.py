"""Collections as SQL tables: MongoDB database X is schema X, collection C is table X.C.

Each table is ``(_id jsonb primary key, doc jsonb not null, field_order text)``: ``doc`` holds
the whole document (``_id`` included) as ``bson_json`` writes it, ``_id`` repeats its ``_id`` so
the primary key enforces uniqueness and makes point reads and writes index lookups, and
``field_order`` keeps the order the fields were written in (jsonb sorts keys; NULL when
jsonb's order is the written one, and for rows SQL wrote). A table made through SQL with only
``_id`` and ``doc`` serves as a collection too (its documents come back in jsonb's order).
Inserts go in as one Arrow batch through the kernel's COPY path (privileges, constraints and
unique indexes checked as for any COPY), every other statement is prepared once per session
and SQL text; every read and write goes through the kernel's session API, so MongoDB and SQL
clients share one transaction manager and catalog.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.session import CanonicalText
from helios_protocol_mongo import bson_json, text_search

# a row inserted through SQL without an _id gets an ObjectId-shaped one (24 hex digits)
ID_DEFAULT = "default jsonb_build_object('$oid', substr(md5(random()::text || clock_timestamp()::text), 1, 24))"
SYSTEM_SCHEMAS = {"pg_catalog", "information_schema", "heliosdb", "pg_toast"}
MISSING_TABLE = {"42P01", "3F000"}
ORDER_COLUMN = "field_order"
NATURAL_COLUMN = "natural_order"  # capped collections: the insertion order (an identity column)
SIZE_COLUMN = "bson_size"  # capped collections: each document's BSON size, for the size cap
CANONICAL_COLUMNS = frozenset({"_id", "doc"})  # COPY columns whose text is jsonb's own (bson_json.encode_row)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_name(db: str, collection: str) -> str:
    return f"{quote_ident(db)}.{quote_ident(collection)}"


class CollectionStore:
    """SQL for one kernel session (a connection's, or a transaction's)."""

    def __init__(self, session: Any, *, use_copy: bool = True) -> None:
        self.session = session
        self.use_copy = use_copy  # False inside a SQL statement (heliosdb.mongo), which is no COPY
        self._prepared: dict[str, Any] = {}
        self._has_order: dict[tuple[str, str], bool] = {}
        self._capped: dict[tuple[str, str], tuple[int | None, bool]] = {}  # (catalog version, capped)
        self._copy_specs: dict[tuple[str, str, bool], tuple[int, Any]] = {}  # (catalog version, CopySpec)
        self._point_sql: dict[tuple[str, str, bool], str] = {}  # point_read's statement per collection

    # -- statements ---------------------------------------------------------------

    def run(self, sql: str, params: Sequence[Any] = (), types: Sequence[str] = ()) -> Any:
        """Run one prepared statement (prepared on first use) and return its Result."""
        stmt = self._prepared.get(sql)
        if stmt is None:
            stmt = self.session.prepare(sql, param_types=list(types))
            self._prepared[sql] = stmt
        try:
            return self.session.execute_prepared(stmt, list(params))
        except HeliosError as exc:
            if exc.sqlstate in MISSING_TABLE or exc.sqlstate.startswith("42"):
                self._prepared.pop(sql, None)  # the table may have been dropped and created again
            raise

    def run_point(self, sql: str, params: Sequence[Any], types: Sequence[str]) -> Any:
        """``run`` for a primary-key read: the kernel's short point read when it can answer it
        (``Session.execute_point``, no statement machinery around the lookup), else ``run``."""
        stmt = self._prepared.get(sql)
        if stmt is not None:
            result = self.session.execute_point(stmt, params)
            if result is not None:
                return result
        return self.run(sql, params, types)

    def execute(self, sql: str) -> Any:
        self._prepared.clear()  # DDL: plans prepared before may name what changed
        self._has_order.clear()
        self._capped.clear()
        self._copy_specs.clear()
        return self.session.execute(sql)

    def has_order_column(self, db: str, collection: str) -> bool:
        """Whether the table keeps field order (tables made through SQL may not)."""
        key = (db, collection)
        known = self._has_order.get(key)
        if known is None:
            known = bool(self.rows("select 1 from information_schema.columns where table_schema = $1 and "
                                   "table_name = $2 and column_name = $3", [db, collection, ORDER_COLUMN],
                                   ["text", "text", "text"]))
            if known or self.collection_exists(db, collection):
                self._has_order[key] = known
        return known

    def is_capped(self, db: str, collection: str) -> bool:
        """Whether the table keeps its rows' insertion order (a capped collection's natural order)."""
        key = (db, collection)
        # another connection may drop it and make it again (a statement's session, heliosdb.mongo's, has no
        # catalog version: its store lives for one call)
        version = getattr(self.session, "catalog_version", None)
        known = self._capped.get(key)
        if known is None or known[0] != version:
            known = (version, bool(self.rows(
                "select 1 from information_schema.columns where table_schema = $1 and table_name = $2 and "
                "column_name = $3", [db, collection, NATURAL_COLUMN], ["text", "text", "text"])))
            self._capped[key] = known
        return known[1]

    def _columns_changed(self, exc: HeliosError, db: str, collection: str) -> bool:
        """A statement failed on a column: the table may have been made again another way; forget it."""
        if exc.sqlstate == "42703" and (db, collection) in self._has_order:
            del self._has_order[(db, collection)]
            self._prepared.clear()
            return self.session.transaction_state == "idle"
        return False

    def rows(self, sql: str, params: Sequence[Any] = (), types: Sequence[str] = ()) -> list[tuple]:
        return self.run(sql, params, types).rows()

    # -- namespaces -----------------------------------------------------------------

    def list_databases(self) -> list[str]:
        rows = self.rows("select distinct table_schema from information_schema.columns "
                         "where column_name = 'doc' and data_type = 'jsonb'")
        return sorted(r[0] for r in rows if r[0] not in SYSTEM_SCHEMAS)

    def list_collections(self, db: str) -> list[str]:
        rows = self.rows("select table_name from information_schema.columns where table_schema = $1 "
                         "and column_name = 'doc' and data_type = 'jsonb'", [db], ["text"])
        return sorted({r[0] for r in rows})

    def schema_exists(self, db: str) -> bool:
        rows = self.rows("select 1 from information_schema.schemata where schema_name = $1", [db], ["text"])
        return bool(rows)

    def collection_exists(self, db: str, collection: str) -> bool:
        rows = self.rows("select 1 from information_schema.columns where table_schema = $1 and table_name = $2 "
                         "and column_name = 'doc'", [db, collection], ["text", "text"])
        return bool(rows)

    def create_collection(self, db: str, collection: str, capped: bool = False,
                          options: dict[str, Any] | None = None) -> None:
        """The collection's table; a capped one also numbers its rows in insertion order and keeps
        each document's BSON size (what its caps count). ``options`` (create's) go with it, in the
        same commit."""
        extra = (f", {NATURAL_COLUMN} bigint generated always as identity, {SIZE_COLUMN} integer not null default 0"
                 if capped else "")
        comment = ""
        if options:
            text = bson_json.dumps(options).replace("'", "''")
            comment = f"; comment on table {table_name(db, collection)} is '{text}'"
        self.execute(f"create schema if not exists {quote_ident(db)}; "
                     f"create table if not exists {table_name(db, collection)} (_id jsonb primary key {ID_DEFAULT}, "
                     f"doc jsonb not null, {ORDER_COLUMN} text{extra}){comment}")

    def create_timeseries_collection(self, db: str, collection: str, time_field: str, chunk_interval: str,
                                     options: dict[str, Any]) -> None:
        """A time-series collection's table: the collection's columns and the time column, named
        as the documents' time field and generated from the date stored in ``doc`` (Extended
        JSON's milliseconds), as a time-series table chunked by ``chunk_interval``."""
        key = time_field.replace("'", "''")
        millis = f"(doc -> '{key}' -> '$date' ->> '$numberLong')::bigint"
        text = bson_json.dumps(options).replace("'", "''")
        self.execute(f"create schema if not exists {quote_ident(db)}; "
                     f"create timeseries table {table_name(db, collection)} (_id jsonb primary key {ID_DEFAULT}, "
                     f"doc jsonb not null, {ORDER_COLUMN} text, {quote_ident(time_field)} timestamptz not null "
                     f"generated always as (to_timestamp({millis} / 1000.0)) stored) "
                     f"with (time_column = '{key}', chunk_interval = '{chunk_interval}'); "
                     f"comment on table {table_name(db, collection)} is '{text}'")

    def collection_options(self, db: str, collection: str) -> dict[str, Any]:
        """create's options kept as the table's COMMENT (validator, validationAction), or {}."""
        rows = self.rows("select d.description from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                         "join pg_description d on d.objoid = c.oid where n.nspname = $1 and c.relname = $2 "
                         "and c.relkind = 'r'", [db, collection], ["text", "text"])
        if not rows or not rows[0][0]:
            return {}
        try:
            options = bson_json.loads(rows[0][0])
        except ValueError:
            return {}
        return options if isinstance(options, dict) else {}

    def database_collection_options(self, db: str) -> dict[str, dict[str, Any]]:
        """collection_options of every collection of ``db`` that has any, in one catalog query."""
        rows = self.rows("select c.relname, d.description from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                         "join pg_description d on d.objoid = c.oid where n.nspname = $1 and c.relkind = 'r'",
                         [db], ["text"])
        found: dict[str, dict[str, Any]] = {}
        for name, text in rows:
            try:
                options = bson_json.loads(text) if text else {}
            except ValueError:
                continue
            if isinstance(options, dict) and options:
                found[name] = options
        return found

    def set_collection_options(self, db: str, collection: str, options: dict[str, Any]) -> None:
        text = bson_json.dumps(options).replace("'", "''")
        self.execute(f"comment on table {table_name(db, collection)} is '{text}'")

    def drop_collection(self, db: str, collection: str) -> None:
        self.execute(f"drop table if exists {table_name(db, collection)}")

    def drop_database(self, db: str) -> None:
        self.execute(f"drop schema if exists {quote_ident(db)} cascade")

    def count(self, db: str, collection: str) -> int:
        if self._missing_in_transaction(db, collection):
            return 0
        try:
            return int(self.rows(f"select count(*) from {table_name(db, collection)}")[0][0])
        except HeliosError as exc:
            if exc.sqlstate in MISSING_TABLE:
                return 0
            raise

    # -- documents ----------------------------------------------------------------

    def _missing_in_transaction(self, db: str, collection: str) -> bool:
        """Inside a transaction a failed statement would abort it: ask the catalog first instead."""
        return self.session.transaction_state != "idle" and not self.collection_exists(db, collection)

    def scan(self, db: str, collection: str, where: str = "", params: Sequence[Any] = (),
             types: Sequence[str] = (), score: str = "", *, descending: bool = False,
             as_of: int | None = None) -> Iterator[dict[str, Any]]:
        """Documents of the collection (none when it does not exist), filtered by ``where`` if given;
        with ``score`` (a SQL expression) each is a ScoredDocument carrying its value. A capped
        collection's come in insertion order (``descending``: newest first). ``as_of``: the
        collection as it was at that commit timestamp (µs), as a snapshot read sees it."""
        if self._missing_in_transaction(db, collection):
            return iter(())
        if score:
            return self._scored(db, collection, where, params, types, score, as_of)
        ordered = self.has_order_column(db, collection)
        sql = f"select _id, doc{', ' + ORDER_COLUMN if ordered else ''} from {table_name(db, collection)}"
        if as_of is not None:
            sql += f" as of timestamp {int(as_of)}"
        if where:
            sql += f" where {where}"
        if self.is_capped(db, collection):
            sql += f" order by {NATURAL_COLUMN}{' desc' if descending else ''}"
        try:
            result = self.run(sql, params, types)
        except HeliosError as exc:
            if exc.sqlstate in MISSING_TABLE:
                return iter(())
            if self._columns_changed(exc, db, collection):
                return self.scan(db, collection, where, params, types, descending=descending, as_of=as_of)
            raise
        finally:
            if as_of is not None:
                self._prepared.pop(sql, None)  # one statement per timestamp: not worth keeping
        rows: list[tuple[Any, ...]] = []
        for batch in result.batches:
            rows.extend(zip(*(batch.column(i).to_pylist() for i in range(batch.num_columns)), strict=True))
        if ordered:
            return (bson_json.load_document(doc, key, order) for key, doc, order in rows)
        return (bson_json.load_document(doc, key) for key, doc in rows)

    def point_read(self, db: str, collection: str, key: Any) -> dict[str, Any] | None:
        """The document whose ``_id`` is ``key`` by one primary-key lookup (the kernel's short point
        read), or None: a string or ObjectId (jsonb equality is MongoDB's for those) or a stored
        document's own ``_id`` (its jsonb is the key column's)."""
        if self._missing_in_transaction(db, collection):
            return None
        ordered = self.has_order_column(db, collection)
        sql = self._point_sql.get((db, collection, ordered))
        if sql is None:
            if len(self._point_sql) > 10_000:
                self._point_sql.clear()
            sql = self._point_sql[(db, collection, ordered)] = (
                f"select _id, doc{', ' + ORDER_COLUMN if ordered else ''} from {table_name(db, collection)} "
                "where _id = $1")
        try:
            result = self.run_point(sql, [bson_json.key_text(key)], ["jsonb"])
        except HeliosError as exc:
            if exc.sqlstate in MISSING_TABLE:
                return None
            if self._columns_changed(exc, db, collection):
                return self.point_read(db, collection, key)
            raise
        for batch in result.batches:
            if batch.num_rows:
                row = [column.to_pylist()[0] for column in batch.columns]
                return bson_json.load_document(row[1], row[0], *row[2:])
        return None

    def _scored(self, db: str, collection: str, where: str, params: Sequence[Any], types: Sequence[str],
                score: str, as_of: int | None = None) -> Iterator[dict[str, Any]]:
        ordered = self.has_order_column(db, collection)
        sql = (f"select _id, doc, {score}{', ' + ORDER_COLUMN if ordered else ''} "
               f"from {table_name(db, collection)}" + (f" as of timestamp {int(as_of)}" if as_of is not None else "")
               + (f" where {where}" if where else ""))
        try:
            result = self.run(sql, params, types)
        except HeliosError as exc:
            if exc.sqlstate in MISSING_TABLE:
                return iter(())
            raise
        out = []
        for batch in result.batches:
            for row in zip(*(batch.column(i).to_pylist() for i in range(batch.num_columns)), strict=True):
                doc = text_search.ScoredDocument(bson_json.load_document(row[1], row[0], *row[3:]))
                doc.text_score = float(row[2])
                out.append(doc)
        return iter(out)

    def insert(self, db: str, collection: str, docs: Sequence[dict[str, Any]]) -> int:
        """Insert documents (each has its ``_id``) as one batch; the table is created if missing."""
        rows = [bson_json.encode_row(d) for d in docs]
        if self._missing_in_transaction(db, collection):
            self.create_collection(db, collection)
        try:
            return self._copy_rows(db, collection, rows)
        except HeliosError as exc:
            if exc.sqlstate not in MISSING_TABLE and not self._columns_changed(exc, db, collection):
                raise
            if exc.sqlstate in MISSING_TABLE:
                self.create_collection(db, collection)
        return self._copy_rows(db, collection, rows)

    def _copy_rows(self, db: str, collection: str, rows: list[tuple[str, str, str | None]]) -> int:
        ordered = self.has_order_column(db, collection)
        columns = ["_id", "doc", ORDER_COLUMN] if ordered else ["_id", "doc"]
        if not self.use_copy or "." in collection or any("\\u0000" in doc for _, doc, _ in rows):
            # COPY cannot name a table with a dot in its name (fs.files); jsonb refuses NUL: let its input say so
            return self._insert_statement(db, collection, rows, ordered)
        key = (db, collection, ordered)
        known = self._copy_specs.get(key)
        if known is not None and known[0] == self.session.catalog_version:
            spec = known[1]
        else:
            try:
                # COPY's start checks INSERT privilege and the table's triggers, as for a SQL client's COPY;
                # its answer holds while no catalog changes (privileges, triggers and the table are catalog)
                version = self.session.catalog_version
                started = self.session.execute(f"copy {table_name(db, collection)} ({', '.join(columns)}) from stdin")
            except HeliosError as exc:
                if exc.sqlstate != "0A000":
                    raise
                return self._insert_statement(db, collection, rows, ordered)  # a table with triggers: INSERT fires them
            # bson_json writes _id and doc in jsonb's own text (test_bson_json): the kernel need not parse them again
            spec = attrs.evolve(started[-1].copy, canonical_text=CANONICAL_COLUMNS)
            self._copy_specs[key] = (version, spec)
        arrays = [pa.array([r[i] for r in rows], pa.string()) for i in range(len(columns))]
        batch = pa.RecordBatch.from_arrays(arrays, schema=spec.arrow_schema)
        return self.session.copy_in(spec, iter([batch])).row_count or 0

    def _insert_statement(self, db: str, collection: str, rows: list[tuple[str, str, str | None]],
                          ordered: bool) -> int:
        """The same rows through INSERT ... SELECT (parsed by jsonb's input; triggers fire)."""
        payload = "[" + ",".join(f"[{doc}, {json.dumps(order)}]" for _, doc, order in rows) + "]"
        order_column, order_value = (f", {ORDER_COLUMN}", ", e ->> 1") if ordered else ("", "")
        sql = (f"insert into {table_name(db, collection)} (_id, doc{order_column}) "
               f"select e -> 0 -> '_id', e -> 0{order_value} from jsonb_array_elements($1) as e")
        return self.run(sql, [payload], ["jsonb"]).row_count or 0

    # -- capped collections -----------------------------------------------------

    def insert_capped(self, db: str, collection: str, docs: Sequence[dict[str, Any]]) -> int:
        """Insert into a capped collection: in the given order, each with its BSON size."""
        rows = [bson_json.encode_row(d) for d in docs]
        payload = "[" + ",".join(f"[{doc}, {json.dumps(order)}, {bson_json.bson_size(d)}]"
                                 for (_, doc, order), d in zip(rows, docs, strict=True)) + "]"
        sql = (f"insert into {table_name(db, collection)} (_id, doc, {ORDER_COLUMN}, {SIZE_COLUMN}) "
               f"select e -> 0 -> '_id', e -> 0, e ->> 1, (e ->> 2)::integer "
               f"from jsonb_array_elements($1) with ordinality as t(e, n) order by n")
        return self.run(sql, [payload], ["jsonb"]).row_count or 0

    def capped_totals(self, db: str, collection: str) -> tuple[int, int]:
        """(documents, bytes of BSON) of a capped collection."""
        rows = self.rows(f"select count(*), coalesce(sum({SIZE_COLUMN}), 0) from {table_name(db, collection)}")
        return int(rows[0][0]), int(rows[0][1])

    def oldest_sizes(self, db: str, collection: str, limit: int) -> list[tuple[int, int]]:
        """(natural position, BSON size) of the ``limit`` oldest documents of a capped collection."""
        return [(int(n), int(size)) for n, size in self.rows(
            f"select {NATURAL_COLUMN}, {SIZE_COLUMN} from {table_name(db, collection)} "
            f"order by {NATURAL_COLUMN} limit $1", [limit], ["bigint"])]

    def delete_through(self, db: str, collection: str, position: int) -> int:
        """Delete a capped collection's documents up to ``position`` (its oldest)."""
        return self.run(f"delete from {table_name(db, collection)} where {NATURAL_COLUMN} <= $1",
                        [position], ["bigint"]).row_count or 0

    def natural_after(self, db: str, collection: str, position: int) -> list[tuple[int, dict[str, Any]]]:
        """(natural position, document) of a capped collection's documents inserted after ``position``."""
        ordered = self.has_order_column(db, collection)
        sql = (f"select {NATURAL_COLUMN}, _id, doc{', ' + ORDER_COLUMN if ordered else ''} "
               f"from {table_name(db, collection)} where {NATURAL_COLUMN} > $1 order by {NATURAL_COLUMN}")
        try:
            rows = self.rows(sql, [position], ["bigint"])
        except HeliosError as exc:
            if exc.sqlstate in MISSING_TABLE:
                return []
            raise
        return [(int(row[0]), bson_json.load_document(row[2], row[1], *row[3:])) for row in rows]

    def has_position(self, db: str, collection: str, position: int) -> bool:
        """Whether the document at ``position`` of a capped collection is still there."""
        try:
            return bool(self.rows(f"select 1 from {table_name(db, collection)} where {NATURAL_COLUMN} = $1",
                                  [position], ["bigint"]))
        except HeliosError as exc:
            if exc.sqlstate in MISSING_TABLE:
                return False
            raise

    def replace(self, db: str, collection: str, old_id: Any, doc: dict[str, Any]) -> int:
        """Write ``doc`` over the row of ``old_id``: a point UPDATE by primary key. ``_id`` is immutable
        (the update checked it), so the key column is not set again: no key change for the kernel."""
        id_text, doc_text, order = bson_json.encode_row(doc)
        # jsonb's own texts (test_bson_json): the key's too when it is the document's _id itself (it is
        # unless an update replaced it by an equal value of another type, 1 by 1.0)
        key = CanonicalText(id_text) if doc.get("_id") is old_id else bson_json.key_text(old_id)
        params = [key, CanonicalText(doc_text)]
        types = ["jsonb", "jsonb"]
        if self.has_order_column(db, collection):
            sql = f"update {table_name(db, collection)} set doc = $2, {ORDER_COLUMN} = $3 where _id = $1"
            params.append(order)
            types.append("text")
        else:
            sql = f"update {table_name(db, collection)} set doc = $2 where _id = $1"
        try:
            return self.run(sql, params, types).row_count or 0
        except HeliosError as exc:
            if self._columns_changed(exc, db, collection):
                return self.replace(db, collection, old_id, doc)
            raise

    def delete_ids(self, db: str, collection: str, ids: Sequence[Any]) -> int:
        if not ids or self._missing_in_transaction(db, collection):
            return 0
        sql = f"delete from {table_name(db, collection)} where _id = any(select jsonb_array_elements($1))"
        payload = "[" + ",".join(bson_json.dumps(i) for i in ids) + "]"
        try:
            return self.run(sql, [payload], ["jsonb"]).row_count or 0
        except HeliosError as exc:
            if exc.sqlstate in MISSING_TABLE:
                return 0
            raise

    def size_bytes(self, db: str, collection: str) -> int:
        if self._missing_in_transaction(db, collection):
            return 0
        try:
            rows = self.rows(f"select coalesce(sum(length(doc::text)), 0) from {table_name(db, collection)}")
        except HeliosError as exc:
            if exc.sqlstate in MISSING_TABLE:
                return 0
            raise
        return int(rows[0][0])


def id_json(value: Any) -> str:
    return json.dumps(bson_json.to_json_value(value))
