"""User-defined routines called from a query.

A scalar call compiles to an expression: a LANGUAGE sql function whose body is one
``SELECT expr`` (no FROM, no clauses) is inlined, its parameters replaced by the argument
expressions, so it runs vectorized like any expression; any other runs per row (once per
distinct argument tuple). A set-returning or table function in FROM is a function scan
whose rows come from one call per execution.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import types as T
from helios_core.sql.expr import Compiled, Field
from helios_core.sql.functions.vec import Vec
from helios_core.sql.object_privileges import check_routine_execute
from helios_core.sql.routines import definition, invoke, polymorphic, sql_language
from helios_core.sql.routines.definition import Routine


def lookup(ctx: Any, name: str, arg_count: int) -> list[Routine]:
    session = getattr(ctx, "session", None)
    txn = getattr(ctx, "txn", None)
    if session is None or txn is None or not hasattr(session, "search_path"):
        return []
    found = definition.find(session, txn, name, arg_count)
    if found and all(r.is_procedure for r in found):
        raise HeliosError(f"{found[0].signature()} is a procedure", sqlstate="42809",
                          hint="To call a procedure, use CALL.")
    return [r for r in found if r.record["kind"] == "f"]


def is_named(args: list[exp.Expression]) -> bool:
    return any(isinstance(a, (exp.Kwarg, exp.PropertyEQ)) for a in args)


def positional(compiler: Any, candidates: list[Routine], args: list[exp.Expression], scope: Any
               ) -> tuple[list[Routine], list[exp.Expression]]:
    """A call in named or mixed notation (``f(1, c => 2)``) as positional arguments, parameters left
    out taking their defaults; the routines whose parameter names fit (PostgreSQL's errors otherwise)."""
    seen: set[str] = set()
    named: dict[str, exp.Expression] = {}
    plain: list[exp.Expression] = []
    for a in args:
        if isinstance(a, (exp.Kwarg, exp.PropertyEQ)):
            key = a.this.name
            if key in seen:
                raise HeliosError(f'argument name "{key}" used more than once', sqlstate="42601")
            seen.add(key)
            named[key] = a.expression
        elif named:
            raise HeliosError("positional argument cannot follow named argument", sqlstate="42601")
        else:
            plain.append(a)
    fits = []
    for r in candidates:
        names = [a.get("name") for a in r.in_args]
        if r.variadic or any(k not in names or names.index(k) < len(plain) for k in named):
            continue
        last = max([len(plain) - 1, *(names.index(k) for k in named)])
        out = list(plain)
        for i in range(len(plain), last + 1):
            if names[i] in named:
                out.append(named[names[i]])
            elif r.in_args[i].get("default") is not None:
                out.append(dialect_expression(r.in_args[i]["default"]))
            else:
                break
        else:
            fits.append((r, out))
    if not fits:
        shown = [compiler.compile(a, scope).type.sql_name() for a in plain]
        shown += [f"{k} => {compiler.compile(v, scope).type.sql_name()}" for k, v in named.items()]
        raise definition.UndefinedFunction(
            f"function {candidates[0].name}({', '.join(shown)}) does not exist",
            hint="No function matches the given name and argument types. You might need to add explicit type casts.")
    longest = max(len(o) for _, o in fits)
    return [r for r, o in fits if len(o) == longest], next(o for _, o in fits if len(o) == longest)


def compile_call(compiler: Any, candidates: list[Routine], arg_asts: list[exp.Expression], scope: Any) -> Compiled:
    """The expression of a call to a user function (``compiler`` is the planner's ScalarCompiler)."""
    routine, arg_asts, args = _choose_with_variadic(compiler, candidates, arg_asts, scope)
    check_routine_execute(getattr(compiler.ctx, "session", None), routine)  # 42501 once EXECUTE is revoked
    if routine.returns_set or routine.out_columns:
        raise FeatureNotSupported(f"calling set-returning function {routine.name}() in an expression is not "
                                  "supported", hint="Call it in FROM: SELECT * FROM f(...).")
    args = _with_defaults(compiler, routine, args, scope)
    routine = _bound_with_defaults(routine, args)
    args = [compiler.coerce(a, t) for a, t in zip(args, routine.in_types, strict=True)]
    inlined = _inline(compiler, routine, arg_asts, scope)
    if inlined is not None:
        return inlined
    ret = routine.return_type
    assert ret is not None
    return Compiled(ret, _per_row(routine, args, ret), label=f"{routine.name}(...)")


def _bound_with_defaults(routine: Routine, args: list[Compiled]) -> Routine:
    """A polymorphic routine bound again once defaults fill the arguments left out (their types count)."""
    declared = [a["type"] for a in routine.in_args]
    if len(args) == len(routine.in_args) and any(polymorphic.is_polymorphic(d) for d in declared):
        bound = polymorphic.bind(declared, [a.type for a in args])
        if bound is not None:
            return Routine(routine.record, bound)
    return routine


def _choose_with_variadic(compiler: Any, candidates: list[Routine], arg_asts: list[exp.Expression], scope: Any
                          ) -> tuple[Routine, list[exp.Expression], list[Compiled]]:
    """The routine a call reaches, with the argument expressions it takes: a VARIADIC parameter
    gets the trailing arguments as one ARRAY[...] (or the array written after VARIADIC)."""
    spread = bool(arg_asts) and isinstance(arg_asts[-1], exp.Variadic)
    plain = arg_asts[:-1] + [arg_asts[-1].this] if spread else list(arg_asts)
    args = [compiler.compile(a, scope) for a in plain]
    fixed = [r for r in candidates if not r.variadic and not spread]
    routine = definition.choose(fixed, [a.type for a in args]) if fixed else None
    if routine is not None:
        return routine, plain, args
    for r in candidates:
        if not r.variadic:
            continue
        k = len(r.in_args) - 1
        if spread:
            if len(plain) != k + 1:
                continue
            asts = plain
        elif len(plain) > k:
            asts = plain[:k] + [exp.Array(expressions=[a.copy() for a in plain[k:]])]
        else:
            asts = plain
        packed = args[:k] + [compiler.compile(a, scope) for a in asts[k:]]
        chosen = definition.choose([r], [a.type for a in packed])
        if chosen is not None:
            return chosen, asts, packed
    sig = ", ".join(a.type.sql_name() for a in args)
    raise definition.UndefinedFunction(
        f"function {candidates[0].name}({sig}) does not exist",
        hint="No function matches the given name and argument types. You might need to add explicit type casts.")


def _with_defaults(compiler: Any, routine: Routine, args: list[Compiled], scope: Any) -> list[Compiled]:
    out = list(args)
    for a in routine.in_args[len(args):]:
        out.append(compiler.compile(dialect_expression(a["default"]), scope))
    return out


def dialect_expression(text: str) -> exp.Expression:
    from helios_core.frontends.postgres import dialect

    return dialect.parse(f"SELECT {text}")[0].ast.expressions[0]


def _inline(compiler: Any, routine: Routine, arg_asts: list[exp.Expression], scope: Any) -> Compiled | None:
    """A one-expression SQL function compiled in place (None when the body is anything else)."""
    if routine.language != "sql" or routine.strict or (routine.volatility == "v" and _volatile_body(routine)):
        return None
    if routine.record.get("security_definer") or routine.record.get("config"):
        return None  # it runs as its owner or with its own settings: never in the caller's expression
    stmts = sql_language._parsed(routine.body)
    if len(stmts) != 1 or not isinstance(stmts[0], exp.Select):
        return None
    sel = stmts[0]
    if len(sel.expressions) != 1 or any(sel.args.get(k) for k in (
            "from", "from_", "where", "group", "having", "order", "limit", "offset", "with", "with_", "joins",
            "distinct")):
        return None
    names = {a["name"]: i for i, a in enumerate(routine.in_args, 1) if a.get("name")}
    expr = sel.expressions[0]
    expr = expr.this if isinstance(expr, exp.Alias) else expr
    actual = list(arg_asts) + [dialect_expression(a["default"]) for a in routine.in_args[len(arg_asts):]]
    types = routine.in_types

    def argument(n: int) -> exp.Expression:
        return exp.Cast(this=exp.Paren(this=actual[n - 1].copy()),
                        to=exp.DataType.build(types[n - 1].stored_name(), dialect="postgres", udt=True))

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Parameter) and node.name.isdigit():
            return argument(int(node.name))
        if isinstance(node, exp.Column) and not node.table and node.name in names:
            return argument(names[node.name])
        if isinstance(node, exp.Column) and node.table == routine.name and node.name in names:
            return argument(names[node.name])
        return node

    def parameter(node: exp.Column) -> bool:
        return node.name in names and (not node.table or node.table == routine.name)

    if any(not parameter(n) for n in expr.find_all(exp.Column)):
        return None  # a name that is no parameter: let the per-row path report it as PostgreSQL would
    body = expr.copy().transform(swap)
    compiled = compiler.compile(body, scope)
    ret = routine.return_type
    assert ret is not None
    return compiled if compiled.type == ret else compiler.cast_compiled(compiled, ret, context="assignment")


def _volatile_body(routine: Routine) -> bool:
    body = routine.body.lower()
    return any(w in body for w in ("random(", "nextval(", "clock_timestamp(", "pg_notify("))


def _per_row(routine: Routine, args: list[Compiled], ret: T.SqlType) -> Any:
    def fn(batch: pa.RecordBatch, ctx: Any) -> Vec:
        vecs = [a.evaluate(batch, ctx) for a in args]
        if all(v.scalar for v in vecs):
            value = invoke.call(ctx.session, routine, [v.value() for v in vecs])
            return Vec(invoke.values_array([value], ret), ret, True)
        n = batch.num_rows
        columns = [v.broadcast(n).array.to_pylist() if v.scalar else v.array.to_pylist() for v in vecs]
        memo: dict[tuple, Any] = {}
        out = []
        for row in zip(*columns, strict=True):
            key = tuple(repr(x) for x in row)
            if routine.volatility == "v" or key not in memo:
                memo[key] = invoke.call(ctx.session, routine, list(row))
            out.append(memo[key])
        return Vec(invoke.values_array(out, ret), ret)

    return fn


# ----------------------------------------------------------------------------------- FROM items
def table_function(builder: Any, candidates: list[Routine], args: list[Compiled], qual: str,
                   col_aliases: list[str], ordinality: bool, arg_asts: list[exp.Expression] | None = None,
                   scope: Any = None) -> Any:
    """A FunctionScan whose rows come from calling the routine once per execution."""
    from helios_core.sql.operators.tablefunc import FunctionScan

    if arg_asts is not None:
        routine, _asts, args = _choose_with_variadic(builder, candidates, arg_asts, scope or _empty_scope())
    else:
        routine = definition.choose(candidates, [a.type for a in args])
        if routine is None:
            raise definition.UndefinedFunction(f"function {candidates[0].name} does not exist")
    check_routine_execute(getattr(getattr(builder, "ctx", None), "session", None), routine)
    scope_defaults = [builder.compile(dialect_expression(a["default"]), _empty_scope())
                      for a in routine.in_args[len(args):]]
    routine = _bound_with_defaults(routine, list(args) + scope_defaults)
    args = [builder.coerce(a, t) for a, t in zip(list(args) + scope_defaults, routine.in_types, strict=True)]
    if routine.out_columns:
        out = routine.out_columns
    else:
        ret = routine.return_type
        assert ret is not None
        if ret.name == "void":
            out = [(routine.name, ret)]
        elif ret.is_composite:  # a composite result is a row of its attributes
            out = list(zip(ret.field_names, ret.fields, strict=True))
        else:
            out = [(qual if qual != routine.name and not col_aliases else routine.name, ret)]
    if len(col_aliases) > len(out) + (1 if ordinality else 0):
        raise HeliosError(f'table "{qual}" has {len(out)} columns available but {len(col_aliases)} columns '
                          "specified", sqlstate="42P10")
    names = list(col_aliases[:len(out)]) + [n for n, _ in out][len(col_aliases):]
    fields = [Field(n, t, qual) for n, (_, t) in zip(names, out, strict=True)]
    types = [t for _, t in out]
    ret_type = None if routine.out_columns else routine.return_type
    composite = ret_type if ret_type is not None and ret_type.is_composite else None

    def produce(vals: list[Vec], _fields: list[Field]) -> list[pa.Array]:
        from helios_core.sql.catalog_views.functions import ACTIVE_SESSION

        session = ACTIVE_SESSION.get()
        result = invoke.call(session, routine, [v.value() for v in vals])
        if not (routine.returns_set or routine.out_columns) and composite is not None:
            rows = [tuple((result or {}).get(n) for n in composite.field_names)] if result is not None else \
                [(None,) * len(composite.fields)]
        elif not (routine.returns_set or routine.out_columns):
            rows = [(result,)]
        else:
            rows = result or []
        return [invoke.values_array([r[j] for r in rows], t) for j, t in enumerate(types)]

    if ordinality:
        oname = col_aliases[len(out)] if len(col_aliases) > len(out) else "ordinality"
        fields.append(Field(oname, T.INT8, qual))
    op = FunctionScan(fields, routine.name, args, produce)
    op.ordinality = ordinality  # type: ignore[attr-defined]
    return op


def _empty_scope() -> Any:
    from helios_core.sql.expr import Scope

    return Scope([])
