"""Cost and row estimates that EXPLAIN prints, in PostgreSQL's units.

HeliosDB's planner does not choose plans by cost; these figures exist so that EXPLAIN reads as
PostgreSQL's does (``(cost=0.00..35.50 rows=2550 width=4)``) for the people and the tools that
parse it: a table's row count (its current versions on the branch), PostgreSQL's default cost
constants (seq_page_cost 1, cpu_tuple_cost 0.01, cpu_operator_cost 0.0025, cpu_index_tuple_cost
0.005, random_page_cost 4), its default selectivities for a condition without statistics (0.005
for equality and pattern matches, 1/3 for a range) and 200 groups for a grouping it cannot
estimate. Widths are PostgreSQL's type lengths, 32 bytes for a value of variable length. The
numbers are estimates in PostgreSQL's manner, not PostgreSQL's numbers.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

SEQ_PAGE, RANDOM_PAGE, TUPLE, INDEX_TUPLE, OPERATOR = 1.0, 4.0, 0.01, 0.005, 0.0025
PAGE_BYTES, TUPLE_OVERHEAD = 8192, 28
DEFAULT_GROUPS, DEFAULT_FUNCTION_ROWS = 200, 1000
_WIDTHS = {"bool": 1, "char": 1, "int2": 2, "int4": 4, "oid": 4, "date": 4, "float4": 4, "int8": 8, "float8": 8,
           "timestamp": 8, "timestamptz": 8, "time": 8, "money": 8, "tid": 6, "timetz": 12, "interval": 16,
           "uuid": 16, "macaddr": 6, "point": 16}


@attrs.define
class Cost:
    startup: float
    total: float
    rows: float
    width: int

    def text(self) -> str:
        return f"(cost={self.startup:.2f}..{self.total:.2f} rows={max(1, round(self.rows))} width={self.width})"


def estimate(op: Any, ctx: Any) -> Cost:
    """The estimate of ``op`` (and, on the way, of its inputs)."""
    children = [estimate(c, ctx) for c in getattr(op, "children", [])]
    label = op.label()
    width = width_of(op)
    kind = label.split(" on ")[0]
    if kind.startswith(("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan")) and hasattr(op, "schema_name"):
        return _scan(op, ctx, kind, width)
    if not children:
        rows = DEFAULT_FUNCTION_ROWS if kind.startswith("Function Scan") else _leaf_rows(op)
        return Cost(0.0, rows * TUPLE, rows, width)
    first = children[0]
    if label == "Filter":
        rows = first.rows * _selectivity(" ".join(getattr(op, "details", list)()))
        return Cost(first.startup, first.total + first.rows * OPERATOR, rows, width)
    if kind in ("Aggregate", "HashAggregate", "GroupAggregate", "MixedAggregate", "WindowAgg"):
        grouped = kind != "Aggregate"
        rows = first.rows if kind == "WindowAgg" else (min(DEFAULT_GROUPS, first.rows) if grouped else 1)
        total = first.total + first.rows * OPERATOR * 2 + rows * TUPLE
        return Cost(total if kind != "WindowAgg" else first.startup, total, rows, width)
    if kind == "Sort" or kind.startswith(("Unique", "Incremental Sort")):
        n = max(first.rows, 2.0)
        startup = first.total + 2 * OPERATOR * n * math.log2(n)
        rows = first.rows if kind == "Sort" else min(DEFAULT_GROUPS, first.rows)
        return Cost(startup, startup + first.rows * OPERATOR, rows, width)
    if kind == "Limit":
        want = _constant(getattr(op, "limit", None))
        rows = min(first.rows, float(want)) if isinstance(want, int) else first.rows
        part = rows / first.rows if first.rows else 1.0
        return Cost(first.startup, first.startup + (first.total - first.startup) * part, rows, width)
    if kind == "Append" or "Union" in kind or kind.startswith(("HashSetOp", "Intersect", "Except")):
        rows = sum(c.rows for c in children)
        return Cost(0.0, sum(c.total for c in children) + rows * TUPLE, rows, width)
    if "Join" in kind or kind.startswith("Nested Loop"):
        other = children[1] if len(children) > 1 else Cost(0, 0, 1, 0)
        rows = max(first.rows, other.rows)
        startup = other.total if kind.startswith("Hash") else first.startup + other.startup
        if kind.startswith("Nested Loop"):
            total = first.total + first.rows * max(other.total, TUPLE) + rows * TUPLE
        else:
            total = first.total + other.total + (first.rows + other.rows) * OPERATOR + rows * TUPLE
        return Cost(startup, total, rows, width)
    if kind == "Hash":
        return Cost(first.total, first.total, first.rows, width)
    return Cost(first.startup, first.total + first.rows * TUPLE, first.rows, width)


def _scan(op: Any, ctx: Any, kind: str, width: int) -> Cost:
    txn = getattr(ctx, "txn", None)
    table = txn.get_table(op.schema_name, op.table) if txn is not None else None
    table_rows = txn.estimated_rows(table) if table is not None else 0
    details = " ".join(op.details())
    if kind.startswith("Index"):
        if getattr(op, "pk_lookup", None) is not None:
            rows = 1.0
        else:
            rows = max(1.0, table_rows * _selectivity(details.split("Filter:")[0] or "="))
        pages = max(1.0, math.ceil(rows / 100))
        total = 0.29 + pages * RANDOM_PAGE + rows * (TUPLE + INDEX_TUPLE)
        rows *= _selectivity(details.split("Filter:", 1)[1]) if "Filter:" in details else 1.0
        return Cost(0.29 if table_rows > 1000 else 0.15, total, rows, width)
    pages = max(1.0, math.ceil(table_rows * (max(width, 4) + TUPLE_OVERHEAD) / PAGE_BYTES))
    total = pages * SEQ_PAGE + table_rows * TUPLE
    rows = float(table_rows)
    if "Filter:" in details:
        total += table_rows * OPERATOR
        rows *= _selectivity(details.split("Filter:", 1)[1])
    return Cost(0.0, total, rows, width)


def _selectivity(condition: str) -> float:
    """PostgreSQL's defaults for a condition it has no statistics for, conjunctions multiplied."""
    sel = 1.0
    for term in condition.split(" AND "):
        if " = " in term or "~~" in term or " LIKE " in term.upper() or " IS NULL" in term.upper():
            sel *= 0.005
        elif any(op in term for op in (" < ", " > ", " <= ", " >= ")):
            sel *= 1 / 3
        elif term.strip():
            sel *= 0.5
    return sel


def _constant(compiled: Any) -> int | None:
    """A LIMIT's value when it is a constant (a parameter's is not known at EXPLAIN)."""
    const = getattr(compiled, "const", None)
    try:
        v = const.value() if const is not None else None
    except Exception:  # noqa: BLE001 - an estimate must never fail EXPLAIN
        return None
    return int(v) if isinstance(v, int | float) else None


def _leaf_rows(op: Any) -> float:
    rows = getattr(op, "rows", None)
    return float(len(rows)) if isinstance(rows, list | tuple) else 1.0


def width_of(op: Any) -> int:
    """The width of an operator's rows (hidden columns are not output)."""
    return width_of_types(f.type for f in getattr(op, "fields", []) if not getattr(f, "hidden", False))


def width_of_types(types: Any) -> int:
    return sum(_WIDTHS.get(getattr(t, "name", ""), 32) for t in types)
