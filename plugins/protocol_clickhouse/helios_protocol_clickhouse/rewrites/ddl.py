"""ClickHouse DDL onto HeliosDB tables.

    CREATE TABLE t (a UInt8, s Nullable(String)) ENGINE = MergeTree ORDER BY a
    -> CREATE TABLE t (a smallint NOT NULL DEFAULT 0, s text)

Columns take their nearest SQL type (``types.sql_type``). A column that is not Nullable is
NOT NULL with the type's default value (0, '', 1970-01-01, []) when it names none, as
ClickHouse fills omitted columns. Engines: MergeTree, Memory, Log, TinyLog, StripeLog
(ORDER BY, PRIMARY KEY, PARTITION BY, SAMPLE BY and SETTINGS change how ClickHouse
stores rows, not what a query returns) and the merging engines Replacing/Summing/Collapsing/
VersionedCollapsingMergeTree and AggregatingMergeTree (``merge_engines``: their merges do change the
rows); AggregateFunction columns hold states as text (``aggregate_states``), SimpleAggregateFunction(f, T)
columns are T; the Null engine keeps no rows (its INSERTs feed materialized views). TTL and the other engines are refused with 48 NOT_IMPLEMENTED. CREATE/DROP DATABASE are
schemas.
"""

from __future__ import annotations

import re

from sqlglot import exp

from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.merge_engines import MERGING_ENGINES
from helios_protocol_clickhouse.rewrites.context import RewriteContext
from helios_protocol_clickhouse.types import ChType, parse_type, sql_type

# the table engines CREATE TABLE takes (as ClickHouse spells them): they decide storage, not answers
ENGINE_NAMES = ("MergeTree", "Memory", "Log", "TinyLog", "StripeLog", "ReplicatedMergeTree", "Null", "Join",
                *MERGING_ENGINES)
PLAIN_ENGINES = {name.lower() for name in ENGINE_NAMES}

_ZERO = {"smallint": "0", "integer": "0", "bigint": "0", "real": "0", "double precision": "0",
         "text": "''", "boolean": "false", "date": "'1970-01-01'", "timestamp": "'1970-01-01 00:00:00'",
         "uuid": "'00000000-0000-0000-0000-000000000000'", "jsonb": "'{}'"}


def _zero(sql: str) -> str | None:
    if sql.endswith("[]"):
        return "'{}'"
    if sql.startswith("numeric"):
        return "0"
    if sql.startswith("timestamp"):
        return "'1970-01-01 00:00:00'"
    return _ZERO.get(sql)


zero_default = _zero  # the kernel's DEFAULT of a non-Nullable column of a SQL type (None: none)


def rewrite(tree: exp.Expression, ctx: RewriteContext) -> exp.Expression:
    if isinstance(tree, exp.Create):
        kind = str(tree.args.get("kind") or "").upper()
        if kind == "TABLE":
            return _create_table(tree)
        if kind in ("DATABASE", "SCHEMA"):
            tree.set("kind", "SCHEMA")
            tree.set("properties", None)
        return tree
    if isinstance(tree, exp.Alter) and str(tree.args.get("kind") or "").upper() == "TABLE":
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.ColumnDef):  # ADD COLUMN: typed as CREATE TABLE types its columns
                _column(action)
                action.set("position", None)  # AFTER the last column: the statement layer checked it
        return tree
    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            tree.set("kind", "SCHEMA")
            tree.set("cascade", True)
    return tree


def _create_table(create: exp.Create) -> exp.Expression:
    properties = create.args.get("properties")
    if properties is not None:
        for prop in properties.expressions:
            if isinstance(prop, exp.EngineProperty):
                engine = prop.this.name if isinstance(prop.this, exp.Identifier) else \
                    "Null" if isinstance(prop.this, exp.Null) else prop.this.sql()
                base = engine.split("(")[0].strip().lower()
                if isinstance(prop.this, exp.Anonymous):
                    base = str(prop.this.this).lower()
                if base not in PLAIN_ENGINES:
                    raise ClickHouseError(48, f"Table engine {engine} is not supported (supported: "
                                              f"{', '.join(ENGINE_NAMES)})")
            elif type(prop).__name__ in ("MergeTreeTTL",):
                raise ClickHouseError(48, "TTL is not supported yet")
        # TEMPORARY stays: the table is the session's own, as a ClickHouse session's temporary table
        kept = [p for p in properties.expressions if isinstance(p, exp.TemporaryProperty)]
        create.set("properties", exp.Properties(expressions=kept) if kept else None)
    schema = create.this
    if isinstance(schema, exp.Schema):
        for column in schema.expressions:
            if isinstance(column, exp.ColumnDef):
                _column(column)
    return create


def _column(column: exp.ColumnDef) -> None:
    kind = column.args.get("kind")
    if kind is None:
        raise ClickHouseError(48, f"Column {column.name} needs a type")
    ch = parse_type(kind.sql(dialect="clickhouse"))
    unsupported = _unsupported_part(ch)
    if unsupported:
        raise ClickHouseError(48, f"Column {column.name}: {unsupported} columns are not supported yet")
    sql = sql_type(ch)
    column.set("kind", exp.DataType.build(sql, dialect="postgres"))
    constraints = list(column.args.get("constraints") or [])
    kept = []
    has_default = False
    for c in constraints:
        k = c.kind
        if isinstance(k, exp.DefaultColumnConstraint):
            has_default = True
            if k.this is not None and k.this.find(exp.Column):  # computed by a trigger (expression_defaults)
                continue
            if isinstance(k.this, exp.Literal) and k.this.is_string and k.this.this.startswith("0000-00-00") and \
                    sql.startswith(("date", "timestamp")):  # the zero date: ClickHouse's least one
                k.set("this", exp.Literal.string("1970-01-01" + k.this.this[10:]))
            kept.append(c)
        elif isinstance(k, exp.CommentColumnConstraint):
            continue  # COMMENT ON COLUMN after the table is made (statements.column_comments)
        elif isinstance(k, exp.NotNullColumnConstraint):
            kept.append(c)
        elif type(k).__name__ in ("CompressColumnConstraint", "CodecColumnConstraint"):
            continue  # a codec: storage only
        else:
            raise ClickHouseError(48, f"Column option {c.sql(dialect='clickhouse')} is not supported")
    inner = ch.inner
    if inner.name in ("Enum8", "Enum16") and inner.args:
        labels = [exp.Literal.string(enum_label(str(a))) for a in inner.args]
        kept.append(exp.ColumnConstraint(this=exp.to_identifier(f"{column.name}{ENUM_CHECK_SUFFIX}"),
                                         kind=exp.CheckColumnConstraint(
                                             this=exp.In(this=exp.column(column.name), expressions=labels))))
        if not has_default and not ch.nullable:  # ClickHouse's default of an Enum: its label of the least number
            kept.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(
                this=exp.Literal.string(enum_default(inner)))))
            has_default = True
    if not ch.nullable:
        if not has_default:
            zero = _zero(sql)
            if zero is not None:
                kept.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(
                    this=exp.maybe_parse(zero, dialect="postgres"))))
        if not column.meta.get(NOT_NULL_LATER):
            kept.append(exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
    column.set("constraints", kept)


# a column added with a DEFAULT over other columns: NOT NULL only once its rows are filled
NOT_NULL_LATER = "ch_not_null_later"


def _unsupported_part(t: ChType) -> str | None:
    """Map or Tuple anywhere in a column's type: the kernel's tables have no column of them."""
    if t.name in ("Map", "Tuple", "Nested"):
        return t.name
    if t.name in ("AggregateFunction", "SimpleAggregateFunction"):  # states as text, simple ones as values
        return None
    for arg in t.args:
        inner = getattr(arg, "type", arg)
        if isinstance(inner, ChType):
            found = _unsupported_part(inner)
            if found:
                return found
    return None


ENUM_CHECK_SUFFIX = "_enum_labels"  # the name of an Enum column's labels check: its violation is 691


def enum_default(enum: ChType) -> str:
    """The label an Enum8/16 takes by default: the one with the least number."""
    pairs = []
    for n, arg in enumerate(enum.args):
        label, _, number = str(arg).rpartition("=")
        pairs.append((int(number) if label else n + 1, enum_label(str(arg))))
    return min(pairs)[1]


_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED = {"t": "\t", "n": "\n", "r": "\r", "0": "\0", "b": "\b", "f": "\f", "a": "\a", "v": "\v", "e": "\x1b"}


def enum_label(arg: str) -> str:
    """``'a' = 1`` (or ``'a'``) -> ``a``; escapes read as in any string literal (``'\\t'`` is a tab)."""
    text = arg.strip()
    if text.startswith("'"):
        end = len(text) - 1
        if not text.endswith("'") or end == 0:
            end = _closing_quote(text)
        return _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), text[1:end])
    return text.split("=")[0].strip()


def _closing_quote(text: str) -> int:
    """The index of the quote that ends the literal starting ``text``."""
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "'":
            return i
        i += 1
    return len(text)
