"""CREATE TIMESERIES TABLE and ALTER TABLE ... SET (retention = ..., ...).

A time-series table is an ordinary table plus the ``timeseries`` record in its options, so
every statement that works on a table works on it; the record says how its rows fall into
chunks and what the jobs (retention) do with them.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.session import Result
from helios_core.sql import ddl
from helios_core.timeseries import jobs, settings
from helios_core.timeseries.options import OPTION, PARAMETERS, checked, record_of


def _property_name(p: exp.Property) -> str:
    return p.this.name.lower() if not isinstance(p.this, str) else p.this.lower()


def _property_value(p: exp.Property) -> str | None:
    value = p.args.get("value")
    if value is None or isinstance(value, exp.Null):
        return None
    return value.name


def create(session: Any, args: dict) -> Result:
    """Create the table as CREATE TABLE would, then give it its timeseries record and jobs."""
    ast = dialect.parse(args["create"])[0].ast
    props = ast.args.get("properties")
    ours: dict[str, str | None] = {}
    if props is not None:
        kept = []
        for p in props.expressions:
            if type(p) is exp.Property and _property_name(p) in PARAMETERS:
                ours[_property_name(p)] = _property_value(p)
            else:
                kept.append(p)
        props.set("expressions", kept)
        if not kept:
            ast.set("properties", None)
    table = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
    config = settings.require_enabled(session, "CREATE TIMESERIES TABLE")
    ours.setdefault("retention", config.default_retention)
    ours.setdefault("compression", config.compression)
    txn = session.tx.current()
    schema, name = ddl.table_name(session, table, txn, for_create=True)
    existed = txn.get_table(schema, name) is not None
    result = ddl.execute(session, ast, args["create"])
    if existed:  # IF NOT EXISTS skipped it (or ddl.execute raised 42P07)
        return result
    txn = session.tx.current()
    tdef = txn.get_table(schema, name)
    record = checked(tdef, ours)
    txn.alter_table(schema, name, options={OPTION: record})
    jobs.ensure_table_jobs(txn, f"{schema}.{name}", record)
    return Result(command_tag="CREATE TABLE", notices=result.notices)


def set_parameters(session: Any, tdef: Any, values: dict[str, str | None]) -> None:
    """ALTER TABLE name SET (retention = '30d', ...): checked like CREATE's, then stored."""
    record = record_of(tdef)
    if record is None:
        bad = next(iter(values))
        raise HeliosError(f'unrecognized parameter "{bad}"', sqlstate="22023",
                          hint=f'"{tdef.name}" is not a time-series table (CREATE TIMESERIES TABLE).')
    merged = {**record}
    for key, value in values.items():
        merged[key] = value
    new = checked(tdef, merged)
    txn = session.tx.current()
    txn.alter_table(tdef.schema, tdef.name, options={OPTION: new})
    jobs.ensure_table_jobs(txn, f"{tdef.schema}.{tdef.name}", new)
