"""``tiny``: a small SQL dialect on top of PostgreSQL's, run by the same kernel.

It renames a few functions onto the shared library (``strlen`` is ``length``, ``shout`` is
``upper``, ``mirror`` is this plugin's ``example_reverse``) and adds one statement of its own::

    LIST TABLES [LIKE 'pattern']

which becomes a query of ``information_schema.tables`` (the public schema's tables, by name).
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.tokens import TokenType

from helios_core.hookspecs import SqlDialect


class ListTables(exp.Expression):
    """LIST TABLES [LIKE 'pattern']."""

    arg_types: ClassVar[dict[str, bool]] = {"pattern": False}


class Tiny(Postgres):
    class Parser(Postgres.Parser):
        def _parse_statement(self) -> exp.Expression | None:
            if self._match_text_seq("LIST", "TABLES"):
                pattern = self._parse_string() if self._match(TokenType.LIKE) else None
                return ListTables(pattern=pattern)
            return super()._parse_statement()


def list_tables_query(stmt: ListTables) -> exp.Expression:
    """LIST TABLES -> SELECT table_name FROM information_schema.tables WHERE ... ORDER BY 1."""
    where = exp.column("table_schema").eq(exp.Literal.string("public"))
    pattern = stmt.args.get("pattern")
    if pattern is not None:
        where = exp.and_(where, exp.Like(this=exp.column("table_name"), expression=pattern.copy()))
    return (exp.select("table_name").from_(exp.table_("tables", db="information_schema"))
            .where(where).order_by("table_name"))


TINY = SqlDialect(
    name="tiny",
    sqlglot_dialect=Tiny,
    functions={"strlen": "length", "shout": "upper", "mirror": "example_reverse"},
    statements={ListTables: list_tables_query},
)
