"""A call of a user-defined aggregate in a query: plain, GROUP BY, FILTER, DISTINCT, ORDER BY
inside the call, and OVER (a window's frame).

The planner compiles the state function once as an expression over a row of
(state, argument...) and the final function over (state [, argument...]). The executor gathers
each group's rows in their order (the list path of ``helios_core.sql.aggregates``) and folds all
groups at once: step k evaluates the state function over the k-th row of every group that has
one, so a query with many groups costs as many evaluations as its largest group has rows.

STRICT state functions follow PostgreSQL: a row with a NULL argument leaves the state as it is;
without INITCOND the first row with no NULL argument becomes the state; once the state function
returns NULL the state stays NULL.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import functions
from helios_core.sql import types as T
from helios_core.sql.catalog_views.functions import ACTIVE_SESSION
from helios_core.sql.expr import Compiled, Field, Scope
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.vec import Vec
from helios_core.sql.object_privileges import check_routine_execute
from helios_core.sql.routines import definition, polymorphic
from helios_core.sql.user_aggregates import support

_STATE = "__agg_state"


def _arg_name(i: int) -> str:
    return f"__agg_arg{i}"


def aggregates_named(name: str) -> list[definition.Routine]:
    """The user aggregates ``name`` reaches along the session's search_path ([] outside a session,
    and for the name of a built-in function, which calls reach first)."""
    if "." not in name and functions.has_function(name):
        return []
    session = ACTIVE_SESSION.get()
    txn = getattr(getattr(session, "tx", None), "txn", None) if session is not None else None
    if txn is None or not hasattr(session, "search_path"):
        return []
    return [r for r in definition.find(session, txn, name) if r.record["kind"] == "a"]


def is_user_aggregate(name: str) -> bool:
    return bool(aggregates_named(name))


@attrs.define(eq=False)
class AggregateCall:
    """What the executor needs to compute one user aggregate call over groups of rows."""

    transition: Compiled
    final: Compiled | None
    state_type: T.SqlType
    result_type: T.SqlType
    initial: Any  # the state's first value (INITCOND as a value of the state type), None for none
    strict: bool
    arg_types: list[T.SqlType]
    final_extra: bool
    # the scopes and trees the functions were compiled from: the compiler memoizes by their ids,
    # which must not be reused by another call's while the plan lives
    pinned: list = attrs.field(factory=list, repr=False)
    # a built-in state function whose fold is a sum, max, min or count (support.Builtin.fold)
    shortcut: str | None = None
    # an ordered-set aggregate's direct arguments (value, type), passed to its final function
    direct: list = attrs.field(factory=list)

    def finish(self, ctx: Any, parents: np.ndarray, flat: list[pa.Array], ngroups: int) -> pa.Array:
        """The aggregate of each group: row j of ``flat`` belongs to group ``parents[j]``, in order."""
        if self.shortcut is not None:
            return self.finalize(ctx, _folded_at_once(self, parents, flat, ngroups))
        return self.finalize(ctx, self.fold(ctx, parents, flat, ngroups))

    def fold(self, ctx: Any, parents: np.ndarray, flat: list[pa.Array], ngroups: int,
             prefixes: list[list[Any]] | None = None) -> list[Any]:
        """Each group's state after its rows; with ``prefixes``, each group's state after each of
        its rows is appended to ``prefixes[group]`` too (running aggregates of window frames)."""
        counts = np.bincount(parents, minlength=ngroups) if len(parents) else np.zeros(ngroups, np.int64)
        order = np.argsort(parents, kind="stable")
        flat = [f.take(pa.array(order, pa.int64())) if len(f) else f for f in flat[:len(self.arg_types)]]
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if ngroups else np.zeros(0, np.int64)
        state: list[Any] = [self.initial] * ngroups
        no_value = np.full(ngroups, self.initial is None)
        stype = self.state_type.arrow_type
        for k in range(int(counts.max()) if ngroups and len(parents) else 0):
            ctx.check_cancel()
            groups = np.nonzero(counts > k)[0]
            rows = pa.array(starts[groups] + k, pa.int64())
            args_k = [f.take(rows) for f in flat]
            current = [state[g] for g in groups]
            if self.strict:
                valid = np.ones(len(groups), bool)
                for a in args_k:
                    valid &= pc.is_valid(a).to_numpy(zero_copy_only=False)
                first = valid & no_value[groups]
                call = valid & ~no_value[groups] & np.array([s is not None for s in current], bool)
            else:
                first = np.zeros(len(groups), bool)
                call = np.ones(len(groups), bool)
            if first.any():
                firsts = _values(args_k[0], self.arg_types[0], self.state_type)
                for j in np.nonzero(first)[0]:
                    state[groups[j]] = firsts[j]
                no_value[groups[first]] = False
            if call.any():
                pick = pa.array(np.nonzero(call)[0], pa.int64())
                batch = pa.RecordBatch.from_arrays(
                    [pa.array([current[j] for j in pick.to_pylist()], stype), *(a.take(pick) for a in args_k)],
                    names=[_STATE, *(_arg_name(i) for i in range(len(args_k)))])
                out = self.transition.array(batch, ctx).to_pylist()
                for j, v in zip(pick.to_pylist(), out, strict=True):
                    state[groups[j]] = v
            if prefixes is not None:
                for g in groups:
                    prefixes[g].append(state[g])
        return state

    def finalize(self, ctx: Any, state: list[Any]) -> pa.Array:
        """The final function over states (the states themselves without one)."""
        ngroups = len(state)
        states = pa.array(state, self.state_type.arrow_type)
        if self.final is None:
            return states
        extra = [pa.nulls(ngroups, t.arrow_type) for t in self.arg_types] if self.final_extra else []
        direct = [pa.array([v] * ngroups, t.arrow_type) for v, t in self.direct]
        batch = pa.RecordBatch.from_arrays(
            [states, *direct, *extra],
            names=[_STATE, *(f"__agg_direct{i}" for i in range(len(direct))), *(_arg_name(i) for i in range(len(extra)))])
        out = self.final.array(batch, ctx)  # a computed numeric keeps its display scale in its Arrow type
        return out if self.final.type == self.result_type else pa.array(out.to_pylist(), self.result_type.arrow_type)


def _values(arr: pa.Array, have: T.SqlType, want: T.SqlType) -> list[Any]:
    if have == want:
        return arr.to_pylist()
    return cast(Vec(arr, have), want, context="assignment").array.to_pylist()


def _choose(candidates: list[definition.Routine], types: list[T.SqlType]) -> tuple[definition.Routine, list[T.SqlType]]:
    fits = []
    for r in candidates:
        fit = support._fits([a["type"] for a in r.in_args], types, definition.resolve_type) \
            if not r.variadic else None
        if fit is not None:
            fits.append((fit[0] != types, definition.Routine(r.record, fit[1]), fit[0]))
    if not fits:
        return _choose_none(types, candidates[0].name)
    fits.sort(key=lambda f: f[0])
    return fits[0][1], fits[0][2]


def _choose_none(types: list[T.SqlType], name: str = "") -> Any:
    sig = ", ".join(t.sql_name() for t in types)
    raise HeliosError(f"function {name}({sig}) does not exist", sqlstate="42883",
                      hint="No function matches the given name and argument types. You might need to add "
                           "explicit type casts.")


def compile_call(builder: Any, candidates: list[definition.Routine], arg_asts: list[exp.Expression], scope: Any,
                 direct_asts: list[exp.Expression] | None = None) -> tuple[list[Compiled], AggregateCall, T.SqlType]:
    """(the arguments compiled, the call, its result type) for ``name(args)`` of a user aggregate, or
    for ``name(direct_asts) WITHIN GROUP (ORDER BY arg_asts)`` of an ordered-set one."""
    if len(arg_asts) == 1 and isinstance(arg_asts[0], exp.Star):
        arg_asts = []
    ordered_set = direct_asts is not None
    name = candidates[0].name
    candidates = [r for r in candidates if (r.record["aggregate"].get("aggkind", "n") != "n") == ordered_set]
    if not candidates and ordered_set:
        raise HeliosError("WITHIN GROUP is only allowed for ordered-set aggregates", sqlstate="42809")
    direct = [builder.compile(a, scope) for a in direct_asts or []]
    args = [builder.compile(a, scope) for a in arg_asts]
    if not candidates:  # only ordered-set aggregates of that name, called without WITHIN GROUP
        _choose_none([a.type for a in args], name)
    routine, wanted = _choose(candidates, [a.type for a in [*direct, *args]])
    check_routine_execute(getattr(getattr(builder, "ctx", None), "session", None), routine)  # 42501
    agg = routine.record["aggregate"]
    wanted_direct, wanted = wanted[:len(direct)], wanted[len(direct):]
    direct = [a if w.name in polymorphic.PSEUDO or a.type == w else builder.coerce(a, w)
              for a, w in zip(direct, wanted_direct, strict=True)]
    if any(d.const is None for d in direct):
        raise FeatureNotSupported("direct arguments of an ordered-set aggregate must be constants")
    args = [a if w.name in polymorphic.PSEUDO or a.type == w else builder.coerce(a, w)
            for a, w in zip(args, wanted, strict=True)]
    types = [a.type for a in args]
    state_type = routine.type_of(agg["stype"])
    result_type = routine.type_of(routine.record["returns"])
    session = ACTIVE_SESSION.get()
    txn = session.tx.txn
    sfunc = support.find(session, txn, agg["sfunc"], [state_type, *types])
    fields = [Field(_STATE, state_type), *(Field(_arg_name(i), t) for i, t in enumerate(types))]
    columns = [exp.column(f.name) for f in fields]
    pinned: list = [Scope(fields), sfunc.call_ast(columns)]
    transition = _as(builder, builder.compile(pinned[1], pinned[0]), state_type)
    final = None
    if agg.get("finalfunc"):
        extra = bool(agg.get("finalfunc_extra"))
        direct_fields = [Field(f"__agg_direct{i}", d.type) for i, d in enumerate(direct)]
        ffunc = support.find(session, txn, agg["finalfunc"],
                             [state_type, *(d.type for d in direct), *(types if extra else [])])
        ffields = [fields[0], *direct_fields, *(fields[1:] if extra else [])]
        pinned += [Scope(ffields), ffunc.call_ast([exp.column(f.name) for f in ffields])]
        final = _as(builder, builder.compile(pinned[3], pinned[2]), result_type)
    initial = None
    if agg.get("initcond") is not None:
        initial = cast(Vec(pa.array([agg["initcond"]], pa.string()), T.UNKNOWN, True), state_type,
                       context="explicit").array.to_pylist()[0]
    shortcut = sfunc.builtin.fold if sfunc.builtin is not None else None
    if shortcut in ("sum", "max", "min") and (len(types) != 1 or types[0] != state_type
                                              or state_type.name not in _INT_RANGE):
        shortcut = None  # floats keep the row-by-row fold (its rounding, NaN's order)
    call = AggregateCall(transition=transition, final=final, state_type=state_type, result_type=result_type,
                         initial=initial, strict=sfunc.strict, arg_types=types,
                         final_extra=bool(agg.get("finalfunc_extra")), pinned=pinned, shortcut=shortcut,
                         direct=[(d.const.value(), d.type) for d in direct])
    return args, call, result_type


def _as(builder: Any, c: Compiled, t: T.SqlType) -> Compiled:
    return c if c.type == t else getattr(builder, "exprs", builder).cast_compiled(c, t, context="assignment")


def over_frames(call: AggregateCall, ctx: Any, args: list[pa.Array], keep: np.ndarray | None, fs: np.ndarray,
                fe: np.ndarray) -> pa.Array:
    """The aggregate over each row's window frame, rows fs[i] .. fe[i]-1 of ``args`` (sorted)."""
    n = len(fs)
    running = _running(call, ctx, args, keep, fs, fe)
    if running is not None:
        return running
    sizes = (fe - fs).astype(np.int64)
    parents = np.repeat(np.arange(n, dtype=np.int64), sizes)
    idx = (np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
           + np.repeat(fs.astype(np.int64), sizes))
    if keep is not None:
        mask = keep[idx]
        parents, idx = parents[mask], idx[mask]
    taken = pa.array(idx, pa.int64())
    return call.finish(ctx, parents, [a.take(taken) for a in args] or [pa.nulls(len(idx), pa.int8())], n)


def _running(call: AggregateCall, ctx: Any, args: list[pa.Array], keep: np.ndarray | None, fs: np.ndarray,
             fe: np.ndarray) -> pa.Array | None:
    """Frames that all start where their partition starts and grow row by row (ORDER BY's default
    frame): one fold per partition, each row taking the state after its frame's last row. None when
    the frames are not of that shape."""
    n = len(fs)
    if n == 0:
        return None
    starts = np.unique(fs)
    part = np.searchsorted(starts, fs)  # partition number of each row (frames start at partition starts)
    bounds = np.append(starts[1:], n)
    if np.any(fe < fs) or np.any(fe > bounds[part]) or np.any(np.diff(fe)[np.diff(part) == 0] < 0):
        return None
    rows_part = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    if len(rows_part) != n or np.any(np.diff(starts) <= 0):
        return None
    mask = np.ones(n, bool) if keep is None else keep.astype(bool)
    kept = np.nonzero(mask)[0]
    prefixes: list[list[Any]] = [[call.initial] for _ in starts]
    taken = pa.array(kept, pa.int64())
    call.fold(ctx, rows_part[kept], [a.take(taken) for a in args], len(starts), prefixes)
    # rows of each partition kept before each frame end: the prefix whose state the row takes
    kept_before = np.concatenate([[0], np.cumsum(mask)])
    lengths = kept_before[fe] - kept_before[starts[part]]
    states = [prefixes[p][k] for p, k in zip(part.tolist(), lengths.tolist(), strict=True)]
    return call.finalize(ctx, states)


_INT_RANGE = {"int2": (-(2 ** 15), 2 ** 15 - 1, "smallint"), "int4": (-(2 ** 31), 2 ** 31 - 1, "integer"),
              "int8": (-(2 ** 63), 2 ** 63 - 1, "bigint")}


def _folded_at_once(call: AggregateCall, parents: np.ndarray, flat: list[pa.Array], ngroups: int) -> list[Any]:
    """The states a strict built-in sum, max, min or count leaves, computed for all rows at once:
    NULL inputs are skipped, the first input is the state without INITCOND, and an integer sum
    that leaves its type's range at any row is 22003, as the row-by-row fold would be."""
    kind = call.shortcut
    valid = np.ones(len(parents), bool)
    for f in flat[:len(call.arg_types)]:
        valid &= pc.is_valid(f).to_numpy(zero_copy_only=False)
    if kind == "count":
        valid = np.ones(len(parents), bool)
    p = parents[valid]
    counts = np.bincount(p, minlength=ngroups) if len(p) else np.zeros(ngroups, np.int64)
    if kind in ("count", "count_valid"):
        return [None if call.initial is None else call.initial + int(n) for n in counts]
    order = np.argsort(p, kind="stable")
    values = np.array(flat[0].filter(pa.array(valid)).to_pylist(), dtype=object)[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    state: list[Any] = [call.initial] * ngroups
    present = np.nonzero(counts)[0]
    if not len(present):
        return state
    if kind == "sum":
        lo, hi, word = _INT_RANGE[call.state_type.name]
        running = np.cumsum(values) if len(values) else values  # Python ints: exact
        before = np.concatenate([[0], running])[starts]
        for g in present:
            seg = running[starts[g]:starts[g] + counts[g]] - before[g] + (call.initial or 0)
            if len(seg) and (min(seg) < lo or max(seg) > hi or (call.initial is not None and not lo <= call.initial <= hi)):
                raise HeliosError(f"{word} out of range", sqlstate="22003")
            state[g] = int(seg[-1])
        return state
    pick = max if kind == "max" else min
    for g in present:
        best = pick(values[starts[g]:starts[g] + counts[g]])
        state[g] = best if call.initial is None else pick(call.initial, best)
    return state
