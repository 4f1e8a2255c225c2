"""WITH TOTALS of a FROM subquery, carried to the query around it (ClickHouse passes a source's
totals row through the outer query's expressions and joins).

The outer query's totals row is the outer query run over one-row sources: a subquery WITH
TOTALS gives its totals row (keys at their defaults), any other source a row of defaults
(constants as written, everything else its type's default value: what ClickHouse's totals
block holds for a source that has none); a table joined on is read as it is, so that the totals
row finds its rows as the other rows do. The outer WHERE is not applied to it, as in
ClickHouse for conditions it cannot push below the aggregation. An outer GROUP BY decides its
own totals, so nothing is carried then.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from helios_protocol_clickhouse.dialect import HeliosClickHouse
from helios_protocol_clickhouse.formats.values import TextRenderer, quote_string
from helios_protocol_clickhouse.results import ChResult
from helios_protocol_clickhouse.rewrites.ddl import enum_default
from helios_protocol_clickhouse.types import parse_type

Runner = Callable[[exp.Query], ChResult]

EPOCH = datetime.datetime(1970, 1, 1)


def type_default(ch_type: str) -> Any:
    """A ClickHouse type's default value (what a totals row's keys and a missing join row show)."""
    if ch_type.startswith(("Nullable", "LowCardinality(Nullable")):
        return None
    if ch_type.startswith("LowCardinality("):
        return type_default(ch_type[len("LowCardinality("):-1])
    if ch_type.startswith("Enum") and parse_type(ch_type).inner.args:
        return enum_default(parse_type(ch_type).inner)
    if ch_type.startswith(("Int", "UInt", "Float", "Decimal", "Bool")):
        return 0
    if ch_type in ("String",) or ch_type.startswith("FixedString"):
        return ""
    if ch_type.startswith("Array"):
        return []
    if ch_type in ("Date", "Date32"):
        return EPOCH.date()
    if ch_type.startswith("DateTime"):
        return EPOCH
    return None


def _has_totals(select: exp.Expression) -> bool:
    """WITH TOTALS of its own, or carried from a source of its own."""
    if not isinstance(select, exp.Select):
        return False
    group = select.args.get("group")
    return bool(group.args.get("totals")) if group is not None else carries_totals(select)


def _sources(select: exp.Select) -> list[exp.Expression]:
    source = select.args.get("from_")
    found = [source.this] if source is not None else []
    found += [j.this for j in select.args.get("joins") or []]
    return found


_AGGREGATE_CALLS = {"uniq", "uniqexact", "grouparray", "groupuniqarray", "any", "anylast", "argmin", "argmax",
                    "quantile", "quantiles", "median", "topk", "countif", "sumif", "avgif", "minif", "maxif",
                    "quantiletiming", "quantilestiming", "mediantiming"}


def _aggregates(select: exp.Select) -> bool:
    """An aggregating query (no GROUP BY) is one group: it has no totals to carry."""
    for e in select.expressions:
        for node in e.walk():
            if isinstance(node, exp.AggFunc) or \
                    isinstance(node, exp.Anonymous) and str(node.this).lower() in _AGGREGATE_CALLS:
                return True
    return False


def carries_totals(select: exp.Expression) -> bool:
    """Whether the query has no totals of its own and a FROM subquery WITH TOTALS."""
    if not isinstance(select, exp.Select) or select.args.get("group") is not None or _aggregates(select):
        return False
    return any(isinstance(s, exp.Subquery) and _has_totals(s.this) for s in _sources(select))


def _literal(value: Any, ch_type: str) -> exp.Expression:
    text = TextRenderer(ch_type).text(value)
    if text is None:
        return sqlglot.parse_one(f"CAST(NULL AS {ch_type})", dialect=HeliosClickHouse)
    inner = parse_type(ch_type).inner.name
    if inner in ("String", "FixedString", "Enum8", "Enum16"):
        return exp.Literal.string(text)
    if inner.startswith(("Int", "UInt", "Float")):
        return exp.Literal.number(text) if not text.startswith("-") else exp.Neg(this=exp.Literal.number(text[1:]))
    if inner in ("Array", "Tuple"):  # their text is their literal
        return sqlglot.parse_one(text, dialect=HeliosClickHouse)
    return sqlglot.parse_one(f"CAST({quote_string(text)} AS {ch_type})", dialect=HeliosClickHouse)


def _row_of(result: ChResult, batch: pa.RecordBatch) -> exp.Select:
    values = [batch.column(i)[0].as_py() for i in range(batch.num_columns)]
    return exp.select(*(exp.alias_(_literal(v, c.type), c.name, quoted=True)
                        for v, c in zip(values, result.columns or [], strict=True)))


def _defaults_row(select: exp.Select, run: Runner) -> exp.Select | None:
    """A source without totals: its constants, and every other column's default."""
    probe = select.copy()
    probe.set("limit", exp.Limit(expression=exp.Literal.number(0)))
    result = run(probe)
    if result.columns is None:
        return None
    items = []
    for expression, column in zip(select.expressions, result.columns, strict=False):
        inner = expression.this if isinstance(expression, exp.Alias) else expression
        if not inner.find(exp.Column, exp.AggFunc, exp.Anonymous, exp.Star):
            items.append(exp.alias_(inner.copy(), column.name, quoted=True))
        else:
            items.append(exp.alias_(_literal(type_default(column.type), column.type), column.name, quoted=True))
    return exp.select(*items) if len(items) == len(result.columns) else None


def totals_row(query: exp.Select, run: Runner) -> pa.RecordBatch | None:
    """The outer query's totals row, or None when a source's row cannot be built."""
    outer = query.copy()
    for clause in ("where", "order", "limit", "offset", "format", "settings", "distinct"):
        outer.set(clause, None)
    for position, source in enumerate(_sources(outer)):
        if position and isinstance(source, exp.Table):
            continue  # a table joined to the totals row: its rows the totals' keys find, as in ClickHouse
        if isinstance(source, exp.Subquery) and isinstance(source.this, exp.Select):
            inner = source.this
            if _has_totals(inner):
                result = run(inner.copy())
                if result.totals is None or result.columns is None:
                    return None
                row = _row_of(result, result.totals)
            else:
                row = _defaults_row(inner, run)
            if row is None:
                return None
            source.set("this", row)
        else:
            return None  # a table or table function read first, beside the subquery: not built
    result = run(outer)
    if not result.batches or not result.rows:
        return None
    return pa.Table.from_batches(result.batches).slice(0, 1).combine_chunks().to_batches()[0]
