"""Type names as PostgreSQL's "does not exist, skipping" notices print them: the grammar turns
``int`` into ``pg_catalog.int4`` (and ``double precision`` into ``pg_catalog.float8``...) before
the name is looked up, and TypeNameToString prints what it made, so DROP FUNCTION IF EXISTS
f(int, text) says ``f(pg_catalog.int4,text)``."""

from __future__ import annotations

import re

# the type names PostgreSQL's grammar turns into pg_catalog ones (as its "skipping" notices print them)
_GRAMMAR_TYPES = {
    "int": "int4", "integer": "int4", "int4": "int4", "smallint": "int2", "int2": "int2", "bigint": "int8",
    "int8": "int8", "real": "float4", "float4": "float4", "float": "float8", "float8": "float8",
    "double precision": "float8", "boolean": "bool", "bool": "bool", "numeric": "numeric", "decimal": "numeric",
    "varchar": "varchar", "character varying": "varchar", "char": "bpchar", "character": "bpchar",
    "timestamp": "timestamp", "timestamptz": "timestamptz", "time": "time", "timetz": "timetz",
    "interval": "interval", "bit": "bit", "varbit": "varbit",
}


def grammar_type_name(spelled: str) -> str:
    """A type as PostgreSQL's TypeNameToString prints what the grammar made of it (int -> pg_catalog.int4)."""
    text = " ".join(spelled.split())
    m = re.fullmatch(r"(.*?)\s*((?:\[\s*\d*\s*\])*)", text)
    base, brackets = (m.group(1), m.group(2)) if m else (text, "")
    mapped = _GRAMMAR_TYPES.get(base.lower())
    return (f"pg_catalog.{mapped}" if mapped else base) + "[]" * brackets.count("[")
