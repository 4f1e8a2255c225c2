"""Catalog operations of a transaction: tables, columns, keys, and generic catalog entries.

The catalog is a table of the branch itself (kind, key, JSON value; primary key (kind, key)),
so DDL is transactional, stays on its branch, and time travel sees the schema of its time.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import (
    DuplicateTable,
    HeliosError,
    NotNullViolation,
    UndefinedColumn,
    UndefinedTable,
    UniqueViolation,
)
from helios_core.storage import column_fills
from helios_core.storage.reads import READ_COMMITTED
from helios_core.storage.schema import ColumnDef, TableDef
from helios_core.storage.versions import ROWID

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.txn import Transaction as _Txn
else:
    _Txn = object

CATALOG = TableDef(
    "pg_internal", "catalog",
    [ColumnDef("kind", pa.string(), False, {}, 0), ColumnDef("key", pa.string(), False, {}, 1),
     ColumnDef("value", pa.string(), False, {}, 2)],
    ["kind", "key"], {}, 0, 0, 3,
)


class CatalogOps(_Txn):
    """Mixed into Transaction."""
    def _def(self, schema: str, name: str) -> TableDef:
        t = self.get_table(schema, name)
        if t is None:
            raise UndefinedTable(f'relation "{name}" does not exist' if schema in ("public", "") else
                                 f'relation "{schema}.{name}" does not exist')
        return t

    def catalog_get(self, kind: str, key: str) -> dict | None:
        self._check_active()
        row = self._lookup_phys(self._branch, CATALOG, (kind, key), self.snapshot_ts, self.txid)
        if row is None:
            return None
        return self.store._parse_json(row.column(2)[0].as_py())

    def catalog_list(self, kind: str) -> dict[str, dict]:
        self._check_active()
        out: dict[str, dict] = {}
        for b in self.scan_def(CATALOG, filter=pc.field("kind") == kind):
            for k, v in zip(b.column(1).to_pylist(), b.column(2).to_pylist(), strict=True):
                out[k] = self.store._parse_json(v)
        return out

    def catalog_put(self, kind: str, key: str, value: dict) -> None:
        self._check_write()
        self.ddl = True
        text = json.dumps(value, sort_keys=True, default=str)
        row = pa.record_batch({"kind": [kind], "key": [key], "value": [text]})
        while True:
            latest = self._latest_ts()
            found = self._lookup_phys(self._branch, CATALOG, (kind, key), latest, self.txid, with_rowid=True)
            if found is None:
                self.insert_def(CATALOG, row)
                return
            rid = pa.array([found.column(ROWID)[0].as_py()], pa.int64())
            # the entry may have been replaced after this statement's snapshot (a job's record by the
            # scheduler): under READ COMMITTED the update applies to the version just looked up, as
            # PostgreSQL's re-check of a concurrently updated row does (else this loop never ends)
            before = self._recheck_snap
            if self.isolation == READ_COMMITTED and (before is None or before < latest):
                self._recheck_snap = latest
            try:
                out = self.update_def(CATALOG, rid, row)
            finally:
                self._recheck_snap = before
            if out.count:
                return

    def catalog_comment(self, key: str, text: str | None) -> None:
        """COMMENT ON ... IS 'text' | NULL: the comment kept under ``key`` set, or removed."""
        if text is None:
            self.catalog_delete("comment", key)
        else:
            self.catalog_put("comment", key, {"text": text})

    def catalog_delete(self, kind: str, key: str) -> bool:
        self._check_write()
        self.ddl = True
        while True:
            found = self._lookup_phys(self._branch, CATALOG, (kind, key), self._latest_ts(), self.txid,
                                      with_rowid=True)
            if found is None:
                return False
            out = self.delete_def(CATALOG, pa.array([found.column(ROWID)[0].as_py()], pa.int64()))
            if out.count:
                return True

    def get_table(self, schema: str, name: str) -> TableDef | None:
        self._check_active()
        store = self.store
        snap = self.snapshot_ts
        version = store.catalog_version  # read before catalog_ts (_apply writes them in the other order)
        cacheable = not self.ddl and snap >= store.catalog_ts
        key = (self._branch.branch_id, schema, name)
        if cacheable:
            hit = store._table_cache.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]
        row = self._lookup_phys(self._branch, CATALOG, ("table", f"{schema}.{name}"), snap, self.txid)
        t = None if row is None else store._parse_tabledef(row.column(2)[0].as_py())
        if cacheable:
            if len(store._table_cache) > 10000:
                store._table_cache.clear()
            store._table_cache[key] = (version, t)
        return t

    def get_table_as_of(self, schema: str, name: str, ts: int) -> TableDef | None:
        """The table's definition as it was at `ts` (time travel sees the schema of its time)."""
        row = self._lookup_phys(self._branch, CATALOG, ("table", f"{schema}.{name}"), ts, 0)
        return None if row is None else self.store._parse_tabledef(row.column(2)[0].as_py())

    def list_tables(self, schema: str | None = None) -> list[TableDef]:
        """Every visible table (of ``schema``), each parsed once per distinct stored text (the
        definitions are frozen and shared, as get_table's are)."""
        self._check_active()
        found: dict[str, TableDef] = {}
        for b in self.scan_def(CATALOG, filter=pc.field("kind") == "table"):
            for k, v in zip(b.column(1).to_pylist(), b.column(2).to_pylist(), strict=True):
                found[k] = self.store._parse_tabledef(v)
        return sorted((t for t in found.values() if schema is None or t.schema == schema),
                      key=lambda t: (t.schema, t.name))

    def create_table(
        self, schema: str, name: str, columns: list[ColumnDef], primary_key: list[str] | None = None,
        options: dict[str, Any] | None = None, if_not_exists: bool = False,
    ) -> TableDef:
        self._check_write()
        existing = self.get_table(schema, name)
        if existing is not None:
            if if_not_exists:
                return existing
            raise DuplicateTable(f'relation "{name}" already exists')
        pk = list(primary_key or [])
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            raise HeliosError("column specified more than once", sqlstate="42701")
        for k in pk:
            if k not in names:
                raise UndefinedColumn(f'column "{k}" named in key does not exist')
        cols = [
            ColumnDef(c.name, c.type, c.nullable and c.name not in pk, dict(c.metadata), i)
            for i, c in enumerate(columns)
        ]
        oid = self.store._alloc_id()
        t = TableDef(schema, name, cols, pk, dict(options or {}), oid, oid, len(cols))
        try:
            self.catalog_put_new("table", f"{schema}.{name}", t.to_record())
        except UniqueViolation:
            raise DuplicateTable(f'relation "{name}" already exists') from None
        return t

    def catalog_put_new(self, kind: str, key: str, value: dict) -> None:
        """Insert a catalog entry that must not exist yet (UniqueViolation if a concurrent one won)."""
        self._check_write()
        self.ddl = True
        text = json.dumps(value, sort_keys=True, default=str)
        self.insert_def(CATALOG, pa.record_batch({"kind": [kind], "key": [key], "value": [text]}))

    def drop_table(self, schema: str, name: str, if_exists: bool = False) -> bool:
        self._check_write()
        t = self.get_table(schema, name)
        if t is not None:  # wait for the table's open writers (ACCESS EXCLUSIVE)
            try:
                self._lock_table(t, "exclusive")
            except UndefinedTable:
                if if_exists:
                    return False
                raise
        if not self.catalog_delete("table", f"{schema}.{name}"):
            if if_exists:
                return False
            raise UndefinedTable(f'table "{name}" does not exist')
        return True

    def alter_table(
        self, schema: str, name: str, *, add_column: ColumnDef | None = None, drop_column: str | None = None,
        rename_column: tuple[str, str] | None = None, rename_to: str | None = None,
        options: dict | None = None, fill_value: Any = None, move_to_schema: str | None = None,
    ) -> TableDef:
        """Change a table's definition. `fill_value`: value existing rows get for `add_column`.
        `move_to_schema`: the table's new schema (its data stays where it is)."""
        self._check_write()
        t = self._lock_table(self._def(schema, name), "exclusive")
        rec = t.to_record()
        cols = list(t.columns)
        if add_column is not None:
            if t.column(add_column.name) is not None:
                raise HeliosError(f'column "{add_column.name}" of relation "{name}" already exists',
                                  sqlstate="42701")
            if not add_column.nullable and fill_value is None and self._has_rows(t):
                raise NotNullViolation(f'column "{add_column.name}" of relation "{name}" contains null values')
            md = dict(add_column.metadata)
            cols.append(ColumnDef(add_column.name, add_column.type, add_column.nullable, md, t.next_col_id))
            rec["next_col_id"] = t.next_col_id + 1
            if fill_value is not None:
                fills = dict(t.options.get("__fill__", {}))
                fills[str(t.next_col_id)] = column_fills.encode(fill_value, add_column.type)
                rec["options"] = {**t.options, "__fill__": fills}
        if drop_column is not None:
            if t.column(drop_column) is None:
                raise UndefinedColumn(f'column "{drop_column}" of relation "{name}" does not exist')
            if drop_column in t.primary_key:
                raise HeliosError(f'cannot drop column "{drop_column}": it is part of the primary key',
                                  sqlstate="2BP01")
            cols = [c for c in cols if c.name != drop_column]
        if rename_column is not None:
            old, new = rename_column
            if t.column(old) is None:
                raise UndefinedColumn(f'column "{old}" does not exist')
            if t.column(new) is not None:
                raise HeliosError(f'column "{new}" of relation "{name}" already exists', sqlstate="42701")
            cols = [ColumnDef(new, c.type, c.nullable, c.metadata, c.col_id) if c.name == old else c
                    for c in cols]
            rec["primary_key"] = [new if k == old else k for k in t.primary_key]
        if options is not None:
            rec["options"] = {**rec["options"], **options}
        tmp = TableDef(t.schema, t.name, cols, rec["primary_key"], rec["options"], t.table_id, t.data_id,
                       rec["next_col_id"])
        rec = tmp.to_record()
        if rename_to is not None and rename_to != name:
            if self.get_table(schema, rename_to) is not None:
                raise DuplicateTable(f'relation "{rename_to}" already exists')
            rec["name"] = rename_to
            self.catalog_delete("table", f"{schema}.{name}")
            self.catalog_put_new("table", f"{schema}.{rename_to}", rec)
        elif move_to_schema is not None and move_to_schema != schema:
            if self.get_table(move_to_schema, name) is not None:
                raise DuplicateTable(f'relation "{name}" already exists in schema "{move_to_schema}"')
            rec["schema"] = move_to_schema
            self.catalog_delete("table", f"{schema}.{name}")
            self.catalog_put_new("table", f"{move_to_schema}.{name}", rec)
        else:
            self.catalog_put("table", f"{schema}.{name}", rec)
        return TableDef.from_record(rec)

    def truncate(self, schema: str, name: str) -> None:
        """Empty the table by pointing it at a fresh data set (old snapshots still see the old one)."""
        self._check_write()
        t = self._lock_table(self._def(schema, name), "exclusive")
        rec = t.to_record()
        rec["data_id"] = self.store._alloc_id()
        self.catalog_put("table", f"{schema}.{name}", rec)

    def _has_rows(self, t: TableDef) -> bool:
        return any(b.num_rows for b in self.scan_def(t))

    def set_primary_key(self, schema: str, name: str, pk: list[str]) -> TableDef:
        """ALTER TABLE ADD PRIMARY KEY: checks NOT NULL + uniqueness, then rewrites into a keyed data set."""
        self._check_write()
        t = self._lock_table(self._def(schema, name), "exclusive")
        for k in pk:
            if t.column(k) is None:
                raise UndefinedColumn(f'column "{k}" of relation "{name}" does not exist')
        data = self._all_rows(t)
        for k in pk:
            if data.column(k).null_count:
                raise NotNullViolation(f'column "{k}" of relation "{name}" contains null values')
        if data.num_rows:
            counts = data.group_by(pk).aggregate([([], "count_all")])
            dup = counts.filter(pc.greater(counts.column("count_all"), 1))
            if dup.num_rows:
                key = tuple(dup.column(k)[0].as_py() for k in pk)
                raise UniqueViolation(
                    f'could not create unique index "{t.name}_pkey"',
                    detail=f"Key ({', '.join(pk)})=({', '.join(map(str, key))}) is duplicated.")
        cols = [ColumnDef(c.name, c.type, c.nullable and c.name not in pk, c.metadata, c.col_id) for c in t.columns]
        return self._rewrite(t, TableDef(t.schema, t.name, cols, list(pk), t.options, t.table_id,
                                         self.store._alloc_id(), t.next_col_id), data)

    def drop_primary_key(self, schema: str, name: str) -> TableDef:
        """ALTER TABLE DROP CONSTRAINT <primary key>: the rows rewritten into a data set without a key
        (the key columns keep NOT NULL, as in PostgreSQL)."""
        self._check_write()
        t = self._lock_table(self._def(schema, name), "exclusive")
        if not t.primary_key:
            return t
        data = self._all_rows(t)
        return self._rewrite(t, TableDef(t.schema, t.name, list(t.columns), [], t.options, t.table_id,
                                         self.store._alloc_id(), t.next_col_id), data)

    def replace_column(self, schema: str, name: str, col: ColumnDef) -> TableDef:
        """ALTER COLUMN: new name/nullability/metadata, or a new type (rows are cast and rewritten).

        The column is found by ``col.col_id`` (as returned in TableDef.columns).
        """
        self._check_write()
        t = self._lock_table(self._def(schema, name), "exclusive")
        old = next((c for c in t.columns if c.col_id == col.col_id), None)
        if old is None:
            raise UndefinedColumn(f'column "{col.name}" of relation "{name}" does not exist')
        if col.name != old.name and t.column(col.name) is not None:
            raise HeliosError(f'column "{col.name}" of relation "{name}" already exists', sqlstate="42701")
        nullable = col.nullable and old.name not in t.primary_key
        cols = [ColumnDef(col.name, col.type, nullable, dict(col.metadata), c.col_id) if c.col_id == col.col_id
                else c for c in t.columns]
        pk = [col.name if k == old.name else k for k in t.primary_key]
        if col.type != old.type:
            data = self._all_rows(t)
            try:
                arr = data.column(old.name).cast(col.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise HeliosError(f'column "{old.name}" cannot be cast to {col.type}: {e}', sqlstate="42804") \
                    from None
            data = data.set_column(data.schema.get_field_index(old.name), col.name, arr)
            if not nullable and arr.null_count:
                raise NotNullViolation(f'column "{col.name}" of relation "{name}" contains null values')
            return self._rewrite(t, TableDef(t.schema, t.name, cols, pk, t.options, t.table_id,
                                             self.store._alloc_id(), t.next_col_id), data)
        if not nullable and old.nullable:
            for b in self.scan_def(t, columns=[old.name], filter=pc.field(old.name).is_null()):
                if b.num_rows:
                    raise NotNullViolation(f'column "{old.name}" of relation "{name}" contains null values')
        rec = TableDef(t.schema, t.name, cols, pk, t.options, t.table_id, t.data_id, t.next_col_id).to_record()
        self.catalog_put("table", f"{schema}.{name}", rec)
        return TableDef.from_record(rec)

    def _all_rows(self, t: TableDef) -> pa.Table:
        return pa.Table.from_batches(list(self.scan_def(t)), schema=self.store._present_schema(t, None, False))

    def _rewrite(self, old: TableDef, new: TableDef, data: pa.Table) -> TableDef:
        """Point the table at a fresh data set holding `data` (older snapshots keep the old one)."""
        rec = new.to_record()
        self.catalog_put("table", f"{old.schema}.{old.name}", rec)
        t = TableDef.from_record(rec)
        if data.num_rows:
            self.insert_def(t, data.rename_columns([c.name for c in t.columns]))
        return t
