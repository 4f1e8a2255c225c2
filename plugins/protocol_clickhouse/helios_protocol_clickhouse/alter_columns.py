"""ALTER TABLE's column actions as ClickHouse runs them, where one statement alone does not:

    ALTER TABLE t DROP COLUMN `n.d`, MODIFY COLUMN s Int64      -- several actions, in turn
    ALTER TABLE t ADD COLUMN IF NOT EXISTS n Nested(a UInt8)    -- nothing when n.* is there
    ALTER TABLE t DROP COLUMN n                                 -- a Nested structure: its arrays
    ALTER TABLE t MODIFY COLUMN IF EXISTS x UInt64              -- nothing when there is no x
    ALTER TABLE t MODIFY COLUMN a ALIAS [0, 1, 2]               -- a column's expression changed
    ALTER TABLE t COMMENT COLUMN [IF EXISTS] x 'text'

Each action runs as an ALTER of its own through the usual path. MODIFY COLUMN to a DEFAULT,
MATERIALIZED or ALIAS expression changes what fills the column for the rows that come later
(the kernel's DEFAULT for a constant, else a BEFORE INSERT trigger: ``expression_defaults``) and
records the column's kind (``column_kinds``: an ALIAS or MATERIALIZED column leaves ``SELECT *``);
an ALIAS, which ClickHouse computes whenever it is read, is computed again for the rows there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from helios_protocol_clickhouse import column_kinds, column_types, expression_defaults
from helios_protocol_clickhouse.dialect import HeliosClickHouse
from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.results import ChResult
from helios_protocol_clickhouse.rewrites.ddl import zero_default
from helios_protocol_clickhouse.types import canonical_type, parse_type, sql_type

if TYPE_CHECKING:
    from helios_protocol_clickhouse.execute import ClickHouseSession

_ALTER = re.compile(r"^ALTER\s+TABLE\s+(?P<table>(?:`[^`]+`|\"[^\"]+\"|[\w.])+)\s+(?:ON\s+CLUSTER\s+\S+\s+)?"
                    r"(?P<actions>(?:ADD|DROP|MODIFY|COMMENT)\s+COLUMN\b.*)$", re.IGNORECASE | re.DOTALL)
_NAME = r"(?P<name>`[^`]+`|\"[^\"]+\"|[\w.]+)"
_ACTION = re.compile(r"^(?P<verb>ADD|DROP|MODIFY|COMMENT)\s+COLUMN\s+(?P<cond>IF\s+(?:NOT\s+)?EXISTS\s+)?"
                     + _NAME + r"(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_EXPRESSION_KIND = re.compile(r"^\s*(?:\S.*?\s+)?(DEFAULT|MATERIALIZED|ALIAS)\s", re.IGNORECASE | re.DOTALL)


def split_actions(text: str) -> list[str]:
    """The comma-separated actions of an ALTER (commas inside brackets and quotes left alone)."""
    out, depth, quote, start = [], 0, "", 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'`\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
        i += 1
    out.append(text[start:].strip())
    return [a for a in out if a]


def _unquote(name: str) -> str:
    return name[1:-1] if name[:1] in ("`", '"') and name[-1:] == name[:1] else name


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "\\`") + "`"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def try_alter_columns(ch: ClickHouseSession, sql: str,
                      in_transaction: Callable[[ClickHouseSession, list[str]], Any]) -> list[ChResult] | None:
    """Run an ALTER TABLE's column actions this module answers for (None: the usual path runs it);
    ``in_transaction`` runs kernel statements as one transaction."""
    m = _ALTER.match(sql)
    if m is None:
        return None
    actions = []
    for text in split_actions(m.group("actions")):
        a = _ACTION.match(text)
        if a is None:
            return None
        actions.append(a)
    if not any(_needs_this_path(a) for a in actions) and len(actions) == 1:
        return None
    table = m.group("table")
    parts = [_unquote(p) for p in re.findall(r"`[^`]+`|\"[^\"]+\"|[^.]+", table)]
    db, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[-1])
    schema = ch.schema_of_table(db, name)
    if ch.table_columns(schema, name) is None:
        raise ClickHouseError(60, f"Table {db or ch.database}.{name} does not exist")
    for a in actions:
        _run_action(ch, table, schema, name, a, in_transaction)
    return [ChResult(kind="ALTER")]


def _needs_this_path(a: re.Match[str]) -> bool:
    verb = a.group("verb").upper()
    return bool(a.group("cond")) or verb in ("DROP", "COMMENT", "MODIFY")


def _run_action(ch: ClickHouseSession, table: str, schema: str, name: str, a: re.Match[str],
                in_transaction: Callable[[ClickHouseSession, list[str]], Any]) -> None:
    verb, column, rest = a.group("verb").upper(), _unquote(a.group("name")), a.group("rest")
    names = [c.name for c in ch.table_columns(schema, name) or []]
    nested = [c for c in names if c.startswith(column + ".")]
    present = column in names or bool(nested)
    if a.group("cond") and (present if verb == "ADD" else not present):
        return  # IF NOT EXISTS of one there, IF EXISTS of none
    if verb == "DROP" and present:  # a Nested structure: each of its arrays
        for sub in [column] if column in names else nested:
            # the trigger that filled it goes first (it would fail the next INSERT), and its kind
            forget = expression_defaults.column_trigger_drops(ch.session, schema, name, sub)
            if column_kinds.exists(ch.session):
                forget.append(column_kinds.forget_column_statement(schema, name, sub))
            if forget:
                in_transaction(ch, forget)
            ch.run_statement(f"ALTER TABLE {table} DROP COLUMN {_quoted(sub)}")
        return
    if verb == "COMMENT":
        if column not in names:
            raise ClickHouseError(10, f"Wrong column name. Cannot find column {column} to comment")
        text = sqlglot.parse_one(rest.strip(), read=HeliosClickHouse)
        if not isinstance(text, exp.Literal) or not text.is_string:
            raise ClickHouseError(62, "Syntax error: COMMENT COLUMN takes a string")
        quoted = text.this.replace("'", "''")
        in_transaction(ch, [f"COMMENT ON COLUMN {_ident(schema)}.{_ident(name)}.{_ident(column)} IS '{quoted}'"])
        return
    if verb == "DROP" and column not in names:
        raise ClickHouseError(10, f"Wrong column name. Cannot find column `{column}` to drop")
    if verb == "MODIFY" and _EXPRESSION_KIND.match(rest + " ") is not None:
        _modify_expression(ch, table, schema, name, column, rest, in_transaction)
        return
    if verb == "MODIFY" and rest.strip():
        _modify_type(ch, table, schema, name, column, rest.strip(), in_transaction)
        return
    ch.run_statement(f"ALTER TABLE {table} {verb} COLUMN {_quoted(column)}{rest}")


def _modify_type(ch: ClickHouseSession, table: str, schema: str, name: str, column: str, type_text: str,
                 in_transaction: Callable[[ClickHouseSession, list[str]], Any]) -> None:
    """MODIFY COLUMN c type: the values converted (the usual path), the declared type recorded; a column
    whose DEFAULT was its type's zero gets the new type's."""
    if column not in [c.name for c in ch.table_columns(schema, name) or []]:
        raise ClickHouseError(10, f"Wrong column name. Cannot find column `{column}` to modify")
    try:
        declared = canonical_type(parse_type(type_text))
    except (ValueError, ClickHouseError):
        declared = None
    implicit = column_types.implicit_default(ch.session, schema, name, column)
    ch.run_statement(f"ALTER TABLE {table} MODIFY COLUMN {_quoted(column)} {type_text}")
    if declared is None or not column_types.declarations_exist(ch.session):
        return
    statements = column_types.add_statements(schema, name, [(column, str(declared), not implicit)])
    zero = zero_default(sql_type(declared)) if implicit and not declared.nullable else None
    if zero is not None:
        statements.append(f"ALTER TABLE {_ident(schema)}.{_ident(name)} ALTER COLUMN {_ident(column)} "
                          f"SET DEFAULT {zero}")
    in_transaction(ch, statements)


def _modify_expression(ch: ClickHouseSession, table: str, schema: str, name: str, column: str, rest: str,
                       in_transaction: Callable[[ClickHouseSession, list[str]], Any]) -> None:
    """MODIFY COLUMN c [type] DEFAULT|MATERIALIZED|ALIAS expr."""
    try:
        create = sqlglot.parse_one(f"CREATE TABLE _t ({_quoted(column)} {rest}) ENGINE = Memory",
                                   read=HeliosClickHouse)
    except sqlglot.errors.ParseError as exc:
        raise ClickHouseError(62, f"Syntax error: {str(exc).splitlines()[0]}") from None
    definition = create.this.expressions[0]
    if definition.args.get("kind") is not None:  # the type first
        _modify_type(ch, table, schema, name, column, definition.args["kind"].sql(dialect="clickhouse"),
                     in_transaction)
    found = column_kinds.expression_of(definition)
    if found is None:
        raise ClickHouseError(62, f"Syntax error: no expression for column {column}")
    kind, constraint = found
    expression = constraint.kind.this
    columns = ch.table_columns(schema, name) or []
    type_name = next(c.type for c in columns if c.name == column)
    order = column_kinds.ordered_columns(ch, schema, name)
    relation = f"{_ident(schema)}.{_ident(name)}"
    target = _ident(column)
    statements = expression_defaults.column_trigger_drops(ch.session, schema, name, column)
    over_columns = expression.find(exp.Column) is not None
    if over_columns:
        statements.append(f"ALTER TABLE {relation} ALTER COLUMN {target} DROP DEFAULT")
        statements += expression_defaults.trigger_statements(
            ch, schema, name, [(order.index(column) + 1, column, expression, type_name)])
    else:
        value = expression_defaults.kernel_expression(ch, schema, name, expression, type_name, None)
        statements.append(f"ALTER TABLE {relation} ALTER COLUMN {target} SET DEFAULT {value}")
    before = column_kinds.described_defaults(ch.session, schema, name).get(column, ("", ""))[0]
    if "ALIAS" in (kind, before):  # an ALIAS is computed whenever read (and never stored): the rows there take it
        value = expression_defaults.kernel_expression(ch, schema, name, expression, type_name, None)
        statements.append(f"UPDATE {relation} SET {target} = {value}")
    recorded = kind if kind != "DEFAULT" or over_columns else ""
    statements += column_kinds.kind_statements(schema, name, column, recorded,
                                               expression.sql(dialect="clickhouse"))
    in_transaction(ch, statements)
