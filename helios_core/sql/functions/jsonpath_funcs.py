"""SQL/JSON path functions and operators over jsonb: jsonb_path_exists/match/query_array/
query_first (and their _tz forms), ``@?`` and ``@@``; jsonb_path_query[_tz] is the set-returning
one (``path_query_rows``, used by the table-function scan).

Arguments: (target jsonb, path jsonpath, vars jsonb default '{}', silent boolean default false),
named arguments resolved by the planner (``NAMED_PARAMETERS``). Per-row Python: each row's
document and path are parsed (both cached per distinct text) and the path run over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.jsonb import dump_jsonb, loads
from helios_core.sql.functions.registry import define, no_function
from helios_core.sql.functions.vec import Vec, full
from helios_core.sql.jsonpath import datetimes
from helios_core.sql.jsonpath.evaluate import Evaluator
from helios_core.sql.jsonpath.failures import PathError
from helios_core.sql.jsonpath.syntax import parse

_PATH_FUNCTIONS = ("jsonb_path_exists", "jsonb_path_match", "jsonb_path_query", "jsonb_path_query_array",
                   "jsonb_path_query_first")
NAMED_PARAMETERS = {**{f"{name}{tz}": ("target", "path", "vars", "silent")
                       for name in _PATH_FUNCTIONS for tz in ("", "_tz")},
                    "jsonb_set_lax": ("jsonb_in", "path", "replacement", "create_if_missing",
                                      "null_value_treatment")}
PARAMETER_DEFAULTS = {"vars": "'{}'", "silent": "false", "create_if_missing": "true",
                      "null_value_treatment": "'use_json_null'"}


def to_jsonb_value(v: Any) -> Any:
    """A path result as a jsonb document (datetime items become their ISO strings)."""
    if isinstance(v, datetimes.DateTime):
        return v.to_json_text()
    return v


def _prepare(args: list[Vec], fname: str) -> list[Vec]:
    if not 2 <= len(args) <= 4:
        raise no_function(fname, args)
    wanted = [T.JSONB, T.JSONPATH, T.JSONB, T.BOOL]
    out = []
    for a, t in zip(args, wanted, strict=False):
        if a.type.name != t.name:
            if a.type.name != "unknown" and not (t.name == "jsonpath" and a.type.is_string_family):
                raise no_function(fname, args)
            a = cast(a, t)
        out.append(a)
    return out


_DOCS: dict[str, Any] = {}


def _doc(text: str) -> Any:
    hit = _DOCS.get(text, _DOCS)
    if hit is _DOCS:
        hit = loads(text)
        if len(_DOCS) > 1024:
            _DOCS.clear()
        _DOCS[text] = hit
    return hit


def _rows(args: list[Vec]) -> Iterator[tuple[Any, ...] | None]:
    """(evaluator, silent) per row, None where an argument is NULL."""
    arrays, _scalar = full(args)
    cols = [a.to_pylist() for a in arrays]
    n = len(cols[0]) if cols else 0
    for i in range(n):
        target, path = cols[0][i], cols[1][i]
        variables = cols[2][i] if len(cols) > 2 else "{}"
        silent = cols[3][i] if len(cols) > 3 else False
        if target is None or path is None or variables is None or silent is None:
            yield None
            continue
        yield target, path, variables, silent


def evaluator(target: str, path: str, variables: str, use_tz: bool) -> Evaluator:
    vars_doc = _doc(variables)
    if not isinstance(vars_doc, dict):
        raise HeliosError('"vars" argument is not an object', sqlstate="22023",
                          detail='Jsonpath parameters should be encoded as key-value pairs of "vars" object.')
    return Evaluator(parse(path), _doc(target), vars_doc, use_tz)


def _collect(ev: Evaluator, silent: bool) -> list[Any]:
    out: list[Any] = []
    try:
        out.extend(ev.items())
    except PathError:
        if not silent:
            raise
    return out


def _exists(ev: Evaluator, silent: bool) -> bool | None:
    try:
        if not ev.lax:  # strict mode checks every item for errors
            return bool(list(ev.items()))
        for _ in ev.items(exists=True):
            return True
        return False
    except PathError:
        if silent:
            return None
        raise


def _match(ev: Evaluator, silent: bool) -> bool | None:
    found = _collect(ev, silent)
    if len(found) == 1 and (found[0] is None or isinstance(found[0], bool)):
        return found[0]
    if not silent:
        raise HeliosError("single boolean result is expected", sqlstate="22038")
    return None


def _scalar_function(kind: str, use_tz: bool, fname: str, force_silent: bool = False):
    def impl(args: list[Vec]) -> Vec:
        args = _prepare(args, fname)
        scalar_only = all(a.scalar for a in args)
        out: list[Any] = []
        for row in _rows(args):
            if row is None:
                out.append(None)
                continue
            target, path, variables, silent = row
            silent = silent or force_silent
            ev = evaluator(target, path, variables, use_tz)
            if kind == "exists":
                out.append(_exists(ev, silent))
            elif kind == "match":
                out.append(_match(ev, silent))
            elif kind == "array":
                out.append(dump_jsonb([to_jsonb_value(v) for v in _collect(ev, silent)]))
            else:  # first
                found = _first(ev, silent)
                out.append(None if found is _NONE else dump_jsonb(to_jsonb_value(found)))
        t = T.BOOL if kind in ("exists", "match") else T.JSONB
        return Vec(pa.array(out, t.arrow_type), t, scalar_only)

    return impl


_NONE = object()


def _first(ev: Evaluator, silent: bool) -> Any:
    found = _collect(ev, silent)  # PostgreSQL evaluates the whole path (strict mode's errors)
    return found[0] if found else _NONE


for _tz in ("", "_tz"):
    for _kind, _name in (("exists", "jsonb_path_exists"), ("match", "jsonb_path_match"),
                         ("array", "jsonb_path_query_array"), ("first", "jsonb_path_query_first")):
        define(_name + _tz, _scalar_function(_kind, bool(_tz), _name + _tz), nargs=(2, 4))
define("jsonb_path_exists_opr", _scalar_function("exists", False, "jsonb_path_exists_opr", True), nargs=2)
define("jsonb_path_match_opr", _scalar_function("match", False, "jsonb_path_match_opr", True), nargs=2)


def path_query_rows(vals: list[Vec], use_tz: bool) -> list[str]:
    """jsonb_path_query[_tz] of one call: its results as jsonb texts."""
    args = _prepare(vals, "jsonb_path_query_tz" if use_tz else "jsonb_path_query")
    out: list[str] = []
    for row in _rows(args):
        if row is None:
            continue
        target, path, variables, silent = row
        ev = evaluator(target, path, variables, use_tz)
        out.extend(dump_jsonb(to_jsonb_value(v)) for v in _collect(ev, silent))
    return out
