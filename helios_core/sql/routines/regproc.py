"""regproc: a function named by its OID, read and written as its name ('myavg'::regproc, the
aggtransfn column of pg_aggregate).

A name reaches the session's CREATE FUNCTION/AGGREGATE routines along the search_path, then the
built-in functions (whose pg_proc OIDs pg_catalog.pg_proc gives); 0 prints as "-", as in PostgreSQL.
"""

from __future__ import annotations

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_core.sql import functions
from helios_core.sql.catalog_views import builtin_routines
from helios_core.sql.catalog_views.functions import ACTIVE_SESSION
from helios_core.sql.functions import text_out
from helios_core.sql.functions.proc_oids import builtin_proc_oid, proc_name
from helios_core.sql.routines import definition


def builtin_oid(name: str) -> int:
    """The pg_proc OID of a built-in function (one numbering with pg_type's typinput and pg_proc)."""
    return builtin_proc_oid(name)


def _session_txn() -> tuple:
    session = ACTIVE_SESSION.get()
    txn = getattr(getattr(session, "tx", None), "txn", None) if session is not None else None
    return session, txn


def oid_of(name: str) -> int:
    """regproc input: 42883 for no such function, 42725 for a name with several overloads."""
    text = name.strip()
    if text.isdigit():
        return int(text)
    if text == "-":  # no function, as regproc prints 0
        return 0
    dotted = ".".join(p[1:-1] if p.startswith('"') else p.lower() for p in text.split("."))
    session, txn = _session_txn()
    found = definition.find(session, txn, dotted) if txn is not None else []
    if len(found) > 1:
        raise HeliosError(f'more than one function named "{text}"', sqlstate="42725")
    if found:
        return int(found[0].record.get("oid") or 0)
    from helios_core.sql.catalog_views.pg_catalog import io_function_names  # pg_catalog imports this module

    bare = dotted.removeprefix("pg_catalog.")
    listed = builtin_routines.by_name().get(bare, ()) if "." not in bare else ()
    if len(listed) > 1:
        raise HeliosError(f'more than one function named "{text}"', sqlstate="42725")
    if listed:
        return listed[0].oid
    if "." not in bare and (functions.has_function(bare) or bare in io_function_names()):
        return builtin_oid(bare)
    raise HeliosError(f'function "{text}" does not exist', sqlstate="42883")


def name_of(oid: int) -> str | None:
    """regproc output: the function's name, "-" for 0, None when no function has that OID."""
    if oid == 0:
        return "-"
    if proc_name(oid) is not None:
        return proc_name(oid)
    _session, txn = _session_txn()
    if txn is None:
        return None
    builtins = set()
    for value in txn.catalog_list(definition.KIND).values():
        for record in value.get("overloads") or []:
            if int(record.get("oid") or 0) == oid:
                return record["name"]
            for key in ("sfunc", "finalfunc", "combinefunc", "msfunc", "minvfunc"):
                support = (record.get("aggregate") or {}).get(key)
                if support and "." not in support:
                    builtins.add(support)  # a built-in an aggregate names (pg_aggregate's columns)
    return next((n for n in sorted(builtins) if builtin_oid(n) == oid), None)


def _regproc_in(args: list[pa.Array]) -> pa.Array:
    return pa.array([None if v is None else oid_of(v) for v in args[0].to_pylist()], pa.int64())


text_out.FUNCTION_NAMES[:] = [name_of]
if not functions.has_function("helios_regproc_in"):
    functions.register_function(SqlFunction(name="helios_regproc_in", impl=_regproc_in, return_type="regproc"))
