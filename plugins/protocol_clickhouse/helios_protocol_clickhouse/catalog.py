"""ClickHouse databases are HeliosDB schemas of the session's database.

ClickHouse's ``default`` database is the schema ``public``; any other ClickHouse database
``db`` is the schema ``db``. ``to_postgres`` renders a translated tree as the kernel's SQL
with table references mapped so (``default.t`` -> ``public.t``).
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from helios_protocol_clickhouse.errors import ClickHouseError

DEFAULT_SCHEMA = "public"


def schema_of(database: str | None) -> str:
    """The HeliosDB schema of a ClickHouse database name."""
    if not database or database == "default":
        return DEFAULT_SCHEMA
    return database


def database_of(schema: str) -> str:
    """The ClickHouse database name of a HeliosDB schema."""
    return "default" if schema == DEFAULT_SCHEMA else schema


def map_databases(tree: exp.Expression) -> exp.Expression:
    for table in tree.find_all(exp.Table):
        db = table.args.get("db")
        if isinstance(db, exp.Identifier) and db.name == "default":
            table.set("db", exp.to_identifier(DEFAULT_SCHEMA))
    return tree


def keep_case(tree: exp.Expression) -> exp.Expression:
    """Every name quoted: ClickHouse's identifiers are case-sensitive (``Customers`` and
    ``customers`` are two tables), where PostgreSQL folds unquoted ones to lower case. A table
    created over PostgreSQL as ``customers`` is ``customers`` here too; one created here as
    ``Customers`` is ``"Customers"`` to PostgreSQL."""
    for ident in tree.find_all(exp.Identifier):
        ident.set("quoted", True)
    return tree


def to_postgres(tree: exp.Expression) -> str:
    """The kernel's SQL text of a translated tree; a clause PostgreSQL's grammar cannot say
    (e.g. ORDER BY ... WITH FILL, SAMPLE) is refused with 48 rather than dropped."""
    try:
        return keep_case(map_databases(tree)).sql(dialect="postgres", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise ClickHouseError(48, f"Not implemented: {str(exc).splitlines()[0]}") from None
