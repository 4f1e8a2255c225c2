"""CREATE TABLE ... (LIKE source [INCLUDING | EXCLUDING option ...]): a copy of another table's shape.

As PostgreSQL: LIKE alone copies the columns' names, types and NOT NULL; INCLUDING DEFAULTS,
GENERATED, IDENTITY (a new sequence with the source's options), CONSTRAINTS (CHECK, under their
own names), INDEXES (primary key, unique constraints and every other index, under names made for
the new table), COMMENTS, STORAGE, COMPRESSION and STATISTICS add what they name; INCLUDING ALL is
every one; EXCLUDING takes one away again, the options read left to right. Foreign keys are never
copied. Exclusion constraints under INCLUDING INDEXES are refused by name (not built here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedTable
from helios_core.sql import exclusion_constraints, generated_columns, sequences

__all__ = ["LikeCopy", "copy_of", "options_of"]

OPTIONS = ("COMMENTS", "COMPRESSION", "CONSTRAINTS", "DEFAULTS", "GENERATED", "IDENTITY", "INDEXES",
           "STATISTICS", "STORAGE")
# column metadata that only an option carries over; the rest (the type and what it names) always goes
_OPTIONAL_METADATA = frozenset({"default", "default_sql", generated_columns.KEY, "identity", "sequence",
                                "attributes"})
# a column's statistics target never goes (INCLUDING STATISTICS means extended statistics objects, which
# HeliosDB does not have: CREATE STATISTICS is refused, so there are none to copy)
_ATTRIBUTE_OPTION = {"storage": "STORAGE", "compression": "COMPRESSION"}


@attrs.define
class LikeCopy:
    """What one LIKE element adds to the new table; ``indexes`` and ``comments`` are applied once the
    table exists (ddl.create_table)."""

    columns: list[tuple[str, Any, bool, dict]]  # name, Arrow type, nullable, metadata
    checks: list[dict] = attrs.Factory(list)
    primary_key: list[str] = attrs.Factory(list)
    uniques: list[dict] = attrs.Factory(list)  # unique constraints, without their names
    sequences: list[dict] = attrs.Factory(list)  # identity sequences of the new table
    indexes: list[dict] = attrs.Factory(list)  # catalog records of the source's other indexes
    comments: list[tuple[str, str, str]] = attrs.Factory(list)  # (kind, source object, text)


def options_of(like: exp.LikeProperty) -> set[str]:
    chosen: set[str] = set()
    for prop in like.expressions:
        verb = str(prop.this).upper()
        value = prop.args.get("value")
        word = (value.name if value is not None else "").upper()
        if word not in OPTIONS and word != "ALL":
            raise HeliosError(f'syntax error at or near "{word or verb}"', sqlstate="42601")
        names = set(OPTIONS) if word == "ALL" else {word}
        chosen = chosen | names if verb == "INCLUDING" else chosen - names
    return chosen


def copy_of(txn: Any, source: tuple[str, str], schema: str, table: str, like: exp.LikeProperty,
            sequence_default: Callable[[str, str], str]) -> LikeCopy:
    """The columns and constraints ``LIKE source ...`` gives the new table ``schema.table``
    (``sequence_default(schema, name)``: an identity column's nextval default text)."""
    src = txn.get_table(*source)
    if src is None:
        raise UndefinedTable(f'relation "{source[1]}" does not exist')
    chosen = options_of(like)
    out = LikeCopy(columns=[])
    for c in src.columns:
        md = {k: v for k, v in c.metadata.items() if k not in _OPTIONAL_METADATA}
        if "DEFAULTS" in chosen and c.metadata.get("default") is not None and not c.metadata.get("identity"):
            md["default"] = c.metadata["default"]  # a serial's nextval stays the source's sequence, as in PostgreSQL
            if "default_sql" in c.metadata:
                md["default_sql"] = c.metadata["default_sql"]
        if "GENERATED" in chosen and generated_columns.KEY in c.metadata:
            md[generated_columns.KEY] = c.metadata[generated_columns.KEY]
        if "IDENTITY" in chosen and c.metadata.get("identity"):
            out.sequences.append(_identity_sequence(txn, c, schema, table))
            md["identity"] = c.metadata["identity"]
            md["default"] = sequence_default(schema, out.sequences[-1]["name"])
            md["sequence"] = f"{schema}.{out.sequences[-1]['name']}"
        attributes = {k: v for k, v in (c.metadata.get("attributes") or {}).items()
                      if _ATTRIBUTE_OPTION.get(k) in chosen}
        if attributes:
            md["attributes"] = attributes
        out.columns.append((c.name, c.type, c.nullable, md))
    options = src.options
    if "CONSTRAINTS" in chosen:
        # copied as local, valid constraints (the new table is empty), under their own names
        out.checks = [{k: v for k, v in chk.items() if k not in ("not_valid", "inherit_count")} | {"local": True}
                      for chk in options.get("checks") or [] if not chk.get("enum")]
    # an enum column's allowed labels are part of its type: they always come along
    out.checks += [dict(chk, name=chk["name"].replace(f"{src.name}_", f"{table}_", 1))
                   for chk in options.get("checks") or [] if chk.get("enum")]
    if "INDEXES" in chosen:
        if options.get(exclusion_constraints.OPTION):
            raise FeatureNotSupported("CREATE TABLE ... LIKE ... INCLUDING INDEXES of a table with exclusion "
                                      "constraints is not supported by HeliosDB")
        out.primary_key = list(src.primary_key or [])
        out.uniques = [{k: v for k, v in u.items() if k != "name"} for u in options.get("unique") or []
                       if not u.get("index_only")]
        for name in options.get("indexes") or []:
            rec = txn.catalog_get("index", f"{src.schema}.{name}")
            if rec is not None and not rec.get("constraint"):
                out.indexes.append(rec)
    if "COMMENTS" in chosen:
        out.comments = _comments(txn, src, chosen)
    return out


def _identity_sequence(txn: Any, column: Any, schema: str, table: str) -> dict:
    old = txn.catalog_get("sequence", column.metadata.get("sequence") or "") or {}
    bounds = {k: old[k] for k in ("start", "increment", "minvalue", "maxvalue", "cache") if k in old}
    return sequences.make_definition(schema, f"{table}_{column.name}_seq", data_type=old.get("data_type", "integer"),
                                     cycle=bool(old.get("cycle")), owned_by=f"{schema}.{table}.{column.name}",
                                     **bounds)


def _comments(txn: Any, src: Any, chosen: set[str]) -> list[tuple[str, str, str]]:
    """(kind, source object, text) of the comments the copy takes: its columns', and its CHECK
    constraints' and indexes' when those are copied too."""
    found: list[tuple[str, str, str]] = []
    for c in src.columns:
        text = txn.catalog_get("comment", f"column:{src.schema}.{src.name}.{c.name}")
        if text is not None:
            found.append(("column", c.name, text))
    if "CONSTRAINTS" in chosen:
        for chk in src.options.get("checks") or []:
            text = txn.catalog_get("comment", f"constraint:{src.schema}.{src.name}.{chk['name']}")
            if text is not None and not chk.get("enum"):
                found.append(("constraint", chk["name"], text))
    if "INDEXES" in chosen:
        for name in src.options.get("indexes") or []:
            text = txn.catalog_get("comment", f"index:{src.schema}.{name}")
            if text is not None:
                found.append(("index", name, text))
    return found

