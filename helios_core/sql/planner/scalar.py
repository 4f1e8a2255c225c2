"""Binding and compiling scalar expressions (the expression half of the Builder).

Every sqlglot node becomes a ``Compiled`` whose ``fn(batch, ctx)`` returns a Vec. Operators,
functions and casts are delegated to helios_core.sql.functions (PostgreSQL semantics live
there); this module owns what needs plan knowledge: names, three-valued logic, CASE and
friends, IN lists, subqueries, parameters and constant folding.
"""

from __future__ import annotations

import decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core import plugin_extensions
from helios_core.errors import (
    DatatypeMismatch,
    FeatureNotSupported,
    HeliosError,
    SyntaxError_,
    UndefinedColumn,
    UndefinedFunction,
    UndefinedObject,
)
from helios_core.sql import index_search
from helios_core.sql import types as T
from helios_core.sql.collations import check_collatable, check_collation
from helios_core.sql.expr import (
    CardinalityViolation,
    Compiled,
    Field,
    GroupingError,
    Scope,
    canonical_key,
    column_ref,
    const_vec,
    make_const,
    numeric_literal_vec,
    outer_ref,
)
from helios_core.sql.extensions import catalog as extensions_catalog
from helios_core.sql.extensions import citext, pg_trgm
from helios_core.sql.functions import array_subscripts as subs
from helios_core.sql.functions import bitstring, is_volatile, like_prefilter, patterns
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.array_dims import check_rectangular, flatten_rows, from_rows
from helios_core.sql.functions.arrays import stack_subarrays
from helios_core.sql.functions.interval_input import interval_qualifier, parse_interval_value
from helios_core.sql.functions.ranges import range_constructor
from helios_core.sql.functions.vec import Vec, length_of
from helios_core.sql.geometric import dispatch as geometric
from helios_core.sql.object_privileges import check_execute
from helios_core.sql.planner import column_compare, named_arguments, row_compare, variadic_arguments
from helios_core.sql.routines import planner_calls
from helios_core.sql.user_aggregates import calls as user_aggregate_calls

# PostgreSQL's functions named after a numeric type that do its casts (float8(int8) ...): the
# argument types each takes; a quoted literal is cast too, as PostgreSQL makes typename('...') a cast
CAST_FUNCTIONS = {
    "int2": {"int4", "int8", "float4", "float8", "numeric"},
    "int4": {"int2", "int8", "float4", "float8", "numeric", "bool", "char"},
    "int8": {"int2", "int4", "float4", "float8", "numeric", "oid"},
    "float4": {"int2", "int4", "int8", "float8", "numeric"},
    "float8": {"int2", "int4", "int8", "float4", "numeric"},
    "inet": {"cidr", "text", "varchar", "bpchar"},
    "cidr": {"inet", "text", "varchar", "bpchar"},
    "macaddr": {"macaddr8"},
    "macaddr8": {"macaddr"},
}  # numeric(x) is not among them: PostgreSQL's grammar reads numeric(...) as the type's modifier

# the message of an aggregate call where none may be (callers reword it for their clause)
AGGREGATE_NOT_ALLOWED = "aggregate functions are not allowed here"

BINARY_OPS: dict[type, str] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Div: "/",
    exp.Mod: "%",
    exp.Pow: "^",
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.DPipe: "||",
    exp.BitwiseAnd: "&",
    exp.BitwiseOr: "|",
    exp.BitwiseXor: "#",
    exp.BitwiseLeftShift: "<<",
    exp.BitwiseRightShift: ">>",
    exp.RegexpLike: "~",
    exp.RegexpILike: "~*",
    exp.ArrayContainsAll: "@>",
    exp.ArrayContainedBy: "<@",
    exp.ArrayOverlaps: "&&",
    exp.JSONBContainsTopKey: "?",
    exp.JSONBContainsAnyTopKeys: "?|",
    exp.JSONBContainsAllTopKeys: "?&",
    exp.JSONBExtract: "#>",
    exp.JSONBExtractScalar: "#>>",
    exp.JSONBPathExists: "@?",
}
for _name, _op in (("JSONBContains", "@>"), ("IntDiv", "/"), ("Adjacent", "-|-"), ("Distance", "<->"),
                     ("ExtendsLeft", "&<"), ("ExtendsRight", "&>")):
    if hasattr(exp, _name):
        BINARY_OPS.setdefault(getattr(exp, _name), _op)

COMPARISONS = {"=", "<>", "<", "<=", ">", ">="}
# operators that return NULL for a NULL operand (folded at plan time when one is a NULL literal)
STRICT_OPS = COMPARISONS | {"+", "-", "*", "/", "%", "^", "&", "|", "#", "<<", ">>", "~", "~*"}
STRICT_FUNCTIONS = {
    "abs", "round", "trunc", "ceil", "ceiling", "floor", "sqrt", "cbrt", "power", "mod", "exp", "ln", "log",
    "sign", "length", "char_length", "octet_length", "upper", "lower", "substr", "substring", "strpos",
    "replace", "left", "right", "lpad", "rpad", "btrim", "ltrim", "rtrim", "repeat", "reverse", "initcap",
    "md5", "date_trunc", "date_part", "extract", "to_char", "split_part", "chr", "ascii", "make_date",
}

# constructs PostgreSQL names in "<construct> types X and Y cannot be matched"
# schemas whose functions are built in rather than catalog entries (a plugin's live under its name)
_SYSTEM_SCHEMAS = {"pg_catalog", "information_schema", "heliosdb", "helios", "timescaledb_information"}
_MATCHED_CONTEXTS = {"VALUES", "CASE", "WITHIN GROUP", "COALESCE", "GREATEST", "LEAST", "ARRAY", "UNION", "INTERSECT", "EXCEPT",
                     "JOIN/USING"}

# functions whose value changes per call or per statement: never folded at plan time
NOT_FOLDABLE = {
    "now", "current_timestamp", "current_date", "current_time", "localtimestamp", "localtime",
    "random", "nextval", "currval", "setval", "lastval", "clock_timestamp", "statement_timestamp",
    "transaction_timestamp", "timeofday", "gen_random_uuid", "uuid_generate_v4", "txid_current",
    "txid_current_if_assigned", "uuid_generate_v1", "uuid_generate_v1mc", "gen_salt", "gen_random_bytes",
    "pg_backend_pid", "current_setting", "set_config", "current_user", "session_user", "user",
    "current_schema", "current_database", "version", "pg_sleep", "random_normal", "setseed",
    "current_catalog", "current_role", "inet_server_port", "inet_server_addr", "inet_client_port",
    "inet_client_addr", "pg_current_xact_id",
    "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared",
    "pg_advisory_unlock", "pg_advisory_unlock_shared", "pg_advisory_unlock_all",
    "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared", "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared",
    "heliosdb.restore_branch",
    # side effects: planning (EXPLAIN, a what-if plan) must not run them
    "pg_stat_statements_reset", "pg_cancel_backend", "pg_terminate_backend", "pg_notify",
}

# volatile functions that give a new value for every row they are evaluated on
# functions whose arguments (from the given position on) are declared "any": an untyped
# parameter passed there gets no type from the call, and PostgreSQL refuses the statement with
# 42P18 unless something else types it (Builder.any_params, checked where parameters are typed)
ANY_ARGUMENTS_FROM = {"concat": 0, "concat_ws": 1, "format": 1, "num_nulls": 0, "num_nonnulls": 0,
                      "pg_typeof": 0, "pg_column_size": 0, "json_build_object": 0, "json_build_array": 0,
                      "jsonb_build_object": 0, "jsonb_build_array": 0}
PER_ROW_VOLATILE = {"random", "gen_random_uuid", "uuid_generate_v4", "random_normal", "clock_timestamp",
                    "timeofday", "uuid_generate_v1", "uuid_generate_v1mc", "gen_random_bytes", "gen_salt",
                    "nextval"}


def _per_row(name: str, fns: list, compute, b: pa.RecordBatch, ctx: Any) -> Vec:
    """Evaluate a volatile call once per row of ``b``: random() draws a whole column with numpy;
    the rarer others (uuids, clock readings) are called row by row, as PostgreSQL calls them."""
    n = b.num_rows
    if name == "random" and not fns:
        import numpy as np

        return Vec(pa.array(np.random.default_rng().random(n)), T.FLOAT8, False)
    if n == 0:
        return compute([f(b, ctx) for f in fns])
    if name == "nextval":  # one value per row, in row order: the function takes a whole column
        return compute([f(b, ctx).broadcast(n) for f in fns])
    parts = [compute([f(b.slice(i, 1), ctx) for f in fns]).broadcast(1) for i in range(n)]
    return Vec(pa.concat_arrays([p.array for p in parts]), parts[0].type, False)


AGGREGATE_NAMES = {
    "count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "string_agg", "array_agg",
    "jsonb_agg", "json_agg", "jsonb_object_agg", "json_object_agg", "stddev", "stddev_samp",
    "stddev_pop", "variance", "var_samp", "var_pop", "percentile_cont", "percentile_disc", "mode",
    "bit_and", "bit_or", "bit_xor", "corr", "covar_pop", "covar_samp", "regr_count", "regr_sxx", "regr_syy",
    "regr_sxy", "regr_avgx", "regr_avgy", "regr_r2", "regr_slope", "regr_intercept", "any_value",
    "range_agg", "range_intersect_agg",
}

AGG_NODE_TYPES: tuple[type, ...] = tuple(
    getattr(exp, n)
    for n in (
        "Count", "Sum", "Avg", "Min", "Max", "LogicalAnd", "LogicalOr", "GroupConcat", "ArrayAgg",
        "JSONArrayAgg", "JSONBObjectAgg", "JSONObjectAgg", "Stddev", "StddevSamp", "StddevPop",
        "Variance", "VariancePop", "PercentileCont", "PercentileDisc", "Mode", "AnyValue",
        "BitwiseAndAgg", "BitwiseOrAgg", "BitwiseXorAgg", "Corr", "CovarPop", "CovarSamp", "WithinGroup",
        "RegrCount", "RegrSxx", "RegrSyy", "RegrSxy", "RegrAvgx", "RegrAvgy", "RegrR2", "RegrSlope",
        "RegrIntercept",
    )
    if hasattr(exp, n)
)


def is_aggregate_node(node: exp.Expression) -> bool:
    """True for an aggregate call (not an OVER window call)."""
    if isinstance(node, exp.Window):
        return False
    if isinstance(node, exp.Filter):
        return not _is_window_fn(node) and is_aggregate_node(node.this)
    if isinstance(node, AGG_NODE_TYPES) or (
            isinstance(node, exp.Anonymous) and str(node.this).lower() in AGGREGATE_NAMES):
        return not _is_window_fn(node)
    if isinstance(node, (exp.Anonymous, *_PLUGIN_AGG_NODES)) and _plugin_aggregate_call(node):
        return not _is_window_fn(node)
    if isinstance(node, exp.Anonymous) and user_aggregate_calls.is_user_aggregate(str(node.this).lower()):
        return not _is_window_fn(node)  # CREATE AGGREGATE's
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Anonymous) and isinstance(
            node.this, exp.Identifier) and user_aggregate_calls.is_user_aggregate(
            f"{node.this.name}.{str(node.expression.this).lower()}"):
        return not _is_window_fn(node)  # schema.aggregate(...)
    return False


# first(v, t) and last(v, t) parse to these nodes; they are aggregates when a plugin adds them
_PLUGIN_AGG_NODES: tuple[type, ...] = (exp.First, exp.Last)


def _plugin_aggregate_call(node: exp.Expression) -> bool:
    """A call of an aggregate added by a plugin (``helios_sql_aggregates``)."""
    name = str(node.this).lower() if isinstance(node, exp.Anonymous) else type(node).__name__.lower()
    return plugin_extensions.aggregate(name) is not None


def _is_window_fn(node: exp.Expression) -> bool:
    """node is the function of an OVER clause (possibly under FILTER)."""
    p = node.parent
    if isinstance(p, exp.Filter) and p.this is node:
        node, p = p, p.parent
    return isinstance(p, exp.Window) and p.this is node


def contains_aggregate(node: exp.Expression) -> bool:
    """An aggregate call at this query level (not inside subqueries or OVER)."""
    for n in walk_same_level(node):
        if is_aggregate_node(n):
            return True
    return False


def values_as_subqueries(ast: exp.Expression) -> None:
    """``x IN (VALUES ...)`` and ``x op ANY/ALL (VALUES ...)`` rewritten in place to read a subquery
    over that VALUES (which every later step, semi joins included, knows how to plan)."""
    for node in list(ast.find_all(exp.In, exp.Any, exp.All)):
        if isinstance(node, exp.In):
            if node.args.get("query") is None and len(node.expressions) == 1 and isinstance(
                    node.expressions[0], exp.Values):
                node.set("query", _values_query(node.expressions[0]))
                node.set("expressions", [])
            continue
        inner = node.this.this if isinstance(node.this, exp.Subquery) else node.this
        if isinstance(inner, exp.Values) and not inner.alias:
            node.set("this", _values_query(inner))


def _values_query(values: exp.Values) -> exp.Subquery:
    """``VALUES (...), (...)`` written where a subquery goes (IN, ANY/ALL): SELECT * FROM that VALUES."""
    v = values.copy()
    v.set("alias", exp.TableAlias(this=exp.to_identifier("__values")))
    return exp.Subquery(this=exp.Select(expressions=[exp.Star()]).from_(v))


def walk_same_level(node: exp.Expression):
    """Nodes of an expression without descending into subqueries."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (exp.Subquery, exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Exists)) and n is not node:
            continue
        if isinstance(n, exp.Expression):
            for child in n.iter_expressions():
                if isinstance(child, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
                    continue
                stack.append(child)


def _fn(ctx_fn: Any, name: str) -> Any:
    f = getattr(ctx_fn, name, None)
    if f is None:
        raise FeatureNotSupported(f"scalar function layer has no {name}()")
    return f


def _reference(s: Scope, idx: int, depth: int, chain: list[Scope]) -> Compiled:
    """Field ``idx`` of scope ``s``, found ``depth`` levels out through ``chain``: a plain column here,
    else an outer reference that each scope in between and ``s`` itself record as captured."""
    if depth == 0:
        return column_ref(idx, s.fields[idx])
    for mid in chain[1:]:
        mid.captured.add(None)
    s.captured.add(idx)
    return outer_ref(depth, idx, s.fields[idx])


class ScalarCompiler:
    """Binds and compiles expressions for one statement.

    It is held by the planner (``planner.exprs``), not inherited from: the planner plans the
    queries an expression contains (``planner.plan_subquery``) and the compiler shares its
    list of parameter types, so ``$n`` gets one type across the statement.
    """

    def __init__(self, ctx: Any, planner: Any) -> None:
        self.ctx = ctx
        self.planner = planner
        self.param_types: list[Any] = planner.param_types

    def pure(self, node: exp.Expression) -> bool:
        memo = self.__dict__.setdefault("_pure_memo", {})
        key = id(node)
        hit = memo.get(key)
        if hit is None or hit[0] is not node:
            ok = _pure_here(node) and all(self.pure(c) for c in node.iter_expressions())
            hit = (node, ok)
            memo[key] = hit
        return hit[1]

    @property
    def cse_memo(self) -> dict:
        memo = self.__dict__.get("_cse_memo")
        if memo is None:
            memo = self.__dict__["_cse_memo"] = {}
        return memo

    # ------------------------------------------------------------------ function layer
    @property
    def F(self) -> Any:
        return self.ctx.fn

    def binop(self, op: str, left: Vec, right: Vec) -> Vec:
        if op in ("+", "-", "*") and self.ctx.functions is None:
            from helios_core.sql.planner.decimal_fast import fast_decimal_op

            fast = fast_decimal_op(op, left, right)
            if fast is not None:
                return fast
        return self.F.binary_op(op, left, right)

    def cast_vec(self, v: Vec, t: T.SqlType, context: str = "explicit") -> Vec:
        if v.type == t and v.type.name not in ("numeric", "bpchar", "varchar") and (
                t.domain is None or v.type.domain == t.domain):
            return v
        return self.F.cast(v, t, context=context)

    def common_type(self, types: list[T.SqlType]) -> T.SqlType:
        return self.F.common_type(types)

    # ------------------------------------------------------------------ entry point
    def compile(self, node: exp.Expression, scope: Scope) -> Compiled:
        outer_aggs = getattr(self.planner, "outer_aggs", None)
        lifted = outer_aggs.get(id(node)) if outer_aggs else None
        if lifted is not None and lifted[0] is node:
            return self.enclosing_aggregate(lifted[1], scope)
        if scope.substitutions and not isinstance(node, (exp.Literal, exp.Null, exp.Boolean)):
            key = canonical_key(node, scope.key_scope or scope, self.key_memo())
            if key is None and (is_aggregate_node(node) or isinstance(node, exp.Grouping)):
                key = node.sql()  # as plan_aggregate keys a call it cannot canonicalize (a subquery inside)
            if key is not None and key in scope.substitutions:
                idx = scope.substitutions[key]
                return column_ref(idx, scope.fields[idx])
        # common subexpressions (top-level query blocks): compile once, evaluate once per batch
        memo_key = None
        if scope.outer is None and not getattr(self, "no_fold", False) and isinstance(
                node, (exp.Binary, exp.Func, exp.Cast)) and not isinstance(
                node, (exp.And, exp.Or)) and self.pure(node):
            ck = canonical_key(node, scope, self.key_memo())
            if ck is not None:
                memo_key = (id(scope), ck)
                hit = self.cse_memo.get(memo_key)
                if hit is not None:
                    return hit
        out = self.compile_node(node, scope)
        if memo_key is not None and out.const is None and out.column is None and out.param is None:
            out = _batch_cached(out)
            self.cse_memo[memo_key] = out
        return out

    def enclosing_aggregate(self, key: str, scope: Scope) -> Compiled:
        """An aggregate call of an enclosing query (planner/outer_aggregates.py): its computed column."""
        s: Scope | None = scope
        depth = 0
        chain: list[Scope] = []
        while s is not None:
            idx = s.substitutions.get(key)
            if idx is not None:
                return _reference(s, idx, depth, chain)
            chain.append(s)
            s = s.outer
            depth += 1
        raise FeatureNotSupported("an aggregate of an enclosing query used here is not supported")

    def key_memo(self) -> dict:
        """canonical_key's memo for this compiler's trees (keys of a deep tree are built once per node)."""
        memo = getattr(self, "_key_memo", None)
        if memo is None:
            memo = self._key_memo = {}
        return memo

    def compile_node(self, node: exp.Expression, scope: Scope) -> Compiled:
        try:
            return self._compile_node(node, scope)
        except HeliosError as e:
            # "function f(...) does not exist" points at the call, as in PostgreSQL
            if e.sqlstate in ("42883", "42725") and e.position is None and node.meta and isinstance(node, exp.Func) and \
                    e.message.startswith(f"function {_call_name(node)}("):
                start = node.meta.get("start")
                e.position = start + 1 if isinstance(start, int) else None
            raise

    def _compile_node(self, node: exp.Expression, scope: Scope) -> Compiled:
        handler = getattr(self, "c_" + type(node).__name__, None)
        if handler is not None:
            return handler(node, scope)
        if type(node) in BINARY_OPS:
            return self.compile_binary(BINARY_OPS[type(node)], node.this, node.expression, scope)
        if isinstance(node, exp.Window) or is_aggregate_node(node):
            start = node.meta.get("start") if node.meta else None
            position = start + 1 if isinstance(start, int) else None  # PostgreSQL points at the call
            if isinstance(node, exp.Window):
                raise GroupingError("window functions are not allowed here", position=position)
            raise GroupingError(AGGREGATE_NOT_ALLOWED, position=position)
        if isinstance(node, exp.Func):
            return self.compile_func_node(node, scope)
        raise FeatureNotSupported(f"expression not supported: {node.sql(dialect='postgres')[:200]}")

    # ------------------------------------------------------------------ leaves
    def c_Column(self, node: exp.Column, scope: Scope) -> Compiled:
        if isinstance(node.this, exp.Star):
            whole = (whole_row(scope, node.table) or outer_whole_row(scope, node.table)) if node.table else None
            if whole is not None:  # t.* as a value (count(t.*), row_to_json(t.*)): t's row
                return whole
            raise FeatureNotSupported("* is not allowed here")
        name = node.name
        qual = node.table or None
        if scope.key_scope is not None and scope.strict_grouping:
            try:
                idx = scope.key_scope.find_local(name, qual)
            except HeliosError:
                idx = None
            if idx is not None:
                f = scope.key_scope.fields[idx]
                shown = f"{f.qualifier}.{f.name}" if f.qualifier else f.name
                raise GroupingError(
                    f'column "{shown}" must appear in the GROUP BY clause or be used in an aggregate function',
                    position=node_position(node))
        s: Scope | None = scope
        depth = 0
        chain: list[Scope] = []
        while s is not None:
            try:
                idx = s.find_local(name, qual)
            except HeliosError as e:  # ambiguous: PostgreSQL points at the reference
                if e.position is None:
                    e.position = node_position(node)
                raise
            if idx is not None:
                return _reference(s, idx, depth, chain)
            chain.append(s)
            s = s.outer
            depth += 1
        if qual is None and name in ("current_user", "session_user", "user", "current_role",
                                     "current_catalog", "current_schema"):
            return self.compile_call(name, [], scope)
        if qual is None:
            whole = whole_row(scope, name)
            if whole is None:
                whole = outer_whole_row(scope, name)
            if whole is not None:
                return whole
        shown = f"{qual}.{name}" if qual else name
        pos = node_position(node)
        if qual is not None and not _any_qualifier(scope, qual):
            if any(qual in names for names in getattr(self.planner, "from_names", ())):
                raise HeliosError(f'invalid reference to FROM-clause entry for table "{qual}"', sqlstate="42P01",
                                  position=pos, hint=f'There is an entry for table "{qual}", but it cannot be '
                                                     "referenced from this part of the query.")
            raise HeliosError(f'missing FROM-clause entry for table "{qual}"', sqlstate="42P01", position=pos)
        # PostgreSQL quotes a bare name but not a qualified one: column "x" / column t.x
        raise UndefinedColumn(f'column {shown} does not exist' if qual else f'column "{name}" does not exist',
                              position=pos)

    def c_Literal(self, node: exp.Literal, scope: Scope) -> Compiled:
        if node.is_string:
            c = make_const(const_vec(node.this, T.UNKNOWN), "'" + node.this + "'")
            start = node.meta.get("start") if node.meta else None
            c.position = start + 1 if isinstance(start, int) else None
            return c
        return make_const(numeric_literal_vec(node), str(node.this))

    def c_Null(self, node: exp.Null, scope: Scope) -> Compiled:
        return make_const(const_vec(None, T.UNKNOWN), "NULL")

    def c_Boolean(self, node: exp.Boolean, scope: Scope) -> Compiled:
        return make_const(const_vec(bool(node.this), T.BOOL), str(node.this).lower())

    def c_Paren(self, node: exp.Paren, scope: Scope) -> Compiled:
        return self.compile(node.this, scope)

    def c_Alias(self, node: exp.Alias, scope: Scope) -> Compiled:
        return self.compile(node.this, scope)

    def c_Collate(self, node: exp.Collate, scope: Scope) -> Compiled:
        check_collation(node.expression)
        c = self.compile(node.this, scope)
        el = c.type.element
        check_collatable(c.type.name, el.name if el is not None else None, c.type.sql_name())
        return c

    def c_RawString(self, node: exp.Expression, scope: Scope) -> Compiled:
        return make_const(const_vec(node.this, T.UNKNOWN))

    def c_UnicodeString(self, node: exp.Expression, scope: Scope) -> Compiled:
        esc = node.args.get("escape")
        return make_const(const_vec(unicode_escapes(node.this, esc.this if isinstance(esc, exp.Literal) else "\\"),
                                    T.UNKNOWN))

    c_National = c_RawString

    def c_ByteString(self, node: exp.Expression, scope: Scope) -> Compiled:
        s = node.this  # E'...': the dialect's tokenizer has already resolved the backslash escapes
        if "\x00" in s:  # E'\000': text never holds NUL in PostgreSQL
            raise HeliosError('invalid byte sequence for encoding "UTF8": 0x00', sqlstate="22021")
        return make_const(const_vec(s, T.UNKNOWN))

    def c_HexString(self, node: exp.Expression, scope: Scope) -> Compiled:
        """X'1F': a bit string constant of type bit, four bits a digit."""
        return make_const(const_vec(bitstring.parse_one("x" + node.this), T.BIT))

    def c_BitString(self, node: exp.Expression, scope: Scope) -> Compiled:
        """B'0101': a bit string constant of type bit (with no length)."""
        return make_const(const_vec(bitstring.parse_one(node.this), T.BIT))

    def c_Parameter(self, node: exp.Expression, scope: Scope) -> Compiled:
        if node.name.isdigit():
            return self.param_ref(int(node.name) - 1)
        # PostgreSQL's prefix @ (absolute value): sqlglot reads "@ x" as a variable named x
        return self.compile(exp.Abs(this=exp.column(node.name)), scope)

    def c_Placeholder(self, node: exp.Expression, scope: Scope) -> Compiled:
        name = node.name
        if name and name.isdigit():
            return self.param_ref(int(name) - 1)
        raise FeatureNotSupported(f"placeholder {node.sql()} is not supported")

    def param_ref(self, i: int, t: T.SqlType | None = None) -> Compiled:
        while len(self.param_types) <= i:
            self.param_types.append(None)
        if t is not None and self.param_types[i] is None:
            self.param_types[i] = t
        pt = self.param_types[i] or T.UNKNOWN

        def fn(b: pa.RecordBatch, ctx: Any, _i: int = i, _t: T.SqlType = pt) -> Vec:
            if _i >= len(ctx.params):
                raise HeliosError(f"there is no parameter ${_i + 1}", sqlstate="42P02")
            v = ctx.params[_i]
            if isinstance(v, Vec):
                return v if v.type == _t or _t.name == "unknown" else self.cast_vec(v, _t)
            if isinstance(v, pa.Scalar):
                arr = pa.array([v.as_py()], type=v.type)
                if _t.name != "unknown" and v.type == _t.arrow_type:  # already held as the parameter's type
                    return Vec(arr, _t, True)
                vec = Vec(arr, T.sql_type_of_arrow(v.type), True)
                return self.cast_vec(vec, _t) if _t.name != "unknown" else vec
            if _t.name == "unknown":
                return const_vec(None if v is None else str(v), T.UNKNOWN)
            if isinstance(v, str) and _t.name not in ("text", "varchar", "bpchar", "name", "unknown"):
                return self.cast_vec(const_vec(v, T.UNKNOWN), _t)
            if isinstance(v, decimal.Decimal) and _t.name == "numeric" and _t.typmod == -1:
                # read as its text, as a literal: the value keeps its own scale (1.10, not 1.1)
                return self.cast_vec(const_vec(str(v), T.UNKNOWN), _t)
            if isinstance(v, list) and _t.element is not None and any(isinstance(x, list) for x in v):
                check_rectangular(v)  # an N-dimensional array from a binary parameter
                arr, at = from_rows([v], _t)
                return Vec(arr, at, True)
            try:
                return const_vec(v, _t)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
                return self.cast_vec(const_vec(str(v), T.UNKNOWN), _t)

        key = ("param", object())  # unique per compiled reference

        def once_per_execution(b: pa.RecordBatch, ctx: Any) -> Vec:
            # the same Vec for every batch of one execution (its parameters): built once, and
            # conversions remembered for a constant's array (compare.converted_constant) then hold
            cache = ctx.subquery_cache
            hit = cache.get(key)
            params = ctx.params
            if hit is not None and hit[0] is params:
                return hit[1]
            v = fn(b, ctx)
            cache[key] = (params, v)
            return v

        return Compiled(pt, once_per_execution, param=i, label=f"${i + 1}")

    def retype_param(self, c: Compiled, t: T.SqlType) -> Compiled:
        """Give an untyped parameter the type its context asks for (PG's inference)."""
        if c.param is not None and c.type.name == "unknown" and t.name != "unknown":
            if self.param_types[c.param] is None:
                self.param_types[c.param] = t
            return self.param_ref(c.param)
        return c

    # ------------------------------------------------------------------ casts
    def c_IntDiv(self, node: exp.Expression, scope: Scope) -> Compiled:
        """sqlglot parses PostgreSQL's div(a, b) as IntDiv (under a cast to numeric)."""
        return self.compile_call("div", [node.this, node.expression], scope)

    def c_AtTimeZone(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.compile_call("timezone", [node.args["zone"], node.this], scope)

    def c_Cast(self, node: exp.Cast, scope: Scope) -> Compiled:
        to = node.args["to"]
        if isinstance(to, exp.DataType) and to.this == exp.DataType.Type.USERDEFINED:
            t = T.type_from_name(to.sql(dialect="postgres"))
        else:
            t = T.type_from_sqlglot(to)
        inner = self.compile(node.this, scope)
        if inner.param is not None and inner.type.name == "unknown":
            inner = self.retype_param(inner, t)
        subfield = node.meta.get("subfield") if node._meta else None
        if subfield is None:
            return self.cast_compiled(inner, t)
        try:  # UPDATE ... SET c.field = v (composite_types.subfield_assignment)
            return self.cast_compiled(inner, t, "assignment")
        except HeliosError as e:
            if e.sqlstate != "42846":
                raise
            raise HeliosError(f'subfield "{subfield}" is of type {t.sql_name()} but expression is of type '
                              f"{inner.type.sql_name()}", sqlstate="42804",
                              hint="You will need to rewrite or cast the expression.") from None

    c_TryCast = c_Cast

    def cast_compiled(self, c: Compiled, t: T.SqlType, context: str = "explicit") -> Compiled:
        if c.type == t and t.typmod == -1 and t.name != "numeric" and not _record_change(c.type, t) and (
                t.domain is None or c.type.domain == t.domain):
            return c
        if c.const is not None and (not getattr(self, "no_fold", False) or c.type.name == "unknown"):
            # an untyped literal gets its type while parsing in PostgreSQL: its input errors
            # are raised even in a CASE branch that never runs, and point at the literal
            try:
                return make_const(self.cast_vec(c.const, t, context), c.label)
            except HeliosError as e:
                # (a jsonpath literal's syntax errors, 42601/0A000, too: PostgreSQL parses it as input;
                # and an enum's label not usable yet, 55P04; an hstore literal's, XX000 in PostgreSQL 15)
                if c.position is not None and e.position is None and (
                        e.sqlstate.startswith("22") or e.sqlstate == "55P04" or t.name in ("jsonpath", "hstore")
                        or t.name in T.OID_ALIAS_NAMES):
                    e.position = c.position
                raise
        try:  # PostgreSQL rejects a cast that does not exist while planning, even over no rows
            self.cast_vec(Vec(pa.array([], type=_arrow_for(c)), c.type, False), t, context)
        except HeliosError as e:
            if e.sqlstate in ("42846", "42804"):
                raise
        except (pa.ArrowException, ValueError, TypeError):
            pass
        inner = c.fn

        def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
            return self.cast_vec(inner(b, ctx), t, context)

        return Compiled(t, fn, label=c.label)

    def coerce(self, c: Compiled, t: T.SqlType) -> Compiled:
        """Implicit coercion to a common type (unknown literals and params resolve here)."""
        if c.param is not None and c.type.name == "unknown":
            c = self.retype_param(c, t)
        if c.type == t and not _record_change(c.type, t):
            return c
        if t.name == "unknown":
            return c
        if c.type.name == t.name and t.typmod == -1 and not t.is_array and t.name != "numeric":
            return c
        if c.type.name == "numeric" and t.name == "numeric" and t.typmod == -1:
            return Compiled(t, c.fn, const=c.const, column=c.column, param=c.param, label=c.label)
        return self.cast_compiled(c, t, "implicit")

    # ------------------------------------------------------------------ generic builders
    def lift(self, args: list[Compiled], fold: bool, compute, out_type: T.SqlType | None = None,
             label: str = "", strict: bool = False) -> Compiled:
        """Compiled of ``compute(list[Vec]) -> Vec`` over args; folded when all are constant."""
        if fold and all(a.const is not None for a in args) and not getattr(self, "no_fold", False):
            v = compute([a.const for a in args])
            return make_const(v, label)
        if strict and any(a.const is not None and a.const.array.null_count for a in args):
            # a strict operator with a NULL constant argument is NULL (PostgreSQL folds it so)
            t = out_type or self.probe_type(args, compute)
            return make_const(const_vec(None, t), label)
        if out_type is None:
            out_type = self.probe_type(args, compute)
        fns = [a.fn for a in args]

        def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
            return compute([f(b, ctx) for f in fns])

        return Compiled(out_type, fn, label=label)

    def probe_type(self, args: list[Compiled], compute) -> T.SqlType:
        """Result type of ``compute`` found by running it on empty columns of the arg types."""
        vecs = [a.const if a.const is not None else Vec(pa.array([], type=_arrow_for(a)), a.type, False)
                for a in args]
        if vecs and all(a.const is not None for a in args):
            vecs = [Vec(v.array.slice(0, 0), v.type, False) for v in vecs]
        if not vecs:
            return compute([]).type
        return compute(vecs).type

    def compile_binary(self, op: str, left_ast: exp.Expression, right_ast: exp.Expression,
                       scope: Scope) -> Compiled:
        if isinstance(right_ast, exp.Anonymous) and str(right_ast.this).lower() in ("all", "any", "some") \
                and len(right_ast.expressions) == 1:
            kind = exp.All if str(right_ast.this).lower() == "all" else exp.Any
            right_ast = kind(this=right_ast.expressions[0])
        if isinstance(right_ast, (exp.Any, exp.All)):  # x op ALL (VALUES ...)
            inner = right_ast.this.this if isinstance(right_ast.this, exp.Subquery) else right_ast.this
            if isinstance(inner, exp.Values) and inner.alias == "":
                right_ast = type(right_ast)(this=_values_query(inner))
        if isinstance(right_ast, (exp.Any, exp.All)):
            return self.compile_quantified(op, left_ast, right_ast, scope)
        if op in row_compare.ROW_OPS:
            rows = row_compare.row_items(left_ast), row_compare.row_items(right_ast)
            if rows[0] is not None and rows[1] is None:
                rows = rows[0], row_compare.subquery_fields(right_ast, len(rows[0]))
            elif rows[1] is not None and rows[0] is None:
                rows = row_compare.subquery_fields(left_ast, len(rows[1])), rows[1]
            if rows[0] is not None and rows[1] is not None:
                return self.compile(row_compare.expand(op, rows[0], rows[1]), scope)
        left = self.compile(left_ast, scope)
        right = self.compile(right_ast, scope)
        if op == "%" and _texty(left.type) and _texty(right.type) and extensions_catalog.trigram_matching(self.ctx):
            return self.trigram_match(left, right)
        return self.binary(op, left, right)

    def trigram_match(self, left: Compiled, right: Compiled) -> Compiled:
        """pg_trgm's ``text % text``: similarity at least pg_trgm.similarity_threshold."""
        left, right = self.coerce(left, T.TEXT), self.coerce(right, T.TEXT)

        def fn(b: pa.RecordBatch, c: Any) -> Vec:
            lv, rv = left.fn(b, c), right.fn(b, c)
            n = b.num_rows if not (lv.scalar and rv.scalar) else 1
            threshold = float(c.settings.get("pg_trgm.similarity_threshold") or pg_trgm.DEFAULT_THRESHOLD)
            out = pg_trgm.matches(lv.broadcast(n).array, rv.broadcast(n).array, threshold)
            return Vec(out, T.BOOL, lv.scalar and rv.scalar)

        return Compiled(T.BOOL, fn, label=f"({left.label} % {right.label})")

    def binary(self, op: str, left: Compiled, right: Compiled) -> Compiled:
        lu, ru = left.type.name == "unknown", right.type.name == "unknown"
        if lu != ru and op not in ("||",):
            # PostgreSQL's operator resolution decides an untyped literal's type (jsonb #>> '{a,b}'
            # takes text[], jsonb - 'k' text, timestamp + '1 day' interval); else the other side's
            lt, rt = self.F.operand_types(op, left.type, right.type) if hasattr(self.F, "operand_types") \
                else (left.type, right.type)
            # a domain operand is its base type to operator resolution (an untyped side is not
            # checked against the domain, and a parameter there is described as the base type)
            if lu:
                left = self.coerce(left, T.without_domain(right.type if lt.name == "unknown" else lt))
            else:
                right = self.coerce(right, T.without_domain(left.type if rt.name == "unknown" else rt))
        elif lu and ru and (left.param is not None or right.param is not None):
            left = self.coerce(left, T.TEXT)
            right = self.coerce(right, T.TEXT)
        out = self.lift([left, right], True, lambda v, _op=op: self.binop(_op, v[0], v[1]),
                        label=f"({left.label} {op} {right.label})", strict=op in STRICT_OPS)
        if op in ("+", "-", "*") and out.const is None and out.type.name == "numeric":
            out.arith = (op, left, right)
        if op in COMPARISONS and out.const is None and self.ctx.functions is None:
            out.fn = column_compare.direct(op, left, right, out.fn) or out.fn
        return out

    # ------------------------------------------------------------------ logic
    def c_And(self, node: exp.And, scope: Scope) -> Compiled:
        return self.logic(node, scope, pc.and_kleene, "AND")

    def c_Or(self, node: exp.Or, scope: Scope) -> Compiled:
        return self.logic(node, scope, pc.or_kleene, "OR")

    def logic(self, node: exp.Expression, scope: Scope, kernel, name: str) -> Compiled:
        parts = [self.as_bool(self.compile(x, scope), name) for x in _flatten(node, type(node))]
        return self.logic_parts(parts, kernel, name)

    def logic_parts(self, parts: list[Compiled], kernel, name: str) -> Compiled:
        decided = name == "OR"  # the value that settles the result: true for OR, false for AND
        label = f" {name} ".join(p.label for p in parts)
        if any(p.const is not None and p.const.value() is decided for p in parts) and \
                not getattr(self, "no_fold", False):
            return make_const(const_vec(decided, T.BOOL), label)  # PostgreSQL folds x AND false

        def compute(vs: list[Vec]) -> Vec:
            scalar = all(v.scalar for v in vs)
            n = max(len(v.array) for v in vs)
            acc = vs[0].array if scalar or not vs[0].scalar else vs[0].broadcast(n).array
            for v in vs[1:]:
                arr = v.array if scalar or not v.scalar else v.broadcast(n).array
                acc = kernel(acc, arr)
            return Vec(acc, T.BOOL, scalar)

        eager = self.lift(parts, True, compute, T.BOOL, label=label)
        if eager.const is not None:
            return eager
        fns = [p.fn for p in parts]

        def lazy(b: pa.RecordBatch, ctx: Any) -> Vec:
            # An operand that fails is put off: PostgreSQL stops at the first operand that
            # settles a row and orders operands by cost, so a failing one may never run on it.
            n = b.num_rows
            acc = pa.array(np.full(n, not decided), pa.bool_())
            open_idx = pa.array(np.arange(n, dtype=np.int64))
            deferred = []
            for last_pass, todo in ((False, fns), (True, None)):
                for f in (todo if todo is not None else deferred):
                    if len(open_idx) == 0:
                        break
                    try:
                        part = f(b.take(open_idx), ctx).broadcast(len(open_idx)).array
                    except (HeliosError, pa.ArrowInvalid):
                        if last_pass:
                            raise
                        deferred.append(f)
                        continue
                    acc = _put(acc, open_idx, kernel(acc.take(open_idx), part))
                    settled = pc.fill_null(pc.equal(acc, decided), False)
                    open_idx = pc.indices_nonzero(pc.invert(settled))
            return Vec(acc, T.BOOL, False)

        def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
            try:
                return eager.fn(b, ctx)
            except (HeliosError, pa.ArrowInvalid):
                return lazy(b, ctx)

        return Compiled(T.BOOL, fn, label=label)

    def as_bool(self, c: Compiled, where: str) -> Compiled:
        if c.type.name == "bool":
            return c
        if c.type.name == "unknown":
            return self.coerce(c, T.BOOL)
        raise HeliosError(f"argument of {where} must be type boolean, not type {c.type.sql_name()}",
                          sqlstate="42804")

    def c_Not(self, node: exp.Not, scope: Scope) -> Compiled:
        inner = self.as_bool(self.compile(node.this, scope), "NOT")
        return self.lift([inner], True, lambda v: Vec(pc.invert(v[0].array), T.BOOL, v[0].scalar), T.BOOL,
                         label=f"NOT {inner.label}")

    def c_Neg(self, node: exp.Neg, scope: Scope) -> Compiled:
        # PostgreSQL's grammar folds minus signs into a numeric literal (through parentheses)
        # and types the resulting text: -2147483648 is integer, -(-2147483648) bigint
        signs, inner_ast = 1, node.this
        while isinstance(inner_ast, (exp.Neg, exp.Paren)):
            if isinstance(inner_ast, exp.Neg):
                signs += 1
            inner_ast = inner_ast.this
        if isinstance(inner_ast, exp.Literal) and not inner_ast.is_string:
            text = ("-" if signs % 2 else "") + str(inner_ast.this)
            return make_const(numeric_literal_vec(exp.Literal(this=text, is_string=False)), text)
        inner = self.compile(node.this, scope)
        return self.lift([inner], True, lambda v: self.F.unary_op("-", v[0]), label=f"-{inner.label}")

    def c_Operator(self, node: exp.Operator, scope: Scope) -> Compiled:
        """``a @@ b``, ``OPERATOR(@@@)``...: an operator without a node of its own, by its spelling."""
        op = str(node.args.get("operator") or "").strip().removeprefix("pg_catalog.")
        return self.compile_binary(op, node.this, node.expression, scope)

    def c_PrefixOperator(self, node: exp.Expression, scope: Scope) -> Compiled:
        inner = self.compile(node.this, scope)
        op = node.args["operator"]
        return self.lift([inner], True, lambda v: self.F.unary_op(op, v[0]), label=f"{op}{inner.label}")

    def c_BitwiseNot(self, node: exp.Expression, scope: Scope) -> Compiled:
        inner = self.compile(node.this, scope)
        return self.lift([inner], True, lambda v: self.F.unary_op("~", v[0]))

    def c_Is(self, node: exp.Is, scope: Scope) -> Compiled:
        inner = self.compile(node.this, scope)
        target = node.expression
        negate = bool(node.args.get("negate"))
        if isinstance(target, exp.Null) and inner.type.is_rowtype and pa.types.is_struct(inner.type.arrow_type):
            return self.lift([inner], True, lambda v: Vec(_row_null_test(v[0].array, negate), T.BOOL, v[0].scalar),
                             T.BOOL, label=f"{inner.label} IS {'NOT ' if negate else ''}NULL")
        if isinstance(target, exp.Null):
            kernel = pc.is_valid if negate else pc.is_null
            return self.lift([inner], True, lambda v: Vec(kernel(v[0].array), T.BOOL, v[0].scalar), T.BOOL,
                             label=f"{inner.label} IS {'NOT ' if negate else ''}NULL")
        if isinstance(target, exp.Boolean):
            inner = self.as_bool(inner, "IS")
            want = bool(target.this)

            def compute(v: list[Vec]) -> Vec:
                a = v[0].array
                r = pc.fill_null(a if want else pc.invert(a), False)
                if negate:
                    r = pc.invert(r)
                return Vec(r, T.BOOL, v[0].scalar)

            return self.lift([inner], True, compute, T.BOOL)
        if isinstance(target, exp.Column) and not target.table and target.name == "normalized" and \
                not target.this.args.get("quoted"):  # x IS [NOT] NORMALIZED (NFC)
            test = self.compile_call("is_normalized", [node.this], scope)
            return self.lift([test], True, lambda v: Vec(pc.invert(v[0].array), T.BOOL, v[0].scalar), T.BOOL) \
                if negate else test
        raise FeatureNotSupported(f"IS {target.sql()} is not supported")

    def c_Normalize(self, node: exp.Expression, scope: Scope) -> Compiled:
        """normalize(text [, NFC | NFD | NFKC | NFKD]): the form is a keyword, passed on as its name."""
        form = node.args.get("form")
        name = form.name.upper() if isinstance(form, (exp.Var, exp.Column)) else "NFC"
        return self.compile_call("normalize", [node.this, exp.Literal.string(name)], scope)

    def c_NullSafeEQ(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.distinct_from(node, scope, negate=False)

    def c_NullSafeNEQ(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.distinct_from(node, scope, negate=True)

    def distinct_from(self, node: exp.Expression, scope: Scope, negate: bool) -> Compiled:
        rows = row_compare.row_items(node.this), row_compare.row_items(node.expression)
        if rows[0] is not None and rows[1] is not None:
            op = "IS DISTINCT FROM" if negate else "IS NOT DISTINCT FROM"
            return self.compile(row_compare.expand(op, rows[0], rows[1]), scope)
        eq = self.compile_binary("=", node.this, node.expression, scope)
        left = self.compile(node.this, scope)
        right = self.compile(node.expression, scope)

        def compute(v: list[Vec]) -> Vec:
            e, lv, rv = v
            scalar = all(x.scalar for x in v)
            n = max(len(x.array) for x in v)
            ea, la, ra = (x.array if scalar else x.broadcast(n).array for x in (e, lv, rv))
            ln, rn = pc.is_null(la), pc.is_null(ra)
            same = pc.if_else(pc.or_(ln, rn), pc.and_(ln, rn), pc.fill_null(ea, False))
            return Vec(pc.invert(same) if negate else same, T.BOOL, scalar)

        return self.lift([eq, left, right], True, compute, T.BOOL)

    def c_Between(self, node: exp.Between, scope: Scope) -> Compiled:
        x = node.this
        lo = self.compile_binary(">=", x, node.args["low"], scope)
        hi = self.compile_binary("<=", x, node.args["high"], scope)
        if node.args.get("symmetric"):
            lo2 = self.compile_binary(">=", x, node.args["high"], scope)
            hi2 = self.compile_binary("<=", x, node.args["low"], scope)
            parts = [lo, hi, lo2, hi2]

            def compute_sym(v: list[Vec]) -> Vec:
                n = max(len(p.array) for p in v)
                a = [p.broadcast(n).array for p in v]
                r = pc.or_kleene(pc.and_kleene(a[0], a[1]), pc.and_kleene(a[2], a[3]))
                return Vec(r, T.BOOL, all(p.scalar for p in v))

            return self.lift(parts, True, compute_sym, T.BOOL)

        return self.logic_parts([lo, hi], pc.and_kleene, "AND")

    # ------------------------------------------------------------------ LIKE family
    def c_Like(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.like(node, scope, escape=None, ignore_case=False)

    def c_ILike(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.like(node, scope, escape=None, ignore_case=True)

    def c_Escape(self, node: exp.Escape, scope: Scope) -> Compiled:
        inner = node.this
        esc = self.compile(node.expression, scope)
        if esc.const is None:
            raise FeatureNotSupported("ESCAPE must be a constant")
        e = esc.const.value()
        if e is None:  # ESCAPE NULL: the comparison is NULL
            return make_const(const_vec(None, T.BOOL))
        if len(str(e)) > 1:
            raise HeliosError("invalid escape string", sqlstate="22025",
                              hint="Escape string must be empty or one character.")
        if isinstance(inner, exp.Not):
            return self.negate(self.like(inner.this, scope, escape=e, ignore_case=isinstance(inner.this, exp.ILike)))
        if isinstance(inner, exp.SimilarTo):
            return self.similar(inner, scope, escape=e)
        return self.like(inner, scope, escape=e, ignore_case=isinstance(inner, exp.ILike))

    def negate(self, c: Compiled) -> Compiled:
        return self.lift([c], True, lambda v: Vec(pc.invert(v[0].array), T.BOOL, v[0].scalar), T.BOOL)

    def like(self, node: exp.Expression, scope: Scope, escape: str | None, ignore_case: bool) -> Compiled:
        if isinstance(node.expression, (exp.Any, exp.All)) and escape is None:
            # x [NOT] [I]LIKE ANY/ALL (patterns): each pattern through the ~~ family of operators
            op = ("!" if node.args.get("negate") else "") + ("~~*" if ignore_case else "~~")
            return self.compile_quantified(op, node.this, node.expression, scope)
        subject = self.compile(node.this, scope)
        pattern = self.compile(node.expression, scope)
        negate = bool(node.args.get("negate"))
        subject = self.coerce(subject, T.TEXT) if subject.type.name == "unknown" else subject
        ignore_case = ignore_case or subject.type.name == "citext"  # citext's LIKE ignores case
        if subject.type.name not in ("text", "varchar", "bpchar", "name", "char", "unknown", "citext"):
            if subject.type.name in ("bytea",):
                pass
            else:
                raise HeliosError(
                    f"operator does not exist: {subject.type.sql_name()} {'~~*' if ignore_case else '~~'} unknown",
                    sqlstate="42883",
                )
        pattern = self.coerce(pattern, T.TEXT)
        if subject.type.name == "bpchar":
            subject = self.cast_compiled(subject, T.TEXT)

        def compute(v: list[Vec]) -> Vec:
            s, p = v
            if p.scalar:
                pat = p.value()
                if pat is None:
                    n = len(s.array)
                    return Vec(pa.nulls(n, pa.bool_()), T.BOOL, s.scalar)
                pat = _translate_escape(pat, escape)
                r = like_prefilter.match_like(s.array, pat, ignore_case=ignore_case)
            else:
                n = len(p.array)
                sa = s.broadcast(n).array.to_pylist()
                pats = p.array.to_pylist()
                out = []
                for sv, pv in zip(sa, pats, strict=True):
                    if sv is None or pv is None:
                        out.append(None)
                    else:
                        out.append(pc.match_like(pa.array([sv]), _translate_escape(pv, escape),
                                                 ignore_case=ignore_case)[0].as_py())
                r = pa.array(out, pa.bool_())
            if negate:
                r = pc.invert(r)
            return Vec(r, T.BOOL, s.scalar and p.scalar)

        return self.lift([subject, pattern], True, compute, T.BOOL,
                         label=f"{subject.label} {'NOT ' if negate else ''}{'ILIKE' if ignore_case else 'LIKE'} "
                               f"{pattern.label}")

    def c_SimilarTo(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.similar(node, scope, escape="\\")

    def similar(self, node: exp.Expression, scope: Scope, escape: str | None) -> Compiled:
        subject = self.coerce(self.compile(node.this, scope), T.TEXT)
        pattern = self.compile(node.expression, scope)
        if pattern.const is None:
            raise FeatureNotSupported("SIMILAR TO needs a constant pattern")
        pat = pattern.const.value()
        negate = bool(node.args.get("negate"))
        if pat is None:
            return make_const(const_vec(None, T.BOOL))
        regex = "(?s)^(?:" + _similar_to_regex(pat, escape) + ")$"  # "_" matches a newline too

        def compute(v: list[Vec]) -> Vec:
            r = patterns.regex_array(v[0].array, regex)
            return Vec(pc.invert(r) if negate else r, T.BOOL, v[0].scalar)

        return self.lift([subject], True, compute, T.BOOL)

    # ------------------------------------------------------------------ conditionals
    def c_Case(self, node: exp.Case, scope: Scope) -> Compiled:
        operand = node.this
        whens: list[tuple[Compiled, Compiled]] = []
        default_ast = node.args.get("default")
        dead_types: list[T.SqlType] = []
        for w in node.args.get("ifs") or []:
            cond_ast = w.this
            if operand is not None:
                cond = self.compile_binary("=", operand, cond_ast, scope)
            else:
                cond = self.as_bool(self.compile(cond_ast, scope), "CASE")
            if cond.const is not None and cond.const.value() is not True:
                # never taken: typed but not evaluated (PostgreSQL folds it away)
                dead_types.append(self.compile_unfolded(w.args["true"], scope).type)
                continue
            whens.append((cond, self.compile(w.args["true"], scope)))
            if cond.const is not None:
                if default_ast is not None:
                    dead_types.append(self.compile_unfolded(default_ast, scope).type)
                default_ast = None
                for rest in (node.args.get("ifs") or [])[(node.args.get("ifs") or []).index(w) + 1:]:
                    dead_types.append(self.compile_unfolded(rest.args["true"], scope).type)
                break
        default = self.compile(default_ast, scope) if default_ast is not None else None
        # a subquery in a branch runs only for the rows that take it (asyncpg's type lookup has
        # correlated WITH RECURSIVE subqueries under CASE WHEN t.typtype = 'd')
        branches = [w.args["true"] for w in node.args.get("ifs") or []] + [node.args.get("default")]
        selective = any(b is not None and b.find(exp.Select) is not None for b in branches)
        return self.case(whens, default, dead_types, selective=selective)

    def c_If(self, node: exp.Expression, scope: Scope) -> Compiled:
        cond = self.as_bool(self.compile(node.this, scope), "CASE")
        tv = self.compile(node.args["true"], scope)
        fv = node.args.get("false")
        return self.case([(cond, tv)], self.compile(fv, scope) if fv is not None else None)

    def compile_unfolded(self, node: exp.Expression, scope: Scope) -> Compiled:
        """Compile without evaluating constant parts (for branches that never run)."""
        saved = getattr(self, "no_fold", False)
        self.no_fold = True
        try:
            return self.compile(node, scope)
        finally:
            self.no_fold = saved

    def case(self, whens: list[tuple[Compiled, Compiled]], default: Compiled | None,
             dead_types: list[T.SqlType] | None = None, *, selective: bool = False) -> Compiled:
        values = [v for _, v in whens] + ([default] if default is not None else [])
        rt = self.result_type([v.type for v in values] + list(dead_types or []), "CASE")
        if not whens:
            return self.coerce(default, rt) if default is not None else make_const(const_vec(None, rt))
        if len(whens) == 1 and whens[0][0].const is not None:
            return self.coerce(whens[0][1], rt)
        values = [self.coerce(v, rt) for v in values]
        conds = [c for c, _ in whens]
        nw = len(whens)
        # constant conditions: trim
        if all(c.const is not None for c in conds) and (default is None or default.const is not None) and all(
            v.const is not None for v in values
        ):
            for c, v in zip(conds, values, strict=False):
                if c.const.value() is True:
                    return v
            return values[nw] if default is not None else make_const(const_vec(None, rt))
        cond_fns = [c.fn for c in conds]
        val_fns = [v.fn for v in values]
        has_default = default is not None

        def eager(b: pa.RecordBatch, ctx: Any) -> Vec:
            n = b.num_rows
            cs = [pc.fill_null(f(b, ctx).broadcast(n).array, False) for f in cond_fns]
            vs = [f(b, ctx).broadcast(n).array for f in val_fns]
            vs = _unify_arrays(vs)
            if not has_default:
                vs.append(pa.nulls(n, vs[0].type if vs else rt.arrow_type))
            cond_struct = pa.StructArray.from_arrays(cs, names=[f"c{i}" for i in range(len(cs))])
            return Vec(pc.case_when(cond_struct, *vs), rt, False)

        def lazy(b: pa.RecordBatch, ctx: Any) -> Vec:
            n = b.num_rows
            if n == 0:
                return Vec(pa.array([], type=rt.arrow_type), rt, False)
            remaining = pa.array(range(n), pa.int64())
            pieces_idx: list[pa.Array] = []
            pieces_val: list[pa.Array] = []
            sub = b
            for cf, vf in zip(cond_fns, val_fns, strict=False):
                if len(remaining) == 0:
                    break
                m = pc.fill_null(cf(sub, ctx).broadcast(sub.num_rows).array, False)
                hit = sub.filter(m)
                if hit.num_rows:
                    pieces_idx.append(remaining.filter(m))
                    pieces_val.append(vf(hit, ctx).broadcast(hit.num_rows).array)
                notm = pc.invert(m)
                remaining = remaining.filter(notm)
                sub = sub.filter(notm)
            if len(remaining):
                pieces_idx.append(remaining)
                if has_default:
                    pieces_val.append(val_fns[-1](sub, ctx).broadcast(sub.num_rows).array)
                else:
                    pieces_val.append(pa.nulls(len(remaining), pieces_val[0].type if pieces_val else rt.arrow_type))
            pieces_val = _unify_arrays(pieces_val)
            idx = pa.concat_arrays(pieces_idx)
            vals = pa.concat_arrays(pieces_val)
            order = pc.sort_indices(idx)
            return Vec(vals.take(order), rt, False)

        if selective:
            return Compiled(rt, lazy, label="CASE")

        def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
            try:
                return eager(b, ctx)
            except (HeliosError, pa.ArrowInvalid):
                return lazy(b, ctx)

        return Compiled(rt, fn, label="CASE")

    def result_type(self, types: list[T.SqlType], what: str) -> T.SqlType:
        """The common type of a construct's branches (42804 "<what> types X and Y cannot be matched")."""
        known = [t for t in types if t.name != "unknown"]
        if not known:
            return T.TEXT
        if what == "IN":  # PostgreSQL compares element by element: no = between the two types
            try:
                return self.F.common_type(types, "IN")
            except DatatypeMismatch:
                other = next((t for t in types[1:] if t.name != "unknown" and t != types[0]), types[-1])
                raise HeliosError(f"operator does not exist: {types[0].sql_name()} = {other.sql_name()}",
                                  sqlstate="42883", hint="No operator matches the given name and argument "
                                  "types. You might need to add explicit type casts.") from None
        # PostgreSQL names the construct in its 42804 message
        context = {"JOIN": "JOIN/USING", "USING": "JOIN/USING"}.get(what, what)
        return self.F.common_type(types, context if context in _MATCHED_CONTEXTS else "UNION")

    def c_Coalesce(self, node: exp.Coalesce, scope: Scope) -> Compiled:
        args = [node.this] + list(node.expressions)
        cs = []
        dead: list[T.SqlType] = []
        dead_literals: list[exp.Expression] = []
        for a in args:
            if cs and cs[-1].const is not None and cs[-1].const.array.null_count == 0:
                dead.append(self.compile_unfolded(a, scope).type)  # never evaluated (folded away)
                if isinstance(a, exp.Literal) and a.is_string:
                    dead_literals.append(a)
                continue
            cs.append(self.compile(a, scope))
        rt = self.result_type([c.type for c in cs] + dead, "COALESCE")
        for a in dead_literals:  # a literal is read as the result type even where it is never reached
            self.coerce(self.compile(a, scope), rt)
        cs = [self.coerce(c, rt) for c in cs]
        if len(cs) == 1:
            return cs[0]

        def compute(v: list[Vec]) -> Vec:
            scalar = all(x.scalar for x in v)
            n = max(len(x.array) for x in v)
            arrs = _unify_arrays([x.array if scalar else x.broadcast(n).array for x in v])
            return Vec(NW.coalesce(arrs), rt, scalar)

        eager = self.lift(cs, True, compute, rt, label="COALESCE")
        if eager.const is not None:
            return eager
        fns = [c.fn for c in cs]

        def lazy(b: pa.RecordBatch, ctx: Any) -> Vec:
            # later arguments only for the rows still NULL (PostgreSQL evaluates lazily)
            n = b.num_rows
            out = fns[0](b, ctx).broadcast(n).array
            for f in fns[1:]:
                missing = pc.is_null(out)
                if not pc.any(missing).as_py():
                    break
                idx = pc.indices_nonzero(missing)
                sub = f(b.take(idx), ctx).broadcast(len(idx)).array
                out, sub = _unify_arrays([out, sub])
                out = _put(out, idx, sub)
            return Vec(out, rt, False)

        def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
            try:
                return eager.fn(b, ctx)
            except (HeliosError, pa.ArrowInvalid):
                return lazy(b, ctx)

        return Compiled(rt, fn, label="COALESCE")

    def c_Nullif(self, node: exp.Nullif, scope: Scope) -> Compiled:
        a = self.compile(node.this, scope)
        b = self.compile(node.expression, scope)
        eq = self.binary("=", a, b)
        rt = a.type if a.type.name != "unknown" else (b.type if b.type.name != "unknown" else T.TEXT)
        a = self.coerce(a, rt)

        def compute(v: list[Vec]) -> Vec:
            x, e = v
            scalar = x.scalar and e.scalar
            n = max(len(x.array), len(e.array))
            xa = x.array if scalar else x.broadcast(n).array
            ea = e.array if scalar else e.broadcast(n).array
            return Vec(pc.if_else(pc.fill_null(ea, False), pa.nulls(len(xa), xa.type), xa), rt, scalar)

        return self.lift([a, eq], True, compute, rt, label="NULLIF")

    def c_Greatest(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.extreme(node, scope, greatest=True)

    def c_Least(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.extreme(node, scope, greatest=False)

    def extreme(self, node: exp.Expression, scope: Scope, greatest: bool) -> Compiled:
        args = [node.this] + list(node.expressions)
        cs = [self.compile(a, scope) for a in args]
        rt = self.result_type([c.type for c in cs], "GREATEST")
        cs = [self.coerce(c, rt) for c in cs]
        op = ">" if greatest else "<"

        def compute(v: list[Vec]) -> Vec:
            acc = v[0]
            for x in v[1:]:
                # NULLs are ignored (PG): take x where acc is null or x beats acc
                gt = self.binop(op, x, acc)
                scalar = acc.scalar and x.scalar and gt.scalar
                n = max(len(acc.array), len(x.array), len(gt.array))
                aa = acc.array if scalar else acc.broadcast(n).array
                xa = x.array if scalar else x.broadcast(n).array
                ga = gt.array if scalar else gt.broadcast(n).array
                aa, xa = _unify_arrays([aa, xa])
                take_x = pc.or_(pc.is_null(aa), pc.fill_null(ga, False))
                acc = Vec(pc.if_else(take_x, xa, aa), rt, scalar)
            return acc

        return self.lift(cs, True, compute, rt)

    # ------------------------------------------------------------------ IN / ANY / ALL
    def c_In(self, node: exp.In, scope: Scope) -> Compiled:
        negate = False
        query = node.args.get("query")
        if query is None and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Values):
            query = _values_query(node.expressions[0])  # x IN (VALUES (1), (2)): a subquery
        if query is not None:
            res = self.in_subquery(node.this, query, scope)
        elif node.args.get("unnest") is not None:
            raise FeatureNotSupported("IN UNNEST is not supported")
        else:
            res = self.in_list(node.this, node.expressions, scope)
        return self.negate(res) if negate else res

    def in_list(self, left_ast: exp.Expression, items: list[exp.Expression], scope: Scope) -> Compiled:
        row = row_compare.row_items(left_ast)
        if row is not None:  # (a, b) IN ((1, 2), (3, 4)): one row comparison per item, OR'ed
            rights = [row_compare.row_items(i) for i in items]
            if any(r is None for r in rights):
                raise HeliosError("row IN list needs row constructors on both sides", sqlstate="42601")
            return self.compile(exp.or_(*[exp.Paren(this=row_compare.expand("=", row, r)) for r in rights]),
                                scope)
        left = self.compile(left_ast, scope)
        vals = [self.compile(i, scope) for i in items]
        if left.type.is_rowtype:  # a row value: each item (a literal read as its type) compared as record_eq does
            vals = [self.coerce(v, left.type) if v.type.name == "unknown" else v for v in vals]
            return self.lift([self.binary("=", left, v) for v in vals], True, _any_true, T.BOOL)
        rt = self.result_type([left.type] + [v.type for v in vals], "IN")
        left = self.coerce(left, rt)
        vals = [self.coerce(v, rt) for v in vals]
        # a set lookup compares stored values; a geometric type's = compares areas or lengths, rows field by field
        if all(v.const is not None for v in vals) and len(vals) > 1 and not geometric.involves_type(rt) \
                and not rt.is_rowtype:
            bpchar = rt.name == "bpchar"
            width = left.type.typmod - 4 if left.type.name == "bpchar" and left.type.typmod > 4 else None
            consts = [v.const for v in vals]
            has_null = any(c.array.null_count for c in consts)
            value_set = _unify_arrays([c.array for c in consts if not c.array.null_count])
            if not value_set:
                value_set_arr = pa.array([], type=left.type.arrow_type)
            else:
                value_set_arr = pa.concat_arrays(value_set)

            def compute(v: list[Vec]) -> Vec:
                x = v[0]
                arr = x.array
                vs = value_set_arr
                if NW.is_wide(arr) or NW.is_wide(vs):
                    arr, vs = NW.shared_keys(arr, vs)
                elif vs.type != arr.type:
                    try:
                        vs = vs.cast(arr.type)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                        arr = arr.cast(vs.type)
                if bpchar:
                    if width is not None:
                        vs = _padded_variants(vs, width)
                    else:
                        arr = pc.utf8_rtrim(arr, characters=" ")
                        vs = pc.utf8_rtrim(vs, characters=" ")
                elif rt.name == "citext":
                    arr, vs = citext.folded(arr), citext.folded(vs)
                found = pc.is_in(arr, value_set=vs, skip_nulls=True)
                if has_null:
                    found = pc.if_else(found, True, pa.scalar(None, pa.bool_()))
                found = pc.if_else(pc.is_null(arr), pa.scalar(None, pa.bool_()), found)
                return Vec(found, T.BOOL, x.scalar)

            return self.lift([left], True, compute, T.BOOL, label=f"{left.label} IN (...)")
        eqs = [self.binary("=", left, v) for v in vals]
        return self.lift(eqs, True, _any_true, T.BOOL)

    def compile_quantified(self, op: str, left_ast: exp.Expression, q: exp.Expression, scope: Scope) -> Compiled:
        is_all = isinstance(q, exp.All)
        target = q.this
        while isinstance(target, exp.Paren):
            target = target.this
        if isinstance(target, exp.Paren) and isinstance(target.this, (exp.Select, exp.Union, exp.Subquery)):
            target = target.this
        if isinstance(target, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)):
            return self.quantified_subquery(op, left_ast, target, scope, is_all)
        left = self.compile(left_ast, scope)
        arr = self.compile(target, scope)
        if arr.type.name == "unknown":
            # the element type is the operator's right operand type (tsv @@ any('{a,b}') reads tsquery[])
            _, elem = self.F.operand_types(op, left.type, T.UNKNOWN) if hasattr(self.F, "operand_types") \
                else (None, T.UNKNOWN)
            elem = elem if elem.name != "unknown" else (left.type if left.type.name != "unknown" else T.TEXT)
            arr = self.coerce(arr, T.array_of(elem))
        if not arr.type.is_array:
            raise HeliosError("op ANY/ALL (array) requires array on right side", sqlstate="42809")
        elem_t = arr.type.element
        left = self.coerce(left, elem_t) if left.type.name == "unknown" else left

        def compute(v: list[Vec]) -> Vec:
            lv, av = v
            scalar = lv.scalar and av.scalar
            n = max(len(lv.array), len(av.array))
            la = lv.broadcast(n).array
            aa = av.broadcast(n).array
            return Vec(self.quantify(op, la, left.type, aa, elem_t, is_all), T.BOOL, scalar)

        return self.lift([left, arr], True, compute, T.BOOL)

    def quantify(self, op: str, la: pa.Array, lt: T.SqlType, lists: pa.Array, et: T.SqlType,
                 is_all: bool) -> pa.Array:
        """x op ANY/ALL(list per row), three-valued, vectorized over flattened lists."""
        n = len(la)
        lists = flatten_rows(lists)  # the elements of N-dimensional arrays, whatever the shape
        lens = pc.list_value_length(lists)
        flat = pc.list_flatten(lists)
        parents = pc.list_parent_indices(lists)
        cmp = self.binop(op, Vec(la.take(parents), lt, False), Vec(flat, et, False)).broadcast(len(flat)).array
        t = pa.table({"g": parents, "t": pc.cast(pc.fill_null(cmp, False), pa.int64()),
                      "f": pc.cast(pc.fill_null(pc.invert(cmp), False), pa.int64()),
                      "u": pc.cast(pc.is_null(cmp), pa.int64())})
        agg = t.group_by("g").aggregate([("t", "sum"), ("f", "sum"), ("u", "sum")])
        idx = agg.column("g").combine_chunks()
        zeros = pa.array([0] * n, pa.int64()) if n < 1024 else pc.cast(pa.nulls(n, pa.int64()).fill_null(0), pa.int64())
        t_cnt = _scatter(zeros, idx, agg.column("t_sum").combine_chunks())
        f_cnt = _scatter(zeros, idx, agg.column("f_sum").combine_chunks())
        u_cnt = _scatter(zeros, idx, agg.column("u_sum").combine_chunks())
        null_b = pa.scalar(None, pa.bool_())
        if is_all:
            res = pc.if_else(pc.greater(f_cnt, 0), False, pc.if_else(pc.greater(u_cnt, 0), null_b, True))
        else:
            res = pc.if_else(pc.greater(t_cnt, 0), True, pc.if_else(pc.greater(u_cnt, 0), null_b, False))
        res = pc.if_else(pc.is_null(lens), null_b, res)
        return res

    # ------------------------------------------------------------------ subqueries
    def c_Subquery(self, node: exp.Subquery, scope: Scope) -> Compiled:
        return self.scalar_subquery(node.this, scope)

    def c_Select(self, node: exp.Select, scope: Scope) -> Compiled:
        return self.scalar_subquery(node, scope)

    def c_Exists(self, node: exp.Exists, scope: Scope) -> Compiled:
        q = node.this
        op, captured = self.planner.plan_subquery(q, scope)

        def run(ctx: Any) -> Vec:
            it = op.execute(ctx)
            found = False
            for b in it:
                if b.num_rows:
                    found = True
                    break
            if hasattr(it, "close"):
                it.close()
            return const_vec(found, T.BOOL)

        return self.subquery_compiled(run, captured, T.BOOL, "EXISTS")

    def scalar_subquery(self, q: exp.Expression, scope: Scope) -> Compiled:
        fast = self.grouped_scalar_subquery(q, scope)
        if fast is not None:
            return fast
        op, captured = self.planner.plan_subquery(q, scope)
        visible = [f for f in op.fields if not f.hidden]
        if len(visible) != 1:
            raise HeliosError("subquery must return only one column", sqlstate="42601")
        rt = visible[0].type

        def run(ctx: Any) -> Vec:
            got = None
            for b in op.execute(ctx):
                if b.num_rows == 0:
                    continue
                if got is not None or b.num_rows > 1:
                    raise CardinalityViolation("more than one row returned by a subquery used as an expression")
                got = b.column(0)
            if got is None:
                return Vec(pa.nulls(1, rt.arrow_type), rt, True)
            return Vec(got, rt, True)

        return self.subquery_compiled(run, captured, rt, "SubPlan")

    def grouped_scalar_subquery(self, q: exp.Expression, scope: Scope) -> Compiled | None:
        """(SELECT f(agg) FROM t WHERE t.k = outer.x AND ...) -> one GROUP BY k per execution plus
        a hash lookup per batch; keys without a group get f over an empty input (count -> 0)."""
        while isinstance(q, exp.Subquery):
            q = q.this
        if not isinstance(q, exp.Select) or len(q.expressions) != 1:
            return None
        for k in ("group", "having", "limit", "offset", "order", "distinct", "windows", "with"):
            if q.args.get(k) or q.args.get(k + "_"):
                return None
        if not contains_aggregate(q.expressions[0]) or q.find(exp.Window) is not None:
            return None
        classify = self.inner_classifier(q, scope)
        if classify is None:
            return None
        where = q.args.get("where") or q.args.get("where_")
        terms = _split_and(where.this) if where is not None else []
        local, pairs = [], []
        for t in terms:
            sides = {classify(c) for c in t.find_all(exp.Column)}
            if None in sides:
                return None
            if "outer" not in sides:
                local.append(t)
                continue
            if t.find(exp.Subquery, exp.Select, exp.Exists) is not None or not isinstance(t, exp.EQ):
                return None
            a, b = t.this, t.expression
            sa = {classify(c) for c in a.find_all(exp.Column)}
            sb = {classify(c) for c in b.find_all(exp.Column)}
            if sa == {"inner"} and sb == {"outer"}:
                pairs.append((a, b))
            elif sa == {"outer"} and sb == {"inner"}:
                pairs.append((b, a))
            else:
                return None
        if not pairs:
            return None
        for c in q.expressions[0].find_all(exp.Column):
            if classify(c) != "inner":
                return None
        value = q.expressions[0].this if isinstance(q.expressions[0], exp.Alias) else q.expressions[0]
        grouped = q.copy()
        grouped.set("expressions", [exp.alias_(p[0].copy(), f"__k{i}") for i, p in enumerate(pairs)]
                    + [exp.alias_(value.copy(), "__v")])
        grouped.set("where", exp.Where(this=exp.and_(*local)) if local else None)
        grouped.set("group", exp.Group(expressions=[p[0].copy() for p in pairs]))
        empty = q.copy()
        empty.set("expressions", [exp.alias_(value.copy(), "__v")])
        empty.set("where", exp.Where(this=exp.false()))
        try:
            self.planner.note_refs(grouped)
            gop = self.planner.plan_query(grouped, None)
            eop = self.planner.plan_query(empty, None)
            outer_keys = [self.compile(p[1], scope) for p in pairs]
        except HeliosError:
            return None
        from helios_core.sql.planner.builder import drop_hidden

        gop, eop = drop_hidden(gop), drop_hidden(eop)
        nk = len(pairs)
        commons = [self.result_type([gop.fields[i].type, outer_keys[i].type], "=") for i in range(nk)]
        outer_keys = [self.coerce(k, t) for k, t in zip(outer_keys, commons, strict=True)]
        rt = gop.fields[nk].type
        cache_key = ("grouped", id(gop))

        def table(ctx: Any) -> tuple[pa.Table, pa.Array]:
            hit = ctx.subquery_cache.get(cache_key)
            if hit is None:
                from helios_core.sql.operators.base import collect

                g = collect(gop, ctx)
                cols = []
                for i in range(nk):
                    arr = g.column(i).combine_chunks()
                    v = self.cast_vec(Vec(arr, gop.fields[i].type, False), commons[i], "implicit")
                    cols.append(v.array)
                keys = {f"k{i}": c for i, c in enumerate(cols)}
                keys["__v"] = g.column(nk).combine_chunks()
                e = collect(eop, ctx)
                default = e.column(0).combine_chunks() if e.num_rows else pa.nulls(1, rt.arrow_type)
                hit = (pa.table(keys), default)
                ctx.subquery_cache[cache_key] = hit
            return hit

        def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
            g, default = table(ctx)
            n = b.num_rows
            left = {f"k{i}": k.fn(b, ctx).broadcast(n).array for i, k in enumerate(outer_keys)}
            from helios_core.sql.operators.join import _joinable

            right_cols = {}
            for i in range(nk):
                la, ra = _unify_arrays([left[f"k{i}"], g.column(f"k{i}").combine_chunks()])
                left[f"k{i}"], right_cols[f"k{i}"] = _joinable(la), _joinable(ra)
            left["__row"] = pa.array(range(n), pa.int64())
            right_cols["__gi"] = pa.array(range(g.num_rows), pa.int64())  # the group's row: values of any
            j = pa.table(left).join(pa.table(right_cols), keys=[f"k{i}" for i in range(nk)],  # type (arrays too)
                                    join_type="left outer", use_threads=False)
            j = j.sort_by("__row")
            vals = g.column("__v").combine_chunks().take(j.column("__gi").combine_chunks())
            vals, dflt = _unify_arrays([vals, default])
            if dflt.null_count == 0:
                vals = pc.coalesce(vals, dflt[0])
            return Vec(vals, rt, False)

        return Compiled(rt, fn, label="SubPlan (grouped)")

    def inner_classifier(self, q: exp.Select, scope: Scope) -> Any:
        """A function Column -> "inner" | "outer" | None for a subquery's FROM tables."""
        from_ = q.args.get("from") or q.args.get("from_")
        if from_ is None:
            return None
        items = [from_.this] + [j.this for j in q.args.get("joins") or []]
        aliases: set[str] = set()
        cols: set[str] = set()
        for it in items:
            if not isinstance(it, exp.Table) or not isinstance(it.this, exp.Identifier):
                return None
            if not it.db and self.planner.find_cte(it.name) is not None:
                return None
            rel = self.ctx.resolve_relation(it.db or None, it.name)
            if rel is None or rel.kind not in ("table", "virtual"):
                return None
            aliases.add(it.alias_or_name)
            cols.update(n for n, _ in rel.columns)

        def classify(col: exp.Column) -> str | None:
            qual = col.table or None
            if qual is not None:
                if qual in aliases:
                    return "inner"
            elif col.name in cols:
                return "inner"
            try:
                s_: Scope | None = scope
                while s_ is not None:
                    if s_.find_local(col.name, qual) is not None:
                        return "outer"
                    s_ = s_.outer
            except HeliosError:
                return None
            return None

        return classify

    def subquery_values(self, op: Any, ctx: Any) -> pa.Array:
        chunks = [b.column(0) for b in op.execute(ctx) if b.num_rows]
        t = op.fields[0].type.arrow_type
        if not chunks:
            return pa.array([], type=t)
        chunks = _unify_arrays(chunks)
        return pa.concat_arrays(chunks)

    def in_subquery(self, left_ast: exp.Expression, q: exp.Expression, scope: Scope) -> Compiled:
        return self.quantified_subquery("=", left_ast, q, scope, is_all=False)

    def quantified_subquery(self, op_name: str, left_ast: exp.Expression, q: exp.Expression, scope: Scope,
                            is_all: bool) -> Compiled:
        if isinstance(q, exp.Subquery):
            q = q.this
        if isinstance(left_ast, exp.Tuple):
            return self.row_in_subquery(left_ast, q, scope, is_all, op_name)
        left = self.compile(left_ast, scope)
        plan, captured = self.planner.plan_subquery(q, scope)
        visible = [f for f in plan.fields if not f.hidden]
        if len(visible) != 1:
            raise HeliosError("subquery has too many columns", sqlstate="42601")
        st = visible[0].type
        if left.type.name == "unknown":
            left = self.coerce(left, st)
        common = self.result_type([left.type, st], "IN")
        left = self.coerce(left, common)
        cache_key = id(plan)

        def values(ctx: Any) -> Vec:
            return Vec(self.subquery_values(plan, ctx), st, False)

        def compute_for(lv: Vec, vals: Vec, n: int) -> pa.Array:
            la = lv.broadcast(n).array
            # (rows compare field by field below; geometric = by its own rule)
            if op_name == "=" and not is_all and not geometric.involves_type(common) and not common.is_rowtype:
                va = vals.array
                if st != common:
                    va = self.cast_vec(Vec(va, st, False), common).array
                has_null = va.null_count > 0
                vs = va.drop_null() if has_null else va
                if NW.is_wide(la) or NW.is_wide(vs):
                    la, vs = NW.shared_keys(la, vs)
                elif vs.type != la.type:
                    try:
                        vs = vs.cast(la.type)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                        la = la.cast(vs.type)
                found = pc.is_in(la, value_set=vs, skip_nulls=True)
                if has_null:
                    found = pc.if_else(found, True, pa.scalar(None, pa.bool_()))
                if len(va):
                    found = pc.if_else(pc.is_null(la), pa.scalar(None, pa.bool_()), found)
                return found
            lists = pa.ListArray.from_arrays(pa.array([0] * n + [len(vals.array)], pa.int32())
                                             if n else pa.array([0], pa.int32()), vals.array) if n == 1 else None
            if lists is None:
                # one list (all subquery values) per row
                m = len(vals.array)
                offsets = pa.array([i * m for i in range(n + 1)], pa.int32())
                rep = vals.array.take(pa.array([j for _ in range(n) for j in range(m)], pa.int64()))
                lists = pa.ListArray.from_arrays(offsets, rep)
            return self.quantify(op_name, la, left.type, lists, st, is_all)

        if not captured:
            lf = left.fn

            def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
                vals = ctx.subquery_cache.get(cache_key)
                if vals is None:
                    vals = values(ctx)
                    ctx.subquery_cache[cache_key] = vals
                lv = lf(b, ctx)
                n = len(lv.array)
                return Vec(compute_for(lv, vals, n), T.BOOL, lv.scalar)

            return Compiled(T.BOOL, fn, label="IN (SubPlan)")

        lf = left.fn

        def run_per_row(ctx: Any, lv: Vec) -> Vec:
            vals = values(ctx)
            return Vec(compute_for(lv, vals, 1), T.BOOL, True)

        return self.correlated(captured, T.BOOL, lambda ctx, row_batch, b: run_per_row(ctx, left.fn(row_batch, ctx)),
                               pass_row_batch=True)

    def row_in_subquery(self, left_ast: exp.Tuple, q: exp.Expression, scope: Scope, is_all: bool,
                        op_name: str) -> Compiled:
        """(a, b) op ANY/ALL (SELECT x, y ...) and (a, b) [NOT] IN (...), correlated or not, with
        PostgreSQL's row comparison rules (pairwise, NULL when undecided)."""
        lefts = [self.compile(x, scope) for x in left_ast.expressions]
        plan, captured = self.planner.plan_subquery(q, scope)
        visible = [f for f in plan.fields if not f.hidden]
        if len(visible) != len(lefts):
            raise HeliosError("subquery has too many columns" if len(visible) > len(lefts)
                              else "subquery has too few columns", sqlstate="42601")
        if op_name not in ("=", "<>", "<", "<=", ">", ">="):
            raise HeliosError(f"operator {op_name} is not supported for row comparison", sqlstate="42883")
        cache_key = id(plan)

        def right_rows(ctx: Any, cached: bool) -> list[tuple]:
            rows = ctx.subquery_cache.get(cache_key) if cached else None
            if rows is None:
                from helios_core.sql.operators.base import collect

                tab = collect(plan, ctx)
                rows = list(zip(*[tab.column(i).to_pylist() for i in range(len(lefts))], strict=True))
                if cached:
                    ctx.subquery_cache[cache_key] = rows
            return rows

        def decide(row: tuple, rows: list[tuple]) -> bool | None:
            seen_null = False
            for r in rows:
                v = _row_compare(op_name, row, r)
                if v is None:
                    seen_null = True
                elif v is not is_all:  # ANY: a true settles it; ALL: a false does
                    return v
            return None if seen_null else is_all

        def per_batch(b: pa.RecordBatch, ctx: Any, rows: list[tuple]) -> pa.Array:
            n = b.num_rows
            cols = [lc.fn(b, ctx).broadcast(n).array.to_pylist() for lc in lefts]
            return pa.array([decide(row, rows) for row in zip(*cols, strict=True)], pa.bool_())

        if not captured:
            def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
                return Vec(per_batch(b, ctx, right_rows(ctx, True)), T.BOOL, False)

            return Compiled(T.BOOL, fn, label="IN (SubPlan)")
        return self.correlated(
            captured, T.BOOL,
            lambda ctx, row_batch, b: Vec(per_batch(row_batch, ctx, right_rows(ctx, False)), T.BOOL, False),
            pass_row_batch=True)

    def subquery_compiled(self, run, captured: set, rt: T.SqlType, label: str) -> Compiled:
        """An expression over a subquery: once per execution, or per outer row when correlated."""
        if not captured:
            key = id(run)

            def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
                v = ctx.subquery_cache.get(key)
                if v is None:
                    v = run(ctx)
                    ctx.subquery_cache[key] = v
                return v

            return Compiled(rt, fn, label=label)
        return self.correlated(captured, rt, lambda ctx, row_batch, b: run(ctx))

    def correlated(self, captured: set, rt: T.SqlType, run_row, pass_row_batch: bool = False) -> Compiled:
        """Evaluate ``run_row(ctx, row_batch, batch)`` once per distinct combination of outer values."""
        cols = sorted(i for i in captured if i is not None)

        def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
            n = b.num_rows
            if n == 0:
                return Vec(pa.array([], type=rt.arrow_type), rt, False)
            keys_cols = [b.column(i) for i in cols]
            py = [c.to_pylist() for c in keys_cols]
            key_index: dict[Any, int] = {}
            firsts: list[int] = []
            row_to_key: list[int] = []
            for r in range(n):
                k = tuple(_hashable(col[r]) for col in py)
                ki = key_index.get(k)
                if ki is None:
                    ki = len(firsts)
                    key_index[k] = ki
                    firsts.append(r)
                row_to_key.append(ki)
            results = []
            for r in firsts:
                row = {i: b.column(i).slice(r, 1) for i in cols}
                ctx.outer_rows.append(row)
                try:
                    row_batch = b.slice(r, 1)
                    v = run_row(ctx, row_batch, b)
                finally:
                    ctx.outer_rows.pop()
                results.append(v.broadcast(1).array if v.scalar else v.array)
            results = _unify_arrays(results)
            allv = pa.concat_arrays(results)
            return Vec(allv.take(pa.array(row_to_key, pa.int64())), rt, False)

        return Compiled(rt, fn, label="SubPlan (correlated)")

    # ------------------------------------------------------------------ arrays, rows
    def c_Array(self, node: exp.Array, scope: Scope) -> Compiled:
        items = node.expressions
        if len(items) == 1 and isinstance(items[0], (exp.Select, exp.Subquery, exp.Union)):
            return self.array_subquery(items[0], scope)
        cs = [self.compile(i, scope) for i in items]
        if not cs:
            if not isinstance(node.parent, exp.Cast):  # ARRAY[]::int[] says its type; a bare ARRAY[] has none
                raise HeliosError("cannot determine type of empty array", sqlstate="42P18",
                                  hint="Explicitly cast to the desired type, for example ARRAY[]::integer[].",
                                  position=node_position(node))
            return make_const(Vec(pa.array([[]], pa.list_(pa.string())), T.array_of(T.TEXT), True))
        et = self.result_type([c.type for c in cs], "ARRAY")
        nested = et.is_array
        if nested:  # ARRAY[ARRAY[1,2], '{3,4}']: sub-arrays of one type make a dimension more
            cs = [self.coerce(c, T.array_of(et.element)) for c in cs]
            et = et.element
        else:
            cs = [self.coerce(c, et) for c in cs]
        at = T.array_of(et)

        def compute(v: list[Vec]) -> Vec:
            scalar = all(x.scalar for x in v)
            n = max(len(x.array) for x in v)
            if nested:
                return stack_subarrays([x.broadcast(n) for x in v], scalar)
            arrs = _unify_arrays([x.broadcast(n).array if not scalar else x.array for x in v])
            k = len(arrs)
            values = pa.concat_arrays(arrs)
            order = pa.array([j * n + i for i in range(n) for j in range(k)], pa.int64())
            values = values.take(order)
            offsets = pa.array(range(0, n * k + 1, k), pa.int32())
            return Vec(pa.ListArray.from_arrays(offsets, values), at, scalar)

        return self.lift(cs, True, compute, at, label="ARRAY[...]")

    def array_subquery(self, q: exp.Expression, scope: Scope) -> Compiled:
        if isinstance(q, exp.Subquery):
            q = q.this
        op, captured = self.planner.plan_subquery(q, scope)
        et = op.fields[0].type
        at = T.array_of(et)

        def run(ctx: Any) -> Vec:
            vals = self.subquery_values(op, ctx)
            return Vec(pa.ListArray.from_arrays(pa.array([0, len(vals)], pa.int32()), vals), at, True)

        return self.subquery_compiled(run, captured, at, "ARRAY(SubPlan)")

    def c_Dot(self, node: exp.Dot, scope: Scope) -> Compiled:
        """``schema.f(args)`` of a function a plugin registered under its qualified name
        (``heliosdb.restore_branch``; other qualified calls were unqualified at parse time), or
        (r).fN: field N of an anonymous record (ROW(...)) whose field types are known. PostgreSQL
        cannot name the fields of an anonymous record; front ends whose tuples have positional
        fields (ClickHouse's t.1) reach them so."""
        if isinstance(node.this, exp.Identifier) and isinstance(node.expression, (exp.Anonymous, exp.Func)):
            return self.qualified_call(node, scope)
        if not isinstance(node.expression, exp.Identifier):
            raise FeatureNotSupported(f"expression not supported: {node.sql(dialect='postgres')[:200]}")
        base = self.compile(node.this, scope)
        name = node.expression.name
        if not base.type.is_rowtype:
            raise HeliosError(f"column notation .{name} applied to type {base.type.sql_name()}, "
                              "which is not a composite type", sqlstate="42809")
        fields = base.type.fields or ()
        if base.type.is_composite:
            names = base.type.field_names
            position = names.index(name) + 1 if name in names else 0
            if not position:
                raise UndefinedColumn(f'column "{name}" not found in data type {base.type.sql_name()}')
        elif name in base.type.field_names:  # a record whose fields have names ((jsonb_each(j)).key)
            position = base.type.field_names.index(name) + 1
        else:
            position = int(name[1:]) if name[:1] == "f" and name[1:].isdigit() else 0
        if not 1 <= position <= len(fields):
            raise UndefinedColumn(f'could not identify column "{name}" in record data type')
        field_type = fields[position - 1]
        index = position - 1

        def field(v: list[Vec]) -> Vec:
            values = v[0].array.combine_chunks() if isinstance(v[0].array, pa.ChunkedArray) else v[0].array
            return Vec(pc.struct_field(values, [index]), field_type, v[0].scalar)

        return self.lift([base], True, field, field_type)

    def c_Bracket(self, node: exp.Bracket, scope: Scope) -> Compiled:
        # a[i][j][k:l]: the whole chain of subscripts applies to one array (PostgreSQL's rule)
        chain: list[list[exp.Expression]] = []
        inner: exp.Expression = node
        while isinstance(inner, exp.Bracket):
            chain.insert(0, list(inner.expressions))
            inner = inner.this
        base = self.compile(inner, scope)
        if base.type.name in ("json", "jsonb"):
            for exprs in chain:
                if len(exprs) != 1 or isinstance(exprs[0], exp.Slice):
                    raise HeliosError("jsonb subscript does not support slices", sqlstate="42804")
                idx = self.compile(exprs[0], scope)
                base = self.lift([base, idx], True, lambda v: self.binop("->", v[0], v[1]))
            return base
        if base.type.name == "hstore":  # the extension's subscript: h['key'] is h -> 'key'
            if len(chain) != 1 or len(chain[0]) != 1:
                raise HeliosError("hstore allows only one subscript", sqlstate="42804")
            if isinstance(chain[0][0], exp.Slice):
                raise HeliosError("hstore allows only one subscript", sqlstate="42804")
            idx = self.coerce(self.compile(chain[0][0], scope), T.TEXT)
            return self.lift([base, idx], True, lambda v: self.binop("->", v[0], v[1]), T.TEXT)
        if geometric.involves_type(base.type) and base.type.name in ("point", "lseg", "box"):
            # like a one-dimensional array of its element (float8, point) numbered from 0;
            # a second subscript finds no dimension and gives NULL, as in PostgreSQL
            if any(len(e) != 1 or isinstance(e[0], exp.Slice) for e in chain):
                raise HeliosError(f"slices of type {base.type} are not supported", sqlstate="0A000")
            idx = self.coerce(self.compile(chain[0][0], scope), T.INT4)
            out_t = T.FLOAT8 if base.type.name == "point" else T.POINT
            if len(chain) > 1:
                return self.lift([base, idx], True, lambda v: Vec.null(out_t), out_t)
            return self.lift([base, idx], True, lambda v: geometric.subscript(v[0], v[1]), out_t)
        if base.type.name == "name" and len(chain) == 1 and not isinstance(chain[0][0], exp.Slice):
            idx = self.compile(chain[0][0], scope)  # a name is a char array from 0: typname[0] = '_' (pg_dump)
            return self.lift([base, idx], True, lambda v: _name_char(v[0], v[1], 0), T.CHAR)
        zero_based = base.type.name in T.VECTOR_TYPE_NAMES  # int2vector/oidvector subscripts start at 0
        if not base.type.is_array:
            raise HeliosError(f"cannot subscript type {base.type.sql_name()} because it does not support subscripting",
                              sqlstate="42804")
        if any(len(e) != 1 for e in chain):
            raise SyntaxError_("syntax error at or near \",\"")
        if len(chain) > 6:
            raise HeliosError(f"number of array dimensions ({len(chain)}) exceeds the maximum allowed (6)",
                              sqlstate="54000")
        is_slice = any(isinstance(e[0], exp.Slice) for e in chain)
        parts: list[Compiled] = []
        shape: list[tuple[bool, bool]] = []  # per subscript: (has lower, has upper) of a slice
        for (e,) in chain:
            if isinstance(e, exp.Slice):
                lo, hi = e.args.get("this"), e.args.get("expression")
                shape.append((lo is not None, hi is not None))
                parts.extend(self.coerce(self.compile(x, scope), T.INT4) for x in (lo, hi) if x is not None)
            else:
                shape.append((False, True))
                parts.append(self.coerce(self.compile(e, scope), T.INT4))
        et = base.type.element
        out_t = base.type if is_slice else et

        def compute(v: list[Vec]) -> Vec:
            scalar = all(x.scalar for x in v)
            n = max(len(x.array) for x in v)
            lists = v[0].broadcast(n).array
            if isinstance(lists, pa.ChunkedArray):
                lists = lists.combine_chunks()
            if not is_slice and len(shape) == 1 and not pa.types.is_list(lists.type.value_type):
                idx = v[1].broadcast(n).array
                if zero_based:
                    idx = pc.add(pc.cast(idx, pa.int64()), 1)
                return Vec(subs.element_1d(lists, idx, et), et, scalar)
            cols = [x.broadcast(n).array.to_pylist() for x in v[1:]]
            null = subs.null_bound()
            rows_bounds = []
            for r in range(n):
                it = iter(c[r] for c in cols)
                bounds: list = []
                for has_lo, has_hi in shape:
                    if not is_slice:
                        bounds.append(next(it))
                        continue
                    # a lone i inside a slice means 1:i, the same as :i
                    lo = next(it) if has_lo else None
                    hi = next(it) if has_hi else None
                    if (has_lo and lo is None) or (has_hi and hi is None):
                        lo = null
                    bounds.append((lo, hi))
                rows_bounds.append(bounds)
            rows = subs.subscript_rows(lists.to_pylist(), rows_bounds, is_slice)
            return subs.result_vec(rows, Vec(lists, v[0].type, scalar), is_slice, scalar)

        return self.lift([base, *parts], True, compute, out_t)

    def c_Tuple(self, node: exp.Tuple, scope: Scope) -> Compiled:
        return self.row_constructor(list(node.expressions), scope)

    def row_constructor(self, items: list[exp.Expression], scope: Scope) -> Compiled:
        """ROW(a, b, ...) / (a, b, ...): an anonymous record (untyped literals become text);
        ``t.*`` among the items stands for t's columns."""
        expanded: list[exp.Expression] = []
        for item in items:
            if isinstance(item, exp.Column) and isinstance(item.this, exp.Star) and item.table:
                names = [f.name for f in scope.fields if f.qualifier == item.table and not f.hidden] or [
                    f.name for f in scope.fields if f.qualifier == item.table and f.name not in ("_rowid", "tableoid")
                    and not f.name.startswith("?")]  # JOIN ... USING (...) AS alias: hidden from SELECT *
                if not names:
                    raise HeliosError(f'missing FROM-clause entry for table "{item.table}"', sqlstate="42P01")
                expanded.extend(exp.column(n, table=item.table, quoted=True) for n in names)
            else:
                expanded.append(item)
        fields = [self.compile(i, scope) for i in expanded]
        fields = [self.coerce(f, T.TEXT) if f.type.name == "unknown" else f for f in fields]
        rt = T.record_of([f.type for f in fields])

        def compute(v: list[Vec]) -> Vec:
            n = length_of(v)
            children = [x.broadcast(n).array for x in v]
            names = [f"f{i + 1}" for i in range(len(children))]  # numeric fields keep their own scale
            return Vec(pa.StructArray.from_arrays(children, names=names), rt, all(x.scalar for x in v))

        if not fields:
            return make_const(Vec(pa.array([{}], pa.struct([])), rt, True), "ROW()")
        return self.lift(fields, True, compute, rt, label="ROW")

    def c_JSONExtract(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.json_extract(node, scope, "->")

    def c_JSONExtractScalar(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.json_extract(node, scope, "->>")

    def json_extract(self, node: exp.Expression, scope: Scope, op: str) -> Compiled:
        left = self.compile(node.this, scope)
        path = node.expression
        if isinstance(path, exp.JSONPath):
            parts = [p for p in path.expressions if not isinstance(p, exp.JSONPathRoot)]
            if len(parts) == 1 and isinstance(parts[0], exp.JSONPathKey):
                key = parts[0].this
                right = make_const(const_vec(key if isinstance(key, str) else str(key), T.TEXT))
            elif len(parts) == 1 and isinstance(parts[0], exp.JSONPathSubscript):
                right = make_const(const_vec(int(parts[0].this), T.INT4))
            else:
                raise FeatureNotSupported(f"JSON path {path.sql()} is not supported")
        else:
            right = self.compile(path, scope)
        return self.binary(op, left, right)

    # ------------------------------------------------------------------ special forms
    def c_Interval(self, node: exp.Interval, scope: Scope) -> Compiled:
        this = node.this
        unit = node.args.get("unit")
        if isinstance(this, exp.Literal):
            text = str(this.this)
            # sqlglot lifts a unit out of the string ('2 hours' -> '2' HOURS) into a literal it
            # made itself (no source position): that unit is text, not a typmod qualifier.
            written_outside = "start" in this.meta or unit is None
            qualifier = interval_qualifier(unit) if written_outside else None
            start = this.meta.get("start")
            try:
                if qualifier is not None:  # INTERVAL '1 2' DAY TO HOUR: the range decides the fields
                    months, days, usec = parse_interval_value(text, *qualifier)
                    value = pa.scalar((months, days, usec * 1000), pa.month_day_nano_interval()).as_py()
                    return make_const(const_vec(value, T.INTERVAL), f"'{text}'::interval")
                if unit is not None:
                    text = f"{text} {unit.name.lower() if hasattr(unit, 'name') else unit}"
                return make_const(self.cast_vec(const_vec(text, T.UNKNOWN), T.INTERVAL), f"'{text}'::interval")
            except HeliosError as e:
                if e.position is None and isinstance(start, int) and e.sqlstate.startswith("22"):
                    e.position = start + 1
                raise
        inner = self.compile(this, scope)
        if unit is not None:
            u = self.cast_compiled(make_const(const_vec(f"1 {unit.name}", T.UNKNOWN)), T.INTERVAL)
            return self.binary("*", inner, u)
        return self.cast_compiled(inner, T.INTERVAL)

    def c_Extract(self, node: exp.Extract, scope: Scope) -> Compiled:
        part = node.this
        name = part.name if isinstance(part, (exp.Var, exp.Identifier, exp.Column)) else None
        if name is None and isinstance(part, exp.Literal):
            name = part.this
        args = [make_const(const_vec(str(name).lower(), T.TEXT)), self.compile(node.expression, scope)]
        fname = "extract" if isinstance(node, exp.Extract) and node.meta.get("extract", True) else "date_part"
        return self.call(_extract_name(node, fname), args)

    def c_CurrentTimestamp(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.compile_call("now", [], scope)

    def c_CurrentDate(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.compile_call("current_date", [], scope)

    def c_CurrentTime(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.compile_call("current_time", [], scope)

    def c_Localtimestamp(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.compile_call("localtimestamp", [], scope)

    def c_CurrentUser(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.compile_call("current_user", [], scope)

    def c_CurrentSchema(self, node: exp.Expression, scope: Scope) -> Compiled:
        return self.compile_call("current_schema", [], scope)

    def c_Var(self, node: exp.Var, scope: Scope) -> Compiled:
        return self.c_Column(exp.column(node.name), scope)

    def c_Identifier(self, node: exp.Identifier, scope: Scope) -> Compiled:
        return self.c_Column(exp.Column(this=node), scope)

    # ------------------------------------------------------------------ function calls
    def c_Anonymous(self, node: exp.Anonymous, scope: Scope) -> Compiled:
        name = str(node.this).lower()
        if is_aggregate_node(node):  # the caller names the place (FILTER, nested calls, ...), as PostgreSQL
            start = node.meta.get("start") if node.meta else None
            raise GroupingError(AGGREGATE_NOT_ALLOWED, position=start + 1 if isinstance(start, int) else None)
        if name == "row":
            return self.row_constructor(list(node.expressions), scope)
        if name in T.OID_ALIAS_NAMES and len(node.expressions) == 1 and not self.F.has_function(name):
            # a type name called as a function is a cast, as PostgreSQL reads regclass('pg_class')
            return self.cast_compiled(self.compile(node.expressions[0], scope), T.type_from_name(name))
        return self.compile_call(name, list(node.expressions), scope)

    def range_constructor_call(self, t: T.SqlType, name: str, arg_asts: list[exp.Expression],
                               scope: Scope) -> Compiled:
        """The constructor function of a CREATE TYPE ... AS RANGE's range or multirange type."""
        args = [self.compile(a, scope) for a in arg_asts]
        return self.lift(args, True, lambda v, t=t: range_constructor(t, v), t,
                         label=f"{name}({', '.join(a.label for a in args)})")

    def qualified_call(self, node: exp.Dot, scope: Scope) -> Compiled:
        """``schema.f(args)``: a function a plugin registered under its qualified name
        (``heliosdb.restore_branch``) or a user function named with its schema (pg_dump's spelling);
        pg_catalog's and public's built-ins were unqualified at parse time."""
        schema, call = node.this, node.expression
        if index_search.is_score_call(node):
            return self.index_score(call, scope)
        name, arg_asts = (str(call.this).lower(), list(call.expressions)) if isinstance(call, exp.Anonymous) \
            else pg_function_call(call)
        qualified = f"{schema.name.lower()}.{name}"
        if isinstance(call, exp.Anonymous) and self.F.has_function(qualified):
            return self.compile_call(qualified, arg_asts, scope)
        routines = planner_calls.lookup(self.ctx, f"{schema.name}.{name}", len(arg_asts))
        if routines:
            return planner_calls.compile_call(self, routines, arg_asts, scope)
        made = T.USER_TYPES.find(f"{T.quote_name(schema.name)}.{T.quote_name(name)}")
        if made is not None and (made.is_range or made.is_multirange):
            return self.range_constructor_call(made, name, arg_asts, scope)
        txn = getattr(self.ctx, "txn", None)
        if txn is not None and schema.name.lower() not in _SYSTEM_SCHEMAS \
                and not schema.name.lower().startswith("pg_temp") and txn.catalog_get("schema", schema.name) is None:
            raise UndefinedObject(f'schema "{schema.name}" does not exist', sqlstate="3F000")
        args = [self.compile(a, scope) for a in arg_asts]
        raise UndefinedFunction(f"function {schema.name}.{name}({', '.join(a.type.sql_name() for a in args)}) "
                                "does not exist",
                                hint="No function matches the given name and argument types. You might need to "
                                     "add explicit type casts.")

    def index_score(self, call: exp.Anonymous, scope: Scope) -> Compiled:
        """``heliosdb.score(key)``: the score the index search of key's table gave the row
        (the scan's hidden score column, see sql/index_search)."""
        args = list(call.expressions)
        if len(args) != 1 or not isinstance(args[0], exp.Column):
            raise HeliosError("heliosdb.score() takes one column of the searched table", sqlstate="42883")
        self.compile(args[0], scope)  # the column must exist
        try:
            return self.compile(exp.Column(this=exp.to_identifier(index_search.SCORE_COLUMN),
                                           table=args[0].args.get("table")), scope)
        except HeliosError:
            raise index_search.score_unavailable() from None

    def compile_func_node(self, node: exp.Func, scope: Scope) -> Compiled:
        name, args = pg_function_call(node)
        return self.compile_call(name, args, scope)

    def compile_call(self, name: str, arg_asts: list[exp.Expression], scope: Scope) -> Compiled:
        if planner_calls.is_named(arg_asts) and not self.F.has_function(name):
            routines = planner_calls.lookup(self.ctx, name, len(arg_asts))  # CREATE FUNCTION's, named notation
            if routines:
                routines, arg_asts = planner_calls.positional(self, routines, arg_asts, scope)
                return planner_calls.compile_call(self, routines, arg_asts, scope)
        arg_asts = named_arguments.to_positional(name, arg_asts)
        if arg_asts and isinstance(arg_asts[-1], exp.Variadic) and not self.F.has_function(name):
            routines = planner_calls.lookup(self.ctx, name, len(arg_asts))  # a VARIADIC parameter's array
            if routines:
                return planner_calls.compile_call(self, routines, arg_asts, scope)
        if len(arg_asts) == 1 and isinstance(arg_asts[0], exp.Variadic) and name in variadic_arguments.NULL_COUNTERS:
            return variadic_arguments.null_count(self, name, arg_asts[0].this, scope)
        if arg_asts and isinstance(arg_asts[-1], exp.Variadic):
            spread = variadic_arguments.expand(self, arg_asts, scope)
            if spread is None:  # VARIADIC NULL: the call is NULL
                probe = self.compile_call(name, list(arg_asts[:-1]), scope)
                return make_const(Vec(pa.nulls(1, probe.type.arrow_type), probe.type, True), f"{name}(NULL)")
            arg_asts = spread
        check_execute(self.ctx.session, name)  # 42501 once EXECUTE was revoked from the caller
        if name in CAST_FUNCTIONS and len(arg_asts) == 1:  # float8(x): pg_proc's functions behind casts
            arg = self.compile(arg_asts[0], scope)
            if arg.type.element is None and (arg.type.name in CAST_FUNCTIONS[name] or arg.type.name == "unknown"):
                return self.cast_compiled(arg, T.type_from_name(name), "explicit")
        if name in ("current_user", "session_user", "user", "current_role"):
            attr = "session_user" if name == "session_user" else "user"  # SET ROLE changes only current_user
            user = getattr(self.ctx.session, attr, None) or getattr(self.ctx.session, "user", None) or "helios"
            return Compiled(T.NAME, lambda b, c: const_vec(getattr(c.session, attr, None) or user, T.NAME),
                            label=name)
        if name in ("current_database", "current_catalog"):
            return Compiled(T.NAME, lambda b, c: const_vec(getattr(c.session, "database", None) or "helios",
                                                           T.NAME), label=name)
        if name == "current_schema":
            from helios_core.sql.planner.system_columns import current_schema  # first *existing* schema

            return Compiled(T.NAME, lambda b, c: const_vec(current_schema(c), T.NAME), label=name)
        if name == "current_setting" and arg_asts:
            key_c = self.compile(arg_asts[0], scope)
            missing_ok = len(arg_asts) > 1

            def fn(b: pa.RecordBatch, c: Any) -> Vec:
                k = key_c.fn(b, c).value()
                val = c.settings.get(str(k).lower()) if k is not None else None
                if val is None and not missing_ok:
                    raise HeliosError(f'unrecognized configuration parameter "{k}"', sqlstate="42704")
                return const_vec(val, T.TEXT)

            return Compiled(T.TEXT, fn, label=name)
        if not self.F.has_function(name):
            routines = planner_calls.lookup(self.ctx, name, len(arg_asts))  # CREATE FUNCTION's
            if routines:
                return planner_calls.compile_call(self, routines, arg_asts, scope)
            made = T.USER_TYPES.find(T.quote_name(name)) if "." not in name else None
            if made is not None and (made.is_range or made.is_multirange):
                return self.range_constructor_call(made, name, arg_asts, scope)
        args = [self.compile(a, scope) for a in arg_asts]
        extensions_catalog.check_function(self.ctx, name, [a.type for a in args])  # 42883 until installed
        return self.call(name, args)

    def call(self, name: str, args: list[Compiled]) -> Compiled:
        fold = name not in NOT_FOLDABLE and not is_volatile(name)  # a plugin's volatile function too
        if name in ANY_ARGUMENTS_FROM:
            self.planner.any_params.update(a.param for a in args[ANY_ARGUMENTS_FROM[name]:]
                                           if a.param is not None and a.type.name == "unknown")
        F = self.F
        declared_args = F.declared_arg_types(name) if any(a.param is not None for a in args) else None
        if declared_args is not None and len(declared_args) == len(args):
            args = [self.retype_param(a, t) for a, t in zip(args, declared_args, strict=True)]

        def compute(v: list[Vec], _n: str = name) -> Vec:
            return F.call_function(_n, v)

        if name in PER_ROW_VOLATILE:
            # nextval's type is known: probing it would take a value from the sequence at plan time
            out_t = T.INT8 if name == "nextval" else compute(
                [a.const if a.const is not None else Vec(pa.nulls(1, a.type.arrow_type), a.type, True)
                 for a in args]).type
            fns = [a.fn for a in args]
            return Compiled(out_t, lambda b, c, _n=name: _per_row(_n, fns, compute, b, c),
                            label=f"{name}({', '.join(a.label for a in args)})")

        label = f"{name}({', '.join(a.label for a in args)})"
        if not fold and not args:  # probing the type would call it: pg_stat_statements_reset() at plan time
            declared = getattr(F, "declared_return_type", None)
            out_t = declared(name) if declared is not None else None
            if out_t is not None:
                return self.lift(args, False, compute, out_t, label=label)
        strict = name in STRICT_FUNCTIONS
        if strict and any(a.const is not None and a.const.array.null_count for a in args):
            return self.lift(args, fold, compute, label=label, strict=True)
        if not fold or any(a.const is None for a in args):
            try:
                out_t = self.probe_type(args, compute)
            except HeliosError as e:
                if e.sqlstate in ("42883", "42725", "42804", "42P18", "0A000"):
                    raise
                out_t = None
            if out_t is None:
                sample = [a.const if a.const is not None else Vec(pa.nulls(1, a.type.arrow_type), a.type, True)
                          for a in args]
                out_t = compute(sample).type
            return self.lift(args, fold, compute, out_t, label=label)
        return self.lift(args, True, compute, label=label)


# ------------------------------------------------------------------------------------ helpers
def _pure_here(n: exp.Expression) -> bool:
    """This node (not its children) is no subquery, aggregate, window or volatile call."""
    if isinstance(n, (exp.Select, exp.Subquery, exp.Exists, exp.Window, exp.Parameter, exp.Placeholder)):
        return False
    if is_aggregate_node(n):
        return False
    if isinstance(n, exp.Func):
        name = str(n.this).lower() if isinstance(n, exp.Anonymous) else type(n).__name__.lower()
        if name in NOT_FOLDABLE or name in ("rand", "currenttimestamp", "currentdate", "currenttime"):
            return False
        if isinstance(n, exp.Anonymous) and is_volatile(name):  # a plugin's volatile function
            return False
    if isinstance(n, exp.Dot) and isinstance(n.this, exp.Identifier) and isinstance(n.expression, exp.Anonymous):
        return not is_volatile(f"{n.this.name.lower()}.{str(n.expression.this).lower()}")  # heliosdb.mongo(...)
    return True


def _row_compare(op: str, left: tuple, right: tuple) -> bool | None:
    """PostgreSQL's row constructor comparison: = and <> pairwise, the others lexicographic;
    None when NULLs leave it undecided."""
    if op in ("=", "<>"):
        undecided = False
        for a, b in zip(left, right, strict=True):
            if a is None or b is None:
                undecided = True
            elif a != b:
                return op == "<>"
        return None if undecided else op == "="
    for a, b in zip(left, right, strict=True):
        if a is None or b is None:
            return None
        if a != b:
            return {"<": a < b, "<=": a < b, ">": a > b, ">=": a > b}[op]
    return op in ("<=", ">=")


def _put(base: pa.Array, idx: pa.Array, values: pa.Array) -> pa.Array:
    """base with base[idx[i]] = values[i]."""
    n = len(base)
    pos = pa.array(range(n), pa.int64())
    mask = pc.is_in(pos, value_set=idx)
    # values in row order of idx (ascending) line up with the masked positions
    return pc.replace_with_mask(base, mask, values)


def node_position(node: exp.Expression) -> int | None:
    """1-based character position of a node in the statement text (from the tokenizer), if known."""
    starts = []
    for ident in node.find_all(exp.Identifier):
        st = ident.meta.get("start") if ident.meta else None
        if isinstance(st, int):
            starts.append(st)
    return min(starts) + 1 if starts else None


def _split_and(e: exp.Expression) -> list[exp.Expression]:
    while isinstance(e, exp.Paren) and isinstance(e.this, exp.And):
        e = e.this
    if isinstance(e, exp.And):
        return _split_and(e.this) + _split_and(e.expression)
    return [e]


def _padded_variants(vs: pa.Array, width: int) -> pa.Array:
    """char(n) values as stored (blank-padded to n) and as written (trailing blanks trimmed)."""
    trimmed = pc.utf8_rtrim(vs, characters=" ")
    padded = pc.utf8_rpad(trimmed, width=width, padding=" ")
    return pa.concat_arrays([trimmed, padded])


def _batch_cached(c: Compiled) -> Compiled:
    """The same expression, remembering its value for the last batch it saw."""
    inner = c.fn
    key = ("cse", object())  # unique per compiled expression

    def fn(b: pa.RecordBatch, ctx: Any) -> Vec:
        # kept in the execution's context: a plan may run in several threads at once
        cache = ctx.subquery_cache
        hit = cache.get(key)
        if hit is not None and hit[0] is b:
            return hit[1]
        v = inner(b, ctx)
        cache[key] = (b, v)
        return v

    return Compiled(c.type, fn, label=c.label, arith=c.arith)


def _any_qualifier(scope: Scope, qual: str) -> bool:
    s: Scope | None = scope
    while s is not None:
        if s.has_qualifier(qual):
            return True
        s = s.outer
    return False


def _arrow_for(c: Compiled) -> pa.DataType:
    if c.const is not None:
        return c.const.array.type
    return c.type.arrow_type


def _flatten(node: exp.Expression, kind: type) -> list[exp.Expression]:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, kind):
            stack.append(n.expression)
            stack.append(n.this)
        else:
            out.append(n)
    return out


def _any_true(v: list[Vec]) -> Vec:
    """OR of boolean Vecs with SQL's three-valued logic (an IN list's comparisons)."""
    scalar = all(x.scalar for x in v)
    n = max(len(x.array) for x in v)
    acc = v[0].array if scalar else v[0].broadcast(n).array
    for x in v[1:]:
        acc = pc.or_kleene(acc, x.array if scalar else x.broadcast(n).array)
    return Vec(acc, T.BOOL, scalar)


def _row_null_test(arr: Any, negate: bool) -> pa.Array:
    """``row IS NULL``: the row is NULL or every field is; ``row IS NOT NULL``: the row is not NULL
    and no field is (so a row with some NULL fields is neither), as SQL defines them."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    fields = [arr.field(i) for i in range(arr.type.num_fields)]
    if negate:
        out = pc.is_valid(arr)
        for f in fields:
            out = pc.and_(out, pc.is_valid(f))
        return out
    every = pa.array([True] * len(arr), pa.bool_())
    for f in fields:
        every = pc.and_(every, pc.is_null(f))
    return pc.or_(pc.is_null(arr), every)


def _record_change(src: T.SqlType, dst: T.SqlType) -> bool:
    """Whether a record must be converted field by field to reach dst's field types."""
    return src.is_rowtype and dst.is_rowtype and bool(dst.fields) and src.arrow_type != dst.arrow_type


def _unify_arrays(arrs: list[pa.Array]) -> list[pa.Array]:
    """Cast arrays to one Arrow type (decimals of different scale, null-typed NULLs)."""
    if len(arrs) <= 1:
        return list(arrs)
    types = {a.type for a in arrs}
    if len(types) == 1:
        return list(arrs)
    non_null = [t for t in types if t != pa.null()]
    if not non_null:
        return list(arrs)
    from helios_core.sql.functions import numeric_special as NS

    if any(NW.is_wide(a) for a in arrs):  # a value past Arrow's decimals: every array wide
        return [a if NW.is_wide(a) else NW.from_decimals(NW.to_decimals(a)) for a in arrs]
    if any(NS.is_special(a) for a in arrs):  # numeric NaN/Infinity beside plain decimals
        return NS.unify([a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrs], _unify_arrays)
    if all(pa.types.is_struct(t) for t in non_null) and len({t.num_fields for t in non_null}) == 1:
        return _unify_structs(arrs, non_null[0])
    if any(pa.types.is_decimal(t) for t in non_null) and all(
            pa.types.is_decimal(t) or pa.types.is_integer(t) for t in non_null):
        from helios_core.sql.functions.decimals import to_decimal

        arrs = [to_decimal(a) if pa.types.is_integer(a.type) else a for a in arrs]
        non_null = [a.type for a in arrs if a.type != pa.null()]
    if all(pa.types.is_decimal(t) for t in non_null):
        scale = max(t.scale for t in non_null)
        ints = max(t.precision - t.scale for t in non_null)
        if ints + scale > 76:  # declared precisions are pessimistic: size by the actual values
            from helios_core.sql.functions.decimals import narrow

            arrs = [narrow(a) if pa.types.is_decimal(a.type) else a for a in arrs]
            ints = max(a.type.precision - a.type.scale for a in arrs if pa.types.is_decimal(a.type))
        p = ints + scale
        target = pa.decimal128(p, scale) if p <= 38 else pa.decimal256(min(p, 76), scale)
    else:
        target = non_null[0]
        for t in non_null[1:]:
            if t != target:
                if pa.types.is_integer(t) and pa.types.is_integer(target):
                    target = t if t.bit_width > target.bit_width else target
                elif pa.types.is_floating(t) and not pa.types.is_floating(target):
                    target = t
    return [a if a.type == target else a.cast(target) for a in arrs]


def _unify_structs(arrs: list[pa.Array], like: pa.DataType) -> list[pa.Array]:
    """Records from different branches: unify field by field (numeric scales differ per branch)."""
    arrs = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrs]
    arrs = [pa.nulls(len(a), like) if pa.types.is_null(a.type) else a for a in arrs]
    per_field = [_unify_arrays([a.field(i) for a in arrs]) for i in range(like.num_fields)]
    out = []
    for k, a in enumerate(arrs):
        children = [per_field[i][k] for i in range(like.num_fields)]
        names = [like.field(i).name for i in range(like.num_fields)]
        out.append(pa.StructArray.from_arrays(children, names=names, mask=a.is_null()))
    return out


def _scatter(base: pa.Array, idx: pa.Array, values: pa.Array) -> pa.Array:
    """base with base[idx[i]] = values[i] (vectorized)."""
    n = len(base)
    if len(idx) == 0:
        return base
    mask_arr = pa.array([False] * n) if n < 64 else None

    out = base.to_numpy(zero_copy_only=False).copy()
    out[idx.to_numpy(zero_copy_only=False)] = values.to_numpy(zero_copy_only=False)
    del mask_arr
    return pa.array(out, type=base.type)


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    return v


def _translate_escape(pattern: str, escape: str | None) -> str:
    """LIKE pattern with a custom ESCAPE character -> Arrow's backslash-escaped pattern."""
    if escape is None or escape == "\\":
        return pattern
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escape == "":
            out.append("\\" + ch if ch == "\\" else ch)
        elif ch == escape and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append("\\" + nxt)
            i += 1
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _similar_to_regex(pat: str, escape: str | None) -> str:
    out = []
    i = 0
    special = set(".^$+?*{}[]()|\\")
    while i < len(pat):
        ch = pat[i]
        if escape and ch == escape and i + 1 < len(pat):
            out.append("\\" + pat[i + 1] if pat[i + 1] in special or pat[i + 1] in "%_" else pat[i + 1])
            i += 2
            continue
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch in ".^$\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _texty(t: T.SqlType) -> bool:
    return t.element is None and t.name in ("text", "varchar", "bpchar", "name", "unknown")


def _call_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _extract_name(node: exp.Expression, default: str) -> str:
    return "date_part" if default == "date_part" else "extract"


# ------------------------------------------------------------------------------------ name mapping
def _a(node: exp.Expression, *keys: str) -> list[exp.Expression]:
    out = []
    for k in keys:
        v = node.args.get(k)
        if v is None:
            continue
        if isinstance(v, list):
            out.extend(v)
        else:
            out.append(v)
    return out


def _lit(s: str) -> exp.Expression:
    return exp.Literal.string(s)


def pg_function_call(node: exp.Func) -> tuple[str, list[exp.Expression]]:
    """PostgreSQL function name and arguments (PG order) of a typed sqlglot function node."""
    k = type(node).__name__
    if k == "StrPosition":
        return "strpos", _a(node, "this", "substr")
    if k == "Substring":
        return "substr", _a(node, "this", "start", "length")
    if k == "Trim":
        pos = str(node.args.get("position") or "BOTH").upper()
        name = {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(pos, "btrim")
        return name, _a(node, "this", "expression")
    if k == "Pad":
        return ("lpad" if node.args.get("is_left") else "rpad"), _a(node, "this", "expression", "fill_pattern")
    if k == "Round":
        return "round", _a(node, "this", "decimals")
    if k == "Log":
        if node.args.get("expression") is not None:
            return "log", _a(node, "this", "expression")
        return "log", _a(node, "this")
    if k == "Ln":
        return "ln", _a(node, "this")
    if k == "Rand":
        return "random", []
    if k == "Pi":
        return "pi", []
    if k == "Sqrt":
        return "sqrt", _a(node, "this")
    if k == "Cbrt":
        return "cbrt", _a(node, "this")
    if k == "Initcap":
        return "initcap", _a(node, "this")
    if k == "Chr":
        return "chr", _a(node, "expressions")
    if k == "MD5":
        return "md5", _a(node, "this")
    if k == "Concat":
        return "concat", _a(node, "expressions")
    if k == "ConcatWs":
        return "concat_ws", _a(node, "expressions")
    if k == "Length":
        return "length", _a(node, "this")
    if k == "TimeToStr":
        fmt = node.args.get("format")
        return "to_char", [node.this, _pg_format(fmt)]
    if k in ("TimestampTrunc", "DateTrunc"):
        unit = node.args.get("unit")
        uname = unit.name if isinstance(unit, (exp.Var, exp.Identifier, exp.Literal)) else str(unit)
        return "date_trunc", [_lit(uname.lower()), node.this] + _a(node, "zone")
    if k == "SplitPart":
        return "split_part", _a(node, "this", "delimiter", "part_index")
    if k == "Replace":
        return "replace", _a(node, "this", "expression", "replacement")
    if k == "Repeat":
        return "repeat", _a(node, "this", "times")
    if k == "RegexpReplace":
        args = _a(node, "this", "expression", "replacement")
        mods = node.args.get("modifiers")
        if mods is not None:
            args.append(mods)
        return "regexp_replace", args
    if k == "Format":
        return "format", _a(node, "this", "expressions")
    if k == "UnixToTime":
        return "to_timestamp", _a(node, "this")
    if k == "StrToTime":
        return "to_timestamp", [node.this, _pg_format(node.args.get("format"))]
    if k == "StrToDate":
        return "to_date", [node.this, _pg_format(node.args.get("format"))]
    if k == "ArraySize":
        return "array_length", _a(node, "this", "expression")
    if k == "ArrayToString":
        return "array_to_string", _a(node, "this", "expression", "null")
    if k == "StringToArray":
        return "string_to_array", _a(node, "this", "expression", "null")
    if k == "Explode":
        return "unnest", _a(node, "this")
    if k == "Left":
        return "left", _a(node, "this", "expression")
    if k == "Right":
        return "right", _a(node, "this", "expression")
    if k == "Pow":
        return "power", _a(node, "this", "expression")
    if k == "Mod":
        return "mod", _a(node, "this", "expression")
    if k == "Ceil":
        return "ceil", _a(node, "this")
    if k == "Floor":
        return "floor", _a(node, "this")
    if k == "Trunc":
        return "trunc", _a(node, "this", "decimals")
    if k == "GenerateSeries":
        return "generate_series", _a(node, "start", "end", "step")
    if k == "Lower":
        return "lower", _a(node, "this")
    if k == "Upper":
        return "upper", _a(node, "this")
    if k == "ArrayConcat":
        return "array_cat", _a(node, "this", "expressions")
    if k == "ArrayPrepend":  # sqlglot keeps the array in ``this``: array_prepend(element, array)
        return "array_prepend", _a(node, "expression", "this")
    if k == "JSONExtract":
        return "->", []
    # generic: the node's SQL name and its args in declaration order
    name = node.sql_name().lower() if hasattr(node, "sql_name") else k.lower()
    args = []
    for key in node.arg_types:
        v = node.args.get(key)
        if v is None or isinstance(v, (bool, str)):
            continue
        if isinstance(v, list):
            args.extend(v)
        elif isinstance(v, exp.Expression):
            args.append(v)
    return name, args


def _pg_format(fmt: exp.Expression | None) -> exp.Expression:
    """sqlglot rewrote a to_char/to_timestamp format into strftime; map it back to PG's."""
    if fmt is None or not isinstance(fmt, exp.Literal):
        return fmt
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.time import format_time

    d = Postgres()
    back = format_time(fmt.this, d.INVERSE_TIME_MAPPING, d.INVERSE_TIME_TRIE)
    return exp.Literal.string(back if back is not None else fmt.this)


_ = (decimal, Field)


def _name_char(names: Vec, index: Vec, shift: int) -> Vec:
    """``name[i]``: the i-th character (from 0) as "char"; NULL past the end."""
    n = max(len(names.array), len(index.array))
    out = [None if s is None or i is None or not 0 <= i + shift < len(s) else s[i + shift]
           for s, i in zip(names.broadcast(n).array.to_pylist(), index.broadcast(n).array.to_pylist(), strict=True)]
    return Vec(pa.array(out, pa.string()), T.CHAR, names.scalar and index.scalar)


def _table_row_type(scope: Scope, cols: list[int]) -> T.SqlType | None:
    """The row type of the base table whose every column, in order, these fields are."""
    relations = {scope.fields[i].relation for i in cols}
    if len(relations) != 1 or None in relations:
        return None
    schema, name = relations.pop()
    try:
        rt = T.type_from_name(f'"{schema}"."{name}"')
    except HeliosError:
        return None
    if not rt.is_composite or list(rt.field_names) != [scope.fields[i].name for i in cols] or any(
            rt.fields[k].arrow_type != scope.fields[i].type.arrow_type for k, i in enumerate(cols)):
        return None
    return rt


def whole_row(scope: Scope, alias: str) -> Compiled | None:
    """``t`` alone, where t is a FROM item of this query level: its row as one record value
    (``row_to_json(t)``, ``to_jsonb(t)``), its fields named as t's columns. A row whose every column
    is NULL is a NULL record: that is what an outer join's missing row is in PostgreSQL
    (``count(t)`` over a LEFT JOIN counts matches); a stored row of only NULLs, which PostgreSQL
    keeps as a record of NULLs, cannot be told apart here."""
    cols = [i for i, f in enumerate(scope.fields) if f.qualifier == alias and not f.hidden]
    if not cols:  # a JOIN ... USING (...) AS alias: its columns are kept out of SELECT *
        cols = [i for i, f in enumerate(scope.fields) if f.qualifier == alias and f.name not in (
            "_rowid", "tableoid") and not f.name.startswith("?")]
    if not cols:
        return None
    names = [scope.fields[i].name for i in cols]
    rt = _table_row_type(scope, cols) or T.record_of([scope.fields[i].type for i in cols], names)

    def fn(batch: pa.RecordBatch, ctx: Any) -> Vec:
        arrays = [batch.column(i) for i in cols]
        arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
        missing = None
        if any(a.null_count for a in arrays):
            missing = arrays[0].is_null()
            for a in arrays[1:]:
                missing = pc.and_(missing, a.is_null())
        fields = list(rt.arrow_type)
        arrays = [_as_field_type(a, f) for a, f in zip(arrays, fields, strict=True)]
        return Vec(pa.StructArray.from_arrays(arrays, fields=fields, mask=missing), rt, False)

    return Compiled(rt, fn, label=alias)


def _as_field_type(a: pa.Array, f: pa.Field) -> pa.Array:
    """A column cast to its record field's Arrow type when the two differ (a numeric column of one
    UNION branch comes as decimal128(2, 1) where the record's field is the wider common decimal)."""
    return a if a.type == f.type else a.cast(f.type)


def outer_whole_row(scope: Scope, alias: str) -> Compiled | None:
    """``t`` alone in a subquery, where t is a FROM item of an enclosing query: the current outer
    row of t as one record value (``SELECT (SELECT t) FROM t``)."""
    s, depth, chain = scope.outer, 1, [scope]
    while s is not None:
        cols = [i for i, f in enumerate(s.fields) if f.qualifier == alias and not f.hidden]
        if cols:
            for mid in chain[1:]:
                mid.captured.add(None)
            s.captured.update(cols)
            names = [s.fields[i].name for i in cols]
            rt = _table_row_type(s, cols) or T.record_of([s.fields[i].type for i in cols], names)

            def fn(batch: pa.RecordBatch, ctx: Any, _d: int = depth, _cols: list[int] = cols,
                   _rt: T.SqlType = rt) -> Vec:
                row = ctx.outer_rows[-_d]
                arrays = [row[i] for i in _cols]
                arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
                missing = None
                if all(a.null_count for a in arrays):
                    missing = pa.array([True])
                return Vec(pa.StructArray.from_arrays(arrays, fields=list(_rt.arrow_type), mask=missing), _rt, True)

            return Compiled(rt, fn, label=alias)
        chain.append(s)
        s = s.outer
        depth += 1
    return None


_HEX = "0123456789abcdefABCDEF"


def unicode_escapes(text: str, escape: str = "\\") -> str:
    """U&'...' text: ``\\XXXX`` and ``\\+XXXXXX`` (hex code points, surrogate pairs joined) and a
    doubled escape character (``UESCAPE`` changes it), as PostgreSQL's lexer reads them (its errors are
    syntax errors, 42601, except an escape naming no character, 22025)."""
    if len(escape) != 1 or escape in _HEX + "+'\" \t\n\r":
        raise HeliosError("invalid Unicode escape character", sqlstate="42601")
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != escape:
            out.append(ch)
            i += 1
            continue
        if text[i + 1:i + 2] == escape:
            out.append(escape)
            i += 2
            continue
        width = 6 if text[i + 1:i + 2] == "+" else 4
        start = i + 2 if width == 6 else i + 1
        digits = text[start:start + width]
        if len(digits) != width or any(c not in _HEX for c in digits):
            raise HeliosError("invalid Unicode escape", sqlstate="42601",
                              hint="Unicode escapes must be \\XXXX or \\+XXXXXX.")
        code = int(digits, 16)
        i = start + width
        if 0xD800 <= code <= 0xDBFF:  # a high surrogate: its low one must follow
            low = text[i + 1:i + 5] if text[i:i + 1] == escape else ""
            if len(low) != 4 or any(c not in _HEX for c in low) or not 0xDC00 <= int(low, 16) <= 0xDFFF:
                raise HeliosError("invalid Unicode surrogate pair", sqlstate="42601")
            code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
            i += 5
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise HeliosError("invalid Unicode escape value", sqlstate="22025")
        out.append(chr(code))
    return "".join(out)
