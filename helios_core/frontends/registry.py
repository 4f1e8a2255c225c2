"""SQL front ends by dialect name: text in a dialect -> statements over the shared kernel.

``postgres`` is built in (``helios_core.frontends.postgres.dialect``: PostgreSQL's grammar plus our own
statements). A plugin adds another through the ``helios_sql_dialects`` hook
(``helios_core.hookspecs.SqlDialect``): its sqlglot dialect parses the text, its
``functions`` map the dialect's function names onto the shared function library (so
functions are looked up by (dialect, name) over one set of implementations), and its
``statements`` rewrite the dialect's own statement trees into trees the kernel runs.

    parse("select strlen(name) from t", "tiny")   # -> [Statement(ast=<length(name)>...)]
"""

from __future__ import annotations

import threading
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from helios_core.errors import FeatureNotSupported, SyntaxError_
from helios_core.frontends.postgres import dialect as pg_dialect
from helios_core.frontends.postgres.dialect import Statement

BUILTIN = "postgres"
_LOCK = threading.Lock()
_REGISTERED: dict[str, Any] = {}  # name -> hookspecs.SqlDialect
_LOADED = False


def register(d: Any) -> None:
    """Add a front end (a ``hookspecs.SqlDialect``); a later one of the same name replaces it."""
    if d.name.lower() == BUILTIN:
        raise ValueError(f"dialect name {d.name!r} is the built-in one")
    with _LOCK:
        _REGISTERED[d.name.lower()] = d


def _load_plugins() -> None:
    """The dialects of the installed plugins, asked for once per process."""
    global _LOADED
    if _LOADED:
        return
    from helios_core.plugins import get_plugin_manager, sql_dialects

    for d in sql_dialects(get_plugin_manager()):
        _REGISTERED.setdefault(d.name.lower(), d)
    _LOADED = True


def names() -> list[str]:
    _load_plugins()
    return [BUILTIN, *sorted(_REGISTERED)]


def get(name: str) -> Any:
    """The registered dialect called ``name`` (None for the built-in one); 0A000 when unknown."""
    key = name.lower()
    if key == BUILTIN:
        return None
    _load_plugins()
    d = _REGISTERED.get(key)
    if d is None:
        raise FeatureNotSupported(f'SQL dialect "{name}" is not supported',
                                  hint=f"installed dialects: {', '.join(names())}")
    return d


def parse(sql: str, name: str = BUILTIN) -> list[Statement]:
    """The statements of ``sql`` written in dialect ``name``, as trees the kernel runs."""
    d = get(name)
    if d is None:
        return pg_dialect.parse(sql)
    try:
        trees = sqlglot.parse(sql, read=d.sqlglot_dialect)
    except ParseError as e:
        errors = getattr(e, "errors", None) or [{}]
        raise SyntaxError_(f"syntax error in {d.name} SQL: {errors[0].get('description') or e}") from None
    out = []
    for tree in trees:
        if tree is None:
            continue
        tree = translate(tree, d)
        out.append(Statement(ast=tree, text=pg_dialect.to_sql(tree), offset=0))
    return out


def translate(tree: exp.Expression, d: Any) -> exp.Expression:
    """The dialect's own statements rewritten by its ``statements``; its function names mapped."""
    for kind, rewrite in (d.statements or {}).items():
        if isinstance(tree, kind):
            tree = rewrite(tree)
            break
    if not d.functions:
        return tree
    mapping = {k.lower(): v for k, v in d.functions.items()}
    for select in tree.find_all(exp.Select):  # a renamed call keeps the name the user wrote
        items = []
        for item in select.expressions:
            if isinstance(item, exp.Func) and _call(item)[0] in mapping:
                item = exp.alias_(item, _call(item)[0])
            items.append(item)
        select.set("expressions", items)

    def rename(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Func):
            return node
        name, args = _call(node)
        target = mapping.get(name)
        if target is None:
            return node
        return exp.Anonymous(this=target, expressions=[a.copy() for a in args])

    return tree.transform(rename)


def _call(node: exp.Func) -> tuple[str, list[exp.Expression]]:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower(), list(node.expressions)
    from helios_core.sql.planner.scalar import pg_function_call

    name, args = pg_function_call(node)
    return name.lower(), args
