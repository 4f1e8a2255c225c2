"""The statements of a PL/pgSQL body, as the parser builds them.

Expressions and SQL statements stay text: they are run by the SQL engine with the
block's variables bound as parameters (helios_core.plpgsql.sql_binding).
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.define
class Declaration:
    name: str
    type_text: str  # as written: "integer", "t%ROWTYPE", "t.c%TYPE", "record"
    default: str | None = None
    constant: bool = False
    not_null: bool = False
    alias_of: str | None = None  # name ALIAS FOR $1 / other
    cursor_query: str | None = None  # name CURSOR [(params)] FOR query: a bound cursor variable
    cursor_params: list[tuple[str, str]] = attrs.Factory(list)  # (name, type as written)


@attrs.define
class Block:
    body: list[Any]
    declarations: list[Declaration] = attrs.Factory(list)
    handlers: list[Handler] = attrs.Factory(list)
    label: str | None = None


@attrs.define
class Handler:
    conditions: list[str]  # condition names (lower case) or "sqlstate:XXXXX"
    body: list[Any]


@attrs.define
class Assign:
    target: str  # "x" or "rec.field"
    expr: str
    subscripts: list[str] = attrs.Factory(list)  # x[i][j] := ...: the subscript expressions


@attrs.define
class If:
    branches: list[tuple[str, list[Any]]]  # (condition, statements)
    otherwise: list[Any] | None = None


@attrs.define
class Case:
    subject: str | None
    branches: list[tuple[str, list[Any]]]  # (WHEN expression list / condition, statements)
    otherwise: list[Any] | None = None


@attrs.define
class Loop:
    body: list[Any]
    label: str | None = None


@attrs.define
class While:
    condition: str
    body: list[Any]
    label: str | None = None


@attrs.define
class ForRange:
    var: str
    low: str
    high: str
    step: str | None
    reverse: bool
    body: list[Any]
    label: str | None = None


@attrs.define
class ForQuery:
    targets: list[str]
    query: str  # a SELECT, or an expression giving the text when dynamic
    dynamic: bool
    using: list[str]
    body: list[Any]
    label: str | None = None


@attrs.define
class ForEach:
    var: str
    array: str
    body: list[Any]
    label: str | None = None


@attrs.define
class Exit:
    continue_: bool
    label: str | None
    condition: str | None


@attrs.define
class Return:
    expr: str | None


@attrs.define
class ReturnNext:
    expr: str | None


@attrs.define
class ReturnQuery:
    query: str
    dynamic: bool
    using: list[str]


@attrs.define
class Raise:
    level: str  # EXCEPTION, WARNING, NOTICE, INFO, LOG, DEBUG; "" for a bare RAISE (re-raise)
    message: str | None  # the format string
    args: list[str]
    condition: str | None  # condition name or "sqlstate:XXXXX"
    options: list[tuple[str, str]]  # USING name = expression
    line: int = 0  # of the body text, counted from 1 (the CONTEXT line names it)


@attrs.define
class Assert:
    condition: str
    message: str | None


@attrs.define
class Perform:
    query: str


@attrs.define
class Sql:
    """A SQL statement, with the variables it fills (INTO) when it has one."""

    text: str
    into: list[str] = attrs.Factory(list)
    strict: bool = False


@attrs.define
class Execute:
    command: str  # an expression giving the SQL text
    into: list[str]
    strict: bool
    using: list[str]


@attrs.define
class GetDiagnostics:
    stacked: bool
    items: list[tuple[str, str]]  # (variable, item name)


@attrs.define
class Null:
    pass


@attrs.define
class TransactionControl:
    """COMMIT / ROLLBACK [AND [NO] CHAIN] in a procedure or DO block."""

    commit: bool
    chain: bool


@attrs.define
class Open:
    """OPEN cursor [(arguments)] | OPEN cursor FOR query | OPEN cursor FOR EXECUTE text [USING ...]."""

    cursor: str
    args: list[str] = attrs.Factory(list)
    query: str | None = None
    dynamic: bool = False
    using: list[str] = attrs.Factory(list)


@attrs.define
class Fetch:
    """FETCH / MOVE [direction {FROM | IN}] cursor [INTO targets]; ``direction`` as SQL's FETCH
    writes it ("", "NEXT", "ABSOLUTE 3", "BACKWARD ALL", ...)."""

    cursor: str
    direction: str
    into: list[str]
    move: bool


@attrs.define
class Close:
    cursor: str


@attrs.define
class ForCursor:
    """FOR record IN bound_cursor [(arguments)] LOOP ... END LOOP."""

    var: str
    cursor: str
    args: list[str]
    body: list[Any]
    label: str | None = None
