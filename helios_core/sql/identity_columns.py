"""Identity columns changed by ALTER TABLE ... ALTER COLUMN c: ADD GENERATED {ALWAYS | BY DEFAULT}
AS IDENTITY [(sequence options)], DROP IDENTITY [IF EXISTS], SET GENERATED / SET <sequence option> /
RESTART.

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
    sql_type = dict(table_sql_columns(tdef))[cname]
    if sql_type.name not in ("int2", "int4", "int8"):
        raise HeliosError("identity column type must be smallint, integer, or bigint", sqlstate="22023")
    if md.get("identity"):
        raise HeliosError(f"{where} is already an identity column", sqlstate="55000")
    if col.nullable:
        raise HeliosError(f"{where} must be declared NOT NULL before identity can be added", sqlstate="55000")
    if md.get("default") is not None:
        raise HeliosError(f"{where} already has a default value", sqlstate="55000")
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


def _identity_column(session: Any, args: dict[str, Any]) -> tuple[Any, Any, str, dict] | Result:
    """(txn, table, column name, column metadata) of an ALTER TABLE ... ALTER COLUMN statement."""
    txn = session.tx.current()
    tdef = ddl.table_to_alter(session, txn, args["table"], args["if_exists"])
    if isinstance(tdef, Result):
        return tdef
    cname = args["column"]
    if tdef.column(cname) is None:
        raise UndefinedColumn(f'column "{cname}" of relation "{tdef.name}" does not exist')
    return txn, tdef, cname, dict(constraints.column_metadata(tdef, cname))


def drop_identity(session: Any, args: dict[str, Any]) -> Result:
    """ALTER COLUMN c DROP IDENTITY [IF EXISTS]: the column becomes a plain NOT NULL column without
    a default, and its sequence is dropped with it."""
    found = _identity_column(session, args)
    if isinstance(found, Result):
        return found
    txn, tdef, cname, md = found
    if not md.get("identity"):
        message = f'column "{cname}" of relation "{tdef.name}" is not an identity column'
        if args["missing_ok"]:
            return Result(command_tag="ALTER TABLE", notices=[f"{message}, skipping"])
        raise HeliosError(message, sqlstate="55000")
    sequence = md.pop("sequence", None)
    md.pop("identity", None)
    md.pop("default", None)
    ddl._set_column_metadata(txn, tdef, cname, md)
    if sequence:
        txn.catalog_delete("sequence", sequence)  # its cached counter stays: the ALTER may roll back
    session.engine.bump_plan_generation()
    return Result(command_tag="ALTER TABLE")


def alter_identity(session: Any, args: dict[str, Any]) -> Result:
    """ALTER COLUMN c SET GENERATED {ALWAYS | BY DEFAULT} / SET <sequence option> / RESTART [WITH n]:
    the identity's kind, and its sequence as ALTER SEQUENCE would change it."""
    found = _identity_column(session, args)
    if isinstance(found, Result):
        return found
    txn, tdef, cname, md = found
    if not md.get("identity"):
        raise HeliosError(f'column "{cname}" of relation "{tdef.name}" is not an identity column', sqlstate="55000")
    if args["generated"] is not None:
        md["identity"] = args["generated"]
        ddl._set_column_metadata(txn, tdef, cname, md)
    options = dict(args["options"])
    restart = options.pop("restart", "absent")
    key = md.get("sequence")
    seq = txn.catalog_get("sequence", key) if key else None
    if seq is not None and options:
        seq = sequences.redefined(seq, **options)
        txn.catalog_put("sequence", key, seq)
    if seq is not None and restart != "absent":
        sequences.restart(session, key, seq, restart)
    session.engine.bump_plan_generation()
    return Result(command_tag="ALTER TABLE")

