"""Running a table's triggers around the rows a statement writes.

Row triggers run once per row in creation order (PostgreSQL runs them by name; HeliosDB
keeps creation order), with NEW and OLD as records of the table's columns. A BEFORE ROW
trigger that returns NULL skips the row; one that returns a changed NEW writes that. AFTER
ROW triggers see the rows as written. Statement triggers run once, rows or not.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from typing import Any

import attrs
import pyarrow as pa

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import triggers_catalog
from helios_core.sql import types as T
from helios_core.sql.context import table_sql_columns
from helios_core.sql.routines import definition, invoke


@attrs.define
class TriggerCall:
    """What a trigger function sees besides its arguments (declared into its frame)."""

    record: dict
    table: Any
    op: str
    new: dict | None
    old: dict | None

    def declare(self, frame: Any) -> None:
        Var = _interpreter().Var
        empty = {n: (None, t) for n, t in table_sql_columns(self.table)}
        frame.declare("new", Var(None, None, fields=self.new if self.new is not None else dict(empty),
                                 null_row=self.new is None))
        frame.declare("old", Var(None, None, fields=self.old if self.old is not None else dict(empty),
                                 null_row=self.old is None))
        args = list(self.record.get("args") or [])
        for name, value, t in (
                ("tg_op", self.op, T.TEXT), ("tg_when", self.record["timing"], T.TEXT),
                ("tg_level", self.record["level"], T.TEXT), ("tg_name", self.record["name"], T.NAME),
                ("tg_table_name", self.table.name, T.NAME), ("tg_relname", self.table.name, T.NAME),
                ("tg_table_schema", self.table.schema, T.NAME), ("tg_nargs", len(args), T.INT4),
                ("tg_argv", args, T.array_of(T.TEXT))):
            frame.declare(name, Var(value, t))


def has_triggers(tdef: Any) -> bool:
    return bool(triggers_catalog.of_table(tdef))


def refuse_unfired(tdef: Any, what: str) -> None:
    """Statements that write around the trigger machinery refuse tables that have triggers."""
    if has_triggers(tdef):
        raise FeatureNotSupported(f"{what} on a table with triggers is not supported")


def _matching(tdef: Any, timing: str, level: str, op: str, changed: set[str] | None = None) -> list[dict]:
    out = []
    for t in sorted(triggers_catalog.of_table(tdef), key=lambda t: t["name"].encode()):  # by name, as PostgreSQL
        if t["timing"] != timing or t["level"] != level or op not in t["events"] or t.get("enabled") is False:
            continue
        if op == "UPDATE" and t.get("columns") and changed is not None and not set(t["columns"]) & changed:
            continue
        out.append(t)
    return out


def _routine(session: Any, record: dict) -> Any:
    found = definition.find(session, session.tx.current(), record["function"], 0)
    if not found:
        raise definition.UndefinedFunction(f"function {record['function']}() does not exist")
    routine = found[0]
    if routine.language != "plpgsql":
        raise FeatureNotSupported(f"trigger functions in language {routine.language} are not supported")
    return routine


# tables whose statement-level triggers stay quiet: those an UPDATE/DELETE of a parent reaches
# (PostgreSQL fires the statement triggers of the table the statement names only)
_QUIET_STATEMENT: contextvars.ContextVar[frozenset] = contextvars.ContextVar("helios_quiet_statement",
                                                                             default=frozenset())


@contextlib.contextmanager
def without_statement_triggers(tdef: Any) -> Iterator[None]:
    token = _QUIET_STATEMENT.set(_QUIET_STATEMENT.get() | {(tdef.schema, tdef.name)})
    try:
        yield
    finally:
        _QUIET_STATEMENT.reset(token)


def _own_writes_seen(fire: Any) -> Any:
    """Trigger functions see every row the statement wrote so far, also while the statement's
    queries read tables as they were before its data-modifying WITH queries."""
    @functools.wraps(fire)
    def run(session: Any, *args: Any, **kwargs: Any) -> Any:
        txn = getattr(session.tx, "txn", None)
        if txn is None or not getattr(txn, "hidden_writes", None):
            return fire(session, *args, **kwargs)
        with txn.own_writes_seen():
            return fire(session, *args, **kwargs)
    return run


@_own_writes_seen
def statement(session: Any, tdef: Any, timing: str, op: str) -> None:
    if (tdef.schema, tdef.name) in _QUIET_STATEMENT.get():
        return
    for record in _matching(tdef, timing, "STATEMENT", op):
        invoke.call(session, _routine(session, record), [],
                    trigger=TriggerCall(record, tdef, op, None, None))


def _rows(tdef: Any, batch: pa.RecordBatch | None) -> list[dict | None]:
    if batch is None:
        return []
    types = table_sql_columns(tdef)
    cols = [batch.column(i).to_pylist() for i in range(len(types))]
    return [{n: (cols[j][i], t) for j, (n, t) in enumerate(types)} for i in range(batch.num_rows)]


def _when(session: Any, record: dict, new: dict | None, old: dict | None, tdef: Any, op: str) -> bool:
    if not record.get("when"):
        return True
    interpreter = _interpreter()
    frame = interpreter.Frame()
    TriggerCall(record, tdef, op, new, old).declare(frame)
    return interpreter.Interpreter(session, frame).truth(record["when"])


def _interpreter() -> Any:
    from helios_core.plpgsql import interpreter  # helios_core.plpgsql runs its SQL through helios_core.sql

    return interpreter


@_own_writes_seen
def before_rows(session: Any, tdef: Any, op: str, new: pa.RecordBatch | None, old: pa.RecordBatch | None,
                changed: set[str] | None = None, timing: str = "BEFORE") -> tuple[pa.RecordBatch | None, list[int]]:
    """Run BEFORE ROW (or a view's INSTEAD OF ROW) triggers; (the rows to write, indexes of the input
    rows kept)."""
    records = _matching(tdef, timing, "ROW", op, changed)
    n = (new if new is not None else old).num_rows  # type: ignore[union-attr]
    if not records or n == 0:
        return new, list(range(n))
    news, olds = _rows(tdef, new), _rows(tdef, old)
    kept: list[int] = []
    out_rows: list[dict] = []
    for i in range(n):
        row_new = news[i] if news else None
        row_old = olds[i] if olds else None
        skip = False
        for record in records:
            if not _when(session, record, row_new, row_old, tdef, op):
                continue
            result = invoke.call(session, _routine(session, record), [],
                                 trigger=TriggerCall(record, tdef, op, dict(row_new) if row_new else None,
                                                     dict(row_old) if row_old else None))
            if result is None:
                skip = True
                break
            if not isinstance(result, dict):
                raise HeliosError("returned row structure does not match the structure of the triggering table",
                                  sqlstate="42804")
            if op != "DELETE":
                row_new = result
        if skip:
            continue
        kept.append(i)
        if row_new is not None:
            out_rows.append(row_new)
    if new is None:
        return None, kept
    types = table_sql_columns(tdef)
    arrays = []
    for j, (name, t) in enumerate(types):
        values = [_field(r, name, t) for r in out_rows]
        arrays.append(pa.array(values, type=new.schema.field(j).type))
    return pa.RecordBatch.from_arrays(arrays, schema=new.schema), kept


def _field(row: dict, name: str, t: T.SqlType) -> Any:
    if name not in row:
        raise HeliosError("returned row structure does not match the structure of the triggering table",
                          sqlstate="42804")
    value, have = row[name]
    if value is None or have is None or have == t:
        return value
    return invoke.convert_values([value], have, t)[0]


@_own_writes_seen
def after_rows(session: Any, tdef: Any, op: str, new: pa.RecordBatch | None, old: pa.RecordBatch | None,
               changed: set[str] | None = None) -> None:
    records = _matching(tdef, "AFTER", "ROW", op, changed)
    if not records:
        return
    news, olds = _rows(tdef, new), _rows(tdef, old)
    n = len(news) or len(olds)
    for i in range(n):
        row_new = news[i] if news else None
        row_old = olds[i] if olds else None
        for record in records:
            if _when(session, record, row_new, row_old, tdef, op):
                invoke.call(session, _routine(session, record), [],
                            trigger=TriggerCall(record, tdef, op, row_new, row_old))
