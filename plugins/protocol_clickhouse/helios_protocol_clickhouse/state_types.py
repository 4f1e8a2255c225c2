"""The names and types of ClickHouse's aggregate function states.

    sumState(x)              state of sum over the rows    AggregateFunction(sum, UInt64)   (x: UInt64)
    anyIfState(s, c)         state of any over rows with c AggregateFunction(anyIf, String, UInt8)
    sumMerge(state)          the states merged, finalized  UInt64
    uniqMergeState(state)    the states merged, a state    AggregateFunction(uniq, UInt64)
    finalizeAggregation(st)  one state finalized           UInt64

A call's name is its aggregate with combinators (``Combinator.of``); ``StateType`` is an
``AggregateFunction(f, T...)`` type read or made, which says what its states finalize to
(``result_type``). The -If of an -State changes which rows go in, not the state: ``anyIf``'s states
are ``any``'s. The values of states are in ``aggregate_states``.
"""

from __future__ import annotations

import re

import attrs

# ClickHouse's aggregate names (as it spells them) whose states are built, by their lower-case names
BASES = {name.lower(): name for name in (
    "count", "sum", "avg", "min", "max", "any", "anyLast", "uniq", "uniqExact", "groupArray", "groupUniqArray",
    "argMin", "argMax", "quantile", "quantiles", "median", "quantileExact", "quantilesExact", "quantileTiming",
    "quantilesTiming")}
_FLOATS = ("Float32", "Float64")


@attrs.frozen
class Combinator:
    """``anyIfMergeState`` -> base ``any``, if_ True, kind ``merge_state``."""

    base: str  # ClickHouse's name of the aggregate: sum, anyLast, quantiles...
    if_: bool  # the -If combinator: rows go in where the last argument is true
    kind: str  # "state", "merge", "merge_state"

    @staticmethod
    def of(name: str) -> Combinator | None:
        """The combinators of a call's name; None for a name that is no state combinator of a built aggregate."""
        for suffix, kind in (("MergeState", "merge_state"), ("Merge", "merge"), ("State", "state")):
            if name.endswith(suffix) and len(name) > len(suffix):
                stem = name[:-len(suffix)]
                break
        else:
            return None
        if stem.lower() in BASES:
            return Combinator(BASES[stem.lower()], False, kind)
        if stem.endswith("If") and stem[:-2].lower() in BASES:
            return Combinator(BASES[stem[:-2].lower()], True, kind)
        return None

    @property
    def function(self) -> str:
        """The function as an AggregateFunction type names it (``anyIf``)."""
        return self.base + ("If" if self.if_ else "")


def aggregate_of(name: str) -> tuple[str, bool] | None:
    """``anyIf`` -> (``any``, True), ``sum`` -> (``sum``, False); None for one whose states are not built."""
    if name.lower() in BASES:
        return BASES[name.lower()], False
    if name.endswith("If") and name[:-2].lower() in BASES:
        return BASES[name[:-2].lower()], True
    return None


@attrs.frozen
class StateType:
    """``AggregateFunction(quantiles(0.5, 0.9), UInt64)``: base, parameters, -If and argument types."""

    base: str
    params: tuple[str, ...] = ()
    if_: bool = False
    arg_types: tuple[str | None, ...] = ()

    def __str__(self) -> str:
        function = self.base + ("If" if self.if_ else "") + (f"({', '.join(self.params)})" if self.params else "")
        return f"AggregateFunction({', '.join([function, *(t or '?' for t in self.arg_types)])})"

    @property
    def known(self) -> bool:
        """Whether every argument's type is known (``?`` in the type's text where one is not)."""
        return None not in self.arg_types

    def descriptor(self) -> str:
        """What a state's kernel functions are told of it: ``sum``, ``quantiles(0.5, 0.9)``."""
        return self.base + (f"({','.join(self.params)})" if self.params else "")

    def value_types(self) -> tuple[str | None, ...]:
        """The argument types of the values that go in (the -If condition left out)."""
        return self.arg_types[:-1] if self.if_ else self.arg_types

    def result_type(self) -> str | None:
        """The ClickHouse type its states finalize to (None: not known here)."""
        base = self.base.lower()
        values = self.value_types()
        first = _plain(values[0]) if values else None
        if base in ("count", "uniq", "uniqexact"):
            return "UInt64"
        if base in ("avg", "quantile", "median"):
            return "Float64"
        if base == "quantiles":
            return "Array(Float64)"
        if base == "quantiletiming":
            return "Float32"
        if base == "quantilestiming":
            return "Array(Float32)"
        if first is None:
            return None
        if base == "sum":
            m = re.fullmatch(r"(U?)Int\d+|Bool", first)
            if m is not None:
                return "UInt64" if m.group(1) or first == "Bool" else "Int64"
            return "Float64" if first in _FLOATS else None
        if base in ("min", "max", "any", "anylast", "argmin", "argmax", "quantileexact"):
            return first
        if base in ("grouparray", "groupuniqarray", "quantilesexact"):
            return f"Array({first})"
        return None


def _plain(type_name: str | None) -> str | None:
    """The type without Nullable/LowCardinality: what an aggregate gives of such values."""
    while type_name and type_name.startswith(("Nullable(", "LowCardinality(")):
        type_name = type_name[type_name.index("(") + 1:-1]
    return type_name


def split_arguments(text: str) -> list[str]:
    """``quantiles(0.5, 0.9), UInt64`` -> its parts at the top level of parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:].strip())
    return parts


_FUNCTION = re.compile(r"^\s*(\w+)\s*(?:\((.*)\))?\s*$", re.DOTALL)


def read_state_type(type_name: str | None) -> StateType | None:
    """``AggregateFunction(anyIf, String, UInt8)`` -> its StateType; None for another type (or an
    aggregate whose states are not built)."""
    if not type_name or not type_name.startswith("AggregateFunction(") or not type_name.endswith(")"):
        return None
    parts = split_arguments(type_name[len("AggregateFunction("):-1])
    if not parts:
        return None
    m = _FUNCTION.match(parts[0])
    found = aggregate_of(m.group(1)) if m else None
    if found is None:
        return None
    params = tuple(split_arguments(m.group(2))) if m.group(2) else ()
    return StateType(found[0], params, found[1], tuple(None if p == "?" else p for p in parts[1:]))


def read_simple_type(type_name: str | None) -> tuple[str, str] | None:
    """``SimpleAggregateFunction(sum, UInt64)`` -> (``sum``, ``UInt64``); None for another type."""
    if not type_name or not type_name.startswith("SimpleAggregateFunction(") or not type_name.endswith(")"):
        return None
    parts = split_arguments(type_name[len("SimpleAggregateFunction("):-1])
    return (parts[0], parts[-1]) if len(parts) >= 2 else None
