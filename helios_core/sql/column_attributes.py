"""ALTER TABLE ... ALTER COLUMN c SET STORAGE | SET COMPRESSION | SET STATISTICS | SET (...) | RESET (...).

In PostgreSQL these choose a column's TOAST strategy, its compression method, how many values
ANALYZE samples, and per-column planner options (n_distinct). HeliosDB's columnar segments lay
out and compress every column their own way, so what these statements change here is what
PostgreSQL makes visible: the same checks (a fixed-length type takes only PLAIN storage and no
compression, a statistics target of at least -1, known option names) and the values that
pg_attribute, psql's \\d+ and pg_dump read back. pg_dump writes one such statement for each
column whose settings differ from the defaults, so a dump of such a table restores.
"""

from __future__ import annotations

from typing import Any

from helios_core.errors import HeliosError, UndefinedColumn
from helios_core.session import Result
from helios_core.sql import constraints, ddl
from helios_core.sql.catalog_views.pg_catalog import COLUMN_ATTRIBUTES, type_storage
from helios_core.sql.context import table_sql_columns
from helios_core.sql.transactions import warning

STORAGE_CODES = {"plain": "p", "external": "e", "extended": "x", "main": "m"}
COMPRESSION_CODES = {"pglz": "p", "lz4": "l", "default": ""}
_OPTIONS = ("n_distinct", "n_distinct_inherited")
_MAX_STATISTICS = 10000


def alter(session: Any, args: dict[str, Any]) -> Result:
    """Check and record one column attribute change; the result PostgreSQL answers (ALTER TABLE)."""
    txn = session.tx.current()
    tdef = ddl.table_to_alter(session, txn, args["table"], args["if_exists"])
    if isinstance(tdef, Result):
        return tdef
    tname = tdef.name
    cname = args["column"]
    if tdef.column(cname) is None:
        raise UndefinedColumn(f'column "{cname}" of relation "{tname}" does not exist')
    sql_type = dict(table_sql_columns(tdef))[cname]
    md = dict(constraints.column_metadata(tdef, cname))
    attrs_ = dict(md.get(COLUMN_ATTRIBUTES) or {})
    notices: list[Any] = []
    fixed = type_storage(sql_type) == "p"
    if "storage" in args:
        code = STORAGE_CODES.get(args["storage"])
        if code is None:
            raise HeliosError(f'invalid storage type "{args["storage"]}"', sqlstate="22023")
        if fixed and code != "p":
            raise HeliosError(f"column data type {sql_type.sql_name()} can only have storage PLAIN", sqlstate="0A000")
        attrs_["storage"] = code
    if "compression" in args:
        code = COMPRESSION_CODES.get(args["compression"])
        if code is None:
            raise HeliosError(f'invalid compression method "{args["compression"]}"', sqlstate="22023")
        if fixed:
            raise HeliosError(f"column data type {sql_type.sql_name()} does not support compression",
                              sqlstate="0A000")
        attrs_["compression"] = code
    if "statistics" in args:
        try:
            target = int(args["statistics"])
        except ValueError:
            raise HeliosError(f'invalid input syntax for type integer: "{args["statistics"]}"',
                              sqlstate="22P02") from None
        if target < -1:
            raise HeliosError(f"statistics target {target} is too low", sqlstate="22023")
        if target > _MAX_STATISTICS:
            notices.append(warning(f"lowering statistics target to {_MAX_STATISTICS}", "01000"))
            target = _MAX_STATISTICS
        attrs_["stattarget"] = target
    if "options" in args or "reset" in args:
        options = dict(attrs_.get("options") or {})
        for key, value in (args.get("options") or args.get("reset") or {}).items():
            if key not in _OPTIONS:
                raise HeliosError(f'unrecognized parameter "{key}"', sqlstate="22023")
            if value is None:
                options.pop(key, None)
                continue
            try:
                n = float(value)
            except ValueError:
                raise HeliosError(f'invalid value for floating point option "{key}": {value}',
                                  sqlstate="22023") from None
            if n < -1:
                raise HeliosError(f'value {value} out of bounds for option "{key}"', sqlstate="22023",
                                  detail="Valid values are between \"-1.000000\" and \"Infinity\".")
            options[key] = value
        attrs_["options"] = options
    md[COLUMN_ATTRIBUTES] = attrs_
    ddl._set_column_metadata(txn, tdef, cname, md)
    return Result(command_tag="ALTER TABLE", notices=notices)
