"""Joins: hash join on equi-keys (Arrow's hash join), nested loop otherwise, LATERAL per row.

All three find matching (left row, right row) pairs first, filter them by the residual
condition, and then assemble the output of the join kind (inner, left, right, full, semi,
anti) with ``assemble``: outer joins add the unmatched rows padded with NULLs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.sql.expr import Compiled, Field
from helios_core.sql.extensions import citext
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.operators import join_key_filter
from helios_core.sql.operators.base import Operator, collect, names, table_batches, to_table, unify_batches
from helios_core.sql.operators.sort import stable_ties, unpadded, without_trailing_blanks

NL_CHUNK_PAIRS = 1 << 20
ASSEMBLE_PIECE_BYTES = 64 << 20


def eval_on_table(c: Compiled, t: pa.Table, ctx: Any) -> pa.Array:
    """A compiled expression over every row of a table, as one array."""
    if c.column is not None:
        col = t.column(c.column)
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    batches = t.to_batches()
    if not batches:
        return pa.array([], type=c.type.arrow_type)
    parts = [c.array(b, ctx) for b in batches if b.num_rows]
    if not parts:
        return pa.array([], type=c.type.arrow_type)
    from helios_core.sql.planner.scalar import _unify_arrays

    parts = _unify_arrays(parts)
    return pa.concat_arrays(parts) if len(parts) > 1 else parts[0]


def combined(lt: pa.Table, rt: pa.Table, lids: pa.Array, rids: pa.Array) -> pa.RecordBatch:
    """Rows lt[lids] beside rt[rids] as one batch (positional names)."""
    cols = [_taken(c, lids) for c in lt.columns] + [_taken(c, rids) for c in rt.columns]
    n = len(lids)
    if not cols:
        return pa.RecordBatch.from_arrays([pa.nulls(n)], names=["_"]).select([])
    return pa.RecordBatch.from_arrays(cols, names=names(len(cols)))


def _taken(c: pa.ChunkedArray | pa.Array, ids: pa.Array) -> pa.Array:
    """``c.take(ids)`` as one array. Arrow's take over several chunks gives chunks back, copied
    again into one array: when the take is as long as half the column, the chunks are joined
    first instead (TPC-H Q3's orders, 4 chunks: 1.2 ms a join); a shorter take is joined after."""
    if not isinstance(c, pa.ChunkedArray):
        return c.take(ids)
    if c.num_chunks == 1:
        return c.chunk(0).take(ids)
    if 2 * len(ids) >= len(c):
        return c.combine_chunks().take(ids)
    return c.take(ids).combine_chunks()


def assemble_batches(kind: str, lt: pa.Table, rt: pa.Table, lids: pa.Array, rids: pa.Array,
                     ctx: Any) -> Iterator[pa.RecordBatch]:
    """``assemble``'s rows, the matched pairs in pieces of about ``ASSEMBLE_PIECE_BYTES``.

    A join whose pairs repeat wide rows (a row holding an array of a million elements, beside
    each of its unnested elements) would otherwise copy them all in one go, with no check for
    cancel (statement_timeout) in between; the rows and their order are the same either way."""
    width = sum(t.nbytes / t.num_rows for t in (lt, rt) if t.num_rows)
    step = max(1, int(ASSEMBLE_PIECE_BYTES // max(width, 1.0)))
    if kind in ("semi", "anti") or len(lids) <= step:
        yield from table_batches(assemble(kind, lt, rt, lids, rids))
        return
    for start in range(0, len(lids), step):
        ctx.check_cancel()
        yield combined(lt, rt, lids.slice(start, step), rids.slice(start, step))
    ctx.check_cancel()
    yield from _unmatched(kind, lt, rt, lids, rids)


def assemble(kind: str, lt: pa.Table, rt: pa.Table, lids: pa.Array, rids: pa.Array) -> pa.Table:
    """Output rows of a join kind from the matching pairs (lids[i], rids[i])."""
    if kind == "semi":
        keep = np.unique(lids.to_numpy(zero_copy_only=False)) if len(lids) else np.array([], np.int64)
        return lt.take(pa.array(keep, pa.int64()))
    if kind == "anti":
        mask = np.ones(lt.num_rows, bool)
        if len(lids):
            mask[lids.to_numpy(zero_copy_only=False)] = False
        return lt.take(pa.array(np.nonzero(mask)[0], pa.int64()))
    parts = [combined(lt, rt, lids, rids), *_unmatched(kind, lt, rt, lids, rids)]
    parts = [p for p in parts if p.num_rows] or parts[:1]
    if len(parts) == 1:
        return pa.Table.from_batches(parts)
    return pa.Table.from_batches(unify_batches(parts, []))


def _unmatched(kind: str, lt: pa.Table, rt: pa.Table, lids: pa.Array, rids: pa.Array) -> list[pa.RecordBatch]:
    """An outer join's rows without a match, padded with NULLs (left ones, then right ones)."""
    parts = []
    if kind in ("left", "full"):
        mask = np.ones(lt.num_rows, bool)
        if len(lids):
            mask[lids.to_numpy(zero_copy_only=False)] = False
        un = np.nonzero(mask)[0]
        if len(un):
            lcols = [c.take(pa.array(un, pa.int64())).combine_chunks() for c in lt.columns]
            rcols = [pa.nulls(len(un), c.type) for c in rt.columns]
            parts.append(pa.RecordBatch.from_arrays(lcols + rcols, names=names(len(lcols) + len(rcols))))
    if kind in ("right", "full"):
        mask = np.ones(rt.num_rows, bool)
        if len(rids):
            mask[rids.to_numpy(zero_copy_only=False)] = False
        un = np.nonzero(mask)[0]
        if len(un):
            lcols = [pa.nulls(len(un), c.type) for c in lt.columns]
            rcols = [c.take(pa.array(un, pa.int64())).combine_chunks() for c in rt.columns]
            parts.append(pa.RecordBatch.from_arrays(lcols + rcols, names=names(len(lcols) + len(rcols))))
    return parts


class JoinBase(Operator):
    kind: str
    residual: Compiled | None

    def filter_pairs(self, lt: pa.Table, rt: pa.Table, lids: pa.Array, rids: pa.Array, ctx: Any):
        if self.residual is None or len(lids) == 0:
            return lids, rids
        b = combined(lt, rt, lids, rids)
        v = self.residual.evaluate(b, ctx)
        if v.scalar:
            if v.value() is True:
                return lids, rids
            return lids.slice(0, 0), rids.slice(0, 0)
        m = pc.fill_null(v.array, False)
        return lids.filter(m), rids.filter(m)

    def details(self) -> list[str]:
        return [f"Join Filter: {self.residual.label}"] if self.residual is not None else []


class HashJoin(JoinBase):
    def __init__(self, fields: list[Field], left: Operator, right: Operator, lkeys: list[Compiled],
                 rkeys: list[Compiled], kind: str, residual: Compiled | None, text: str = "") -> None:
        super().__init__(fields, [left, right])
        self.lkeys = lkeys
        self.rkeys = rkeys
        self.kind = kind
        self.residual = residual
        self.text = text

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        sides = self._gathered(ctx)
        if sides is None:
            return
        lt, rt, lk, rk, left_rows, right_rows = sides
        lcols: dict[str, Any] = {}
        rcols: dict[str, Any] = {}
        for i, (a, b) in enumerate(zip(lk, rk, strict=True)):
            if a.type != b.type:
                from helios_core.sql.planner.scalar import _unify_arrays

                a, b = _unify_arrays([a, b])
                if a.type != b.type:
                    b = b.cast(a.type)
            lt_, rt_ = self.lkeys[i].type, self.rkeys[i].type
            if citext.is_citext(lt_) and citext.is_citext(rt_):
                a, b = citext.folded(a), citext.folded(b)  # citext = citext ignores case
            elif lt_.name == rt_.name == "bpchar" and lt_.element is None and rt_.element is None and (
                    lt_.typmod != rt_.typmod or unpadded(lt_)):
                # bpchar = bpchar ignores trailing blanks: values padded to other lengths, or to none
                a, b = without_trailing_blanks(a), without_trailing_blanks(b)
            a, b = _joinable_pair(a, b)
            lcols[f"k{i}"] = a
            rcols[f"k{i}"] = b
        lcols["__l"] = pa.array(np.arange(lt.num_rows, dtype=np.int64))
        rcols["__r"] = pa.array(np.arange(rt.num_rows, dtype=np.int64))
        keys = [f"k{i}" for i in range(len(lk))]
        L = pa.table(lcols)
        R = pa.table(rcols)
        if self.residual is None and self.kind in ("semi", "anti"):
            jt = "left semi" if self.kind == "semi" else "left anti"
            j = L.join(R, keys=keys, join_type=jt, use_threads=True)
            ids = pc.sort_indices(j.column("__l"))
            yield from table_batches(lt.take(j.column("__l").take(ids)))
            return
        if right_rows > left_rows:
            # Arrow builds its hash table on the right input: make that the smaller side
            j = R.join(L, keys=keys, join_type="inner", use_threads=True, coalesce_keys=True)
        else:
            j = L.join(R, keys=keys, join_type="inner", use_threads=True, coalesce_keys=True)
        lids = j.column("__l").combine_chunks()
        rids = j.column("__r").combine_chunks()
        lids, rids = self.filter_pairs(lt, rt, lids, rids, ctx)
        if self.kind in ("inner", "left") and stable_ties(ctx):
            yield from assemble_batches("inner", lt, rt, *_in_left_order(self.kind, lt.num_rows, lids, rids), ctx)
            return
        yield from assemble_batches(self.kind, lt, rt, lids, rids, ctx)

    def _gathered(self, ctx: Any) -> tuple[pa.Table, pa.Table, list[pa.Array], list[pa.Array], int, int] | None:
        """Both inputs, their keys and their row counts before any narrowing, or None when the
        join can give no row. The side gathered first narrows the other's scan by its keys
        (join_key_filter): the left side, or for an inner join whose right side is estimated much
        smaller than its scanned left (TPC-H Q12: 30,000 lineitem rows against every order), the
        right side."""
        left, right = self.children
        if join_key_filter.right_first(self.kind, self.lkeys, self.rkeys, left, right, ctx):
            rt = collect(right, ctx)
            ctx.check_cancel()
            if rt.num_rows == 0:
                return None
            rk = [eval_on_table(k, rt, ctx) for k in self.rkeys]
            lt, left_rows = join_key_filter.collect_narrowed(left, "inner", rk, self.lkeys[0], ctx)
            ctx.check_cancel()
            return lt, rt, [eval_on_table(k, lt, ctx) for k in self.lkeys], rk, left_rows, rt.num_rows
        lt = collect(left, ctx)
        ctx.check_cancel()
        if lt.num_rows == 0 and self.kind in ("inner", "left", "semi", "anti"):
            return None
        lk = [eval_on_table(k, lt, ctx) for k in self.lkeys]
        rt, right_rows = join_key_filter.collect_narrowed(right, self.kind, lk, self.rkeys[0], ctx)
        ctx.check_cancel()
        return lt, rt, lk, [eval_on_table(k, rt, ctx) for k in self.rkeys], lt.num_rows, right_rows

    def label(self) -> str:
        k = {"inner": "", "left": "Left ", "right": "Right ", "full": "Full ", "semi": "Semi ",
             "anti": "Anti "}[self.kind]
        return f"Hash {k}Join"

    def details(self) -> list[str]:
        out = [f"Hash Cond: {self.text}"] if self.text else []
        return out + super().details()


def _in_left_order(kind: str, left_rows: int, lids: pa.Array, rids: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The pairs in the order of the left rows (each one's matches in the order of the right rows), a
    left join's rows without a match in their places with a NULL right row: the order a ClickHouse
    client sees (``heliosdb.tie_order = 'stable'``), not the order Arrow's hash join leaves."""
    if kind == "left":
        mask = np.ones(left_rows, bool)
        if len(lids):
            mask[lids.to_numpy(zero_copy_only=False)] = False
        unmatched = np.nonzero(mask)[0]
        if len(unmatched):
            lids = pa.concat_arrays([lids.cast(pa.int64()), pa.array(unmatched, pa.int64())])
            rids = pa.concat_arrays([rids.cast(pa.int64()), pa.nulls(len(unmatched), pa.int64())])
    if len(lids) < 2:
        return lids, rids
    order = pc.sort_indices(pa.table({"l": lids, "r": rids}), sort_keys=[("l", "ascending"), ("r", "ascending")])
    return lids.take(order), rids.take(order)


def _joinable_pair(a: pa.Array, b: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Both sides' keys in a form Arrow's hash join takes. Surrogates ranked within a column
    (arrays, records, ranges, intervals) are ranked over both sides at once, so that equal
    values get equal ranks on either side."""
    t = a.type
    if NW.is_wide(a) or NW.is_wide(b):  # numeric past Arrow's decimals: 1.5 meets 1.50
        return NW.shared_keys(a, b)
    if pa.types.is_interval(t) or pa.types.is_list(t) or pa.types.is_struct(t):
        if isinstance(a, pa.ChunkedArray):
            a = a.combine_chunks()
        if isinstance(b, pa.ChunkedArray):
            b = b.combine_chunks()
        both = _joinable(pa.concat_arrays([a, b.cast(a.type) if b.type != a.type else b]))
        return both.slice(0, len(a)), both.slice(len(a))
    return _joinable(a), _joinable(b)


def _joinable(a: pa.Array) -> pa.Array:
    """Arrow's hash join does not take every type: compare those through a surrogate."""
    t = a.type
    if pa.types.is_decimal256(t):
        try:
            return a.cast(pa.decimal128(38, t.scale))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return a.cast(pa.string())
    if pa.types.is_interval(t) or pa.types.is_list(t) or pa.types.is_struct(t):
        from helios_core.sql.operators.sort import sortable

        return sortable(a)
    if pa.types.is_dictionary(t):
        return a.dictionary_decode()
    return a


class NestedLoopJoin(JoinBase):
    def __init__(self, fields: list[Field], left: Operator, right: Operator, kind: str,
                 residual: Compiled | None) -> None:
        super().__init__(fields, [left, right])
        self.kind = kind
        self.residual = residual

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        lt = collect(self.children[0], ctx)
        if lt.num_rows == 0 and self.kind in ("inner", "left", "semi", "anti"):
            return
        rt = collect(self.children[1], ctx)
        nl, nr = lt.num_rows, rt.num_rows
        all_l: list[pa.Array] = []
        all_r: list[pa.Array] = []
        if nl and nr:
            step = max(1, NL_CHUNK_PAIRS // max(nr, 1))
            for start in range(0, nl, step):
                ctx.check_cancel()
                stop = min(nl, start + step)
                lids = pa.array(np.repeat(np.arange(start, stop, dtype=np.int64), nr))
                rids = pa.array(np.tile(np.arange(nr, dtype=np.int64), stop - start))
                lids, rids = self.filter_pairs(lt, rt, lids, rids, ctx)
                if self.kind == "inner" and len(lids):
                    yield from table_batches(assemble("inner", lt, rt, lids, rids))
                    continue
                all_l.append(lids)
                all_r.append(rids)
        if self.kind == "inner":
            return
        lids = pa.concat_arrays(all_l) if all_l else pa.array([], pa.int64())
        rids = pa.concat_arrays(all_r) if all_r else pa.array([], pa.int64())
        yield from assemble_batches(self.kind, lt, rt, lids, rids, ctx)

    def label(self) -> str:
        k = {"inner": "", "left": "Left ", "right": "Right ", "full": "Full ", "semi": "Semi ",
             "anti": "Anti "}[self.kind]
        return f"Nested Loop {k}Join".replace("  ", " ")


class LateralJoin(JoinBase):
    """Right side re-run for each distinct combination of the left values it refers to."""

    def __init__(self, fields: list[Field], left: Operator, right: Operator, kind: str,
                 residual: Compiled | None, captured: set) -> None:
        super().__init__(fields, [left, right])
        self.kind = kind
        self.residual = residual
        self.captured = sorted(i for i in captured if i is not None)

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        lt = collect(self.children[0], ctx)
        if lt.num_rows == 0:
            return
        right = self.children[1]
        nl = lt.num_rows
        cols = [lt.column(i).combine_chunks() for i in self.captured]
        py = [c.to_pylist() for c in cols]
        cache: dict[Any, int] = {}
        rtables: list[pa.Table] = []
        which: list[int] = []
        for r in range(nl):
            ctx.check_cancel()
            key = tuple(repr(col[r]) for col in py)
            ti = cache.get(key)
            if ti is None:
                row = {i: c.slice(r, 1) for i, c in zip(self.captured, cols, strict=True)}
                ctx.outer_rows.append(row)
                try:
                    t = collect(right, ctx)
                finally:
                    ctx.outer_rows.pop()
                ti = len(rtables)
                cache[key] = ti
                rtables.append(t)
            which.append(ti)
        offsets = np.cumsum([0] + [t.num_rows for t in rtables])
        rt = to_table(unify_batches([b for t in rtables for b in t.to_batches()], right.fields), right.fields)
        lids_l, rids_l = [], []
        for r, ti in enumerate(which):
            cnt = rtables[ti].num_rows
            if cnt:
                lids_l.append(np.full(cnt, r, np.int64))
                rids_l.append(np.arange(offsets[ti], offsets[ti] + cnt, dtype=np.int64))
        lids = pa.array(np.concatenate(lids_l) if lids_l else np.array([], np.int64))
        rids = pa.array(np.concatenate(rids_l) if rids_l else np.array([], np.int64))
        lids, rids = self.filter_pairs(lt, rt, lids, rids, ctx)
        yield from assemble_batches(self.kind, lt, rt, lids, rids, ctx)

    def label(self) -> str:
        return "Nested Loop (LATERAL)" if self.kind == "inner" else f"Nested Loop {self.kind.capitalize()} (LATERAL)"
