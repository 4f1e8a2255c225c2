"""CREATE OR REPLACE VIEW may only add columns at the end, as in PostgreSQL.

Queries and other views read a view by its columns' positions, names and types; PostgreSQL
refuses a replacement that drops a column, renames one or changes its type (42P16, with the
hint to use ALTER VIEW ... RENAME COLUMN), and so does ``check_replacement``. New columns after
the old ones are allowed.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.sql import types as T


def check_replacement(session: Any, txn: Any, schema: str, name: str, new_names: list[str],
                      new_types: list[Any]) -> None:
    """42P16 when the view's new columns drop, rename or retype any of its current ones."""
    query = exp.select("*").from_(exp.table_(name, db=schema, quoted=True))
    old = session.plan_query(query, session.context(txn)).columns
    if len(new_names) < len(old):
        raise HeliosError("cannot drop columns from view", sqlstate="42P16")
    for (old_name, old_type), new_name, new_type in zip(old, new_names, new_types, strict=False):
        if new_name != old_name:
            raise HeliosError(f'cannot change name of view column "{old_name}" to "{new_name}"', sqlstate="42P16",
                              hint="Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead.")
        new_type = T.TEXT if new_type == T.UNKNOWN else new_type  # a view stores an unknown literal as text
        if new_type.sql_name() != old_type.sql_name():
            raise HeliosError(f'cannot change data type of view column "{old_name}" from {old_type.sql_name()} '
                              f"to {new_type.sql_name()}", sqlstate="42P16")
