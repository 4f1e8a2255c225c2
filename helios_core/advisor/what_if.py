"""What-if plans: a statement planned as it is and as if one more index existed, and the rows each
plan is estimated to read.

The planner lists hypothetical indexes beside the real ones (``QueryContext.hypothetical_indexes``,
helios_core.sql.planner.index_paths) and picks one exactly as it would pick a real index, so a
hypothetical index the plan does not read through would not be used if it were created.

Estimates follow PostgreSQL's planner where statement values are unknown (normalized texts hold
``$n``): an equality keeps ``rows / n_distinct`` of the non-null rows, ``IN`` that once per
value, a one-sided range a third of the rows and a two-sided one 0.5% (its DEFAULT_INEQ_SEL
and DEFAULT_RANGE_INEQ_SEL); values known at planning time are counted on the data instead. A
scan reading a whole table reads its live rows; a primary-key point read one row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core.sql.operators.base import batch_of
from helios_core.sql.operators.scan import TableScan

DEFAULT_INEQ_SEL = 1 / 3
DEFAULT_RANGE_INEQ_SEL = 0.005
FILTER_OPS = ("=", "in", "<", "<=", ">", ">=")


@attrs.define
class ColumnStats:
    """What ANALYZE would know of one column: rows, non-null rows, distinct values, and the values."""

    rows: int
    non_null: int
    n_distinct: int
    values: pa.ChunkedArray


class Statistics:
    """Row counts and column statistics of the tables one advice call looks at, read once each."""

    def __init__(self, txn: Any) -> None:
        self.txn = txn
        self.tables: dict[tuple[str, str], int] = {}
        self.columns: dict[tuple[str, str, str], ColumnStats | None] = {}

    def rows(self, schema: str, table: str) -> int:
        key = (schema, table)
        if key not in self.tables:
            tdef = self.txn.get_table(schema, table)
            n = 0
            if tdef is not None and tdef.columns:
                n = sum(b.num_rows for b in self.txn.scan_def(tdef, columns=[tdef.columns[0].name]))
            self.tables[key] = n
        return self.tables[key]

    def column(self, schema: str, table: str, column: str) -> ColumnStats | None:
        key = (schema, table, column)
        if key not in self.columns:
            tdef = self.txn.get_table(schema, table)
            stats = None
            if tdef is not None and tdef.column(column) is not None:
                batches = list(self.txn.scan_def(tdef, columns=[column]))
                values = pa.chunked_array([b.column(0) for b in batches], type=batches[0].schema.field(0).type) \
                    if batches else pa.chunked_array([], pa.null())
                non_null = len(values) - values.null_count
                distinct = pc.count_distinct(values, mode="only_valid").as_py() if non_null else 0
                stats = ColumnStats(len(values), non_null, distinct, values)
                self.tables[(schema, table)] = len(values)
            self.columns[key] = stats
        return self.columns[key]


def scans(plan: Any) -> Iterator[TableScan]:
    """Every stored-table scan of a plan, expression subqueries included."""
    stack = [plan.root, *(getattr(plan, "subplans", None) or [])]
    seen: set[int] = set()
    while stack:
        op = stack.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        if isinstance(op, TableScan):
            yield op
        stack.extend(getattr(op, "children", None) or [])


def as_query(ast: Any) -> Any:
    """The query part of a statement a scan serves: the statement itself, or UPDATE/DELETE's target
    and WHERE as a SELECT (the rows they change are found the same way); None for other statements."""
    if isinstance(ast, (exp.Query, exp.Values)):
        return ast
    if isinstance(ast, (exp.Update, exp.Delete)) and isinstance(ast.this, exp.Table) \
            and not ast.args.get("from") and not ast.args.get("using") and ast.args.get("where") is not None:
        return exp.select("*").from_(ast.this.copy()).where(ast.args["where"].this.copy())
    return None


def _known_value(term: Any, ctx: Any) -> Any:
    """A term's single value when planning already knows it (a constant), else None."""
    if term.op == "in" or len(term.values) != 1 or term.values[0].param is not None:
        return None
    try:
        return term.values[0].evaluate(batch_of([], 1), ctx).array[0]
    except Exception:  # noqa: BLE001 - an estimate falls back to the default selectivity
        return None


def _count_matching(stats: ColumnStats, terms: list[Any], ctx: Any) -> int | None:
    """Rows whose column satisfies every term, counted on the data when every value is known."""
    known = [(t.op, _known_value(t, ctx)) for t in terms]
    if any(v is None or t.op not in ("=", "<", "<=", ">", ">=") for t, (_, v) in zip(terms, known, strict=True)):
        return None
    ops = {"=": pc.equal, "<": pc.less, "<=": pc.less_equal, ">": pc.greater, ">=": pc.greater_equal}
    mask = None
    try:
        for op, v in known:
            m = ops[op](stats.values, v.cast(stats.values.type) if v.type != stats.values.type else v)
            mask = m if mask is None else pc.and_(mask, m)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return int(pc.sum(mask).as_py() or 0) if mask is not None else None


def index_rows(stats: ColumnStats | None, terms: list[Any], ctx: Any) -> float:
    """Estimated rows an index read finds for ``terms`` (all on the indexed column)."""
    if stats is None or stats.rows == 0:
        return 0.0
    counted = _count_matching(stats, terms, ctx)
    if counted is not None:
        return float(counted)
    per_value = stats.non_null / max(stats.n_distinct, 1)
    sel_rows = float(stats.non_null)
    lower = any(t.op in (">", ">=") for t in terms)
    upper = any(t.op in ("<", "<=") for t in terms)
    for t in terms:
        if t.op == "=":
            sel_rows = min(sel_rows, per_value)
        elif t.op == "in":
            sel_rows = min(sel_rows, per_value * len(t.values))
    if lower and upper:
        sel_rows = min(sel_rows, stats.non_null * DEFAULT_RANGE_INEQ_SEL)
    elif lower or upper:
        sel_rows = min(sel_rows, stats.non_null * DEFAULT_INEQ_SEL)
    return max(sel_rows, 1.0) if stats.non_null else 0.0


def rows_read(plan: Any, stats: Statistics, ctx: Any) -> dict[int, float]:
    """Estimated rows each scan of the plan reads (by the scan's id)."""
    out: dict[int, float] = {}
    for scan in scans(plan):
        if scan.pk_lookup is not None:
            out[id(scan)] = 1.0
        elif scan.index is not None:
            _, column, terms = scan.index
            out[id(scan)] = index_rows(stats.column(scan.schema_name, scan.table, column), terms, ctx)
        else:
            out[id(scan)] = float(stats.rows(scan.schema_name, scan.table))
    return out


def candidate_columns(plan: Any) -> set[tuple[str, str, str]]:
    """(schema, table, column) compared with a per-execution value by a scan that reads its whole table."""
    out = set()
    for scan in scans(plan):
        if scan.pk_lookup is not None or scan.index is not None or scan.as_of is not None:
            continue
        for t in scan.prune_terms:
            if t.op in FILTER_OPS:
                out.add((scan.schema_name, scan.table, t.column))
    return out
