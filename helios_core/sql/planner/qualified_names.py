"""PostgreSQL's qualified spellings, normalized once per parse into what the planner compiles.

Catalog queries from psql, SQLAlchemy and asyncpg spell things the long way::

    pg_catalog.pg_table_is_visible(c.oid)     -> pg_table_is_visible(c.oid)
    public.lower(x)                           -> lower(x)
    a OPERATOR(pg_catalog.~) b                -> a ~ b
    x::pg_catalog.text                        -> x::text
    'pg_class'::regclass                      -> helios_regclass_in('pg_class')::regclass
    'pg_catalog'::regnamespace                -> helios_regnamespace_in('pg_catalog')
    'helios'::regrole                         -> helios_regrole_in('helios')
    n.oid::regnamespace                       -> n.oid::oid
    version()                                 -> a call labelled "version" (sqlglot names it
                                                 current_version)

Functions and operators all live in pg_catalog here (there are no user-defined functions),
so dropping a ``pg_catalog.``/``public.``/``information_schema.`` qualifier keeps the meaning.
COLLATE is checked by the expression compiler (helios_core.sql.collations): text compares by
code point, the "C"/"POSIX" order, so ``COLLATE "C"`` and ``COLLATE pg_catalog.default`` (psql's
spelling of "the database default") change nothing and unknown names are PostgreSQL's 42704.

The name -> OID casts need the catalog, so they become calls of the lookup functions defined
here (registered as SQL functions on import), which raise PostgreSQL's errors for unknown names.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.sql.functions.text_in import parse_regtype

_DROPPABLE_SCHEMAS = {"pg_catalog", "public", "information_schema"}
_OID_ALIASES = {"regnamespace", "regrole", "regoper", "regoperator", "regprocedure", "regconfig", "regdictionary",
                "regcollation", "regproc", "regtype", "regclass"}
_LOOKUPS = {"regclass": "helios_regclass_in", "regnamespace": "helios_regnamespace_in",
            "regrole": "helios_regrole_in", "regtype": "helios_regtype_in",
            "regproc": "helios_regproc_in"}  # helios_core.sql.routines.regproc
_HINTS = ("pg_catalog.", "public.", "information_schema.", "operator(", "operator (", "reg", "version")


def needs_normalizing(sql: str) -> bool:
    """Cheap text test so ordinary statements skip the tree walk."""
    low = sql.lower()
    return any(h in low for h in _HINTS)


def normalize(tree: exp.Expression) -> exp.Expression:
    """Rewrite the spellings listed in the module docstring (in place; returns the root)."""
    from helios_core.frontends.postgres.dialect import DIALECT

    for node in reversed(list(tree.walk(bfs=False))):  # innermost first: re-parsed calls keep rewrites
        if isinstance(node, exp.Dot):
            _unqualify_call(node, DIALECT)
        elif isinstance(node, exp.Operator):
            _plain_operator(node, DIALECT)
        elif isinstance(node, exp.Cast):
            _oid_cast(node)
        elif type(node).__name__ == "CurrentVersion":
            node.replace(exp.Anonymous(this="version", expressions=[]))
    return tree


def _unqualify_call(node: exp.Dot, dialect: Any) -> None:
    schema, call = node.this, node.expression
    if not isinstance(schema, exp.Identifier) or schema.name.lower() not in _DROPPABLE_SCHEMAS:
        return
    if not isinstance(call, (exp.Anonymous, exp.Func)):
        return
    # re-parse the bare call so known functions get their typed nodes (count(*) is an aggregate)
    text = call.sql(dialect=dialect)
    try:
        bare = exp.maybe_parse(text, dialect=dialect)
    except Exception:  # noqa: BLE001 - keep the anonymous call when sqlglot cannot re-read it
        bare = call.copy()
    node.replace(bare)


def _plain_operator(node: exp.Operator, dialect: Any) -> None:
    op = str(node.args.get("operator") or "").strip()
    if op.lower().startswith("pg_catalog."):
        op = op[len("pg_catalog."):]
    try:
        template = exp.maybe_parse(f"__l {op} __r", dialect=dialect)
    except Exception:  # noqa: BLE001 - an operator we do not know stays as it is (42883 later)
        return
    sides = {"__l": node.this, "__r": node.expression}
    for col in list(template.find_all(exp.Column)):
        if col.name in sides:
            col.replace(sides[col.name].copy())
    node.replace(template)


def _type_name(to: exp.Expression) -> str | None:
    if isinstance(to, exp.ObjectIdentifier):
        return str(to.this).lower()
    if isinstance(to, exp.DataType) and isinstance(to.args.get("kind"), exp.Dot):
        kind = to.args["kind"]
        if isinstance(kind.this, exp.Identifier) and kind.this.name.lower() == "pg_catalog":
            return kind.expression.name.lower()
    return None


def _oid_cast(node: exp.Cast) -> None:
    to = node.args.get("to")
    name = _type_name(to) if to is not None else None
    if name is None:
        return
    node.set("to", _type_node(name))  # the OID alias types' input looks the name up (oid_aliases)


def _type_node(name: str) -> exp.Expression:
    from helios_core.frontends.postgres.dialect import DIALECT

    return exp.maybe_parse(f"CAST(NULL AS {name})", dialect=DIALECT).args["to"]


# --------------------------------------------------------------------------- lookups

def _model() -> Any:
    from helios_core.sql.catalog_views import functions as cv

    return cv._model()


def _regclass_in(args: list[pa.Array]) -> pa.Array:
    from helios_core.sql.catalog_views.functions import regclass_oid

    def one(name: str | None) -> int | None:
        if name is None:
            return None
        oid = regclass_oid(name)
        if oid is None:
            raise HeliosError(f'relation "{name}" does not exist', sqlstate="42P01")
        return oid

    return pa.array([one(v) for v in args[0].to_pylist()], pa.int64())


def _regtype_in(args: list[pa.Array]) -> pa.Array:
    return parse_regtype(args[0])  # a type name (or pseudo-type name) as regtype input


def _strip_ident(name: str) -> str:
    name = name.strip()
    return name[1:-1].replace('""', '"') if name.startswith('"') and name.endswith('"') else name.lower()


def _regnamespace_in(args: list[pa.Array]) -> pa.Array:
    from helios_core.sql.catalog_views.model import namespace_oid

    model = _model()
    known = set(model.schemas) if model is not None else set()

    def one(name: str | None) -> int | None:
        if name is None:
            return None
        if name.strip().isdigit():
            return int(name)
        n = _strip_ident(name)
        if known and n not in known:
            raise HeliosError(f'schema "{n}" does not exist', sqlstate="3F000")
        return namespace_oid(n)

    return pa.array([one(v) for v in args[0].to_pylist()], pa.int64())


def _regrole_in(args: list[pa.Array]) -> pa.Array:
    from helios_core.sql.catalog_views import functions as cv
    from helios_core.sql.catalog_views.model import role_oid

    s = cv._session()
    engine = getattr(s, "engine", None)

    def one(name: str | None) -> int | None:
        if name is None:
            return None
        if name.strip().isdigit():
            return int(name)
        n = _strip_ident(name)
        if engine is not None and engine.get_role(n) is None:
            raise HeliosError(f'role "{n}" does not exist', sqlstate="42704")
        return role_oid(n)

    return pa.array([one(v) for v in args[0].to_pylist()], pa.int64())


def register() -> None:
    """Register the name -> OID lookup functions the rewritten casts call."""
    from helios_core.hookspecs import SqlFunction
    from helios_core.sql.functions import has_function, register_function

    for name, impl, ret in (("helios_regclass_in", _regclass_in, "regclass"),
                            ("helios_regtype_in", _regtype_in, "regtype"),
                            ("helios_regnamespace_in", _regnamespace_in, "oid"),
                            ("helios_regrole_in", _regrole_in, "oid")):
        if not has_function(name):
            register_function(SqlFunction(name=name, impl=impl, return_type=ret))


register()
