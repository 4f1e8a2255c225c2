"""PL/pgSQL: LANGUAGE plpgsql functions, procedures, trigger functions and DO blocks.

- ``parser``: the body's text into ``nodes`` (statements; expressions stay SQL text).
- ``interpreter``: runs them, SQL through the engine in the caller's transaction.
- ``sql_binding``: variables inside SQL become parameters.
- ``conditions``: condition names (EXCEPTION WHEN, RAISE) and their SQLSTATEs.
- ``notices``: RAISE below EXCEPTION, on its way to the client.

Not built (refused with 0A000 naming it): cursors (OPEN/FETCH/CLOSE, cursor variables),
COMMIT/ROLLBACK inside routines, FOREACH ... SLICE, assignment to array elements.
"""

from __future__ import annotations

import functools
from typing import Any

from helios_core.errors import HeliosError
from helios_core.plpgsql import nodes, parser
from helios_core.plpgsql.interpreter import Frame, Interpreter, Var, _Return
from helios_core.sql import types as T
from helios_core.sql.routines.invoke import convert_values

__all__ = ["call", "check", "run_block"]


@functools.lru_cache(maxsize=256)
def _parsed(body: str) -> nodes.Block:
    return parser.parse(body)


def check(routine: Any) -> None:
    """CREATE FUNCTION's check: the body parses."""
    _parsed(routine.body)


def run_block(session: Any, code: str) -> None:
    """DO: an anonymous block returning nothing."""
    frame = Frame()
    frame.declare("found", Var(False, T.BOOL))
    try:
        Interpreter(session, frame).block(_parsed(code))
    except _Return as r:
        if r.value is not None:
            raise HeliosError("RETURN cannot have a parameter in function returning void", sqlstate="42804") from None


def call(session: Any, routine: Any, values: list[Any], *, trigger: Any = None) -> Any:
    """Run a PL/pgSQL routine: a scalar, rows (set-returning), a record (triggers) or None."""
    block = _parsed(routine.body)
    frame = Frame()
    frame.declare("found", Var(False, T.BOOL))
    for k, (arg, value, t) in enumerate(zip(routine.in_args, values, routine.in_types, strict=False), 1):
        name = arg.get("name") or f"${k}"
        frame.declare(name, Var(value, t))
        frame.args.append(name)
    for arg in routine.record["args"]:
        if arg["mode"] == "o" and arg.get("name"):
            frame.declare(arg["name"], Var(None, T.type_from_name(arg["type"])))
    if routine.record.get("out_columns") and not any(a["mode"] in ("o", "b") for a in routine.record["args"]):
        for n, t in routine.out_columns:  # RETURNS TABLE's columns are variables too
            frame.declare(n, Var(None, t))
    if trigger is not None:
        trigger.declare(frame)
    interp = Interpreter(session, frame, routine)
    try:
        interp.block(block)
    except _Return as r:
        return _returned(routine, interp, r, trigger)
    if trigger is not None:
        raise HeliosError('control reached end of trigger procedure without RETURN', sqlstate="2F005")
    if routine.returns_set:
        return interp.rows
    if routine.is_procedure and routine.out_columns:  # the row CALL returns: its OUT/INOUT variables
        return _out_row(frame, routine)
    if routine.is_procedure or (routine.return_type is not None and routine.return_type.name == "void"):
        return None
    if routine.out_columns:
        return [tuple(frame.lookup(n)[0] for n, _ in routine.out_columns)]
    if len([a for a in routine.record["args"] if a["mode"] in ("o", "b")]) == 1:
        out = next(a for a in routine.record["args"] if a["mode"] in ("o", "b"))
        return frame.lookup(out["name"])[0]
    raise HeliosError("control reached end of function without RETURN", sqlstate="2F005")


def _out_row(frame: Any, routine: Any) -> list[tuple]:
    """A procedure's OUT/INOUT variables as the one row its CALL returns."""
    return [tuple((frame.lookup(n) or (None, None))[0] for n, _ in routine.out_columns)]


def _returned(routine: Any, interp: Interpreter, r: _Return, trigger: Any) -> Any:
    if trigger is not None:
        return r.value if r.is_record else None if r.value is None or r.value[0] is None else r.value
    if routine.returns_set:
        if r.value is not None:
            raise HeliosError("RETURN cannot have a parameter in function returning set", sqlstate="42804",
                              hint="Use RETURN NEXT or RETURN QUERY.")
        return interp.rows
    if routine.is_procedure:
        if r.value is not None:
            raise HeliosError("RETURN cannot have a parameter in a procedure", sqlstate="42804")
        return _out_row(interp.frame, routine) if routine.out_columns else None
    if routine.out_columns:
        if r.value is None:
            return [tuple(interp.frame.lookup(n)[0] for n, _ in routine.out_columns)]
        if r.is_record:
            return [tuple((r.value or {}).get(n, (None, None))[0] for n, _ in routine.out_columns)]
        raise HeliosError("RETURN cannot have a parameter in function with OUT parameters", sqlstate="42804")
    ret = routine.return_type
    if r.value is None:
        if ret is not None and ret.name == "void":
            return None
        outs = [a for a in routine.record["args"] if a["mode"] in ("o", "b")]
        if len(outs) == 1:
            return interp.frame.lookup(outs[0]["name"])[0]
        return None
    if r.is_record:
        raise HeliosError("cannot return a record from a function returning a scalar", sqlstate="42804")
    value, t = r.value
    if ret is not None and ret.name == "void":
        raise HeliosError("RETURN cannot have a parameter in function returning void", sqlstate="42804")
    return convert_values([value], t, ret)[0] if value is not None and t is not None else value
