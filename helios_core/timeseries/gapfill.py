"""time_bucket_gapfill(width, time [, start, finish]) with locf() and interpolate(), as TimescaleDB's.

A query that calls time_bucket_gapfill in its select list (and groups by it) returns a row for
every bucket from ``start`` to ``finish`` (exclusive) in every group of its other GROUP BY
keys: buckets with no raw rows get NULL aggregates, except ``locf(agg)``, which carries the
group's previous row's value forward, and ``interpolate(agg)``, which puts the value on the
straight line between the previous and the next bucket that have one (NULL at the ends).
``start``/``finish`` default to the query's WHERE bounds on the time column
(``time >= x AND time < y``).

It runs as a rewrite: the query with time_bucket in place of time_bucket_gapfill and the
bare aggregates in place of locf/interpolate, then the gaps filled in and the ORDER BY of
the output columns applied. Parameters ($1) are not taken (the statement is parsed whole).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pyarrow as pa
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.session import Result
from helios_core.sql import embedded_sql
from helios_core.sql.functions.interval_input import parse_interval_value
from helios_core.sql.session_impl import result_column

_FILLERS = ("locf", "interpolate")


def parse(text: str) -> dict[str, Any]:
    stmts = dialect.parse(text, plugin_statements=False)
    if len(stmts) != 1 or not isinstance(stmts[0].ast, exp.Select):
        raise FeatureNotSupported("time_bucket_gapfill is supported in the select list of a SELECT only")
    return {"sql": text}


def _call_name(node: exp.Expression) -> str:
    return str(node.this).lower() if isinstance(node, exp.Anonymous) else ""


def _interval_step(width: Any) -> tuple[int, int]:
    """(months, microseconds) of a bucket width value."""
    if isinstance(width, dt.timedelta):
        return 0, (width.days * 86_400 + width.seconds) * 1_000_000 + width.microseconds
    if isinstance(width, str):
        months, days, usec = parse_interval_value(width)
        return months, days * 86_400_000_000 + usec
    months, days, nanos = width.months, width.days, width.nanoseconds  # pyarrow MonthDayNano
    return months, days * 86_400_000_000 + nanos // 1000


def _bounds_from_where(select: exp.Select, time_sql: str) -> tuple[str | None, str | None]:
    where = select.args.get("where")
    start = finish = None
    conds = list(where.this.flatten()) if where is not None and isinstance(where.this, exp.And) else (
        [where.this] if where is not None else [])
    for c in conds:
        if isinstance(c, (exp.GTE, exp.GT)) and c.this.sql() == time_sql:
            start = c.expression.sql(dialect="postgres")
        elif isinstance(c, (exp.LT, exp.LTE)) and c.this.sql() == time_sql:
            finish = c.expression.sql(dialect="postgres")
        elif isinstance(c, (exp.LTE, exp.LT)) and c.expression.sql() == time_sql:
            start = c.this.sql(dialect="postgres")
        elif isinstance(c, (exp.GT, exp.GTE)) and c.expression.sql() == time_sql:
            finish = c.this.sql(dialect="postgres")
    return start, finish


def run(session: Any, args: dict) -> Result:
    select = dialect.parse(args["sql"], plugin_statements=False)[0].ast
    calls = [n for n in select.find_all(exp.Anonymous) if _call_name(n) == "time_bucket_gapfill"]
    if len(calls) != 1:
        raise FeatureNotSupported("only one time_bucket_gapfill per query is supported")
    call = calls[0]
    items = list(select.expressions)
    bucket_index = next((i for i, it in enumerate(items) if call in list(it.walk())), None)
    if bucket_index is None or (items[bucket_index].this if isinstance(items[bucket_index], exp.Alias)
                                else items[bucket_index]) is not call:
        raise FeatureNotSupported("time_bucket_gapfill must be a select list item of its own")
    width_ast, time_ast, *rest = call.expressions
    if len(rest) not in (0, 2):
        raise HeliosError("time_bucket_gapfill takes (bucket_width, time [, start, finish])", sqlstate="42883")
    start_sql, finish_sql = (rest[0].sql(dialect="postgres"), rest[1].sql(dialect="postgres")) if rest else (
        None, None)
    if start_sql is None or isinstance(rest[0], exp.Null):
        start_sql = _bounds_from_where(select, time_ast.sql())[0]
    if finish_sql is None or isinstance(rest[1], exp.Null):
        finish_sql = _bounds_from_where(select, time_ast.sql())[1]
    if start_sql is None:
        raise HeliosError("missing time_bucket_gapfill argument: could not infer start from WHERE clause",
                          sqlstate="22023", hint="Give start and finish, or bound the time column in WHERE.")
    if finish_sql is None:
        raise HeliosError("missing time_bucket_gapfill argument: could not infer finish from WHERE clause",
                          sqlstate="22023", hint="Give start and finish, or bound the time column in WHERE.")
    # output names as TimescaleDB gives them: an item without an alias is named after its outer call
    renamed = {i: _call_name(it) for i, it in enumerate(items)
               if not isinstance(it, exp.Alias) and (_call_name(it) in _FILLERS or i == bucket_index)}
    fillers: dict[int, str] = {}
    for i, it in enumerate(items):
        inner = it.this if isinstance(it, exp.Alias) else it
        if _call_name(inner) in _FILLERS:
            if len(inner.expressions) != 1:
                raise FeatureNotSupported(f"{_call_name(inner)} with more than one argument is not supported")
            fillers[i] = _call_name(inner)
            inner.replace(inner.expressions[0])
    for n in list(select.find_all(exp.Anonymous)):
        if _call_name(n) in _FILLERS:
            raise FeatureNotSupported(f"{_call_name(n)}() must be a whole select list item")
    call.replace(exp.Anonymous(this="time_bucket", expressions=[width_ast.copy(), time_ast.copy()]))
    order = select.args.get("order")
    if select.args.get("limit") is not None or select.args.get("offset") is not None:
        raise FeatureNotSupported("LIMIT and OFFSET with time_bucket_gapfill are not supported")
    select.set("order", None)
    keys = _group_key_indexes(select, bucket_index)
    outcome = embedded_sql.run(session, select)
    time_type = outcome.columns[bucket_index][1].sql_name()  # start and finish are read as the time column's type
    width_sql = width_ast.sql(dialect="postgres")
    bounds = embedded_sql.run(session, dialect.parse(
        f"SELECT ({width_sql})::interval, time_bucket({width_sql}, ({start_sql})::{time_type}), "
        f"({finish_sql})::{time_type}")[0].ast)
    width, start, finish = bounds.rows[0]
    if start is None or finish is None:
        raise HeliosError("invalid time_bucket_gapfill argument: start and finish cannot be NULL", sqlstate="22004")
    rows = _fill(outcome.rows, bucket_index, keys, fillers, _interval_step(width), start, finish)
    names = [renamed.get(i, n) for i, (n, _) in enumerate(outcome.columns)]
    rows = _ordered(rows, order, names, bucket_index, keys)
    columns = [result_column(n, t) for n, (_, t) in zip(names, outcome.columns, strict=True)]
    arrays = [pa.array([r[i] for r in rows], t.arrow_type) for i, (_, t) in enumerate(outcome.columns)]
    batch = pa.record_batch(arrays, names=names)
    return Result(kind="SELECT", command_tag=f"SELECT {len(rows)}", columns=columns, batches=[batch],
                  row_count=len(rows))


def _group_key_indexes(select: exp.Select, bucket_index: int) -> list[int]:
    """Select list positions (besides the bucket) that are GROUP BY keys: they make the groups."""
    group = select.args.get("group")
    keys = list(group.expressions) if group is not None else []
    out = []
    for i, it in enumerate(select.expressions):
        if i == bucket_index:
            continue
        inner = it.this if isinstance(it, exp.Alias) else it
        alias = it.alias if isinstance(it, exp.Alias) else None
        for k in keys:
            if (isinstance(k, exp.Literal) and not k.is_string and int(k.this) == i + 1) or k == inner or (
                    alias and isinstance(k, exp.Column) and not k.table and k.name == alias):
                out.append(i)
                break
    return out


def _step(moment: Any, months: int, usec: int) -> Any:
    if not months:
        return moment + dt.timedelta(microseconds=usec)
    total = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=total // 12, month=total % 12 + 1)


def _fill(rows: list[tuple], b: int, keys: list[int], fillers: dict[int, str], step: tuple[int, int],
          start: Any, finish: Any) -> list[tuple]:
    months, usec = step
    if months == 0 and usec <= 0:
        raise HeliosError("invalid time_bucket_gapfill argument: bucket_width must be greater than 0",
                          sqlstate="22023")
    groups: dict[tuple, dict[Any, tuple]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), {})[r[b]] = r
    if not groups:
        groups[()] = {}
    buckets = []
    moment = start
    if isinstance(finish, dt.datetime) and isinstance(moment, dt.date) and not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(), finish.tzinfo)
    while moment < finish:
        buckets.append(moment)
        moment = _step(moment, months, usec)
        if len(buckets) > 10_000_000:
            raise HeliosError("time_bucket_gapfill would make more than 10 million buckets", sqlstate="54000")
    width = len(rows[0]) if rows else 0
    out: list[tuple] = []
    for key, present in groups.items():
        times = sorted(set(buckets) | set(present))
        filled: list[list] = []
        real: list[bool] = []
        for t in times:
            if t in present:
                filled.append(list(present[t]))
                real.append(True)
                continue
            row: list[Any] = [None] * max(width, len(keys) + 1 + len(fillers))
            row[b] = t
            for k, v in zip(keys, key, strict=True):
                row[k] = v
            filled.append(row)
            real.append(False)
        for col, how in fillers.items():
            _apply(filled, real, times, col, how)
        out.extend(tuple(r) for r in filled)
    return out


def _apply(rows: list[list], real: list[bool], times: list[Any], col: int, how: str) -> None:
    if how == "locf":
        for i in range(1, len(rows)):
            if not real[i]:
                rows[i][col] = rows[i - 1][col]
        return
    known = [i for i in range(len(rows)) if real[i] and rows[i][col] is not None]
    for i in range(len(rows)):
        if real[i]:
            continue
        before = [j for j in known if j < i]
        after = [j for j in known if j > i]
        if not before or not after:
            continue
        j0, j1 = before[-1], after[0]
        y0, y1 = rows[j0][col], rows[j1][col]
        span = (times[j1] - times[j0]).total_seconds() if hasattr(times[j1] - times[j0], "total_seconds") else (
            times[j1] - times[j0])
        frac = ((times[i] - times[j0]).total_seconds() if hasattr(times[i] - times[j0], "total_seconds")
                else times[i] - times[j0]) / span
        value = float(y0) + (float(y1) - float(y0)) * frac
        rows[i][col] = round(value) if isinstance(y0, int) else type(y0)(value) if not isinstance(
            y0, float) else value


def _ordered(rows: list[tuple], order: exp.Order | None, names: list[str], b: int, keys: list[int]) -> list[tuple]:
    if order is None:
        return sorted(rows, key=lambda r: tuple(_sort_key(r[k]) for k in [*keys, b]))
    for item in reversed(order.expressions):
        target = item.this
        if isinstance(target, exp.Literal) and not target.is_string:
            index = int(target.this) - 1
        elif isinstance(target, exp.Column) and target.name in names:
            index = names.index(target.name)
        else:
            raise FeatureNotSupported("ORDER BY with time_bucket_gapfill takes output column names or positions")
        desc = bool(item.args.get("desc"))
        nulls_first = item.args.get("nulls_first")
        nulls_first = desc if nulls_first is None else bool(nulls_first)
        present = [r for r in rows if r[index] is not None]
        missing = [r for r in rows if r[index] is None]
        present.sort(key=lambda r: _sort_key(r[index]), reverse=desc)
        rows = missing + present if nulls_first else present + missing
    return rows


def _sort_key(v: Any) -> Any:
    if v is None:
        return (1, 0)
    if isinstance(v, float) and math.isnan(v):
        return (0, math.inf)
    return (0, v)
