"""The Builder: binds a sqlglot query against the catalog and builds its logical plan.

One pass per query block, in SQL's logical order: FROM (tables, views, subqueries, joins,
table functions) -> WHERE (terms on one relation bound as a filter over it, with the form
storage compares when it is a table scan; equalities between relations as join keys;
correlated EXISTS/IN as semi/anti joins, planner/decorrelate.py) -> GROUP BY / aggregates
-> HAVING -> window functions -> SELECT list -> DISTINCT -> ORDER BY -> LIMIT/OFFSET.
Set operations and CTEs (also recursive) wrap blocks. The result is logical nodes
(helios_core.logical.nodes); ``plan_top`` applies the rules (helios_core.logical.rules)
and lowers them to operators (planner/lowering.py). Expressions are compiled by the
statement's ScalarCompiler (``self.exprs``); sources with no logical form of their own
(table functions, catalog views, a recursive CTE's work table) are bound to operators.
"""

from __future__ import annotations

from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core.errors import DatatypeMismatch, FeatureNotSupported, HeliosError, UndefinedTable
from helios_core.frontends.postgres.dialect import parse
from helios_core.logical import nodes as L
from helios_core.logical.rules import optimize
from helios_core.logical.rules.push_filters_into_scans import pins_key
from helios_core.sql import foreign_tables, index_search, inheritance, object_privileges, partitions
from helios_core.sql import types as T
from helios_core.sql.aggregates import CANONICAL, HYPOTHETICAL, TWO_FLOAT_ARGS, AggSpec, result_type
from helios_core.sql.catalog_views.registry import one_model_per_execution
from helios_core.sql.expr import (
    Compiled,
    Field,
    GroupingError,
    Scope,
    canonical_key,
    column_ref,
    const_vec,
    make_const,
)
from helios_core.sql.functions.operators import no_operator
from helios_core.sql.functions.vec import Vec
from helios_core.sql.index_definitions import expression_sql
from helios_core.sql.operators import basic
from helios_core.sql.operators.base import Operator
from helios_core.sql.operators.basic import OneRow, TableSource
from helios_core.sql.operators.recursive import RecursiveUnion, WorkTable
from helios_core.sql.operators.scan import PushedTerm
from helios_core.sql.operators.sort import SortKey
from helios_core.sql.operators.tablefunc import FunctionScan
from helios_core.sql.planner import (
    Plan,
    lateral_pullup,
    named_arguments,
    option_tables,
    outer_aggregates,
    recursive_form,
    search_cycle,
    set_returning,
)
from helios_core.sql.planner.decorrelate import decorrelate
from helios_core.sql.planner.index_paths import one_row_indexes, usable_indexes
from helios_core.sql.planner.join_order import Equality, estimate_item, join_order
from helios_core.sql.planner.lowering import lower
from helios_core.sql.planner.query_tree import arg, split_and
from helios_core.sql.planner.scalar import (
    AGGREGATE_NOT_ALLOWED,
    ScalarCompiler,
    contains_aggregate,
    is_aggregate_node,
    node_position,
    pg_function_call,
    values_as_subqueries,
    walk_same_level,
)
from helios_core.sql.planner.system_columns import table_oid, virtual_table_oid, with_ctid, with_tableoid
from helios_core.sql.routines import planner_calls
from helios_core.sql.row_security import policies as rls_policies
from helios_core.sql.user_aggregates import calls as user_aggregate_calls
from helios_core.sql.window_placement import position_of, refuse_window
from helios_core.sql.windows import plan_window_operator

QUERY_TYPES = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Values, exp.Subquery)


def _select_item_position(term: exp.Expression, i: int) -> int | None:
    """Where the i-th output column of a query term is written (its first SELECT's item)."""
    while isinstance(term, (exp.Subquery, exp.Paren, exp.SetOperation)):
        term = term.this
    if isinstance(term, exp.Select) and i < len(term.expressions):
        return position_of(term.expressions[i])
    return None


def _with_in_front(term: exp.Expression, with_: exp.With) -> exp.Expression:
    """A term of a set operation as a query that carries ``with_`` ahead of its own WITH list."""
    while isinstance(term, (exp.Subquery, exp.Paren)) and not term.args.get("alias"):
        term = term.this
    if not isinstance(term, (exp.Select, exp.SetOperation)):
        term = exp.select("*").from_(exp.Subquery(this=term.copy(), alias=exp.TableAlias(
            this=exp.to_identifier("*VALUES*", quoted=True))))
    else:
        term = term.copy()
    own = arg(term, "with")
    ctes = [c.copy() for c in with_.expressions] + (list(own.expressions) if own is not None else [])
    term.set("with_" if "with_" in type(term).arg_types else "with",
             exp.With(expressions=ctes, recursive=with_.args.get("recursive") or (own is not None and own.args.get(
                 "recursive")) or None))
    return term


@attrs.define(eq=False)
class CteDef:
    name: str
    ast: exp.Expression
    columns: list[str]
    recursive: bool
    op: Operator | None = None
    planning: bool = False
    worktable: Operator | None = None
    outer: Scope | None = None  # the scope around the WITH: a CTE body may read its columns
    correlated: bool = False  # it does: computed again for each outer row, never shared
    name_node: exp.Expression | None = None  # the name as written (error positions)
    index: int = 0  # its place in its WITH list (a plain WITH query sees only those before it)


@attrs.define(eq=False)
class Item:
    """One FROM item while planning joins."""

    op: Operator
    aliases: set[str]


class Builder:
    """Plans one statement's queries; expressions go to its compiler, ``self.exprs``."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.param_types: list[Any] = list(ctx.param_types or [])
        self.any_params: set[int] = set()  # parameters passed untyped to an argument declared "any"
        self.exprs = ScalarCompiler(ctx, self)
        self.ctes: list[dict[str, CteDef]] = []
        self.refs: set[tuple[str | None, str]] = set()
        self.star_all = False
        self.star_quals: set[str] = set()
        self.subplans: list[Operator] = []  # expression subqueries, for EXPLAIN's "SubPlan n"
        self.decorrelation = True  # correlated [NOT] EXISTS / IN as semi/anti joins (tests switch it off)
        self.join_ordering = True  # inner joins of 3+ items by estimated size (tests switch it off)
        self.decorrelated = 0  # semi joins so far: their aliases are __sq1, __sq2, ...
        # aggregate calls written in a subquery that belong to an enclosing query (outer_aggregates):
        # id -> (call, substitution key, the SELECT that computes it)
        self.outer_aggs: dict[int, tuple[exp.Expression, str, exp.Select]] = {}
        # the names of the FROM items of each query being planned, outermost first: a reference to
        # one of them from where it is not visible is "invalid reference", not "missing" (42P01 both)
        self.from_names: list[set[str]] = []

    # =================================================================== entry points
    def plan_top(self, ast: exp.Expression) -> Plan:
        values_as_subqueries(ast)
        self.note_refs(ast)
        logical = optimize(drop_hidden(self.bind_query(ast, None)))
        op = lower(logical)
        cols = [(f.name, f.type) for f in op.fields]
        return Plan(root=op, columns=cols, param_types=self.param_types, subplans=list(self.subplans),
                    logical=logical, any_params=sorted(self.any_params))

    def bind_top(self, ast: exp.Expression) -> Any:
        """The logical plan of a query as bound, before the rules (tests show rules on it)."""
        values_as_subqueries(ast)
        self.note_refs(ast)
        return drop_hidden(self.bind_query(ast, None))

    def plan_query(self, ast: exp.Expression, outer: Scope | None) -> Operator:
        """Bind, apply the rules and lower: the operators of a query an expression runs."""
        return lower(optimize(self.bind_query(ast, outer)))

    def compile(self, node: exp.Expression, scope: Scope) -> Compiled:
        """Bind and compile an expression of this statement (see ScalarCompiler)."""
        if not self.refs and not getattr(self, "_refs_noted", False):
            self.note_refs(node)  # once: a statement without column references would walk again per node
        return self.exprs.compile(node, scope)

    # the expression compiler's entry points that table functions and window planning use
    def coerce(self, c: Compiled, t: T.SqlType) -> Compiled:
        return self.exprs.coerce(c, t)

    def as_bool(self, c: Compiled, context: str) -> Compiled:
        return self.exprs.as_bool(c, context)

    def result_type(self, types: list[T.SqlType], context: str) -> T.SqlType:
        return self.exprs.result_type(types, context)

    def call(self, name: str, args: list[Compiled]) -> Compiled:
        return self.exprs.call(name, args)

    def note_refs(self, ast: exp.Expression) -> None:
        """Remember every column name the statement mentions (scans read only those)."""
        self._refs_noted = True
        stack = [ast]
        while stack:
            n = stack.pop()
            if isinstance(n, exp.Column):
                if isinstance(n.this, exp.Star):
                    self.star_quals.add(n.table)
                else:
                    self.refs.add((n.table or None, n.name))
                    self.refs.add((None, n.name))
                continue
            if isinstance(n, exp.Dot) and index_search.is_score_call(n):  # heliosdb.score(t.id): t's hidden score
                for col in n.expression.find_all(exp.Column):
                    self.refs.add((col.table or None, index_search.SCORE_COLUMN))
                    self.refs.add((None, index_search.SCORE_COLUMN))
            if isinstance(n, exp.Star):
                if not isinstance(n.parent, exp.Count):
                    self.star_all = True
            elif isinstance(n, exp.Join):
                if n.args.get("method") and str(n.args.get("method")).upper() == "NATURAL":
                    self.star_all = True
                for u in n.args.get("using") or []:
                    self.refs.add((None, u.name))
            elif isinstance(n, exp.Var):
                self.refs.add((None, n.name))
            for v in n.args.values():
                if isinstance(v, exp.Expression):
                    stack.append(v)
                elif isinstance(v, list):
                    stack.extend(x for x in v if isinstance(x, exp.Expression))

    def plan_subquery(self, ast: exp.Expression, scope: Scope) -> tuple[Operator, set]:
        if isinstance(ast, exp.Subquery) and not ast.args.get("alias"):
            pass
        old = scope.captured
        scope.captured = set()
        try:
            op = self.bind_query(ast, scope)
            captured = scope.captured
        finally:
            scope.captured = old | {None} if (scope.captured and old) else old
        op = lower(optimize(drop_hidden(op)))
        self.subplans.append(op)
        return op, captured

    # =================================================================== queries
    def bind_query(self, ast: exp.Expression, outer: Scope | None) -> Any:
        """A query expression as logical nodes (see helios_core.logical)."""
        with_ = arg(ast, "with")
        pushed = False
        if with_ is not None:
            frame: dict[str, CteDef] = {}
            clauses = [c for c in (with_.args.get("search"), with_.args.get("cycle")) if c]
            for i, cte in enumerate(with_.expressions):
                alias = cte.args.get("alias")
                name = cte.alias_or_name
                if name in frame:
                    raise HeliosError(f'WITH query name "{name}" specified more than once', sqlstate="42712")
                cols = [c.name for c in (alias.columns if alias is not None else [])]
                body = cte.this
                if isinstance(body, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):  # the statement's own
                    raise FeatureNotSupported(  # WITH runs those first: this one sits inside a query
                        "WITH clause containing a data-modifying statement must be at the top level",
                        position=position_of(alias) if alias is not None else None)
                if clauses and i == len(with_.expressions) - 1:  # SEARCH/CYCLE follow the CTE they belong to
                    body, cols = search_cycle.rewrite(
                        cte, clauses, bool(with_.args.get("recursive")), cols,
                        lambda a: [f.name for f in drop_hidden(self.bind_query(a, outer)).fields])
                frame[name] = CteDef(name=name, ast=body, columns=cols, recursive=bool(with_.args.get("recursive")),
                                     outer=outer, name_node=alias, index=i)
            self.ctes.append(frame)
            pushed = True
        try:
            if isinstance(ast, exp.Subquery):
                op = self.bind_query(ast.this, outer)
                return self.finish_order_limit(ast, op, outer)
            if isinstance(ast, exp.Select):
                return self.plan_select(ast, outer)
            if isinstance(ast, (exp.Union, exp.Intersect, exp.Except)):
                op = self.plan_setop(ast, outer)
                return self.finish_order_limit(ast, op, outer)
            if isinstance(ast, exp.Values):  # VALUES ... ORDER BY/LIMIT/OFFSET as a query of its own
                return self.finish_order_limit(ast, self.plan_values(ast, outer), outer)
            if isinstance(ast, exp.Paren):
                return self.bind_query(ast.this, outer)
            raise FeatureNotSupported(f"not a query: {type(ast).__name__}")
        finally:
            if pushed:
                self.ctes.pop()

    def plan_values(self, ast: exp.Values, outer: Scope | None, names: list[str] | None = None) -> Operator:
        rows = ast.expressions
        scope = Scope([], outer=outer)
        compiled = []
        for r in rows:
            items = r.expressions if isinstance(r, exp.Tuple) else [r]
            compiled.append([self.compile(i, scope) for i in items])
        width = len(compiled[0])
        for r in compiled:
            if len(r) != width:
                raise HeliosError("VALUES lists must all be the same length", sqlstate="42601")
        types = []
        for i in range(width):
            ts = [r[i].type for r in compiled]
            types.append(self.exprs.result_type(ts, "VALUES"))
        compiled = [[self.exprs.coerce(c, t) for c, t in zip(r, types, strict=True)] for r in compiled]
        names = names or [f"column{i + 1}" for i in range(width)]
        fields = [Field(n, t) for n, t in zip(names, types, strict=False)]
        return L.Values(fields, compiled)

    def plan_setop(self, ast: exp.Expression, outer: Scope | None) -> Operator:
        kind = {exp.Union: "union", exp.Intersect: "intersect", exp.Except: "except"}[type(ast)]
        for branch in (ast.this, ast.expression):
            while isinstance(branch, (exp.Subquery, exp.Paren)):
                branch = branch.this
            for lock in (branch.args.get("locks") or []) if isinstance(branch, exp.Select) else []:
                strength = ("FOR NO KEY UPDATE" if lock.args.get("key") else "FOR UPDATE") if lock.args.get(
                    "update") else ("FOR KEY SHARE" if lock.args.get("key") else "FOR SHARE")
                raise HeliosError(f"{strength} is not allowed with UNION/INTERSECT/EXCEPT", sqlstate="0A000")
        distinct = ast.args.get("distinct")
        all_ = distinct is False
        left = drop_hidden(self.bind_query(ast.this, outer))
        right = drop_hidden(self.bind_query(ast.expression, outer))
        if len(left.fields) != len(right.fields):
            raise HeliosError(f"each {kind.upper()} query must have the same number of columns", sqlstate="42601")
        types = []
        for lf, rf in zip(left.fields, right.fields, strict=True):
            types.append(self.exprs.result_type([lf.type, rf.type], kind.upper()))
        left = self.cast_op(left, types)
        right = self.cast_op(right, types)
        fields = [Field(f.name, t) for f, t in zip(left.fields, types, strict=True)]
        if not all_ or kind != "union":  # UNION, INTERSECT and EXCEPT compare rows
            _refuse_unsortable(fields, "equality")
        return L.SetOperation(fields, kind, all_, [left, right])

    def resolve_unknowns(self, op: Operator) -> Operator:
        """A subquery's or WITH query's columns of unknown type ('foo' AS x) become text, as PostgreSQL
        resolves them (only a top-level SELECT list leaves them to its consumer)."""
        if not any(f.type.name == "unknown" for f in op.fields):
            return op
        return self.cast_op(op, [T.TEXT if f.type.name == "unknown" else f.type for f in op.fields])

    def cast_op(self, op: Operator, types: list[T.SqlType]) -> Operator:
        if all(f.type == t and f.type.arrow_type == t.arrow_type for f, t in zip(op.fields, types, strict=True)):
            return op
        scope = Scope(op.fields)
        exprs = [self.exprs.coerce(column_ref(i, f), t) for i, (f, t) in enumerate(zip(op.fields, types, strict=True))]
        return L.Project(op, exprs, [Field(f.name, t) for f, t in zip(op.fields, types, strict=True)]) if scope else op

    # =================================================================== SELECT
    def plan_select(self, sel: exp.Select, outer: Scope | None) -> Operator:
        self.from_names.append(_from_item_names(sel))
        try:
            return self._plan_select(sel, outer)
        finally:
            self.from_names.pop()

    def _plan_select(self, sel: exp.Select, outer: Scope | None) -> Operator:
        pulled = lateral_pullup.pull_up(sel, is_aggregate_node, lambda n: set_returning.srf_name(n) is not None)
        if pulled is not None:
            sel = pulled
        hoisted = lateral_pullup.hoist(sel)
        if hoisted is not None:
            sel = hoisted
        rewritten = set_returning.rewrite(sel, output_name, contains_aggregate)
        if rewritten is not None:
            sel = rewritten
        outer_aggregates.refuse_misplaced(sel, is_aggregate_node, self.table_columns)
        op, scope = self.plan_from_where(sel, outer)
        exprs = list(sel.expressions)
        order = arg(sel, "order")
        order_items = list(order.expressions) if order is not None else []
        having = arg(sel, "having")
        group = arg(sel, "group")
        select_aliases = {e.alias: e.this for e in exprs if isinstance(e, exp.Alias)}
        agg_sources = exprs + ([having.this] if having is not None else []) + [o.this for o in order_items]
        lifted = outer_aggregates.find(sel, agg_sources, scope, is_aggregate_node, self.table_columns)
        # GROUPING(a, b) in a subquery whose arguments are this query's columns: this query's grouping
        lifted += [g for g in outer_aggregates.find(sel, agg_sources, scope, _is_grouping_call, self.table_columns)
                   if not any(g is n for n in lifted)]
        for node in lifted:
            self.outer_aggs[id(node)] = (node, canonical_key(node, scope) or node.sql(), sel)
        agg_sources = agg_sources + lifted
        # HAVING alone makes the query grouped: one group of all rows, as in PostgreSQL
        has_agg = group is not None or having is not None or bool(lifted) or any(
            self.has_own_aggregate(e) for e in agg_sources)
        if has_agg:
            if having is not None and group is None and isinstance(having.this, (exp.Null, exp.Boolean)) \
                    and having.this.this is not True:
                # HAVING false/NULL: a one-time filter in PostgreSQL, so no aggregate is ever computed
                op = L.Filter(op, [make_const(const_vec(False, T.BOOL))], "false")
            op, scope = self.plan_aggregate(op, scope, sel, group, agg_sources, select_aliases, outer)
            if having is not None:
                pred = self.exprs.as_bool(self.compile(having.this, scope), "HAVING")
                op = L.Filter(op, [pred], having.this.sql(dialect="postgres"))
        windows = [w for e in exprs + [o.this for o in order_items] for w in walk_same_level(e)
                   if isinstance(w, exp.Window)]
        if windows:
            op, scope = self.plan_windows(op, scope, windows, sel)
        # select list
        out_exprs: list[Compiled] = []
        out_fields: list[Field] = []
        sources: list[exp.Expression] = []  # per output column, what it was written as (* expanded)
        for e in exprs:
            expanded = self.expand_select_item(e, scope, has_from=arg(sel, "from") is not None)
            star = isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
            for c, f in expanded:
                out_exprs.append(c)
                out_fields.append(f)
                sources.append(_star_column(scope, f.name, e) if star else e)
        nvis = len(out_fields)
        for c, f in zip(out_exprs, out_fields, strict=True):  # a column read unchanged keeps its origin
            if c.column is not None and c.column < len(scope.fields):
                f.origin = scope.fields[c.column].origin
        # ORDER BY keys: output columns, or extra hidden columns
        distinct = sel.args.get("distinct")
        keys: list[SortKey] = []
        out_names = [f.name for f in out_fields]
        for o in order_items:
            idx = self.order_target(o.this, sources, out_names, out_exprs, scope)
            if idx is None:
                if distinct is not None and distinct.args.get("on") is None:
                    raise HeliosError("for SELECT DISTINCT, ORDER BY expressions must appear in select list",
                                      sqlstate="42P10")
                c = self.compile(o.this, scope)
                out_exprs.append(c)
                out_fields.append(Field(f"?sort{len(out_fields)}", c.type, hidden=True))
                idx = len(out_fields) - 1
            keys.append(SortKey(idx, bool(o.args.get("desc")), _nulls_first(o), o.this.sql(dialect="postgres")))
        on_idx: list[int] | None = None
        if distinct is not None and distinct.args.get("on") is not None:
            on = distinct.args["on"]
            on_items = on.expressions if isinstance(on, exp.Tuple) else [on]
            on_idx = []
            for item in on_items:
                idx = self.order_target(item, sources, out_names, out_exprs, scope)
                if idx is None:
                    c = self.compile(item, scope)
                    out_exprs.append(c)
                    out_fields.append(Field(f"?on{len(out_fields)}", c.type, hidden=True))
                    idx = len(out_fields) - 1
                on_idx.append(idx)
        late: dict[int, Compiled] = {}
        lim_node = arg(sel, "limit")
        with_ties = isinstance(lim_node, exp.Fetch) and lim_node.args.get("limit_options") is not None and \
            lim_node.args["limit_options"].args.get("with_ties")
        if keys and distinct is None and not with_ties and not set_returning_in(sources):
            # volatile select-list expressions (nextval, random) are computed after the sort (and any
            # LIMIT), in output order, as PostgreSQL does: the sort carries the columns they read
            sorted_by = {k.index for k in keys}
            late = {j: out_exprs[j] for j in range(nvis) if j not in sorted_by and _volatile_call(sources[j])}
        if late:
            width = len(scope.fields)
            carried = [column_ref(i, f) for i, f in enumerate(scope.fields)]
            first_exprs = carried + [make_const(const_vec(None, out_fields[j].type)) if j in late else c
                                     for j, c in enumerate(out_exprs)]
            first_fields = [Field(f.name, f.type, f.qualifier, hidden=True) for f in scope.fields] + [
                attrs.evolve(f) for f in out_fields]
            op = L.Project(op, first_exprs, first_fields)
            keys = [attrs.evolve(k, index=k.index + width) for k in keys]
            _refuse_unsortable([first_fields[k.index] for k in keys], "ordering")
            op = L.Sort(op, keys)
            limited = self.apply_limit(sel, op, Scope([], outer=outer))
            final_exprs = [late[j] if j in late else column_ref(width + j, first_fields[width + j])
                           for j in range(len(out_exprs))]
            if isinstance(limited, L.Limit) and limited.offset is not None:
                # the rows OFFSET skips are computed too (PostgreSQL projects below its Limit)
                if limited.limit is not None:
                    op = L.Limit(op, self.exprs.lift([limited.limit, limited.offset], True, _limit_plus_offset,
                                                     T.INT8), None)
                op = L.Limit(L.Project(op, final_exprs, out_fields), None, limited.offset)
            else:
                op = L.Project(limited, final_exprs, out_fields)
            return drop_hidden(op) if len(out_fields) != nvis else op
        op = L.Project(op, out_exprs, out_fields)
        if distinct is not None:
            if on_idx is not None:
                _refuse_unsortable([out_fields[i] for i in on_idx], "equality")
                if keys:
                    op = L.Sort(op, keys)
                else:
                    op = L.Sort(op, [SortKey(i) for i in on_idx])
                op = L.Distinct(op, on=on_idx)
                keys = []  # already in order
            else:
                _refuse_unsortable(out_fields[:nvis], "equality")
                op = L.Distinct(op, visible=nvis)
        if keys:
            _refuse_unsortable([out_fields[k.index] for k in keys], "ordering")
            op = L.Sort(op, keys)
            if not has_agg and not windows and distinct is None:
                self.index_top_k(sel, op)
        op = self.apply_limit(sel, op, Scope([], outer=outer))
        if len(out_fields) != nvis:
            op = drop_hidden(op)
        return op

    def index_top_k(self, sel: exp.Select, sort: Any) -> None:
        """``ORDER BY heliosdb.score(...) DESC ... LIMIT n`` straight over an index scan that ranks:
        the index need only find the n best rows (ties at the last one included)."""
        project = sort.child
        scan = project.child if isinstance(project, L.Project) else None
        order = arg(sel, "order")
        limit, offset = sel.args.get("limit"), sel.args.get("offset")
        if not isinstance(scan, L.Scan) or scan.index_use is None or not scan.score or limit is None:
            return
        first = order.expressions[0]
        node = first.this
        while isinstance(node, exp.Paren):
            node = node.this
        key = sort.keys[0]
        scored = project.exprs[key.index].column == len(scan.fields) - 1 if key.index < len(project.exprs) else False
        if not first.args.get("desc") or not scored:
            return
        counts = []
        for clause in (limit, offset):
            value = clause.args.get("expression") if clause is not None else None
            if clause is None:
                counts.append(0)
            elif isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit():
                counts.append(int(value.this))
            else:
                return
        scan.index_use.limit = counts[0] + counts[1]

    def finish_order_limit(self, ast: exp.Expression, op: Operator, outer: Scope | None) -> Operator:
        order = arg(ast, "order")
        if order is not None:
            names = [f.name for f in op.fields]
            scope = Scope([Field(f.name, f.type) for f in op.fields], outer=outer)
            keys = []
            for o in order.expressions:
                t = o.this
                idx = None
                if isinstance(t, exp.Literal) and not t.is_string:
                    idx = int(t.this) - 1
                    if not 0 <= idx < len(names):
                        raise HeliosError(f"ORDER BY position {idx + 1} is not in select list", sqlstate="42P10")
                elif isinstance(t, exp.Column) and not t.table and t.name in names:
                    idx = names.index(t.name)
                else:
                    c = self.compile(t, scope)
                    if c.column is None:
                        raise FeatureNotSupported("ORDER BY on a UNION result must name an output column")
                    idx = c.column
                keys.append(SortKey(idx, bool(o.args.get("desc")), _nulls_first(o), t.sql(dialect="postgres")))
            op = L.Sort(op, keys)
        return self.apply_limit(ast, op, Scope([], outer=outer))

    def apply_limit(self, ast: exp.Expression, op: Operator, scope: Scope) -> Operator:
        lim = arg(ast, "limit")
        off = arg(ast, "offset")
        if lim is None and off is None:
            return op
        lc = None
        if lim is not None:
            if isinstance(lim, exp.Fetch):
                cnt = lim.args.get("count")
                lc = self.exprs.coerce(self.compile(cnt, scope), T.INT8) if cnt is not None else None
                if cnt is None:
                    lc = self.compile(exp.Literal.number(1), scope)
            else:
                e = lim.expression
                if isinstance(e, exp.Var) and e.name.upper() == "ALL":
                    lc = None
                else:
                    lc = self.exprs.coerce(self.compile(e, scope), T.INT8)
        oc = self.exprs.coerce(self.compile(off.expression, scope), T.INT8) if off is not None else None
        if lc is None and oc is None:
            return op
        opts = lim.args.get("limit_options") if isinstance(lim, exp.Fetch) else None
        if opts is not None and opts.args.get("percent"):
            # not SQL that PostgreSQL accepts (its grammar has no FETCH ... PERCENT)
            raise HeliosError('syntax error at or near "PERCENT"', sqlstate="42601")
        if opts is not None and opts.args.get("with_ties"):
            if not isinstance(op, L.Sort):
                raise HeliosError("WITH TIES cannot be specified without ORDER BY clause", sqlstate="42601")
            return L.Limit(op, lc, oc, ties=[k.index for k in op.keys])
        return L.Limit(op, lc, oc)

    def order_target(self, t: exp.Expression, exprs: list[exp.Expression], out_names: list[str],
                     out_exprs: list[Compiled], scope: Scope) -> int | None:
        if isinstance(t, exp.Literal) and not t.is_string:
            idx = int(t.this) - 1
            if not 0 <= idx < len(out_names):
                raise HeliosError(f"ORDER BY position {idx + 1} is not in select list", sqlstate="42P10")
            return idx
        if isinstance(t, exp.Column) and not t.table and not isinstance(t.this, exp.Star):
            hits = [i for i, n in enumerate(out_names) if n == t.name]
            if len(hits) >= 1 and len(exprs) == len(out_names):
                same = {canonical_key(exprs[i].this if isinstance(exprs[i], exp.Alias) else exprs[i], scope)
                        for i in hits}
                if len(hits) == 1 or len(same) == 1:
                    return hits[0]
                raise HeliosError(f'ORDER BY "{t.name}" is ambiguous', sqlstate="42702")
        key = canonical_key(t, scope)
        if key is not None and len(exprs) == len(out_names):
            for i, e in enumerate(exprs):
                inner = e.this if isinstance(e, exp.Alias) else e
                if canonical_key(inner, scope) == key:
                    return i
        return None

    def expand_select_item(self, e: exp.Expression, scope: Scope, has_from: bool = False
                           ) -> list[tuple[Compiled, Field]]:
        if isinstance(e, exp.Star) and scope.strict_grouping and scope.key_scope is not None:
            # SELECT * with GROUP BY: the input columns, each of which must be grouped
            out = []
            for f in scope.key_scope.fields:
                if f.hidden:
                    continue
                col = exp.column(f.name, table=f.qualifier) if f.qualifier else exp.column(f.name)
                c = self.compile(col, scope)
                out.append((c, Field(f.name, c.type)))
            return out
        if isinstance(e, exp.Star):
            out = [(column_ref(i, f), Field(f.name, f.type)) for i, f in enumerate(scope.fields) if not f.hidden]
            if not scope.fields and not out and not has_from:  # a table of no columns gives rows of none
                raise HeliosError("SELECT * with no tables specified is not valid", sqlstate="42601")
            return out
        if isinstance(e, exp.Column) and isinstance(e.this, exp.Star) and scope.strict_grouping \
                and scope.key_scope is not None:
            q = e.table
            out = []
            for f in scope.key_scope.fields:
                if f.qualifier == q and not f.hidden:
                    c = self.compile(exp.column(f.name, table=q), scope)
                    out.append((c, Field(f.name, c.type)))
            if not out:
                raise UndefinedTable(f'missing FROM-clause entry for table "{q}"')
            return out
        if isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
            q = e.table
            out = [(column_ref(i, f), Field(f.name, f.type)) for i, f in enumerate(scope.fields)
                   if f.qualifier == q and f.name != "_rowid" and not f.name.startswith("?")
                   and not (f.hidden and f.name == "tableoid")]  # a system column, not one of the row's
            if not out and not scope.has_qualifier(q):
                raise UndefinedTable(f'missing FROM-clause entry for table "{q}"')
            return out
        if isinstance(e, exp.Dot) and isinstance(e.expression, exp.Star):
            return self.expand_row_star(e.this, scope)
        inner = e.this if isinstance(e, exp.Alias) else e
        lit_key = (canonical_key(inner, scope.key_scope or scope) or inner.sql()) if isinstance(
            inner, exp.Literal) and scope.substitutions else None
        if lit_key is not None and lit_key in scope.substitutions:
            # a constant that is a grouping key (SELECT 1 AS x ... GROUPING SETS (1, ...)): the key's
            # column, NULL in the grouping sets without it
            idx = scope.substitutions[lit_key]
            c = column_ref(idx, scope.fields[idx])
        else:
            c = self.compile(inner, scope)
        name = e.alias if isinstance(e, exp.Alias) else output_name(inner)
        return [(c, Field(name, c.type))]

    def expand_row_star(self, row: exp.Expression, scope: Scope) -> list[tuple[Compiled, Field]]:
        """``(x).*``: one column per field of the row value x, named as its fields (the value
        is computed once per field, as PostgreSQL does)."""
        base = self.compile(row, scope)
        if not base.type.is_rowtype or not base.type.fields:
            raise HeliosError(f"type {base.type.sql_name()} is not composite", sqlstate="42809")
        out = []
        for i, name in enumerate(base.type.field_names):
            key = name if base.type.is_composite else f"f{i + 1}"
            c = self.compile(exp.Dot(this=row.copy(), expression=exp.to_identifier(key)), scope)
            out.append((c, Field(name, c.type)))
        return out

    # =================================================================== FROM / WHERE
    def fold_false_where(self, conjuncts: list[exp.Expression], outer: Scope | None) -> list[exp.Expression]:
        """A constant false/NULL term makes the whole WHERE false: PostgreSQL folds it, and never
        evaluates the other terms (which may fail). Not with parameters: their types are inferred
        from the terms."""
        if any(c.find(exp.Placeholder, exp.Parameter) is not None for c in conjuncts):
            return conjuncts
        for c in conjuncts:
            if c.find(exp.Column, exp.Select, exp.Placeholder, exp.Parameter) is not None or not self.exprs.pure(c):
                continue
            try:
                v = self.compile(c, Scope([], outer=outer))
            except HeliosError:
                continue
            if v.const is not None and v.type.name == "bool" and v.const.value() is not True:
                return [c]
        return conjuncts

    def plan_from_where(self, sel: exp.Select, outer: Scope | None) -> tuple[Operator, Scope]:
        from_ = arg(sel, "from")
        joins = list(sel.args.get("joins") or [])
        where = arg(sel, "where")
        conjuncts = split_and(where.this) if where is not None else []
        refuse_window(where, "WHERE")
        for j in joins:
            refuse_window(j.args.get("on"), "JOIN conditions")
        for c in conjuncts:
            if self.has_own_aggregate(c):
                first = next((n for n in c.walk() if is_aggregate_node(n) and id(n) not in self.outer_aggs), None)
                start = first.meta.get("start") if first is not None and first.meta else None
                raise GroupingError("aggregate functions are not allowed in WHERE",
                                    position=start + 1 if isinstance(start, int) else None)
        conjuncts = self.fold_false_where(conjuncts, outer)
        if from_ is None:
            op: Any = OneRow()
            scope = Scope([], outer=outer)
            if conjuncts:
                op = L.Filter(op, [self.exprs.as_bool(self.compile(exp.and_(*conjuncts), scope), "WHERE")])
            return op, scope
        simple = all(_is_inner(j) and not j.args.get("using") and not _is_lateral(j)
                     and not _is_function_item(j.this)
                     and not (j.args.get("method") and str(j.args.get("method")).upper() == "NATURAL")
                     for j in joins)
        if simple:
            items = [self.plan_from_item(from_.this, outer, None)]
            for j in joins:
                items.append(self.plan_from_item(j.this, outer, None))
                on = j.args.get("on")
                if on is not None:
                    conjuncts.extend(split_and(on))
            semis = []
            kept = []
            all_fields = [f for it in items for f in it.op.fields]
            for c in conjuncts:
                d = self.decorrelate(c, all_fields, outer)
                if d is None:
                    kept.append(c)
                else:
                    semis.append(d)
            op, scope = self.join_graph(items, kept, outer)
            for kind, sub_item, conds in semis:
                op = self.make_join(op, sub_item.op, kind, conds, outer)
            return op, Scope(list(op.fields), outer=outer)
        # general: fold joins left to right, WHERE on top
        left = self.plan_from_item(from_.this, outer, None)
        op, scope = left.op, Scope(list(left.op.fields), outer=outer)
        # terms on the first FROM item alone go into its scan when no RIGHT/FULL join can make
        # it NULL-extended (a primary-key lookup stays a lookup under LEFT JOINs)
        preserved = all(str(j.args.get("side") or "").upper() in ("", "LEFT") for j in joins)
        first_alias = from_.this.alias_or_name if isinstance(from_.this, exp.Table) else None
        if preserved and first_alias and conjuncts:
            mine, rest = [], []
            for c in conjuncts:
                cols = list(c.find_all(exp.Column))
                if cols and all(col.table == first_alias for col in cols) and c.find(
                        exp.Subquery, exp.Select, exp.Exists) is None and not contains_aggregate(c):
                    mine.append(c)
                else:
                    rest.append(c)
            if mine:
                op = self.push_filter(op, mine, outer)
                scope = Scope(list(op.fields), outer=outer)
                conjuncts = rest
        for j in joins:
            op, scope = self.plan_join(op, scope, j, outer)
        if conjuncts:
            conjuncts = order_conjuncts(conjuncts)
            parts = [self.exprs.as_bool(self.compile(c, scope), "WHERE") for c in conjuncts]
            op = L.Filter(op, parts, where.this.sql(dialect="postgres"))
        return op, scope

    def join_graph(self, items: list[Item], conjuncts: list[exp.Expression], outer: Scope | None
                   ) -> tuple[Operator, Scope]:
        """Inner joins and comma joins: push single-relation terms down, hash-join on equalities."""
        pending: list[tuple[exp.Expression, set[int]]] = []
        for c in conjuncts:
            pending.append((c, self.items_of(c, items, outer)))
        # push single-item terms into their item
        for k, it in enumerate(items):
            mine = [c for c, s in pending if s == {k}]
            if mine:
                it.op = self.push_filter(it.op, mine, outer)
        pending = [(c, s) for c, s in pending if len(s) != 1]
        # constant / outer-only terms: filter the first item
        consts = [c for c, s in pending if not s]
        if consts:
            items[0].op = self.push_filter(items[0].op, consts, outer)
        pending = [(c, s) for c, s in pending if s]
        order = self.join_order(items, pending) if self.join_ordering else None
        if order is None:  # FROM order, each next item one the joined ones connect to by an equality
            order = [0]
            remaining = list(range(1, len(items)))
            while remaining:
                joined = set(order)
                pick = next((k for k in remaining if any(k in s and (s - {k}) <= joined and (s - {k})
                                                         for c, s in pending if _is_equi(c))), remaining[0])
                remaining.remove(pick)
                order.append(pick)
        op = items[order[0]].op
        joined = {order[0]}
        for pick in order[1:]:
            now = joined | {pick}
            usable = [(c, s) for c, s in pending if s <= now]
            pending = [(c, s) for c, s in pending if not s <= now]
            op = self.make_join(op, items[pick].op, "inner", [c for c, _ in usable], outer)
            joined = now
        if order != sorted(order):  # the columns in FROM order, as SELECT * and the scope expect
            offsets, at = {}, 0
            for k in order:
                offsets[k] = at
                at += len(items[k].op.fields)
            cols = [offsets[k] + i for k in range(len(items)) for i in range(len(items[k].op.fields))]
            op = L.Project(op, [column_ref(i, op.fields[i]) for i in cols], [op.fields[i] for i in cols])
        scope = Scope(list(op.fields), outer=outer)
        return op, scope

    def join_order(self, items: list[Item], pending: list[tuple[exp.Expression, set[int]]]) -> list[int] | None:
        """Items in the order of smallest estimated intermediate results (planner/join_order.py)."""
        if len(items) < 3:
            return None
        txn = self.ctx.txn

        def stored(scan: L.Scan) -> int | None:
            t = txn.get_table(scan.schema, scan.table) if txn is not None else None
            return None if t is None else txn.estimated_rows(t)

        estimates = [estimate_item(it.op, stored) for it in items]
        equalities, links = [], []
        for c, s in pending:
            eq = c
            while isinstance(eq, exp.Paren):
                eq = eq.this
            sides = [eq.this, eq.expression] if len(s) == 2 and _is_equi(eq) else []
            if all(isinstance(x, exp.Column) for x in sides) and sides:
                owners = [self.items_of(x, items, None) for x in sides]
                if all(len(o) == 1 for o in owners) and owners[0] != owners[1]:
                    (a,), (b,) = owners
                    equalities.append(Equality(a, sides[0].name, b, sides[1].name))
                    continue
            links.append(frozenset(s))
        return join_order(estimates, equalities, links)

    def decorrelate(self, c: exp.Expression, outer_fields: list[Field], outer: Scope | None
                    ) -> tuple[str, Item, list[exp.Expression]] | None:
        """A correlated [NOT] EXISTS / IN term as a semi (anti) join: see planner/decorrelate.py."""
        if not self.decorrelation:
            return None
        alias = f"__sq{self.decorrelated + 1}"
        join = decorrelate(c, {(f.qualifier, f.name) for f in outer_fields}, self.table_columns, alias)
        if join is None:
            return None
        self.decorrelated += 1
        try:
            self.note_refs(join.subquery)
            op = drop_hidden(self.bind_query(join.subquery, outer))
        except HeliosError:
            return None
        return join.kind, Item(rename(op, alias, []), {alias}), join.conditions

    def table_columns(self, schema: str | None, name: str) -> list[str] | None:
        """The columns of a stored table the name resolves to (None: a CTE, view or anything else)."""
        if schema is None and self.find_cte(name) is not None:
            return None
        rel = self.ctx.resolve_relation(schema, name)
        if rel is None or rel.kind != "table":
            return None
        return [n for n, _ in rel.columns]

    def items_of(self, c: exp.Expression, items: list[Item], outer: Scope | None) -> set[int]:
        """Which FROM items an expression's columns refer to (including inside subqueries)."""
        out: set[int] = set()
        for col in c.find_all(exp.Column):
            if isinstance(col.this, exp.Star):
                continue
            name, qual = col.name, col.table or None
            hits = [k for k, it in enumerate(items) if _has_col(it.op.fields, name, qual)]
            if not hits:  # a whole-row reference, or a column its item lacks: the FROM item of that name
                hits = [k for k, it in enumerate(items) if any(f.qualifier == (qual or name) for f in it.op.fields)]
            if len(hits) > 1 and qual is None:
                # ambiguous unless a subquery's own FROM defines it; be conservative
                out.update(hits)
            elif hits:
                out.add(hits[0])
        return out

    def push_filter(self, op: Any, conjuncts: list[exp.Expression], outer: Scope | None) -> Any:
        """A filter of ``conjuncts`` over ``op``; over a table scan each term is also bound in
        the form storage compares (rules.push_filters_into_scans decides what goes down)."""
        scope = Scope(list(op.fields), outer=outer)
        scan_terms = None
        if isinstance(op, L.Scan) and op.index_use is None and op.as_of is None:
            conjuncts = self.use_index(op, conjuncts, scope)
            if not conjuncts:
                return op
        if isinstance(op, L.Scan):
            bound = {id(c): L.ScanTerm(c, self.pushable_terms(c, scope, op)) for c in conjuncts}
        ordered = order_conjuncts(conjuncts)
        if isinstance(op, L.Scan):
            scan_terms = [bound[id(c)] for c in ordered]
        if scan_terms is None:
            parts = [self.exprs.as_bool(self.compile(c, scope), "WHERE") for c in ordered]
            return L.Filter(op, parts, " AND ".join(c.sql(dialect="postgres") for c in ordered))

        def bind(i: int) -> Compiled:
            return self.exprs.as_bool(self.compile(ordered[i], scope), "WHERE")

        # key equalities wait: a point read answers them (their constants were typed just above)
        key = op.primary_key
        parts = [None if key and pins_key(t, key) else bind(i) for i, t in enumerate(scan_terms)]
        return L.Filter(op, parts, scan_terms=scan_terms, deferred=bind)

    def use_index(self, op: Any, conjuncts: list[exp.Expression], scope: Scope) -> list[exp.Expression]:
        """The first condition a plugin index of the table answers goes to the scan (sql/index_search);
        the other conditions, left to evaluate."""
        if not any(index_search.may_match(c) for c in conjuncts):
            return conjuncts
        tdef = self.ctx.txn.get_table(op.schema, op.table)
        if tdef is None:
            return conjuncts
        for i, c in enumerate(conjuncts):
            found = index_search.match(self.ctx.txn, op.schema, tdef, c)
            if found is None:
                continue
            rec, kind, pos = found
            cond = c
            while isinstance(cond, exp.Paren):
                cond = cond.this
            value = self.compile(cond.expression, scope)
            symbol = index_search.operator_symbol(cond)
            text = f"{_shown(cond.this)} {symbol} {_shown(cond.expression)}"
            op.index_use = index_search.IndexUse(kind, rec, pos, symbol, value, text)
            if not kind.exact:  # checked again on the rows read, unless the search says it was exact
                op.index_use.recheck = self.exprs.as_bool(self.compile(c, scope), "WHERE")
            return conjuncts[:i] + conjuncts[i + 1:]
        return conjuncts

    def pushable_terms(self, c: exp.Expression, scope: Scope, op: Any) -> list[PushedTerm] | None:
        """The storage form of a WHERE term over a scan (BETWEEN: both bounds), or None."""
        if isinstance(c, exp.Between) and not c.args.get("symmetric"):
            halves = [self.pushable(exp.GTE(this=c.this.copy(), expression=c.args["low"].copy()), scope, op),
                      self.pushable(exp.LTE(this=c.this.copy(), expression=c.args["high"].copy()), scope, op)]
            return halves if all(h is not None for h in halves) else None  # type: ignore[return-value]
        term = self.pushable(c, scope, op)
        return None if term is None else [term]

    def pushable(self, c: exp.Expression, scope: Scope, op: Any) -> PushedTerm | None:
        """``col op value`` with a per-execution constant value, in a pushable type."""
        ops = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
        flip = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
        if isinstance(c, exp.Paren):
            return self.pushable(c.this, scope, op)
        if isinstance(c, exp.Is) and isinstance(c.expression, exp.Null) and isinstance(c.this, exp.Column):
            col = self.compile(c.this, scope)
            if col.column is None or col.column >= len(op.columns):
                return None
            return PushedTerm(op.columns[col.column], "notnull" if c.args.get("negate") else "isnull", [],
                              col.type.arrow_type, c.sql(dialect="postgres"))
        if isinstance(c, exp.In) and isinstance(c.this, exp.Column) and c.expressions and not c.args.get("query") \
                and not c.args.get("unnest") and not c.args.get("field"):
            return self.pushable_in(c, scope, op)
        if type(c) in ops:
            o = ops[type(c)]
            left, right = c.this, c.expression
            if not isinstance(left, exp.Column) and isinstance(right, exp.Column):
                left, right = right, left
                o = flip[o]
            if not isinstance(left, exp.Column) or right.find(exp.Column) is not None:
                return None
            if isinstance(right, (exp.Any, exp.All)) or isinstance(left, (exp.Any, exp.All)):
                return None
            if isinstance(right, exp.Anonymous) and str(right.this).lower() in ("all", "any", "some"):
                return None
            if right.find(exp.Subquery, exp.Select, exp.Window) is not None or contains_aggregate(right):
                return None
            if any(isinstance(n, exp.Func) and pg_function_call(n)[0] in ("random", "nextval") for n in right.walk()):
                return None
            col = self.compile(left, scope)
            if col.column is None or col.column >= len(op.columns):
                return None
            if not _pushable_type(col.type) and not (col.type.name == "jsonb" and o == "="):
                return None  # jsonb: only equality (a key lookup on a jsonb primary key, as MongoDB's _id)
            val = self.compile(right, scope)
            if _wider_integer_parameter(val, col.type):
                # int2_column < $1 with an int4 or int8 parameter: PostgreSQL compares across the
                # two types, so a value beyond the column's range is no error; the scan converts
                # it when it can (scan.TableScan), and a term it cannot convert prunes nothing
                return PushedTerm(op.columns[col.column], o, [val], col.type.arrow_type, c.sql(dialect="postgres"))
            if val.type.name == "unknown" or val.param is not None:  # typed as the base of a domain column
                val = self.exprs.coerce(val, T.without_domain(col.type))
            if not _same_family(col.type, val.type):
                return None
            if val.type != col.type:
                if col.type.name == "numeric" or val.type.name in ("numeric", "float4", "float8"):
                    return None
                try:
                    val = self.exprs.coerce(val, col.type)
                except HeliosError:
                    return None
            return PushedTerm(op.columns[col.column], o, [val], col.type.arrow_type, c.sql(dialect="postgres"))
        return None

    def pushable_in(self, c: exp.In, scope: Scope, op: Any) -> PushedTerm | None:
        """``col IN (v1, v2, ...)`` with per-execution constants of the column's type (an index answers it)."""
        col = self.compile(c.this, scope)
        if col.column is None or col.column >= len(op.columns) or not _pushable_type(col.type) \
                or col.type.name in ("numeric", "float4", "float8", "bool"):
            return None
        vals = []
        for v in c.expressions:
            if v.find(exp.Column, exp.Subquery, exp.Select, exp.Window) is not None or contains_aggregate(v):
                return None
            val = self.compile(v, scope)
            if _wider_integer_parameter(val, col.type):
                vals.append(val)  # converted by the scan when it can be (see pushable)
                continue
            if val.type.name == "unknown" or val.param is not None:  # typed as the base of a domain column
                val = self.exprs.coerce(val, T.without_domain(col.type))
            if not _same_family(col.type, val.type):
                return None
            if val.type != col.type:
                try:
                    val = self.exprs.coerce(val, col.type)
                except HeliosError:
                    return None
            vals.append(val)
        return PushedTerm(op.columns[col.column], "in", vals, col.type.arrow_type, c.sql(dialect="postgres"))

    def make_join(self, left: Operator, right: Operator, kind: str, conds: list[exp.Expression],
                  outer: Scope | None, merged: dict[str, int] | None = None) -> Operator:
        fields = list(left.fields) + list(right.fields)
        if kind in ("semi", "anti"):
            out_fields = list(left.fields)
        else:
            out_fields = [attrs.evolve(f) for f in fields]
        if kind in ("left", "full"):
            pass
        # merged: the left side's USING columns (an unqualified name means the merged one)
        lscope = Scope(list(left.fields), outer=outer, merged=dict(merged or {}))
        rscope = Scope(list(right.fields), outer=outer)
        both = Scope(fields, outer=outer, merged=dict(merged or {}))
        lkeys, rkeys, rest, texts = [], [], [], []
        nl = len(left.fields)
        for c in conds:
            pair = self.equi_sides(c, lscope, rscope, nl)
            if pair is None:
                rest.append(c)
                continue
            lc, rc = pair
            try:
                common = self.exprs.result_type([lc.type, rc.type], "JOIN")
            except DatatypeMismatch:  # an explicit a = b (or IN): no such operator, as PostgreSQL says
                raise no_operator("=", lc.type.sql_name(), rc.type.sql_name()) from None
            lkeys.append(self.exprs.coerce(lc, common))
            rkeys.append(self.exprs.coerce(rc, common))
            texts.append(c.sql(dialect="postgres"))
        residual = None
        if rest:
            residual = self.exprs.as_bool(self.compile(exp.and_(*rest) if len(rest) > 1 else rest[0], both), "JOIN")
        if lkeys:
            return L.Join(out_fields, left, right, kind, lkeys, rkeys, residual, " AND ".join(texts))
        return L.Join(out_fields, left, right, kind, [], [], residual)

    def equi_sides(self, c: exp.Expression, lscope: Scope, rscope: Scope, nl: int
                   ) -> tuple[Compiled, Compiled] | None:
        while isinstance(c, exp.Paren):
            c = c.this
        if not isinstance(c, exp.EQ):
            return None
        a, b = c.this, c.expression
        if a.find(exp.Subquery, exp.Select) is not None or b.find(exp.Subquery, exp.Select) is not None:
            return None
        if _is_quantified(a) or _is_quantified(b):  # x = ANY(array) is no equi-join key
            return None
        sa, sb = _side(a, lscope, rscope), _side(b, lscope, rscope)
        if sa == "l" and sb == "r":
            sides = self.compile(a, lscope), self.compile(b, rscope)
        elif sa == "r" and sb == "l":
            sides = self.compile(b, lscope), self.compile(a, rscope)
        else:
            return None
        if any(s.type.name in _UNSORTABLE for s in sides):
            return None  # path = path compares numbers of points, box = box areas: not a hash key
        return sides

    def plan_join(self, op: Operator, scope: Scope, j: exp.Join, outer: Scope | None) -> tuple[Operator, Scope]:
        side = str(j.args.get("side") or "").upper()
        kind = {"LEFT": "left", "RIGHT": "right", "FULL": "full"}.get(side, "inner")
        lateral = _is_lateral(j)
        target = j.this
        if lateral or _is_function_item(target):
            lat_scope = Scope(list(scope.fields), outer=outer, merged=dict(scope.merged))
            lat_scope.captured = set()
            item = self.plan_from_item(target, lat_scope, target)  # a Lateral carries the alias (unwrapped there)
            captured = lat_scope.captured
            if captured:
                fields = list(op.fields) + list(item.op.fields)
                on = j.args.get("on")
                residual = None
                if on is not None:
                    residual = self.exprs.as_bool(self.compile(on, Scope(fields, outer=outer)), "JOIN")
                if kind not in ("inner", "left"):
                    raise HeliosError("invalid reference to FROM-clause entry in a RIGHT/FULL JOIN with LATERAL",
                                      sqlstate="42P10")
                new = L.Join(fields, op, item.op, kind, [], [], residual, lateral=captured)
                return new, Scope(fields, outer=outer, merged=dict(scope.merged))
        else:
            item = self.plan_from_item(target, outer, None)
        right = item.op
        using = j.args.get("using")
        natural = j.args.get("method") and str(j.args.get("method")).upper() == "NATURAL"
        if natural:
            lnames = [f.name for f in op.fields if not f.hidden]
            using_names = [f.name for f in right.fields if not f.hidden and f.name in lnames]
        elif using:
            using_names = [u.name for u in using]
        else:
            using_names = []
        conds: list[exp.Expression] = []
        on = j.args.get("on")
        if on is not None:
            conds = split_and(on)
        nl = len(op.fields)
        if using_names:
            # equality terms on the USING columns, by position
            lscope = Scope(list(op.fields), merged=dict(scope.merged))
            rscope = Scope(list(right.fields))
            lkeys, rkeys = [], []
            for name in using_names:
                li = lscope.find_local(name, None)
                ri = rscope.find_local(name, None)
                if li is None:
                    raise HeliosError(f'column "{name}" specified in USING clause does not exist in left table',
                                      sqlstate="42703")
                if ri is None:
                    raise HeliosError(f'column "{name}" specified in USING clause does not exist in right table',
                                      sqlstate="42703")
                lkeys.append(li)
                rkeys.append(ri)
            lc = [column_ref(i, op.fields[i]) for i in lkeys]
            rc = [column_ref(i, right.fields[i]) for i in rkeys]
            commons = [self.exprs.result_type([a.type, b.type], "USING") for a, b in zip(lc, rc, strict=True)]
            joined = L.Join([attrs.evolve(f) for f in list(op.fields) + list(right.fields)], op, right, kind,
                            [self.exprs.coerce(a, t) for a, t in zip(lc, commons, strict=True)],
                            [self.exprs.coerce(b, t) for b, t in zip(rc, commons, strict=True)],
                            None, ", ".join(using_names))
            if conds:
                raise FeatureNotSupported("USING together with ON")
            # merged columns first (COALESCE for FULL, right side for RIGHT), then the rest
            exprs: list[Compiled] = []
            fields: list[Field] = []
            merged: dict[str, int] = {}
            for name, li, ri, t in zip(using_names, lkeys, rkeys, commons, strict=True):
                lref = self.exprs.coerce(column_ref(li, joined.fields[li]), t)
                rref = self.exprs.coerce(column_ref(nl + ri, joined.fields[nl + ri]), t)
                if kind == "full":
                    c = self.coalesce_compiled([lref, rref], t)
                elif kind == "right":
                    c = rref
                else:
                    c = lref
                merged[name] = len(exprs)
                exprs.append(c)
                fields.append(Field(name, t, None))
            for i, f in enumerate(joined.fields):
                hide = f.hidden or (i < nl and i in lkeys) or (i >= nl and (i - nl) in rkeys)
                exprs.append(column_ref(i, f))
                fields.append(Field(f.name, f.type, f.qualifier, hidden=hide))
            for name, idx in scope.merged.items():
                if name not in merged:
                    merged[name] = len(using_names) + idx
            using_alias = j.args.get("using_alias")
            if using_alias is not None:  # JOIN ... USING (a) AS x: x.a is the merged column (x.* the merged ones)
                ua = using_alias.name
                if any(f.qualifier == ua for f in fields):
                    raise HeliosError(f'table name "{ua}" specified more than once', sqlstate="42712")
                for name in using_names:
                    exprs.append(exprs[merged[name]])
                    fields.append(Field(name, fields[merged[name]].type, ua, hidden=True))
            proj = L.Project(joined, exprs, fields)
            return proj, Scope(fields, outer=outer, merged=merged)
        new = self.make_join(op, right, kind, conds, outer, scope.merged) if conds or kind != "inner" else L.Join(
            list(op.fields) + list(right.fields), op, right, "inner", [], [], None)
        if kind != "inner" and not conds:
            new = L.Join(list(op.fields) + list(right.fields), op, right, kind, [], [], None)
        return new, Scope(list(new.fields), outer=outer, merged=dict(scope.merged))

    def coalesce_compiled(self, cs: list[Compiled], t: T.SqlType) -> Compiled:
        def compute(v: list[Any]) -> Any:
            n = max(len(x.array) for x in v)
            return Vec(pc.coalesce(*[x.broadcast(n).array for x in v]), t, False)

        return self.exprs.lift(cs, False, compute, t)

    # ------------------------------------------------------------------ FROM items
    def plan_from_item(self, node: exp.Expression, outer: Scope | None, wrapper: Any) -> Item:
        if isinstance(node, set_returning.RowsFrom):
            return set_returning.plan_rows_from(self, node, outer)
        nested = node.args.get("joins") if isinstance(node, (exp.Table, exp.Subquery, exp.Values, exp.Unnest)) \
            else None
        if nested:  # a JOIN b JOIN c ON x ON y: b's joins (to c) come first, then the join to a
            inner = node.copy()
            inner.set("joins", None)
            first = self.plan_from_item(inner, outer, wrapper)
            op, scope = first.op, Scope(list(first.op.fields), outer=outer)
            for j in nested:
                op, scope = self.plan_join(op, scope, j, outer)
            return Item(op, {f.qualifier for f in op.fields if f.qualifier})
        alias_node = node.args.get("alias") if isinstance(node, exp.Expression) else None
        if isinstance(node, exp.Lateral):
            alias_node = node.args.get("alias")
            inner = node.this
            if isinstance(inner, exp.Subquery) and alias_node is not None and inner.args.get("alias") is None:
                inner = inner.copy()
                inner.set("alias", alias_node)
            elif isinstance(inner, exp.Func):  # LATERAL f(...) AS g: planned as FROM f(...) AS g is
                inner = exp.Table(this=inner.copy(), alias=alias_node.copy() if alias_node is not None else None,
                                  ordinality=node.args.get("ordinality"))
            return self.plan_from_item(inner, outer, node)
        alias = alias_node.name if alias_node is not None and alias_node.name else None
        col_aliases = [c.name for c in (alias_node.columns if alias_node is not None else [])]
        if isinstance(node, exp.Table):
            if node.args.get("rows_from"):
                rows_from, qual = set_returning.plan_rows_from_clause(self, node, alias, col_aliases, outer)
                return Item(rows_from, {qual})
            if isinstance(node.this, (exp.Func, exp.Anonymous)):
                if option_tables.is_options_call(node.this):
                    return self.plan_from_item(option_tables.as_subquery(node.this, alias, col_aliases), outer, None)
                from helios_core.branching.table_functions import plan_registered  # heliosdb.branch_diff ...

                ordinality = bool(node.args.get("ordinality"))
                item = plan_registered(self, node, alias, col_aliases, outer)
                if item is not None:
                    if ordinality:
                        raise FeatureNotSupported("WITH ORDINALITY is not supported for this function")
                    return item
                col_types = [T.type_from_sqlglot(c.args["kind"]) if isinstance(c, exp.ColumnDef) and
                             c.args.get("kind") is not None else None
                             for c in (alias_node.columns if alias_node is not None else [])]
                return self.plan_table_function(node.this, alias, col_aliases, outer, ordinality=ordinality,
                                                col_types=col_types)
            return self.plan_table(node, alias, col_aliases, outer)
        if isinstance(node, exp.Subquery) and isinstance(node.this, (exp.Table, exp.Subquery)) and (
                not alias or node.this.args.get("joins")):
            # a parenthesized join tree: FROM (a CROSS JOIN b) [AS x (c1, c2, ...)]
            inner = node.this.copy()
            joins = inner.args.pop("joins", None) or []
            if isinstance(inner, exp.Table) or joins:
                star_all = self.star_all
                self.star_all = star_all or bool(alias)  # an alias renames the columns by position: read them all
                try:
                    first = self.plan_from_item(inner, outer, None)
                    op, scope = first.op, Scope(list(first.op.fields), outer=outer)
                    for j in joins:
                        op, scope = self.plan_join(op, scope, j, outer)
                finally:
                    self.star_all = star_all
                if alias:  # the join's columns under the alias only, as PostgreSQL names them
                    op = drop_hidden(op)
                    if len(col_aliases) > len(op.fields):
                        raise HeliosError(f'join expression "{alias}" has {len(op.fields)} columns available but '
                                          f"{len(col_aliases)} columns specified", sqlstate="42P10")
                    return Item(rename(op, alias, col_aliases), {alias})
                return Item(op, {f.qualifier for f in op.fields if f.qualifier})
        if isinstance(node, exp.Subquery):
            inner_ast = node.this
            op = drop_hidden(self.bind_query(inner_ast, outer))
            op = self.finish_order_limit(node, op, outer) if (arg(node, "order") or arg(node, "limit")) else op
            op = self.resolve_unknowns(op)
            return Item(rename(op, alias or "?subquery", col_aliases), {alias or "?subquery"})
        if isinstance(node, exp.Values):
            names = col_aliases or None
            op = self.plan_values(node, outer, names)
            return Item(rename(op, alias or "*VALUES*", col_aliases), {alias or "*VALUES*"})
        if isinstance(node, exp.Unnest):
            return self.plan_unnest(node, alias, col_aliases, outer)
        if isinstance(node, (exp.Func, exp.Anonymous)):
            return self.plan_table_function(node, alias, col_aliases, outer)
        if isinstance(node, (exp.Select, exp.Union)):
            op = self.resolve_unknowns(drop_hidden(self.bind_query(node, outer)))
            return Item(rename(op, alias or "?subquery", col_aliases), {alias or "?subquery"})
        raise FeatureNotSupported(f"FROM item not supported: {node.sql(dialect='postgres')[:100]}")

    def find_cte(self, name: str) -> CteDef | None:
        """The WITH query ``name`` reads; in a plain (not RECURSIVE) WITH list, a query's body sees
        only the queries before it (``self.invisible_cte`` remembers one it could not see)."""
        planning = self.__dict__.setdefault("cte_stack", [])
        for frame in reversed(self.ctes):
            if name in frame:
                found = frame[name]
                inside = [c for c in planning if frame.get(c.name) is c]
                if inside and not found.recursive and found.index >= min(c.index for c in inside):
                    self.invisible_cte = found
                    continue
                return found
        return None

    def plan_table(self, node: exp.Table, alias: str | None, col_aliases: list[str], outer: Scope | None) -> Item:
        name = node.name
        schema = node.db or None
        qual = alias or name
        if schema is None:
            cte = self.find_cte(name)
            if cte is not None:
                ref = self.cte_ref(cte)
                if cte.correlated and outer is not cte.outer:
                    raise FeatureNotSupported(
                        f'reading WITH query "{cte.name}", which refers to an outer query, from a nested '
                        "subquery is not supported")
                return Item(rename(ref, qual, col_aliases), {qual})
        src = self.ctx.resolve_relation(schema, name)
        if src is None:
            shown = f"{schema}.{name}" if schema else name
            hidden = self.__dict__.get("invisible_cte")
            if schema is None and hidden is not None and hidden.name == name:  # a forward reference
                raise UndefinedTable(
                    f'relation "{shown}" does not exist', position=node_position(node),
                    detail=f'There is a WITH item named "{name}", but it cannot be referenced from this part of '
                           "the query.",
                    hint="Use WITH RECURSIVE, or re-order the WITH items to remove forward references.")
            raise UndefinedTable(f'relation "{shown}" does not exist', position=node_position(node))
        all_cols = src.columns
        # the query names the columns by their aliases (t(a, b)): judge the columns they stand for
        shown = [col_aliases[i] if i < len(col_aliases) else n for i, (n, _) in enumerate(all_cols)]
        view_owner = object_privileges.check_relation_read(  # 42501 without SELECT (and schema USAGE)
            self.ctx.session, src.kind, src.schema, name,
            [n for (n, _), as_named in zip(all_cols, shown, strict=True) if self.needs(qual, as_named)]
            or [n for n, _ in all_cols[:1]], self.ctx.txn,
            own_scan=bool(node.meta.get("dml_target")) if isinstance(node, exp.Expression) else False)
        if src.kind == "view":
            stmts = parse(src.view_sql)
            view_ast = stmts[0]
            view_ast = getattr(view_ast, "tree", None) or getattr(view_ast, "ast", None) or getattr(
                view_ast, "expression", None) or view_ast
            self.note_refs(view_ast)
            saved = self.ctes
            self.ctes = []
            try:
                reader = object_privileges.checking_user(self.ctx.session) if src.view_options.get(
                    "security_invoker") else view_owner
                with object_privileges.acting_as(reader or "helios"):  # a view reads as its owner
                    # its columns of unknown type ('foo' AS u) are text, as PostgreSQL's views store them
                    op = self.resolve_unknowns(drop_hidden(self.bind_query(view_ast, None)))
            finally:
                self.ctes = saved
            if src.view_columns and not col_aliases:
                col_aliases = src.view_columns[: len(op.fields)]
            return Item(rename(op, qual, col_aliases), {qual})
        if src.kind == "virtual":
            virt = src.virtual
            fields = [Field(n, t, qual) for n, t in src.columns]

            def produce(ctx: Any, _v: Any = virt) -> pa.Table:
                # once per execution: a correlated subquery reading pg_type must not rebuild it per row
                key = ("virtual", id(_v))
                rows = ctx.subquery_cache.get(key)
                if rows is None:
                    with one_model_per_execution(ctx.subquery_cache):
                        rows = ctx.subquery_cache[key] = _v.produce(ctx.session)
                return rows

            # pg_catalog's relations are tables in PostgreSQL (its plans scan them); others are views
            kind = "Seq Scan" if virt.schema == "pg_catalog" else "Function Scan"
            op = TableSource(fields, produce, f"{kind} on {name}")
            if (qual, "tableoid") in self.refs or (None, "tableoid") in self.refs:  # pg_dump reads it

                op = with_tableoid(op, qual, virtual_table_oid(virt.schema, virt.name))
            return Item(rename(op, qual, col_aliases), {qual})
        table = src.table
        foreign_tables.check_scan(self.ctx.txn, table)  # 55000: no wrapper has a handler to read it with
        all_cols = src.columns
        policy = rls_policies.read_filter(self.ctx.session, table, qual)  # row-level security
        if policy is not None:
            self.note_refs(policy)  # the policy's columns are read too
        inherited = inheritance.has_children(table) and not node.args.get("only")
        if partitions.spec(table) is not None or inherited:  # the Append of the partitions / inheritance tree
            op = (inheritance.plan_scan if inherited else partitions.plan_scan)(self, node, src, qual)
            if policy is not None:
                with rls_policies.expanding(table):
                    op = self.push_filter(op, [policy], None)
            if col_aliases:
                return Item(rename(op, qual, col_aliases, all_names=[n for n, _ in all_cols]), {qual})
            return Item(op, {qual})
        aliased = dict(zip([n for n, _ in all_cols], col_aliases, strict=False))  # t(a, b): read under new names
        needed = [(n, t) for n, t in all_cols if self.needs(qual, aliased.get(n, n))]
        wants_ctid = ((qual, "ctid") in self.refs or (None, "ctid") in self.refs) and \
            not any(n == "ctid" for n, _ in all_cols)
        with_rowid = (qual, "_rowid") in self.refs or (None, "_rowid") in self.refs or wants_ctid
        if not needed and all_cols and not with_rowid:
            needed = [all_cols[0]]
        fields = [Field(n, t, qual, relation=(src.schema, name), origin=(src.schema, name, n)) for n, t in needed]
        if with_rowid:
            fields.append(Field("_rowid", T.INT8, qual, hidden=True))
        score = (((qual, index_search.SCORE_COLUMN) in self.refs or (None, index_search.SCORE_COLUMN) in self.refs)
                 and index_search.ranks(self.ctx.txn, src.schema, table))
        if score:
            fields.append(Field(index_search.SCORE_COLUMN, T.FLOAT8, qual, hidden=True))
        as_of = None
        version = node.args.get("version")
        if version is not None:
            as_of = self.compile(version.args.get("expression"), Scope([], outer=None))
        op = L.Scan(fields, src.schema, name, [n for n, _ in needed], with_rowid=with_rowid, alias=qual,
                    as_of=as_of, primary_key=list(getattr(table, "primary_key", []) or []))
        op.key_name = str((getattr(table, "options", None) or {}).get("pk_name") or op.key_name)
        op.score = bool(score)
        op.indexes = usable_indexes(self.ctx, src.schema, name, table)
        op.unique_indexes = one_row_indexes(self.ctx, src.schema, table)
        if policy is not None:  # the policy filters the scan itself; the query's WHERE runs above it
            with rls_policies.expanding(table):
                op = self.push_filter(op, [policy], None)
        if (qual, "tableoid") in self.refs or (None, "tableoid") in self.refs:  # system column

            op = with_tableoid(op, qual, table_oid(table, src.schema, name))
        if wants_ctid:  # system column
            op = with_ctid(op, qual)
        primary_key = list(getattr(table, "primary_key", []) or [])
        if primary_key and not col_aliases:
            self.__dict__.setdefault("pk_of", {})[qual] = primary_key
        if col_aliases:
            return Item(rename(op, qual, col_aliases, all_names=[n for n, _ in all_cols]), {qual})
        return Item(op, {qual})

    def needs(self, qual: str, col: str) -> bool:
        return (self.star_all or qual in self.star_quals or (qual, col) in self.refs or (None, col) in self.refs
                or (None, qual) in self.refs)  # a whole-row reference (row_to_json(t)) reads every column

    def cte_ref(self, cte: CteDef) -> Operator:
        if cte.worktable is not None and cte.planning:
            return cte.worktable
        if cte.op is None:
            stack = self.__dict__.setdefault("cte_stack", [])
            if cte.planning and stack and stack[-1] is not cte and cte.recursive:
                raise FeatureNotSupported("mutual recursion between WITH items is not implemented",
                                          position=position_of(cte.name_node) if cte.name_node is not None else None)
            if cte.planning:
                raise HeliosError(f'recursive reference to query "{cte.name}" must not appear here',
                                  sqlstate="42P19")
            cte.planning = True
            stack.append(cte)
            captured_before = cte.outer.captured if cte.outer is not None else None
            if cte.outer is not None:
                cte.outer.captured = set()
            try:
                if cte.recursive:
                    recursive_form.check(cte.ast, cte.name, is_aggregate_node, cte.name_node)
                if cte.recursive and _references(cte.ast, cte.name) and isinstance(cte.ast, exp.Union):
                    body = self.plan_recursive(cte)
                else:
                    body = self.resolve_unknowns(drop_hidden(self.bind_query(cte.ast, cte.outer)))
            finally:
                cte.planning = False
                stack.pop()
                if cte.outer is not None:
                    cte.correlated = bool(cte.outer.captured)
                    cte.outer.captured = (captured_before or set()) | cte.outer.captured
            if cte.columns:
                width = len([f for f in body.fields if not f.hidden])
                if len(cte.columns) > width:
                    raise HeliosError(f'WITH query "{cte.name}" has {width} columns available but '
                                      f"{len(cte.columns)} columns specified", sqlstate="42P10",
                                      position=position_of(cte.name_node) if cte.name_node is not None else None)
                body = rename(body, cte.name, cte.columns)
            cte.op = L.CommonTable(body, cte.name, per_outer_row=cte.correlated)
        return L.CteScan(cte.op, [Field(f.name, f.type, cte.name) for f in cte.op.fields])

    def plan_recursive(self, cte: CteDef) -> Operator:
        union = cte.ast
        own_with = arg(union, "with")
        if own_with is not None:  # WITH ... a UNION b: its WITH queries are visible to both terms
            union = exp.Union(this=_with_in_front(union.this, own_with), expression=_with_in_front(
                union.expression, own_with), distinct=union.args.get("distinct"))
        anchor = self.resolve_unknowns(drop_hidden(self.bind_query(union.this, cte.outer)))
        names = cte.columns or [f.name for f in anchor.fields]
        wt = WorkTable([Field(n, f.type, cte.name) for n, f in zip(names, anchor.fields, strict=False)], cte.name)
        cte.worktable = wt
        try:
            rec = drop_hidden(self.bind_query(union.expression, cte.outer))
        finally:
            cte.worktable = None
        if len(rec.fields) != len(anchor.fields):
            raise HeliosError("each UNION query must have the same number of columns", sqlstate="42601")
        for i, (a, r) in enumerate(zip(anchor.fields, rec.fields, strict=True)):
            overall = self.result_type([a.type, r.type], "UNION")
            if r.type.name == "unknown":
                continue
            if overall.name == a.type.name and a.type.typmod != -1 and a.type.typmod != r.type.typmod:
                overall = attrs.evolve(overall, typmod=-1)  # numeric(3,0) and numeric(10,0): numeric overall
            if overall.name != a.type.name or overall.typmod != a.type.typmod:
                raise HeliosError(f'recursive query "{cte.name}" column {i + 1} has type {a.type.sql_name()} in '
                                  f"non-recursive term but type {overall.sql_name()} overall", sqlstate="42804",
                                  hint="Cast the output of the non-recursive term to the correct type.",
                                  position=_select_item_position(union.this, i))
        rec = self.cast_op(rec, [f.type for f in anchor.fields])
        distinct = union.args.get("distinct") is not False
        fields = [Field(n, f.type) for n, f in zip(names, anchor.fields, strict=False)]
        return RecursiveUnion(fields, anchor, rec, wt, distinct)

    # ------------------------------------------------------------------ table functions
    def plan_table_function(self, node: exp.Expression, alias: str | None, col_aliases: list[str],
                            outer: Scope | None, ordinality: bool = False,
                            col_types: list[T.SqlType | None] | None = None) -> Item:
        if type(node).__name__ in ("ExplodingGenerateSeries", "GenerateSeries"):
            name = "generate_series"
            args = [a for a in (node.args.get("start"), node.args.get("end"), node.args.get("step")) if a is not None]
        elif isinstance(node, exp.Anonymous):
            name = str(node.this).lower()
            args = list(node.expressions)
        elif isinstance(node, exp.Explode):
            name = "unnest"
            args = [node.this] + list(node.expressions or [])
        else:
            name, args = pg_function_call(node)
        scope = Scope([], outer=outer)
        routines = [] if self.ctx.fn.has_function(name) else planner_calls.lookup(self.ctx, name, len(args))
        if routines:  # CREATE FUNCTION's, in FROM
            try:
                if planner_calls.is_named(args):
                    routines, args = planner_calls.positional(self, routines, args, scope)
                op = planner_calls.table_function(self, routines, [], alias or name, col_aliases, ordinality,
                                                  arg_asts=args, scope=scope)
            except HeliosError as e:  # "function f(...) does not exist" points at the call, as in PostgreSQL
                start = node.meta.get("start") if node.meta else None
                if e.position is None and isinstance(start, int) and e.message.startswith(f"function {name}("):
                    e.position = start + 1
                raise
            return Item(op, {alias or name})
        args = named_arguments.to_positional(name, args)
        qual = alias or name
        compiled = [self.compile(a, scope) for a in args]
        op = FunctionScan.make(self, name, compiled, qual, col_aliases, ordinality=ordinality, col_types=col_types)
        return Item(op, {qual})

    def plan_unnest(self, node: exp.Unnest, alias: str | None, col_aliases: list[str], outer: Scope | None) -> Item:
        scope = Scope([], outer=outer)
        compiled = [self.compile(a, scope) for a in node.expressions]
        qual = alias or "unnest"
        ordinality = bool(node.args.get("offset"))
        names = list(col_aliases)
        if ordinality and isinstance(node.args.get("offset"), exp.Identifier) and len(names) == len(compiled):
            names.append(node.args["offset"].name)
        op = FunctionScan.make(self, "unnest", compiled, qual, names, ordinality=ordinality)
        return Item(op, {qual})

    # =================================================================== GROUP BY
    def plan_aggregate(self, op: Operator, scope: Scope, sel: exp.Select, group: exp.Group | None,
                       sources: list[exp.Expression], aliases: dict[str, exp.Expression], outer: Scope | None
                       ) -> tuple[Operator, Scope]:
        key_asts: list[exp.Expression] = []
        key_index: dict[str, int] = {}
        sets: list[list[int]] | None = None
        exprs = list(sel.expressions)

        def key_of(e: exp.Expression) -> int:
            while isinstance(e, exp.Paren):
                e = e.this
            if isinstance(e, exp.Literal) and not e.is_string:
                pos = int(e.this) - 1
                if not 0 <= pos < len(exprs):
                    raise HeliosError(f"GROUP BY position {pos + 1} is not in select list", sqlstate="42P10")
                e = exprs[pos].this if isinstance(exprs[pos], exp.Alias) else exprs[pos]
            elif isinstance(e, exp.Column) and not e.table and e.name in aliases:
                try:
                    scope.find_local(e.name, None)
                    found = scope.find_local(e.name, None) is not None
                except HeliosError:
                    found = True
                if not found:
                    e = aliases[e.name]
            if contains_aggregate(e):
                raise GroupingError("aggregate functions are not allowed in GROUP BY")
            refuse_window(e, "GROUP BY")
            k = canonical_key(e, scope) or e.sql()
            if k not in key_index:
                key_index[k] = len(key_asts)
                key_asts.append(e)
            return key_index[k]

        if group is not None:
            plain: list[int] = []
            set_lists: list[list[list[int]]] = []
            items = list(group.expressions)
            for key in ("rollup", "cube", "grouping_sets"):
                extra = group.args.get(key)
                if extra:
                    for g in extra if isinstance(extra, list) else [extra]:
                        if isinstance(g, (exp.Rollup, exp.Cube, exp.GroupingSets)):
                            items.append(g)
                        elif key == "rollup":
                            items.append(exp.Rollup(expressions=list(getattr(g, "expressions", []) or [])))
                        elif key == "cube":
                            items.append(exp.Cube(expressions=list(g.expressions)))
                        else:
                            items.append(exp.GroupingSets(expressions=list(g.expressions)))
            for g in items:
                if isinstance(g, (exp.Rollup, exp.Cube, exp.GroupingSets)):
                    set_lists.append(self.grouping_sets_of(g, key_of))
                elif isinstance(g, exp.Tuple) or (isinstance(g, exp.Paren) and isinstance(g.this, exp.Tuple)):
                    plain.extend(self.set_item(g, key_of))  # GROUP BY (a, b): the columns a and b
                else:
                    plain.append(key_of(g))
            if set_lists:
                combos = [list(plain)]
                for sl in set_lists:
                    combos = [c + s for c in combos for s in sl]
                sets = [sorted(set(c), key=c.index) for c in combos]
                if group.args.get("all") is False:  # GROUP BY DISTINCT: each set once
                    seen: set[frozenset[int]] = set()
                    unique = []
                    for s in sets:
                        if frozenset(s) not in seen:
                            seen.add(frozenset(s))
                            unique.append(s)
                    sets = unique
        dependent = self.add_dependent_keys(key_asts, key_index, scope)
        if sets is not None and dependent:
            sets = [s + [k for k, pk in dependent.items() if all(p in s for p in pk)] for s in sets]
        keys = [self.compile(k, scope) for k in key_asts]
        # aggregate calls (unique) and GROUPING() calls
        agg_nodes: list[exp.Expression] = []
        agg_keys: dict[str, int] = {}
        grouping_nodes: list[exp.Expression] = []
        grouping_keys: dict[str, int] = {}
        for src in sources:
            for n in walk_same_level(src):
                if isinstance(n, exp.Grouping):
                    k = canonical_key(n, scope) or n.sql()
                    if k not in grouping_keys:
                        grouping_keys[k] = len(grouping_nodes)
                        grouping_nodes.append(n)
                elif is_aggregate_node(n) and not _inside_agg(n) and self.outer_aggs.get(
                        id(n), (n, "", sel))[2] is sel:
                    k = canonical_key(n, scope) or n.sql()
                    if k not in agg_keys:
                        agg_keys[k] = len(agg_nodes)
                        agg_nodes.append(n)
        specs = [self.agg_spec(n, scope) for n in agg_nodes]
        grouping_calls = []
        for g in grouping_nodes:
            idxs = []
            for e in g.expressions:
                k = canonical_key(e, scope) or e.sql()
                if k not in key_index:
                    raise GroupingError("arguments to GROUPING must be grouping expressions of the associated query level")
                idxs.append(key_index[k])
            grouping_calls.append(idxs)
        fields = [Field(output_name(k), c.type) for k, c in zip(key_asts, keys, strict=True)]
        _refuse_unsortable([f for f in fields if f.type.name != "json"], "equality")
        fields += [Field(s.label or s.name, s.result_type) for s in specs]
        fields += [Field("grouping", T.INT4) for _ in grouping_calls]
        agg_op = L.Aggregate(fields, op, keys, specs, sets, grouping_calls)
        subs = {}
        for k, i in key_index.items():
            subs[k] = i
        for k, j in agg_keys.items():
            subs[k] = len(keys) + j
        for k, j in grouping_keys.items():
            subs[k] = len(keys) + len(specs) + j
        # keys that are plain columns also resolve qualified/unqualified spellings of that column
        new_scope = Scope(fields, outer=outer, substitutions=subs, key_scope=scope, strict_grouping=True)
        return agg_op, new_scope

    def has_own_aggregate(self, node: exp.Expression) -> bool:
        """An aggregate call at this query level that no enclosing query computes."""
        if not self.outer_aggs:
            return contains_aggregate(node)
        return any(is_aggregate_node(n) and id(n) not in self.outer_aggs for n in walk_same_level(node))

    def add_dependent_keys(self, key_asts: list[exp.Expression], key_index: dict[str, int],
                           scope: Scope) -> dict[int, list[int]]:
        """GROUP BY a table's whole primary key makes its other columns functionally dependent
        (PostgreSQL accepts them in the select list): add them as extra keys. Returns each added
        key's index -> the indexes of the primary-key columns it depends on (a grouping set holds
        it when it holds them)."""
        added: dict[int, list[int]] = {}
        pk_of = self.__dict__.get("pk_of") or {}
        if not pk_of:
            return added
        grouped: dict[tuple[str | None, str], int] = {}
        for n, k in enumerate(key_asts):
            if isinstance(k, exp.Column) and not isinstance(k.this, exp.Star):
                try:
                    idx = scope.find_local(k.name, k.table or None)
                except HeliosError:
                    continue
                if idx is not None:
                    f = scope.fields[idx]
                    grouped.setdefault((f.qualifier, f.name), n)
        for qual, pk in pk_of.items():
            if not all((qual, c) in grouped for c in pk):
                continue
            for i, f in enumerate(scope.fields):
                if f.qualifier != qual or f.hidden or (qual, f.name) in grouped:
                    continue
                col = exp.column(f.name, table=qual)
                key = canonical_key(col, scope)
                if key is not None and key not in key_index:
                    key_index[key] = len(key_asts)
                    added[len(key_asts)] = [grouped[(qual, c)] for c in pk]
                    key_asts.append(col)
        return added

    def set_item(self, x: exp.Expression, key_of: Any) -> list[int]:
        """The keys of one grouping set written as an expression, (a, b) or (a, (b, c)) (flattened)."""
        if isinstance(x, exp.Paren) and isinstance(x.this, exp.Tuple):
            x = x.this
        if isinstance(x, exp.Tuple):
            out: list[int] = []
            for e in x.expressions:
                for k in self.set_item(e, key_of):
                    if k not in out:
                        out.append(k)
            return out
        return [key_of(x)]

    def grouping_sets_of(self, g: exp.Expression, key_of: Any) -> list[list[int]]:
        """The grouping sets of ROLLUP (...), CUBE (...) or GROUPING SETS (...), nested ones expanded
        (PostgreSQL's rules: ROLLUP gives its prefixes, CUBE every subset, GROUPING SETS the union)."""
        if isinstance(g, exp.Rollup):
            cols = [self.set_item(x, key_of) for x in g.expressions]
            return [_concat(cols[:i]) for i in range(len(cols), -1, -1)]
        if isinstance(g, exp.Cube):
            cols = [self.set_item(x, key_of) for x in g.expressions]
            n = len(cols)
            return [_concat(cols[i] for i in range(n) if m & (1 << (n - 1 - i))) for m in range((1 << n) - 1, -1, -1)]
        out: list[list[int]] = []
        for x in g.expressions:
            if isinstance(x, (exp.Rollup, exp.Cube, exp.GroupingSets)):
                out.extend(self.grouping_sets_of(x, key_of))
            else:
                out.append(self.set_item(x, key_of))
        return out

    def agg_spec(self, node: exp.Expression, scope: Scope) -> AggSpec:
        """The aggregate call ``node`` compiled; an aggregate inside it is PostgreSQL's 42803."""
        filt = None
        if isinstance(node, exp.Filter):
            w = node.expression
            try:
                filt = self.exprs.as_bool(self.compile(w.this if isinstance(w, exp.Where) else w, scope), "FILTER")
            except GroupingError as e:
                if e.message != AGGREGATE_NOT_ALLOWED:
                    raise
                raise GroupingError("aggregate functions are not allowed in FILTER", position=e.position) from None
            node = node.this
        try:
            return self._agg_call_spec(node, scope, filt)
        except GroupingError as e:
            if e.message != AGGREGATE_NOT_ALLOWED:
                raise
            raise GroupingError("aggregate function calls cannot be nested", position=e.position) from None

    def _agg_call_spec(self, node: exp.Expression, scope: Scope, filt: Compiled | None) -> AggSpec:
        label = None
        order: list[tuple[Compiled, bool, bool | None]] = []
        order_asts: list[exp.Expression] = []
        direct: list[Any] = []
        distinct = False
        if isinstance(node, exp.Dot):  # schema.aggregate(...): CREATE AGGREGATE's
            name = f"{node.this.name}.{str(node.expression.this).lower()}"
            return self._user_agg_spec(node, name, user_aggregate_calls.aggregates_named(name),
                                       list(node.expression.expressions), scope, filt)
        if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.Anonymous) and (
                user := user_aggregate_calls.aggregates_named(_agg_name(node.this))):
            return self._user_agg_spec(node, _agg_name(node.this), user, [], scope, filt)  # an ordered-set one
        if isinstance(node, exp.WithinGroup) and _agg_name(node.this) in HYPOTHETICAL:
            return self._hypothetical_spec(node, scope, filt)
        if isinstance(node, exp.WithinGroup):
            fn = node.this
            name = _agg_name(fn)
            ord_node = node.expression
            items = ord_node.expressions if isinstance(ord_node, exp.Order) else [ord_node]
            args_ast = [items[0].this] if items else []
            for it in items:
                order.append((self.compile(it.this, scope), bool(it.args.get("desc")), _nulls_first(it)))
            if fn.this is not None:
                d = self.compile(fn.this, scope)
                if d.const is None:
                    raise FeatureNotSupported("percentile fraction must be a constant")
                direct.append(d.const.value())
            label = name
        else:
            name = _agg_name(node)
            label = name
            if name in ("percentile_cont", "percentile_disc", "mode", *HYPOTHETICAL):
                start = node.meta.get("start") if node.meta else None
                raise HeliosError(f"WITHIN GROUP is required for ordered-set aggregate {name}", sqlstate="42809",
                                  position=start + 1 if isinstance(start, int) else None)
            user = user_aggregate_calls.aggregates_named(name) if isinstance(node, exp.Anonymous) else []
            if user:  # CREATE AGGREGATE's: (DISTINCT args ORDER BY ...)
                return self._user_agg_spec(node, name, user, list(node.expressions), scope, filt)
            if isinstance(node, exp.Anonymous):
                args_ast = list(node.expressions)
            elif isinstance(node, exp.Count) and isinstance(node.this, exp.Star):
                name = "count_star"
                args_ast = []
            else:
                args_ast = [v for k in ("this", "expression") if (v := node.args.get(k)) is not None]
                if not args_ast and isinstance(node, exp.JSONObjectAgg):  # json_object_agg(k, v)
                    args_ast = list(node.expressions)
                if isinstance(node, exp.GroupConcat):
                    args_ast = [node.this]
                    sep = node.args.get("separator")
                    if sep is not None:
                        s = self.compile(sep, scope)
                        if s.const is not None:  # one delimiter for every row (NULL: none)
                            direct.append(s.const.value())
                        else:  # a parameter or a column: each row's delimiter precedes its value
                            args_ast.append(sep)
            if len(args_ast) > 1 and isinstance(args_ast[-1], exp.Order):  # f(k, v ORDER BY ...)
                o = args_ast[-1]
                args_ast[-1] = o.this
                for it in o.expressions:
                    order.append((self.compile(it.this, scope), bool(it.args.get("desc")), _nulls_first(it)))
                    order_asts.append(it.this)
            if args_ast and isinstance(args_ast[0], exp.Order):
                o = args_ast[0]
                args_ast = [o.this] + args_ast[1:]
                for it in o.expressions:
                    order.append((self.compile(it.this, scope), bool(it.args.get("desc")), _nulls_first(it)))
                    order_asts.append(it.this)
            if args_ast and isinstance(args_ast[0], exp.Distinct):
                distinct = True
                args_ast = list(args_ast[0].expressions) + args_ast[1:]
            if name == "string_agg" and isinstance(node, exp.Anonymous) and len(args_ast) == 2:
                s = self.compile(args_ast[1], scope)
                if s.const is not None:  # one delimiter for every row (NULL: none)
                    direct.append(s.const.value())
                    args_ast = args_ast[:1]
                # else the delimiter is a second argument: each row's precedes its value
        args = [self.compile(a, scope) for a in args_ast]
        if name == "string_agg" and args:
            value = self.exprs.coerce(args[0], T.TEXT) if args[0].type.name in ("unknown",) else args[0]
            args = [value] + [self.exprs.coerce(a, T.BYTEA if value.type.name == "bytea" else T.TEXT)
                              for a in args[1:]]
        if name in ("sum", "avg", "min", "max") and args and args[0].type.name == "unknown":
            args = [self.exprs.coerce(args[0], T.NUMERIC if name in ("sum", "avg") else T.TEXT)]
        if name in TWO_FLOAT_ARGS:  # (double precision, double precision): other numbers cast implicitly
            if len(args) != 2 or any(a.type.name not in ("int2", "int4", "int8", "numeric", "float4", "float8",
                                                         "unknown") for a in args):
                shown = ", ".join(a.type.sql_name() for a in args)
                raise HeliosError(f"function {name}({shown}) does not exist", sqlstate="42883",
                                  hint="No function matches the given name and argument types. "
                                       "You might need to add explicit type casts.")
            args = [self.exprs.coerce(a, T.FLOAT8) for a in args]
        if distinct and order:  # DISTINCT f(x ORDER BY y): y must be one of the arguments
            arg_keys = {canonical_key(a, scope) or a.sql() for a in args_ast}
            for item in order_asts:
                if (canonical_key(item, scope) or item.sql()) not in arg_keys:
                    raise HeliosError("in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
                                      sqlstate="42P10", position=node_position(item))
        if name == "count" and distinct and len(args) > 1:
            raise FeatureNotSupported("count(DISTINCT a, b)")
        if distinct:
            _refuse_unsortable([Field(name, a.type) for a in args], "equality")
        rt = result_type(name, [a.type for a in args])
        if name in ("percentile_cont", "percentile_disc") and direct and isinstance(direct[0], list):
            rt = T.array_of(rt)  # percentile_cont(ARRAY[...]): an array of percentiles
        return AggSpec(name=name, args=args, result_type=rt, distinct=distinct, filter=filt, order=order,
                       direct_args=direct, label=label or name)

    def _hypothetical_spec(self, node: exp.WithinGroup, scope: Scope, filt: Compiled | None) -> AggSpec:
        """rank(v, ...) WITHIN GROUP (ORDER BY c, ...) and dense_rank, percent_rank, cume_dist: the place
        of the hypothetical row (v, ...) among the group's rows (c, ...)."""
        fn = node.this
        name = _agg_name(fn)
        ord_node = node.expression
        items = list(ord_node.expressions) if isinstance(ord_node, exp.Order) else [ord_node]
        direct_asts = list(fn.expressions) if fn.expressions else ([fn.this] if fn.this is not None else [])
        args = [self.compile(it.this if isinstance(it, exp.Ordered) else it, scope) for it in items]
        direct = [self.compile(d, scope) for d in direct_asts]
        if len(direct) != len(args):
            shown = ", ".join(x.type.sql_name() for x in direct + args)
            start = fn.meta.get("start") if fn.meta else None
            raise HeliosError(f"function {name}({shown}) does not exist", sqlstate="42883",
                              position=start + 1 if isinstance(start, int) else None,
                              hint=f"To use the hypothetical-set aggregate {name}, the number of hypothetical "
                                   f"direct arguments (here {len(direct)}) must match the number of ordering "
                                   f"columns (here {len(args)}).")
        values = []
        for d, a in zip(direct, args, strict=True):
            rt = self.exprs.result_type([a.type, d.type], "WITHIN GROUP")
            d = self.exprs.coerce(d, rt)
            if d.const is None:
                raise FeatureNotSupported(f"{name}() WITHIN GROUP with arguments that vary per row")
            values.append(d.const.value())
        dirs = []
        for it in items:
            desc = bool(it.args.get("desc")) if isinstance(it, exp.Ordered) else False
            nf = _nulls_first(it) if isinstance(it, exp.Ordered) else None
            dirs.append((desc, desc if nf is None else nf))
        return AggSpec(name=name, args=args, result_type=result_type(name, [a.type for a in args]), filter=filt,
                       direct_args=[tuple(values), dirs], label=name)

    def _user_agg_spec(self, node: exp.Expression, name: str, candidates: list, args_ast: list[exp.Expression],
                       scope: Scope, filt: Compiled | None) -> AggSpec:
        order: list[tuple[Compiled, bool, bool | None]] = []
        distinct = False
        direct_asts = None
        if isinstance(node, exp.WithinGroup):  # name(direct) WITHIN GROUP (ORDER BY aggregated)
            # PostgreSQL hands the rows to a user-defined ordered-set aggregate unsorted: sorting them
            # is its state function's work (the built-in ones sort in their internal state)
            ord_node = node.expression
            items = list(ord_node.expressions) if isinstance(ord_node, exp.Order) else [ord_node]
            direct_asts = list(node.this.expressions)
            args_ast = [it.this if isinstance(it, exp.Ordered) else it for it in items]
        if args_ast and isinstance(args_ast[-1], exp.Order):
            o = args_ast[-1]
            args_ast[-1] = o.this
            order = [(self.compile(it.this, scope), bool(it.args.get("desc")), _nulls_first(it)) for it in o.expressions]
        if args_ast and isinstance(args_ast[0], exp.Distinct):
            distinct = True
            args_ast = list(args_ast[0].expressions) + args_ast[1:]
        try:
            args, call, rt = user_aggregate_calls.compile_call(self, candidates, args_ast, scope, direct_asts)
        except HeliosError as e:  # "function f(...) does not exist" points at the call, as in PostgreSQL
            start = node.meta.get("start") if node.meta else None
            if e.position is None and isinstance(start, int) and e.sqlstate == "42883":
                e.position = start + 1
            raise
        return AggSpec(name=name, args=args, result_type=rt, distinct=distinct, filter=filt, order=order,
                       label=name.split(".")[-1], user=call)

    # =================================================================== windows
    def plan_windows(self, op: Operator, scope: Scope, windows: list[exp.Window], sel: exp.Select
                     ) -> tuple[Operator, Scope]:
        window, scope = plan_window_operator(self, op, scope, windows, sel)
        return L.Window(window.fields, op, window.specs), scope


# ======================================================================= helpers
def _shown(node: exp.Expression) -> str:
    """An expression as EXPLAIN shows it (lower-case function names where the printer can)."""
    try:
        return expression_sql(node)
    except ValueError:  # nodes the normalizing printer does not know (a prefix operator such as !!)
        return node.sql(dialect="postgres")


def drop_hidden(op: Operator) -> Operator:
    if not any(f.hidden for f in op.fields):
        return op
    keep = [(i, f) for i, f in enumerate(op.fields) if not f.hidden]
    project = basic.Project if isinstance(op, Operator) else L.Project  # a lowered subquery, or a logical node
    return project(op, [column_ref(i, f) for i, f in keep], [Field(f.name, f.type, f.qualifier) for _, f in keep])


def rename(op: Operator, qual: str, col_aliases: list[str], all_names: list[str] | None = None) -> Operator:
    """Requalify an operator's fields under a new alias (and column aliases)."""
    visible = [f for f in op.fields if not f.hidden]
    if len(col_aliases) > len(all_names if all_names is not None else visible):  # all_names: a pruned scan's table
        raise HeliosError(f'table "{qual}" has {len(all_names if all_names is not None else visible)} columns '
                          f'available but {len(col_aliases)} columns '
                          "specified", sqlstate="42P10")
    new_names: dict[int, str] = {}
    if all_names is not None:
        mapping = dict(zip(all_names, col_aliases, strict=False))
        for i, f in enumerate(op.fields):
            if f.name in mapping:
                new_names[i] = mapping[f.name]
    else:
        vi = 0
        for i, f in enumerate(op.fields):
            if f.hidden:
                continue
            if vi < len(col_aliases):
                new_names[i] = col_aliases[vi]
            vi += 1
    op.fields = [Field(new_names.get(i, f.name), f.type, qual, f.hidden) for i, f in enumerate(op.fields)]
    return op


def _srf_kind(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Explode) or (isinstance(node, exp.Anonymous) and str(node.this).lower() == "unnest"):
        return "unnest"
    if type(node).__name__ in ("ExplodingGenerateSeries", "GenerateSeries") or (
            isinstance(node, exp.Anonymous) and str(node.this).lower() == "generate_series"):
        return "generate_series"
    return None


def rewrite_select_list_srfs(sel: exp.Select) -> exp.Select | None:
    """SELECT unnest(a), generate_series(1, n) ... -> the same set-returning calls as LATERAL
    FROM items (PostgreSQL runs select-list SRFs per input row; several unnests go in lockstep)."""
    found = []
    for i, e in enumerate(sel.expressions):
        inner = e.this if isinstance(e, exp.Alias) else e
        kind = _srf_kind(inner)
        if kind is not None:
            found.append((i, kind, inner))
    if not found or arg(sel, "group") is not None or any(contains_aggregate(e) for e in sel.expressions):
        return None
    if len(found) > 1 and any(k != "unnest" for _, k, _ in found):
        return None
    sel = sel.copy()
    name = "__srf"
    if found[0][1] == "unnest":
        args: list[exp.Expression] = []
        for _, _, node in found:
            args.extend([node.this] + list(node.expressions or []) if isinstance(node, exp.Explode)
                        else list(node.expressions))
        cols = [f"{name}{k}" for k in range(len(args))]
        item: exp.Expression = exp.Unnest(
            expressions=[a.copy() for a in args],
            alias=exp.TableAlias(this=exp.to_identifier(name), columns=[exp.to_identifier(c) for c in cols]))
        targets = []
        pos = 0
        for _, _, node in found:
            n_args = 1 + len(node.expressions or []) if isinstance(node, exp.Explode) else len(node.expressions)
            targets.append(cols[pos])
            pos += n_args
    else:
        node = found[0][2]
        item = exp.Table(this=node.copy(), alias=exp.TableAlias(this=exp.to_identifier(name),
                                                                 columns=[exp.to_identifier(f"{name}0")]))
        targets = [f"{name}0"]
    exprs = list(sel.expressions)
    for (i, kind, _node), col in zip(found, targets, strict=True):
        original = exprs[i]
        out_name = original.alias if isinstance(original, exp.Alias) else kind
        exprs[i] = exp.alias_(exp.column(col, table=name), out_name)
    sel.set("expressions", exprs)
    from_ = arg(sel, "from")
    if from_ is None:
        sel.set("from_" if "from_" in exp.Select.arg_types else "from", exp.From(this=item))
    else:
        joins = list(sel.args.get("joins") or [])
        joins.append(exp.Join(this=item))
        sel.set("joins", joins)
    return sel


def _star_column(scope: Scope, name: str, star: exp.Expression) -> exp.Expression:
    """The column a ``*`` or ``t.*`` expanded to, as a reference ORDER BY and DISTINCT ON can match."""
    qual = star.table if isinstance(star, exp.Column) else None
    if qual is None:
        hits = [f.qualifier for f in scope.fields if f.name == name and not f.hidden]
        qual = hits[0] if len(hits) == 1 else None
    return exp.column(name, table=qual, quoted=True) if qual else exp.column(name, quoted=True)


def order_conjuncts(terms: list[exp.Expression]) -> list[exp.Expression]:
    """Cheap, usually selective terms first (column vs constant), subqueries last."""
    def rank(t: exp.Expression) -> int:
        if t.find(exp.Subquery, exp.Select, exp.Exists) is not None:
            return 3
        inner = t.this if isinstance(t, exp.Paren) else t
        if isinstance(inner, (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Between, exp.Is)):
            cols = list(inner.find_all(exp.Column))
            if len(cols) == 1 and inner.find(exp.Func) is None:
                return 0
            return 1
        return 2

    return sorted(terms, key=rank)


def _concat(lists: Any) -> list[int]:
    out: list[int] = []
    for x in lists:
        out.extend(x)
    return out


def _is_inner(j: exp.Join) -> bool:
    side = str(j.args.get("side") or "").upper()
    kind = str(j.args.get("kind") or "").upper()
    return side == "" and kind in ("", "INNER", "CROSS")


def _is_lateral(j: exp.Join) -> bool:
    return isinstance(j.this, exp.Lateral)


def _is_function_item(node: exp.Expression) -> bool:
    if isinstance(node, exp.Table) and isinstance(node.this, (exp.Func, exp.Anonymous)):
        return True
    return isinstance(node, (exp.Unnest, exp.Func, exp.Anonymous))


def _from_item_names(sel: exp.Select) -> set[str]:
    """The names of a query's FROM items, those inside joins and aliased joins included (not the
    FROM items of its subqueries)."""
    out: set[str] = set()
    stack: list[exp.Expression] = []
    frm = arg(sel, "from")
    if frm is not None:
        stack.append(frm.this)
        stack.extend(frm.expressions or [])
    stack.extend(j.this for j in sel.args.get("joins") or [])
    while stack:
        it = stack.pop()
        if isinstance(it, exp.Table):
            out.add(it.alias_or_name)
        elif isinstance(it, exp.Subquery) and not isinstance(it.this, (exp.Select, exp.Union, exp.Intersect,
                                                                        exp.Except, exp.Values)):
            if it.alias:
                out.add(it.alias)
            stack.append(it.this)  # a parenthesized join
        elif isinstance(it, (exp.Subquery, exp.Values, exp.Lateral, exp.Unnest)):
            if it.alias:
                out.add(it.alias)
        elif isinstance(it, exp.Join):
            stack.append(it.this)
        if isinstance(it, exp.Expression) and not isinstance(it, exp.Join):
            stack.extend(j.this for j in it.args.get("joins") or [])
    return out


# calls whose every evaluation differs: computed after ORDER BY / LIMIT (see _plan_select)
_VOLATILE_CALLS = {"random", "nextval", "setval", "clock_timestamp", "timeofday", "gen_random_uuid",
                   "uuid_generate_v4", "random_normal", "pg_sleep", "set_config"}


def _limit_plus_offset(v: list[Vec]) -> Vec:
    """LIMIT + OFFSET (a negative OFFSET counts as 0: the outer Limit reports it)."""
    lim, off = v
    total = pc.add(lim.array.cast(pa.int64()), pc.max_element_wise(off.array.cast(pa.int64()), 0))
    return Vec(total, T.INT8, lim.scalar and off.scalar)


def _is_grouping_call(e: exp.Expression) -> bool:
    return isinstance(e, exp.Grouping)


def _volatile_call(e: exp.Expression) -> bool:
    for n in walk_same_level(e):
        if isinstance(n, exp.Rand):
            return True
        if isinstance(n, exp.Func):
            name = str(n.this).lower() if isinstance(n, exp.Anonymous) else (
                n.meta.get("pg_name") if n._meta else None) or type(n).__name__.lower()
            if str(name).lower() in _VOLATILE_CALLS:
                return True
    return False


def set_returning_in(exprs: list[exp.Expression]) -> bool:
    """A set-returning call in any of the expressions (at their own query level)."""
    return any(set_returning.srf_name(n) is not None for e in exprs for n in walk_same_level(e))


def _is_quantified(e: exp.Expression) -> bool:
    return isinstance(e, (exp.Any, exp.All)) or (
        isinstance(e, exp.Anonymous) and str(e.this).lower() in ("any", "all", "some"))


def _is_equi(c: exp.Expression) -> bool:
    while isinstance(c, exp.Paren):
        c = c.this
    return isinstance(c, exp.EQ) and not _is_quantified(c.expression) and not _is_quantified(c.this)


def _has_col(fields: list[Field], name: str, qual: str | None) -> bool:
    return any(f.name == name and (qual is None or f.qualifier == qual) for f in fields)


def _side(e: exp.Expression, lscope: Scope, rscope: Scope) -> str | None:
    sides = set()
    for col in e.find_all(exp.Column):
        name, qual = col.name, col.table or None
        in_l = _has_col(lscope.fields, name, qual)
        in_r = _has_col(rscope.fields, name, qual)
        if qual is None and not in_l and not in_r:  # a whole-row reference: the side of that FROM item
            in_l, in_r = lscope.has_qualifier(name), rscope.has_qualifier(name)
        if in_l and in_r:
            return None
        if in_l:
            sides.add("l")
        elif in_r:
            sides.add("r")
    if len(sides) != 1:
        return None
    return sides.pop()


def _nulls_first(o: exp.Ordered) -> bool | None:
    nf = o.args.get("nulls_first")
    if nf is None:
        return None
    return bool(nf)


def _references(ast: exp.Expression, name: str) -> bool:
    return any(t.name == name and not t.db for t in ast.find_all(exp.Table))


def _inside_agg(n: exp.Expression) -> bool:
    p = n.parent
    while p is not None:
        if is_aggregate_node(p):
            return True
        if isinstance(p, (exp.Select, exp.Subquery)):
            return False
        p = p.parent
    return False


def _pushable_type(t: T.SqlType) -> bool:
    return t.name in ("int2", "int4", "int8", "float4", "float8", "text", "varchar", "date", "timestamp",
                      "timestamptz", "bool", "numeric", "uuid", "name")


_INT_WIDTHS = {"int2": 2, "int4": 4, "int8": 8}


def _wider_integer_parameter(val: Any, column_type: T.SqlType) -> bool:
    """A parameter declared as an integer type wider than the integer column it is compared with."""
    return val.param is not None and column_type.domain is None and \
        _INT_WIDTHS.get(val.type.name, 0) > _INT_WIDTHS.get(column_type.name, 8)


def _same_family(a: T.SqlType, b: T.SqlType) -> bool:
    ints = {"int2", "int4", "int8"}
    texts = {"text", "varchar", "name"}
    if a.name in ints and b.name in ints:
        return True
    if a.name in texts and b.name in texts:
        return True
    return a.name == b.name


# types PostgreSQL gives no btree operator class: json and the geometric types
_UNSORTABLE = frozenset({"json", "point", "lseg", "line", "box", "path", "polygon", "circle"})


def _refuse_unsortable(fields: list[Field], kind: str) -> None:
    """ORDER BY, DISTINCT or GROUP BY over a type without a btree operator class in PostgreSQL
    (json, point, box...) is 42883, as there."""
    for f in fields:
        if f.type.name in _UNSORTABLE:
            raise HeliosError(f"could not identify an {kind} operator for type {f.type.name}", sqlstate="42883",
                              hint="Use an explicit ordering operator or modify the query." if kind == "ordering"
                              else None)


def _agg_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        n = str(node.this).lower()
    else:
        n = {"Count": "count", "Sum": "sum", "Avg": "avg", "Min": "min", "Max": "max",
             "LogicalAnd": "bool_and", "LogicalOr": "bool_or", "GroupConcat": "string_agg",
             "ArrayAgg": "array_agg", "JSONArrayAgg": "json_agg", "JSONBObjectAgg": "jsonb_object_agg",
             "JSONObjectAgg": "json_object_agg", "Stddev": "stddev_samp", "StddevSamp": "stddev_samp",
             "StddevPop": "stddev_pop", "Variance": "var_samp", "VariancePop": "var_pop",
             "PercentileCont": "percentile_cont", "PercentileDisc": "percentile_disc", "Mode": "mode",
             "AnyValue": "any_value", "BitwiseAndAgg": "bit_and", "BitwiseOrAgg": "bit_or",
             "Corr": "corr", "CovarPop": "covar_pop", "CovarSamp": "covar_samp", "BitwiseXorAgg": "bit_xor",
             "RegrCount": "regr_count", "RegrSxx": "regr_sxx", "RegrSyy": "regr_syy", "RegrSxy": "regr_sxy",
             "RegrAvgx": "regr_avgx", "RegrAvgy": "regr_avgy", "RegrR2": "regr_r2", "RegrSlope": "regr_slope",
             "RegrIntercept": "regr_intercept", "DenseRank": "dense_rank", "PercentRank": "percent_rank",
             "CumeDist": "cume_dist"}.get(type(node).__name__)
        if n is None:
            n = type(node).__name__.lower()
    return CANONICAL.get(n, n)


_NAME_OF = {
    "AtTimeZone": "timezone", "Count": "count", "Sum": "sum", "Avg": "avg", "Min": "min", "Max": "max", "Coalesce": "coalesce",
    "Case": "case", "Nullif": "nullif", "Greatest": "greatest", "Least": "least", "Exists": "exists",
    "Array": "array", "CurrentTimestamp": "now", "CurrentDate": "current_date", "CurrentTime": "current_time",
    "Localtimestamp": "localtimestamp", "Extract": "extract", "Interval": "interval", "GroupConcat": "string_agg",
    "ArrayAgg": "array_agg", "LogicalAnd": "bool_and", "LogicalOr": "bool_or", "If": "case",
    "JSONArrayAgg": "json_agg", "RowNumber": "row_number", "CurrentUser": "current_user",
    "Rank": "rank", "DenseRank": "dense_rank", "PercentRank": "percent_rank", "CumeDist": "cume_dist",
    "Ntile": "ntile", "Lag": "lag", "Lead": "lead", "FirstValue": "first_value", "LastValue": "last_value",
    "NthValue": "nth_value", "Stddev": "stddev", "StddevSamp": "stddev_samp", "StddevPop": "stddev_pop",
    "Variance": "variance", "VariancePop": "var_pop", "PercentileCont": "percentile_cont",
    "PercentileDisc": "percentile_disc", "Mode": "mode", "JSONBObjectAgg": "jsonb_object_agg",
    "Grouping": "grouping", "Abs": "abs", "Upper": "upper", "Lower": "lower", "Length": "length",
    "Round": "round", "Substring": "substring", "Trim": "btrim", "StrPosition": "position",
}


def _strong_name(e: exp.Expression | None) -> str | None:
    """The name an expression gives a column when it is a name of its own (a column, a call, a
    subquery's column), not a type name or ?column? (PostgreSQL's FigureColname strength 2)."""
    while isinstance(e, exp.Paren):
        e = e.this
    if e is None or isinstance(e, (exp.Case, exp.Literal, exp.Null, exp.Boolean)):
        return None
    if isinstance(e, exp.Cast):
        return _strong_name(e.this)
    n = output_name(e)
    return None if n == "?column?" else n


def output_name(e: exp.Expression) -> str:
    """The column name PostgreSQL gives an unaliased select expression."""
    while isinstance(e, exp.Paren):
        e = e.this
    if isinstance(e, exp.Column):
        return e.name
    if isinstance(e, exp.Cast):
        inner = e.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        n = output_name(inner)
        if n != "?column?" and not (isinstance(inner, exp.Cast) and _cast_named_by_type(inner)):
            return n  # PG: a cast of a cast labelled by its type takes the outer type ('1'::text::int -> int4)
        try:
            t = T.type_from_sqlglot(e.args["to"])
            if t.domain is not None:  # a domain: its own name
                return t.domain.name
            return t.element.name if t.element is not None else t.name  # '{1}'::int[] -> int4
        except HeliosError:
            return "?column?"
    if isinstance(e, exp.Window | exp.Collate):  # x COLLATE "C" is named as x is
        return output_name(e.this)
    if isinstance(e, exp.Dot) and isinstance(e.expression, exp.Anonymous):  # schema.f(...) is named f
        return str(e.expression.this).lower()
    if isinstance(e, exp.Dot) and isinstance(e.expression, exp.Identifier):  # (x).field is named field
        return e.expression.name
    if isinstance(e, exp.Filter):
        return output_name(e.this)
    if isinstance(e, exp.WithinGroup):
        return output_name(e.this)
    if isinstance(e, exp.Case):  # named after its ELSE result when that has a name of its own
        return _strong_name(e.args.get("default")) or "case"
    if isinstance(e, (exp.Subquery,)):
        q = e.this
        while isinstance(q, (exp.Subquery, exp.Paren)):
            q = q.this
        if isinstance(q, exp.Select) and len(q.expressions) == 1:
            x = q.expressions[0]
            return x.alias if isinstance(x, exp.Alias) else output_name(x)
        return "?column?"
    if isinstance(e, exp.Bracket):
        return output_name(e.this)
    if isinstance(e, exp.Tuple):
        return "row"  # (1, 'a') is ROW(1, 'a')
    if isinstance(e, exp.Boolean):
        return "bool"
    if isinstance(e, exp.Anonymous):
        return str(e.this).lower()
    if isinstance(e, exp.Extract) and e.meta.get("extract") is False:
        return "date_part"
    written = e.meta.get("pg_name") if e._meta else None  # (meta is made on first access)
    if written:  # a call is named as written: substr(...) -> substr, mod(...) -> mod
        return str(written).lower()
    k = type(e).__name__
    if k in _NAME_OF:
        return _NAME_OF[k]
    if isinstance(e, exp.AggFunc):
        return _agg_name(e)
    if isinstance(e, exp.Func) and not isinstance(e, (exp.Binary, exp.Unary, exp.Connector)):
        try:
            return pg_function_call(e)[0]
        except Exception:  # noqa: BLE001
            return "?column?"
    return "?column?"


def _cast_named_by_type(e: exp.Cast) -> bool:
    """True when a cast's label comes from its type (its operand names nothing), as PG's FigureColname."""
    inner = e.this
    while isinstance(inner, (exp.Paren, exp.Cast)):
        inner = inner.this
    return output_name(inner) == "?column?"
