"""heliosdb.branch_diff and heliosdb.cross_branch_query: branch table functions for SQL.

``SELECT * FROM heliosdb.branch_diff('a', 'b', 'table')``: one row per key that a or b
changed since their common point (diff.py): ``branch_name`` (the side), ``diff_type``
(added | modified | removed), ``conflict`` (both sides changed it differently; for a row both
modified: the same cell), then the
table's columns (the new row; for removed rows, the row as it was at the base).

``SELECT * FROM heliosdb.cross_branch_query(query := 'select ... where x = $1',
branches := ARRAY['a', 'b'], params := ARRAY[...])``: runs one read-only query on each
branch in its own snapshot and returns the union with a leading ``branch_name`` column.
Needs CROSS_BRANCH_READ on every branch named (privileges.py).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_core.branching import ancestry, changes, diff, privileges
from helios_core.branching.table_functions import register_table_function, resolve
from helios_core.errors import HeliosError, UndefinedTable
from helios_core.sql import types

META_COLUMNS = ["branch_name", "diff_type", "conflict"]


def _split_name(session: Any, text: str) -> tuple[str | None, str]:
    parts = [p.strip().strip('"') for p in str(text).split(".")]
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise HeliosError(f'improper qualified name (too many dotted names): {text}', sqlstate="42601")


def _resolve_table(session: Any, branch_txns: list[Any], text: str) -> tuple[str, str, Any]:
    schema, name = _split_name(session, text)
    schemas = [schema] if schema else session.search_path()
    for s in schemas:
        for txn in branch_txns:
            tdef = txn.get_table(s, name)
            if tdef is not None:
                return s, name, tdef
    raise UndefinedTable(f'relation "{text}" does not exist on either branch')


def _check_branch(session: Any, name: Any) -> str:
    if name is None:
        raise HeliosError("branch name must not be null", sqlstate="22004")
    name = str(name)
    if session.engine.store.get_branch(session.database, name) is None:
        raise HeliosError(f'branch "{name}" does not exist', sqlstate="42704")
    privileges.check_read(session, name)
    return name


def bind_branch_diff(session: Any, args: dict[str, Any]) -> tuple[list[tuple[str, Any]], Any]:
    from helios_core.sql.context import table_sql_columns

    for k in ("a", "b", "table"):
        if args.get(k) is None:
            raise HeliosError("heliosdb.branch_diff(a, b, table) needs all three arguments", sqlstate="42883")
    a, b = _check_branch(session, args["a"]), _check_branch(session, args["b"])
    store, db = session.engine.store, session.database
    ta, tb = store.begin(db, a, read_only=True), store.begin(db, b, read_only=True)
    try:
        schema, name, tdef = _resolve_table(session, [ta, tb], args["table"])
        from helios_core.sql import object_privileges

        for txn in (ta, tb):  # SELECT on the table in each branch's own catalog
            object_privileges.check_branch_table_read(session, txn, schema, name)
    finally:
        ta.rollback()
        tb.rollback()
    cols = table_sql_columns(tdef)
    clash = [n for n, _ in cols if n in META_COLUMNS]
    if clash:
        raise HeliosError(f'column "{clash[0]}" of table "{name}" clashes with a branch_diff column',
                          sqlstate="42701")
    columns = [("branch_name", types.TEXT), ("diff_type", types.TEXT), ("conflict", types.BOOL), *cols]

    def produce(ctx: Any) -> pa.Table:
        _check_branch(session, a)
        _check_branch(session, b)
        base = ancestry.common_point(session.engine, db, a, b)
        empty = pa.table({n: pa.array([], t.arrow_type) for n, t in columns})
        if not _touched(base):
            return empty
        d = diff.table_diff(session.engine, db, a, b, base, schema, name)
        if d is None:
            return empty
        return diff.diff_rows(d, a, b)

    def _touched(base: ancestry.BasePoint) -> bool:
        """Cheap pre-check: did either side change the table since the base (changes.py)?"""
        txns = [store.begin(db, x, read_only=True) for x in (a, b, base.branch)]
        try:
            defs = (txns[0].get_table(schema, name), txns[1].get_table(schema, name),
                    txns[2].get_table_as_of(schema, name, base.ts))
        finally:
            for t in txns:
                t.rollback()
        return changes.may_differ(store, db, (a, b), base, defs)

    return columns, produce


def _params(session: Any, values: Any) -> list[Any]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise HeliosError("params must be an array", sqlstate="42804")
    return values


def bind_cross_branch_query(session: Any, args: dict[str, Any]) -> tuple[list[tuple[str, Any]], Any]:
    from sqlglot import exp

    from helios_core.frontends.postgres import dialect

    text = args.get("query")
    branches = args.get("branches")
    if not text or not branches:
        raise HeliosError("heliosdb.cross_branch_query needs query := '...' and branches := ARRAY[...]",
                          sqlstate="42883")
    if not isinstance(branches, list):
        raise HeliosError("branches must be an array of branch names", sqlstate="42804")
    names = []
    for br in branches:
        name = _check_branch(session, br)
        privileges.check_cross_read(session, name)
        names.append(name)
    stmts = dialect.parse(str(text))
    if len(stmts) != 1 or not isinstance(stmts[0].ast, (exp.Query, exp.Values)):
        raise HeliosError("cross_branch_query runs exactly one SELECT", sqlstate="42601")
    ast = stmts[0].ast
    late_params = args.get("params")
    store, db = session.engine.store, session.database

    def plan_on(branch: str, raw: list[Any]) -> tuple[Any, Any, Any]:
        txn = store.begin(db, branch, read_only=True, isolation="repeatable read")
        try:
            ctx = session.context(txn=txn, params=raw, param_types=[None] * len(raw))
            plan = session.plan_query(ast.copy(), ctx)
            ptypes = list(getattr(plan, "param_types", []) or [])
            if ptypes and raw:
                ctx = session.context(txn=txn, params=_convert(raw, ptypes), param_types=ptypes)
            return txn, plan, ctx
        except BaseException:
            txn.rollback()
            raise

    txn0, plan0, _ = plan_on(names[0], [None] * _count_params(ast))
    txn0.rollback()
    out_cols = [("branch_name", types.TEXT), *[(n, t) for n, t in plan0.columns]]
    arrow = pa.schema([pa.field(f"c{i}", t.arrow_type) for i, (_, t) in enumerate(out_cols)])

    def produce(ctx: Any) -> pa.Table:
        raw = _params(session, resolve(late_params, ctx))
        parts: list[list[Any]] = []
        for br in names:
            privileges.check_cross_read(session, br)
            txn, plan, bctx = plan_on(br, raw)
            try:
                batches = list(plan.execute(bctx))
            finally:
                txn.rollback()
            t = pa.Table.from_batches(batches) if batches else None
            n = t.num_rows if t is not None else 0
            cols = [pa.array([br] * n, pa.string())]
            for i, (_, ty) in enumerate(plan0.columns):
                cols.append(t.column(i) if t is not None and i < t.num_columns else pa.nulls(n, ty.arrow_type))
            parts.append(cols)
        targets = [_common_type([p[i].type for p in parts], f.type) for i, f in enumerate(arrow)]
        schema = pa.schema([pa.field(f.name, t) for f, t in zip(arrow, targets, strict=True)])
        tables = [pa.Table.from_arrays([c if c.type == t else c.cast(t) for c, t in zip(p, targets, strict=True)],
                                       schema=schema) for p in parts]
        return pa.concat_tables(tables).rename_columns([n for n, _ in out_cols])

    return out_cols, produce


def _common_type(found: list[pa.DataType], declared: pa.DataType) -> pa.DataType:
    """The declared Arrow type, except for numerics: keep the branches' scale (sum of numeric(10,2)
    prints 250.00 as on one branch, not 250)."""
    decimals = [t for t in found if pa.types.is_decimal(t)]
    if not decimals or len(decimals) != len(found) or not pa.types.is_decimal(declared):
        return declared
    scale = max(t.scale for t in decimals)
    return pa.decimal256(declared.precision, scale) if scale <= declared.precision else declared


def _count_params(ast: Any) -> int:
    from sqlglot import exp

    n = 0
    for p in ast.find_all(exp.Parameter):
        text = p.this.this if isinstance(p.this, exp.Literal) else getattr(p.this, "name", "")
        if str(text).isdigit():
            n = max(n, int(text))
    return n


def _convert(values: list[Any], ptypes: list[Any]) -> list[Any]:
    """Array elements -> values of the parameter types the planner inferred (PG's text-in rules)."""
    from helios_core.sql.functions import cast
    from helios_core.sql.functions.vec import Vec

    out = []
    for v, t in zip(values, ptypes, strict=False):
        if v is None or t is None:
            out.append(v)
            continue
        try:
            arr = pa.array([v])
            if arr.type == t.arrow_type:
                out.append(v)
                continue
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
        txt = "true" if v is True else "false" if v is False else str(v)
        out.append(cast(Vec(pa.array([txt], pa.string()), types.TEXT), t).array[0].as_py())
    return out + values[len(out):]


register_table_function("heliosdb", "branch_diff", ["a", "b", "table"], bind_branch_diff)
register_table_function("heliosdb", "cross_branch_query", ["query", "branches", "params"], bind_cross_branch_query,
                        late={"params"})
