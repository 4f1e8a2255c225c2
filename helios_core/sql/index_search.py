"""Plugin indexes that find rows: a WHERE condition ``key operator constant`` answered by an index.

An access method a plugin provides (``hookspecs.IndexKind``) may list operators and a
``search``. When a scan's WHERE has a condition ``key symbol constant`` whose symbol the kind
lists and whose left side is a key of one of the table's indexes of that kind (the column, or
the same expression), the scan asks ``search`` for the rows instead of reading the table:

    Filter body @@@ 'shoes'                ->   Index Scan using docs_bm25 on docs
      Scan docs [id, body]                        Index Cond: (body @@@ 'shoes')

The kind derives its structure chunk by chunk from what the statement's snapshot walks
(``Transaction.chunks_def``): chunks are immutable, so a structure built from one stays valid,
and each chunk comes with the rows the snapshot sees. The scan then reads the returned rowids
under the same snapshot, so MVCC and branches decide what is seen, as for any scan. An exact
kind's condition is answered by the index alone; another's (a lossy GIN) is checked again on
the rows read. A ranking kind returns a score per row: ``heliosdb.score(column)`` of that table.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import pyarrow as pa
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends.postgres.dialect import parse
from helios_core.hookspecs import IndexChunk, IndexSearch
from helios_core.plugins import get_plugin_manager, index_kinds
from helios_core.sql import types as T
from helios_core.sql.dml import _scope
from helios_core.sql.expr import compile_scalar
from helios_core.sql.extensions import trigram_index
from helios_core.sql.index_definitions import expression_sql, referenced_columns
from helios_core.sql.operators.base import batch_of

SCORE_COLUMN = "__score"  # the hidden column heliosdb.score(...) reads


@attrs.define
class IndexUse:
    """One condition a scan hands to an index: which index, key and operator, the constant."""

    kind: Any  # hookspecs.IndexKind
    index: dict[str, Any]
    key: int
    operator: str
    value: Any  # Compiled: the constant operand, evaluated per execution
    text: str
    limit: int | None = None  # ORDER BY its score DESC LIMIT n straight above: the n best rows suffice
    recheck: Any = None  # Compiled: the condition, evaluated on the rows read when the search was lossy

    @property
    def exact(self) -> bool:
        return bool(self.kind.exact)

    def explain(self, table: str, alias: str) -> tuple[str, list[str], list[str]]:
        """EXPLAIN's label, first and last details, in PostgreSQL's words for an index scan or a
        bitmap heap scan (whose bitmap index scan is drawn as its child)."""
        name = f"{table} {alias}" if alias and alias != table else table
        if self.exact:
            top = [f"Index Top-K: {self.limit} by score"] if self.limit is not None else []
            return f"Index Scan using {self.index['name']} on {name}", [f"Index Cond: ({self.text})", *top], []
        return f"Bitmap Heap Scan on {name}", [f"Recheck Cond: ({self.text})"], [
            f"->  Bitmap Index Scan on {self.index['name']}", f"      Index Cond: ({self.text})"]


_KINDS: list[dict[str, Any]] = []


def searchable_kinds() -> dict[str, Any]:
    """The installed access methods that can find rows (read once per process)."""
    if not _KINDS:
        _KINDS.append({name: k for name, k in index_kinds(get_plugin_manager()).items() if k.search is not None})
    return _KINDS[0]


def kind_of(index: dict[str, Any]) -> Any:
    """The access method that searches with this index: pg_trgm's where a key names its operator
    class (gin_trgm_ops), else the plugin's of that name (None: it cannot search)."""
    return trigram_index.kind_for(index.get("method") or "", index.get("keys") or []) or \
        searchable_kinds().get(index.get("method"))


# operators sqlglot reads into nodes of their own, by PostgreSQL's spelling
_NAMED_OPERATORS = {exp.ArrayContainsAll: "@>", exp.ArrayContainedBy: "<@", exp.JSONBContainsTopKey: "?",
                    exp.Like: "~~", exp.ILike: "~~*"}


def operator_symbol(cond: exp.Expression) -> str | None:
    """The symbol of a binary operator condition (``a @@ b``, ``a @> b``...), None for other nodes."""
    if isinstance(cond, exp.Operator):
        return str(cond.args.get("operator"))
    return _NAMED_OPERATORS.get(type(cond))


def may_match(cond: exp.Expression) -> bool:
    """Cheap test before any catalog look-up: an operator some searchable access method lists."""
    while isinstance(cond, exp.Paren):
        cond = cond.this
    symbol = operator_symbol(cond)
    return symbol is not None and any(symbol in k.operators for k in (*searchable_kinds().values(),
                                                                      *trigram_index.KINDS.values()))


def table_indexes(txn: Any, schema: str, tdef: Any) -> list[dict[str, Any]]:
    """The catalog records of the table's indexes whose access method can search."""
    out = []
    for iname in (tdef.options or {}).get("indexes", []):
        rec = txn.catalog_get("index", f"{schema}.{iname}")
        if rec is not None and kind_of(rec) is not None:
            out.append(rec)
    return out


def ranks(txn: Any, schema: str, tdef: Any) -> bool:
    """Whether the table has an index a score can come from (one with search)."""
    return bool(table_indexes(txn, schema, tdef))


def match(txn: Any, schema: str, tdef: Any, cond: exp.Expression) -> tuple[dict[str, Any], Any, int] | None:
    """The (index, kind, key position) that answers ``cond``, when it is ``key symbol constant``."""
    while isinstance(cond, exp.Paren):
        cond = cond.this
    symbol = operator_symbol(cond)
    if symbol is None:
        return None
    left, right = cond.this, cond.expression
    if right is None or right.find(exp.Column, exp.Subquery, exp.Select) is not None:
        return None
    if isinstance(right, (exp.Any, exp.All)) or (
            isinstance(right, exp.Anonymous) and str(right.this).lower() in ("any", "all", "some")):
        return None  # a quantified comparison (a @@ ANY (array)): one condition per element, not one
    while isinstance(left, exp.Paren):
        left = left.this
    for rec in table_indexes(txn, schema, tdef):
        kind = kind_of(rec)
        if symbol not in kind.operators:
            continue
        for pos, key in enumerate(rec.get("keys") or []):
            key_type = _key_type(tdef, key)
            if key_type not in kind.operators[symbol] and _base_name(key_type) not in kind.operators[symbol]:
                continue
            if "column" in key:
                if isinstance(left, exp.Column) and left.name == key["column"]:
                    return rec, kind, pos
            elif not isinstance(left, exp.Column) and expression_sql(_unqualified(left)) == key["expr"]:
                return rec, kind, pos
    return None


def _key_type(tdef: Any, key: dict[str, Any]) -> str:
    if "column" not in key:
        return key.get("type") or ""
    column = tdef.column(key["column"])
    return T.type_from_name(column.metadata["sql_type"]).sql_name() if column is not None else ""


def _base_name(type_name: str) -> str:
    """'character varying(20)' -> 'varchar': a type's name without its modifier."""
    try:
        return T.type_from_name(type_name).name if type_name else ""
    except HeliosError:
        return ""


def _unqualified(node: exp.Expression) -> exp.Expression:
    node = node.copy()
    for col in node.find_all(exp.Column):
        col.set("table", None)
    return node


def search(use: IndexUse, ctx: Any, schema: str, table: str) -> pa.Table:
    """The rows (``_rowid``, and ``score`` when the kind ranks) the index finds for this execution."""
    txn = ctx.txn
    value = use.value.evaluate(batch_of([], 1), ctx).array[0].as_py()
    if value is None:  # a strict operator with a NULL operand: no row
        return pa.table({"_rowid": pa.array([], pa.int64())})
    tdef = txn.get_table(schema, table)
    keys = use.index.get("keys") or []
    columns = _key_columns(keys)
    evaluate = _key_evaluator(ctx, tdef, keys)

    def chunks() -> Any:
        for chunk_id, rows, mask, read, rowids in txn.chunks_def(tdef, columns):
            yield IndexChunk(chunk_id=chunk_id, num_rows=rows, visible=mask,
                             read=lambda _read=read: evaluate(_read()), rowids=rowids)

    scope = (txn.db, txn._branch.branch_id, tdef.data_id, use.index["name"],
             json.dumps([keys, use.index.get("options") or {}], sort_keys=True))
    request = IndexSearch(index=use.index, key=use.key, operator=use.operator, value=value, scope=scope,
                          chunks=chunks, limit=use.limit)
    return use.kind.search(request)


def lossy(found: pa.Table, use: IndexUse) -> bool:
    """Whether the rows found are only candidates (a kind without ``exact``, unless this search's
    result says ``exact`` in its schema metadata)."""
    if use.recheck is None:
        return False
    meta = found.schema.metadata or {}
    return meta.get(b"exact") != b"1"


def _key_columns(keys: list[dict[str, Any]]) -> list[str]:
    return sorted(referenced_columns({"keys": keys}))


def _key_evaluator(ctx: Any, tdef: Any, keys: list[dict[str, Any]]) -> Any:
    """batch of table columns + _rowid -> batch ``k0, k1, ...`` of the keys' values + ``_rowid``."""
    compiled: dict[int, Any] = {}
    for pos, key in enumerate(keys):
        if "expr" in key:
            tree = parse(f"select {key['expr']}")[0].ast.expressions[0]
            compiled[pos] = compile_scalar(tree, _scope(tdef), ctx)

    def evaluate(batch: pa.RecordBatch) -> pa.RecordBatch:
        arrays, names = [], []
        for pos, key in enumerate(keys):
            if pos in compiled:
                full = _table_batch(tdef, batch)
                v = compiled[pos].evaluate(full, ctx)
                arrays.append(v.broadcast(batch.num_rows).array if v.scalar else v.array)
            else:
                arrays.append(batch.column(key["column"]))
            names.append(f"k{pos}")
        arrays.append(batch.column("_rowid"))
        names.append("_rowid")
        return pa.RecordBatch.from_arrays(arrays, names=names)

    return evaluate


def _table_batch(tdef: Any, batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with every table column, in table order (those not read as NULL), as the
    expression's scope expects."""
    arrays = []
    have = set(batch.schema.names)
    for c in tdef.columns:
        arrays.append(batch.column(c.name) if c.name in have else pa.nulls(batch.num_rows, c.type))
    return pa.RecordBatch.from_arrays(arrays, names=[c.name for c in tdef.columns])


def is_score_call(node: exp.Dot) -> bool:
    """``heliosdb.score(...)``."""
    call = node.expression
    return isinstance(node.this, exp.Identifier) and node.this.name.lower() == "heliosdb" and \
        isinstance(call, exp.Anonymous) and str(call.this).lower() == "score"


def score_unavailable() -> FeatureNotSupported:
    return FeatureNotSupported("heliosdb.score() needs a condition its table's index answers in the same "
                               "query (such as key @@@ 'query' with a bm25 index)")
