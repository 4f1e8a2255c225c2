"""Calling a routine with argument values, whatever its language.

``call`` gives a function's result: a scalar value, or the rows of a set-returning or
table function, converted to the declared types; procedures give nothing. STRICT routines
return NULL (no rows) for a NULL argument without running.
"""

from __future__ import annotations

import decimal
from typing import Any

import pyarrow as pa

from helios_core import time_budget
from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import session_identity
from helios_core.sql import types as T
from helios_core.sql.functions import decimals as D
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.vec import Vec
from helios_core.sql.routines import sql_language
from helios_core.sql.routines.definition import Routine
from helios_core.sql.settings import normalize

MAX_DEPTH = 100  # nested routine calls before 54001, as PostgreSQL's max_stack_depth protects it


def call(session: Any, routine: Routine, values: list[Any], *, trigger: Any = None) -> Any:
    """Run ``routine``; a scalar, a list of row tuples (sets, tables, a procedure's OUT/INOUT values), or
    None (procedures without outputs, void)."""
    if routine.strict and any(v is None for v in values):
        return [] if (routine.returns_set or routine.out_columns) else None
    if time_budget.prepared_only():  # a write tried inline: a routine runs in a worker (time_budget)
        time_budget.inline()
    depth = getattr(session, "routine_depth", 0)
    if depth >= MAX_DEPTH:
        raise HeliosError("stack depth limit exceeded", sqlstate="54001",
                          hint="A routine calls itself (or others) too deeply.")
    session.routine_depth = depth + 1
    control = getattr(session, "transaction_control", False)
    if control and not routine.is_procedure:
        session.transaction_control = False  # no COMMIT/ROLLBACK below a function call
    leave = _enter(session, routine) if routine.record.get("security_definer") or routine.record.get("config") \
        else None
    try:
        if routine.language == "sql":
            outcome = sql_language.run(session, routine, values)
            return _result(routine, outcome.columns if outcome else [], outcome.rows if outcome else [])
        if routine.language == "plpgsql":
            from helios_core import plpgsql

            return plpgsql.call(session, routine, values, trigger=trigger)
        raise FeatureNotSupported(f'language "{routine.language}" is not supported')
    finally:
        session.routine_depth = depth
        session.transaction_control = control
        if leave is not None:
            leave()


def _enter(session: Any, routine: Routine) -> Any:
    """A SECURITY DEFINER routine runs as its owner (current_user; session_user stays), and a routine
    with SET clauses runs with those settings; both are put back when it returns or fails. What the
    body SETs itself lasts (another name, or the same name set again), as in PostgreSQL."""
    settings = session.settings_obj
    config = routine.record.get("config") or []
    names = ["role", "is_superuser"] * bool(routine.record.get("security_definer")) + [c["name"] for c in config]
    saved = {name: settings.values.get(name) for name in names}
    definer_depth = getattr(session, "security_definer_depth", 0)
    try:
        for c in config:
            name = settings.check_name(c["name"])
            value = c["value"]
            settings.values[name] = settings.session_defaults.get(name, "") if value is None else \
                normalize(name, value, settings.values.get(name))
        if routine.record.get("security_definer"):
            settings.values["role"] = routine.record.get("owner", "helios")
            session.security_definer_depth = definer_depth + 1
            session_identity.refresh(session)
    except BaseException:
        _put_back(settings, saved)
        session.security_definer_depth = definer_depth
        raise

    installed = {name: settings.values.get(name) for name in names}

    def leave() -> None:
        # a plain SET of the same name in the body outlasts the call, as PostgreSQL documents; the
        # identity of a SECURITY DEFINER routine always goes back
        _put_back(settings, {name: value for name, value in saved.items()
                             if name in ("role", "is_superuser") or settings.values.get(name) == installed[name]})
        session.security_definer_depth = definer_depth

    return leave


def _put_back(settings: Any, saved: dict[str, Any]) -> None:
    for name, value in saved.items():
        if value is None:
            settings.values.pop(name, None)
        else:
            settings.values[name] = value


def _result(routine: Routine, columns: list[tuple[str, T.SqlType]], rows: list[tuple]) -> Any:
    if routine.is_procedure and routine.out_columns:  # its OUT/INOUT values: the last statement's first row
        wanted = [t for _, t in routine.out_columns]
        if columns and len(columns) != len(wanted):
            raise HeliosError("return type mismatch in function declared to return record", sqlstate="42P13",
                              detail=f"Final statement returns {len(columns)} columns.")
        return convert_rows(rows[:1], [t for _, t in columns], wanted) or [tuple(None for _ in wanted)]
    if routine.is_procedure or (routine.return_type is not None and routine.return_type.name == "void"
                                and not routine.returns_set):
        return None
    if routine.out_columns:
        wanted = [t for _, t in routine.out_columns]
        if columns and len(columns) != len(wanted):
            raise HeliosError("return type mismatch in function declared to return record", sqlstate="42P13",
                              detail=f"Final statement returns {len(columns)} columns.")
        rows = rows if routine.returns_set else rows[:1]
        return convert_rows(rows, [t for _, t in columns], wanted)
    ret = routine.return_type
    assert ret is not None
    if routine.returns_set:
        return convert_rows([r[:1] for r in rows], [columns[0][1]] if columns else [ret], [ret])
    if not rows:
        return None
    if ret.is_composite and (len(columns) != 1 or not columns[0][1].is_rowtype):
        return _composite_of_row(ret, columns, rows[0])
    return convert_rows(rows[:1], [columns[0][1]], [ret])[0][0]


def _composite_of_row(ret: T.SqlType, columns: list[tuple[str, T.SqlType]], row: tuple) -> dict:
    """A function returning a composite type whose last statement returns its fields as columns."""
    if len(columns) != len(ret.fields):
        raise HeliosError(f"return type mismatch in function declared to return {ret.sql_name()}",
                          sqlstate="42P13", detail=f"Final statement returns too {'many' if len(columns) > len(ret.fields) else 'few'} columns.")
    values = [convert_values([v], have, want)[0] for v, (_, have), want in zip(row, columns, ret.fields, strict=True)]
    return dict(zip(ret.field_names, values, strict=True))


def convert_rows(rows: list[tuple], have: list[T.SqlType], want: list[T.SqlType]) -> list[tuple]:
    """Rows of values typed ``have`` as values of the declared types ``want`` (assignment casts)."""
    if not rows:
        return []
    out_cols = []
    for j, (h, w) in enumerate(zip(have, want, strict=True)):
        values = [r[j] for r in rows]
        out_cols.append(convert_values(values, h, w))
    return list(zip(*out_cols, strict=True))


def values_array(values: list[Any], t: T.SqlType) -> pa.Array:
    """A routine's results as an array of its declared type. An unconstrained numeric keeps the
    scale the values came with (a function returning x * 2 over 1.50 gives 3.00, as in
    PostgreSQL), where the column type's storage scale would print the fewest digits."""
    if t.name == "numeric" and t.typmod == -1 and t.element is None and \
            all(v is None or isinstance(v, (decimal.Decimal, int)) for v in values):
        return D.py_to_decimal_array(values)
    return pa.array(values, type=t.arrow_type)


def convert_values(values: list[Any], have: T.SqlType, want: T.SqlType) -> list[Any]:
    if have == want or want.name == "unknown":
        return values
    if want.name == "numeric" and want.typmod == -1 and want.element is None and have.name == "numeric" \
            and have.element is None:
        return values  # any numeric is an unconstrained one as it is: each Decimal keeps its scale
    try:
        arr = pa.array(values, type=have.arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        arr = pa.array([None if v is None else str(v) for v in values], pa.string())
        have = T.TEXT
    return cast(Vec(arr, have), want, context="assignment").array.to_pylist()
