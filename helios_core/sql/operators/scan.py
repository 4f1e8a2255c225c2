"""Reading stored tables: a scan with projection and filter pushdown, or a primary-key lookup.

Pushed predicates are ``column <op> value`` terms whose value is known per execution
(literals, parameters, constant expressions); they become one pyarrow compute Expression
handed to ``txn.scan(filter=...)`` (storage prunes segments with it and returns exact
results).  Everything else is the residual predicate, applied to each batch right here.
Terms the planner keeps in the residual for speed still go to storage as ``prune_terms``
(``txn.scan(prune=...)``): a segment whose min/max statistics (or, for an equality on the
whole primary key, bloom filter) rule them out is never read; EXPLAIN ANALYZE shows how many
segments were read and skipped.
When equality terms pin the whole primary key, ``txn.lookup`` replaces the scan (the O(1)
OLTP path of prepared point queries). When the planner chose a secondary index (``index``:
name, column, the terms on that column), storage reads each chunk only at the rows the
index finds (``txn.scan(index=...)``); EXPLAIN shows "Index Scan using <name>" and its
"Index Cond", EXPLAIN ANALYZE the rows the filter removed and the segments read through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.sql import index_search, numeric_display
from helios_core.sql.expr import Compiled, Field
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions.strings import quote_ident
from helios_core.sql.operators import kept_rows_column
from helios_core.sql.operators.base import Operator, batch_of, names
from helios_core.sql.operators.parallel_map import ordered_map
from helios_core.sql.types import NUMERIC_STORAGE_ARROW as NUMERIC_STORAGE

_PC_OPS = {
    "=": lambda f, v: f == v,
    "<>": lambda f, v: f != v,
    "<": lambda f, v: f < v,
    "<=": lambda f, v: f <= v,
    ">": lambda f, v: f > v,
    ">=": lambda f, v: f >= v,
}


MAX_NAMED = 8  # segments EXPLAIN (ANALYZE, BUFFERS) names per scan

# A stored chunk may hold millions of rows; handing it on in slices of this many (zero-copy)
# lets the first rows of a large result leave before the scan has read the rest.
SCAN_BATCH_ROWS = 1 << 17
# A scan whose every row is read by the operator above (``read_whole``) and whose terms are
# filtered on the worker threads takes slices up to this long: each Arrow or numpy call on a slice
# lets the GIL go, and when the other thread wants it that is a context switch (about 25 us on a
# virtual machine). At 131,072 rows a call lasted little longer than the switch, so TPC-H Q6 took
# more CPU and more time on two threads than on one.
WHOLE_READ_SLICE_ROWS = 1 << 19


def _slices(b: pa.RecordBatch, rows: int = SCAN_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    if b.num_rows <= rows:
        yield b
        return
    for start in range(0, b.num_rows, rows):
        yield b.slice(start, rows)


@attrs.define
class PushedTerm:
    """``column op value`` (op "in" takes a list of values, "isnull"/"notnull" none)."""

    column: str
    op: str
    values: list[Compiled]
    arrow_type: Any
    text: str = ""


COALESCE_ROWS = 4096  # consecutive batches under this many rows are handed up as one
# types whose text output of a value does not depend on the other values of its batch
_PRINTED_ALONE = frozenset({"int2", "int4", "int8", "float4", "float8", "bool", "text", "varchar", "bpchar", "name",
                            "char", "citext", "date", "timestamp", "timestamptz", "time", "timetz", "interval",
                            "uuid", "bytea", "json", "jsonb", "oid"})


def coalesced(batches: Iterator[pa.RecordBatch], most: int = COALESCE_ROWS) -> Iterator[pa.RecordBatch]:
    """Consecutive small batches of one schema as one batch of at most ``most`` rows: rows written
    a few at a time sit in as many memtable chunks, and each batch costs the operators above a round
    of kernel calls whatever its length (a secondary-index lookup of ten rows from ten chunks took
    1.1 ms in process). Larger batches pass as they are; the order is kept."""
    held: list[pa.RecordBatch] = []
    rows = 0
    for b in batches:
        if held and (rows + b.num_rows > most or b.num_rows >= most
                     or (b.schema is not held[0].schema and not b.schema.equals(held[0].schema))):
            yield held[0] if len(held) == 1 else pa.concat_batches(held)
            held, rows = [], 0
        if b.num_rows >= most:
            yield b
            continue
        held.append(b)
        rows += b.num_rows
    if held:
        yield held[0] if len(held) == 1 else pa.concat_batches(held)


class TableScan(Operator):
    def __init__(self, fields: list[Field], schema: str, table: str, columns: list[str], *,
                 with_rowid: bool = False, pushed: list[PushedTerm] | None = None,
                 residual: Compiled | None = None, residual_text: str = "", as_of: Compiled | None = None,
                 pk_lookup: list[tuple[str, Compiled]] | None = None, alias: str | None = None) -> None:
        super().__init__(fields)
        self.schema_name = schema
        self.table = table
        self.columns = columns
        self.with_rowid = with_rowid
        self.pushed = pushed or []
        self.residual = residual
        self.residual_text = residual_text
        self.as_of = as_of
        self.pk_lookup = pk_lookup
        self.key_name = f"{table}_pkey"  # the primary key's index, as EXPLAIN names it
        self.alias = alias
        self.residual_parts: list[Compiled] | None = None
        self.residual_simple: list[int] = []  # which residual parts are ``column op constant`` (2: over strings)
        self.residual_pure = False  # every residual part is pure: batches may be filtered in parallel
        self.prune_terms: list[PushedTerm] = []  # checked by the residual too: only skip segments
        self.primary_key: list[str] = []
        self.guard: Any = None  # run-time partition pruning (sql/partitions.py): False skips this scan
        self.index_use: Any = None  # rows found by a plugin index (sql/index_search.py)
        self.score = False  # the last field: the score that index search gave each row
        self.index: tuple[str, str, list[PushedTerm]] | None = None  # (index name, column, its terms)
        self.index_unique = False  # that index is unique on its one column: an equality finds one row
        self.keep_flags = False  # the residual handed over as a flag column (operators.kept_rows_column)
        self.flag_read_columns: frozenset[int] | None = None  # with the flags: the columns read above
        self.read_whole = False  # the operator above reads every row (operators.whole_reads)

    def _as_of(self, ctx: Any) -> int | None:
        if self.as_of is None:
            return ctx.as_of
        v = self.as_of.evaluate(batch_of([], 1), ctx)
        val = v.array[0]
        if pa.types.is_timestamp(val.type):
            return int(pc.cast(v.array, pa.timestamp("us", tz=val.type.tz)).cast(pa.int64())[0].as_py())
        return int(val.as_py())

    def _filter(self, ctx: Any, terms: list[PushedTerm] | None = None) -> pc.Expression | None:
        expr = None
        terms = self.pushed if terms is None else terms
        if not terms:
            return None
        one = batch_of([], 1)
        for t in terms:
            f = pc.field(t.column)
            if t.op == "isnull":
                e = f.is_null()
            elif t.op == "notnull":
                e = f.is_valid()
            else:
                vals = []
                beyond = None
                for c in t.values:
                    arr = c.evaluate(one, ctx).array
                    if NS.is_special(arr) and pa.types.is_decimal(t.arrow_type):
                        if t.arrow_type != NUMERIC_STORAGE and not (  # wide numeric(p > 76, s <= 16) too
                                t.arrow_type.precision == 76 and t.arrow_type.scale <= 16):
                            return False  # type: ignore[return-value]  # no NaN in numeric(p,s) columns
                        arr = NS.encode_for_storage(arr, t.arrow_type)  # compare with the stored form
                    arr = _in_column_type(t, arr)
                    if arr is None:
                        return False  # type: ignore[return-value]
                    if isinstance(arr, bool):
                        beyond = arr
                        continue  # an IN value no row holds
                    vals.append(arr[0])
                if beyond is not None and t.op != "in":
                    if beyond is False:
                        return False  # type: ignore[return-value]
                    e = f.is_valid()  # every row but NULLs holds it
                    expr = e if expr is None else (expr & e)
                    continue
                if t.op == "in":
                    non_null = [v for v in vals if v.is_valid]
                    e = f.isin(pa.array([v.as_py() for v in non_null], type=t.arrow_type))
                else:
                    if not vals[0].is_valid:
                        return False  # type: ignore[return-value]  # comparison with NULL: no rows
                    e = _PC_OPS[t.op](f, vals[0])
            expr = e if expr is None else (expr & e)
        return expr

    def _raw(self, ctx: Any, found: pa.Table | None = None, only: set[int] | None = None
             ) -> Iterator[pa.RecordBatch]:
        if self.guard is not None and not self.guard(ctx):
            return
        txn = ctx.txn
        as_of = self._as_of(ctx)
        if self.pk_lookup is not None and as_of is None:
            key = lookup_key(self.pk_lookup, ctx)
            if key is None:
                return
            b = txn.lookup(self.schema_name, self.table, tuple(key), columns=self.columns,
                           with_rowid=self.with_rowid)
            if b is not None and b.num_rows:
                yield b
            return
        flt = self._filter(ctx)
        if flt is False:
            return
        kwargs: dict[str, Any] = {"columns": self.columns, "filter": flt}
        if self.prune_terms:
            prune = self._filter(ctx, self.prune_terms)
            if prune is False:
                return
            kwargs["prune"] = prune
            probe = self._key_probe(ctx)
            if probe is not None:
                kwargs["key_probe"] = probe
        if self.index is not None and as_of is None and found is None:
            probe = self._index_probe(ctx)
            if probe is False:
                return
            if probe:  # no term left to look up: a plain scan (every term is still checked)
                kwargs["index"] = (self.index[0], self.index[1], probe)
        if ctx.op_stats is not None:
            kwargs["counts"] = ctx.op_stats.setdefault(("segments", id(self)), [0, 0, 0, [], 0, 0])
        if as_of is not None:
            kwargs["as_of"] = as_of
        if self.with_rowid or found is not None:
            kwargs["with_rowid"] = True
        if found is not None:
            kwargs["rowids"] = found.column("_rowid")
        if only is not None:
            kwargs["chunks"] = only
        batches = txn.scan(self.schema_name, self.table, **kwargs)
        yield from coalesced(batches) if self.coalescable else batches

    def _index_probe(self, ctx: Any) -> list[tuple[str, list[Any]]] | bool:
        """The index terms' values for this execution, as storage takes them; False: no row can match."""
        one = batch_of([], 1)
        probe = []
        for t in self.index[2]:  # type: ignore[index]
            vals = []
            beyond = None
            for c in t.values:
                arr = _in_column_type(t, c.evaluate(one, ctx).array)
                if arr is None or (arr is False and t.op != "in"):
                    return False
                if isinstance(arr, bool):
                    beyond = arr
                    continue  # an IN value no row holds
                vals.append(arr[0])
            if beyond is not None and t.op != "in":
                continue  # holds on every row but NULLs: the index narrows nothing by it
            if t.op == "in" and not vals:
                return False
            if t.op != "in" and not vals[0].is_valid:
                return False  # comparison with NULL: no rows
            probe.append((t.op, vals))
        return probe

    def _key_probe(self, ctx: Any) -> Any:
        """The primary key value when equality terms pin all of it (for bloom pruning), else None."""
        if not self.primary_key:
            return None
        eq = {t.column: t for t in self.prune_terms if t.op == "="}
        if not all(k in eq for k in self.primary_key):
            return None
        one = batch_of([], 1)
        key = []
        for k in self.primary_key:
            t = eq[k]
            arr = t.values[0].evaluate(one, ctx).array
            if arr.type != t.arrow_type:
                try:
                    arr = arr.cast(t.arrow_type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    return None
            v = arr[0].as_py()
            if v is None:
                return None
            key.append(v)
        return key[0] if len(key) == 1 else tuple(key)

    def count_rows(self, ctx: Any) -> int | None:
        """How many rows this scan would produce, when that needs no column read: a whole table
        with no filter, index or time travel, not under EXPLAIN ANALYZE (``Txn.count``). None
        when the rows must be read to know."""
        if self.pushed or self.residual is not None or self.prune_terms or self.pk_lookup is not None \
                or self.index_use is not None or self.index is not None or self.score or self.with_rowid \
                or self.as_of is not None or ctx.as_of is not None or ctx.op_stats is not None:
            return None
        count = getattr(ctx.txn, "count", None)
        if count is None:
            return None
        if self.guard is not None and not self.guard(ctx):
            return 0
        ctx.check_cancel()
        return count(self.schema_name, self.table)

    @property
    def coalescable(self) -> bool:
        """Whether small batches of this scan may be joined (``coalesced``): every column's type
        prints each value alone. An unconstrained numeric (or an array, range or record holding
        one) prints at the smallest scale that shows its batch's values exactly
        (text_out.numeric_text), so joining batches would change what its rows print."""
        return all(f.type.name in _PRINTED_ALONE or (f.type.name == "numeric" and f.type.typmod >= 0)
                   for f in self.fields)

    @property
    def unconstrained_numeric(self) -> list[int]:
        return [i for i, f in enumerate(self.fields[:len(self.columns)])
                if f.type.stores_numeric_specials]

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        n = len(self.fields)
        wanted = list(self.columns) + (["_rowid"] if self.with_rowid else [])
        found = None
        recheck = None
        if self.index_use is not None:
            found = index_search.search(self.index_use, ctx, self.schema_name, self.table)
            if found.num_rows == 0:
                return
            if index_search.lossy(found, self.index_use):
                recheck = self.index_use.recheck
        scanned = ctx.op_stats.setdefault(("scanned", id(self)), [0]) if ctx.op_stats is not None else None
        parts = list(self.residual_parts or [self.residual]) if self.residual is not None else []
        if recheck is not None:
            parts.append(recheck)
        narrowing = ctx.runtime_filters.get(id(self)) if ctx.runtime_filters else None  # a join's keys
        parallel = (self.residual_pure or not parts) and recheck is None and ctx.op_stats is None
        long_slices = self.read_whole and parallel and bool(parts or narrowing is not None)
        slices = self._slices(ctx, found, wanted, n, scanned, WHOLE_READ_SLICE_ROWS if long_slices else SCAN_BATCH_ROWS)
        if not parts and narrowing is None:
            yield from slices
            return
        from helios_core.sql.operators.basic import apply_scan_terms

        flags = self.keep_flags and ctx.op_stats is None and recheck is None

        def filtered(part: pa.RecordBatch) -> pa.RecordBatch | None:
            if narrowing is not None:  # first: it leaves the fewest rows for the terms and their copy
                hit = narrowing.hits(part)
                if hit is not None:
                    if not hit.true_count:
                        return None
                    if parts and not flags:  # one copy for the keys and the cheap terms
                        return apply_scan_terms(part, parts, self.residual_simple, ctx, first=hit)
                    part = part.filter(hit)
                if not parts:
                    return part
            if flags:
                return kept_rows_column.flagged(part, parts, lambda b: apply_scan_terms(
                    b, parts, self.residual_simple, ctx), ctx, self.flag_read_columns)
            return apply_scan_terms(part, parts, self.residual_simple, ctx)

        for part in (ordered_map(filtered, slices) if parallel else map(filtered, slices)):
            if part is not None:
                yield part

    def chunk_rows(self, ctx: Any, only: set[int]) -> Iterator[pa.RecordBatch]:
        """The rows of the chunks of these ids alone (``ReadOps.key_bounds`` named them), as ``run``
        gives them for a scan with no filter (operators.top_by_bounds)."""
        wanted = list(self.columns) + (["_rowid"] if self.with_rowid else [])
        return self._slices(ctx, None, wanted, len(self.fields), None, SCAN_BATCH_ROWS, only)

    def _slices(self, ctx: Any, found: Any, wanted: list[str], n: int, scanned: list[int] | None,
                rows: int, only: set[int] | None = None) -> Iterator[pa.RecordBatch]:
        """The scanned batches under the scan's column names, in pieces of at most ``rows``."""
        unconstrained = self.unconstrained_numeric  # worked out once, not for each batch
        expected = wanted + (["__score"] if self.score else [])
        out_names = names(n) if n else None
        for b in self._raw(ctx, found, only):
            ctx.check_cancel()
            if b.num_rows == 0:
                continue
            if scanned is not None:
                scanned[0] += b.num_rows
            if self.score:
                b = _with_score(b, found)
            if b.schema.names != expected:
                b = b.select(expected)
            b = pa.RecordBatch.from_arrays(b.columns, names=out_names) if n else b
            if unconstrained:  # NaN/Infinity stored as reserved values (numeric_special)
                cols = list(b.columns)
                for i in unconstrained:
                    cols[i] = NS.decode_from_storage(cols[i])
                    if self.fields[i].type.display_scale is not None:
                        cols[i] = numeric_display.at_display_scale(cols[i], self.fields[i].type.display_scale)
                b = pa.RecordBatch.from_arrays(cols, names=names(n))
            yield from _slices(b, rows)

    def label(self) -> str:
        if self.index_use is not None:
            return self.index_use.explain(self.table, self.alias)[0]
        if self.pk_lookup is not None:
            kind = f"Index Scan using {quote_ident(self.key_name)} on"
        elif self.index is not None:
            kind = f"Index Scan using {quote_ident(self.index[0])} on"
        else:
            kind = "Seq Scan on"
        alias = f" {quote_ident(self.alias)}" if self.alias and self.alias != self.table else ""
        return f"{kind} {quote_ident(self.table)}{alias}"  # names quoted where SQL needs it, as PostgreSQL prints them

    def details(self) -> list[str]:
        out = []
        if self.index_use is not None:
            out.extend(self.index_use.explain(self.table, self.alias)[1])
        if self.pk_lookup is not None:
            out.append("Index Cond: " + " AND ".join(f"({k} = {c.label})" for k, c in self.pk_lookup))
        elif self.index is not None and self.index_use is None:
            out.append("Index Cond: " + " AND ".join(f"({t.text})" for t in self.index[2]))
        terms = [t.text for t in self.pushed if t.text]
        if terms:
            out.append("Pushed Filter: " + " AND ".join(terms))
        if self.residual is not None:
            out.append(f"Filter: {self.residual_text or self.residual.label}")
        if self.index_use is not None:
            out.extend(self.index_use.explain(self.table, self.alias)[2])
        return out

    def analyze_details(self, stats: dict) -> list[str]:
        """EXPLAIN ANALYZE: rows the filter removed (as PostgreSQL shows them), segments (and memtable
        chunks) read and skipped by pruning, and of those read, how many through the index."""
        out = []
        scanned = stats.get(("scanned", id(self)))
        mine = stats.get(id(self))
        if scanned is not None and mine is not None and self.residual is not None and scanned[0] > mine[0]:
            out.append(f"Rows Removed by Filter: {scanned[0] - mine[0]}")
        counts = stats.get(("segments", id(self)))
        if counts is not None:
            line = f"Segments: {counts[0]} read, {counts[1]} skipped"
            if self.index is not None:
                line += f", {counts[2]} through {self.index[0]}"
            out.append(line)
        return out

    def buffer_details(self, stats: dict) -> list[str]:
        """EXPLAIN (ANALYZE, BUFFERS): the chunks the scan read, as PostgreSQL's "Buffers" line counts
        pages: hit = already in memory, read = fetched from a storage tier; then the segments by name
        (memtable chunks as ``memtable:<id>``), the first MAX_NAMED of them."""
        counts = stats.get(("segments", id(self)))
        if counts is None or len(counts) < 6:
            return []
        out = [f"Buffers: segments hit={counts[4]} read={counts[5]} skipped={counts[1]}"]
        names = counts[3]
        if names:
            shown = ", ".join(names[:MAX_NAMED]) + (f", ... ({len(names) - MAX_NAMED} more)"
                                                     if len(names) > MAX_NAMED else "")
            out.append(f"Segments Read: {shown}")
        return out


def _with_score(b: pa.RecordBatch, found: pa.Table) -> pa.RecordBatch:
    """The batch plus the score the index search gave each of its rows (matched by rowid)."""
    where = pc.index_in(b.column("_rowid"), value_set=found.column("_rowid"))
    scores = found.column("score") if "score" in found.column_names else pa.nulls(len(found), pa.float64())
    score = pc.take(scores, where)
    if isinstance(score, pa.ChunkedArray):
        score = score.combine_chunks()
    return pa.RecordBatch.from_arrays([*b.columns, score.cast(pa.float64())], names=[*b.schema.names, "__score"])


_INT_RANGES = {"int2": 1 << 15, "int4": 1 << 31, "int8": 1 << 63}
_ONE_ROW: list[pa.RecordBatch] = []


def _in_column_type(t: PushedTerm, value: pa.Array) -> pa.Array | bool | None:
    """A pushed term's one-value array in its column's type; for an integer beyond an integer
    column's range, whether the term holds on every non-NULL row (``_beyond_range``); None when
    it cannot be converted otherwise (no row can match)."""
    if value.type == t.arrow_type:
        return value
    try:
        return value.cast(t.arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _beyond_range(t.op, value, t.arrow_type)


def _beyond_range(op: str, value: pa.Array, typ: pa.DataType) -> bool | None:
    """An integer constant outside integer type ``typ``'s range, compared with a column of that
    type (``int2_column < $1`` with an int4 parameter, as PostgreSQL compares across integer
    types): True when the term holds on every non-NULL row, False when on none (and for every
    IN value); None when ``value`` is not such an integer (the caller keeps its answer)."""
    if not (pa.types.is_integer(typ) and pa.types.is_integer(value.type)) or len(value) != 1 or value.null_count:
        return None
    v = value[0].as_py()
    half = 1 << (typ.bit_width - 1)  # a signed column type's range is -half .. half - 1
    above = v >= half
    if not above and v >= -half:
        return None  # in range: the cast failed for another reason
    if op in ("<", "<="):
        return above
    if op in (">", ">="):
        return not above
    return op == "<>"


def lookup_key(pk_lookup: list[tuple[str, Any]], ctx: Any) -> tuple | None:
    """The primary-key value a point lookup reads (None when a part is NULL: no row)."""
    key = []
    for _, c in pk_lookup:
        v = _plain_int_param(c, ctx)
        if v is None:
            if not _ONE_ROW:
                _ONE_ROW.append(batch_of([], 1))
            v = c.evaluate(_ONE_ROW[0], ctx).array[0].as_py()
            if v is None:
                return None
        key.append(v)
    return tuple(key)


def _plain_int_param(c: Any, ctx: Any) -> int | None:
    """The value of a bare integer parameter already in its type's range: what evaluating it
    gives, without building an Arrow array; None to evaluate it (and raise what that raises)."""
    if c.param is None or c.param >= len(ctx.params):
        return None
    v = ctx.params[c.param]
    bound = _INT_RANGES.get(c.type.name)
    if type(v) is not int or bound is None or not -bound <= v < bound:
        return None
    return v
