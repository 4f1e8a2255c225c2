"""PL/pgSQL cursors: OPEN, FETCH, MOVE, CLOSE and FOR ... IN cursor, over the session's cursors.

A cursor variable (``refcursor``) holds the name of a portal, which is one of the session's
cursors (helios_core.sql.prepared.SqlCursor): a function may OPEN one and return its name,
and the caller FETCHes from it by that name in the same transaction, as in PostgreSQL. A bound
cursor (``c CURSOR (p int) FOR SELECT ...``) starts with its own name as the portal's; an
unbound one that is NULL at OPEN gets a fresh ``<unnamed portal N>``. OPEN runs the query with
the variables' values of that moment and keeps its rows; FETCH and MOVE take SQL FETCH's
directions. Cursors end with the transaction (PostgreSQL's portals without HOLD).
"""

from __future__ import annotations

import itertools
from typing import Any

from helios_core.errors import HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.plpgsql import nodes as N
from helios_core.plpgsql.sql_binding import bind
from helios_core.sql import embedded_sql, prepared
from helios_core.sql import types as T

_UNNAMED = itertools.count(1)
_COUNTED = ("ABSOLUTE", "RELATIVE", "FORWARD", "BACKWARD")


def declare(it: Any, d: N.Declaration, var: Any) -> None:
    """A bound cursor variable: remembers its query and parameters; its value is its name."""
    var.cursor = d
    var.value = d.name


def open_cursor(it: Any, st: N.Open) -> None:
    var = _variable(it, st.cursor)
    bound = getattr(var, "cursor", None)
    if bound is not None and st.query is not None:
        raise HeliosError(f'cursor "{st.cursor}" is already bound to a query', sqlstate="42601")
    if bound is None and st.query is None:
        raise HeliosError(f'cursor "{st.cursor}" has no argument list and no query', sqlstate="42601")
    session = it.session
    name = var.value if var.value is not None else f"<unnamed portal {next(_UNNAMED)}>"
    if name in session.cursors:
        raise HeliosError(f'cursor "{name}" already in use', sqlstate="42P03")
    if bound is not None:
        tree, values, types = _bound_query(it, bound, st.args)
        text = bound.cursor_query
    elif st.dynamic:
        text, _ = it.eval(st.query)
        if text is None:
            raise HeliosError("query string argument of EXECUTE is null", sqlstate="22004")
        tree = _query_tree(str(text))
        evaluated = [it.eval(u) for u in st.using]
        values, types = [v for v, _ in evaluated], [t or T.TEXT for _, t in evaluated]
    else:
        text = st.query
        tree, values, types = bind(session, _query_tree(text), it.frame)
    prepared.open_cursor(session, name, tree, statement=str(text), params=values, param_types=types,
                         materialize=True)
    var.value = name


def fetch(it: Any, st: N.Fetch) -> None:
    """FETCH ... INTO (the row, or NULLs past the end; FOUND says which) and MOVE (FOUND only)."""
    name = _portal(it, st.cursor)
    words = st.direction.split(None, 1)
    direction = st.direction
    if len(words) == 2 and words[0].upper() in _COUNTED and not words[1].strip().lstrip("+-").isdigit() \
            and words[1].strip().upper() != "ALL":
        count, _ = it.eval(words[1])  # a variable or an expression, as PL/pgSQL allows
        direction = f"{words[0]} {int(count)}"
    spec = dialect.parse(f"FETCH {direction} FROM {_quoted(name)}")[0].ast
    args = dict(spec.args)
    if not st.move and args.get("count") not in (None, 1) and args.get("direction") in ("forward", "backward"):
        raise HeliosError("FETCH statement cannot return multiple rows", sqlstate="42601")
    args["move"] = st.move
    result = prepared.fetch_cursor(it.session, args)
    if st.move:
        it.set_found(result.command_tag.split()[-1] != "0")
        return
    out = embedded_sql.outcome_of(result)
    it.set_found(bool(out.rows))
    it.store_row(st.into, out.rows[0] if out.rows else None, out.columns)


def close(it: Any, st: N.Close) -> None:
    prepared.close_cursor(it.session, {"name": _portal(it, st.cursor)})


def for_cursor(it: Any, st: N.ForCursor) -> None:
    """FOR r IN bound_cursor [(args)] LOOP: opened for the loop, its rows read in turn, closed after."""
    var = _variable(it, st.cursor)
    if getattr(var, "cursor", None) is None:
        raise HeliosError("cursor FOR loop must use a bound cursor variable", sqlstate="42601")
    open_cursor(it, N.Open(st.cursor, args=st.args))
    name = var.value
    try:
        out = embedded_sql.outcome_of(prepared.fetch_cursor(
            it.session, {"name": name, "count": None, "direction": "forward", "move": False}))
        it.for_rows([st.var], out, st.body, st.label)
    finally:
        it.session.cursors.pop(name, None)


def _bound_query(it: Any, d: N.Declaration, args: list[str]) -> tuple[Any, list, list]:
    """A bound cursor's query with its parameters set to OPEN's arguments (as variables of a scope
    around the query, so the query refers to them by name)."""
    if len(args) != len(d.cursor_params):
        if not d.cursor_params:
            raise HeliosError(f'cursor "{d.name}" has no arguments', sqlstate="42601")
        raise HeliosError(f'{"not enough" if len(args) < len(d.cursor_params) else "too many"} arguments for '
                          f'cursor "{d.name}"', sqlstate="42601")
    evaluated = [it.eval(arg.split(":=", 1)[1] if ":=" in arg else arg) for arg in args]
    it.frame.scopes.append({})
    try:
        for (pname, ptype), (value, have) in zip(d.cursor_params, evaluated, strict=True):
            target, _ = it.resolve_declared_type(ptype)
            it.frame.declare(pname, type(it.frame.get(d.name))(None, target))
            it.assign(pname, value, have)
        return bind(it.session, _query_tree(d.cursor_query), it.frame)
    finally:
        it.frame.scopes.pop()


def _query_tree(text: str) -> Any:
    stmts = dialect.parse(text)
    if len(stmts) != 1:
        raise HeliosError("cannot open multi-query plan as cursor", sqlstate="42P11")
    ast = stmts[0].ast
    if isinstance(ast, dialect.Utility):
        raise HeliosError(f"cannot open {ast.kind.upper()} query as cursor", sqlstate="42P11")
    return ast.copy()


def _variable(it: Any, name: str) -> Any:
    var = it.frame.get(name)
    if var is None:
        raise HeliosError(f'"{name}" is not a known variable', sqlstate="42601")
    if var.type is None or var.type.name != "refcursor":
        raise HeliosError(f'variable "{name}" must be of type cursor or refcursor', sqlstate="42804")
    return var


def _portal(it: Any, name: str) -> str:
    var = _variable(it, name)
    if var.value is None:
        raise HeliosError(f'cursor variable "{name}" is null', sqlstate="22004")
    if var.value not in it.session.cursors:
        raise HeliosError(f'cursor "{var.value}" does not exist', sqlstate="34000")
    return str(var.value)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
