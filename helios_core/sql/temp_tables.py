"""Session-private temporary tables, PostgreSQL style.

Each session keeps its temporary tables in its own schema ``pg_temp_<pid>`` (not a catalog schema:
it exists only while the session has temp tables). Why a schema: every name lookup already goes by
(schema, name), so putting that schema first in the session's effective search path makes temp
tables shadow permanent ones, and other sessions, whose paths never name it, cannot see them.
``pg_temp`` as a qualifier means the session's own temp schema; naming another session's temp
schema is refused as in PostgreSQL. ON COMMIT DROP / DELETE ROWS run just before a commit.
"""

from __future__ import annotations

import re
from typing import Any

from helios_core.errors import HeliosError

_TEMP_RE = re.compile(r"pg_temp_\d+$")


def own_schema(session: Any) -> str:
    """The temp schema of ``session``."""
    return f"pg_temp_{session.pid}"


def is_temp_schema(schema: str) -> bool:
    return schema == "pg_temp" or bool(_TEMP_RE.match(schema))


def hidden_from(session: Any, schema: str) -> bool:
    """True when ``schema`` is another session's temp schema (its objects are not shown)."""
    if not _TEMP_RE.match(schema):
        return False
    return session is None or schema != own_schema(session)


def map_schema(session: Any, schema: str) -> str:
    """An explicit schema qualifier: ``pg_temp`` -> own temp schema; others' temp schemas refused."""
    if session is None or not isinstance(schema, str):
        return schema
    if schema == "pg_temp":
        return own_schema(session)
    if hidden_from(session, schema):
        raise HeliosError("cannot access temporary tables of other sessions", sqlstate="0A000")
    return schema


def register(session: Any, schema: str, name: str, on_commit: str | None) -> None:
    """Remember a temp table created by ``session`` (dropped at close; ON COMMIT action)."""
    session.temp_tables.add((schema, name))
    if on_commit in ("drop", "delete"):
        session.temp_on_commit[(schema, name)] = on_commit


def at_commit(session: Any, txn: Any) -> None:
    """Run ON COMMIT DROP / DELETE ROWS inside ``txn`` just before it commits."""
    from helios_core.sql import ddl

    for key, action in list(session.temp_on_commit.items()):
        schema, name = key
        if txn.get_table(schema, name) is None:
            if action == "drop":
                session.temp_on_commit.pop(key, None)
            continue
        if action == "drop":
            ddl.drop_table_objects(session, txn, schema, name, cascade=True)
            session.temp_on_commit.pop(key, None)
            session.temp_tables.discard(key)
        else:
            txn.truncate(schema, name)
