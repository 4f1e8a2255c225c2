"""Foreign tables: CREATE/ALTER/DROP FOREIGN TABLE and their OPTIONS, as PostgreSQL 15 keeps them.

A foreign table is stored as a table (so columns, defaults, CHECK and NOT NULL constraints,
inheritance, partitions, comments and \\d+ work as for any table) marked in its options:
``TableDef.options["foreign"]`` = {server, options, column_options}. pg_class shows it with
relkind 'f' and pg_foreign_table holds the server and options. Its rows are never reached:
every wrapper lacks a handler (helios_core.sql.foreign_data), so reading or writing it fails
as PostgreSQL does without one (55000), and so does EXPLAIN.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from helios_core.errors import HeliosError, UndefinedTable
from helios_core.session import Result
from helios_core.sql import foreign_data
from helios_core.sql import object_privileges as P

OPTION = foreign_data.TABLE_OPTION
_SYSTEM_COLUMNS = ("tableoid", "cmax", "xmax", "cmin", "xmin", "ctid")


def definition(tdef: Any) -> dict | None:
    """The SQL/MED part of a foreign table's definition; None for any other table."""
    value = (getattr(tdef, "options", None) or {}).get(OPTION) if tdef is not None else None
    return value if isinstance(value, dict) else None


def label(tdef: Any) -> str:
    """How PostgreSQL names the relation in dependency messages: "foreign table" or "table"."""
    return "foreign table" if definition(tdef) is not None else "table"


def refuse_unique_index(tdef: Any, partitions: list[Any]) -> None:
    """A unique index of a partitioned table needs it on every partition, and a foreign table has
    none (42809 as PostgreSQL, naming the partitioned table)."""
    if any(definition(p) is not None for p in partitions):
        raise HeliosError(f'cannot create unique index on partitioned table "{tdef.name}"', sqlstate="42809",
                          detail=f'Table "{tdef.name}" contains partitions that are foreign tables.')


def refuse_foreign_partition(parent: Any, *, attaching: str | None = None) -> None:
    """A foreign table cannot become a partition of a table with unique indexes (42809)."""
    if not (parent.primary_key or parent.options.get("unique")):
        return
    if attaching is not None:
        raise HeliosError(f'cannot attach foreign table "{attaching}" as partition of partitioned table '
                          f'"{parent.name}"', sqlstate="42809",
                          detail=f'Partitioned table "{parent.name}" contains unique indexes.')
    raise HeliosError(f'cannot create foreign partition of partitioned table "{parent.name}"', sqlstate="42809",
                      detail=f'Table "{parent.name}" contains indexes that are unique.')


def check_scan(txn: Any, tdef: Any) -> None:
    """Reading or writing a foreign table needs its wrapper's handler: 55000 without one."""
    spec = definition(tdef)
    if spec is None:
        return
    srv = foreign_data.server(txn, spec["server"])
    raise foreign_data.no_handler(srv["fdw"])


def _find(session: Any, txn: Any, parts: list[str]) -> Any:
    schemas = [parts[0]] if len(parts) > 1 else session.search_path()
    for schema in schemas:
        tdef = txn.get_table(schema, parts[-1])
        if tdef is not None:
            return tdef
    return None


def _validated(session: Any, txn: Any, server_name: str, options: list, column_options: dict) -> dict:
    srv = foreign_data.server(txn, server_name)
    if not foreign_data.has_usage(session, foreign_data.SERVER, srv):
        raise P.denied(foreign_data.ref(foreign_data.SERVER, srv["name"]))
    validator = foreign_data.wrapper(txn, srv["fdw"]).get("validator")
    table_options = foreign_data.apply_options([], [(None, k, v) for k, v in options])
    foreign_data.validate(validator, "table", table_options)
    columns = {}
    for col, opts in column_options.items():
        columns[col] = foreign_data.apply_options([], [(None, k, v) for k, v in opts])
        foreign_data.validate(validator, "column", columns[col])
    return {"server": srv["name"], "options": table_options, "column_options": columns}


# ------------------------------------------------------------------------------------------ statements
def run(session: Any, st: Any, clauses: dict, dispatch: Any) -> Result:
    """A table statement that came as CREATE/ALTER/DROP/COMMENT ON FOREIGN TABLE: its SQL/MED
    parts, and the table statement itself through ``dispatch``."""
    txn = session.tx.current()
    ast = st.ast
    if isinstance(ast, exp.Expression):
        ast.set("foreign_table", None)
    else:
        ast.args.pop("foreign_table", None)
    verb = clauses["verb"]
    if verb == "create":
        return _create(session, txn, st, clauses, dispatch)
    if verb == "drop":
        return _drop(session, txn, st, dispatch)
    if verb == "comment":
        return dispatch(st)
    tdef = _find(session, txn, clauses["table"].split("."))
    if tdef is None and clauses.get("if_exists"):
        return Result(command_tag="ALTER FOREIGN TABLE",
                      notices=[f'relation "{clauses["table"].split(".")[-1]}" does not exist, skipping'])
    _must_be_foreign(tdef, clauses["table"])
    result = dispatch(st)
    added = clauses.get("column_options") or {}
    if added:
        tdef = txn.get_table(tdef.schema, tdef.name)
        spec = dict(definition(tdef))
        extra = _validated(session, txn, spec["server"], [], added)["column_options"]
        spec["column_options"] = {**spec.get("column_options", {}), **extra}
        txn.alter_table(tdef.schema, tdef.name, options={OPTION: spec})
    _retag(result, "ALTER FOREIGN TABLE")
    return result


def _retag(result: Result, tag: str) -> None:
    """The table statement's Result, tagged as the foreign table statement PostgreSQL reports."""
    result.command_tag = result.kind = tag


def _must_be_foreign(tdef: Any, shown: str) -> None:
    if tdef is None:
        raise UndefinedTable(f'relation "{shown.split(".")[-1]}" does not exist')
    if definition(tdef) is None:
        raise HeliosError(f'"{tdef.name}" is not a foreign table', sqlstate="42809")


def _create(session: Any, txn: Any, st: Any, clauses: dict, dispatch: Any) -> Result:
    parts = clauses["table"]
    schema = parts[0] if len(parts) > 1 else session.current_schema(txn)
    existed = txn.get_table(schema, parts[-1]) is not None
    if clauses.get("partition_of"):
        parent = _find(session, txn, clauses["partition_of"])
        if parent is not None:
            refuse_foreign_partition(parent)
    spec = _validated(session, txn, clauses["server"], clauses["options"], clauses["column_options"])
    result = dispatch(st)
    tdef = txn.get_table(schema, parts[-1])
    if not existed and tdef is not None:
        txn.alter_table(schema, parts[-1], options={OPTION: spec})
    _retag(result, "CREATE FOREIGN TABLE")
    return result


def _drop(session: Any, txn: Any, st: Any, dispatch: Any) -> Result:
    """DROP FOREIGN TABLE: DROP TABLE's work, for foreign tables only (ddl asks dropping_foreign_tables)."""
    with _dropping_foreign():
        result = dispatch(st)
    _retag(result, "DROP FOREIGN TABLE")
    return result


_DROPPING: contextvars.ContextVar[bool] = contextvars.ContextVar("helios_dropping_foreign", default=False)


@contextlib.contextmanager
def _dropping_foreign() -> Iterator[None]:
    token = _DROPPING.set(True)
    try:
        yield
    finally:
        _DROPPING.reset(token)


def dropping_foreign_tables() -> bool:
    """Whether the DROP TABLE running is a DROP FOREIGN TABLE (it drops foreign tables only)."""
    return _DROPPING.get()


def alter_options(session: Any, a: dict) -> Result:
    """ALTER FOREIGN TABLE t OPTIONS (...), ALTER COLUMN c OPTIONS (...): the owner only."""
    txn = session.tx.current()
    tag = "ALTER FOREIGN TABLE"
    tdef = _find(session, txn, a["table"].split("."))
    if tdef is None and a["if_exists"]:
        return Result(command_tag=tag, notices=[f'relation "{a["table"].split(".")[-1]}" does not exist, skipping'])
    _must_be_foreign(tdef, a["table"])
    P.check_owner(session, P.ObjectRef("table", tdef.name, tdef.schema), txn)
    spec = dict(definition(tdef))
    validator = foreign_data.wrapper(txn, foreign_data.server(txn, spec["server"])["fdw"]).get("validator")
    if a["options"] is not None:
        spec["options"] = foreign_data.apply_options(spec.get("options"), a["options"])
        foreign_data.validate(validator, "table", spec["options"])
    columns = dict(spec.get("column_options") or {})
    for col, changes in a["columns"]:
        if col in _SYSTEM_COLUMNS:
            raise HeliosError(f'cannot alter system column "{col}"', sqlstate="0A000")
        if tdef.column(col) is None:
            raise HeliosError(f'column "{col}" of relation "{tdef.name}" does not exist', sqlstate="42703")
        columns[col] = foreign_data.apply_options(columns.get(col), changes)
        foreign_data.validate(validator, "column", columns[col])
    spec["column_options"] = {k: v for k, v in columns.items() if v}
    txn.alter_table(tdef.schema, tdef.name, options={OPTION: spec})
    return Result(command_tag=tag)
