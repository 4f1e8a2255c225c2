"""DML: INSERT (VALUES, SELECT, DEFAULT, ON CONFLICT, RETURNING), UPDATE, DELETE, MERGE, FOR UPDATE.

Rows to change are found by the query planner: UPDATE and DELETE become
``SELECT a._rowid, a.<every column>, <SET expressions> FROM t AS a [FROM/USING ...] WHERE ...``
(the planner uses the primary-key index when WHERE pins the key), then the storage
transaction writes the new versions. Values are converted to the column types with
PostgreSQL's assignment casts; constraints (CHECK, UNIQUE, FOREIGN KEY) are checked in
constraints.py, NOT NULL and the primary key by storage.

READ COMMITTED re-check: when storage reports rows changed by a transaction that committed
after our snapshot (``WriteOutcome.changed``), the statement takes a new snapshot
(``txn.new_statement()``), re-runs its row query restricted to those rows
(``a._rowid IN (...)``) so WHERE and SET see the newest committed versions, and writes again
the rows that still qualify; rows deleted meanwhile (``gone``) are skipped, as in PostgreSQL.
"""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core.errors import (
    DatatypeMismatch,
    FeatureNotSupported,
    HeliosError,
    SerializationFailure,
    UndefinedColumn,
    UndefinedTable,
    UniqueViolation,
)
from helios_core.session import Result
from helios_core.sql import (
    catalog_statistics,
    composite_types,
    constraints,
    dml_privileges,
    dml_with,
    exclusion_constraints,
    foreign_tables,
    generated_columns,
    inheritance,
    instead_of_triggers,
    matviews,
    object_privileges,
    partitions,
    plan_costs,
    publications,
    subscript_assignment,
    updatable_views,
)
from helios_core.sql.constraints import column_metadata
from helios_core.sql.context import table_sql_columns
from helios_core.sql.ddl import ident, table_name
from helios_core.sql.expr import Field, Scope, compile_scalar
from helios_core.sql.extensions import citext
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.cast import numeric_elements_to_storage, stores_rounded_numeric_elements
from helios_core.sql.functions.vec import Vec
from helios_core.sql.row_security import policies as rls_policies
from helios_core.sql.triggers import firing
from helios_core.sql.window_placement import refuse_window

_NEXTVAL_RE = re.compile(r"^\s*nextval\s*\(\s*'([^']+)'(?:\s*::\s*regclass)?\s*\)\s*$", re.IGNORECASE)
_VOLATILE = {"random", "gen_random_uuid", "clock_timestamp", "nextval", "uuid_generate_v4", "timeofday",
             "uuid_generate_v1", "uuid_generate_v1mc", "gen_random_bytes", "gen_salt"}
_MAX_RECHECK = 50


def _recheck_exhausted() -> SerializationFailure:
    """Rows still replaced by newer commits after every re-check: refused, never dropped (the
    changed row's lock, txn._lock_changed_row, makes one re-check enough)."""
    return SerializationFailure("could not serialize access due to concurrent update",
                                detail=f"rows were replaced by concurrent commits {_MAX_RECHECK} times in a row")


class GeneratedAlways(HeliosError):
    sqlstate = "428C9"


# ------------------------------------------------------------------------------------ helpers
def _types():
    from helios_core.sql import types

    return types


def _fn():
    from helios_core.sql import functions

    return functions


def column_types(tdef: Any) -> list[tuple[str, Any]]:
    return table_sql_columns(tdef)


def assign(vec: Any, sql_type: Any, n: int, column: str = "") -> pa.Array:
    """A Vec converted to a column's type with assignment-cast rules, as a length-n array."""
    if not isinstance(vec, Vec):
        vec = Vec.of(vec)
    if sql_type.name == "numeric" and isinstance(vec.array.type, pa.ExtensionType) and \
            vec.array.type != sql_type.arrow_type:  # a wide numeric into a decimal column
        return _fn().to_storage(vec, sql_type, n)
    if vec.type.name == sql_type.name and vec.type.typmod == sql_type.typmod:
        out = vec
    elif vec.type.name == "unknown" and pa.types.is_null(vec.array.type):
        out = Vec(pa.nulls(len(vec.array), sql_type.arrow_type), sql_type, vec.scalar)
    else:
        try:
            out = _fn().cast(vec, sql_type, context="assignment")
        except HeliosError as e:
            if e.sqlstate == "42846" and column:
                raise HeliosError(
                    f'column "{column}" is of type {sql_type.sql_name()} but expression is of type '
                    f"{vec.type.sql_name()}", sqlstate="42804",
                    hint="You will need to rewrite or cast the expression.") from None
            raise
    arr = out.broadcast(n).array if out.scalar else out.array
    if pa.types.is_struct(arr.type) and sql_type.name == "numeric":  # NaN / Infinity
        from helios_core.sql.functions.cast import numeric_specials_to_storage

        return numeric_specials_to_storage(arr, sql_type)
    if arr.type != sql_type.arrow_type and sql_type.name == "numeric" and sql_type.element is None:
        # an unconstrained column's storage rounds to its scale (a plain Arrow cast refuses to)
        return _fn().to_storage(Vec(arr, out.type, False), sql_type)
    if arr.type != sql_type.arrow_type:
        if sql_type.element is not None:
            from helios_core.sql.functions.cast import array_to_storage

            arr = array_to_storage(arr, sql_type)
            if stores_rounded_numeric_elements(sql_type) and arr.type != sql_type.arrow_type:
                return numeric_elements_to_storage(arr, sql_type)
        arr = arr.cast(sql_type.arrow_type)
    return arr


def _scope(tdef: Any, alias: str | None = None) -> Any:
    return Scope.of_table(tdef.name, column_types(tdef), alias=alias)


def evaluate_exprs(session: Any, ctx: Any, exprs: list[Any], scope: Any, batch: pa.RecordBatch) -> list[Any]:
    """Compile and evaluate expressions over a batch laid out like ``scope``; returns Vecs."""
    return [compile_scalar(e, scope, ctx).evaluate(batch, ctx) for e in exprs]


# schema metadata of the rows an INSERT ... ON CONFLICT DO UPDATE updated (the rest it inserted)
_UPDATED_ROWS = {b"helios.updated": b"1"}
_SYSTEM_COLUMNS = ("xmin", "xmax")


def _system_columns_read(returning: Any, tdef: Any) -> list[str]:
    """xmin / xmax named in RETURNING (and not columns of the table): PostgreSQL's row headers. Here
    xmin is the writing transaction and xmax is 0 for a row the statement inserted, the writing
    transaction for one it updated: the ``RETURNING (xmax = 0) AS inserted`` idiom of upserts."""
    names = {ident(c) for c in returning.find_all(exp.Column)} & set(_SYSTEM_COLUMNS)
    return [n for n in _SYSTEM_COLUMNS if n in names and tdef.column(n) is None]


def returning_result(session: Any, ctx: Any, tag: str, tdef: Any, alias: str | None, returning: Any,
                     batches: list[pa.RecordBatch], cache: dict | None = None) -> Result:
    """RETURNING expressions evaluated over rows shaped like the table (new rows; old for DELETE).
    ``cache``: a prepared statement's, where the compiled expressions are kept for the next
    execution while the table's definition is the same (a point INSERT ... RETURNING compiled
    them every time); they are evaluated anew each time."""
    system = _system_columns_read(returning, tdef)
    if system or returning.find(exp.Select) is not None:  # system columns, subqueries: compiled each time
        cache = None
    kept = cache.get("returning") if cache is not None else None
    if kept is not None and kept[0] is tdef and kept[1] is returning:
        return _returned(tag, tdef, kept[2], batches, ctx)
    scope = _scope(tdef, alias)
    if system:
        scope = Scope([*scope.fields, *(Field(n, _types().INT8, alias or tdef.name) for n in system)])
        txid = int(getattr(session.tx.current(), "txid", 0) or 0) & 0xFFFFFFFF or 1
        width = len(tdef.columns)
        batches = [pa.RecordBatch.from_arrays(
            [*b.columns[:width], *(pa.array([txid if n == "xmin" or (b.schema.metadata or {}).get(b"helios.updated")
                                             else 0] * b.num_rows, pa.int64()) for n in system)],
            names=[*b.schema.names[:width], *system]) for b in batches]
    items: list[tuple[str, Any]] = []
    ctypes = column_types(tdef)
    for e in returning.expressions:
        refuse_window(e, "RETURNING")
        if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)):
            for i, (n, _) in enumerate(ctypes):
                items.append((n, exp.column(n, quoted=True) if i >= 0 else None))
            continue
        name = e.alias_or_name if isinstance(e, exp.Alias) else (
            ident(e) if isinstance(e, exp.Column) else _label(e))
        node = e.this if isinstance(e, exp.Alias) else e
        items.append((name, node))
    compiled = [(n, compile_scalar(node, scope, ctx)) for n, node in items]
    if cache is not None:
        cache["returning"] = (tdef, returning, compiled)
    return _returned(tag, tdef, compiled, batches, ctx)


def _returned(tag: str, tdef: Any, compiled: list[tuple[str, Any]], batches: list[pa.RecordBatch], ctx: Any
              ) -> Result:
    """The RETURNING result: the compiled expressions over each batch of rows."""
    from helios_core.sql.session_impl import result_column

    ctypes = column_types(tdef)
    out_batches = []
    stored_numeric = [i for i, (_, t) in enumerate(ctypes) if t.stores_numeric_specials]
    for b in batches:
        if b.num_rows == 0:
            continue
        if stored_numeric:  # rows in storage form: NaN/Infinity are reserved values there
            cols = list(b.columns)
            for i in stored_numeric:
                if i < len(cols) and pa.types.is_decimal(cols[i].type):
                    cols[i] = NS.decode_from_storage(cols[i])
            b = pa.RecordBatch.from_arrays(cols, names=b.schema.names)
        arrays = []
        for _, c in compiled:
            v = c.evaluate(b, ctx)
            arr = v.broadcast(b.num_rows).array if v.scalar else v.array
            arrays.append(arr)
        out_batches.append(pa.record_batch(arrays, names=[n for n, _ in compiled]))
    cols = [result_column(n, c.type) for n, c in compiled]
    return Result(command_tag=tag, columns=cols, batches=out_batches)


def _label(e: Any) -> str:
    if isinstance(e, exp.Func):
        name = e.sql_name() if hasattr(e, "sql_name") else e.key
        return name.lower()
    if isinstance(e, exp.Cast):
        return _label(e.this) if not isinstance(e.this, exp.Literal) else e.to.sql().lower()
    return "?column?"


def _position(node: Any) -> int | None:
    """1-based position of a node in the statement (for errors), if the parser recorded it."""
    from helios_core.sql.planner.scalar import node_position

    return node_position(node) if node is not None else None


def _target(session: Any, txn: Any, table: exp.Table) -> tuple[Any, str | None]:
    schema, name = table_name(session, table, txn)
    tdef = txn.get_table(schema, name)
    if tdef is None:
        if txn.catalog_get("view", f"{schema}.{name}") is not None:
            raise FeatureNotSupported(f'cannot change view "{name}"',
                                      detail="Views are not automatically updatable yet.")
        raise UndefinedTable(f'relation "{name}" does not exist', position=_position(table))
    matviews.check_writable(tdef)  # 42809: only REFRESH changes a materialized view
    foreign_tables.check_scan(txn, tdef)  # 55000: no wrapper has a handler to write it with
    alias = table.args.get("alias")
    return tdef, ident(alias.this) if alias is not None else None


def _cells_literal(node: Any, params: list[Any], ptypes: list[Any]) -> tuple[str, Any] | None:
    """(kind, python value) of a simple VALUES cell, or None when it needs the planner."""
    if isinstance(node, exp.Literal):
        if node.is_string:
            return "str", node.this
        text = node.this
        if re.fullmatch(r"\d+", text):
            return "int", int(text)
        return "num", Decimal(text)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        k, v = _cells_literal(node.this, params, ptypes)  # type: ignore[misc]
        return k, -v
    if isinstance(node, exp.Null):
        return "null", None
    if isinstance(node, exp.Boolean):
        return "bool", bool(node.this)
    if isinstance(node, exp.Var) and node.name.upper() == "DEFAULT":
        return "default", None
    if isinstance(node, (exp.Parameter, exp.Placeholder)):
        idx = _param_index(node)
        if idx is None or idx >= len(params):
            raise HeliosError(f"there is no parameter ${(idx or 0) + 1}", sqlstate="42P02")
        return f"param{idx}", params[idx]
    return None


def _param_index(node: Any) -> int | None:
    if isinstance(node, exp.Parameter):
        inner = node.this
        text = inner.this if isinstance(inner, exp.Literal) else str(inner.name if hasattr(inner, "name") else inner)
        return int(text) - 1 if str(text).isdigit() else None
    if isinstance(node, exp.Placeholder) and str(node.name).isdigit():  # a routine's variable (plpgsql)
        return int(node.name) - 1
    return None


def _column_vec(kinds: list[str], values: list[Any], ptypes: list[Any]) -> Any:
    """A Vec for one column of literal cells when they are homogeneous, else None."""
    T = _types()
    real = {k for k in kinds if k not in ("null", "default")}
    vals = [None if k == "default" else v for k, v in zip(kinds, values, strict=True)]
    if not real or real == {"str"}:
        return Vec(pa.array(vals, pa.string()), T.UNKNOWN)
    if real == {"int"}:
        if all(v is None or -2**31 <= v < 2**31 for v in vals):
            return Vec(pa.array(vals, pa.int32()), T.INT4)
        if all(v is None or -2**63 <= v < 2**63 for v in vals):
            return Vec(pa.array(vals, pa.int64()), T.INT8)
        try:
            return Vec(pa.array([None if v is None else Decimal(v) for v in vals]), T.NUMERIC)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None  # past 76 digits: the general way (a wide numeric)
    if real <= {"int", "num"}:
        dec = [None if v is None else Decimal(v) for v in vals]
        try:
            return Vec(pa.array(dec), T.NUMERIC)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
    if real == {"bool"}:
        return Vec(pa.array(vals, pa.bool_()), T.BOOL)
    if len(real) == 1 and next(iter(real)).startswith("param"):
        idx = int(next(iter(real))[5:])
        t = ptypes[idx] if idx < len(ptypes) and ptypes[idx] is not None else T.UNKNOWN
        return _param_vec(vals, t)
    if all(k.startswith("param") for k in real):
        ts = {ptypes[int(k[5:])].name if int(k[5:]) < len(ptypes) and ptypes[int(k[5:])] is not None else
              "unknown" for k in real}
        if len(ts) == 1:
            idx = int(next(iter(real))[5:])
            t = ptypes[idx] if idx < len(ptypes) and ptypes[idx] is not None else T.UNKNOWN
            return _param_vec(vals, t)
    return None


def _stored_form(arrays: list[pa.Array], tdef: Any) -> list[pa.Array]:
    """Rows read back through a query, in the table's storage types (numeric NaN/Infinity are
    reserved values there, see numeric_special)."""
    return [NS.encode_for_storage(a, c.type) if NS.is_special(a) else a for a, c in zip(arrays, tdef.columns,
                                                                                       strict=True)]


def _param_vec(vals: list[Any], t: Any) -> Any:
    T = _types()
    if any(isinstance(v, Vec) for v in vals):  # values no Python object holds (dates past 9999...)
        if t.name == "numeric" and t.element is None and len(vals) == 1 and pa.types.is_decimal(vals[0].array.type):
            return Vec(vals[0].array, t)  # one decimal parameter (prepared._plain_numeric's): as it is
        if t.name == "numeric" and t.element is None:  # decimals of any scale, wide or NaN: one array of all
            decimals = [d for v in vals for d in (NW.to_decimals(v.array) if isinstance(v, Vec) else
                                                  [None if v is None else Decimal(str(v.as_py() if isinstance(
                                                      v, pa.Scalar) else v))])]
            return Vec(NS.from_python(decimals), t)
        parts = [v.array if isinstance(v, Vec) else pa.array([v.as_py() if isinstance(v, pa.Scalar) else v],
                                                             t.arrow_type) for v in vals]
        if stores_rounded_numeric_elements(t):  # numeric[] elements of any scale: rounded as stored
            parts = [p if p.type == t.arrow_type else numeric_elements_to_storage(p, t) for p in parts]
        return Vec(pa.concat_arrays([p.cast(t.arrow_type) for p in parts]), t)
    at = t.arrow_type
    if t.name != "unknown" and all(v is None or (isinstance(v, pa.Scalar) and v.type == at) for v in vals):
        try:  # parameters parsed together (prepared.bind_params): Arrow scalars straight back into an array
            return Vec(pa.array(vals, type=at), t)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            pass
    items = [v.as_py() if isinstance(v, pa.Scalar) else v for v in vals]
    if t.name == "unknown":
        return Vec(pa.array([None if v is None else str(v) for v in items], pa.string()), T.UNKNOWN)
    if t.element is not None and any(isinstance(v, list) and any(isinstance(x, list) for x in v) for v in items):
        from helios_core.sql.functions.array_dims import check_rectangular, from_rows

        for v in items:  # N-dimensional arrays from binary parameters
            if v:
                check_rectangular(v)
        arr, at = from_rows(items, t)
        return Vec(arr, at)
    try:
        return Vec(pa.array(items, t.arrow_type), t)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return Vec(pa.array([None if v is None else str(v) for v in items], pa.string()), T.UNKNOWN)


# ------------------------------------------------------------------------------------ defaults
def _domain_default(t: Any) -> str | None:
    while t.domain is not None:
        if t.domain.default is not None:
            return t.domain.default
        t = t.domain.base
    return None


def default_array(session: Any, txn: Any, tdef: Any, col_index: int, n: int, ctx: Any,
                  cache: dict | None = None) -> pa.Array:
    """n values of a column's DEFAULT (NULL when it has none); nextval draws n sequence values.
    ``cache``: a prepared statement's, where the default's plan is kept for the next execution
    while the table's definition is the same (a point INSERT planned ``now()`` every time); the
    plan runs again each time, so volatile and transaction-time defaults are evaluated anew."""
    col = tdef.columns[col_index]
    sql_type = column_types(tdef)[col_index][1]
    md = column_metadata(tdef, col.name)
    text = md.get("default")
    if text is None and md.get("domain"):  # a domain's DEFAULT applies to its columns without one
        text = _domain_default(_types().type_from_name(md["domain"]))
    if text is None or n == 0:
        return pa.nulls(n, sql_type.arrow_type)
    m = _NEXTVAL_RE.match(text)
    if m:
        from helios_core.sql import sequences

        # an identity column's own sequence needs no privilege of the inserting role (a serial's does)
        vals = sequences.nextvals(session, m.group(1), n, check_privilege=not md.get("identity"))
        return assign(Vec(pa.array(vals, pa.int64()), _types().INT8), sql_type, n, col.name)
    key = ("default", col_index)
    kept = cache.get(key) if cache is not None and n == 1 else None
    if kept is not None and kept[0] is tdef and kept[1] == text:
        volatile, plan = kept[2], kept[3]
    else:
        from helios_core.frontends.postgres.dialect import parse

        tree = parse(f"select {text}")[0].ast
        volatile = any(isinstance(f, exp.Anonymous) and f.name.lower() in _VOLATILE or
                       type(f).__name__.lower() in ("rand", "random") for f in tree.find_all(exp.Func))
        if volatile and n > 1:
            tree = parse(f"select {text} from generate_series(1, {n})")[0].ast
        plan = session.plan_query(tree, ctx)
        if cache is not None and n == 1 and not plan.subplans:
            cache[key] = (tdef, text, volatile, plan)
    batches = list(plan.execute(ctx))
    t = plan.columns[0][1]
    arr = pa.concat_arrays([b.column(0) for b in batches]) if batches else pa.nulls(0, t.arrow_type)
    if not volatile or n == 1:
        return assign(Vec(arr, t, True), sql_type, n, col.name)
    return assign(Vec(arr, t), sql_type, n, col.name)


# ------------------------------------------------------------------------------------ INSERT
def execute(session: Any, ast: Any, params: Any = (), prepared: Any = None) -> Result:
    with_ = ast.args.get("with_") or ast.args.get("with")
    if with_ is not None:  # WITH ... INSERT/UPDATE/DELETE/MERGE: data-modifying WITH queries first, once
        if any(isinstance(c.this, (exp.Insert, exp.Update, exp.Delete, exp.Merge)) for c in with_.expressions):
            txn = session.tx.current()
            try:  # the statement reads the tables as they were before its WITH queries wrote them
                ast = session._run_writable_ctes(ast, with_, params, prepared)
                return execute(session, dml_with.distribute(ast), params, _uncached(prepared))
            finally:
                txn.hidden_writes = frozenset()
        ast = dml_with.distribute(ast)
        prepared = _uncached(prepared)
    through_view = updatable_views.rewrite(session, ast)  # a view's target becomes its table
    if through_view is not None and through_view.instead_of is not None:  # or its triggers do the writing
        return instead_of_triggers.execute(session, through_view.ast, *through_view.base, through_view.instead_of,
                                           through_view.checks, params, returning_result)
    if through_view is not None:
        with contextlib.ExitStack() as stack:
            with object_privileges.acting_as(through_view.owner):  # the table: as the view's owner
                stack.enter_context(dml_privileges.checked(session, through_view.ast))
            stack.enter_context(object_privileges.view_dml_target(*through_view.base))  # its own scan: checked
            stack.enter_context(updatable_views.check_options(through_view))
            return _dispatch(session, through_view.ast, params, _uncached(prepared))
    with dml_privileges.checked(session, ast):  # 42501 without INSERT/UPDATE/DELETE (and SELECT to read)
        return _dispatch(session, ast, params, prepared)


def _dispatch(session: Any, ast: Any, params: Any, prepared: Any) -> Result:
    if isinstance(ast, exp.Insert):
        return insert(session, ast, params, prepared)
    if isinstance(ast, exp.Update):
        return update(session, ast, params, prepared)
    if isinstance(ast, exp.Delete):
        return delete(session, ast, params, prepared)
    if isinstance(ast, exp.Merge):
        return merge(session, ast, params, prepared)
    raise FeatureNotSupported("statement not supported")


def _insert_columns(tdef: Any, target: Any) -> list[int]:
    names = [c.name for c in tdef.columns]
    if isinstance(target, exp.Schema) and target.expressions:
        out = []
        for e in target.expressions:
            n = ident(e)
            if n not in names:
                raise UndefinedColumn(f'column "{n}" of relation "{tdef.name}" does not exist',
                                      position=_position(e))
            if names.index(n) in out:
                raise HeliosError(f'column "{n}" specified more than once', sqlstate="42701")
            out.append(names.index(n))
        return out
    return list(range(len(names)))


def check_values_width(values: exp.Values, cols: list[int], named: bool) -> None:
    """42601 for an INSERT's VALUES rows of unequal length, longer than the target columns, or
    (with a named column list) shorter; checked when the statement is prepared, as PostgreSQL does."""
    widths = {len(r.expressions) for r in values.expressions}
    if len(widths) > 1:
        raise HeliosError("VALUES lists must all be the same length", sqlstate="42601")
    width = widths.pop() if widths else 0
    if width > len(cols):
        raise HeliosError("INSERT has more expressions than target columns", sqlstate="42601")
    if named and width < len(cols):
        raise HeliosError("INSERT has more target columns than expressions", sqlstate="42601")


def source_rows(session: Any, ctx: Any, tdef: Any, cols: list[int], source: Any, cache: dict | None = None
                ) -> tuple[list[pa.Array], list[list[bool]] | None, int]:
    """The INSERT source as arrays for the target columns (typed), default masks, row count.
    ``cache``: a prepared statement's cache, where the source's plan is kept between executions."""
    ctypes = column_types(tdef)
    targets = [ctypes[i] for i in cols]
    if isinstance(source, exp.Values) and not isinstance(source.parent, exp.Subquery):
        rows = source.expressions
        width = len(rows[0].expressions) if rows else 0
        if not (cache is not None and cache.get("values_parameters")):  # a kept shape has one width
            for r in rows:
                if len(r.expressions) != width:
                    raise HeliosError("VALUES lists must all be the same length", sqlstate="42601")
        if width > len(cols):
            raise HeliosError("INSERT has more expressions than target columns", sqlstate="42601")
        bound = _parameter_columns(source, cache, ctx, targets, width)
        if bound is not None:
            return bound, [[False] * len(rows) for _ in range(width)], len(rows)
        # fast path: literals and parameters only
        cells = [[_cells_literal(c, ctx.params, ctx.param_types) for c in r.expressions] for r in rows]
        n = len(rows)
        if all(c is not None for row in cells for c in row):
            arrays = []
            masks = []
            for j in range(width):
                kinds = [row[j][0] for row in cells]  # type: ignore[index]
                vals = [row[j][1] for row in cells]  # type: ignore[index]
                vec = _column_vec(kinds, vals, list(ctx.param_types))
                if vec is None:
                    break
                try:
                    arrays.append(assign(vec, targets[j][1], n, targets[j][0]))
                except HeliosError as e:
                    _point_at_bad_literal(e, [r.expressions[j] for r in rows], targets[j][1])
                    raise
                masks.append([k == "default" for k in kinds])
            else:
                return arrays, masks, n
        # general path: the planner evaluates the VALUES list; DEFAULT cells become NULL + mask
        query, masks = values_query(rows, targets)
        try:
            arrays, _ = _plan_source(session, ctx, query, targets[:width], cache)
        except DatatypeMismatch:
            if n < 2:
                raise
            arrays = _values_row_by_row(session, ctx, query, targets[:width])
        return arrays, masks, n
    arrays, n = _plan_source(session, ctx, source, targets, cache)
    return arrays, None, n


def values_query(rows: list[Any], targets: list[tuple[str, Any]]) -> tuple[exp.Values, list[list[bool]]]:
    """VALUES rows as the planner evaluates them for an INSERT: quoted literals cast to their
    column's type, DEFAULT cells NULL (and marked in the masks, per column then row)."""
    width = len(rows[0].expressions) if rows else 0
    masks = [[False] * len(rows) for _ in range(width)]
    new_rows = []
    for i, r in enumerate(rows):
        items = []
        for j, c in enumerate(r.expressions):
            if isinstance(c, exp.Var) and c.name.upper() == "DEFAULT":
                masks[j][i] = True
                items.append(exp.Null())
            elif isinstance(c, exp.Literal) and c.is_string and not (
                    targets[j][1].name == "bpchar" and targets[j][1].typmod < 0):
                # (not into unbounded bpchar: beside a text expression the column's common type is
                # text, and bpchar to text drops the blanks PostgreSQL keeps for an untyped literal)
                items.append(exp.Cast(this=c.copy(), to=exp.DataType.build(targets[j][1].stored_name(),
                                                                             dialect="postgres", udt=True)))
            else:
                items.append(c.copy())
        new_rows.append(exp.Tuple(expressions=items))
    return exp.Values(expressions=new_rows), masks


def values_parameters(source: exp.Values) -> list[list[int]] | bool:
    """The parameter numbers of each column of VALUES rows whose cells are all parameters
    (0-based, row order); False for rows of any other kind or of different lengths."""
    rows = source.expressions
    width = len(rows[0].expressions) if rows else 0
    if not rows or any(len(r.expressions) != width for r in rows):
        return False
    shape = []
    for j in range(width):
        idxs = []
        for r in rows:
            c = r.expressions[j]
            i = _param_index(c) if isinstance(c, (exp.Parameter, exp.Placeholder)) else None
            if i is None:
                return False
            idxs.append(i)
        shape.append(idxs)
    return shape


def remember_values_shape(cache: dict, source: exp.Values, target_types: list[Any]) -> list[list[int]] | bool:
    """Keep in a prepared statement's cache its VALUES rows' parameter layout (``values_parameters``)
    and, when they are all parameters, the types of the columns they go into (for binding number
    literals, prepared.bind_columns); the layout is returned."""
    shape = cache["values_parameters"] = values_parameters(source)
    if shape is not False:
        cache["values_targets"] = target_types
    return shape


def _parameter_columns(source: Any, cache: dict | None, ctx: Any, targets: list[tuple[str, Any]], width: int
                       ) -> list[pa.Array] | None:
    """A prepared INSERT whose VALUES cells are all parameters (a batch the statement cache lifted):
    the parameter numbers of each column are read from the tree once and kept in the statement's
    cache; each execution only gathers the bound values. None when the shape is any other."""
    if cache is None:
        return None
    shape = cache.get("values_parameters")
    if shape is None:
        shape = remember_values_shape(cache, source, [t for _, t in targets[:width]])
    if shape is False:
        return None
    params, ptypes = ctx.params, list(ctx.param_types)
    bound = cache.pop("bound_columns", None)  # bound a column at a time (prepared.bind_columns)
    arrays = []
    for j, idxs in enumerate(shape):
        if bound is not None:  # bind_columns checked the parameters and their types per column
            arrays.append(assign(bound[j], targets[j][1], len(idxs), targets[j][0]))
            continue
        if max(idxs) >= len(params):
            return None
        kinds = {ptypes[i].name if i < len(ptypes) and ptypes[i] is not None else "unknown" for i in idxs}
        if len(kinds) != 1:
            return None
        t = ptypes[idxs[0]] if idxs[0] < len(ptypes) and ptypes[idxs[0]] is not None else _types().UNKNOWN
        vec = _param_vec([params[i] for i in idxs], t)
        arrays.append(assign(vec, targets[j][1], len(idxs), targets[j][0]))
    return arrays


def _values_row_by_row(session: Any, ctx: Any, query: exp.Values, targets: list[tuple[str, Any]]) -> list[pa.Array]:
    """INSERT ... VALUES rows whose expressions have no common type per column (1::int in one row,
    lower(...) in another): PostgreSQL assigns each row's values to the columns on their own."""
    per_row = [_plan_source(session, ctx, exp.Values(expressions=[row]), targets)[0] for row in query.expressions]
    return [pa.concat_arrays([arrays[j] for arrays in per_row]) for j in range(len(targets))]


def _plan_source(session: Any, ctx: Any, query: Any, targets: list[tuple[str, Any]], cache: dict | None = None
                 ) -> tuple[list[pa.Array], int]:
    if cache is not None and query.find(exp.Version) is None:  # a prepared INSERT plans its source once
        plan = cache.get("insert_source")
        if plan is None:
            plan = cache["insert_source"] = session.plan_query(query, ctx)
    else:
        plan = session.plan_query(query, ctx)
    if len(plan.columns) > len(targets):
        raise HeliosError("INSERT has more expressions than target columns", sqlstate="42601")
    from helios_core.sql.operators.base import unify_batches

    batches = unify_batches(list(plan.execute(ctx)), [])  # e.g. numeric NaN in some batches only
    n = sum(b.num_rows for b in batches)
    arrays = []
    for j, (name, t) in enumerate(plan.columns):
        chunks = [b.column(j) for b in batches]
        arr = pa.concat_arrays(chunks) if chunks else pa.nulls(0, t.arrow_type)
        arrays.append(assign(Vec(arr, t), targets[j][1], n, targets[j][0]))
    return arrays, n


def insert(session: Any, ast: exp.Insert, params: Any = (), prepared: Any = None) -> Result:

    txn = session.tx.current()
    target = ast.this
    table = target.this if isinstance(target, exp.Schema) else target
    tdef, alias = _target(session, txn, table)
    ctx = session.context(txn, params, prepared.param_types if prepared is not None else ())
    cols = _insert_columns(tdef, target)
    ctypes = column_types(tdef)
    overriding = ast.args.get("overriding") == "system"
    user_override = ast.args.get("overriding") == "user"  # identity columns take their defaults
    if ast.args.get("default") or ast.args.get("expression") is None:
        arrays, masks, n = [], None, 1
        cols_given: list[int] = []
    else:
        arrays, masks, n = source_rows(session, ctx, tdef, cols, ast.args["expression"],
                                       getattr(prepared, "cache", None))
        if len(arrays) < len(cols) and isinstance(target, exp.Schema) and target.expressions:
            # a named column list must be filled (without one, the columns left take their defaults)
            raise HeliosError("INSERT has more target columns than expressions", sqlstate="42601")
        cols_given = cols[:len(arrays)]
    full: list[pa.Array | None] = [None] * len(tdef.columns)
    for j, ci in enumerate(cols_given):
        col = tdef.columns[ci]
        arr = arrays[j]
        mask = masks[j] if masks is not None else None
        if user_override and (col.metadata or {}).get("identity"):
            continue  # OVERRIDING USER VALUE: the supplied values are ignored
        if generated_columns.is_generated(col):
            if mask is None or not all(mask):
                generated_columns.refuse_insert(col)
            continue  # computed below from the rest of the row
        if (col.metadata or {}).get("identity") == "always" and not overriding and (
                mask is None or not all(mask)):
            raise GeneratedAlways(f'cannot insert a non-DEFAULT value into column "{col.name}"',
                                  detail=f'Column "{col.name}" is an identity column defined as GENERATED ALWAYS.',
                                  hint="Use OVERRIDING SYSTEM VALUE to override.")
        if mask is not None and any(mask):
            idx = [i for i, m in enumerate(mask) if m]
            dflt = default_array(session, txn, tdef, ci, len(idx), ctx)
            pylist = arr.to_pylist()
            for k, i in enumerate(idx):
                pylist[i] = dflt[k].as_py()
            arr = pa.array(pylist, ctypes[ci][1].arrow_type)
        full[ci] = arr
    for ci in range(len(tdef.columns)):
        if full[ci] is None:
            full[ci] = default_array(session, txn, tdef, ci, n, ctx)
    batch = pa.RecordBatch.from_arrays(full, schema=_arrow_schema(tdef))  # type: ignore[arg-type]
    batch = generated_columns.compute(session, ctx, tdef, batch)
    conflict = ast.args.get("conflict")
    returning = ast.args.get("returning")
    inserted: list[pa.RecordBatch] = []
    count = 0
    fire = firing.has_triggers(tdef)
    if fire:
        if conflict is not None:
            firing.refuse_unfired(tdef, "INSERT ... ON CONFLICT")
        firing.statement(session, tdef, "BEFORE", "INSERT")
        batch, _kept = firing.before_rows(session, tdef, "INSERT", batch, None)
        batch = generated_columns.compute(session, ctx, tdef, batch)
        n = batch.num_rows
    rls_policies.check_new_rows(session, ctx, tdef, batch, "INSERT", with_select=returning is not None)
    if conflict is not None:
        if partitions.spec(tdef) is not None:  # each row meets its conflicts in its own partition
            count, inserted = 0, []
            for leaf, rows in partitions.route(txn, tdef, batch, ctx):
                c, ins = insert_on_conflict(session, txn, ctx, leaf, alias or tdef.name, rows, conflict)
                count += c
                inserted.extend(ins)
        else:
            if partitions.parent_of(tdef) is not None:
                partitions.check_rows_fit(txn, tdef, batch, ctx)
            count, inserted = insert_on_conflict(session, txn, ctx, tdef, alias, batch, conflict)
    elif n:
        ctx.check_cancel()  # the rows are computed: a cancel, statement_timeout or a spent time budget stops here
        partitions.insert_rows(session, txn, ctx, tdef, batch)  # routed / checked when partitioned
        count = n
        inserted = [batch]
    if fire:
        firing.after_rows(session, tdef, "INSERT", batch if n else None, None)
        firing.statement(session, tdef, "AFTER", "INSERT")
    tag = f"INSERT 0 {count}"
    if returning is not None:
        return returning_result(session, ctx, tag, tdef, alias, returning, inserted)
    return Result(command_tag=tag)


def _arrow_schema(tdef: Any) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.type) for c in tdef.columns])


# ------------------------------------------------------------------------------------ row queries
def _qcol(alias: str, name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=exp.to_identifier(alias, quoted=True))


def _row_query(tdef: Any, alias: str, table: exp.Table, extra_from: list[Any], where: Any,
               extra_exprs: list[Any], rowids: list[int] | None = None) -> exp.Select:
    """SELECT a._rowid, a.<cols>, <extra> FROM t AS a [, extra] WHERE where [AND a._rowid IN (...)]."""
    tbl = exp.Table(this=exp.to_identifier(tdef.name, quoted=True),
                    db=exp.to_identifier(tdef.schema, quoted=True),
                    alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)), only=True)
    # the statement's own scan of its target (privileges: checked already); ONLY: tables that inherit
    # from it are updated by their own runs (inheritance.each_table)
    tbl.meta["dml_target"] = True
    projections: list[Any] = [_qcol(alias, "_rowid")]
    projections += [_qcol(alias, c.name) for c in tdef.columns]
    projections += [exp.alias_(e.copy(), f"__x{i}", quoted=True) for i, e in enumerate(extra_exprs)]
    q = exp.Select(expressions=projections).from_(tbl, copy=False)
    for f in extra_from:
        q = q.join(f.copy(), copy=False)  # comma join = cross join filtered by WHERE
    cond = where.copy() if where is not None else None
    if rowids is not None:
        in_list = exp.In(this=_qcol(alias, "_rowid"),
                         expressions=[exp.Literal.number(r) for r in rowids] or [exp.Null()])
        cond = in_list if cond is None else exp.and_(exp.Paren(this=cond), in_list)
    if cond is not None:
        q = q.where(cond, copy=False)
    return q


def _run_rows(session: Any, ctx: Any, query: Any) -> tuple[pa.Table, Any]:
    plan = session.plan_query(query, ctx)
    return _collect(plan, ctx), plan


def _collect(plan: Any, ctx: Any) -> pa.Table:
    batches = [b for b in plan.execute(ctx) if b.num_rows]
    if not batches:
        return plan.schema.empty_table()
    if all(b.schema.equals(batches[0].schema) for b in batches):
        return pa.Table.from_batches(batches)
    # computed numerics carry their display scale in the Arrow type: widen to one type per column
    return pa.concat_tables([pa.Table.from_batches([b]) for b in batches], promote_options="permissive")


def _cached_rows(session: Any, ctx: Any, prepared: Any, rowid_filter: list[int] | None, build: Any
                 ) -> tuple[pa.Table, Any]:
    """Run the row query; a prepared statement plans it once (re-checks are planned each time)."""
    cache = getattr(prepared, "cache", None)
    if rowid_filter is None and cache is not None:
        plan = cache.get("rows")
        if plan is None:
            plan = cache["rows"] = session.plan_query(build(None), ctx)
        point = cache.get("point_rows")  # a point write's lookup (sql.point_writes), when it has one
        rows = point.run(ctx) if point is not None else None
        if rows is not None:
            return rows, plan
        return _collect(plan, ctx), plan
    return _run_rows(session, ctx, build(rowid_filter))


def _unmodified_rows(txn: Any, tdef: Any, t: pa.Table) -> pa.Table:
    """Leave out the rows an earlier data-modifying WITH query of the same statement changed:
    a row is written at most once per statement (PostgreSQL skips the later writes)."""
    if t.num_rows == 0 or tdef.data_id not in getattr(txn, "hidden_writes", ()):
        return t
    done = txn.self_modified(tdef, t.column(0).to_pylist())
    return t.filter(pc.invert(pa.array(done, pa.bool_()))) if any(done) else t


def _dedupe_rowids(t: pa.Table) -> pa.Table:
    """The first row of each target row id (a join in FROM/USING may match a row several times),
    in their order."""
    if t.num_rows <= 1:
        return t
    rid = t.column(0)
    if pc.count_distinct(rid).as_py() == t.num_rows:
        return t
    first = pa.table({"r": rid, "i": pa.array(range(t.num_rows), pa.int64())}).group_by("r").aggregate(
        [("i", "min")]).column("i_min")
    return t.take(pc.take(first, pc.sort_indices(first)))


# ------------------------------------------------------------------------------------ UPDATE
def _set_items(tdef: Any, expressions: list[Any]) -> list[tuple[int, Any]]:
    names = [c.name for c in tdef.columns]
    out: list[tuple[int, Any]] = []
    subscripted: dict[int, int] = {}  # column -> its place in ``out``: SET a[1] = x, a[2] = y builds on a[1]'s
    for e in expressions:
        if not isinstance(e, exp.EQ):
            raise FeatureNotSupported("unsupported SET clause")
        lhs, rhs = e.this, e.expression
        if isinstance(lhs, exp.Tuple):
            targets = [ident(c) for c in lhs.expressions]
            if isinstance(rhs, exp.Tuple):
                values = list(rhs.expressions)
            elif isinstance(rhs, exp.Paren) and isinstance(rhs.this, exp.Tuple):
                values = list(rhs.this.expressions)
            elif isinstance(rhs, (exp.Subquery, exp.Paren)) and isinstance(rhs.this, exp.Select):
                # SET (a, b) = (SELECT x, y ...): one scalar subquery per target column
                sel = rhs.this
                if len(sel.expressions) != len(targets):
                    raise HeliosError("number of columns does not match number of values", sqlstate="42601")
                values = []
                for item in sel.expressions:
                    one = sel.copy()
                    one.set("expressions", [item.copy()])
                    values.append(exp.Subquery(this=one))
            else:
                raise FeatureNotSupported("this form of SET (a, b) = ... is not supported")
            if len(values) != len(targets):
                raise HeliosError("number of columns does not match number of values", sqlstate="42601")
        elif isinstance(lhs, exp.Column) and lhs.table and ident(lhs.args["db"] if lhs.args.get("db") else
                                                                  lhs.args["table"]) in names:
            parts = [ident(p) for p in (lhs.args.get("db"), lhs.args.get("table"), lhs.this) if p is not None]
            column_type = table_sql_columns(tdef)[names.index(parts[0])][1]
            targets = [parts[0]]  # SET c.field = v: c gets its value with that field replaced
            values = [composite_types.subfield_assignment(parts[0], column_type, parts[1:], rhs)]
        elif isinstance(lhs, exp.Bracket):  # SET c[sub] = v: c gets its value with that element replaced
            base, subs = subscript_assignment.subscripts_of(lhs)
            name = ident(base)
            if name not in names:
                raise UndefinedColumn(f'column "{name}" of relation "{tdef.name}" does not exist')
            column_type = table_sql_columns(tdef)[names.index(name)][1]
            ci = names.index(name)
            if ci in subscripted:  # PostgreSQL applies the element assignments of one column in order
                k = subscripted[ci]
                out[k] = (ci, subscript_assignment.assignment(name, column_type, subs, rhs, base=out[k][1]))
                continue
            targets = [name]
            values = [subscript_assignment.assignment(name, column_type, subs, rhs)]
            subscripted[ci] = len(out)
        else:
            targets = [ident(lhs)]
            values = [rhs]
        where = {ident(c): c for c in (lhs.expressions if isinstance(lhs, exp.Tuple) else [lhs])}
        for tname, v in zip(targets, values, strict=True):
            if isinstance(v, exp.Column) and not v.table and isinstance(v.this, exp.Identifier) and \
                    not v.this.quoted and v.name.upper() == "DEFAULT":
                v = exp.Var(this="DEFAULT")
            if tname not in names:
                raise UndefinedColumn(f'column "{tname}" of relation "{tdef.name}" does not exist',
                                      position=_position(where.get(tname)))
            ci = names.index(tname)
            if any(ci == x for x, _ in out):
                raise HeliosError(f'multiple assignments to same column "{tname}"', sqlstate="42601")
            if not (isinstance(v, exp.Var) and v.name.upper() == "DEFAULT"):
                _refuse_always_generated(tdef.columns[ci])  # whether or not a row matches, as PostgreSQL
            out.append((ci, v))
    return out


def _refuse_always_generated(col: Any) -> None:
    """A SET of a generated column or a GENERATED ALWAYS identity to anything but DEFAULT: 428C9."""
    if generated_columns.is_generated(col):
        generated_columns.refuse_update(col)
    if (col.metadata or {}).get("identity") == "always":
        raise GeneratedAlways(f'column "{col.name}" can only be updated to DEFAULT',
                              detail=f'Column "{col.name}" is an identity column defined as GENERATED ALWAYS.')


def _new_rows(session: Any, txn: Any, ctx: Any, tdef: Any, rows: pa.Table, sets: list[tuple[int, Any]],
              plan: Any) -> pa.RecordBatch:
    """Old row columns with SET results (columns 1+len(cols)+i of ``rows``) cast into place."""
    ctypes = column_types(tdef)
    ncols = len(tdef.columns)
    n = rows.num_rows
    arrays = _stored_form([rows.column(1 + i).combine_chunks() for i in range(ncols)], tdef)
    for k, (ci, node) in enumerate(sets):
        if isinstance(node, exp.Var) and node.name.upper() == "DEFAULT":
            arrays[ci] = default_array(session, txn, tdef, ci, n, ctx)
            continue
        t = plan.columns[1 + ncols + k][1]
        arr = rows.column(1 + ncols + k).combine_chunks()
        try:
            arrays[ci] = assign(Vec(arr, t), ctypes[ci][1], n, tdef.columns[ci].name)
        except HeliosError as e:
            _point_at_bad_literal(e, [node], ctypes[ci][1])
            raise
    return generated_columns.compute(session, ctx, tdef, pa.RecordBatch.from_arrays(arrays, schema=_arrow_schema(tdef)))


def _point_at_bad_literal(error: HeliosError, nodes: list[Any], sql_type: Any) -> None:
    """An input error of a quoted literal points at that literal, as PostgreSQL's do."""
    if error.position is not None or not error.sqlstate.startswith("22"):
        return
    if error.message.startswith(("numeric field overflow", "value too long for type")):
        return  # the column's typmod refused the value, not the literal's input: PostgreSQL points at nothing
    for node in nodes:
        if isinstance(node, exp.Literal) and node.is_string and node.meta and "start" in node.meta:
            try:
                assign(Vec(pa.array([node.this], pa.string()), _types().UNKNOWN), sql_type, 1)
            except HeliosError:
                error.position = node.meta["start"] + 1
                return



def _returning_needs_join(returning: Any, tdef: Any, alias: str, extra_from: list[Any]) -> bool:
    """True when RETURNING names a table of FROM/USING (then it is evaluated in the row query)."""
    if returning is None or not extra_from:
        return False
    own = {alias, tdef.name}
    if any(isinstance(e, exp.Star) for e in returning.expressions):
        return True  # RETURNING * also lists the FROM/USING tables' columns
    for col in returning.find_all(exp.Column):
        if col.table and col.table not in own:
            return True
    names = {c.name for c in tdef.columns}
    return any(col.name not in names and not col.table for col in returning.find_all(exp.Column))


def _from_item_columns(session: Any, item: Any) -> tuple[str, list[str]]:
    """(alias, column names) of a FROM/USING item that is a table, for RETURNING's stars."""
    node = item.this if isinstance(item, exp.Join) else item
    if isinstance(node, exp.Table):
        txn = session.tx.current()
        schema, name = table_name(session, node, txn)
        other = txn.get_table(schema, name)
        if other is not None:
            return node.alias_or_name, [c.name for c in other.columns]
    raise FeatureNotSupported("RETURNING * over a FROM/USING item that is not a table is not supported")


def _joined_returning(session: Any, returning: Any, tdef: Any, alias: str, sets: list[tuple[int, Any]],
                      extra_from: list[Any]) -> list[tuple[str, Any]]:
    """RETURNING items rewritten for the row query: target columns become their new values; ``*`` is
    the target's columns then each FROM/USING table's, ``t.*`` one table's, as in PostgreSQL."""
    names = [c.name for c in tdef.columns]
    types_ = dict(table_sql_columns(tdef))
    new_value = {names[ci]: v for ci, v in sets}
    items: list[tuple[str, Any]] = []

    def own_columns() -> list[tuple[str, Any]]:
        return [(n, _new_value_of(exp.column(n, table=alias, quoted=True))) for n in names]

    def _new_value_of(col: exp.Column) -> Any:
        v = new_value.get(col.name)
        if v is None or isinstance(v, exp.Var):
            return col
        return exp.Cast(this=exp.Paren(this=v.copy()),
                        to=exp.DataType.build(types_[col.name].stored_name(), dialect="postgres", udt=True))

    for e in returning.expressions:
        if isinstance(e, exp.Star):
            items += own_columns()
            for item in extra_from:
                other, cols = _from_item_columns(session, item)
                items += [(n, exp.column(n, table=other, quoted=True)) for n in cols]
            continue
        if isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
            if e.table in ("", alias, tdef.name):
                items += own_columns()
                continue
            found = [_from_item_columns(session, item) for item in extra_from]
            match = next((cols for other, cols in found if other == e.table), None)
            if match is None:
                raise HeliosError(f'missing FROM-clause entry for table "{e.table}"', sqlstate="42P01")
            items += [(n, exp.column(n, table=e.table, quoted=True)) for n in match]
            continue
        name = e.alias_or_name if isinstance(e, exp.Alias) else (ident(e) if isinstance(e, exp.Column) else
                                                                  _label(e))
        node = (e.this if isinstance(e, exp.Alias) else e).copy()

        def swap(n: Any) -> Any:
            if isinstance(n, exp.Column) and n.name in new_value and (n.table in ("", alias, tdef.name)):
                v = new_value[n.name]
                if isinstance(v, exp.Var):
                    return n
                return exp.Cast(this=exp.Paren(this=v.copy()),
                                to=exp.DataType.build(types_[n.name].stored_name(), dialect="postgres", udt=True))
            return n

        items.append((name, node.transform(swap)))
    return items


def _result_from_rows(tag: str, items: list[tuple[str, Any]], plan: Any, rows_list: list[tuple[pa.Table, Any]],
                      first: int) -> Result:
    from helios_core.sql.session_impl import result_column

    cols = [result_column(n, plan.columns[first + i][1]) for i, (n, _) in enumerate(items)]
    batches = []
    for rows, mask in rows_list:
        t = rows.filter(mask) if mask is not None else rows
        if t.num_rows:
            arrays = [t.column(first + i).combine_chunks() for i in range(len(items))]
            batches.append(pa.record_batch(arrays, names=[n for n, _ in items]))
    return Result(command_tag=tag, columns=cols, batches=batches)


def update(session: Any, ast: exp.Update, params: Any = (), prepared: Any = None) -> Result:
    txn = session.tx.current()
    if catalog_statistics.names_pg_class(session, txn, ast.this):
        return catalog_statistics.update_pg_class(session, ast, params)
    tdef, alias = _target(session, txn, ast.this)
    if partitions.spec(tdef) is not None:
        return partitions.each_partition(session, ast, tdef,
                                         lambda s, one: update(s, one, params, _uncached(prepared)))
    if inheritance.has_children(tdef) and not ast.this.args.get("only"):
        return inheritance.each_table(session, ast, tdef, lambda s, one: update(s, one, params, _uncached(prepared)))
    publications.check_replica_identity(txn, tdef, "update")  # 55000 / 42P10 as PostgreSQL at executor start
    alias = alias or tdef.name
    ctx = session.context(txn, params, prepared.param_types if prepared is not None else ())
    sets = _set_items(tdef, list(ast.expressions))
    where = ast.args.get("where")
    where = where.this if where is not None else None
    from_ = ast.args.get("from_") or ast.args.get("from")
    extra_from = []
    if from_ is not None:
        extra_from = [from_.this] + list(from_.args.get("joins") or [])
    set_exprs = [exp.Null() if isinstance(v, exp.Var) and v.name.upper() == "DEFAULT" else v for _, v in sets]
    returning = ast.args.get("returning")
    joined = _returning_needs_join(returning, tdef, alias, extra_from)
    ret_items = _joined_returning(session, returning, tdef, alias, sets, extra_from) if joined else []
    extra_exprs = set_exprs + [node for _, node in ret_items]
    total = 0
    written: list[pa.RecordBatch] = []
    joined_rows: list[tuple[pa.Table, Any]] = []
    rowid_filter: list[int] | None = None
    plan = None
    fire = firing.has_triggers(tdef)
    set_names = {tdef.columns[ci].name for ci, _ in sets}
    if fire:
        firing.statement(session, tdef, "BEFORE", "UPDATE")
    for _ in range(_MAX_RECHECK):
        rows, plan = _cached_rows(session, ctx, prepared, rowid_filter,
                                  lambda f: _row_query(tdef, alias, ast.this, extra_from, where, extra_exprs, f))
        rows = _unmodified_rows(txn, tdef, _dedupe_rowids(rows))
        if rows.num_rows == 0:
            break
        new = _new_rows(session, txn, ctx, tdef, rows, sets, plan)
        if fire:
            old_rows = pa.RecordBatch.from_arrays(_stored_form([rows.column(1 + i).combine_chunks()
                                                                for i in range(len(tdef.columns))], tdef),
                                                  schema=_arrow_schema(tdef))
            new, kept = firing.before_rows(session, tdef, "UPDATE", new, old_rows, set_names)
            if len(kept) != rows.num_rows:
                rows = rows.take(pa.array(kept, pa.int64()))
            new = generated_columns.compute(session, ctx, tdef, new)
            if rows.num_rows == 0:
                break
        rls_policies.check_new_rows(session, ctx, tdef, new, "UPDATE",
                                    with_select=rls_policies.reads_target(tdef.schema, tdef.name))
        moving = partitions.split_moves(txn, tdef, new, ctx)  # 23514 unless updating through the parent
        if moving is not None:  # rows that leave this partition: deleted here, inserted via the parent
            total += txn.delete(tdef.schema, tdef.name, rows.filter(moving).column(0).combine_chunks()).count
            partitions.note_moved(tdef, new.filter(moving))
            written.append(new.filter(moving))
            keep = pc.invert(moving)
            rows, new = rows.filter(keep), new.filter(keep)
            if rows.num_rows == 0:
                break
        rowids = rows.column(0).combine_chunks()
        old = pa.RecordBatch.from_arrays(_stored_form([rows.column(1 + i).combine_chunks()
                                                       for i in range(len(tdef.columns))], tdef),
                                         schema=_arrow_schema(tdef))
        new = constraints.check_updated_rows(session, txn, ctx, tdef, old, new, rowids,
                                       changed_cols=_changed_columns(tdef, sets))
        out = txn.update(tdef.schema, tdef.name, rowids, new)
        changed = out.changed.to_pylist() if out.changed is not None else []
        done_mask = _not_in(rowids, changed + (out.gone.to_pylist() if out.gone is not None else []))
        total += out.count
        partial = bool(len(changed) or (out.gone is not None and len(out.gone)))
        written.append(new.filter(done_mask) if partial else new)
        joined_rows.append((rows, done_mask if partial else None))
        if fire:
            firing.after_rows(session, tdef, "UPDATE", written[-1], old.filter(done_mask) if partial else old,
                              set_names)
        if not changed:
            break
        txn.new_statement()
        rowid_filter = changed
    else:
        raise _recheck_exhausted()
    if fire:
        firing.statement(session, tdef, "AFTER", "UPDATE")
    tag = f"UPDATE {total}"
    if joined and plan is not None:
        return _result_from_rows(tag, ret_items, plan, joined_rows, 1 + len(tdef.columns) + len(set_exprs))
    if returning is not None:
        return returning_result(session, ctx, tag, tdef, alias, returning, written)
    return Result(command_tag=tag)


def _uncached(prepared: Any) -> Any:
    """A prepared statement's parameter types without its plan cache (one plan per partition)."""
    return None if prepared is None else SimpleNamespace(param_types=prepared.param_types)


def _changed_columns(tdef: Any, sets: list[tuple[int, Any]]) -> set[int]:
    """Columns an UPDATE may change: its SET targets and every generated column."""
    return {ci for ci, _ in sets} | {i for i, c in enumerate(tdef.columns) if generated_columns.is_generated(c)}


def _not_in(rowids: pa.Array, exclude: list[int]) -> pa.Array:
    if not exclude:
        return pa.array([True] * len(rowids))
    return pc.invert(pc.is_in(rowids, value_set=pa.array(exclude, rowids.type)))


# ------------------------------------------------------------------------------------ DELETE
def delete(session: Any, ast: exp.Delete, params: Any = (), prepared: Any = None) -> Result:
    txn = session.tx.current()
    tdef, alias = _target(session, txn, ast.this)
    if partitions.spec(tdef) is not None:
        return partitions.each_partition(session, ast, tdef,
                                         lambda s, one: delete(s, one, params, _uncached(prepared)))
    if inheritance.has_children(tdef) and not ast.this.args.get("only"):
        return inheritance.each_table(session, ast, tdef, lambda s, one: delete(s, one, params, _uncached(prepared)))
    publications.check_replica_identity(txn, tdef, "delete")
    alias = alias or tdef.name
    ctx = session.context(txn, params, prepared.param_types if prepared is not None else ())
    where = ast.args.get("where")
    where = where.this if where is not None else None
    extra_from = list(ast.args.get("using") or [])
    returning = ast.args.get("returning")
    joined = _returning_needs_join(returning, tdef, alias, extra_from)
    ret_items = _joined_returning(session, returning, tdef, alias, [], extra_from) if joined else []
    extra_exprs = [node for _, node in ret_items]
    total = 0
    deleted: list[pa.RecordBatch] = []
    joined_rows: list[tuple[pa.Table, Any]] = []
    rowid_filter: list[int] | None = None
    _plan = None
    fire = firing.has_triggers(tdef)
    if fire:
        firing.statement(session, tdef, "BEFORE", "DELETE")
    for _ in range(_MAX_RECHECK):
        rows, _plan = _cached_rows(session, ctx, prepared, rowid_filter,
                                   lambda f: _row_query(tdef, alias, ast.this, extra_from, where, extra_exprs, f))
        rows = _unmodified_rows(txn, tdef, _dedupe_rowids(rows))
        if rows.num_rows == 0:
            break
        old = pa.RecordBatch.from_arrays(_stored_form([rows.column(1 + i).combine_chunks()
                                                       for i in range(len(tdef.columns))], tdef),
                                         schema=_arrow_schema(tdef))
        if fire:
            _none, kept = firing.before_rows(session, tdef, "DELETE", None, old)
            if len(kept) != rows.num_rows:
                take = pa.array(kept, pa.int64())
                rows, old = rows.take(take), old.take(take)
            if rows.num_rows == 0:
                break
        rowids = rows.column(0).combine_chunks()
        constraints.on_parent_delete(session, txn, ctx, tdef, old, rowids)
        out = txn.delete(tdef.schema, tdef.name, rowids)
        changed = out.changed.to_pylist() if out.changed is not None else []
        gone = out.gone.to_pylist() if out.gone is not None else []
        total += out.count
        mask = _not_in(rowids, changed + gone) if changed or gone else None
        deleted.append(old.filter(mask) if mask is not None else old)
        joined_rows.append((rows, mask))
        if fire:
            firing.after_rows(session, tdef, "DELETE", None, deleted[-1])
        if not changed:
            break
        txn.new_statement()
        rowid_filter = changed
    else:
        raise _recheck_exhausted()
    if fire:
        firing.statement(session, tdef, "AFTER", "DELETE")
    tag = f"DELETE {total}"
    if joined and _plan is not None:
        return _result_from_rows(tag, ret_items, _plan, joined_rows, 1 + len(tdef.columns))
    if returning is not None:
        return returning_result(session, ctx, tag, tdef, alias, returning, deleted)
    return Result(command_tag=tag)


# ------------------------------------------------------------------------------------ EXPLAIN
def explain_parts(session: Any, ast: Any, ctx: Any) -> tuple[str, str, Any]:
    """What EXPLAIN (FORMAT JSON) shows of an INSERT/UPDATE/DELETE: the operation, the table it
    writes and the plan of the rows it reads (None for INSERT ... VALUES)."""
    txn = ctx.txn
    through_view = updatable_views.rewrite(session, ast)
    if through_view is not None:
        ast = through_view.ast
    if isinstance(ast, exp.Insert):
        target = ast.this
        tdef, _ = _target(session, txn, target.this if isinstance(target, exp.Schema) else target)
        src = ast.args.get("expression")
        if src is not None and not isinstance(src, exp.Values):
            return "Insert", tdef.name, session.plan_query(src, ctx)
        return "Insert", tdef.name, None
    tdef, alias = _target(session, txn, ast.this)
    where = ast.args.get("where")
    where = where.this if where is not None else None
    if isinstance(ast, exp.Update):
        sets = _set_items(tdef, list(ast.expressions))
        f = ast.args.get("from_") or ast.args.get("from")
        extra = [f.this] + list(f.args.get("joins") or []) if f is not None else []
        q = _row_query(tdef, alias or tdef.name, ast.this, extra, where,
                       [v for _, v in sets if not isinstance(v, exp.Var)])
        return "Update", tdef.name, session.plan_query(q, ctx)
    q = _row_query(tdef, alias or tdef.name, ast.this, list(ast.args.get("using") or []), where, [])
    return "Delete", tdef.name, session.plan_query(q, ctx)


def explain(session: Any, ast: Any, ctx: Any, options: dict[str, Any] | None = None) -> list[str]:
    """EXPLAIN of a data-changing statement: the write node over the plan of the rows it reads (with
    PostgreSQL's cost line unless COSTS OFF: the write node's is its input's, rows=0 width=0)."""
    txn = ctx.txn
    costs = (options or {}).get("costs", True) is not False
    through_view = updatable_views.rewrite(session, ast)  # a view's target: the table written
    if through_view is not None:
        ast = through_view.ast

    def under(head: str, plan: Any) -> list[str]:
        body = plan.explain(ctx, options=options)
        if costs:
            c = plan_costs.estimate(plan.root, ctx)
            head += f"  (cost={c.startup:.2f}..{c.total:.2f} rows=0 width=0)"
        return [head] + ["  ->  " + ln if i == 0 else "      " + ln for i, ln in enumerate(body)]

    if isinstance(ast, exp.Insert):
        target = ast.this
        table = target.this if isinstance(target, exp.Schema) else target
        tdef, _ = _target(session, txn, table)
        src = ast.args.get("expression")
        if src is not None and not isinstance(src, exp.Values):
            lines = under(f"Insert on {tdef.name}", session.plan_query(src, ctx))
        else:
            n = len(src.expressions) if isinstance(src, exp.Values) else 1
            total = n * plan_costs.OPERATOR * 5
            lines = [f"Insert on {tdef.name}" + (f"  (cost=0.00..{total:.2f} rows=0 width=0)" if costs else ""),
                     '  ->  Values Scan on "*VALUES*"' + (f"  (cost=0.00..{total:.2f} rows={n} width="
                                                           f"{plan_costs.width_of_types(t for _, t in column_types(tdef))})"
                                                           if costs else "")]
        if ast.args.get("conflict") is not None:
            lines.insert(1, "  Conflict Resolution: " + ("UPDATE" if "UPDATE" in str(
                ast.args["conflict"].args.get("action")).upper() else "NOTHING"))
        return lines
    if isinstance(ast, exp.Merge):
        tdef, _ = _target(session, txn, ast.this)
        return [f"Merge on {tdef.name}"]
    tdef, alias = _target(session, txn, ast.this)
    alias = alias or tdef.name
    where = ast.args.get("where")
    where = where.this if where is not None else None
    if isinstance(ast, exp.Update):
        sets = _set_items(tdef, list(ast.expressions))
        f = ast.args.get("from_") or ast.args.get("from")
        extra = [f.this] + list(f.args.get("joins") or []) if f is not None else []
        q = _row_query(tdef, alias, ast.this, extra, where, [v for _, v in sets if not isinstance(v, exp.Var)])
        return under(f"Update on {tdef.name}", session.plan_query(q, ctx))
    q = _row_query(tdef, alias, ast.this, list(ast.args.get("using") or []), where, [])
    return under(f"Delete on {tdef.name}", session.plan_query(q, ctx))


# ------------------------------------------------------------------------------------ FOR UPDATE
def _limit_value(node: Any) -> int | None:
    if node is None:
        return None
    expr = node.args.get("expression") if isinstance(node, (exp.Limit, exp.Offset)) else node
    if isinstance(expr, exp.Literal) and not expr.is_string:
        return int(expr.this)
    return None


def _refuse_grouped_locking(ast: exp.Select, locks: list[Any]) -> None:
    """0A000 for a locking clause over rows that are not table rows: grouped, distinct, aggregated
    or windowed (what PostgreSQL names in its message)."""
    lock = locks[0]
    strength = ("FOR NO KEY UPDATE" if lock.args.get("key") else "FOR UPDATE") if lock.args.get("update") \
        else ("FOR KEY SHARE" if lock.args.get("key") else "FOR SHARE")

    def own(kind: type) -> bool:  # in this query level, not in a subquery
        for node in ast.find_all(kind):
            parent = node.parent
            while parent is not None and parent is not ast and not isinstance(parent, (exp.Select, exp.Subquery)):
                parent = parent.parent
            if parent is ast:
                return True
        return False

    if ast.args.get("distinct"):
        raise FeatureNotSupported(f"{strength} is not allowed with DISTINCT clause")
    if ast.args.get("group"):
        raise FeatureNotSupported(f"{strength} is not allowed with GROUP BY clause")
    if ast.args.get("having"):
        raise FeatureNotSupported(f"{strength} is not allowed with HAVING clause")
    if own(exp.AggFunc):
        raise FeatureNotSupported(f"{strength} is not allowed with aggregate functions")
    if own(exp.Window):
        raise FeatureNotSupported(f"{strength} is not allowed with window functions")
    if any(isinstance(n, (exp.Explode, exp.Unnest, exp.ExplodingGenerateSeries))
           for e in ast.expressions for n in e.walk() if not isinstance(n, (exp.Select, exp.Subquery))):
        raise FeatureNotSupported(f"{strength} is not allowed with set-returning functions in the target list")


def lock_selected_rows(session: Any, ast: exp.Select, ctx: Any, locks: list[Any]) -> tuple[bool, Any]:
    """SELECT ... FOR UPDATE/SHARE [NOWAIT | SKIP LOCKED]: lock the rows the query returns.

    Returns (changed, restrict): ``changed`` when some rows had been changed by a concurrent
    commit (READ COMMITTED: the caller re-runs the query on a fresh snapshot, returning the
    newest versions and re-checking WHERE); ``restrict`` = (alias, rowids) for a one-table
    query: the rows locked (SKIP LOCKED leaves out rows others hold), to which the caller
    restricts the query.
    """
    txn = ctx.txn
    from_ = ast.args.get("from_") or ast.args.get("from")
    if from_ is None:
        return False, None
    _refuse_grouped_locking(ast, locks)
    tables = [from_.this] + [j.this for j in (ast.args.get("joins") or [])]
    mode, nowait, skip = "update", False, False
    for lk in locks:
        if not lk.args.get("update"):
            mode = "share"
        if lk.args.get("wait") is True:
            nowait = True
        elif lk.args.get("wait") is False:
            skip = True
    single = len(tables) == 1 and isinstance(tables[0], exp.Table)
    changed_any = False
    restrict = None
    for t in tables:
        if not isinstance(t, exp.Table):
            continue
        schema, name = table_name(session, t, txn)
        tdef = txn.get_table(schema, name)
        if tdef is None:
            continue
        if (tdef.options or {}).get("matview") is not None:
            raise HeliosError(f'cannot lock rows in materialized view "{name}"', sqlstate="42809")
        alias = ident(t.args["alias"].this) if t.args.get("alias") is not None else tdef.name
        q = ast.copy()
        q.set("locks", None)
        q.set("expressions", [_qcol(alias, "_rowid")])
        limit, offset = q.args.get("limit"), q.args.get("offset")
        if single:
            q.set("limit", None)
            q.set("offset", None)
        plan = session.plan_query(q, ctx)
        rowids = [v for b in plan.execute(ctx) for v in b.column(0).to_pylist() if v is not None]
        want = None
        if single:
            off = _limit_value(offset) or 0
            lim = _limit_value(limit)
            want = None if lim is None else off + lim
        locked: list[int] = []
        if skip:
            for rid in rowids:
                if want is not None and len(locked) >= want:
                    break
                try:
                    out = txn.lock_rows(schema, name, pa.array([rid], pa.int64()), mode, nowait=True)
                except HeliosError as e:
                    if e.sqlstate == "55P03":
                        continue
                    raise
                if out is not None and out.gone is not None and len(out.gone):
                    continue
                if out is not None and out.changed is not None and len(out.changed):
                    changed_any = True
                locked.append(rid)
        else:
            locked = rowids if want is None else rowids[:want]
            if locked:
                out = txn.lock_rows(schema, name, pa.array(locked, pa.int64()), mode, nowait=nowait)
                if out is not None and out.changed is not None and len(out.changed):
                    changed_any = True
        if single:
            restrict = (alias, locked)
    return changed_any, restrict


def restrict_to_rowids(ast: exp.Select, alias: str, rowids: list[int]) -> exp.Select:
    """The query with ``alias._rowid IN (rowids)`` added to its WHERE (no rows when the list is empty)."""
    q = ast.copy()
    q.set("locks", None)
    cond = exp.In(this=_qcol(alias, "_rowid"), expressions=[exp.Literal.number(r) for r in rowids]) if rowids \
        else exp.false()
    return q.where(cond, copy=False)


# ------------------------------------------------------------------------------------ ON CONFLICT
def _arbiters(tdef: Any, conflict: Any) -> list[Any]:
    """What decides a conflict: key column lists (PK, unique constraints and indexes on columns) and
    expression/partial unique index descriptions (dicts, see helios_core.sql.index_definitions)."""
    from helios_core.sql import index_definitions

    keys = conflict.args.get("conflict_keys") or []
    uniques: list[Any] = [list(tdef.primary_key)] if tdef.primary_key else []
    # a deferrable UNIQUE constraint is no arbiter (PostgreSQL checks it later, if deferred)
    uniques += [list(u["columns"]) for u in (tdef.options or {}).get("unique", []) if not u.get("deferrable")]
    deferrable = [sorted(u["columns"]) for u in (tdef.options or {}).get("unique", []) if u.get("deferrable")]
    constraint = conflict.args.get("constraint")
    if constraint is not None:
        cname = ident(constraint)
        if cname == (tdef.options or {}).get("pk_name", f"{tdef.name}_pkey") and tdef.primary_key:
            return [list(tdef.primary_key)]
        for u in (tdef.options or {}).get("unique", []):
            if u["name"] == cname:
                if u.get("deferrable"):
                    raise _deferrable_arbiter()
                return [list(u["columns"])]
        for x in (tdef.options or {}).get(exclusion_constraints.OPTION, []):
            if x["name"] == cname:  # DO NOTHING skips the rows that would violate it
                action = conflict.args.get("action")
                if action is not None and "UPDATE" in str(action.this).upper():
                    raise HeliosError("ON CONFLICT DO UPDATE not supported with exclusion constraints",
                                      sqlstate="42809")
                return [{"exclusion": x}]
        raise HeliosError(f'constraint "{cname}" for table "{tdef.name}" does not exist', sqlstate="42704")
    if not keys:
        return uniques + list((tdef.options or {}).get("expression_unique") or [])
    nodes = [k.this if isinstance(k, exp.Ordered) else k for k in keys]
    nodes = [n.this if isinstance(n, exp.Paren) else n for n in nodes]
    if not all(isinstance(n, exp.Column) for n in nodes):
        spec = index_definitions.matching_spec(tdef, nodes)
        if spec is not None:
            return [spec]
        raise HeliosError("there is no unique or exclusion constraint matching the ON CONFLICT specification",
                          sqlstate="42P10")
    cols = sorted({ident(node) for node in nodes})  # the inference list is a set: (key, key) is (key)
    for u in uniques:
        if sorted(set(u)) == cols:
            return [u]
    if cols in deferrable:
        raise _deferrable_arbiter()
    raise HeliosError("there is no unique or exclusion constraint matching the ON CONFLICT specification",
                      sqlstate="42P10")


def _deferrable_arbiter() -> HeliosError:
    return HeliosError("ON CONFLICT does not support deferrable unique constraints/exclusion constraints as "
                       "arbiters", sqlstate="55000")


def _existing_rows(txn: Any, tdef: Any, cols: list[str], keys: list[tuple]) -> dict[tuple, dict]:
    """key -> {"_rowid": id, col: value ...} of visible rows whose key is among ``keys`` (citext
    columns' values lower-cased in both)."""
    from helios_core.sql.constraints import _norm, _probe_terms, citext_columns

    out: dict[tuple, dict] = {}
    if not keys:
        return out
    folded = citext_columns(tdef, cols)
    if folded:  # citext keys match whatever their case: compare the lower-cased values of every row
        want = {_norm(k) for k in keys}
        for b in txn.scan(tdef.schema, tdef.name, with_rowid=True):
            for row in b.to_pylist():
                k = _norm(tuple(citext.fold_value(row[c]) if c in folded else row[c] for c in cols))
                if k in want:
                    out[k] = row
        return out
    if cols == list(tdef.primary_key) and len(keys) <= 64:
        for k in keys:
            b = txn.lookup(tdef.schema, tdef.name, tuple(k), with_rowid=True)
            if b.num_rows:
                out[_norm(k)] = b.to_pylist()[0]
        return out
    # only rows whose key columns hold the keys' values, through the first key column's sorted copies
    flt, index = _probe_terms(tdef, cols, keys)
    if flt is False:  # every key has a NULL: none conflicts
        return out
    want = {_norm(k) for k in keys}
    for b in txn.scan_def(tdef, with_rowid=True, filter=flt, index=index):
        for row in b.to_pylist():
            k = _norm(tuple(row[c] for c in cols))
            if k in want:
                out[k] = row
    return out


def insert_on_conflict(session: Any, txn: Any, ctx: Any, tdef: Any, alias: str | None, batch: pa.RecordBatch,
                       conflict: Any, _retry: int = 0) -> tuple[int, list[pa.RecordBatch]]:
    from helios_core.sql.constraints import _norm, citext_columns
    from helios_core.sql.expr import Field, Scope, compile_scalar

    action = str(conflict.args.get("action").this if conflict.args.get("action") is not None else "").upper()
    do_update = "UPDATE" in action
    if do_update and not conflict.args.get("conflict_keys") and conflict.args.get("constraint") is None:
        raise HeliosError("ON CONFLICT DO UPDATE requires inference specification or constraint name",
                          sqlstate="42601", hint="For example, ON CONFLICT (column_name).")
    if do_update:
        _set_items(tdef, list(conflict.expressions))  # its SET list checked whether or not a row conflicts
        publications.check_replica_identity(txn, tdef, "update")
    from helios_core.sql import index_definitions

    arbiters = _arbiters(tdef, conflict)
    if arbiters and isinstance(arbiters[0], dict) and "exclusion" in arbiters[0]:
        clash = exclusion_constraints.conflicting_rows(ctx, txn, tdef, arbiters[0]["exclusion"], batch)
        batch = batch.filter(pa.array([i not in clash for i in range(batch.num_rows)]))
        if batch.num_rows:
            constraints.check_new_rows(session, txn, ctx, tdef, batch)
            txn.insert(tdef.schema, tdef.name, batch)
        return batch.num_rows, [batch] if batch.num_rows else []
    rows = batch.to_pylist()
    # each arbiter's key of every new row (None: cannot conflict), and the stored rows holding those keys
    new_keys: list[list[tuple | None]] = []
    existing: list[dict] = []
    for arb in arbiters:
        if isinstance(arb, dict):  # an expression or partial unique index (helios_core.sql.index_definitions)
            keys = index_definitions.row_keys(session, ctx, tdef, arb, batch)
            new_keys.append(keys)
            existing.append(index_definitions.stored_rows_by_key(session, ctx, txn, tdef, arb,
                                                                 {k for k in keys if k is not None}))
        else:
            folded = citext_columns(tdef, arb)
            keys = [tuple(citext.fold_value(r[c]) if c in folded else r[c] for c in arb) for r in rows]
            new_keys.append([None if any(v is None for v in k) else _norm(k) for k in keys])
            existing.append(_existing_rows(txn, tdef, arb, keys))
    insert_idx: list[int] = []
    update_pairs: list[tuple[int, dict]] = []
    seen: list[set] = [set() for _ in arbiters]
    touched: set[int] = set()
    for i, _r in enumerate(rows):
        hit = None
        for a in range(len(arbiters)):
            nk = new_keys[a][i]
            if nk is None:
                continue
            if nk in seen[a]:
                if do_update:
                    raise HeliosError("ON CONFLICT DO UPDATE command cannot affect row a second time",
                                      sqlstate="21000",
                                      hint="Ensure that no rows proposed for insertion within the same command "
                                           "have duplicate constrained values.")
                hit = "dup"
                break
            if nk in existing[a]:
                hit = existing[a][nk]
                break
        for a in range(len(arbiters)):
            if new_keys[a][i] is not None:
                seen[a].add(new_keys[a][i])
        if hit is None:
            insert_idx.append(i)
        elif hit != "dup" and do_update:
            if hit["_rowid"] in touched:
                raise HeliosError("ON CONFLICT DO UPDATE command cannot affect row a second time", sqlstate="21000")
            touched.add(hit["_rowid"])
            update_pairs.append((i, hit))
    out_batches: list[pa.RecordBatch] = []
    count = 0
    if insert_idx:
        ins = batch.take(pa.array(insert_idx, pa.int64()))
        constraints.check_new_rows(session, txn, ctx, tdef, ins)
        try:
            txn.insert(tdef.schema, tdef.name, ins)
        except UniqueViolation:
            if not any(list(arb) == list(tdef.primary_key) for arb in arbiters if not isinstance(arb, dict)):
                raise
            # a concurrent transaction committed one of the keys after our snapshot: PostgreSQL's
            # speculative insertion then updates that row under READ COMMITTED, and cannot under
            # REPEATABLE READ / SERIALIZABLE, where the row is invisible to the snapshot
            if txn.isolation != "read committed" or _retry >= 8:
                raise SerializationFailure("could not serialize access due to concurrent update") from None
            txn.new_statement()
            return insert_on_conflict(session, txn, ctx, tdef, alias, batch, conflict, _retry + 1)
        out_batches.append(ins)
        count += ins.num_rows
    if update_pairs:
        schema = _arrow_schema(tdef)
        ctypes = column_types(tdef)
        old = pa.RecordBatch.from_pylist([{c.name: h[c.name] for c in tdef.columns} for _, h in update_pairs],
                                         schema=schema)
        rls_policies.check_existing_for_update(session, ctx, tdef, old)
        exc = batch.take(pa.array([i for i, _ in update_pairs], pa.int64()))
        combined = pa.RecordBatch.from_arrays(list(old.columns) + list(exc.columns),
                                              names=[f"o{i}" for i in range(len(ctypes))] +
                                              [f"e{i}" for i in range(len(ctypes))])
        q = alias or tdef.name
        scope = Scope([Field(n, t, q) for n, t in ctypes] + [Field(n, t, "excluded") for n, t in ctypes])
        sets = _set_items(tdef, list(conflict.expressions))
        arrays = list(old.columns)
        n = old.num_rows
        for ci, node in sets:
            if isinstance(node, exp.Var) and node.name.upper() == "DEFAULT":
                arrays[ci] = default_array(session, txn, tdef, ci, n, ctx)
                continue
            v = compile_scalar(node, scope, ctx).evaluate(combined, ctx)
            arrays[ci] = assign(v, ctypes[ci][1], n, tdef.columns[ci].name)
        new = generated_columns.compute(session, ctx, tdef, pa.RecordBatch.from_arrays(arrays, schema=schema))
        rowids = pa.array([h["_rowid"] for _, h in update_pairs], pa.int64())
        update_idx = pa.array([i for i, _ in update_pairs], pa.int64())
        where = conflict.args.get("where")
        if where is not None:
            mask = compile_scalar(where.this, scope, ctx).evaluate(combined, ctx)
            m = mask.broadcast(n).array if mask.scalar else mask.array
            m = pc.fill_null(m, False)
            new, old, rowids, update_idx = new.filter(m), old.filter(m), rowids.filter(m), update_idx.filter(m)
        if new.num_rows:  # the arbiter reads the row: SELECT's policies apply too, as in PostgreSQL
            rls_policies.check_new_rows(session, ctx, tdef, new, "UPDATE", with_select=True)
            new = constraints.check_updated_rows(session, txn, ctx, tdef, old, new, rowids,
                                           changed_cols=_changed_columns(tdef, sets))
            res = txn.update(tdef.schema, tdef.name, rowids, new)
            again = None
            if res.changed is not None and len(res.changed):
                # a concurrent transaction committed a newer version of a conflicting row: READ
                # COMMITTED updates that version instead (locked for us by the storage's claim), as
                # PostgreSQL's ON CONFLICT DO UPDATE does; the other levels cannot see it
                if txn.isolation != "read committed" or _retry >= _MAX_RECHECK:
                    raise SerializationFailure("could not serialize access due to concurrent update")
                again = pc.is_in(rowids, value_set=pa.array(res.changed.to_pylist(), pa.int64()))
                done = pc.invert(again)
                new, update_idx, again = new.filter(done), update_idx.filter(done), update_idx.filter(again)
            count += res.count
            out_batches.append(new.replace_schema_metadata(_UPDATED_ROWS))  # RETURNING's xmax tells them apart
            if insert_idx:  # RETURNING lists rows in the order the statement gave them, as PostgreSQL does
                out_batches = _in_input_order(out_batches, [insert_idx, update_idx.to_pylist()])
            if again is not None:  # those rows again, on the newest versions (their RETURNING rows after)
                txn.new_statement()
                more, more_batches = insert_on_conflict(session, txn, ctx, tdef, alias, batch.take(again), conflict,
                                                        _retry + 1)
                count += more
                out_batches.extend(more_batches)
    return count, out_batches


def _in_input_order(parts: list[pa.RecordBatch], positions: list[list[int]]) -> list[pa.RecordBatch]:
    """Batches of one kind each (inserted, updated) merged back into input order, as runs of rows of
    one kind (each run keeps its batch's schema metadata)."""
    tagged = sorted((pos, k, j) for k, idx in enumerate(positions) for j, pos in enumerate(idx))
    out: list[pa.RecordBatch] = []
    start = 0
    while start < len(tagged):
        kind = tagged[start][1]
        end = start
        while end < len(tagged) and tagged[end][1] == kind:
            end += 1
        rows = pa.array([j for _, _, j in tagged[start:end]], pa.int64())
        out.append(parts[kind].take(rows).replace_schema_metadata(parts[kind].schema.metadata))
        start = end
    return out


# ------------------------------------------------------------------------------------ MERGE
def merge(session: Any, ast: exp.Merge, params: Any = (), prepared: Any = None) -> Result:
    """MERGE INTO t USING s ON cond WHEN [NOT] MATCHED [AND c] THEN UPDATE/DELETE/INSERT/DO NOTHING."""
    txn = session.tx.current()
    tdef, alias = _target(session, txn, ast.this)
    if partitions.spec(tdef) is not None or partitions.parent_of(tdef) is not None:
        raise FeatureNotSupported("MERGE into a partitioned table or a partition is not supported")
    if inheritance.has_children(tdef):
        raise FeatureNotSupported("MERGE into a table that other tables inherit from is not supported")
    firing.refuse_unfired(tdef, "MERGE")
    alias = alias or tdef.name
    ctx = session.context(txn, params, prepared.param_types if prepared is not None else ())
    ctypes = column_types(tdef)
    ncols = len(ctypes)
    source = ast.args["using"]
    on = ast.args["on"]
    whens = ast.args.get("whens")
    clauses = list(whens.expressions) if whens is not None else []
    # one projection per clause part: condition, SET values / INSERT values
    extra: list[Any] = []
    plan_parts: list[dict] = []
    for w in clauses:
        part: dict[str, Any] = {"matched": bool(w.args.get("matched")), "cond": None, "kind": None}
        if w.args.get("source"):
            raise FeatureNotSupported("WHEN NOT MATCHED BY SOURCE is not supported yet")
        cond = w.args.get("condition")
        if cond is not None:
            part["cond"] = len(extra)
            extra.append(cond)
        then = w.args.get("then")
        if isinstance(then, exp.Update):
            part["kind"] = "update"
            part["sets"] = []
            for ci, node in _set_items(tdef, list(then.expressions)):
                part["sets"].append((ci, len(extra)))
                extra.append(exp.Null() if isinstance(node, exp.Var) else node)
        elif isinstance(then, exp.Insert):
            part["kind"] = "insert"
            target_cols = [ident(c) for c in (then.this.expressions if isinstance(then.this, exp.Tuple) else
                                              (then.this.expressions if isinstance(then.this, exp.Schema) else []))]
            vals = then.expression
            values = list(vals.expressions[0].expressions if isinstance(vals, exp.Values) else
                          (vals.expressions if isinstance(vals, exp.Tuple) else []))
            names = [c.name for c in tdef.columns]
            if not target_cols:
                target_cols = names[:len(values)]
            part["inserts"] = []
            for cn, v in zip(target_cols, values, strict=True):
                if cn not in names:
                    raise UndefinedColumn(f'column "{cn}" of relation "{tdef.name}" does not exist')
                part["inserts"].append((names.index(cn), len(extra)))
                extra.append(v)
        elif isinstance(then, exp.Var) and then.name.upper() == "DELETE":
            part["kind"] = "delete"
        else:
            text = then.sql().upper() if then is not None else ""
            part["kind"] = "nothing" if "NOTHING" in text else None
            if part["kind"] is None:
                raise FeatureNotSupported(f"MERGE action {text} is not supported")
        plan_parts.append(part)
    for action in ("update", "delete"):  # as PostgreSQL: for each action the MERGE has, matched or not
        if any(p["kind"] == action for p in plan_parts):
            publications.check_replica_identity(txn, tdef, action)
    tbl = exp.Table(this=exp.to_identifier(tdef.name, quoted=True), db=exp.to_identifier(tdef.schema, quoted=True),
                    alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)), only=True)
    # the statement's own scan of its target (privileges: checked already); ONLY: tables that inherit
    # from it are updated by their own runs (inheritance.each_table)
    tbl.meta["dml_target"] = True
    projections: list[Any] = [_qcol(alias, "_rowid")] + [_qcol(alias, c.name) for c in tdef.columns]
    projections += [exp.alias_(e.copy(), f"__x{i}", quoted=True) for i, e in enumerate(extra)]
    q = exp.Select(expressions=projections).from_(source.copy(), copy=False)
    q = q.join(tbl, on=on.copy(), join_type="left", copy=False)
    rows, plan = _run_rows(session, ctx, q)
    n = rows.num_rows
    rid = rows.column(0).to_pylist()
    decided = [False] * n
    upd_rows: dict[int, tuple[int, dict]] = {}
    del_rows: list[int] = []
    ins_rows: list[tuple[int, dict]] = []
    cond_vals = {}
    for p in plan_parts:
        if p["cond"] is not None:
            cond_vals[p["cond"]] = rows.column(1 + ncols + p["cond"]).to_pylist()
    seen_targets: set[int] = set()
    for i in range(n):
        matched = rid[i] is not None
        for k, p in enumerate(plan_parts):
            if p["matched"] != matched:
                continue
            if p["cond"] is not None and not cond_vals[p["cond"]][i]:
                continue
            decided[i] = True
            if matched:
                if rid[i] in seen_targets and p["kind"] != "nothing":
                    raise HeliosError("MERGE command cannot affect row a second time", sqlstate="21000",
                                      hint="Ensure that not more than one source row matches any one target row.")
                seen_targets.add(rid[i])
            if p["kind"] == "update":
                upd_rows[i] = (k, p)
            elif p["kind"] == "delete":
                del_rows.append(i)
            elif p["kind"] == "insert":
                ins_rows.append((i, p))
            break
    count = 0
    schema = _arrow_schema(tdef)

    def col_vec(j: int, idx: list[int]) -> Any:
        t = plan.columns[1 + ncols + j][1]
        arr = rows.column(1 + ncols + j).combine_chunks().take(pa.array(idx, pa.int64()))
        return Vec(arr, t)

    if upd_rows:
        by_clause: dict[int, list[int]] = {}
        for i, (k, _p) in upd_rows.items():
            by_clause.setdefault(k, []).append(i)
        for k, idx in by_clause.items():
            p = plan_parts[k]
            take = pa.array(idx, pa.int64())
            arrays = [rows.column(1 + c).combine_chunks().take(take) for c in range(ncols)]
            old = pa.RecordBatch.from_arrays(list(arrays), schema=schema)
            for ci, j in p["sets"]:
                if generated_columns.is_generated(tdef.columns[ci]):
                    generated_columns.refuse_update(tdef.columns[ci])
                arrays[ci] = assign(col_vec(j, idx), ctypes[ci][1], len(idx), tdef.columns[ci].name)
            new = generated_columns.compute(session, ctx, tdef, pa.RecordBatch.from_arrays(arrays, schema=schema))
            rls_policies.check_merge_targets(session, ctx, tdef, old, "UPDATE")  # row security: the old row,
            rls_policies.check_new_rows(session, ctx, tdef, new, "UPDATE", with_select=True)  # then the new
            rowids = pa.array([rid[i] for i in idx], pa.int64())
            new = constraints.check_updated_rows(session, txn, ctx, tdef, old, new, rowids,
                                           changed_cols=_changed_columns(tdef, p["sets"]))
            count += txn.update(tdef.schema, tdef.name, rowids, new).count
    if del_rows:
        take = pa.array(del_rows, pa.int64())
        old = pa.RecordBatch.from_arrays([rows.column(1 + c).combine_chunks().take(take) for c in range(ncols)],
                                         schema=schema)
        merged_away = pa.array([rid[i] for i in del_rows], pa.int64())
        rls_policies.check_merge_targets(session, ctx, tdef, old, "DELETE")
        constraints.on_parent_delete(session, txn, ctx, tdef, old, merged_away)
        count += txn.delete(tdef.schema, tdef.name, merged_away).count
    if ins_rows:
        by_clause2: dict[int, list[int]] = {}
        for i, p in ins_rows:
            by_clause2.setdefault(id(p), []).append(i)
        for pid, idx in by_clause2.items():
            p = next(pp for pp in plan_parts if id(pp) == pid)
            full: list[Any] = [None] * ncols
            for ci, j in p["inserts"]:
                if generated_columns.is_generated(tdef.columns[ci]):
                    generated_columns.refuse_insert(tdef.columns[ci])
                full[ci] = assign(col_vec(j, idx), ctypes[ci][1], len(idx), tdef.columns[ci].name)
            for ci in range(ncols):
                if full[ci] is None:
                    full[ci] = default_array(session, txn, tdef, ci, len(idx), ctx)
            batch = generated_columns.compute(session, ctx, tdef, pa.RecordBatch.from_arrays(full, schema=schema))
            rls_policies.check_new_rows(session, ctx, tdef, batch, "INSERT")
            constraints.check_new_rows(session, txn, ctx, tdef, batch)
            txn.insert(tdef.schema, tdef.name, batch)
            count += batch.num_rows
    return Result(command_tag=f"MERGE {count}")
