"""Operator: the unit of a physical plan. Each yields pyarrow RecordBatches.

Batches between operators have positional column names ``c0..cN`` (SQL names live in
``fields``); the column types are the Arrow types of the values, which for NUMERIC may be
any decimal (see helios_core.sql.types), so ``collect`` unifies them.

EXPLAIN ANALYZE: when ``ctx.op_stats`` is a dict, ``execute`` records for each operator the
rows it produced, the inclusive wall time spent producing them and the number of loops.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from helios_core.sql.expr import Field
from helios_core.sql.functions import numeric_wide as NW


def names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


class Operator:
    """Base class: subclasses set ``fields``/``children`` and implement ``run``."""

    fields: list[Field]
    children: list[Operator]

    def __init__(self, fields: list[Field], children: list[Operator] | None = None) -> None:
        self.fields = fields
        self.children = children or []

    # --------------------------------------------------------------- running
    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:  # pragma: no cover - interface
        raise NotImplementedError

    def execute(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        if ctx.op_stats is None:
            yield from self.run(ctx)
            return
        stats = ctx.op_stats.setdefault(id(self), [0, 0.0, 0])
        stats[2] += 1
        it = self.run(ctx)
        while True:
            t0 = time.perf_counter()
            try:
                b = next(it)
            except StopIteration:
                stats[1] += time.perf_counter() - t0
                return
            stats[1] += time.perf_counter() - t0
            stats[0] += b.num_rows
            yield b

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(f"c{i}", f.type.arrow_type) for i, f in enumerate(self.fields)])

    def empty(self) -> pa.RecordBatch:
        return pa.RecordBatch.from_arrays(
            [pa.array([], type=f.type.arrow_type) for f in self.fields], names=names(len(self.fields))
        )

    # --------------------------------------------------------------- ordering
    def ordering(self) -> list[Any]:
        """The order of the rows this operator yields, as sort keys over its output columns
        (``sort.SortKey``); [] when it promises none. Most operators keep none."""
        return []

    def required_ordering(self) -> list[list[int]]:
        """Per input, the columns it must arrive sorted on (leading keys, either direction);
        [] for an input with no requirement."""
        return []

    # --------------------------------------------------------------- explain
    def label(self) -> str:
        return type(self).__name__

    def details(self) -> list[str]:
        return []


def satisfies(provided: list[Any], needed: list[Any]) -> bool:
    """True when rows in the ``provided`` order are also in the ``needed`` one.

    ``needed`` is either sort keys (the same leading keys: column, direction, NULLs placement)
    or column indexes (the leading provided keys are on exactly those columns).
    """
    if not needed:
        return True
    if len(provided) < len(needed):
        return False
    if isinstance(needed[0], int):
        return {k.index for k in provided[: len(needed)]} == set(needed)
    return all((p.index, p.descending, p.null_first) == (n.index, n.descending, n.null_first)
               for p, n in zip(provided, needed, strict=False))


def batch_of(arrays: list[pa.Array], n: int | None = None) -> pa.RecordBatch:
    """A RecordBatch with positional names (n rows when there are no columns)."""
    if not arrays:
        return pa.RecordBatch.from_pydict({}) if not n else pa.RecordBatch.from_arrays(
            [pa.nulls(n)], names=["_"]).select([])
    return pa.RecordBatch.from_arrays(arrays, names=names(len(arrays)))


def unify_batches(batches: list[pa.RecordBatch], fields: list[Field]) -> list[pa.RecordBatch]:
    """Give all batches one schema: the widest decimal per column, NULL-typed columns cast."""
    if not batches:
        return batches
    if len(batches) == 1 or all(b.schema.equals(batches[0].schema) for b in batches[1:]):
        return batches
    ncols = batches[0].num_columns
    from helios_core.sql.functions import numeric_special as NS

    wide = [i for i in range(ncols) if any(NW.is_wide(b.column(i)) for b in batches)]
    if wide:  # a value past Arrow's decimals in some batch: the column wide in every batch
        batches = [pa.RecordBatch.from_arrays(
            [NW.from_decimals(NW.to_decimals(c)) if i in wide and not NW.is_wide(c) and not pa.types.is_null(c.type)
             else NW.from_decimals([None] * len(c)) if i in wide and pa.types.is_null(c.type) else c
             for i, c in enumerate(b.columns)], names=b.schema.names) for b in batches]
    special = [i for i in range(ncols) if any(NS.is_special(b.column(i)) for b in batches)]
    if special:  # numeric NaN/Infinity in some batches: one struct type for the column
        cols_by_batch = [list(b.columns) for b in batches]
        for i in special:
            for k, arr in enumerate(NS.unify([b.column(i) for b in batches])):
                cols_by_batch[k][i] = arr
        batches = [pa.RecordBatch.from_arrays(cols, names=b.schema.names) for cols, b in zip(cols_by_batch, batches,
                                                                                           strict=True)]
        if all(b.schema.equals(batches[0].schema) for b in batches[1:]):
            return batches
    target = []
    for i in range(ncols):
        ts = {b.column(i).type for b in batches}
        if len(ts) == 1:
            target.append(next(iter(ts)))
            continue
        non_null = [t for t in ts if t != pa.null()]
        if not non_null:
            target.append(pa.null())
        elif all(pa.types.is_decimal(t) for t in non_null):
            scale = max(t.scale for t in non_null)
            ints = max(t.precision - t.scale for t in non_null)
            p = ints + scale
            target.append(pa.decimal128(p, scale) if p <= 38 else pa.decimal256(min(p, 76), scale))
        elif len(non_null) == 1:
            target.append(non_null[0])
        else:
            target.append(fields[i].type.arrow_type if i < len(fields) else non_null[0])
    schema = pa.schema([pa.field(f"c{i}", t) for i, t in enumerate(target)])
    out = []
    for b in batches:
        if b.schema.equals(schema):
            out.append(b)
        else:
            cols = [c if c.type == t else c.cast(t) for c, t in zip(b.columns, target, strict=True)]
            out.append(pa.RecordBatch.from_arrays(cols, schema=schema))
    return out


def to_table(batches: list[pa.RecordBatch], fields: list[Field], schema: pa.Schema | None = None) -> pa.Table:
    """Concatenate batches of one operator into a Table (empty: typed from fields)."""
    batches = [b for b in batches if b.num_rows] or batches[:1]
    if not batches:
        return pa.table(
            {f"c{i}": pa.array([], type=f.type.arrow_type) for i, f in enumerate(fields)}
        ) if fields else pa.table({})
    batches = unify_batches(batches, fields)
    return pa.Table.from_batches(batches)


def collect(op: Operator, ctx: Any) -> pa.Table:
    """Run an operator to completion and return its rows as one Table.

    Under a memory limit (``ctx.memory``) the bytes gathered count as held by this execution
    until the table is garbage, and the cancellation check between batches enforces the limit.
    """
    memory = getattr(ctx, "memory", None)
    batches = []
    if memory is None:
        for b in op.execute(ctx):
            ctx.check_cancel()
            batches.append(b)
        return to_table(batches, op.fields)
    held = 0
    try:
        for b in op.execute(ctx):
            memory.add(b.nbytes)
            held += b.nbytes
            ctx.check_cancel()
            batches.append(b)
        table = to_table(batches, op.fields)
    except BaseException:
        memory.release(held)
        raise
    memory.release_with(table, held)
    return table


def table_batches(t: pa.Table, max_rows: int = 1 << 17) -> Iterator[pa.RecordBatch]:
    """A table as batches with positional names."""
    if t.num_columns == 0:
        if t.num_rows:
            yield pa.RecordBatch.from_arrays([pa.nulls(t.num_rows)], names=["_"]).select([])
        return
    t = t.rename_columns(names(t.num_columns))
    for b in t.to_batches(max_chunksize=max_rows):
        if b.num_rows:
            yield b
