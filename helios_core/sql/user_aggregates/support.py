"""The support functions an aggregate names: its state (transition), final, combine and
moving-aggregate functions.

A support function is a user function (any language) or one of PostgreSQL's built-in functions
known here by its pg_proc name (int4pl, float8pl, int8inc, array_append, ...), each with its
pg_proc signature and, when the function layer does not offer it under that name, the
expression it stands for. CREATE AGGREGATE resolves them as PostgreSQL's lookup_agg_function
does: the declared argument types must match exactly, or through polymorphism; a match that
needs a cast is 42883 "requires run-time type coercion".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.resolve import implicitly_castable
from helios_core.sql.routines import definition, polymorphic


@attrs.frozen
class Builtin:
    args: tuple[str, ...]
    returns: str
    strict: bool = True
    # the expression over the argument expressions; None: the function layer has this name
    build: Callable[[list[exp.Expression]], exp.Expression] | None = None
    # what folding rows through it amounts to, when that can be computed for all rows at once
    # ("sum", "max", "min", "count", "count_valid"; calls.AggregateCall.finish)
    fold: str | None = None


def _binary(node: type) -> Callable[[list[exp.Expression]], exp.Expression]:
    return lambda a: exp.Paren(this=node(this=a[0], expression=a[1]))


def _fn(name: str) -> Callable[[list[exp.Expression]], exp.Expression]:
    return lambda a: exp.Anonymous(this=name, expressions=a)


def _idx(a: exp.Expression, i: int) -> exp.Expression:
    return exp.Bracket(this=exp.Paren(this=a), expressions=[exp.Literal.number(i)])


def _avg_accum(a: list[exp.Expression]) -> exp.Expression:
    count = exp.Add(this=_idx(a[0], 1), expression=exp.Literal.number(1))
    total = exp.Add(this=_idx(a[0], 2), expression=exp.Cast(this=a[1], to=exp.DataType.build("bigint")))
    return exp.Array(expressions=[count, total])


def _avg_final(a: list[exp.Expression]) -> exp.Expression:
    n = _idx(a[0], 1)
    return exp.Case(ifs=[exp.If(this=exp.EQ(this=n, expression=exp.Literal.number(0)), true=exp.Null())],
                    default=exp.Div(this=exp.Cast(this=_idx(a[0], 2), to=exp.DataType.build("numeric")),
                                    expression=exp.Cast(this=n, to=exp.DataType.build("numeric"))))


BUILTINS: dict[str, list[Builtin]] = {
    "int8inc": [Builtin(("bigint",), "bigint", True,
                        lambda a: exp.Paren(this=exp.Add(this=a[0], expression=exp.Literal.number(1))), "count")],
    "int8inc_any": [Builtin(("bigint", "any"), "bigint", True,
                            lambda a: exp.Paren(this=exp.Add(this=a[0], expression=exp.Literal.number(1))),
                            "count_valid")],
    "int4_avg_accum": [Builtin(("bigint[]", "integer"), "bigint[]", True, _avg_accum)],
    "int2_avg_accum": [Builtin(("bigint[]", "smallint"), "bigint[]", True, _avg_accum)],
    "int8_avg": [Builtin(("bigint[]",), "numeric", True, _avg_final)],
    "textcat": [Builtin(("text", "text"), "text", True, _binary(exp.DPipe))],
    "array_append": [Builtin(("anycompatiblearray", "anycompatible"), "anycompatiblearray", False)],
    "array_prepend": [Builtin(("anycompatible", "anycompatiblearray"), "anycompatiblearray", False)],
    "array_cat": [Builtin(("anycompatiblearray", "anycompatiblearray"), "anycompatiblearray", False)],
    "array_larger": [Builtin(("anyarray", "anyarray"), "anyarray", True, _fn("greatest"))],
    "array_smaller": [Builtin(("anyarray", "anyarray"), "anyarray", True, _fn("least"))],
}
_ARITH = {"pl": exp.Add, "mi": exp.Sub, "mul": exp.Mul, "div": exp.Div}
for _prefix, _type in (("int2", "smallint"), ("int4", "integer"), ("int8", "bigint"), ("float4", "real"),
                       ("float8", "double precision")):
    for _suffix, _node in _ARITH.items():
        _sums = _suffix == "pl" and _prefix.startswith("int")  # integer sums are exact in any grouping
        BUILTINS[f"{_prefix}{_suffix}"] = [Builtin((_type, _type), _type, True, _binary(_node),
                                                   "sum" if _sums else None)]
    BUILTINS[f"{_prefix}larger"] = [Builtin((_type, _type), _type, True, _fn("greatest"), "max")]
    BUILTINS[f"{_prefix}smaller"] = [Builtin((_type, _type), _type, True, _fn("least"), "min")]
for _suffix, _node in (("add", exp.Add), ("sub", exp.Sub), ("mul", exp.Mul), ("div", exp.Div)):
    BUILTINS[f"numeric_{_suffix}"] = [Builtin(("numeric", "numeric"), "numeric", True, _binary(_node))]
for _prefix, _type in (("numeric", "numeric"), ("text", "text"), ("date", "date")):
    BUILTINS[f"{_prefix}_larger"] = [Builtin((_type, _type), _type, True, _fn("greatest"))]
    BUILTINS[f"{_prefix}_smaller"] = [Builtin((_type, _type), _type, True, _fn("least"))]


@attrs.frozen
class Support:
    """A resolved support function: how to call it and what it gives for these argument types."""

    name: str  # as the aggregate record keeps it: "schema.name" for a user function
    declared: tuple[str, ...]
    returns: T.SqlType
    strict: bool
    builtin: Builtin | None = None
    routine: Any = None

    def call_ast(self, args: list[exp.Expression]) -> exp.Expression:
        """The call over argument expressions, for the planner to compile."""
        if self.builtin is not None and self.builtin.build is not None:
            return self.builtin.build(args)
        if "." in self.name:
            schema, name = self.name.split(".", 1)
            return exp.Dot(this=exp.to_identifier(schema), expression=exp.Anonymous(this=name, expressions=args))
        return exp.Anonymous(this=self.name, expressions=args)


def _types_text(types: list[T.SqlType]) -> str:
    return ", ".join(polymorphic.spelled(t.name) if t.name in polymorphic.PSEUDO else t.sql_name() for t in types)


def _fits(declared: list[str], actual: list[T.SqlType], resolve: Callable[[str], T.SqlType]
          ) -> tuple[list[T.SqlType], dict[str, T.SqlType]] | None:
    """(the declared types as this call binds them, bindings) when ``actual`` fit, else None;
    the first list differs from ``actual`` where a cast would be needed."""
    if len(declared) != len(actual):
        return None
    bound = polymorphic.bind(declared, actual)
    if bound is None:
        return None
    wanted = []
    for d, a in zip(declared, actual, strict=True):
        if d == "any":
            wanted.append(a)
            continue
        want = bound.get(d) if d in polymorphic.POLYMORPHIC else resolve(d)
        if a.name in polymorphic.PSEUDO and want.name != a.name:
            return None
        if want.base != a.base and not implicitly_castable(a, want):
            return None
        wanted.append(want if want.base != a.base else a)
    return wanted, bound


def find(session: Any, txn: Any, name: str, actual: list[T.SqlType], *, what: str = "function") -> Support:
    """The support function ``name`` taking ``actual`` (42883 when none does, or only with a cast)."""
    label = f"{name}({_types_text(actual)})"
    coerced: str | bool = False
    user = [r for r in definition.find(session, txn, name, len(actual)) if r.record["kind"] == "f"
            and len(r.in_args) == len(actual)]
    for r in user:
        declared = [a["type"] for a in r.in_args]
        fit = _fits(declared, actual, definition.resolve_type)
        if fit is None:
            continue
        if fit[0] != actual:
            coerced = coerced or _types_text(fit[0])
            continue
        bound = definition.Routine(r.record, fit[1])
        if r.returns_set or r.out_columns:
            raise HeliosError(f"function {label} returns a set", sqlstate="42804")
        return Support(name=f"{r.schema}.{r.name}", declared=tuple(declared), returns=_result(bound),
                       strict=r.strict, routine=r)
    if not user and "." not in name:
        for b in BUILTINS.get(name, []):
            fit = _fits(list(b.args), actual, T.type_from_name)
            if fit is None:
                continue
            if fit[0] != actual:
                coerced = coerced or _types_text(fit[0])
                continue
            returns = polymorphic.substitute(b.returns, fit[1]) or T.type_from_name(b.returns)
            return Support(name=name, declared=b.args, returns=returns, strict=b.strict, builtin=b)
    if coerced:
        raise HeliosError(f"function {name}({coerced}) requires run-time type coercion", sqlstate="42804")
    raise HeliosError(f"function {label} does not exist", sqlstate="42883")


def _result(r: Any) -> T.SqlType:
    name = r.record.get("returns") or "void"
    if name in polymorphic.POLYMORPHIC:
        return r.bound.get(name) or polymorphic.PSEUDO[name]
    return r.return_type



def refuse_internal(stype: T.SqlType) -> None:
    if stype.name == "internal":
        raise FeatureNotSupported("aggregates whose transition type is internal are not supported",
                                  hint="Give the aggregate a state type of SQL (STYPE) and state functions "
                                       "written in SQL or PL/pgSQL.")
