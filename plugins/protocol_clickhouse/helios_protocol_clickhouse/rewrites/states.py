"""Aggregate function states (-State, -Merge, -MergeState, finalizeAggregation...) onto the
kernel functions of ``aggregate_states``::

    sumState(x)                    -> ch_state_of('sum', TRUE, x)
    anyIfState(s, c)               -> ch_state_of('any', c, s)
    quantilesState(0.5, 0.9)(x)    -> ch_state_of('quantiles(0.5,0.9)', TRUE, x)
    sumMerge(st)                   -> ch_state_final('sum', ch_state_merge('sum', st), CAST(NULL AS bigint))
                                      (st: a state of Int*; a group of no rows is finalized knowing it is sum's)
    uniqMergeState(st)             -> ch_state_merge('uniq', st)
    finalizeAggregation(st)        -> ch_state_final('sum', st, CAST(NULL AS ...))
    initializeAggregation('sumState', x) -> ch_state_each('sum', x)
    runningAccumulate(st)          -> ch_state_running('sum', array_agg(st) OVER (ROWS ... CURRENT ROW), NULL)

What a state holds and what it finalizes to come from its type (``names.hint_type``: a column's
declared ``AggregateFunction(...)``, a subquery's -State, ...), worked out on the statement as
written, before any call is replaced. A state whose type cannot be told here is refused (48).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from helios_protocol_clickhouse.catalog import schema_of
from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.names import (
    STATE_FUNCTIONS,
    annotate_sources,
    hint_type,
    state_call_arguments,
    state_of_call,
)
from helios_protocol_clickhouse.rewrites.context import RewriteContext
from helios_protocol_clickhouse.state_types import Combinator, StateType, read_state_type
from helios_protocol_clickhouse.types import sql_type


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _typed_null(type_name: str) -> exp.Expression:
    return exp.Cast(this=exp.Null(), to=exp.DataType.build(sql_type(type_name), dialect="postgres"))


def _is_state_call(node: exp.Expression) -> bool:
    if isinstance(node, exp.CombinedAggFunc | exp.CombinedParameterizedAgg):
        return Combinator.of(str(node.this)) is not None
    return isinstance(node, exp.Anonymous) and str(node.this).lower() in STATE_FUNCTIONS


def rewrite(tree: exp.Expression, ctx: RewriteContext) -> exp.Expression:
    calls = [n for n in tree.find_all(exp.CombinedAggFunc, exp.CombinedParameterizedAgg, exp.Anonymous)
             if _is_state_call(n)]
    if not calls:
        return tree
    if ctx.table_columns is not None:
        for select in tree.find_all(exp.Select):
            annotate_sources(select, ctx.table_columns, ctx.database)
        if isinstance(tree, exp.Insert):
            _check_inserted_states(tree, ctx)
    for node in calls:
        _check_consumer(node)
    plans = [(node, _plan(node)) for node in calls]  # on the statement as written
    for node, plan in reversed(plans):  # the innermost calls first
        replacement = plan(node)
        if node is tree:
            return replacement
        node.replace(replacement)
    return tree


# functions that take a state as a state (or only look at its type)
_CONSUMERS = ("finalizeaggregation", "runningaccumulate", "totypename", "typeof", "ignore")


def _check_consumer(node: exp.Expression) -> None:
    """A state made by a call (-State, -MergeState) read as a value by another function (``toString``,
    ``hex``, arithmetic) would be its text of our own, not ClickHouse's bytes: refused (48)."""
    if not isinstance(node, exp.CombinedAggFunc | exp.CombinedParameterizedAgg):
        return
    combinator = Combinator.of(str(node.this))
    if combinator is None or combinator.kind == "merge":
        return
    parent = node.parent
    while isinstance(parent, exp.Alias | exp.Paren) or isinstance(parent, exp.Anonymous) and \
            str(parent.this) == "ch_type_hint":  # a result's type said (statements), not a function of it
        parent = parent.parent
    if not isinstance(parent, exp.Func | exp.Binary | exp.Unary | exp.Cast):
        return
    name = str(parent.this) if isinstance(parent, exp.Anonymous | exp.AnonymousAggFunc | exp.ParameterizedAgg) else \
        parent.key
    if name.lower() in _CONSUMERS or Combinator.of(name) is not None and Combinator.of(name).kind != "state":
        return
    raise ClickHouseError(48, f"{node.sql(dialect='clickhouse')} read as a value by {name}: the binary serialization "
                              "of an aggregate function state is not supported (finalize it with finalizeAggregation "
                              "or an -Merge aggregate)")


def _check_inserted_states(insert: exp.Insert, ctx: RewriteContext) -> None:
    """INSERT ... SELECT of states into AggregateFunction columns: a state of another type is refused
    (70), as ClickHouse converts no state to another."""
    target = insert.this.this if isinstance(insert.this, exp.Schema) else insert.this
    select = insert.expression
    while isinstance(select, exp.Select) and len(select.expressions) == 1 and isinstance(select.expressions[0], exp.Star):
        source = select.args.get("from_") or select.args.get("from")  # the key's name moved in sqlglot 28
        if not isinstance(source, exp.From) or not isinstance(source.this, exp.Subquery):
            break
        select = source.this.this  # SELECT * FROM (the INSERT's SELECT) ORDER BY the part's key
    if not isinstance(target, exp.Table) or not isinstance(select, exp.Select) or ctx.table_columns is None:
        return
    columns = ctx.table_columns(schema_of(target.db or ctx.database), target.name)
    if not columns:
        return
    types = {c.name: c.type for c in columns}
    names = [c.name for c in insert.this.expressions] if isinstance(insert.this, exp.Schema) else list(types)
    for name, item in zip(names, select.expressions, strict=False):
        wanted = read_state_type(types.get(name))
        given = read_state_type(hint_type(item, select))
        if wanted is not None and given is not None and given.known and str(given) != str(wanted):
            raise ClickHouseError(70, f"Conversion from {given} to {wanted} is not supported: while converting "
                                      f"source column {item.sql(dialect='clickhouse')} to destination column {name}")


def _state_read(node: exp.Expression, name: str, argument: exp.Expression) -> StateType:
    """The state type of the argument of a -Merge / finalizeAggregation call."""
    select = node.find_ancestor(exp.Select)
    type_name = hint_type(argument, select)
    state = read_state_type(type_name)
    if state is not None:
        return state
    if type_name is not None and not type_name.startswith("AggregateFunction("):
        raise ClickHouseError(43, f"Illegal type {type_name} of argument of function {name}: it must be an "
                                  "aggregate function state (AggregateFunction(...))")
    raise ClickHouseError(48, f"{name}: the aggregate function state {argument.sql(dialect='clickhouse')} is of "
                              f"a type not known here{f' ({type_name})' if type_name else ''}; states of "
                              "count, sum, avg, min, max, any, anyLast, uniq, uniqExact, groupArray, "
                              "groupUniqArray, argMin, argMax and the quantiles are built")


def _result(state: StateType, name: str) -> str:
    result = state.result_type()
    if result is None:
        raise ClickHouseError(48, f"{name}: the result type of {state} is not known here")
    return result


def _descriptor(state: StateType) -> exp.Expression:
    return exp.Literal.string(state.descriptor())


def _plan(node: exp.Expression) -> Callable[[exp.Expression], exp.Expression]:
    name = str(node.this)
    select = node.find_ancestor(exp.Select)
    params, args = state_call_arguments(node)
    low = name.lower()
    if low == "finalizeaggregation" or low == "runningaccumulate":
        if len(args) != 1:
            raise ClickHouseError(42, f"Function {name} takes one argument: an aggregate function state"
                                  if low == "finalizeaggregation" else
                                  "runningAccumulate with a grouping argument is not supported")
        state = _state_read(node, name, args[0])
        result = _result(state, name)
        if low == "finalizeaggregation":
            return lambda n: _fn("ch_state_final", _descriptor(state), n.expressions[0], _typed_null(result))
        return lambda n: _fn("ch_state_running", _descriptor(state), exp.Window(
            this=_fn("array_agg", n.expressions[0]),
            spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")),
            _typed_null(result))
    if low == "initializeaggregation":
        if not args or not isinstance(args[0], exp.Literal) or not args[0].is_string:
            raise ClickHouseError(43, "The first argument of initializeAggregation must be a constant string: "
                                      "the aggregate function")
        function = args[0].this
        combinator = Combinator.of(function)
        state = state_of_call(combinator.function if combinator else function, [], args[1:], select)
        if state is None or combinator is not None and combinator.kind != "state":
            raise ClickHouseError(48, f"initializeAggregation of {function} is not supported")
        if combinator is not None:
            return lambda n: _fn("ch_state_each", _descriptor(state), *n.expressions[1:])
        result = _result(state, name)
        return lambda n: _fn("ch_state_final", _descriptor(state), _fn("ch_state_each", _descriptor(state),
                                                                          *n.expressions[1:]), _typed_null(result))
    combinator = Combinator.of(name)
    assert combinator is not None
    if combinator.kind == "state":
        state = state_of_call(combinator.function, params, args, select)
        assert state is not None
        if combinator.if_ and not args:
            raise ClickHouseError(42, f"Aggregate function {name} needs its condition as its last argument")

        def state_of(n: exp.Expression) -> exp.Expression:
            _, now = state_call_arguments(n)
            values, cond = (now[:-1], now[-1]) if combinator.if_ else (now, exp.true())
            return _fn("ch_state_of", _descriptor(state), cond, *values)
        return state_of
    if len(args) != 1:
        raise ClickHouseError(42, f"Aggregate function {name} takes one argument: an aggregate function state")
    state = _state_read(node, name, args[0])
    if state.base != combinator.base or (params and tuple(p.sql(dialect="clickhouse") for p in params) != state.params):
        raise ClickHouseError(43, f"Illegal type {state} of argument for aggregate function {name}")
    if combinator.kind == "merge_state":
        return lambda n: _fn("ch_state_merge", _descriptor(state), state_call_arguments(n)[1][0])
    result = _result(state, name)
    return lambda n: _fn("ch_state_final", _descriptor(state), _fn("ch_state_merge", _descriptor(state),
                                                                    state_call_arguments(n)[1][0]), _typed_null(result))
