"""The Join engine: a table a join reads as its right side, filled by INSERT.

    CREATE TABLE r (k UInt64, s String) ENGINE = Join(ANY, LEFT, k)
    SELECT ... FROM l ANY LEFT JOIN r USING k;   SELECT * FROM r

Its rows are kept as a table's rows are. With ANY strictness a row whose key the table holds
already (or an earlier row of the same INSERT holds) is not added: ClickHouse keeps the first
row of a key.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
from sqlglot import exp

from helios_protocol_clickhouse import merge_engines
from helios_protocol_clickhouse.errors import ClickHouseError

_ENGINE_ARGUMENTS = re.compile(r"(\bENGINE\s*=\s*Join\s*\(\s*)(\w+)(\s*,\s*)(\w+)(\s*,)", re.IGNORECASE)


def quoted_arguments(sql: str) -> str:
    """``ENGINE = Join(ALL, INNER, k)``: the strictness and kind quoted (INNER, FULL... are keywords
    the SQL parser takes for a join's)."""
    return _ENGINE_ARGUMENTS.sub(lambda m: f"{m.group(1)}`{m.group(2)}`{m.group(3)}`{m.group(4)}`{m.group(5)}", sql)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def join_definition(ch: Any, schema: str, table: str) -> tuple[str, str, list[str]] | None:
    """(strictness, kind, key columns) of a Join engine table (None: another engine)."""
    engine = merge_engines.table_engine(ch.session, schema, table)
    if engine is None or engine.name.lower() != "join":
        return None
    return _parse_arguments(engine.arguments)


def _parse_arguments(arguments: tuple[str, ...] | list[str]) -> tuple[str, str, list[str]]:
    if len(arguments) < 3:
        raise ClickHouseError(42, "Storage Join requires at least 3 parameters: Join(ANY|ALL, LEFT|INNER, keys...)")
    strictness, kind = (a.strip().strip("`\"'").upper() for a in arguments[:2])
    if strictness not in ("ANY", "ALL", "SEMI", "ANTI", "ASOF"):
        raise ClickHouseError(36, f"Unknown strictness {strictness} of storage Join")
    if kind not in ("LEFT", "INNER", "RIGHT", "FULL"):
        raise ClickHouseError(36, f"Unknown kind {kind} of storage Join")
    return strictness, kind, [a.strip().strip("`\"") for a in arguments[2:]]


def check_create(create: exp.Create, columns: list[str]) -> None:
    """A CREATE TABLE ... ENGINE = Join(...): its arguments and keys checked as ClickHouse checks them."""
    properties = create.args.get("properties")
    for prop in properties.expressions if properties is not None else []:
        if isinstance(prop, exp.EngineProperty) and isinstance(prop.this, exp.Anonymous) and \
                str(prop.this.this).lower() == "join":
            _, _, keys = _parse_arguments([a.sql(dialect="clickhouse") for a in prop.this.expressions])
            for key in keys:
                if key not in columns:
                    raise ClickHouseError(16, f"No such column {key} in table of storage Join")


def first_rows_only(ch: Any, schema: str, table: str, batch: pa.RecordBatch) -> pa.RecordBatch:
    """An INSERT's rows into an ANY Join table less those whose key is there already."""
    definition = join_definition(ch, schema, table)
    if definition is None or definition[0] != "ANY" or batch.num_rows == 0:
        return batch
    keys = definition[2]
    if any(k not in batch.schema.names for k in keys):
        return batch
    listed = ", ".join(_ident(k) for k in keys)
    held = ch.session.execute(f"SELECT DISTINCT {listed} FROM {_ident(schema)}.{_ident(table)}")[-1]
    seen = {tuple(row) for row in held.rows()} if held is not None else set()
    values = [batch.column(k).to_pylist() for k in keys]
    keep = []
    for row in zip(*values, strict=True):
        keep.append(row not in seen)
        seen.add(row)
    return batch.filter(pa.array(keep, pa.bool_())) if not all(keep) else batch


def as_rows(ch: Any, tree: exp.Insert) -> pa.Table | None:
    """INSERT ... SELECT into an ANY Join table: the SELECT's rows, to insert as a block of rows
    (the keys sifted on the way); None for another table."""
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(target, exp.Table) or not isinstance(tree.expression, exp.Query):
        return None
    schema = ch.schema_of_table(target.db or None, target.name)
    definition = join_definition(ch, schema, target.name)
    if definition is None or definition[0] != "ANY":
        return None
    result = ch.execute_tree(tree.expression)
    batches = [b for b in result.batches if b.num_rows]
    if not batches:
        return pa.table({f"c{i}": pa.array([]) for i in range(len(result.columns or []))})
    table = pa.Table.from_batches(batches)
    return table.rename_columns([f"c{i}" for i in range(table.num_columns)])
