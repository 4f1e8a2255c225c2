"""regproc input and output over the catalog: `'name'::regproc` finds the function's OID (a user
routine on the search_path, else a built-in by name), and a user routine's OID prints its name.

The planner rewrites `'text'::regproc` into a call of helios_regproc_in, registered here.
"""

from __future__ import annotations

import re

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_core.sql import functions as F
from helios_core.sql.catalog_views import pg_catalog
from helios_core.sql.catalog_views.functions import _model, _search_path_schemas
from helios_core.sql.catalog_views.model import namespace_oid
from helios_core.sql.functions import text_out
from helios_core.sql.functions.proc_oids import builtin_proc_oid


def _user_routine_rows() -> list[tuple]:
    model = _model()
    return [] if model is None or model.txn is None else pg_catalog._user_routines(model)


def routine_name(oid: int) -> str | None:
    """regproc text output of a user routine's OID."""
    return next((row[1] for row in _user_routine_rows() if row[0] == oid), None)


def regproc_oid(name: str) -> int:
    """regproc input: a function's name (optionally schema-qualified or quoted) or an OID.

    A user routine is found in its schema (or on the search_path); a built-in function by its name.
    Several functions of one name are 42725, as PostgreSQL says (regprocedure takes a signature)."""
    text = name.strip()
    if text.isdigit():
        return int(text)
    if text == "-":
        return 0
    parts = [p[1:-1].replace('""', '"') if p.startswith('"') else p.lower() for p in _split_dotted(text)]
    schema, fname = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[-1])
    schemas = [schema] if schema is not None else _search_path_schemas()
    found = [row[0] for row in _user_routine_rows() if row[1] == fname
             and row[2] in {namespace_oid(s) for s in schemas}]
    if len(found) > 1:
        raise HeliosError(f'more than one function named "{text}"', sqlstate="42725")
    if found:
        return found[0]
    if schema in (None, "pg_catalog") and (F.has_function(fname) or fname in _io_function_names()):
        return builtin_proc_oid(fname)
    raise HeliosError(f'function "{text}" does not exist', sqlstate="42883")


def _io_function_names() -> set[str]:
    """The input/output/receive/send functions pg_type names (array_in, int4recv, ...)."""
    if not _IO_NAMES:
        for t in pg_catalog.all_types():
            row = pg_catalog.type_row(t)
            _IO_NAMES.update(v for v in (row[12], *row[15:22]) if isinstance(v, str) and v != "-")
    return _IO_NAMES


_IO_NAMES: set[str] = set()


def _split_dotted(text: str) -> list[str]:
    return re.findall(r'"(?:[^"]|"")*"|[^.]+', text)


text_out.ROUTINE_NAMES[:] = [routine_name]


def _regproc_in(args: list[pa.Array]) -> pa.Array:
    return pa.array([None if v is None else regproc_oid(v) for v in args[0].to_pylist()], pa.int64())


if not F.has_function("helios_regproc_in"):
    F.register_function(SqlFunction(name="helios_regproc_in", impl=_regproc_in, return_type="regproc"))
