"""CLUSTER: rewrite a table in the order of one of its indexes, as PostgreSQL does.

``CLUSTER table USING index`` sorts the table's rows by the index's keys (each key's direction
and NULLS placement) and writes them again in that order in the statement's transaction: the
old versions end, the new ones follow one another, so a later scan without ORDER BY and the
rows' ctids follow the index, until rows are written again. The index is remembered
(pg_index.indisclustered, as ``ALTER TABLE ... CLUSTER ON`` sets it): ``CLUSTER table`` uses
it, and ``CLUSTER`` alone reclusters every such table the user owns (outside a transaction
block, as PostgreSQL requires). The rows are moved by the storage kernel, not by DML: no trigger
fires and no constraint is checked again, as for PostgreSQL's rewrite. Keys that are
expressions are refused (0A000), and so are partitioned tables.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedObject
from helios_core.session import Result
from helios_core.sql import ddl, object_privileges, partitions, transactions
from helios_core.sql.context import table_sql_columns
from helios_core.sql.functions.compare import sort_key

_OPTIONS = ("verbose",)


def cluster(session: Any, a: dict) -> Result:
    for name in a["options"]:
        if name not in _OPTIONS:
            raise HeliosError(f'unrecognized CLUSTER option "{name}"', sqlstate="42601")
    if a["table"] is None:
        if session.tx.in_block:
            raise transactions.ActiveTransaction("CLUSTER cannot run inside a transaction block")
        session.tx.statement_start()
        txn = session.tx.current()
        for tdef in txn.list_tables():
            index = (tdef.options or {}).get("clustered_index")
            ref = object_privileges.ObjectRef("table", tdef.name, tdef.schema)
            if index and partitions.spec(tdef) is None and object_privileges.is_owner(session, ref, txn):
                _recluster(txn, tdef, index)
        return Result(command_tag="CLUSTER")
    session.tx.statement_start()
    txn = session.tx.current()
    tdef = ddl.table_to_alter(session, txn, a["table"], False)
    if partitions.spec(tdef) is not None:
        raise FeatureNotSupported("CLUSTER of a partitioned table is not supported")
    index = a["index"] or (tdef.options or {}).get("clustered_index")
    if not index:
        raise UndefinedObject(f'there is no previously clustered index for table "{tdef.name}"')
    _recluster(txn, tdef, index)
    return Result(command_tag="CLUSTER")


def _recluster(txn: Any, tdef: Any, index: str) -> None:
    keys = index_keys(txn, tdef, index)
    txn.lock_table(tdef.schema, tdef.name, "exclusive")
    if (tdef.options or {}).get("clustered_index") != index:
        tdef = txn.alter_table(tdef.schema, tdef.name, options={"clustered_index": index})
    batches = [b for b in txn.scan_def(tdef, with_rowid=True) if b.num_rows]
    if not batches:
        return
    rows = pa.Table.from_batches(batches)
    order = _sort_indices(rows, keys, dict(table_sql_columns(tdef)))
    rowids = rows.column(rows.num_columns - 1).combine_chunks()
    data = rows.drop_columns([rows.column_names[-1]]).take(order)
    txn.delete_def(tdef, rowids)
    txn.insert_def(tdef, data)


def index_keys(txn: Any, tdef: Any, index: str) -> list[tuple[str, bool, bool]]:
    """(column, descending, nulls first) of each key of the table's btree index ``index``."""
    rec = txn.catalog_get("index", f"{tdef.schema}.{index}")
    if rec is not None and str(rec.get("table", "")).split(".")[-1] == tdef.name:
        if rec.get("method", "btree") != "btree":
            raise FeatureNotSupported(f'cannot cluster on index "{index}" because access method does not '
                                      "support clustering")
        if rec.get("where"):
            raise FeatureNotSupported(f'cannot cluster on partial index "{index}"')
        out = []
        for k in rec.get("keys") or [{"column": c} for c in rec.get("columns") or []]:
            if "column" not in k:
                raise FeatureNotSupported(f'CLUSTER on index "{index}", whose keys include an expression, '
                                          "is not supported")
            desc = bool(k.get("desc"))
            out.append((k["column"], desc, bool(k.get("nulls_first", desc))))
        return out
    options = tdef.options or {}
    if tdef.primary_key and index == (options.get("pk_name") or f"{tdef.name}_pkey"):
        return [(c, False, False) for c in tdef.primary_key]
    for u in options.get("unique") or []:
        if u.get("name") == index:
            return [(c, False, False) for c in u["columns"]]
    raise UndefinedObject(f'index "{index}" for table "{tdef.name}" does not exist')


def _sort_indices(rows: pa.Table, keys: list[tuple[str, bool, bool]], types: dict[str, Any]) -> pa.Array:
    """Row order by the keys: each key's NULLs placed by a flag column sorted before its values
    (Arrow places NULLs once for all keys), its values compared as ORDER BY compares them."""
    columns: dict[str, Any] = {}
    sort_keys = []
    for i, (name, desc, nulls_first) in enumerate(keys):
        values = rows.column(name).combine_chunks()
        columns[f"n{i}"] = pc.is_null(values)
        columns[f"v{i}"] = sort_key(values, types[name])
        sort_keys += [(f"n{i}", "descending" if nulls_first else "ascending"),
                      (f"v{i}", "descending" if desc else "ascending")]
    return pc.sort_indices(pa.table(columns), sort_keys=sort_keys)
