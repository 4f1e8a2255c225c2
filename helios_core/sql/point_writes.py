"""Point writes: DML statements that touch at most one row, found by their shape, and their fast path.

``UPDATE t SET ... WHERE pk = $1``, ``DELETE FROM t WHERE pk = $1`` (a whole one-column
primary key compared with a parameter or a constant) and ``INSERT INTO t ... VALUES (...)``
of one row, with no subquery, FROM/USING list or WITH. Such a statement is short; a protocol
may run it on its event loop (PreparedStatement.short). It can still meet a wait (a row or
table lock held by another transaction, a CPU quota): inside a protocol's time budget the
storage raises BudgetExceeded instead of waiting, the session rolls the statement back to
where it began (``run_undoable``), and the protocol runs it again in a worker thread.

A prepared point write runs as a point plan (``execute``): the row found through the primary-key
index in the statement's snapshot (``txn.lookup``), SET values computed over that one row (integer
arithmetic on Python ints, see point_assignments; anything else through the planned row query's
compiled expressions and assignment casts), the constraints checked as the general path checks
them (``constraints``), and the new version written by the storage's one-row calls
(``update_row``, ``delete_row``, ``insert_def``), with READ COMMITTED's re-read of a row another
transaction changed meanwhile and REPEATABLE READ's 40001 as in ``dml``. Tables with triggers,
row security, generated columns or partitions, SET DEFAULT, a changed primary key, ON CONFLICT
and OVERRIDING keep the general path (``dml``), decided before anything is written.
"""

from __future__ import annotations

from typing import Any

import attrs
import pyarrow as pa
from sqlglot import exp

from helios_core import time_budget
from helios_core.errors import HeliosError
from helios_core.session import Result
from helios_core.sql import (
    constraints,
    dml,
    dml_privileges,
    generated_columns,
    inheritance,
    partitions,
    replica_identity,
    sequences,
)
from helios_core.sql.functions.vec import Vec
from helios_core.sql.operators.base import batch_of, names
from helios_core.sql.operators.basic import Project, Values
from helios_core.sql.operators.scan import TableScan, lookup_key
from helios_core.sql.point_assignments import NOT_PLAIN, int_assignment
from helios_core.sql.row_security import policies as rls_policies
from helios_core.sql.triggers import firing

_PLAIN_PARAM_TYPES = {"int2": int, "int4": int, "int8": int, "text": str}  # bound as these Python types
# an integer parameter into an integer column of another width (drivers type a parameter by its
# value: psycopg binds 7 as a smallint) is taken as it is when it lies within the column's range
_INTEGER_BOUNDS = {"int2": (-(2**15), 2**15 - 1), "int4": (-(2**31), 2**31 - 1), "int8": (-(2**63), 2**63 - 1)}


def is_point_write(ctx: Any, ast: Any) -> bool:
    """``ast`` is a DML statement of one row (see module docstring); ``ctx`` resolves its table."""
    if isinstance(ast, exp.Insert):
        values = ast.expression
        if not isinstance(values, exp.Values) or len(values.expressions) != 1 or _has_any(ast, "with", "with_"):
            return False
        return _no_subquery(ast)
    if not isinstance(ast, (exp.Update, exp.Delete)):
        return False
    if _has_any(ast, "from", "from_", "using", "with", "with_") or not _no_subquery(ast):
        return False
    where = ast.args.get("where")
    cond = where.this if where is not None else None
    if not isinstance(cond, exp.EQ):
        return False
    col, val = cond.this, cond.expression
    if not isinstance(col, exp.Column):
        col, val = val, col
    if not isinstance(col, exp.Column) or not isinstance(val, (exp.Parameter, exp.Literal)):
        return False
    table = ast.this
    if not isinstance(table, exp.Table):
        return False
    source = ctx.resolve_relation(table.db or None, table.name)
    if source is None or source.kind != "table":
        return False
    return list(getattr(source.table, "primary_key", None) or []) == [col.name]


def _has_any(ast: Any, *args: str) -> bool:
    return any(ast.args.get(a) for a in args)


def _no_subquery(ast: Any) -> bool:
    return ast.find(exp.Subquery, exp.Exists, exp.Select) is None


def run_undoable(session: Any, run: Any) -> Any:
    """Run a DML statement; inside a protocol's time budget, a BudgetExceeded (a wait it would
    have had) first undoes what the statement wrote, so that it can be run again elsewhere."""
    if not time_budget.active():
        return run()
    txn = session.tx.current()
    token = txn.savepoint()
    with sequences.retry_log(session) as taken:
        try:
            return run()
        except time_budget.BudgetExceeded:
            txn.rollback_to(token)
            sequences.give_back(session, taken)
            raise


@attrs.define(eq=False)
class PointRows:
    """The row query of a point UPDATE or DELETE (``SELECT _rowid, cols..., SET expressions FROM t
    WHERE pk = $n``, planned as a projection over a primary-key lookup), run without the operator
    tree: the same lookup in the statement's snapshot, the same compiled expressions over the row."""

    scan: TableScan
    exprs: list[Any]  # the projection's compiled expressions
    schema: pa.Schema  # the plan's result schema

    def run(self, ctx: Any) -> pa.Table | None:
        """The rows (none or one); None when the operator tree must run instead."""
        if ctx.as_of is not None:
            return None
        scan = self.scan
        key = lookup_key(scan.pk_lookup, ctx)
        if key is None:
            return self.schema.empty_table()
        ctx.check_cancel()
        b = ctx.txn.lookup(scan.schema_name, scan.table, key, columns=scan.columns, with_rowid=True)
        if not b.num_rows:
            return self.schema.empty_table()
        b = pa.RecordBatch.from_arrays(list(b.columns), names=names(b.num_columns))
        cols = [e.array(b, ctx) for e in self.exprs]
        schema = self.schema
        if any(c.type != f.type for c, f in zip(cols, schema, strict=True)):
            schema = pa.schema([pa.field(f.name, c.type) for c, f in zip(cols, schema, strict=True)])
        return pa.Table.from_batches([pa.RecordBatch.from_arrays(cols, schema=schema)])


def point_rows_of(plan: Any) -> PointRows | None:
    """A DML row query's plan as PointRows when it is a projection over one primary-key lookup."""
    if getattr(plan, "subplans", None):
        return None
    root = getattr(plan, "root", None)
    if not isinstance(root, Project) or len(root.children) != 1 or type(root.children[0]) is not TableScan:
        return None
    scan = root.children[0]
    if scan.pk_lookup is None or scan.as_of is not None or scan.residual is not None or scan.pushed \
            or not scan.with_rowid or scan.unconstrained_numeric or scan.guard is not None \
            or scan.index_use is not None or scan.index is not None or scan.score \
            or len(scan.fields) != len(scan.columns) + 1 or len(root.exprs) != len(plan.columns):
        return None
    return PointRows(scan, list(root.exprs), plan.schema)


# ------------------------------------------------------------------------------------ point plans
def execute(session: Any, ast: Any, params: Any, prepared: Any) -> Result:
    """``dml.execute`` of a statement, through its point plan when it has one (a plan that finds
    it cannot run has written nothing: the general path then runs the statement from the start)."""
    if prepared is not None and getattr(prepared, "point_write", False) and \
            prepared.cache.get("point_plan") is not False:
        with dml_privileges.checked(session, ast):
            plan = _point_plan(session, ast, prepared)
            done = plan.run(session, params, prepared) if plan is not None else None
            if done is not None:
                return done
    return dml.execute(session, ast, params, prepared)


def _point_plan(session: Any, ast: Any, prepared: Any) -> Any:
    """The statement's point plan, made at its first execution after each (re)planning; None when
    its shape or table needs the general path."""
    cache = prepared.cache
    plan = cache.get("point_plan")
    if plan is None:
        try:
            plan = _make_plan(session, ast, prepared) or False
        except HeliosError:
            plan = False  # the general path reports it
        cache["point_plan"] = plan
    return plan or None


def _make_plan(session: Any, ast: Any, prepared: Any) -> Any:
    txn = session.tx.current()
    if isinstance(ast, exp.Insert):
        return _insert_plan(session, txn, ast, prepared)
    if not isinstance(ast, (exp.Update, exp.Delete)) or _has_any(ast, "from", "from_", "using", "with", "with_"):
        return None
    tdef, alias = dml._target(session, txn, ast.this)
    alias = alias or tdef.name
    where = ast.args.get("where")
    sets = dml._set_items(tdef, list(ast.expressions)) if isinstance(ast, exp.Update) else []
    set_exprs = [exp.Null() if _is_default(v) else v for _, v in sets]  # as dml.update's row query
    rows_plan = prepared.cache.get("rows")
    if rows_plan is None:  # the row query dml.update/delete plan and keep: its lookup serves them too
        ctx = session.context(txn, [None] * len(prepared.param_types), prepared.param_types)
        rows_plan = prepared.cache["rows"] = session.plan_query(
            dml._row_query(tdef, alias, ast.this, [], where.this if where is not None else None, set_exprs), ctx)
    rows = prepared.cache["point_rows"] = point_rows_of(rows_plan)
    if rows is None or not plain_table(tdef) or not replica_identity.has_identity(tdef):
        return None  # (a table without a replica identity may be published: dml checks it)
    pk = set(tdef.primary_key)
    for ci, node in sets:
        col = tdef.columns[ci]
        if _is_default(node) or col.name in pk or (col.metadata or {}).get("identity") == "always":
            return None  # SET DEFAULT, a new key, GENERATED ALWAYS: the general path
    key = _TableKey(tdef, tdef.schema, tdef.name)
    returning = ast.args.get("returning")
    if isinstance(ast, exp.Delete):
        return PointDelete(key, rows, alias, returning)
    ctypes = dml.column_types(tdef)
    columns = {n: (i, t) for i, (n, t) in enumerate(ctypes)}
    ncols = len(tdef.columns)
    items = []
    for k, (ci, node) in enumerate(sets):
        fast = int_assignment(node, ctypes[ci][1], columns, list(prepared.param_types), {alias, tdef.name})
        items.append(_SetItem(ci, node, fast, 1 + ncols + k, rows_plan.columns[1 + ncols + k][1]))
    changed_cols = dml._changed_columns(tdef, sets)
    return PointUpdate(key, rows, alias, returning, items, changed_cols)


def _is_default(node: Any) -> bool:
    return isinstance(node, exp.Var) and node.name.upper() == "DEFAULT"


def plain_table(tdef: Any) -> bool:
    """No machinery of a table that a point plan leaves to the general path: triggers, row
    security, generated columns, partitioning (as parent or partition)."""
    return not (firing.has_triggers(tdef) or rls_policies.switches(tdef).get("enabled")
                or generated_columns.has_generated(tdef) or partitions.spec(tdef) is not None
                or partitions.parent_of(tdef) is not None or inheritance.has_children(tdef))


@attrs.define(eq=False)
class _TableKey:
    """The table a point plan was made for; a different definition at execution is checked again."""

    tdef: Any
    schema: str
    name: str
    _arrow: tuple[Any, pa.Schema] | None = None  # (definition, its user-named Arrow schema)

    def arrow_schema(self, t: Any) -> pa.Schema:
        """``dml._arrow_schema(t)``, built once per definition."""
        if self._arrow is None or self._arrow[0] is not t:
            self._arrow = (t, dml._arrow_schema(t))
        return self._arrow[1]

    def current(self, txn: Any) -> Any:
        """The table's definition now when it still fits the plan, else None (the general path)."""
        t = txn.get_table(self.schema, self.name)
        if t is self.tdef:
            return t
        if t is None or not plain_table(t) or [(c.name, c.type) for c in t.columns] != \
                [(c.name, c.type) for c in self.tdef.columns] or t.primary_key != self.tdef.primary_key:
            return None
        return t


@attrs.define(eq=False)
class _SetItem:
    column: int  # index of the target column
    node: Any  # the SET expression
    fast: Any  # IntAssignment or None
    expr_index: int  # its compiled expression in the row query's projection
    expr_type: Any  # that expression's SQL type


class _RowValues:
    """The Python values of a one-row batch's columns, converted when first asked for."""

    __slots__ = ("batch", "seen")

    def __init__(self, batch: pa.RecordBatch) -> None:
        self.batch = batch
        self.seen: dict[int, Any] = {}

    def __getitem__(self, i: int) -> Any:
        if i not in self.seen:
            self.seen[i] = self.batch.column(i)[0].as_py()
        return self.seen[i]


def _write_keyed_row(ctx: Any, txn: Any, tdef: Any, key: Any, write: Any) -> list[pa.RecordBatch]:
    """``write(row, rowid) -> (code, batch)`` on the row holding ``key``: the batch when it wrote
    (code 1), nothing when the row is gone or not visible; when a concurrent commit replaced the
    version (code -1), READ COMMITTED takes the newest committed version if it still has the key,
    as the general path's re-check does."""
    ncols = len(tdef.columns)
    for _ in range(dml._MAX_RECHECK):
        ctx.check_cancel()
        b = txn.lookup(tdef.schema, tdef.name, key, with_rowid=True)
        if not b.num_rows:
            break
        rowid = b.column(ncols)[0].as_py()
        code, batch = write(b, rowid)
        if code == 1:
            return [batch]
        if code != -1:
            break
        txn.new_statement()
        again = txn.lookup(tdef.schema, tdef.name, key, with_rowid=True)
        if not again.num_rows or again.column(ncols)[0].as_py() != rowid:
            break
    else:
        raise dml._recheck_exhausted()
    return []


@attrs.define(eq=False)
class PointUpdate:
    table: _TableKey
    rows: PointRows
    alias: str
    returning: Any
    items: list[_SetItem]
    changed_cols: set[int]

    def run(self, session: Any, params: Any, prepared: Any) -> Result | None:
        txn = session.tx.current()
        tdef = self.table.current(txn)
        if tdef is None:
            return None
        ctx = session.context(txn, params, prepared.param_types)
        key = lookup_key(self.rows.scan.pk_lookup, ctx)
        written: list[pa.RecordBatch] = []
        if key is not None:
            ncols = len(tdef.columns)
            schema = self.table.arrow_schema(tdef)

            def update(b: pa.RecordBatch, rowid: int) -> tuple[int, pa.RecordBatch]:
                old_cols = b.columns[:ncols]
                new_cols = self._new_columns(ctx, b, old_cols, ncols)
                old = pa.RecordBatch.from_arrays(old_cols, schema=schema)
                new = pa.RecordBatch.from_arrays(new_cols, schema=schema)
                new = constraints.check_updated_rows(session, txn, ctx, tdef, old, new, pa.array([rowid], pa.int64()),
                                               self.changed_cols)
                return txn.update_row(tdef, rowid, new), new

            written = _write_keyed_row(ctx, txn, tdef, key, update)
        tag = f"UPDATE {len(written)}"
        if self.returning is not None:
            return dml.returning_result(session, ctx, tag, tdef, self.alias, self.returning, written,
                                         prepared.cache)
        return Result(command_tag=tag)

    def _new_columns(self, ctx: Any, b: pa.RecordBatch, old_cols: list[pa.Array], ncols: int) -> list[pa.Array]:
        """The row's columns with the SET values in place (as ``dml._new_rows`` computes them)."""
        new_cols = list(old_cols)
        values = None
        positional = None
        for item in self.items:
            if item.fast is not None:
                if values is None:
                    values = _RowValues(b)
                v = item.fast.value(values, ctx.params)
                if v is not NOT_PLAIN:
                    new_cols[item.column] = pa.array([v], old_cols[item.column].type)
                    continue
            if positional is None:
                scan = self.rows.scan
                positional = pa.RecordBatch.from_arrays([b.column(c) for c in scan.columns] + [b.column(ncols)],
                                                        names=names(len(scan.columns) + 1))
            arr = self.rows.exprs[item.expr_index].array(positional, ctx)
            ctype = dml.column_types(self.table.tdef)[item.column]
            try:
                new_cols[item.column] = dml.assign(Vec(arr, item.expr_type), ctype[1], 1, ctype[0])
            except HeliosError as e:
                dml._point_at_bad_literal(e, [item.node], ctype[1])
                raise
        return new_cols


@attrs.define(eq=False)
class PointDelete:
    table: _TableKey
    rows: PointRows
    alias: str
    returning: Any

    def run(self, session: Any, params: Any, prepared: Any) -> Result | None:
        txn = session.tx.current()
        tdef = self.table.current(txn)
        if tdef is None:
            return None
        ctx = session.context(txn, params, prepared.param_types)
        key = lookup_key(self.rows.scan.pk_lookup, ctx)
        deleted: list[pa.RecordBatch] = []
        if key is not None:
            ncols = len(tdef.columns)
            schema = self.table.arrow_schema(tdef)

            def delete(b: pa.RecordBatch, rowid: int) -> tuple[int, pa.RecordBatch]:
                old = pa.RecordBatch.from_arrays(b.columns[:ncols], schema=schema)
                constraints.on_parent_delete(session, txn, ctx, tdef, old, pa.array([rowid], pa.int64()))
                return txn.delete_row(tdef, rowid), old

            deleted = _write_keyed_row(ctx, txn, tdef, key, delete)
        tag = f"DELETE {len(deleted)}"
        if self.returning is not None:
            return dml.returning_result(session, ctx, tag, tdef, self.alias, self.returning, deleted,
                                         prepared.cache)
        return Result(command_tag=tag)


def _insert_plan(session: Any, txn: Any, ast: exp.Insert, prepared: Any) -> PointInsert | None:
    if ast.args.get("conflict") is not None or ast.args.get("overriding") or ast.args.get("default"):
        return None
    target = ast.this
    tdef, alias = dml._target(session, txn, target.this if isinstance(target, exp.Schema) else target)
    if not plain_table(tdef):
        return None
    source = ast.args.get("expression")
    if not isinstance(source, exp.Values) or len(source.expressions) != 1:
        return None
    cells = list(source.expressions[0].expressions)
    cols = dml._insert_columns(tdef, target)
    if len(cells) > len(cols) or (isinstance(target, exp.Schema) and target.expressions and len(cells) < len(cols)):
        return None  # 42601, from the general path
    ctypes = dml.column_types(tdef)
    ptypes = list(prepared.param_types)
    direct: list[int | None] = []  # per cell: the parameter it takes as it is, else None
    for j, cell in enumerate(cells):
        col = tdef.columns[cols[j]]
        meta = col.metadata or {}
        if meta.get("identity") == "always" or _is_default(cell):
            return None
        idx = dml._param_index(cell) if isinstance(cell, exp.Parameter) else None
        t = ptypes[idx] if idx is not None and idx < len(ptypes) else None
        ct = ctypes[cols[j]][1]
        plain = t is not None and t.name in _PLAIN_PARAM_TYPES and ct.domain is None and (
            (t.name, t.typmod) == (ct.name, ct.typmod) or (t.name in _INTEGER_BOUNDS and ct.name in _INTEGER_BOUNDS))
        direct.append(idx if plain else None)
    if all(d is not None for d in direct) or all(dml._cells_literal(c, [None] * len(ptypes), ptypes) is not None
                                                 for c in cells):
        compiled = None  # literals and parameters only: dml.source_rows' own quick paths
    else:
        ctx = session.context(txn, [None] * len(ptypes), ptypes)
        query, _masks = dml.values_query([source.expressions[0]], [ctypes[i] for i in cols])
        plan = session.plan_query(query, ctx)
        if not isinstance(plan.root, Values) or len(plan.root.rows) != 1 or plan.subplans:
            return None
        compiled = [(c, t) for c, (_, t) in zip(plan.root.rows[0], plan.columns, strict=True)]
    return PointInsert(_TableKey(tdef, tdef.schema, tdef.name), alias, ast.args.get("returning"), cols, direct,
                       compiled, source)


def _taken_as_is(params: Any, p: int | None, column_type: Any) -> pa.Array | None:
    """Parameter ``p`` as the column's one-value array when it is bound as the column's plain
    Python type (an integer within the column's range); None: the cell's assignment cast decides
    (and raises 22003 past the range)."""
    if p is None or p >= len(params):
        return None
    v = params[p]
    if v is not None:
        if type(v) is not _PLAIN_PARAM_TYPES.get(column_type.name):
            return None
        bounds = _INTEGER_BOUNDS.get(column_type.name)
        if bounds is not None and not bounds[0] <= v <= bounds[1]:
            return None
    return pa.array([v], column_type.arrow_type)


@attrs.define(eq=False)
class PointInsert:
    table: _TableKey
    alias: str | None
    returning: Any
    cols: list[int]  # target column of each cell
    direct: list[int | None]  # per cell: a parameter taken as it is
    compiled: list[tuple[Any, Any]] | None  # per cell: compiled expression and type (None: dml.source_rows)
    source: exp.Values

    def run(self, session: Any, params: Any, prepared: Any) -> Result | None:
        txn = session.tx.current()
        tdef = self.table.current(txn)
        if tdef is None:
            return None
        ctx = session.context(txn, params, prepared.param_types)
        ctypes = dml.column_types(tdef)
        cols = self.cols
        full: list[pa.Array | None] = [None] * len(tdef.columns)
        if self.compiled is None:
            arrays = [_taken_as_is(params, p, ctypes[cols[j]][1]) for j, p in enumerate(self.direct)]
            if any(arr is None for arr in arrays):  # not all parameters taken as they are
                arrays, _masks, _n = dml.source_rows(session, ctx, tdef, cols, self.source, prepared.cache)
            for j, arr in enumerate(arrays):
                full[cols[j]] = arr
        else:
            one = batch_of([], 1)
            for j, ((cell, t), p) in enumerate(zip(self.compiled, self.direct, strict=True)):
                ci = cols[j]
                ct = ctypes[ci][1]
                arr = _taken_as_is(params, p, ct)
                if arr is not None:
                    full[ci] = arr
                    continue
                full[ci] = dml.assign(Vec(cell.array(one, ctx), t), ct, 1, ctypes[ci][0])
        for ci in range(len(full)):
            if full[ci] is None:
                full[ci] = dml.default_array(session, txn, tdef, ci, 1, ctx, prepared.cache)
        batch = pa.RecordBatch.from_arrays(full, schema=self.table.arrow_schema(tdef))
        constraints.check_new_rows(session, txn, ctx, tdef, batch)
        txn.insert_def(tdef, batch)
        tag = "INSERT 0 1"
        if self.returning is not None:
            return dml.returning_result(session, ctx, tag, tdef, self.alias, self.returning, [batch],
                                         prepared.cache)
        return Result(command_tag=tag)
