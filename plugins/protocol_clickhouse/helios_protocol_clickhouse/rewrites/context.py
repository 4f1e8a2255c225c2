"""What a rewrite may need to know about the client: time zone, database, settings, and
the ClickHouse types of tables' columns (declared over ClickHouse or nearest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs


@attrs.define
class RewriteContext:
    timezone: str = "UTC"
    database: str = "default"
    settings: dict[str, str] = attrs.Factory(dict)
    # the branch holds declared ClickHouse types (column_types): system.columns shows them
    declared_types: bool = False
    # (schema, table) -> its columns (column_types.TableColumn) or None: what a query's plain
    # column references are typed by
    table_columns: Callable[[str, str], list[Any] | None] | None = None
    # (U)Int64 + - * computed exactly (numeric) and wrapped around 2^64 afterwards: the second
    # try of a statement the kernel's bigint arithmetic refused as out of range
    exact_integers: bool = False
    # (schema, table) -> the engine it was created with (merge_engines.TableEngine) or None: what
    # FROM t FINAL reads; engines_recorded: the branch holds them (system.tables shows them)
    table_engine: Callable[[str, str], Any] | None = None
    engines_recorded: bool = False
