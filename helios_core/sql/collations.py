"""Collation names: which ones HeliosDB has, and PostgreSQL's errors for the others.

Text compares by code point everywhere in HeliosDB. In a UTF8 database that is the order of
PostgreSQL's "C" and "POSIX" collations, of "C.utf8" (libc's C.UTF-8 locale) and of "ucs_basic",
and of "default" because the database default here is C (``lc_collate`` says so). Those names
are accepted and change nothing. A linguistic collation (ICU's ``*-x-icu``) orders differently,
so it is refused as unsupported rather than silently ignored; any other name does not exist, as
PostgreSQL 15 on a C.UTF-8 cluster says (42704).
"""

from __future__ import annotations

from sqlglot import exp

from helios_core.errors import DatatypeMismatch, FeatureNotSupported, UndefinedObject

CODE_POINT_COLLATIONS = frozenset({"default", "C", "POSIX", "C.utf8", "ucs_basic"})
_COLLATABLE = frozenset({"text", "varchar", "bpchar", "name", "unknown"})


def collation_name(node: exp.Expression) -> tuple[str | None, str]:
    """(schema or None, name) of a COLLATE operand; unquoted names fold to lower case."""
    def part(n: exp.Expression) -> str:
        if isinstance(n, exp.Identifier):
            return n.this if n.quoted else n.this.lower()
        if isinstance(n, exp.Literal):
            return n.this
        if isinstance(n, exp.Column) and n.args.get("table") is None:
            return part(n.this)
        return n.name.lower()

    if isinstance(node, exp.Column) and node.args.get("table") is not None:
        return part(node.args["table"]), part(node.this)
    if isinstance(node, exp.Dot):
        return part(node.this), part(node.expression)
    return None, part(node)


def check_collation(node: exp.Expression) -> str:
    """The collation's name if HeliosDB has it; else PostgreSQL's error (or 0A000 for ICU)."""
    schema, name = collation_name(node)
    spelled = f"{schema}.{name}" if schema else name
    if schema not in (None, "pg_catalog") or name not in CODE_POINT_COLLATIONS:
        if schema in (None, "pg_catalog") and name.endswith("-x-icu"):
            raise FeatureNotSupported(f'collation "{name}" is not supported: HeliosDB compares text by code '
                                      'point only ("C", "POSIX", "C.utf8", "ucs_basic", "default")')
        raise UndefinedObject(f'collation "{spelled}" for encoding "UTF8" does not exist')
    return name


def check_collatable(type_name: str, element_name: str | None, display: str) -> None:
    """42804 when COLLATE is applied to a type that has no collation (integer, ...)."""
    if (element_name or type_name) not in _COLLATABLE:
        raise DatatypeMismatch(f"collations are not supported by type {display}")
