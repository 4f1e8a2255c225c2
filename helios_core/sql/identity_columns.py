"""ALTER TABLE ... ALTER COLUMN c ADD GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY [(sequence options)].

pg_dump writes every identity column this way, after a CREATE TABLE that declares it a
plain NOT NULL column, so restoring a dump needs it. PostgreSQL's rules: the column must be
NOT NULL, have no default and not be an identity column already (55000 otherwise); the
sequence (``SEQUENCE NAME``, or ``<table>_<column>_seq``) belongs to the column.
"""

from __future__ import annotations

from typing import Any

from helios_core.errors import HeliosError, UndefinedColumn
from helios_core.session import Result
from helios_core.sql import constraints, ddl, sequences
from helios_core.sql.context import table_sql_columns


def add_identity(session: Any, args: dict[str, Any]) -> Result:
    txn = session.tx.current()
    tdef = ddl.table_to_alter(session, txn, args["table"], args["if_exists"])
    if isinstance(tdef, Result):
        return tdef
    schema, tname = tdef.schema, tdef.name
    cname = args["column"]
    col = tdef.column(cname)
    if col is None:
        raise UndefinedColumn(f'column "{cname}" of relation "{tname}" does not exist')
    md = dict(constraints.column_metadata(tdef, cname))
    where = f'column "{cname}" of relation "{tname}"'
    if md.get("identity"):
        raise HeliosError(f"{where} is already an identity column", sqlstate="55000")
    if col.nullable:
        raise HeliosError(f"{where} must be declared NOT NULL before identity can be added", sqlstate="55000")
    if md.get("default") is not None:
        raise HeliosError(f"{where} already has a default value", sqlstate="55000")
    sql_type = dict(table_sql_columns(tdef))[cname]
    if sql_type.name not in ("int2", "int4", "int8"):
        raise HeliosError("identity column type must be smallint, integer, or bigint", sqlstate="22023")
    opts = dict(args["options"])
    seq_schema, _, seq_name = (opts.pop("sequence_name", None) or f"{tname}_{cname}_seq").rpartition(".")
    seq_schema = seq_schema or schema
    definition = sequences.make_definition(
        seq_schema,
        seq_name,
        data_type=opts.pop("data_type", None) or ddl._seq_type(sql_type),
        owned_by=f"{schema}.{tname}.{cname}",
        **opts,
    )
    if ddl.relation_kind(txn, seq_schema, seq_name) is not None:
        raise HeliosError(f'relation "{seq_name}" already exists', sqlstate="42P07")
    txn.catalog_put("sequence", f"{seq_schema}.{seq_name}", definition)
    md["identity"] = "always" if args["always"] else "by default"
    md["default"] = ddl._sequence_default(seq_schema, seq_name)
    md["sequence"] = f"{seq_schema}.{seq_name}"
    ddl._set_column_metadata(txn, tdef, cname, md)
    session.engine.bump_plan_generation()
    return Result(command_tag="ALTER TABLE")
