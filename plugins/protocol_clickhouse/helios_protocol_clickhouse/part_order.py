"""The rows of one INSERT into a MergeTree table are written in the order of its sorting key.

ClickHouse writes each INSERT's block as a part whose rows are sorted by the table's sorting key,
and a query without ORDER BY reads a part in that order: ``ENGINE = MergeTree ORDER BY -x`` and
``INSERT ... VALUES (1), (2), (3)`` read back 3, 2, 1. Here the rows of an INSERT are sorted by
the key's leading items that are columns (a negated column sorts descending) before they are
written; the kernel reads them back in the order written. A key item that is another expression
ends the sort there (the rows keep their order within its ties). Merging engines write their own
way (``merge_engines``).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_protocol_clickhouse import merge_engines


def key_columns(ch: Any, schema: str, table: str) -> list[tuple[str, bool]]:
    """(column, descending) of the sorting key's leading column items of a plain MergeTree table."""
    engine = merge_engines.table_engine(ch.session, schema, table)
    if engine is None or not engine.merge_tree or engine.merging:
        return []
    out = []
    for item in engine.key_expressions():
        descending = False
        while isinstance(item, exp.Neg | exp.Paren):
            descending ^= isinstance(item, exp.Neg)
            item = item.this
        if not isinstance(item, exp.Column) or item.table:
            break
        out.append((item.name, descending))
    return out


def sort_batch(ch: Any, schema: str, table: str, batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` (an INSERT's rows, named by their columns) in the table's key order."""
    keys = []
    for name, descending in key_columns(ch, schema, table):
        if name not in batch.schema.names:
            break
        keys.append((name, "descending" if descending else "ascending"))
    if not keys or batch.num_rows < 2:
        return batch
    return batch.take(pc.sort_indices(batch, sort_keys=keys))


def sort_insert_select(ch: Any, tree: exp.Insert) -> None:
    """INSERT INTO t [(cols)] SELECT ...: the SELECT read through one ordered by the key's columns (by
    their positions among the SELECT's outputs)."""
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    query = tree.expression
    if not isinstance(target, exp.Table) or not isinstance(query, exp.Query):
        return
    schema = ch.schema_of_table(target.db or None, target.name)
    keys = key_columns(ch, schema, target.name)
    if not keys:
        return
    if isinstance(tree.this, exp.Schema):
        names = [e.name for e in tree.this.expressions]
    else:
        names = [c.name for c in ch.table_columns(schema, target.name) or []]
    selects = [query] if isinstance(query, exp.Select) else list(query.find_all(exp.Select))
    first = selects[0] if selects else None
    if first is None or len(names) != len(first.expressions) or any(isinstance(e, exp.Star) for e in first.expressions):
        return
    ordered = []
    for name, descending in keys:
        if name not in names:
            break
        ordered.append(exp.Ordered(this=exp.Literal.number(names.index(name) + 1), desc=descending))
    if ordered:
        outer = exp.select("*").from_(exp.Subquery(this=query.copy(), alias=exp.TableAlias(
            this=exp.to_identifier("_part"))))
        outer.set("order", exp.Order(expressions=ordered))
        tree.set("expression", outer)
