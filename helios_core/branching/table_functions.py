"""Table functions whose columns depend on their arguments (heliosdb.branch_diff, cross_branch_query).

The planner's own FROM-function path knows a fixed set (generate_series, unnest, scalar
calls). Functions registered here are bound at plan time: their arguments (constants,
or ``$n`` parameters already known to the context) are evaluated once, named
(``f(query := ...)``) or positional, and ``bind`` returns the output columns and a
``produce(ctx) -> pa.Table`` run at execution::

    register_table_function("heliosdb", "branch_diff", ["a", "b", "table"], bind_fn)

Plugins add theirs with the ``helios_table_functions`` hook (``hookspecs.SqlTableFunction``),
loaded with the built-ins on first lookup.

The planner calls ``plan_registered`` for a function in FROM before its own lookup
(helios_core.sql.planner.builder.Builder.plan_from_item); None means "not ours".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import attrs
import pyarrow as pa
from sqlglot import exp

from helios_core import plugins
from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import types


@attrs.define
class TableFunction:
    schema: str
    name: str
    params: list[str]
    bind: Callable[[Any, dict[str, Any]], tuple[list[tuple[str, Any]], Callable[[Any], pa.Table]]]
    late: frozenset[str] = frozenset()  # arguments evaluated per execution (may be $n of a prepared stmt)


@attrs.define(frozen=True)
class Late:
    """An argument evaluated when the function runs: ``value(ctx)``."""

    compiled: Any

    def value(self, ctx: Any) -> Any:
        from helios_core.sql.operators.base import batch_of

        return self.compiled.evaluate(batch_of([], 1), ctx).value()


def resolve(value: Any, ctx: Any) -> Any:
    """An argument's value at execution (Late ones evaluated against ``ctx``)."""
    return value.value(ctx) if isinstance(value, Late) else value


_LOCK = threading.Lock()
REGISTRY: dict[tuple[str, str], TableFunction] = {}


def register_table_function(schema: str, name: str, params: list[str], bind: Callable,
                            late: frozenset[str] | set[str] = frozenset()) -> TableFunction:
    fn = TableFunction(schema, name, list(params), bind, frozenset(late))
    with _LOCK:
        REGISTRY[(schema, name)] = fn
    return fn


def lookup(schema: str | None, name: str) -> TableFunction | None:
    _ensure_builtin()
    if schema:
        return REGISTRY.get((schema.lower(), name.lower()))
    for (_, n), fn in REGISTRY.items():
        if n == name.lower():
            return fn
    return None


_LOADED = False


def _ensure_builtin() -> None:
    """The built-ins (branch_diff, cross_branch_query) and the plugins' ``helios_table_functions``, once."""
    global _LOADED
    if _LOADED:
        return
    import helios_core.branching.sql_functions  # noqa: F401 - registers branch_diff, cross_branch_query

    for spec in plugins.table_functions(plugins.get_plugin_manager()):
        register_table_function(spec.schema, spec.name, list(spec.params), _plugin_bind(spec))
    _LOADED = True


def _plugin_bind(spec: Any) -> Callable:
    """A plugin's bind(args) -> ((name, type name)..., produce(session)) in the registry's terms."""

    def bind(session: Any, values: dict[str, Any]) -> tuple[list[tuple[str, Any]], Callable[[Any], pa.Table]]:
        columns, produce = spec.bind(dict(values))
        typed = [(name, types.type_from_name(type_name)) for name, type_name in columns]
        return typed, lambda ctx: produce(ctx.session)

    return bind


def _function_name(fn: exp.Expression) -> str | None:
    if isinstance(fn, exp.Anonymous):
        return str(fn.this)
    return None


def bind_arguments(builder: Any, tf: TableFunction, args: list[exp.Expression], outer: Any) -> dict[str, Any]:
    """Evaluate the call's arguments now; returns {param name: Python value}."""
    from helios_core.sql.expr import Scope
    from helios_core.sql.operators.base import batch_of

    out: dict[str, Any] = {}
    positional = True
    for i, a in enumerate(args):
        if isinstance(a, (exp.PropertyEQ, exp.Kwarg)):
            positional = False
            key = a.this.name.lower()
            node = a.expression
        else:
            if not positional:
                raise HeliosError("positional argument cannot follow named argument", sqlstate="42601")
            if i >= len(tf.params):
                raise HeliosError(f"function {tf.schema}.{tf.name} takes at most {len(tf.params)} arguments",
                                  sqlstate="42883")
            key = tf.params[i]
            node = a
        if key not in tf.params:
            raise HeliosError(f'function {tf.schema}.{tf.name} has no parameter named "{key}"', sqlstate="42883")
        try:
            compiled = builder.compile(node, Scope([], outer=None))
            if key in tf.late:
                out[key] = Late(compiled)
                continue
            if any(True for _ in node.find_all(exp.Parameter, exp.Placeholder)):
                raise FeatureNotSupported(
                    f'argument "{key}" of {tf.schema}.{tf.name} must be a literal, not a statement parameter',
                    hint="It decides the result's columns, which a prepared statement must know in advance.")
            out[key] = compiled.evaluate(batch_of([], 1), builder.ctx).value()
        except HeliosError:
            raise
        except Exception as e:
            raise FeatureNotSupported(
                f"the arguments of {tf.schema}.{tf.name} must be constants or bound parameters ({e})") from e
    return out


def plan_registered(builder: Any, node: exp.Table, alias: str | None, col_aliases: list[str], outer: Any) -> Any:
    """A planner Item for a registered table function in FROM, or None when it is not one."""
    fn = node.this
    name = _function_name(fn)
    if name is None:
        return None
    tf = lookup(node.db or None, name)
    if tf is None:
        return None
    from helios_core.sql.expr import Field
    from helios_core.sql.operators.basic import TableSource
    from helios_core.sql.planner.builder import Item

    values = bind_arguments(builder, tf, list(fn.expressions), outer)
    columns, produce = tf.bind(builder.ctx.session, values)
    qual = alias or tf.name
    names = list(col_aliases[: len(columns)]) + [n for n, _ in columns[len(col_aliases):]]
    fields = [Field(n, t, qual) for n, (_, t) in zip(names, columns, strict=True)]
    arrow = pa.schema([pa.field(n, t.arrow_type) for n, (_, t) in zip(names, columns, strict=True)])

    def run(ctx: Any) -> pa.Table:
        t = produce(ctx)
        cols = []
        positional = t.num_columns == len(columns)
        for i, (f, (cname, _)) in enumerate(zip(arrow, columns, strict=True)):
            if positional:
                c = t.column(i)
            else:
                c = t.column(cname) if cname in t.column_names else pa.nulls(t.num_rows, f.type)
            # a numeric keeps its scale (numeric values carry theirs: 250.00 stays 250.00)
            keep = c.type == f.type or (pa.types.is_decimal(c.type) and pa.types.is_decimal(f.type))
            cols.append(c if keep else c.cast(f.type))
        return pa.Table.from_arrays(cols, names=arrow.names)

    return Item(TableSource(fields, run, f"Function Scan on {tf.schema}.{tf.name}"), {qual})
