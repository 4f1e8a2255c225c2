"""ORDER BY, DISTINCT and DISTINCT ON: operators that need all their input first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.sql.extensions import citext
from helios_core.sql.functions import jsonb_order, network, range_io, timetz
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.operators import pg_tie_order
from helios_core.sql.operators.base import Operator, collect, names, table_batches


@attrs.define
class SortKey:
    """Sort on input column ``index``; PG default: NULLS LAST for ASC, FIRST for DESC."""

    index: int
    descending: bool = False
    nulls_first: bool | None = None
    text: str = ""

    @property
    def null_first(self) -> bool:
        return self.descending if self.nulls_first is None else self.nulls_first


def sortable(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A column arrow can sort: intervals/lists/dicts are compared through a surrogate."""
    t = col.type
    if NW.is_wide(col):  # numeric past Arrow's decimals
        return NW.order_key(col)
    if NS.is_special(col):  # numeric NaN/Infinity (the type alone tells)
        return NS.sort_key(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
    if pa.types.is_interval(t):
        # PostgreSQL compares intervals by months*30 days + days, then time
        vals = col.to_pylist()
        keys = [None if v is None else (v.months * 30 + v.days) * 86_400_000_000_000 + v.nanoseconds
                for v in vals]
        return pa.array(keys, pa.decimal128(38, 0)) if keys else pa.array([], pa.int64())
    if range_io.is_range_struct(t) or (pa.types.is_list(t) and range_io.is_range_struct(t.value_type)):
        return range_io.sortable_key(col)  # ranges and multiranges in range_cmp order
    if pa.types.is_list(t) or pa.types.is_struct(t) or pa.types.is_large_list(t):
        return _nested_rank(col.to_pylist())
    return col


def _nested_key(value: Any) -> tuple:
    """Arrays compare element by element, a shorter one first when it is the other's prefix;
    records field by field in their declared order; a NULL element after every value."""
    if value is None:
        return (1,)
    if isinstance(value, list):
        return (0, tuple(_nested_key(v) for v in value))
    if isinstance(value, dict):
        return (0, tuple(_nested_key(v) for v in value.values()))
    return (0, value)


def _nested_rank(values: list[Any]) -> pa.Array:
    """Each array or record's rank among the column's values: a key Arrow sorts as they compare."""
    keys = [None if v is None else _nested_key(v) for v in values]
    ranks = {k: n for n, k in enumerate(sorted({k for k in keys if k is not None}))}
    return pa.array([None if k is None else ranks[k] for k in keys], pa.int64())


def enum_order(col: pa.ChunkedArray | pa.Array, labels: tuple[str, ...]) -> pa.Array:
    """An enum's values as their position in the type's declaration (how PostgreSQL orders them)."""
    return pc.index_in(col, value_set=pa.array(list(labels), pa.string()))


# A session setting: 'stable' keeps rows that tie on every key in their input order (what a
# ClickHouse client sees) instead of the order PostgreSQL's quicksort leaves them in.
TIE_ORDER_SETTING = "heliosdb.tie_order"


def stable_ties(ctx: Any) -> bool:
    return (getattr(ctx, "settings", None) or {}).get(TIE_ORDER_SETTING) == "stable"


def sort_table(t: pa.Table, keys: list[SortKey], fields: list[Any] | None = None, *, stable: bool = False) -> pa.Table:
    if t.num_rows <= 1 or not keys:
        return t
    cols, spec = _sort_keys(t, keys, fields)
    if stable:
        return t.take(pc.sort_indices(pa.table(cols), sort_keys=spec))
    return t.take(pa.array(pg_tie_order.sort_order(pa.table(cols), spec)))


# Below this many input rows per wanted row a full sort costs about what selecting does.
TOP_K_MIN_RATIO = 8


def top_k_table(t: pa.Table, keys: list[SortKey], k: int, fields: list[Any] | None = None, *,
                stable: bool = False) -> pa.Table:
    """The first ``k`` rows of ``sort_table(t, keys)``, the same rows in the same order, found
    by Arrow's select-k (a heap, not a full sort) when ``t`` is much longer than ``k``. Arrow's
    select-k places NULLs last whatever the direction and knows no NaN rule, so a key with NULLs
    that sort first, or a floating-point key, takes the full sort instead. The input row number
    is the last key, so rows that tie on every key keep their input order as the stable sort
    keeps them."""
    if k <= 0:
        return t.slice(0, 0)
    if not keys:
        return t.slice(0, k)
    cols, spec = _sort_keys(t, keys, fields)
    if t.num_rows <= pg_tie_order.MAX_ROWS and not stable:
        top = pg_tie_order.top_order(pa.table(cols), spec, k)
        if top is not None:  # ties: in the order PostgreSQL's bounded sort leaves them
            return t.take(pa.array(top))
    if t.num_rows <= max(k * TOP_K_MIN_RATIO, 1024):
        return t.take(pc.sort_indices(pa.table(cols), sort_keys=spec)).slice(0, k)
    for (name, _order, placement) in spec:
        col = cols[name]
        if not _selectable(col.type) or (placement == "at_start" and col.null_count):
            return sort_table(t, keys, fields, stable=stable).slice(0, k)
    if len(spec) == 1:
        rows = _one_key_top(cols[spec[0][0]], spec[0][1], k)
        if rows is not None:
            return t.take(rows)
    cols["__row"] = pa.array(np.arange(t.num_rows, dtype=np.int64))
    work = pa.table(cols)
    pick = pc.select_k_unstable(work, k, sort_keys=[(name, order) for name, order, _ in spec] + [("__row", "ascending")])
    chosen = work.take(pick)
    order = pc.sort_indices(chosen, sort_keys=spec + [("__row", "ascending", "at_end")])
    return t.take(chosen.column("__row").take(order))


def _one_key_top(col: Any, order: str, k: int) -> pa.Array | None:
    """The input positions of the first ``k`` rows by one key, ties in input order, found by
    Arrow's select-k over the key as one array; None when rows tied with the last one chosen are
    left out (which of them come first then needs the row numbers as a second key) or NULLs are
    among those chosen. Arrow's select-k over a table or a chunked array of 1,000,000 integers took
    89 ms to find the 20 largest of an ascending column, over the same values as one array 6.
    Without NULLs, the rows are first narrowed to those at least as good as the k-th of the
    chunks whose best values lead (a comparison per row, where a heap over rows in ascending order
    takes every one of them in turn)."""
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    starts = np.cumsum([0] + [len(c) for c in chunks])
    candidates = _threshold_rows(chunks, starts, order, k) if not col.null_count else None
    if candidates is None:
        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    else:
        arr = pa.concat_arrays([c.take(pa.array(p - start)) for c, p, start in
                                zip(chunks, candidates, starts, strict=False) if len(p)])
    pick, chosen, last = _selected(arr, order, k)
    if chosen.null_count or not len(chosen):
        return None
    if sum(pc.sum(pc.equal(c, last)).as_py() or 0 for c in chunks) != pc.sum(pc.equal(chosen, last)).as_py():
        return None
    rows = pick if candidates is None else pa.array(np.concatenate(candidates)).take(pick)
    return rows.take(pc.sort_indices(pa.table({"key": chosen, "row": rows}),
                                     sort_keys=[("key", order), ("row", "ascending")]))


def _threshold_rows(chunks: list[pa.Array], starts: np.ndarray, order: str, k: int) -> list[np.ndarray] | None:
    """Per chunk, the input positions of its rows no worse than the k-th best row of the chunks whose
    best values lead (there are k rows that good, so the first k are among these); None when the
    narrowing would not pay (few chunks)."""
    if len(chunks) < 4:
        return None
    best = "max" if order == "descending" else "min"
    leading = sorted((i for i, c in enumerate(chunks) if len(c)),
                     key=lambda i: pc.min_max(chunks[i])[best].as_py(), reverse=order == "descending")
    picked, rows = [], 0
    for i in leading:
        picked.append(chunks[i])
        rows += len(chunks[i])
        if rows >= k:
            break
    if rows < k:
        return None
    sample = pa.concat_arrays(picked) if len(picked) > 1 else picked[0]
    _pick, _chosen, bound = _selected(sample, order, k)
    keep = pc.greater_equal if order == "descending" else pc.less_equal
    return [np.asarray(pc.indices_nonzero(keep(c, bound)).to_numpy(), dtype=np.int64) + start
            for c, start in zip(chunks, starts, strict=False)]


def _selected(arr: pa.Array, order: str, k: int) -> tuple[pa.Array, pa.Array, pa.Scalar]:
    """Arrow's select-k over one array: (positions, their values, the worst of those values)."""
    pick = pc.select_k_unstable(arr, k, sort_keys=[("key", order)]).cast(pa.int64())
    chosen = arr.take(pick)
    return pick, chosen, pc.min_max(chosen)["min" if order == "descending" else "max"]


def _selectable(t: pa.DataType) -> bool:
    """Key types Arrow's select-k orders as the sort does (not floats, whose NaN it places by no
    rule of PostgreSQL's; not dictionaries or nested types, which it does not take)."""
    return (pa.types.is_integer(t) or pa.types.is_decimal(t) or pa.types.is_boolean(t)
            or (pa.types.is_temporal(t) and not pa.types.is_interval(t) and not pa.types.is_duration(t))
            or pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)
            or pa.types.is_large_binary(t))


def unpadded(st: Any) -> bool:
    """Whether values of SQL type ``st`` are blank-padded text whose trailing blanks do not count
    and may differ in number: bpchar without a length (char(n) values all hold n characters)."""
    return getattr(st, "name", "") == "bpchar" and st.typmod < 0 and st.element is None


def equality_key(col: pa.ChunkedArray | pa.Array, st: Any) -> pa.ChunkedArray | pa.Array:
    """Values that are equal exactly where PostgreSQL's ``=`` on type ``st`` says so, for grouping,
    DISTINCT and joins: citext without case, unbounded bpchar without its trailing blanks."""
    if citext.is_citext(st):
        return citext.folded(col)
    if unpadded(st):
        return without_trailing_blanks(col)
    return col


def without_trailing_blanks(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """bpchar values as ``=`` compares them: trailing blanks do not count."""
    return pc.utf8_rtrim(col, characters=" ")


def typed_sortable(col: pa.ChunkedArray | pa.Array, st: Any) -> pa.ChunkedArray | pa.Array:
    """A column Arrow orders as PostgreSQL orders values of SQL type ``st`` (enums by declaration,
    timetz by instant, jsonb by its rules, citext without case, inet/cidr by network), for ORDER
    BY, window ORDER BY and an aggregate's ORDER BY alike; other types as ``sortable``."""
    labels = getattr(st, "labels", None)
    name = getattr(st, "name", "") if getattr(st, "element", None) is None else ""
    if labels is not None:
        return enum_order(col, labels)
    if name == "timetz":
        return timetz.sort_key(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
    if name == "jsonb":
        return jsonb_order.ranks(col)[0]
    if citext.is_citext(st) or unpadded(st):
        return equality_key(col, st)
    if name in network.NETWORK_TYPES:
        return network.sort_key(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
    return sortable(col)


def _sort_keys(t: pa.Table, keys: list[SortKey], fields: list[Any] | None) -> tuple[dict, list[tuple]]:
    """Columns Arrow can order as PostgreSQL orders the keys, and the sort_keys naming them."""
    cols = {}
    spec = []
    for i, k in enumerate(keys):
        name = f"k{i}"
        st = fields[k.index].type if fields is not None else None
        cols[name] = typed_sortable(t.column(k.index), st)
        spec.append((name, "descending" if k.descending else "ascending",
                     "at_start" if k.null_first else "at_end"))
    return cols, spec


class Sort(Operator):
    def __init__(self, child: Operator, keys: list[SortKey], limit_hint: Any = None) -> None:
        super().__init__(child.fields, [child])
        self.keys = keys

    top_k: int | None = None  # set by a LIMIT right above: only the first top_k rows are wanted
    # (ctx, k) -> the top k read from the chunks whose keys lead, or None (operators.top_by_bounds)
    bounded_top: Any = None

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        k, self.top_k = self.top_k, None  # for this execution only
        if k is not None and self.bounded_top is not None:
            top = self.bounded_top(ctx, k)
            if top is not None:  # the latest rows by the primary key: the chunks whose keys lead
                yield from table_batches(top)
                return
        t = collect(self.children[0], ctx)
        ctx.check_cancel()
        stable = stable_ties(ctx)
        out = sort_table(t, self.keys, self.fields, stable=stable) if k is None else \
            top_k_table(t, self.keys, k, self.fields, stable=stable)
        yield from table_batches(out)

    def ordering(self) -> list[Any]:
        return list(self.keys)

    def label(self) -> str:
        return "Sort"

    def details(self) -> list[str]:
        parts = []
        for k in self.keys:
            s = k.text or f"#{k.index}"
            if k.descending:
                s += " DESC"
            if k.nulls_first is not None and k.nulls_first != k.descending:
                s += " NULLS FIRST" if k.nulls_first else " NULLS LAST"
            parts.append(s)
        return ["Sort Key: " + ", ".join(parts)]


def distinct_table(t: pa.Table, key_idx: list[int] | None = None, fields: list[Any] | None = None) -> pa.Table:
    """Rows with duplicates removed (NULLs equal), keeping the first of each in input order;
    ``fields`` (the columns' types) make citext values equal whatever their case, and unbounded
    bpchar values whatever their trailing blanks."""
    if t.num_rows <= 1:
        return t
    n = t.num_columns
    idx_cols = list(range(n)) if key_idx is None else key_idx

    def key(i: int) -> Any:
        if fields is not None and i < len(fields) and (citext.is_citext(fields[i].type) or unpadded(fields[i].type)):
            return equality_key(t.column(i), fields[i].type)
        return sortable(t.column(i))

    data = {f"k{j}": key(i) for j, i in enumerate(idx_cols)}
    data["__row"] = pa.array(range(t.num_rows), pa.int64())
    work = pa.table(data)
    keys = [f"k{j}" for j in range(len(idx_cols))]
    if not keys:
        return t.slice(0, 1)
    g = work.group_by(keys, use_threads=False).aggregate([("__row", "min")])
    rows = pc.sort_indices(g.column("__row_min"))
    return t.take(g.column("__row_min").take(rows))


class Distinct(Operator):
    def __init__(self, child: Operator, on: list[int] | None = None, visible: int | None = None) -> None:
        super().__init__(child.fields, [child])
        self.on = on
        self.visible = visible

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        t = collect(self.children[0], ctx)
        if self.on is None:
            key = list(range(self.visible if self.visible is not None else t.num_columns))
        else:
            key = self.on
        yield from table_batches(distinct_table(t, key, self.fields))

    def ordering(self) -> list[Any]:
        return self.children[0].ordering()  # keeps the first row of each group, in input order

    def label(self) -> str:
        return "Unique" if self.on is None else "Unique (DISTINCT ON)"


_ = names
