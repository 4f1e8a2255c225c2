"""Exclusion constraints: ``EXCLUDE USING gist (room WITH =, during WITH &&) [WHERE (pred)]``.

No two rows may have every element's operator true between them (two bookings of one room
whose periods overlap). Kept in the table's ``exclusions`` option list as
``{"name", "method", "elements": [{"expr", "op"}], "where"}`` and checked for the new row
versions of each INSERT and UPDATE against the other visible rows and against each other, and
over the whole table by ALTER TABLE ... ADD CONSTRAINT. A row with a NULL element, or outside
the WHERE predicate, conflicts with nothing (the operator is not true), as in PostgreSQL.
The violation is PostgreSQL's 23P01 naming both keys. The check evaluates the operators over
Arrow arrays, one new row against all the others at a time: no index is built for it.

Access methods as PostgreSQL's operator classes allow: gist (ranges, geometric types; plain
scalars with ``=`` once btree_gist is installed), btree and hash (``=`` only).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends.postgres.dialect import parse, to_sql
from helios_core.sql import types as T
from helios_core.sql.context import table_sql_columns
from helios_core.sql.expr import Scope, compile_scalar
from helios_core.sql.functions.operators import binary_op
from helios_core.sql.functions.text_out import to_text
from helios_core.sql.functions.vec import Vec

OPTION = "exclusions"
_GIST_NATIVE = {"&&", "<<", ">>", "&<", "&>", "-|-", "@>", "<@", "~=", "="}


class ExclusionViolation(HeliosError):
    sqlstate = "23P01"


def definition(item: exp.ExcludeColumnConstraint, name: str) -> dict[str, Any]:
    """The catalog record of an EXCLUDE clause (validated against the table later, in ``check_types``)."""
    params = item.this
    method = str(params.args.get("using").name if params.args.get("using") is not None else "btree").lower()
    if params.args.get("include") or params.args.get("with_storage"):
        raise FeatureNotSupported("INCLUDE and WITH (...) in an exclusion constraint are not supported")
    elements = []
    for w in params.args.get("columns") or []:
        node = w.this.this if isinstance(w.this, exp.Ordered) else w.this
        elements.append({"expr": to_sql(node.this if isinstance(node, exp.Paren) else node),
                         "op": str(w.args["op"].name if hasattr(w.args["op"], "name") else w.args["op"])})
    where = params.args.get("where")
    columns = [e["expr"] for e in elements if e["expr"].isidentifier()]  # pg_constraint.conkey
    record: dict[str, Any] = {"name": name, "method": method, "elements": elements, "columns": columns}
    if where is not None:
        cond = where.this
        record["where"] = to_sql(cond.this if isinstance(cond, exp.Paren) else cond)
    return record


def check_types(session: Any, tdef: Any, record: dict[str, Any], btree_gist: bool) -> None:
    """PostgreSQL's operator-class rules for the access method and each element's type."""
    method = record["method"]
    if method not in ("gist", "btree", "hash"):
        raise FeatureNotSupported(f'exclusion constraints using access method "{method}" are not supported')
    for element, t in zip(record["elements"], _element_types(session, tdef, record), strict=True):
        op = element["op"]
        scalar = not (t.is_range or t.is_multirange or t.category == "G")
        if method == "gist" and scalar and not btree_gist:
            raise HeliosError(f'data type {t.sql_name()} has no default operator class for access method "gist"',
                              sqlstate="42704", hint="You must specify an operator class for the index or define "
                                                     "a default operator class for the data type.")
        if (method in ("btree", "hash") and op != "=") or (method == "gist" and op not in _GIST_NATIVE):
            raise HeliosError(f"operator {op}({t.sql_name()},{t.sql_name()}) is not a member of operator family "
                              f'"{_operator_family(t, method)}"', sqlstate="42809")


def _operator_family(t: T.SqlType, method: str) -> str:
    """The name of the operator family PostgreSQL would look the operator up in."""
    if t.is_range or t.is_multirange:
        return "range_ops"
    return {"int2": "integer_ops", "int4": "integer_ops", "int8": "integer_ops", "float4": "float_ops",
            "float8": "float_ops", "varchar": "text_ops", "timestamptz": "datetime_ops",
            "timestamp": "datetime_ops", "date": "datetime_ops"}.get(t.name, f"{t.name}_ops")


def _compiled(ctx: Any, tdef: Any, text: str) -> Any:
    tree = parse(f"select {text}")[0].ast.expressions[0]
    return compile_scalar(tree, Scope.of_table(tdef.name, table_sql_columns(tdef)), ctx)


def _element_types(session: Any, tdef: Any, record: dict[str, Any]) -> list[T.SqlType]:
    ctx = session.context(session.tx.current())
    return [_compiled(ctx, tdef, e["expr"]).type for e in record["elements"]]


def _values(ctx: Any, tdef: Any, record: dict[str, Any], batch: pa.RecordBatch) -> tuple[list[Vec], pa.Array]:
    """Each element's values over the rows, and which rows take part (WHERE, no NULL element)."""
    out = []
    n = batch.num_rows
    live = pa.array([True] * n)
    for e in record["elements"]:
        c = _compiled(ctx, tdef, e["expr"])
        v = c.evaluate(batch, ctx)
        v = v.broadcast(n) if v.scalar else v
        live = pc.and_(live, pc.is_valid(v.array))
        out.append(Vec(v.array, c.type, False))
    if record.get("where"):
        pred = _compiled(ctx, tdef, record["where"]).evaluate(batch, ctx)
        pred = pred.broadcast(n) if pred.scalar else pred
        live = pc.and_(live, pc.fill_null(pred.array, False))
    return out, live


def _clashes(record: dict[str, Any], mine: list[Vec], i: int, theirs: list[Vec], live: pa.Array) -> int | None:
    """The first row of ``theirs`` (among ``live`` ones) that row ``i`` of ``mine`` conflicts with."""
    n = len(live)
    if n == 0:
        return None
    hit = live
    for e, a, b in zip(record["elements"], mine, theirs, strict=True):
        one = Vec(a.array.slice(i, 1), a.type, True)
        out = binary_op(e["op"], b, one)
        arr = out.broadcast(n).array if out.scalar else out.array
        hit = pc.and_(hit, pc.fill_null(arr, False))
        if not pc.any(hit).as_py():
            return None
    return pc.index(hit, True).as_py()


def _key_text(record: dict[str, Any], values: list[Vec], i: int) -> str:
    return ", ".join(str(to_text(v.array.slice(i, 1), v.type)[0].as_py()) for v in values)


def _violation(tdef: Any, record: dict[str, Any], new: list[Vec], i: int, old: list[Vec], j: int,
               creating: bool = False) -> ExclusionViolation:
    """23P01 naming both keys: a new row against an existing one, or (``creating``, ADD CONSTRAINT)
    two rows already there."""
    labels = ", ".join(e["expr"] for e in record["elements"])
    message = f'could not create exclusion constraint "{record["name"]}"' if creating else \
        f'conflicting key value violates exclusion constraint "{record["name"]}"'
    return ExclusionViolation(
        message, detail=f"Key ({labels})=({_key_text(record, new, i)}) conflicts with "
                        f"{'' if creating else 'existing '}key ({labels})=({_key_text(record, old, j)}).",
        schema_name=tdef.schema, table_name=tdef.name, constraint_name=record["name"])


def check_new_rows(ctx: Any, txn: Any, tdef: Any, batch: pa.RecordBatch, exclude_rowids: Any) -> None:
    """23P01 when a new row version conflicts with a visible row (other than those it replaces)
    or with an earlier new row of the same statement."""
    records = (tdef.options or {}).get(OPTION) or []
    if not records or batch.num_rows == 0:
        return
    skip = set(exclude_rowids.to_pylist()) if exclude_rowids is not None else set()
    stored = [b for b in txn.scan(tdef.schema, tdef.name, with_rowid=True) if b.num_rows]
    if stored:
        table = pa.Table.from_batches(stored).combine_chunks()
        rowids = table.column(table.num_columns - 1)
        keep = pc.invert(pc.is_in(rowids, value_set=pa.array(sorted(skip), rowids.type))) if skip else None
        table = table.drop_columns([table.column_names[-1]])
        if keep is not None:
            table = table.filter(keep)
        existing = table.to_batches()[0] if table.num_rows else None
    else:
        existing = None
    for record in records:
        new, new_live = _values(ctx, tdef, record, batch)
        old, old_live = _values(ctx, tdef, record, existing) if existing is not None else ([], None)
        for i in range(batch.num_rows):
            if not new_live[i].as_py():
                continue
            if old_live is not None:
                j = _clashes(record, new, i, old, old_live)
                if j is not None:
                    raise _violation(tdef, record, new, i, old, j)
            if i:
                earlier = [Vec(v.array.slice(0, i), v.type, False) for v in new]
                j = _clashes(record, new, i, earlier, new_live.slice(0, i))
                if j is not None:
                    raise _violation(tdef, record, new, i, earlier, j)


def conflicting_rows(ctx: Any, txn: Any, tdef: Any, record: dict[str, Any], batch: pa.RecordBatch) -> set[int]:
    """The new rows ON CONFLICT ON CONSTRAINT ... DO NOTHING leaves out: those that conflict with
    a visible row or with an earlier new row that goes in."""
    existing = [b for b in txn.scan(tdef.schema, tdef.name) if b.num_rows]
    old: list[Vec] = []
    old_live = None
    if existing:
        old, old_live = _values(ctx, tdef, record, pa.Table.from_batches(existing).combine_chunks().to_batches()[0])
    new, new_live = _values(ctx, tdef, record, batch)
    out: set[int] = set()
    for i in range(batch.num_rows):
        if not new_live[i].as_py():
            continue
        if old_live is not None and _clashes(record, new, i, old, old_live) is not None:
            out.add(i)
            continue
        kept = pa.array([j < i and j not in out and bool(new_live[j].as_py()) for j in range(batch.num_rows)])
        if i and _clashes(record, new, i, new, kept) is not None:
            out.add(i)
    return out


def check_table(ctx: Any, txn: Any, tdef: Any, record: dict[str, Any]) -> None:
    """ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE over the rows already there."""
    batches = [b for b in txn.scan(tdef.schema, tdef.name) if b.num_rows]
    if not batches:
        return
    batch = pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
    values, live = _values(ctx, tdef, record, batch)
    for i in range(1, batch.num_rows):
        if not live[i].as_py():
            continue
        earlier = [Vec(v.array.slice(0, i), v.type, False) for v in values]
        j = _clashes(record, values, i, earlier, live.slice(0, i))
        if j is not None:
            raise _violation(tdef, record, values, j, values, i, creating=True)
