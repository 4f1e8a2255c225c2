"""SAMPLE: a share of a table's rows chosen by its sampling key, as ClickHouse chooses them.

    CREATE TABLE t (..., x UInt8) ENGINE = MergeTree ORDER BY x SAMPLE BY x
    SELECT ... FROM t SAMPLE 1/10 OFFSET 1/2   -> ... WHERE x >= 128 AND x < 153

The key's values (an unsigned integer type of N bits) span 0 .. 2^N - 1; ``SAMPLE k OFFSET m``
keeps the rows whose key is in [floor(m * 2^N), floor((m + k) * 2^N)) (no upper bound when m + k
reaches 1), the bounds computed exactly from the ratios. ``SAMPLE n`` with n > 1 asks for about n
rows: the share n / (the table's rows). With ``parallel_replicas_count = c`` the range is cut in
c equal parts and ``parallel_replica_offset`` picks one. A table without a sampling key refuses
SAMPLE (141), as ClickHouse does.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sqlglot
from sqlglot import exp

from helios_protocol_clickhouse.catalog import schema_of
from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.rewrites.context import RewriteContext

_HASH_TYPES = {"inthash32": "UInt32", "inthash64": "UInt64", "cityhash64": "UInt64", "siphash64": "UInt64",
               "xxhash32": "UInt32", "xxhash64": "UInt64", "murmurhash2_32": "UInt32", "murmurhash2_64": "UInt64",
               "murmurhash3_32": "UInt32", "murmurhash3_64": "UInt64", "rand": "UInt32", "rand64": "UInt64"}
_BITS = {"UInt8": 8, "UInt16": 16, "UInt32": 32, "UInt64": 64}


def _ratio(node: exp.Expression | None) -> Fraction:
    """A SAMPLE ratio: a number or number/number, exactly."""
    if node is None:
        return Fraction(0)
    if isinstance(node, exp.Paren):
        return _ratio(node.this)
    if isinstance(node, exp.Div):
        denominator = _ratio(node.expression)
        if denominator == 0:
            raise ClickHouseError(36, "Division by zero in SAMPLE ratio")
        return _ratio(node.this) / denominator
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return Fraction(node.this)
        except ValueError:
            pass
    raise ClickHouseError(62, f"Syntax error: SAMPLE takes a number or a ratio, not {node.sql()}")


def _key_type(key: exp.Expression, types: dict[str, str]) -> str:
    if isinstance(key, exp.Column):
        return types.get(key.name, "")
    name = (str(key.this) if isinstance(key, exp.Anonymous) else key.key).lower()
    return _HASH_TYPES.get(name, "")


def _setting(ctx: RewriteContext, name: str, default: int) -> int:
    try:
        return int(str(ctx.settings.get(name, default)).strip("'"))
    except ValueError:
        return default


def rewrite(tree: exp.Expression, ctx: RewriteContext) -> exp.Expression:
    for table in list(tree.find_all(exp.Table)):
        sample = table.args.get("sample")
        if sample is None:
            continue
        _apply(table, sample, ctx)
    return tree


def _apply(table: exp.Table, sample: exp.TableSample, ctx: RewriteContext) -> None:
    schema = schema_of(table.db or ctx.database)
    columns = ctx.table_columns(schema, table.name) if ctx.table_columns is not None else None
    engine = ctx.table_engine(schema, table.name) if ctx.table_engine is not None and columns is not None else None
    key_text = engine.sampling_key if engine is not None else ""
    if not key_text:
        raise ClickHouseError(141, f"Illegal SAMPLE: table {table.db or ctx.database}.{table.name} doesn't "
                                   "support sampling")
    key = sqlglot.parse_one(key_text, read="clickhouse")
    bits = _BITS.get(_key_type(key, {c.name: c.type for c in columns or []}))
    if bits is None:
        raise ClickHouseError(43, f"Invalid sampling column type in storage parameters: {key_text}: "
                                  "it must be an unsigned integer type")
    size = _ratio(sample.args.get("size") or sample.args.get("percent"))
    offset = _ratio(sample.args.get("offset"))
    table.set("sample", None)
    universe = 1 << bits
    source = table.alias_or_name
    for column in key.find_all(exp.Column):
        column.set("table", exp.to_identifier(source))
    if size <= 0 or offset < 0 or offset > 1:
        raise ClickHouseError(36, "Invalid sample size or offset: it must be in [0, 1] or a number of rows")
    count = max(_setting(ctx, "parallel_replicas_count", 1), 1)
    replica = min(max(_setting(ctx, "parallel_replica_offset", 0), 0), count - 1)
    conditions: list[exp.Expression] = []
    if size > 1:  # about this many rows: their share of the table's
        rows = exp.select(exp.Count(this=exp.Star())).from_(exp.table_(table.name, db=table.db or None))
        share = f"least(1, {size.numerator} / {size.denominator} / greatest(1, ({rows.sql(dialect='clickhouse')})))"
        upper = sqlglot.parse_one(f"floor(({offset.numerator} / {offset.denominator} + {share}) * {universe})",
                                  read="clickhouse")
        low = math.floor(offset * universe)
        if low:
            conditions.append(exp.GTE(this=key.copy(), expression=exp.Literal.number(low)))
        conditions.append(exp.Or(this=exp.LT(this=key.copy(), expression=upper),
                                 expression=exp.GTE(this=upper.copy(), expression=exp.Literal.number(universe))))
    else:
        part = size / count
        begin, end = offset + part * replica, offset + part * (replica + 1)
        low = math.floor(begin * universe)
        if low > 0:
            conditions.append(exp.GTE(this=key.copy(), expression=exp.Literal.number(low)))
        if end < 1:
            conditions.append(exp.LT(this=key.copy(), expression=exp.Literal.number(math.floor(end * universe))))
        elif begin >= 1:
            conditions.append(exp.false())
    if not conditions:
        return
    select = table.find_ancestor(exp.Select)
    if select is None:
        return
    condition = conditions[0] if len(conditions) == 1 else exp.and_(*conditions)
    where = select.args.get("where")
    select.set("where", exp.Where(this=condition if where is None else exp.and_(
        exp.Paren(this=condition), exp.Paren(this=where.this))))
