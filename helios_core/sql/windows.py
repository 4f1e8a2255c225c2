"""Window functions: planning (OVER clauses, named windows, frames) and vectorized evaluation.

Evaluation sorts the input once per distinct (PARTITION BY, ORDER BY), then works on the
sorted rows with numpy: partition starts, peer groups (rows equal in ORDER BY), and for each
row a frame ``[start, end)`` of sorted positions. Ranking functions come from those
positions directly; sum/count/avg over frames from prefix sums; min/max and the value
functions from the frame bounds. Results are scattered back to input order; the window
operator (operators/window.py) sorts its input first as PostgreSQL does, so that input order
is already the order PostgreSQL returns the rows in.

Frames follow PostgreSQL: default with ORDER BY is RANGE UNBOUNDED PRECEDING .. CURRENT ROW
(the current row's peers included), without ORDER BY the whole partition; ROWS/GROUPS/RANGE
with offsets (RANGE offsets by the key type's in_range rules: window_range.py) and EXCLUDE (per-row frames).
"""

from __future__ import annotations

import decimal
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import types as T
from helios_core.sql import window_range
from helios_core.sql.aggregates import (
    CANONICAL,
    check_float_accum,
    float_accum_may_overflow,
    quotients_at_own_scale,
    result_type,
)
from helios_core.sql.expr import Compiled, Field, Scope, canonical_key
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.vec import Vec
from helios_core.sql.user_aggregates import calls as user_aggregate_calls
from helios_core.sql.window_order import window_sort_items
from helios_core.sql.window_placement import position_of, refuse_window

RANKING = {"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile"}
VALUE_FNS = {"lag", "lead", "first_value", "last_value", "nth_value"}
FRAME_AGGS = {"sum", "count", "count_star", "avg", "min", "max", "bool_and", "bool_or", "array_agg",
              "string_agg", "stddev_samp", "stddev_pop", "var_samp", "var_pop"}


@attrs.define(eq=False)
class Frame:
    mode: str = "range"  # rows | range | groups
    start: str = "unbounded"  # unbounded | current | preceding | following
    start_off: Compiled | None = None
    end: str = "current"
    end_off: Compiled | None = None
    explicit: bool = False
    exclude: str = "no others"  # current row | group | ties | no others


@attrs.define(eq=False)
class WindowSpec:
    name: str
    args: list[Compiled]
    partition: list[Compiled]
    order: list[tuple[Compiled, bool, bool | None]]
    frame: Frame
    result_type: T.SqlType
    filter: Compiled | None = None
    distinct: bool = False
    label: str = ""
    user: Any = None  # a CREATE AGGREGATE's call over each frame (user_aggregates.calls.AggregateCall)
    # PARTITION BY + ORDER BY as PostgreSQL numbers them (window_order): which sort it needs
    sort_items: list = attrs.Factory(list)


def plan_window_operator(builder: Any, op: Any, scope: Scope, windows: list[exp.Window], sel: exp.Select
                         ) -> tuple[Any, Scope]:
    from helios_core.sql.operators.window import WindowOp

    named = {}
    for w in sel.args.get("windows") or []:
        wname = w.this.name if isinstance(w.this, exp.Identifier) else str(w.this)
        if wname in named:
            raise HeliosError(f'window "{wname}" is already defined', sqlstate="42P20")
        named[wname] = w
    key_scope = scope.key_scope or scope
    specs: list[WindowSpec] = []
    keys: dict[str, int] = {}
    sort_items = window_sort_items(sel, windows)
    for w, items in zip(windows, sort_items, strict=True):
        k = canonical_key(w, key_scope) or w.sql()
        if k in keys:
            continue
        keys[k] = len(specs)
        specs.append(window_spec(builder, w, scope, named))
        specs[-1].sort_items = items
    # hidden: a window call's result is no column of the FROM items (SELECT *, f() OVER ... shows it once)
    fields = list(scope.fields) + [Field(s.label, s.result_type, hidden=True) for s in specs]
    subs = dict(scope.substitutions)
    n = len(scope.fields)
    for k, i in keys.items():
        subs[k] = n + i
    new_scope = Scope(fields, outer=scope.outer, substitutions=subs, key_scope=key_scope,
                      strict_grouping=scope.strict_grouping, merged=dict(scope.merged))
    return WindowOp(fields, op, specs), new_scope


def _resolve_named(w: exp.Window, named: dict[str, exp.Window]) -> tuple[list, Any, Any]:
    partition = list(w.args.get("partition_by") or [])
    order = w.args.get("order")
    spec = w.args.get("spec")
    alias = w.args.get("alias")
    if alias is not None:
        base = named.get(alias.name)
        if base is None:
            raise HeliosError(f'window "{alias.name}" does not exist', sqlstate="42704")
        bp, bo, bs = _resolve_named(base, named)
        partition = partition or bp
        order = order or bo
        spec = spec or bs
    return partition, order, spec


def window_spec(builder: Any, w: exp.Window, scope: Scope, named: dict[str, exp.Window]) -> WindowSpec:
    fn = w.this
    filt = None
    if isinstance(fn, exp.Filter):
        where = fn.expression
        filt = builder.as_bool(builder.compile(where.this if isinstance(where, exp.Where) else where, scope),
                               "FILTER")
        fn = fn.this
    partition_asts, order_node, frame_node = _resolve_named(w, named)
    for key in [*partition_asts, *(order_node.expressions if order_node is not None else [])]:
        refuse_window(key, "window definitions")
    partition = [builder.compile(p, scope) for p in partition_asts]
    order = []
    if order_node is not None:
        for o in order_node.expressions:
            nf = o.args.get("nulls_first")
            order.append((builder.compile(o.this, scope), bool(o.args.get("desc")), None if nf is None else bool(nf)))
    for kind, keys in (("equality", partition), ("ordering", [o[0] for o in order])):
        for key in keys:
            if key.type.category == "G":  # the geometric types have no btree operator class
                raise HeliosError(f"could not identify an {kind} operator for type {key.type.name}",
                                  sqlstate="42883")
    name, arg_asts, distinct = _fn_name_args(fn)
    frame = _frame(builder, frame_node, scope, bool(order))
    if frame.mode == "groups" and not order:
        raise HeliosError("GROUPS mode requires an ORDER BY clause", sqlstate="42P20")
    if frame.mode == "range" and (frame.start_off is not None or frame.end_off is not None):
        if len(order) != 1:
            raise HeliosError("RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
                              sqlstate="42P20")
        for which, side in (("start_off", "start"), ("end_off", "end")):
            if getattr(frame, which) is None:
                continue
            try:
                setattr(frame, which, window_range.type_offset(builder, order[0][0].type, getattr(frame, which)))
            except HeliosError as e:  # PostgreSQL points at the offset
                if e.position is None and frame_node is not None and isinstance(frame_node.args.get(side),
                                                                                 exp.Expression):
                    e.position = position_of(frame_node.args[side])
                raise
    user = user_aggregate_calls.aggregates_named(name) if isinstance(fn, exp.Anonymous) else []
    if user:  # CREATE AGGREGATE's, over each row's frame
        args, call, rt = user_aggregate_calls.compile_call(builder, user, arg_asts, scope)
        return WindowSpec(name=name, args=args, partition=partition, order=order, frame=frame, result_type=rt,
                          filter=filt, label=name, user=call)
    if name == "count" and not arg_asts:
        raise HeliosError("count(*) must be used to call a parameterless aggregate function", sqlstate="42809",
                          position=position_of(fn))
    args = [builder.compile(a, scope) for a in arg_asts]
    if name == "ntile" and args:  # ntile(integer)
        args[0] = builder.coerce(args[0], T.INT4)
    if name in RANKING:
        rt = T.INT8 if name in ("row_number", "rank", "dense_rank") else (T.INT4 if name == "ntile" else T.FLOAT8)
    elif name in ("lag", "lead"):
        rt = args[0].type if args else T.UNKNOWN
        if len(args) > 2:
            common = builder.result_type([args[0].type, args[2].type], name)
            args[0] = builder.coerce(args[0], common)
            args[2] = builder.coerce(args[2], common)
            rt = common
        if len(args) > 1:
            args[1] = builder.coerce(args[1], T.INT4)
    elif name in ("first_value", "last_value", "nth_value"):
        rt = args[0].type
    elif name in FRAME_AGGS or name in ("jsonb_agg", "json_agg"):
        if name in ("sum", "avg", "min", "max") and args and args[0].type.name == "unknown":
            args[0] = builder.coerce(args[0], T.NUMERIC)
        rt = result_type(name, [a.type for a in args])
    else:
        raise FeatureNotSupported(f"window function {name} is not supported")
    return WindowSpec(name=name, args=args, partition=partition, order=order, frame=frame, result_type=rt,
                      filter=filt, distinct=distinct, label=name)


def _fn_name_args(fn: exp.Expression) -> tuple[str, list[exp.Expression], bool]:
    from helios_core.sql.planner.builder import _agg_name

    k = type(fn).__name__
    simple = {"RowNumber": "row_number", "Rank": "rank", "DenseRank": "dense_rank", "PercentRank": "percent_rank",
              "CumeDist": "cume_dist", "Ntile": "ntile", "Lag": "lag", "Lead": "lead", "FirstValue": "first_value",
              "LastValue": "last_value", "NthValue": "nth_value"}
    if k in simple:
        name = simple[k]
        args = [v for key in ("this", "offset", "default", "expression") if (v := fn.args.get(key)) is not None]
        if isinstance(fn, exp.Ntile) and not args and fn.args.get("this") is None:
            args = []
        return name, args, False
    if isinstance(fn, exp.Anonymous):
        name = CANONICAL.get(str(fn.this).lower(), str(fn.this).lower())
        return name, list(fn.expressions), False
    name = _agg_name(fn)
    if isinstance(fn, exp.Count) and isinstance(fn.this, exp.Star):
        return "count_star", [], False
    args = [v for key in ("this", "expression") if (v := fn.args.get(key)) is not None]
    if isinstance(fn, exp.GroupConcat):
        args = [fn.this] + ([fn.args["separator"]] if fn.args.get("separator") is not None else [])
    distinct = False
    if args and isinstance(args[0], exp.Distinct):
        distinct = True
        args = list(args[0].expressions) + args[1:]
    return name, args, distinct


def _frame(builder: Any, spec: Any, scope: Scope, has_order: bool) -> Frame:
    if spec is None:
        return Frame(mode="range", start="unbounded", end="current" if has_order else "unbounded_following")
    exclude = spec.args.get("exclude")
    exclude = " ".join(str(exclude.name if isinstance(exclude, exp.Expression) else exclude).lower().split()) \
        if exclude is not None else "no others"
    if exclude not in ("current row", "group", "ties", "no others"):
        raise HeliosError(f'syntax error at or near "{exclude}"', sqlstate="42601")
    mode = str(spec.args.get("kind") or "range").lower()

    def bound(v: Any, side: Any, is_start: bool) -> tuple[str, Compiled | None]:
        side = str(side or "").lower()
        if v is None:
            return ("current", None) if not is_start else ("unbounded", None)
        if isinstance(v, str):
            u = v.upper()
            if u == "UNBOUNDED":
                return ("unbounded" if side == "preceding" else "unbounded_following"), None
            if u == "CURRENT ROW":
                return "current", None
        off = builder.compile(v, Scope([], outer=None))
        return side or "preceding", off

    s, so = bound(spec.args.get("start"), spec.args.get("start_side"), True)
    if spec.args.get("end") is None:
        e, eo = "current", None
    else:
        e, eo = bound(spec.args.get("end"), spec.args.get("end_side"), False)
    if s == "unbounded_following":
        raise HeliosError("frame start cannot be UNBOUNDED FOLLOWING", sqlstate="42P20")
    if e == "unbounded":
        raise HeliosError("frame end cannot be UNBOUNDED PRECEDING", sqlstate="42P20")
    return Frame(mode=mode, start=s, start_off=so, end=e, end_off=eo, explicit=True, exclude=exclude)


# ------------------------------------------------------------------------------ evaluation
def partition_layout(sorted_keys: list[pa.Array], n: int) -> np.ndarray:
    """Boolean array: True where a new group starts (row 0 always)."""
    starts = np.zeros(n, bool)
    if n:
        starts[0] = True
    for k in sorted_keys:
        if n <= 1:
            break
        a = k.slice(1)
        b = k.slice(0, n - 1)
        if pa.types.is_null(k.type):
            continue
        neq = pc.not_equal(a, b)
        both_null = pc.and_(pc.is_null(a), pc.is_null(b))
        one_null = pc.xor(pc.is_null(a), pc.is_null(b))
        diff = pc.if_else(both_null, False, pc.if_else(one_null, True, pc.fill_null(neq, True)))
        starts[1:] |= diff.to_numpy(zero_copy_only=False)
    return starts


def group_bounds(starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row: start position of its group and end position (exclusive)."""
    n = len(starts)
    idx = np.arange(n)
    gstart = np.maximum.accumulate(np.where(starts, idx, 0)) if n else idx
    start_pos = np.nonzero(starts)[0]
    ends = np.append(start_pos[1:], n)
    gid = np.cumsum(starts) - 1
    gend = ends[gid] if n else idx
    return gstart, gend


def window_sort_keys(spec: WindowSpec, t: pa.Table, ctx: Any, eval_on_table: Any
                     ) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """The PARTITION BY and ORDER BY columns of ``spec`` over ``t`` as Arrow sorts them, and the
    sort keys naming them (partitions ascending, NULLs as PostgreSQL places them)."""
    from helios_core.sql.operators.sort import sortable, typed_sortable

    cols: dict[str, Any] = {}
    sort_keys = []
    for i, p in enumerate(spec.partition):
        cols[f"p{i}"] = sortable(eval_on_table(p, t, ctx))
        sort_keys.append((f"p{i}", "ascending", "at_end"))
    for i, (o, desc, nf) in enumerate(spec.order):
        cols[f"o{i}"] = typed_sortable(eval_on_table(o, t, ctx), o.type)
        null_first = desc if nf is None else nf
        sort_keys.append((f"o{i}", "descending" if desc else "ascending", "at_start" if null_first else "at_end"))
    return cols, sort_keys


def compute_window(spec: WindowSpec, t: pa.Table, ctx: Any, eval_on_table: Any) -> pa.Array:
    """The window function's value for every row of t (input order)."""
    n = t.num_rows
    F = ctx.fn
    cols, sort_keys = window_sort_keys(spec, t, ctx, eval_on_table)
    if sort_keys and n > 1:
        perm = pc.sort_indices(pa.table(cols), sort_keys=sort_keys).to_numpy()
    else:
        perm = np.arange(n)
    perm_arr = pa.array(perm, pa.int64())
    sp = [pa.array(cols[f"p{i}"]).take(perm_arr) if not isinstance(cols[f"p{i}"], pa.ChunkedArray)
          else cols[f"p{i}"].take(perm_arr).combine_chunks() for i in range(len(spec.partition))]
    so = [pa.array(cols[f"o{i}"]).take(perm_arr) if not isinstance(cols[f"o{i}"], pa.ChunkedArray)
          else cols[f"o{i}"].take(perm_arr).combine_chunks() for i in range(len(spec.order))]
    pstarts = partition_layout(sp, n)
    peer_starts = pstarts | partition_layout(so, n) if so else pstarts.copy()
    pstart, pend = group_bounds(pstarts)
    if so:
        gstart, gend = group_bounds(peer_starts)
    else:
        gstart, gend = pstart, pend
    pos = np.arange(n)
    name = spec.name
    args_sorted = [eval_on_table(a, t, ctx).take(perm_arr) for a in spec.args]
    if any(NS.is_special(a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a) for a in args_sorted) \
            and name not in ("first_value", "last_value", "nth_value", "lag", "lead", "count"):
        raise FeatureNotSupported(f"window function {name}() over numeric NaN/Infinity is not supported by HeliosDB")
    if name == "row_number":
        res = pa.array(pos - pstart + 1, pa.int64())
    elif name == "rank":
        res = pa.array(gstart - pstart + 1, pa.int64())
    elif name == "dense_rank":
        c = np.cumsum(peer_starts)
        res = pa.array(c - c[pstart] + 1, pa.int64()) if n else pa.array([], pa.int64())
    elif name == "percent_rank":
        size = pend - pstart
        rank = gstart - pstart
        res = pa.array(np.where(size > 1, rank / np.maximum(size - 1, 1), 0.0), pa.float64())
    elif name == "cume_dist":
        res = pa.array((gend - pstart) / (pend - pstart), pa.float64())
    elif name == "ntile":
        k_in = args_sorted[0].combine_chunks() if isinstance(args_sorted[0], pa.ChunkedArray) else args_sorted[0]
        k_null = np.asarray(k_in.is_null()) if n else np.zeros(0, bool)  # ntile(NULL) is NULL
        k_arr = pc.fill_null(k_in, 1).to_numpy(zero_copy_only=False)
        if n and (np.any(k_arr <= 0)):
            raise HeliosError("argument of ntile must be greater than zero", sqlstate="22014")
        size = pend - pstart
        i = pos - pstart
        k = k_arr.astype(np.int64)
        q = size // k
        r = size % k
        big = r * (q + 1)
        res_np = np.where(i < big, i // np.maximum(q + 1, 1), r + (i - big) // np.maximum(q, 1)) + 1
        res = pa.array(res_np.astype(np.int32), pa.int32(), mask=k_null)
    elif name in ("lag", "lead"):
        vals = args_sorted[0]
        off = args_sorted[1].to_numpy(zero_copy_only=False).astype(np.int64) if len(args_sorted) > 1 else np.ones(
            n, np.int64)
        target = pos - off if name == "lag" else pos + off
        ok = (target >= pstart) & (target < pend)
        taken = vals.take(pa.array(np.where(ok, target, 0), mask=~ok)) if n else vals
        if len(args_sorted) > 2:
            default = args_sorted[2]
            from helios_core.sql.planner.scalar import _unify_arrays

            scales = {getattr(a.type, "scale", None) for a in (taken, default)}
            if spec.result_type.name == "numeric" and len(scales) > 1 and all(
                    pa.types.is_decimal(a.type) for a in (taken, default)):
                # values of different scales keep each its own (lag(x, 1, 0.7) over integers prints 4, not 4.0)
                d_vals = default.to_pylist() if len(default) == n else default.to_pylist() * n
                res = NW.from_decimals([v if k else d for v, d, k in zip(taken.to_pylist(), d_vals, ok.tolist(),
                                                                         strict=True)])
            else:
                taken, default = _unify_arrays([taken, default])
                res = pc.if_else(pa.array(ok), taken, default)
        else:
            res = taken
    else:
        if spec.frame.mode == "range" and (spec.frame.start_off is not None or spec.frame.end_off is not None):
            key = eval_on_table(spec.order[0][0], t, ctx)  # in_range reads the key itself, not its sort surrogate
            so = [(key.combine_chunks() if isinstance(key, pa.ChunkedArray) else key).take(perm_arr)]
        fs, fe = frame_bounds(spec.frame, ctx, n, pos, pstart, pend, gstart, gend, peer_starts, so, spec)
        if spec.user is not None:
            if spec.frame.exclude != "no others":
                raise FeatureNotSupported("EXCLUDE in the frame of a user-defined aggregate is not supported")
            keep = None
            if spec.filter is not None:
                keep = pc.fill_null(eval_on_table(spec.filter, t, ctx).take(perm_arr), False).to_numpy(
                    zero_copy_only=False)
            sorted_args = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in args_sorted]
            res = user_aggregate_calls.over_frames(spec.user, ctx, sorted_args, keep, fs, fe)
        elif spec.frame.exclude != "no others":
            res = frame_aggregate_excluding(spec, args_sorted, fs, fe, gstart, gend, n, F, t, perm_arr, ctx,
                                            eval_on_table)
        else:
            res = frame_aggregate(spec, args_sorted, fs, fe, n, F, t, perm_arr, ctx, eval_on_table)
    inv = np.empty(n, np.int64)
    inv[perm] = np.arange(n)
    if isinstance(res, pa.ChunkedArray):
        res = res.combine_chunks()
    return res.take(pa.array(inv, pa.int64()))


def _const_array(c: Compiled, ctx: Any) -> pa.Array:
    """A frame offset as an array of one value (offsets read no column: one evaluation per execution)."""
    from helios_core.sql.operators.base import batch_of

    arr = c.evaluate(batch_of([], 1), ctx).array
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _const_value(c: Compiled, ctx: Any) -> Any:
    return _const_array(c, ctx)[0].as_py()


def frame_bounds(fr: Frame, ctx: Any, n: int, pos: np.ndarray, pstart: np.ndarray, pend: np.ndarray,
                 gstart: np.ndarray, gend: np.ndarray, peer_starts: np.ndarray, so: list[pa.Array],
                 spec: WindowSpec) -> tuple[np.ndarray, np.ndarray]:
    """Frame [start, end) in sorted positions for every row."""
    def one(kind: str, off_c: Compiled | None, is_start: bool) -> np.ndarray:
        if kind == "unbounded":
            return pstart
        if kind == "unbounded_following":
            return pend
        if kind == "current":
            if fr.mode == "rows":
                return pos if is_start else pos + 1
            return gstart if is_start else gend
        sign = -1 if kind == "preceding" else 1
        if fr.mode in ("rows", "groups"):
            off = _const_value(off_c, ctx)
            which = "starting" if is_start else "ending"
            if off is None:
                raise HeliosError(f"frame {which} offset must not be null", sqlstate="22004")
            if int(off) < 0:
                raise HeliosError(f"frame {which} offset must not be negative", sqlstate="22013")
            off = min(int(off), n + 1)  # past the partition either way: no int64 overflow
        if fr.mode == "rows":
            p = pos + sign * off
            p = p if is_start else p + 1
            return np.clip(p, pstart, pend)
        if fr.mode == "groups":
            gid = np.cumsum(peer_starts) - 1
            starts_idx = np.nonzero(peer_starts)[0]
            ends_idx = np.append(starts_idx[1:], n)
            pgid_start = gid[pstart]
            pgid_end = gid[np.maximum(pend - 1, 0)]
            tg = np.clip(gid + sign * off, pgid_start, pgid_end)
            over = (gid + sign * off) > pgid_end
            under = (gid + sign * off) < pgid_start
            if is_start:
                r = starts_idx[tg]
                return np.where(over, pend, r)
            r = ends_idx[tg]
            return np.where(under, pstart, r)
        # RANGE with offset: on the (single) order key, by its type's in_range rules
        return window_range.range_bounds(spec.order[0][0].type, so[0], _const_array(off_c, ctx), kind == "preceding",
                                         is_start, spec.order[0][1], pstart, pend, gstart, gend)

    fs = one(fr.start, fr.start_off, True)
    fe = one(fr.end, fr.end_off, False)
    fe = np.maximum(fe, fs)
    return fs.astype(np.int64), fe.astype(np.int64)


def frame_aggregate(spec: WindowSpec, args: list[pa.Array], fs: np.ndarray, fe: np.ndarray, n: int, F: Any,
                    t: pa.Table, perm: pa.Array, ctx: Any, eval_on_table: Any) -> pa.Array:
    name = spec.name
    vals = args[0] if args else None
    if spec.filter is not None:
        m = pc.fill_null(eval_on_table(spec.filter, t, ctx).take(perm), False)
        if vals is not None:
            vals = pc.if_else(m, vals, pa.nulls(len(vals), vals.type))
        else:
            vals = pc.if_else(m, pa.scalar(1, pa.int8()), pa.scalar(None, pa.int8()))
            name = "count" if name == "count_star" else name
    if name == "count_star":
        return pa.array(fe - fs, pa.int64())
    if name in ("first_value", "last_value", "nth_value"):
        if name == "first_value":
            p = fs
        elif name == "last_value":
            p = fe - 1
        else:
            k = np.asarray(args[1].to_numpy(zero_copy_only=False), dtype=np.int64)
            if np.any(k <= 0):
                raise HeliosError("argument of nth_value must be greater than zero", sqlstate="22016")
            p = fs + k - 1
        ok = (p >= fs) & (p < fe)
        return vals.take(pa.array(np.where(ok, p, 0), mask=~ok)) if n else vals
    valid = pc.is_valid(vals).to_numpy(zero_copy_only=False) if n else np.zeros(0, bool)
    cnt_cs = np.concatenate([[0], np.cumsum(valid)])
    counts = cnt_cs[fe] - cnt_cs[fs]
    if name == "count":
        return pa.array(counts, pa.int64())
    cumulative_ok = name in ("sum", "avg")
    if cumulative_ok:
        at = spec.args[0].type.name
        if at in ("int2", "int4", "int8"):
            if at == "int8":
                py = np.array([0 if v is None else int(v) for v in vals.to_pylist()], dtype=object)
            else:
                py = pc.fill_null(vals.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
        elif at in ("float4", "float8"):
            py = pc.fill_null(vals.cast(pa.float64()), 0.0).to_numpy(zero_copy_only=False)
            _check_float_frames(name, vals, py, fs, fe)
        elif at == "numeric":
            py = np.array([decimal.Decimal(0) if v is None else v for v in vals.to_pylist()], dtype=object)
        else:
            cumulative_ok = False
    if cumulative_ok:
        cs = np.concatenate([np.array([py[:0].sum() if py.dtype != object else 0], dtype=py.dtype), np.cumsum(py)])
        sums = cs[fe] - cs[fs]
        none_mask = counts == 0
        rt = spec.result_type
        if name == "sum":
            if rt.name == "int8":
                return pa.array(sums.astype(np.int64), pa.int64(), mask=none_mask)
            if rt.name in ("float4", "float8"):
                return pa.array(sums.astype(np.float64), mask=none_mask).cast(rt.arrow_type)
            return _decimal_array([None if m else s for s, m in zip(sums.tolist(), none_mask, strict=True)])
        # avg
        if spec.args[0].type.name in ("float4", "float8"):
            return pa.array(np.where(none_mask, 0, sums) / np.maximum(counts, 1), pa.float64(), mask=none_mask)
        num = _decimal_array([None if m else s for s, m in zip(sums.tolist(), none_mask, strict=True)])
        den = pa.array([None if c == 0 else int(c) for c in counts.tolist()], pa.int64()).cast(pa.decimal128(19, 0))
        own = quotients_at_own_scale(num, den)
        if own is not None:
            return own
        return F.binary_op("/", Vec(num, T.NUMERIC, False), Vec(den, T.NUMERIC, False)).broadcast(n).array
    # generic: per-row slices through Arrow aggregates (fine for the sizes window queries see)
    out = []
    for i in range(n):
        sl = vals.slice(int(fs[i]), int(fe[i] - fs[i]))
        out.append(_agg_slice(name, sl, spec, F))
    from helios_core.sql.planner.scalar import _unify_arrays

    arrs = _unify_arrays([pa.array([v]) if not isinstance(v, pa.Array) else v for v in out]) if out else []
    if not arrs:
        return pa.array([], type=spec.result_type.arrow_type)
    return pa.concat_arrays(arrs)


def _check_float_frames(name: str, vals: pa.Array, py: np.ndarray, fs: np.ndarray, fe: np.ndarray) -> None:
    """22003 where PostgreSQL's float aggregates overflow over a frame: sum when finite inputs add
    up to infinity (float8pl), avg when float8_accum's running sums do (checked per frame start
    over its longest frame, which covers the shorter ones)."""
    if len(py) == 0:
        return
    finite = np.isfinite(py)
    if name == "sum":
        if not finite.any() or np.abs(py[finite]).max() * len(py) < 1.7e308:
            return  # no sum of these finite values can reach infinity
        nonfinite = np.concatenate([[0], np.cumsum(~finite)])
        with np.errstate(over="ignore", invalid="ignore"):
            for a, b in zip(fs.tolist(), fe.tolist(), strict=True):
                if b > a and nonfinite[b] == nonfinite[a] and not np.isfinite(np.add.reduce(py[a:b])):
                    raise HeliosError("value out of range: overflow", sqlstate="22003")
        return
    if not float_accum_may_overflow(vals):
        return
    longest: dict[int, int] = {}
    for a, b in zip(fs.tolist(), fe.tolist(), strict=True):
        longest[a] = max(longest.get(a, a), b)
    values = vals.cast(pa.float64()).to_pylist()
    for a, b in longest.items():
        check_float_accum(values[a:b])


def _frame_rows(exclude: str, i: int, fs: np.ndarray, fe: np.ndarray, gstart: np.ndarray,
                gend: np.ndarray) -> np.ndarray:
    """Positions in row i's frame after its EXCLUDE clause (peers: gstart[i]..gend[i])."""
    idx = np.arange(fs[i], fe[i])
    if exclude == "current row":
        return idx[idx != i]
    outside = (idx < gstart[i]) | (idx >= gend[i])
    if exclude == "group":
        return idx[outside]
    return idx[outside | (idx == i)]  # ties


def frame_aggregate_excluding(spec: WindowSpec, args: list[pa.Array], fs: np.ndarray, fe: np.ndarray,
                              gstart: np.ndarray, gend: np.ndarray, n: int, F: Any, t: pa.Table,
                              perm: pa.Array, ctx: Any, eval_on_table: Any) -> pa.Array:
    """Frame aggregates and value functions with EXCLUDE CURRENT ROW / GROUP / TIES: the frame
    of each row is no longer a contiguous range, so each row aggregates its own rows."""
    name = spec.name
    vals = args[0] if args else None
    if spec.filter is not None:
        m = pc.fill_null(eval_on_table(spec.filter, t, ctx).take(perm), False)
        if vals is not None:
            vals = pc.if_else(m, vals, pa.nulls(len(vals), vals.type))
        else:
            vals = pc.if_else(m, pa.scalar(1, pa.int8()), pa.scalar(None, pa.int8()))
            name = "count" if name == "count_star" else name
    rows = [_frame_rows(spec.frame.exclude, i, fs, fe, gstart, gend) for i in range(n)]
    if name == "count_star":
        return pa.array([len(r) for r in rows], pa.int64())
    if name in ("first_value", "last_value", "nth_value"):
        if name == "nth_value":
            k = np.asarray(args[1].to_numpy(zero_copy_only=False), dtype=np.int64)
            if np.any(k <= 0):
                raise HeliosError("argument of nth_value must be greater than zero", sqlstate="22016")
        picks = []
        for i, r in enumerate(rows):
            j = 0 if name == "first_value" else (len(r) - 1 if name == "last_value" else int(k[i]) - 1)
            picks.append(int(r[j]) if 0 <= j < len(r) else None)
        return vals.take(pa.array(picks, pa.int64()))
    out = [_agg_slice(name, vals.take(pa.array(r, pa.int64())), spec, F) for r in rows]
    from helios_core.sql.planner.scalar import _unify_arrays

    arrs = _unify_arrays(out) if out else []
    if not arrs:
        return pa.array([], type=spec.result_type.arrow_type)
    return pa.concat_arrays(arrs)


def _decimal_array(values: list) -> pa.Array:
    scale = 0
    for v in values:
        if isinstance(v, decimal.Decimal):
            e = v.as_tuple().exponent
            if isinstance(e, int):
                scale = max(scale, -e)
    return pa.array(values, pa.decimal256(76, min(scale, 30)))


def _agg_slice(name: str, sl: pa.Array, spec: WindowSpec, F: Any) -> pa.Array:
    from helios_core.sql.aggregates import AggSpec, finish_from_lists

    lists = pa.ListArray.from_arrays(pa.array([0, len(sl)], pa.int32()), sl)
    agg = AggSpec(name=name, args=spec.args, result_type=spec.result_type, distinct=spec.distinct,
                  direct_args=[","] if name == "string_agg" else [])
    if name == "string_agg" and len(spec.args) > 1 and spec.args[1].const is not None:
        agg.direct_args = [spec.args[1].const.value()]
    return finish_from_lists(agg, [lists], None, 1, F)
