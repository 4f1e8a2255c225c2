"""pg_relation_size and friends: the bytes a table really occupies on the session's branch.

A table's data on a branch is the Arrow chunks of its layer there (memtable chunks and flushed
segments alike) plus the chunks it shares with its ancestors up to the fork. Like PostgreSQL's
heap, that counts every version still stored, dead ones included, until compaction drops them.
The sizes are the Arrow buffer sizes of those chunks (MVCC stamps and rowids included), so they
grow with the data and shrink after VACUUM/compaction, as PostgreSQL's do.

- ``pg_relation_size(table)``: the chunks' bytes (fork 'main'; 'fsm', 'vm', 'init' are 0);
- ``pg_table_size(table)``: the same (there is no TOAST, free-space or visibility map);
- ``pg_indexes_size(table)``: its primary-key/unique indexes: for each, the key columns' bytes
  plus a rowid (8 bytes) per stored version, what the in-memory key -> rowid map holds;
- ``pg_total_relation_size(table)`` = table + indexes, so total >= table >= relation;
- an index's own ``pg_relation_size`` is its share of ``pg_indexes_size``; a sequence is one
  8 kB page as in PostgreSQL; views are 0; an OID that names nothing gives NULL.
- ``pg_database_size(name | oid)``: every table's total size in that database's main branch
  (the session's branch for the current database).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError, InvalidCatalogName, UndefinedTable
from helios_core.hookspecs import SqlFunction

SEQUENCE_BYTES = 8192
ROWID_BYTES = 8
_FORKS = {"main", "fsm", "vm", "init"}


def _session() -> Any:
    from helios_core.sql.catalog_views.functions import ACTIVE_SESSION

    return ACTIVE_SESSION.get()


def _chunks(txn: Any, schema: str, name: str) -> Iterator[Any]:
    """Every stored chunk of the table as the transaction's branch sees it (own + inherited)."""
    t = txn.get_table(schema, name)
    if t is None:
        return
    branch = txn._branch
    while branch is not None:
        layer = branch.layers.get(t.data_id)
        if layer is not None:
            yield from list(layer.chunks.values())
        branch = branch.parent


def _physical_names(txn: Any, schema: str, name: str, columns: list[str]) -> list[str]:
    t = txn.get_table(schema, name)
    if t is None:
        return []
    by_name = {c.name: f"c{c.col_id}" for c in t.columns}
    return [by_name[c] for c in columns if c in by_name]


def table_bytes(txn: Any, schema: str, name: str) -> int:
    return sum(ch.data.nbytes for ch in _chunks(txn, schema, name))


def index_bytes(txn: Any, schema: str, name: str, columns: list[str]) -> int:
    phys = _physical_names(txn, schema, name, columns)
    total = 0
    for ch in _chunks(txn, schema, name):
        names = set(ch.data.schema.names)
        total += sum(ch.data.column(p).nbytes for p in phys if p in names) + ROWID_BYTES * ch.num_rows
    return total


class _Sizer:
    """Sizes of the relations of one statement's catalog view (the active session's)."""

    def __init__(self) -> None:
        from helios_core.sql.catalog_views.model import CatalogModel

        session = _session()
        self.model = CatalogModel(session) if session is not None else None
        self.txn = self.model.txn if self.model is not None else None

    def relation(self, oid: int) -> Any:
        return self.model.relation_by_oid(oid) if self.model is not None else None

    def indexes_of(self, rel: Any) -> list[Any]:
        return [i for i in self.model.indexes if i.table.oid == rel.oid] if self.model is not None else []

    def relation_size(self, oid: int) -> int | None:
        rel = self.relation(oid)
        if rel is None or self.txn is None:
            return None
        if rel.kind == "r":
            return table_bytes(self.txn, rel.schema, rel.name)
        if rel.kind == "i":
            idx = next((i for i in self.model.indexes if i.relation.oid == oid), None)
            if idx is None:
                return 0
            return index_bytes(self.txn, idx.table.schema, idx.table.name, idx.columns)
        if rel.kind == "S":
            return SEQUENCE_BYTES
        return 0

    def indexes_size(self, oid: int) -> int | None:
        rel = self.relation(oid)
        if rel is None or self.txn is None:
            return None
        return sum(self.relation_size(i.relation.oid) or 0 for i in self.indexes_of(rel))

    def total_size(self, oid: int) -> int | None:
        base = self.relation_size(oid)
        if base is None:
            return None
        rel = self.relation(oid)
        return base + (self.indexes_size(oid) or 0 if rel.kind == "r" else 0)

    def database_size(self) -> int:
        return sum(self.total_size(r.oid) or 0 for r in (self.model.relations if self.model else [])
                   if r.kind in ("r", "S"))


def _relation_oid(v: Any) -> int | None:
    """A regclass argument: an OID, or a relation name given as text (42P01 when unknown)."""
    if v is None or isinstance(v, int):
        return v
    from helios_core.sql.catalog_views.functions import regclass_oid

    oid = regclass_oid(str(v))
    if oid is None:
        raise UndefinedTable(f'relation "{v}" does not exist')
    return oid


def _per_oid(measure: Callable[[_Sizer, int], int | None]) -> Callable[[list[pa.Array]], pa.Array]:
    def impl(args: list[pa.Array]) -> pa.Array:
        sizer = _Sizer()
        oids = [_relation_oid(v) for v in args[0].to_pylist()]
        forks = args[1].to_pylist() if len(args) > 1 else [None] * len(oids)
        out = []
        for oid, fork in zip(oids, forks, strict=True):
            if fork is not None and fork not in _FORKS:
                raise HeliosError("invalid fork name", sqlstate="22023",
                                  hint='Valid fork names are "main", "fsm", "vm", and "init".')
            if oid is None:
                out.append(None)
            elif fork not in (None, "main"):
                out.append(0 if sizer.relation(int(oid)) is not None else None)
            else:
                out.append(measure(sizer, int(oid)))
        return pa.array(out, pa.int64())

    return impl


def _database_size(args: list[pa.Array]) -> pa.Array:
    from helios_core.engine import TEMPLATE_DATABASES
    from helios_core.sql.catalog_views.pg_catalog import database_oid

    session = _session()
    current = getattr(session, "database", None)
    sizer = _Sizer()
    out = []
    for v in args[0].to_pylist():
        if v is None:
            out.append(None)
            continue
        if isinstance(v, int):  # by OID
            name = next((d for d in (*_databases(session), *TEMPLATE_DATABASES) if database_oid(d) == v), None)
            if name is None:
                out.append(None)
                continue
            v = name
        if v == current:
            out.append(sizer.database_size())
            continue
        if v in TEMPLATE_DATABASES:  # listed, never holding data here
            out.append(0)
            continue
        out.append(_other_database_size(session, str(v)))
    return pa.array(out, pa.int64())


def _databases(session: Any) -> list[str]:
    engine = getattr(session, "engine", None)
    return list(engine.list_databases()) if engine is not None else [getattr(session, "database", "")]


def _other_database_size(session: Any, name: str) -> int:
    if name not in _databases(session):
        raise InvalidCatalogName(f'database "{name}" does not exist')
    store = session.engine.store
    txn = store.begin(name, "main", read_only=True)
    try:
        return sum(table_bytes(txn, t.schema, t.name) for t in txn.list_tables())
    finally:
        txn.rollback()


FUNCTIONS = [
    SqlFunction(name="pg_relation_size", impl=_per_oid(_Sizer.relation_size), return_type="bigint"),
    SqlFunction(name="pg_table_size", impl=_per_oid(_Sizer.relation_size), return_type="bigint"),
    SqlFunction(name="pg_indexes_size", impl=_per_oid(_Sizer.indexes_size), return_type="bigint"),
    SqlFunction(name="pg_total_relation_size", impl=_per_oid(_Sizer.total_size), return_type="bigint"),
    SqlFunction(name="pg_database_size", impl=_database_size, return_type="bigint"),
]
