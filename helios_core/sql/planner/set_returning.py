"""Set-returning functions in the select list, rewritten as LATERAL FROM items.

PostgreSQL (10 and later) runs the set-returning calls of one select list in lockstep: each
input row yields as many rows as its longest call, the shorter calls padded with NULL.  The
planner already plans table functions in FROM (also LATERAL), so the select list is rewritten::

    SELECT id, unnest(arr), generate_series(1, 3) FROM t
    -> SELECT id, __srf0.c0 AS unnest, __srf0.c1 AS generate_series
       FROM t, LATERAL ROWS FROM (unnest(arr), generate_series(1, 3)) AS __srf0(c0, c1)

``ROWS FROM`` is the :class:`RowsFrom` node, planned by :func:`plan_rows_from` into a
:class:`ZipScan` over one function scan per call.  A call nested in another call's arguments
gets a LATERAL item of its own, planned before the outer one.

With aggregation or window functions the calls run after them (PostgreSQL's ProjectSet sits
above the Agg), so the grouped query becomes a subquery that computes the calls' arguments and
the other select items, and the calls are applied to its rows.  A call in a grouped select item
(``SELECT unnest(a) u, count(*) ... GROUP BY u``) runs below the grouping, as PostgreSQL does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.expr import Field
from helios_core.sql.functions.vec import Vec
from helios_core.sql.operators.base import Operator, batch_of, collect

_JSON_SRFS = {"jsonb_array_elements", "json_array_elements", "jsonb_array_elements_text",
              "json_array_elements_text", "jsonb_each", "json_each", "jsonb_each_text", "json_each_text",
              "jsonb_object_keys", "json_object_keys", "jsonb_path_query", "jsonb_path_query_tz"}
SRF_NAMES = {"unnest", "generate_series", "generate_subscripts", "regexp_matches", "regexp_split_to_table",
             "string_to_table", "pg_partition_ancestors", "_pg_expandarray", *_JSON_SRFS,
             "each", "skeys", "svals"}  # the hstore extension's


class RowsFrom(exp.Expression):
    """ROWS FROM (f(...), g(...)): calls zipped to the longest; ``qual`` names the item."""

    arg_types: ClassVar[dict[str, bool]] = {"expressions": True, "qual": True}


def srf_name(node: exp.Expression) -> str | None:
    """The set-returning function a call node invokes, or None."""
    if isinstance(node, exp.Explode):
        return "unnest"
    if type(node).__name__ in ("ExplodingGenerateSeries", "GenerateSeries"):
        return "generate_series"
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in SRF_NAMES:
        return str(node.this).lower()
    return None


def _srfs_in(e: exp.Expression) -> list[exp.Expression]:
    """SRF calls in an expression, not looking into subqueries."""
    out = []
    stack = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, (exp.Subquery, exp.Select)) and n is not e:
            continue
        if srf_name(n) is not None:
            out.append(n)
        stack.extend(c for c in n.iter_expressions())
    return out


def _innermost(e: exp.Expression) -> list[exp.Expression]:
    return [n for n in _srfs_in(e) if not any(_srfs_in(c) for c in n.iter_expressions())]


def has_select_list_srf(sel: exp.Select) -> bool:
    return any(_srfs_in(e) for e in sel.expressions)


_HINT = "You might be able to move the set-returning function into a LATERAL FROM item."
_NOT_INSIDE = ((exp.Case, "CASE"), (exp.If, "CASE"), (exp.Coalesce, "COALESCE"))


def _placement_error(call: exp.Expression, where: str, hint: bool = False) -> HeliosError:
    from helios_core.sql.planner.scalar import node_position

    return HeliosError(f"set-returning functions are not allowed in {where}", sqlstate="0A000",
                       hint=_HINT if hint else None, position=node_position(call))


def check_placement(sel: exp.Select) -> None:
    """PostgreSQL's placement errors (0A000) for SRFs where no row set can come from."""
    for key, where in (("where", "WHERE"), ("having", "HAVING")):
        clause = sel.args.get(key)
        if clause is not None:
            for call in _srfs_in(clause):
                raise _placement_error(call, where)
    for j in sel.args.get("joins") or []:
        on = j.args.get("on")
        for call in _srfs_in(on) if on is not None else []:
            raise _placement_error(call, "JOIN conditions")
    for e in sel.expressions:
        for call in _srfs_in(e):
            if isinstance(call.parent, exp.Window) and call.parent.this is call:
                start = call.meta.get("start") if call.meta else None
                raise HeliosError(f"OVER specified, but {srf_name(call)} is not a window function nor an aggregate "
                                  "function", sqlstate="42809", position=start + 1 if isinstance(start, int) else None)
            p = call.parent
            while p is not None and p is not e.parent:
                if isinstance(p, exp.AggFunc):
                    raise HeliosError("aggregate function calls cannot contain set-returning function calls",
                                      sqlstate="0A000", hint=_HINT)
                for kind, name in _NOT_INSIDE:
                    if isinstance(p, kind):
                        raise _placement_error(call, name, hint=True)
                p = p.parent


def rewrite(sel: exp.Select, output_name: Any, contains_aggregate: Any) -> exp.Select | None:
    """The select with its select-list SRFs moved to LATERAL items (None: nothing to do)."""
    check_placement(sel)
    if not has_select_list_srf(sel):
        return None
    exprs = list(sel.expressions)
    group = sel.args.get("group")
    having = sel.args.get("having")
    order = sel.args.get("order")
    windows = any(isinstance(n, exp.Window) for e in exprs for n in e.find_all(exp.Window))
    aggs = group is not None or having is not None or any(contains_aggregate(e) for e in exprs) or (
        order is not None and any(contains_aggregate(o.this) for o in order.expressions))
    star = any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
               for e in exprs)
    if not aggs and not windows and (star or sel.args.get("where") is None):
        return _in_place(sel)
    if group is not None and not windows and _srf_items_grouped(sel):
        return _in_place(sel, rewrite_group=True)
    return _in_place(_wrap(sel, output_name))


def _srf_items_grouped(sel: exp.Select) -> bool:
    keys = list(sel.args["group"].expressions)
    key_sql = {k.sql() for k in keys}
    for i, e in enumerate(sel.expressions):
        if not _srfs_in(e):
            continue
        inner = e.this if isinstance(e, exp.Alias) else e
        ok = inner.sql() in key_sql or any(
            (isinstance(k, exp.Literal) and not k.is_string and str(k.this) == str(i + 1))
            or (isinstance(e, exp.Alias) and isinstance(k, exp.Column) and not k.table and k.name == e.alias)
            for k in keys)
        if not ok:
            return False
    return True


def _in_place(sel: exp.Select, rewrite_group: bool = False) -> exp.Select:
    sel = sel.copy()
    exprs = _qualified_stars(sel)
    group_keys = list(sel.args["group"].expressions) if rewrite_group else []
    # unaliased top-level calls keep the function's name as their column label
    for i, e in enumerate(exprs):
        name = srf_name(e)
        if name is not None:
            exprs[i] = exp.alias_(e, name)
    sel.set("expressions", exprs)
    level = 0
    items: list[exp.Expression] = []
    while True:
        calls = [c for e in exprs for c in _innermost(e)]
        if not calls:
            break
        qual = f"__srf{level}"
        cols = [f"c{k}" for k in range(len(calls))]
        for c, col in zip(calls, cols, strict=True):
            ref = exp.column(col, table=qual)
            call_sql = c.sql()
            for gi, g in enumerate(group_keys):
                if g.sql() == call_sql:
                    group_keys[gi] = ref.copy()
            c.replace(ref)
        node = RowsFrom(expressions=[c for c in calls], qual=exp.to_identifier(qual))
        items.append(exp.Lateral(this=node))
        level += 1
        exprs = list(sel.expressions)
    if rewrite_group:
        sel.args["group"].set("expressions", group_keys)
    from_key = "from_" if "from_" in exp.Select.arg_types else "from"
    joins = list(sel.args.get("joins") or [])
    if sel.args.get(from_key) is None:
        sel.set(from_key, exp.From(this=items[0]))
        items = items[1:]
    joins.extend(exp.Join(this=it) for it in items)
    sel.set("joins", joins)
    return sel


def _qualified_stars(sel: exp.Select) -> list[exp.Expression]:
    """``*`` spelled per FROM item (``t.*``), so the added LATERAL columns stay out of it."""
    from_ = sel.args.get("from_") or sel.args.get("from")
    items = ([from_.this] if from_ is not None else []) + [j.this for j in sel.args.get("joins") or []]
    out: list[exp.Expression] = []
    for e in sel.expressions:
        if isinstance(e, exp.Star) and items and all(it.alias_or_name for it in items):
            out.extend(exp.Column(this=exp.Star(), table=exp.to_identifier(it.alias_or_name)) for it in items)
        else:
            out.append(e)
    return out


def _wrap(sel: exp.Select, output_name: Any) -> exp.Select:
    """Grouped/windowed select: inner query computes arguments and items, outer applies the SRFs."""
    inner = sel.copy()
    for k in ("order", "limit", "offset", "distinct"):
        inner.set(k, None)
    inner_exprs: list[exp.Expression] = []
    outer_exprs: list[exp.Expression] = []
    g = "__g"
    for i, e in enumerate(sel.expressions):
        body = e.this if isinstance(e, exp.Alias) else e
        name = e.alias if isinstance(e, exp.Alias) else (srf_name(body) or output_name(body))
        if not _srfs_in(body):
            col = f"__c{i}"
            inner_exprs.append(exp.alias_(body.copy(), col))
            outer_exprs.append(exp.alias_(exp.column(col, table=g), name, quoted=True))
            continue
        out = _lift(body.copy(), inner_exprs, g)
        outer_exprs.append(exp.alias_(out, name, quoted=True))
    order = sel.args.get("order")
    new_order = None
    if order is not None:
        texts = {(e.this if isinstance(e, exp.Alias) else e).sql(): i for i, e in enumerate(sel.expressions)}
        aliases = {e.alias for e in sel.expressions if isinstance(e, exp.Alias)}
        items = []
        for o in order.expressions:
            o = o.copy()
            t = o.this
            if (isinstance(t, exp.Literal) and not t.is_string) or (
                    isinstance(t, exp.Column) and not t.table and t.name in aliases):
                pass
            elif t.sql() in texts:
                o.set("this", exp.Literal.number(texts[t.sql()] + 1))
            else:
                col = f"__o{len(inner_exprs)}"
                inner_exprs.append(exp.alias_(t.copy(), col))
                o.set("this", exp.column(col, table=g))
            items.append(o)
        new_order = exp.Order(expressions=items)
    inner.set("expressions", inner_exprs)
    outer = exp.Select(expressions=outer_exprs)
    outer.set("from_" if "from_" in exp.Select.arg_types else "from",
              exp.From(this=exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(g)))))
    for k in ("limit", "offset", "distinct"):
        if sel.args.get(k) is not None:
            outer.set(k, sel.args[k].copy())
    if new_order is not None:
        outer.set("order", new_order)
    return outer


def _lift(node: exp.Expression, inner_exprs: list[exp.Expression], g: str) -> exp.Expression:
    """Move what the inner query must compute (SRF arguments, columns, aggregates) into it."""
    def push(n: exp.Expression) -> exp.Expression:
        col = f"__a{len(inner_exprs)}"
        inner_exprs.append(exp.alias_(n.copy(), col))
        return exp.column(col, table=g)

    if srf_name(node) is not None:
        for a in list(node.iter_expressions()):
            if _srfs_in(a):
                a.replace(_lift(a, inner_exprs, g))
            elif not isinstance(a, exp.Literal):
                a.replace(push(a))
        return node
    if isinstance(node, (exp.Column, exp.AggFunc, exp.Window, exp.Subquery)):
        return push(node)
    for a in list(node.iter_expressions()):
        a.replace(_lift(a, inner_exprs, g))
    return node


# --------------------------------------------------------------------------- planning

def plan_rows_from(builder: Any, node: RowsFrom, outer: Any) -> Any:
    """Plan ROWS FROM (...) into a ZipScan (an ``Item`` of the builder)."""
    from helios_core.sql.operators.tablefunc import FunctionScan
    from helios_core.sql.planner.builder import Item, Scope

    qual = node.args["qual"].name
    scans = []
    for call in node.expressions:
        name = srf_name(call)
        if name in ("generate_subscripts", "regexp_matches"):
            scope = Scope([], outer=outer)
            args = [builder.compile(a, scope) for a in call.expressions]
            if name == "regexp_matches":
                args = [builder.coerce(a, T.TEXT) for a in args]
                scans.append(FunctionScan([Field(name, T.array_of(T.TEXT), qual)], name, args, _regexp_matches))
            else:
                if len(args) not in (2, 3) or not args[0].type.is_array:
                    raise HeliosError("function generate_subscripts does not exist", sqlstate="42883")
                args = [args[0]] + [builder.coerce(a, T.INT4 if k == 0 else T.BOOL) for k, a in enumerate(args[1:])]
                scans.append(FunctionScan([Field(name, T.INT4, qual)], name, args, _subscripts))
        else:
            if isinstance(call, exp.Explode) and call.expressions:
                raise HeliosError("function unnest with several arguments is only allowed in FROM",
                                  sqlstate="0A000")
            scans.append(builder.plan_table_function(call, None, [], outer).op)
    fields = [Field(f"c{k}", _one_type(s), qual) for k, s in enumerate(scans)]
    return Item(ZipScan(fields, scans), {qual})


def plan_rows_from_clause(builder: Any, node: exp.Table, alias: str | None, col_aliases: list[str],
                          outer: Any) -> tuple[Operator, str]:
    """FROM ROWS FROM (f(...), g(...)) [WITH ORDINALITY] [AS a(c, ...)] as written by a user: every
    column of every call side by side, the calls zipped to the longest (the shorter padded with
    NULL), then the ordinality; named by the calls (or their own column names), then the aliases.
    Returns the operator and the name that qualifies its columns."""
    qual = alias or "rows_from"
    scans = []
    for item in node.args["rows_from"]:
        if isinstance(item, exp.Unnest):
            scans.append(builder.plan_unnest(item, None, [], outer).op)
        else:
            call = item.this if isinstance(item, exp.Table) else item
            scans.append(builder.plan_table_function(call, None, [], outer).op)
    fields = [Field(f.name, f.type, qual) for scan in scans for f in scan.fields if not f.hidden]
    ordinality = bool(node.args.get("ordinality"))
    if ordinality:
        fields.append(Field("ordinality", T.INT8, qual))
    if len(col_aliases) > len(fields):
        raise HeliosError(f'table "{qual}" has {len(fields)} columns available but {len(col_aliases)} '
                          "columns specified", sqlstate="42P10")
    for k, name in enumerate(col_aliases):
        fields[k] = Field(name, fields[k].type, qual)
    return RowsFromScan(fields, scans, ordinality), qual


class RowsFromScan(Operator):
    """The rows of ROWS FROM: each call's visible columns side by side, NULL-padded to the longest."""

    def __init__(self, fields: list[Field], scans: list[Operator], ordinality: bool) -> None:
        super().__init__(fields, scans)
        self.ordinality = ordinality

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        tables = [collect(scan, ctx) for scan in self.children]
        n = max((t.num_rows for t in tables), default=0)
        if n == 0:
            return
        cols: list[pa.Array] = []
        out = iter(self.fields)
        for scan, t in zip(self.children, tables, strict=True):
            for k, f in enumerate(scan.fields):
                if f.hidden:
                    continue
                want = next(out).type.arrow_type
                col = t.column(k).combine_chunks() if t.num_rows else pa.array([], want)
                if len(col) < n:
                    col = pa.concat_arrays([col, pa.nulls(n - len(col), col.type)])
                cols.append(col)
        if self.ordinality:
            cols.append(pa.array(np.arange(1, n + 1, dtype=np.int64)))
        yield batch_of(cols)

    def label(self) -> str:
        return "Function Scan"


def _one_type(scan: Operator) -> T.SqlType:
    vis = [f for f in scan.fields if not f.hidden]
    if len(vis) == 1:
        return vis[0].type
    # several columns: a record whose fields carry the columns' names ((json_each(j)).key)
    return T.record_of([f.type for f in vis], [f.name for f in vis])


class ZipScan(Operator):
    """Runs each function scan and zips their rows: as many as the longest, others NULL-padded."""

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        """In lockstep, a batch at a time: ``generate_series(1, 10^8)`` in a select list streams too."""
        its: list[Iterator[pa.RecordBatch] | None] = [c.execute(ctx) for c in self.children]
        bufs: list[pa.Array | None] = [None] * len(self.children)
        while True:
            for k, it in enumerate(its):
                while it is not None and (bufs[k] is None or len(bufs[k]) == 0):
                    b = next(it, None)
                    if b is None:
                        its[k] = it = None
                    elif b.num_rows:
                        col = self._column(b, self.fields[k])
                        bufs[k] = col if bufs[k] is None else pa.concat_arrays([bufs[k], col])
            live = [len(bufs[k]) for k, it in enumerate(its) if it is not None]
            n = min(live) if live else max((len(b) for b in bufs if b is not None), default=0)
            if n == 0:
                return
            cols = []
            for k, f in enumerate(self.fields):
                buf = bufs[k]
                if buf is None:
                    buf = pa.array([], f.type.arrow_type)
                col, bufs[k] = buf.slice(0, n), buf.slice(n)
                if len(col) < n:
                    col = pa.concat_arrays([col, pa.nulls(n - len(col), col.type)])
                cols.append(col)
            yield batch_of(cols)

    @staticmethod
    def _column(b: pa.RecordBatch, f: Any) -> pa.Array:
        if b.num_columns == 1 or not pa.types.is_struct(f.type.arrow_type):
            return b.column(0)
        struct = f.type.arrow_type
        columns = [b.column(i).cast(struct.field(i).type) for i in range(struct.num_fields)]
        return pa.StructArray.from_arrays(columns, fields=list(struct))

    def label(self) -> str:
        return "ProjectSet"


def _subscripts(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
    arr = vals[0].value()
    dim = vals[1].value()
    rev = bool(vals[2].value()) if len(vals) > 2 else False
    for _ in range((dim or 0) - 1):  # a multidimensional array is nested lists: descend to dimension dim
        arr = arr[0] if isinstance(arr, list) and arr else None
    if arr is None or dim is None or dim < 1 or not isinstance(arr, list) or not arr:
        return [pa.array([], pa.int32())]
    first = 0 if vals[0].type.name in T.VECTOR_TYPE_NAMES else 1  # int2vector/oidvector start at 0
    idx = np.arange(first, len(arr) + first, dtype=np.int32)
    return [pa.array(idx[::-1] if rev else idx)]


def _regexp_matches(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
    from helios_core.sql.functions.strings import _compile

    s, pat = vals[0].value(), vals[1].value()
    flags = (vals[2].value() if len(vals) > 2 else "") or ""
    if s is None or pat is None:
        return [pa.array([], pa.list_(pa.string()))]
    rx = _compile(pat, flags.replace("g", ""))
    ms = list(rx.finditer(s)) if "g" in flags else [m for m in [rx.search(s)] if m]
    return [pa.array([list(m.groups()) if rx.groups else [m.group(0)] for m in ms], pa.list_(pa.string()))]
