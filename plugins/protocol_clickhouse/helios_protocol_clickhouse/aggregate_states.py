"""The values of ClickHouse's aggregate function states, and the kernel functions over them.

A state is kept as text: JSON of the aggregate (``f``, its parameters ``p``) and what it holds so
far (``s``), so any function can read it whatever column or subquery it comes from::

    sumState(x) over 1, 2, 3        {"f": "sum", "p": [], "s": 6}
    avgState(x)                     {"f": "avg", "p": [], "s": [6, 3]}
    uniqState(x) over 1, 1, 2       {"f": "uniq", "p": [], "s": [1, 2]}
    quantilesState(0.5, 0.9)(x)     {"f": "quantiles", "p": [0.5, 0.9], "s": [1, 2, 3]}

The empty text is the state of no rows (what a new row of an AggregateFunction column holds).
Values are kept as numbers and text: dates as days, times as microseconds since 1970.
uniq counts exactly (ClickHouse's is exact up to 65536 values), quantile keeps every value
(ClickHouse's sample is every value up to 8192) and interpolates as ClickHouse's does.

Kernel functions (the rewrites in ``rewrites/states.py`` call them; ``d`` is the aggregate as
``StateType.descriptor`` writes it, ``typed`` a NULL of the result's SQL type, which the result
takes):

- ``ch_state_of(d, cond, x...)``: aggregate: the state of the rows where ``cond`` holds (-State, -If);
- ``ch_state_merge(d, state)``: aggregate: the states merged into one (-MergeState);
- ``ch_state_final(d, state, typed)``: one state finalized (finalizeAggregation; -Merge is the
  finalized -MergeState, so that a group of no rows is finalized knowing its aggregate);
- ``ch_state_each(d, x...)``: each row's own state (initializeAggregation);
- ``ch_state_running(d, states, typed)``: each prefix of an array of states merged and finalized.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
from typing import Any

import pyarrow as pa

from helios_core.hookspecs import SqlAggregate, SqlFunction
from helios_protocol_clickhouse import timing_quantiles
from helios_protocol_clickhouse.errors import ClickHouseError

_EPOCH = datetime.date(1970, 1, 1)
_EPOCH_TIME = datetime.datetime(1970, 1, 1)


def _plain(v: Any) -> Any:
    """A value as a state keeps it: numbers, text, lists (dates as days, times as microseconds)."""
    if isinstance(v, datetime.datetime):
        return (v.replace(tzinfo=None) - _EPOCH_TIME) // datetime.timedelta(microseconds=1)
    if isinstance(v, datetime.date):
        return (v - _EPOCH).days
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return [_plain(x) for x in v.values()]
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return v


def _key(v: Any) -> Any:
    """A value as a set holds it."""
    return tuple(_key(x) for x in v) if isinstance(v, list) else v


def _parse_descriptor(text: str) -> tuple[str, list[float]]:
    name, _, rest = text.partition("(")
    params = [float(p) for p in rest.rstrip(")").split(",") if p.strip()] if rest else []
    return name, params


# -- one aggregate's state: start, add a row, merge, finalize ------------------------------------


class _Aggregate:
    """What the states of one aggregate hold and how they combine."""

    def __init__(self, name: str, params: list[float]) -> None:
        self.name = name
        self.params = params

    def start(self) -> Any:
        n = self.name
        if n == "count":
            return 0
        if n == "sum":
            return 0
        if n == "avg":
            return [0, 0]
        if n in ("uniq", "uniqExact", "groupUniqArray"):
            return set()
        if n in ("groupArray", "quantile", "quantiles", "median", "quantileExact", "quantilesExact",
                 "quantileTiming", "quantilesTiming"):
            return []
        return None  # min, max, any, anyLast, argMin, argMax: no value yet

    def add(self, state: Any, values: list[Any]) -> Any:
        n = self.name
        if n == "count":
            return state + 1 if not values or values[0] is not None else state
        if n in ("uniq", "uniqExact") and len(values) > 1:
            if any(v is None for v in values):
                return state
            state.add(tuple(_key(_plain(v)) for v in values))
            return state
        v = values[0] if values else None
        if v is None:
            return state
        v = _plain(v)
        if n == "sum":
            return state + v
        if n == "avg":
            state[0] += v
            state[1] += 1
            return state
        if n in ("uniq", "uniqExact", "groupUniqArray"):
            state.add(_key(v))
            return state
        if n == "groupArray":
            if not self.params or len(state) < int(self.params[0]):
                state.append(v)
            return state
        if isinstance(state, list) and n not in ("argMin", "argMax"):  # the quantiles: every value
            state.append(v)
            return state
        if n == "min":
            return v if state is None or v < state else state
        if n == "max":
            return v if state is None or v > state else state
        if n == "any":
            return v if state is None else state
        if n == "anyLast":
            return v
        if n in ("argMin", "argMax"):
            key = _plain(values[1]) if len(values) > 1 else None
            if key is None:
                return state
            # ties: argMin keeps the first value of the least key, argMax the last of the greatest, as ClickHouse's
            if state is None or (key < state[1] if n == "argMin" else key >= state[1]):
                return [v, key]
            return state
        raise ClickHouseError(48, f"States of aggregate function {n} are not supported")

    def merge(self, a: Any, b: Any) -> Any:
        n = self.name
        if n in ("count", "sum"):
            return a + b
        if n == "avg":
            return [a[0] + b[0], a[1] + b[1]]
        if isinstance(a, set):
            return a | b
        if n == "groupArray":
            merged = a + b
            return merged[:int(self.params[0])] if self.params else merged
        if isinstance(a, list) and n not in ("argMin", "argMax"):
            return a + b
        if a is None:
            return b
        if b is None:
            return a
        if n == "min":
            return min(a, b)
        if n == "max":
            return max(a, b)
        if n == "any":
            return a
        if n == "anyLast":
            return b
        if n == "argMin":
            return b if b[1] < a[1] else a
        if n == "argMax":
            return b if b[1] >= a[1] else a
        raise ClickHouseError(48, f"States of aggregate function {n} are not supported")

    def final(self, state: Any) -> Any:
        """The finalized value (None: the result type's default)."""
        n = self.name
        if n in ("count", "sum"):
            return state
        if n == "avg":
            return state[0] / state[1] if state[1] else math.nan
        if n in ("uniq", "uniqExact"):
            return len(state)
        if n == "groupUniqArray":
            return sorted(state, key=_order)
        if n == "groupArray":
            return state
        if n in ("argMin", "argMax"):
            return None if state is None else state[0]
        if n in ("quantile", "median", "quantiles"):
            levels = self.params or [0.5]
            values = sorted(state)
            out = [_interpolated(values, p) for p in levels]
            return out if n == "quantiles" else out[0]
        if n in ("quantileExact", "quantilesExact"):
            levels = self.params or [0.5]
            values = sorted(state)
            out = [values[min(int(p * len(values)), len(values) - 1)] if values else None for p in levels]
            return out if n == "quantilesExact" else out[0]
        if n in ("quantileTiming", "quantilesTiming"):
            levels = self.params or [0.5]
            out = timing_quantiles.quantiles(pa.array(state, pa.float64()), None, levels)
            return out if n == "quantilesTiming" else out[0]
        return state  # min, max, any, anyLast

    def dump(self, state: Any) -> str:
        if not self.name:  # no rows came, not even the aggregate's name: the empty state
            return ""
        if isinstance(state, set):
            state = sorted((list(v) if isinstance(v, tuple) else v for v in state), key=_order)
        return json.dumps({"f": self.name, "p": self.params, "s": state}, separators=(",", ":"))

    def load(self, text: str | None) -> Any:
        """The state a text holds (a new one for the empty text or NULL)."""
        if not text:
            return self.start()
        data = json.loads(text)
        if data.get("f") != self.name or list(data.get("p") or []) != list(self.params):
            raise ClickHouseError(43, f"Cannot merge a state of {data.get('f')} with states of {self.name}")
        state = data["s"]
        if self.name in ("uniq", "uniqExact", "groupUniqArray"):
            return {_key(v) for v in state}
        return state


def _order(v: Any) -> Any:
    return (0, v) if not isinstance(v, list | tuple) else (1, tuple(v))


def _interpolated(values: list[Any], level: float) -> float:
    if not values:
        return math.nan
    index = max(0.0, min(len(values) - 1.0, level * (len(values) - 1)))
    low = math.floor(index)
    high = min(low + 1, len(values) - 1)
    fraction = index - low
    return values[low] * (1 - fraction) + values[high] * fraction  # as ClickHouse weighs the two


# -- Arrow in and out ------------------------------------------------------------------------------


def _storage(target: pa.DataType) -> pa.DataType:
    """The Arrow type a finalized value is built in before its cast to ``target`` (days, microseconds)."""
    if pa.types.is_date32(target):
        return pa.int32()
    if pa.types.is_timestamp(target) or pa.types.is_date64(target):
        return pa.int64()
    if pa.types.is_list(target):
        return pa.list_(_storage(target.value_type))
    return target


def _default(target: pa.DataType) -> Any:
    if pa.types.is_list(target):
        return []
    if pa.types.is_string(target) or pa.types.is_large_string(target):
        return ""
    if pa.types.is_boolean(target):
        return False
    return 0


def _decimals(value: Any, target: pa.DataType) -> Any:
    if pa.types.is_decimal(target) and value is not None and not isinstance(value, decimal.Decimal):
        return decimal.Decimal(str(value))
    if pa.types.is_list(target) and isinstance(value, list):
        return [_decimals(v, target.value_type) for v in value]
    if pa.types.is_floating(target) and isinstance(value, int):
        return float(value)
    return value


def _out(values: list[Any], target: pa.DataType) -> pa.Array:
    values = [_decimals(_default(target) if v is None else v, target) for v in values]
    storage = _storage(target)
    built = pa.array(values, storage)
    return built.cast(target) if storage != target else built


def _first(arr: pa.Array) -> str:
    for v in arr.to_pylist():
        if v is not None:
            return v
    return ""


def _aggregate_of(descriptor: str) -> _Aggregate:
    name, params = _parse_descriptor(descriptor)
    return _Aggregate(name, params)


def _grouped_states(groups: Any, args: list[pa.Array], ngroups: int) -> tuple[_Aggregate, list[Any]]:
    """ch_state_of's states per group: (descriptor, condition, values...)."""
    aggregate = _aggregate_of(_first(args[0]))
    states = [aggregate.start() for _ in range(ngroups)]
    conditions = args[1].to_pylist()
    columns = [a.to_pylist() for a in args[2:]]
    for row, g in enumerate(groups.tolist()):
        if conditions[row]:
            states[g] = aggregate.add(states[g], [c[row] for c in columns])
    return aggregate, states


def _merged_states(groups: Any, args: list[pa.Array], ngroups: int) -> tuple[_Aggregate, list[Any]]:
    """The states of args[1] merged per group."""
    aggregate = _aggregate_of(_first(args[0]))
    states = [aggregate.start() for _ in range(ngroups)]
    for g, text in zip(groups.tolist(), args[1].to_pylist(), strict=True):
        if text:
            states[g] = aggregate.merge(states[g], aggregate.load(text))
    return aggregate, states


def _state_of(groups: Any, args: list[pa.Array], ngroups: int) -> pa.Array:
    aggregate, states = _grouped_states(groups, args, ngroups)
    return pa.array([aggregate.dump(s) for s in states], pa.string())


def _state_merge(groups: Any, args: list[pa.Array], ngroups: int) -> pa.Array:
    aggregate, states = _merged_states(groups, args, ngroups)
    return pa.array([aggregate.dump(s) for s in states], pa.string())


def _state_final(args: list[pa.Array]) -> pa.Array:
    aggregate = _aggregate_of(_first(args[0]))
    return _out([aggregate.final(aggregate.load(text)) for text in args[1].to_pylist()], args[2].type)


def _state_each(args: list[pa.Array]) -> pa.Array:
    aggregate = _aggregate_of(_first(args[0]))
    columns = [a.to_pylist() for a in args[1:]]
    out = [aggregate.dump(aggregate.add(aggregate.start(), [c[row] for c in columns]))
           for row in range(len(args[0]))]
    return pa.array(out, pa.string())


def _state_running(args: list[pa.Array]) -> pa.Array:
    """Each row: the merge of the states of the array up to its last element, finalized."""
    aggregate = _aggregate_of(_first(args[0]))
    out = []
    for texts in args[1].to_pylist():
        state = aggregate.start()
        for text in texts or []:
            if text:
                state = aggregate.merge(state, aggregate.load(text))
        out.append(aggregate.final(state))
    return _out(out, args[2].type)


def _last(types: list[str]) -> str:
    return types[-1]

AGGREGATES = [
    SqlAggregate(name="ch_state_of", impl=_state_of, return_type="text"),
    SqlAggregate(name="ch_state_merge", impl=_state_merge, return_type="text"),
]

FUNCTIONS = [
    SqlFunction(name="ch_state_final", impl=_state_final, return_type=_last, strict=False),
    SqlFunction(name="ch_state_each", impl=_state_each, return_type="text", strict=False),
    SqlFunction(name="ch_state_running", impl=_state_running, return_type=_last, strict=False),
]
