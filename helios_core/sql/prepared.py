"""Prepared statements: parse and plan once, bind parameters, execute many times.

``prepare`` parses the statement, infers the types of ``$1..$n`` (given OIDs win; a
parameter compared with or assigned to a column takes the column's type; otherwise the
planner's inference, defaulting to text as PostgreSQL does) and, for queries, keeps the
plan. ``execute`` converts the bound values (text from the wire is parsed with the type's
input function; Python values are taken as they are) and runs the statement. A plan is
re-made when any DDL committed since (``engine.plan_generation``), or when the session's
branch or search_path changed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core.errors import DatatypeMismatch, HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.frontends.postgres.dialect import Statement, Utility
from helios_core.session import CanonicalText, PreparedStatement, Result, ResultColumn
from helios_core.sql import deep_nesting, updatable_views
from helios_core.sql import functions as F
from helios_core.sql import types as T
from helios_core.sql.constant_lifting import LiteralTexts
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import runtime
from helios_core.sql.functions.vec import Vec
from helios_core.sql.point_reads import point_read_of
from helios_core.sql.point_writes import is_point_write
from helios_core.sql.routines import statements as routine_statements


@attrs.define
class PreparedPlan:
    """Engine-private part of a PreparedStatement."""

    statement: Statement | None
    param_types: list[Any]  # SqlType per $n
    given_oids: list[int]
    plan: Any = None  # planner Plan for queries
    cache: dict = attrs.Factory(dict)  # DML: the planned row query, reused while the catalog is unchanged
    generation: int = -1
    branch: str = ""
    search_path: tuple = ()
    value_styles: tuple = ()  # TimeZone and DateStyle: constants folded at plan time depend on them
    prepared_at: dt.datetime = attrs.Factory(lambda: dt.datetime.now(dt.UTC))
    executions: int = 0  # pg_prepared_statements.generic_plans: every execution reuses this plan
    statement_text: str = ""  # SQL PREPARE: the statement as pg_prepared_statements shows it
    nests_deeply: bool = False  # planned and run on the deep stack (helios_core.sql.deep_nesting)
    point_write: bool = False  # a DML statement of one row (helios_core.sql.point_writes)


def _types():
    from helios_core.sql import types

    return types


def _value_styles(session: Any) -> tuple:
    """The settings that change a folded constant's value (timestamptz input, date, interval and
    bytea output)."""
    settings = session.settings_obj
    return (settings.get("timezone"), settings.get("datestyle"), settings.get("intervalstyle"),
            settings.get("bytea_output"))


def _explained(ast: Any) -> Any:
    """The statement an EXPLAIN shows (parsed), None for anything else or a body that does not parse."""
    if not isinstance(ast, Utility) or ast.kind != "explain":
        return None
    try:
        stmts = dialect.parse(ast.args["body"])
    except HeliosError:
        return None  # reported when the EXPLAIN runs
    return stmts[0].ast if len(stmts) == 1 and not isinstance(stmts[0].ast, Utility) else None


def _max_param(ast: Any) -> int:
    n = 0
    if isinstance(ast, Utility) or ast is None:
        return 0
    for p in _parameters(ast):
        inner = p.this
        text = inner.this if isinstance(inner, exp.Literal) else getattr(inner, "name", "")
        if str(text).isdigit():
            n = max(n, int(text))
    return n


def _parameters(ast: Any) -> Iterator[Any]:
    """Every ``$n`` node of the tree. The cells of an INSERT's VALUES rows that are parameters
    themselves are taken without walking into them: a batch load's 4,000 of them cost a quarter of
    its prepare through sqlglot's walk."""
    values = ast.args.get("expression") if isinstance(ast, exp.Insert) else None
    if not isinstance(values, exp.Values):
        yield from ast.find_all(exp.Parameter)
        return
    for arg in [*ast.args.values(), *values.args.values()]:
        if arg is values or arg is values.expressions:  # the rows: read below
            continue
        for node in arg if isinstance(arg, list) else [arg]:
            if isinstance(node, exp.Expression):
                yield from node.find_all(exp.Parameter)
    for row in values.expressions:
        for cell in row.expressions if isinstance(row, exp.Tuple) else [row]:
            if type(cell) is exp.Parameter and isinstance(cell.this, exp.Literal):
                yield cell  # a Literal holds no parameter
            else:
                yield from cell.find_all(exp.Parameter)


_VOID_OID = 2278


def _without_void_arguments(sql: str, oids: Sequence[int]) -> str:
    """Parameters declared void are placeholders for OUT parameters (pgJDBC's ``{? = call f(?)}``
    sends ``select * from f($1,$2)`` with $1 void): PostgreSQL drops them from the call's
    arguments, and so does this."""
    for n, oid in enumerate(oids, start=1):
        if oid == _VOID_OID:
            p = rf"\${n}(?!\d)"
            sql = re.sub(rf"\(\s*{p}\s*,\s*", "(", sql)
            sql = re.sub(rf"\s*,\s*{p}\s*(?=[,)])", "", sql)
            sql = re.sub(rf"\(\s*{p}\s*\)", "()", sql)
    return sql


_VOID_CAST = re.compile(r"\$(\d+)\s*::\s*(?:pg_catalog\.)?void\b", re.IGNORECASE)


def prepare(session: Any, sql: str, param_type_oids: Sequence[int] = (),
            param_types: Sequence[str | None] = ()) -> PreparedStatement:
    if "void" in sql.lower() and _VOID_CAST.search(sql):  # ``f($1::void)``: $1 is a void parameter
        oids = list(param_type_oids)
        for m in _VOID_CAST.finditer(sql):
            n = int(m.group(1))
            oids += [0] * (n - len(oids))
            if not oids[n - 1]:
                oids[n - 1] = _VOID_OID
        sql = _VOID_CAST.sub(lambda m: f"${m.group(1)}", sql)
        param_type_oids = oids
    if _VOID_OID in param_type_oids:
        sql = _without_void_arguments(sql, param_type_oids)
    stmts = deep_nesting.retry_deep(dialect.parse, sql)
    if len(stmts) > 1:
        raise HeliosError("cannot insert multiple commands into a prepared statement", sqlstate="42601")
    return prepare_statement(session, stmts[0] if stmts else None, sql, param_type_oids, param_types)


def _client_oid(t: T.SqlType) -> int:
    """The parameter's OID as clients see it: a plugin's type travels as text (hookspecs.SqlDataType)."""
    return T.TEXT.oid if t.name in T.EXTENSION_TYPES else t.oid


def _catalog_oids(types: Sequence[T.SqlType]) -> list[int]:
    """A domain parameter's own OID (PostgreSQL describes ``$1::d`` and a value for a column of
    domain ``d`` as ``d``: asyncpg introspects it and finds the base type's codec); [] when no
    parameter is of a domain."""
    if not any(t.domain is not None for t in types):
        return []
    return [T.catalog_oid(t) if t.domain is not None else _client_oid(t) for t in types]


def prepare_statement(session: Any, st: Statement | None, sql: str, param_type_oids: Sequence[int] = (),
                      param_types: Sequence[str | None] = ()) -> PreparedStatement:
    """Plan one parsed statement; ``param_types`` (SQL type names, None = infer) win over the OIDs."""
    T = _types()
    oids = list(param_type_oids)
    for i, name in enumerate(param_types):
        while len(oids) <= i:
            oids.append(0)
        if name:
            oids[i] = T.type_from_name(name).oid
    pp = PreparedPlan(statement=st, param_types=[], given_oids=oids)
    pp.nests_deeply = st is not None and not isinstance(st.ast, Utility) and deep_nesting.is_deep(st.ast)
    if pp.nests_deeply:
        deep_nesting.check_depth(st.ast)
        columns = deep_nesting.run_deep(_plan, session, pp)
    else:
        columns = _plan(session, pp)
    return PreparedStatement(sql=sql, param_type_oids=[_client_oid(t) for t in pp.param_types], columns=columns, plan=pp,
                             param_types=[t.sql_name() for t in pp.param_types],
                             param_catalog_oids=_catalog_oids(pp.param_types), short=_is_short(pp),
                             ends_block=_ends_block(pp))


INLINE_VALUES = 8192  # a batch with more values is not run inline (time_budget): its cost grows with them


def is_inline_batch(session: Any, stmt: PreparedStatement) -> bool:
    """A write a protocol may run on its event loop (``time_budget(..., prepared_only=True)``): a
    prepared INSERT ... VALUES whose cells are all parameters, at most INLINE_VALUES of them,
    planned under the engine's current generation (replanning a batch's shape is long)."""
    pp = stmt.plan
    layout = pp.cache.get("values_parameters")
    st = pp.statement
    return bool(layout) and st is not None and isinstance(st.ast, exp.Insert) and not st.ast.args.get("with") \
        and len(layout) * len(layout[0]) <= INLINE_VALUES and pp.generation == session.engine.plan_generation


def _is_short(pp: PreparedPlan) -> bool:
    """Every execution is short (PreparedStatement.short): a point read or write, BEGIN."""
    return _is_point_read(pp) or pp.point_write or _is_instant(pp)


def _ends_block(pp: PreparedPlan) -> bool:
    """COMMIT, END, ROLLBACK, ABORT (PreparedStatement.ends_block; not ROLLBACK TO SAVEPOINT)."""
    st = pp.statement
    return st is not None and isinstance(st.ast, Utility) and st.ast.kind in ("commit", "rollback")


def _is_instant(pp: PreparedPlan) -> bool:
    """BEGIN, SAVEPOINT, RELEASE: session state only, nothing to wait for."""
    st = pp.statement
    return st is not None and isinstance(st.ast, Utility) and st.ast.kind in ("begin", "savepoint", "release")


def _is_point_read(pp: PreparedPlan) -> bool:
    """A plain primary-key point read (helios_core.sql.point_reads): no row locks, no time travel."""
    st = pp.statement
    if pp.plan is None or st is None or not isinstance(st.ast, exp.Select) or st.ast.args.get("locks"):
        return False
    if any(t.args.get("version") is not None for t in st.ast.find_all(exp.Table)):
        return False
    return point_read_of(pp.plan) is not None


def _plan(session: Any, pp: PreparedPlan) -> list[ResultColumn] | None:
    """(Re)plan: fills pp.param_types and pp.plan; returns the result columns (None: no rows)."""
    T = _types()
    st = pp.statement
    n = max(_max_param(st.ast) if st is not None else 0, len(pp.given_oids))
    given: list[Any] = [None] * n
    for i, oid in enumerate(pp.given_oids):
        if oid:
            given[i] = T.type_by_oid(oid)
    pp.generation = session.engine.plan_generation
    pp.branch = session.branch
    pp.search_path = tuple(session.search_path())
    pp.value_styles = _value_styles(session)
    pp.plan = None
    pp.cache = {}
    ast = st.ast if st is not None else None
    body = _explained(ast)
    if body is not None and _max_param(body) > 0:  # EXPLAIN ... $1: typed by the explained statement
        n = max(n, _max_param(body))
        given += [None] * (n - len(given))
        ast = body
    elif st is None or isinstance(st.ast, Utility):
        pp.param_types = [t or T.TEXT for t in given]
        if st is not None and st.ast.kind == "show":
            return [ResultColumn(name=_show_label(st.ast.args["name"]), type_oid=25, type_name="text")]
        if st is not None and st.ast.kind == "explain":
            return [ResultColumn(name="QUERY PLAN", type_oid=25, type_name="text")]
        if st is not None and st.ast.kind == "call":  # a procedure with OUT/INOUT parameters returns a row
            own = session.tx.txn is None
            try:
                return routine_statements.call_columns(session, st.ast.args)
            finally:
                if own and not session.tx.in_block:
                    session.tx.rollback()
        if st is not None and st.ast.kind == "execute":
            named = session.sql_prepared.get(st.ast.args["name"]) or _protocol_statement(session, st.ast.args["name"])
            if named is not None:
                return named.columns  # EXECUTE describes as its statement
        return None
    own_txn = session.tx.txn is None
    timezone, datestyle, intervalstyle, bytea_output = pp.value_styles
    try:
        # constants folded now depend on the session's TimeZone, DateStyle and output styles
        with runtime.use(timezone=timezone, datestyle=datestyle, intervalstyle=intervalstyle,
                         bytea_output=bytea_output):
            columns = _plan_statement(session, pp, ast, given, n)
            if body is not None:
                pp.plan = None  # the EXPLAIN runs as a utility statement, planned again with the values
                return [ResultColumn(name="QUERY PLAN", type_oid=25, type_name="text")]
            pp.point_write = is_point_write(session.context(), ast)
            return columns
    finally:
        if own_txn and not session.tx.in_block:
            session.tx.rollback()


def _plan_statement(session: Any, pp: PreparedPlan, ast: Any, given: list, n: int) -> list[ResultColumn] | None:
    ctx = session.context(params=[None] * n, param_types=list(given))
    if isinstance(ast, (exp.Query, exp.Values, exp.Subquery)):
        plan = session.plan_query(_describable(ast), ctx)
        inferred = list(getattr(plan, "param_types", []) or [])
        _check_determined(plan, given, inferred)
        pp.param_types = [_pick(given, inferred, i) for i in range(n)]
        pp.plan = plan
        from helios_core.sql.session_impl import plan_result_columns

        return plan_result_columns(plan, ctx.txn)
    if isinstance(ast, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        inferred_dml, cols = _dml_param_types(session, ctx, ast, given, n, pp.cache)
        pp.param_types = [_pick(given, inferred_dml, i) for i in range(n)]
        return cols
    pp.param_types = [t or _types().TEXT for t in given]
    return None


def _check_determined(plan: Any, given: list, inferred: list) -> None:
    """42P18 for a parameter only ever passed to an argument declared "any" (``concat($1, $2)``):
    nothing gives it a type, and PostgreSQL does not take text for it."""
    for i in getattr(plan, "any_params", ()) or ():
        if i < len(given) and given[i] is not None:
            continue
        t = inferred[i] if i < len(inferred) else None
        if t is None or t.name == "unknown":
            raise HeliosError(f"could not determine data type of parameter ${i + 1}", sqlstate="42P18")


def _describable(ast: Any) -> Any:
    """A query whose data-modifying CTEs are replaced by SELECTs of the same shape (for describing).

    ``WITH x AS (DELETE FROM t ... RETURNING a, b) SELECT ...`` is described (and its parameters
    typed) as ``WITH x AS (SELECT a, b FROM t WHERE false) SELECT ...``; the real statement runs the
    DELETE at execution (the plan made here is then not used).
    """
    with_ = ast.args.get("with_") or ast.args.get("with")
    if with_ is None or not any(isinstance(c.this, (exp.Insert, exp.Update, exp.Delete, exp.Merge))
                                for c in with_.expressions):
        return ast
    ast = ast.copy()
    with_ = ast.args.get("with_") or ast.args.get("with")
    for cte in with_.expressions:
        body = cte.this
        if not isinstance(body, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
            continue
        target = body.this.this if isinstance(body.this, exp.Schema) else body.this
        returning = body.args.get("returning")
        items = [e.copy() for e in returning.expressions] if returning is not None else [exp.Null().as_("_")]
        where = body.args.get("where")
        cond = exp.false() if where is None else exp.and_(exp.Paren(this=where.this.copy()), exp.false())
        cte.set("this", exp.select(*items).from_(target.copy()).where(cond))
    return ast


def _show_label(name: str) -> str:
    from helios_core.sql.settings import display_name

    return display_name(name)


def _pick(given: list[Any], inferred: list[Any], i: int) -> Any:
    T = _types()
    if given[i] is not None:
        return given[i]
    t = inferred[i] if i < len(inferred) else None
    if t is None or t.name == "unknown":
        return T.TEXT
    return t


def _note_planned(session: Any, ctx: Any, query: Any, inferred: list[Any], n: int) -> None:
    """Parameter types the planning of ``query`` gives, where ``inferred`` has none yet."""
    ctx.param_types = list(inferred)
    plan = session.plan_query(query, ctx)
    for i, t in enumerate(getattr(plan, "param_types", []) or []):
        if i < n and inferred[i] is None and t is not None:
            inferred[i] = t


def _dml_param_types(session: Any, ctx: Any, ast: Any, given: list[Any], n: int, cache: dict | None = None
                     ) -> tuple[list[Any], list | None]:
    """$n types of INSERT/UPDATE/DELETE: from target columns, else from planning the row query.
    ``cache``: the statement's, given the parameter layout of a bulk INSERT's VALUES rows."""
    from helios_core.sql import dml
    from helios_core.sql.ddl import ident

    inferred: list[Any] = list(given)
    txn = ctx.txn
    through_view = updatable_views.rewrite(session, ast)  # a view's target: its table's column types
    if through_view is not None:
        ast = through_view.ast
    table = ast.this.this if isinstance(ast, exp.Insert) and isinstance(ast.this, exp.Schema) else ast.this
    tdef, alias = dml._target(session, txn, table)
    ctypes = dml.column_types(tdef)
    names = [c for c, _ in ctypes]

    def note(node: Any, t: Any) -> None:
        idx = dml._param_index(node)
        if idx is not None and idx < n and inferred[idx] is None:
            # a parameter takes the column's type without its modifier, as in PostgreSQL: assigning
            # it to the column checks varchar(n)'s length and numeric(p,s)'s precision
            inferred[idx] = attrs.evolve(t, typmod=-1) if t.typmod != -1 else t

    if isinstance(ast, exp.Insert):
        cols = dml._insert_columns(tdef, ast.this)
        src = ast.args.get("expression")
        if isinstance(src, exp.Values):
            dml.check_values_width(src, cols, named=isinstance(ast.this, exp.Schema) and bool(ast.this.expressions))
        shape: list[list[int]] | bool = False
        if isinstance(src, exp.Values) and cache is not None and through_view is None and n >= BATCH_BIND:
            # a bulk INSERT into a table: its rows' parameter layout known before the first execution,
            # so every execution (in every session it is shared with) binds by column
            shape = dml.remember_values_shape(cache, src, [ctypes[c][1] for c in cols])
        if shape is not False:  # every cell a parameter: its number takes its column's type, row by row
            targets = [ctypes[c][1] for c in cols[:len(shape)]]
            targets = [attrs.evolve(t, typmod=-1) if t.typmod != -1 else t for t in targets]
            for row in zip(*shape[:len(targets)], strict=True):
                for idx, t in zip(row, targets, strict=True):
                    if idx < n and inferred[idx] is None:
                        inferred[idx] = t
        elif isinstance(src, exp.Values):
            for row in src.expressions:
                for j, cell in enumerate(row.expressions):
                    if j < len(cols):
                        note(cell, ctypes[cols[j]][1])
            if None in inferred[:n] and not any(isinstance(c, exp.Var) and c.name.upper() == "DEFAULT"
                                                for row in src.expressions for c in row.expressions):
                # parameters inside expressions ($1::int, lower($2)): the types the rows' planning
                # gives (row by row when the rows' types differ, as INSERT assigns each row alone)
                try:
                    _note_planned(session, ctx, src, inferred, n)
                except DatatypeMismatch:
                    for row in src.expressions:
                        _note_planned(session, ctx, exp.Values(expressions=[row]), inferred, n)
        elif src is not None:
            plan = session.plan_query(src, ctx)
            for i, t in enumerate(getattr(plan, "param_types", []) or []):
                if i < n and inferred[i] is None and t is not None:
                    inferred[i] = t
        conflict = ast.args.get("conflict")
        if conflict is not None:
            for e in conflict.expressions:
                if isinstance(e, exp.EQ) and not isinstance(e.this, exp.Tuple) and ident(e.this) in names:
                    note(e.expression, ctypes[names.index(ident(e.this))][1])
    elif isinstance(ast, (exp.Update, exp.Delete)):
        sets = []
        if isinstance(ast, exp.Update):
            sets = dml._set_items(tdef, list(ast.expressions))
            for ci, node in sets:
                note(node, ctypes[ci][1])
        where = ast.args.get("where")
        extra_from: list[Any] = []
        if isinstance(ast, exp.Update):
            f = ast.args.get("from_") or ast.args.get("from")
            if f is not None:
                extra_from = [f.this] + list(f.args.get("joins") or [])
        else:
            extra_from = list(ast.args.get("using") or [])
        q = dml._row_query(tdef, alias or tdef.name, ast.this, extra_from, where.this if where is not None else None,
                           [v for _, v in sets if not isinstance(v, exp.Var)])
        ctx.param_types = list(inferred)
        plan = session.plan_query(q, ctx)
        for i, t in enumerate(getattr(plan, "param_types", []) or []):
            if i < n and inferred[i] is None and t is not None:
                inferred[i] = t
    cols_out = None
    returning = ast.args.get("returning")
    if returning is not None:
        res = dml.returning_result(session, ctx, "", tdef, alias, returning, [])
        cols_out = res.columns
    return inferred, cols_out


# ------------------------------------------------------------------------------------ binding
_INT_RE = re.compile(r"^\s*[+-]?\d{1,19}\s*$")
_INT_RANGE = {"int2": (-(2**15), 2**15 - 1), "int4": (-(2**31), 2**31 - 1), "int8": (-(2**63), 2**63 - 1)}
_ASCII_SPACE = " \t\n\r\f\v"
_PLAIN_NUMERIC_RE = re.compile(r"^[ \t\n\r\f\v]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[ \t\n\r\f\v]*$")


def _plain_numeric(text: str) -> pa.Array | None:
    """A numeric parameter's text without an exponent (what drivers send for a Decimal) as the
    one-value decimal array text_in.parse_numeric makes of it (the precision its digits need,
    leading zeros included, the scale its fraction has), without that function's Arrow kernels,
    which cost a point UPDATE a quarter of its time. None: another spelling, or past 38 digits."""
    if not _PLAIN_NUMERIC_RE.match(text):
        return None
    digits = text.strip(_ASCII_SPACE).removeprefix("+")
    dot = digits.find(".")
    scale = 0 if dot == -1 else len(digits) - dot - 1
    whole = (len(digits) if dot == -1 else dot) - digits.startswith("-")
    precision = max(whole, 1) + scale
    if precision > 38:
        return None
    return pa.array([decimal.Decimal(digits)], pa.decimal128(precision, scale))

BATCH_BIND = 16  # from this many text parameters, those of one type are parsed together


def bind_params(stmt_types: list[Any], params: Sequence[Any]) -> list[Any]:
    """Wire values -> values of the parameter types (text is parsed with the type's input rules).

    Many text parameters (a 1,000-row INSERT of the statement cache) are parsed a type at a
    time, one vectorized cast per type; if any of them fails, all are bound again one by
    one, so the error is the first bad parameter's, as it always was.
    """
    if len(params) >= BATCH_BIND and len(params) == len(stmt_types):
        try:
            return _bind_batched(stmt_types, params)
        except HeliosError:
            pass
    return _bind_each(stmt_types, params)


def _bind_batched(stmt_types: list[Any], params: Sequence[Any]) -> list[Any]:
    T = _types()
    plain: list[Any] = []
    groups: dict[int, tuple[Any, list[int]]] = {}
    for i, (v, t) in enumerate(zip(params, stmt_types, strict=True)):
        if isinstance(v, str) and t.name not in ("text", "varchar", "unknown", "name", "bpchar") and \
                t.name not in _INT_RANGE and t.element is None:
            groups.setdefault(id(t), (t, []))[1].append(i)
            plain.append(v)
        else:
            plain.append(None)
    if not groups:
        return _bind_each(stmt_types, params)
    out = _bind_each(stmt_types, [None if plain[i] is not None else v for i, v in enumerate(params)])
    for t, idxs in groups.values():
        arr = F.cast(Vec(pa.array([plain[i] for i in idxs], pa.string()), T.TEXT), t, context="explicit").array
        if pa.types.is_struct(arr.type) and t.name == "numeric":
            for i, value in zip(idxs, NS.to_python(arr), strict=True):
                out[i] = value
            continue
        beyond = np.zeros(len(arr), dtype=bool)
        if t.name in ("date", "timestamp", "timestamptz"):
            ints = arr.cast(pa.int32() if pa.types.is_date32(arr.type) else pa.int64()).fill_null(0).to_numpy()
            limit = 1 if pa.types.is_date32(arr.type) else 86_400_000_000
            beyond = (ints < -719162 * limit) | (ints >= 2932897 * limit)
        typed = t.name == "jsonb" or isinstance(arr.type, pa.ExtensionType)  # as in _bind_each
        for j, i in enumerate(idxs):
            out[i] = Vec(arr.slice(j, 1), t, True) if beyond[j] or typed else arr[j]
    return out


_TEXT_TYPES = ("text", "varchar", "name", "bpchar")


def _column_shape(stmt_types: list[Any], layout: list[list[int]], memo: dict | None
                  ) -> tuple[bool, list[Any]] | None:
    """(whether ``layout`` is the strided one, each VALUES column's one parameter type), or None
    when a column's parameters differ in type. Remembered in ``memo`` (the prepared statement's
    cache) for these very lists: a batch's types and layout stay as they were prepared, and
    checking 4,000 parameters again cost every batch a tenth of its binding."""
    known = memo.get("values_column_shape") if memo is not None else None
    if known is not None and known[0] is stmt_types and known[1] is layout:
        return known[2]
    width = len(layout)
    strided = layout == strided_layout(width, len(stmt_types))
    column_types: list[Any] = []
    shape: tuple[bool, list[Any]] | None = (strided, column_types)
    for j, idxs in enumerate(layout):
        types = stmt_types[j::width] if strided else [stmt_types[i] for i in idxs]
        t = types[0]
        if t is None or t.element is not None or (len(set(map(id, types))) != 1 and any(x != t for x in types)):
            shape = None
            break
        column_types.append(t)
    if memo is not None:
        memo["values_column_shape"] = (stmt_types, layout, shape)
    return shape


def bind_columns(stmt_types: list[Any], params: Sequence[Any], layout: list[list[int]],
                 targets: list[Any] | None = None, memo: dict | None = None) -> list[Vec] | None:
    """The parameters of a bulk INSERT's VALUES rows bound a column at a time, as Vecs of the
    parameters' types, the values ``bind_params`` and ``dml._param_vec`` would give them: texts,
    or a binary Bind's integers, floats and timestamps (``_python_column``).

    Number literals the statement cache cut out of the SQL text (constant_lifting.LiteralTexts,
    ``targets``: the INSERT's column types, once known) are parsed by one Arrow cast: an integer
    literal as its integer type; a numeric literal going into a float8 column straight into
    float8, which is what numeric-to-float8 assignment gives (both read the same digits).

    ``layout``: the parameter numbers of each VALUES column (dml._parameter_columns), covering
    every parameter once, so nothing else reads them one by one. ``memo``: the prepared
    statement's cache, where the columns' types are remembered (``_column_shape``). None for anything it cannot
    vouch for (a value that does not parse, a date beyond Python's, numeric NaN, arrays, a
    column of mixed parameter types): those are bound the ordinary way, errors included.
    """
    n = len(params)
    if n < BATCH_BIND or n != len(stmt_types) or sum(len(idxs) for idxs in layout) != n:
        return None
    literal = isinstance(params, LiteralTexts)  # texts only
    T = _types()
    out: list[Vec] = []
    width = len(layout)
    shape = _column_shape(stmt_types, layout, memo)
    if shape is None:
        return None
    strided, column_types = shape
    for j, idxs in enumerate(layout):
        t = column_types[j]
        values = params[j::width] if strided else [params[i] for i in idxs]
        if not literal and set(map(type, values)) != {str}:
            typed = _python_column(values, t)
            if typed is None:
                return None
            out.append(typed)
            continue
        texts = pa.array(values, pa.string())
        if literal and None not in (params.kinds[j::width] if strided else [params.kinds[i] for i in idxs]):
            quick = _literal_numbers(texts, t, targets[j] if targets is not None and j < len(targets) else None)
            if quick is not None:
                out.append(quick)
                continue
        if t.name in _TEXT_TYPES:
            out.append(Vec(texts.cast(t.arrow_type), t))
            continue
        if t.name == "unknown":
            out.append(Vec(texts, T.UNKNOWN))
            continue
        try:
            arr = F.cast(Vec(texts, T.TEXT), t, context="explicit").array
            if arr.null_count or pa.types.is_struct(arr.type):
                return None  # numeric NaN / Infinity
            if t.name in ("date", "timestamp", "timestamptz"):
                date = pa.types.is_date32(arr.type)
                ints = arr.cast(pa.int32() if date else pa.int64()).to_numpy()
                limit = 1 if date else 86_400_000_000
                if ((ints < -719162 * limit) | (ints >= 2932897 * limit)).any():
                    return None  # BC, past 9999, infinity: no Python value holds them
            if isinstance(arr.type, pa.ExtensionType):
                return None  # numeric past 76 digits: an Arrow cast of it to decimal256 loses digits silently
            if arr.type != t.arrow_type and not (t.name == "numeric" and pa.types.is_decimal(arr.type)):
                arr = arr.cast(t.arrow_type)
            # a numeric keeps the decimal its text gave (a scale past the storage type's included):
            # the column's assignment rounds it as its own type says (dml.assign)
        except (HeliosError, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return None
        out.append(Vec(arr, t))
    return out


# parameter type -> the Python type a binary Bind decodes its values to (helios_protocol_pg.param_columns)
_PYTHON_COLUMNS = {"int2": int, "int4": int, "int8": int, "float8": float, "timestamptz": dt.datetime,
                   "timestamp": dt.datetime}


def _python_column(values: Sequence[Any], t: Any) -> Vec | None:
    """A column of Python values of the parameter's own kind (a client's binary integers, floats,
    timestamps: aware ones for timestamptz, naive for timestamp; NULLs among them) as one Arrow
    array, the values ``bind_params`` gives them one by one; None for anything else, and for a value
    outside the type (bound the ordinary way, which raises its error)."""
    want = _PYTHON_COLUMNS.get(t.name)
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if want is None or t.element is not None or kinds != {want}:
        return None  # (a bool is no int here: its type is bool)
    if want is dt.datetime:
        aware = t.name == "timestamptz"
        if any(v is not None and (v.tzinfo is None) == aware for v in values):
            return None
    try:
        return Vec(pa.array(values, t.arrow_type), t)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return None


def _literal_numbers(texts: pa.Array, t: Any, target: Any) -> Vec | None:
    """Number literals (lexer tokens: no sign but a leading minus, no spaces, no hex; never quoted
    strings) parsed by one cast, or None for the general parse. A cast that fails (a value past the
    type) and a float that overflowed or underflowed (past float8: PostgreSQL's error) take the
    general way."""
    try:
        if t.name in ("int4", "int8"):
            return Vec(texts.cast(t.arrow_type), t)
        if t.name == "numeric" and target is not None and target.name == "float8" and target.element is None:
            values = texts.cast(pa.float64())
            lo, hi = pc.min_max(pc.abs(values)).values()
            if hi.as_py() == float("inf") or lo.as_py() == 0.0:  # a zero literal may be an underflow
                return None
            return Vec(values, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return None


@functools.lru_cache(maxsize=64)
def strided_layout(width: int, n: int) -> list[list[int]]:
    """The parameter layout of ``n // width`` VALUES rows of ``width`` parameters numbered in
    order ($1, $2 the first row, $3, $4 the next, ...): column j holds j, j + width, ...
    (cached and shared: read it, never change it)"""
    return [list(range(j, n, width)) for j in range(width)]


def _bind_each(stmt_types: list[Any], params: Sequence[Any]) -> list[Any]:
    T = _types()
    if len(params) != len(stmt_types):
        raise HeliosError(f"bind message supplies {len(params)} parameters, but prepared statement requires "
                          f"{len(stmt_types)}", sqlstate="08P01")
    out: list[Any] = []
    for v, t in zip(params, stmt_types, strict=True):
        if v is None:
            out.append(None)
            continue
        if isinstance(v, (bytes, bytearray, memoryview)):
            if t.name == "bytea":
                out.append(bytes(v))
                continue
            v = bytes(v).decode("utf-8")
        if isinstance(v, str):
            if t.name in ("text", "varchar", "unknown", "name", "bpchar"):
                out.append(v)
                continue
            if type(v) is CanonicalText and t.name == "jsonb":  # stored as given (helios_core.session)
                out.append(Vec(pa.array([str(v)], pa.string()), t, True))
                continue
            if t.name in _INT_RANGE and _INT_RE.match(v):
                n = int(v)
                lo, hi = _INT_RANGE[t.name]
                if lo <= n <= hi:
                    out.append(n)
                    continue
            if t.name == "numeric" and t.typmod == -1 and t.domain is None:
                plain = _plain_numeric(v)
                if plain is not None:
                    out.append(Vec(plain, t, True))
                    continue
            arr = F.cast(Vec(pa.array([v], pa.string()), T.TEXT), t, context="explicit").array
            if pa.types.is_struct(arr.type) and t.name == "numeric":  # NaN / Infinity as a Decimal
                out.append(NS.to_python(arr)[0])
                continue
            if t.name in ("date", "timestamp", "timestamptz") and _beyond_python(arr):
                out.append(Vec(arr, t, True))  # BC, past 9999, ±infinity: no Python value holds it
                continue
            if t.name == "jsonb" or isinstance(arr.type, pa.ExtensionType) or (
                    arr.type != t.arrow_type and _innermost_name(t) == "numeric"):
                # typed: an Arrow string would be parsed as jsonb again, and an extension scalar
                # (numeric past 76 digits) or one held another way (numeric[] with NaN) does not
                # rebuild from its Python value
                out.append(Vec(arr, t, True))
                continue
            out.append(arr[0])
            continue
        if isinstance(v, list) and t.element is not None:
            out.append(_array_value(v, t))
            continue
        if isinstance(v, dict) and t.composite is not None:
            out.append(_record_value(v, t))
            continue
        out.append(v)
    return out


def _record_value(v: dict, t: Any) -> Any:
    """A composite parameter decoded from PostgreSQL's binary record ({attribute: value}) as the
    type's Arrow struct: each field bound as a parameter of the attribute's type would be."""
    children = []
    for name, ft in zip(t.field_names, t.fields, strict=True):
        bound = _bind_each([ft], [v.get(name)])[0]
        if isinstance(bound, Vec):
            child = bound.array
        elif isinstance(bound, pa.Scalar):
            child = pa.array([bound.as_py()], type=bound.type)
        else:
            child = pa.array([bound], type=ft.arrow_type)
        if child.type != ft.arrow_type and not pa.types.is_decimal(child.type):
            child = child.cast(ft.arrow_type)
        children.append(child)
    return pa.StructArray.from_arrays(children, names=list(t.field_names))[0]


def _beyond_python(arr: pa.Array) -> bool:
    """A date/timestamp value outside the years 1..9999 of Python's datetime."""
    v = arr.cast(pa.int32() if pa.types.is_date32(arr.type) else pa.int64())[0].as_py()
    limit = 1 if pa.types.is_date32(arr.type) else 86_400_000_000
    return v is not None and not -719162 * limit <= v < 2932897 * limit


def _innermost_name(t: Any) -> str:
    """The element type's name of an array type of any depth (the type's own name otherwise)."""
    while t.element is not None:
        t = t.element
    return t.name


def _array_value(v: list, t: Any) -> Any:
    """A decoded array parameter in the array type's Arrow form. Elements Arrow cannot take as
    they are (uuid.UUID, interval text) go through the type's text input, as PostgreSQL's
    array_in would read them, and so do elements held as text that the type's input puts in
    canonical form (jsonb, inet: a binary element arrives as its sender's text)."""
    element = t.element
    while element.element is not None:
        element = element.element
    if not (pa.types.is_string(element.arrow_type) and element.name not in _TEXT_TYPES):
        try:
            return pa.array([v], type=t.arrow_type)[0]
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            pass
    text = _array_text(v)
    arr = F.cast(Vec(pa.array([text], pa.string()), _types().TEXT), t, context="explicit").array
    if arr.type != t.arrow_type and _innermost_name(t) == "numeric":
        return Vec(arr, t, True)  # held another way (numeric NaN elements): typed, as its scalar would lose that
    return arr[0]


def _array_text(v: Any) -> str:
    """PostgreSQL array text of a (nested) Python list: every element quoted, NULL as NULL."""
    if v is None:
        return "NULL"
    if isinstance(v, list):
        return "{" + ",".join(_array_text(x) for x in v) + "}"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def execute(session: Any, stmt: PreparedStatement, params: Sequence[Any]) -> Result:
    """Run a prepared statement in its own implicit transaction (or the open block)."""
    def run() -> Result:
        return run_prepared(session, stmt, params)

    return session.run_in_implicit(run)


def run_prepared(session: Any, stmt: PreparedStatement, params: Sequence[Any], lazy: bool = False) -> Result:
    if stmt.plan.nests_deeply:  # re-planned and run, not streamed, on the deep stack
        return deep_nesting.run_deep(_run_prepared, session, stmt, params, False)
    return _run_prepared(session, stmt, params, lazy)


def _run_prepared(session: Any, stmt: PreparedStatement, params: Sequence[Any], lazy: bool) -> Result:
    pp: PreparedPlan = stmt.plan
    pp.executions += 1
    st = pp.statement
    if st is None:
        return Result(command_tag="EMPTY")
    if isinstance(st.ast, Utility):
        if params and st.ast.kind == "explain":  # planned with the values bound, as PostgreSQL's custom plan
            values = bind_params(pp.param_types, params)
            args = {**st.ast.args, "params": values, "param_types": list(pp.param_types)}
            return session._run_statement(attrs.evolve(st, ast=Utility(kind="explain", args=args)))
        if params:
            raise HeliosError("utility statements take no parameters", sqlstate="08P01")
        return session._run_statement(st)
    if (pp.generation != session.engine.plan_generation or pp.branch != session.branch
            or pp.search_path != tuple(session.search_path()) or pp.value_styles != _value_styles(session)):
        session.tx.check_not_failed()
        cols = _plan(session, pp)
        stmt.short = _is_short(pp)
        if stmt.columns is not None and cols is not None and [
                (c.name, c.type_oid) for c in cols] != [(c.name, c.type_oid) for c in stmt.columns]:
            raise HeliosError("cached plan must not change result type", sqlstate="0A000",
                              routine="RevalidateCachedQuery")
    pp.cache.pop("bound_columns", None)
    layout = pp.cache.get("values_parameters")
    columns = bind_columns(pp.param_types, params, layout, pp.cache.get("values_targets"), pp.cache) if layout else None
    if columns is not None:  # a bulk INSERT's VALUES rows: dml._parameter_columns takes them as they are
        pp.cache["bound_columns"] = columns
        return session._run_statement(st, list(params), pp, lazy=lazy)
    values = bind_params(pp.param_types, params)
    return session._run_statement(st, values, pp, lazy=lazy)


# ------------------------------------------------------------------------------------ SQL PREPARE/EXECUTE
def sql_prepare(session: Any, args: dict) -> Result:
    T = _types()
    name = args["name"]
    if name in session.sql_prepared or _protocol_statement(session, name) is not None:
        raise HeliosError(f'prepared statement "{name}" already exists', sqlstate="42P05")
    oids = [T.type_from_name(t).oid for t in args["types"]]
    session.sql_prepared[name] = prepare(session, args["body"], oids)
    session.sql_prepared[name].plan.statement_text = args.get("text") or f"PREPARE {name} AS {args['body']}"
    return Result(command_tag="PREPARE")


def _protocol_statement(session: Any, name: str) -> PreparedStatement | None:
    """A statement the wire protocol prepared under ``name`` (PostgreSQL's Parse): SQL's PREPARE and
    EXECUTE share one namespace with it, as in PostgreSQL (asyncpg's ``prepare(name=...)`` is then run
    by ``EXECUTE name``)."""
    listing = getattr(session, "protocol_listing", None)
    find = getattr(listing, "prepared_statement", None)
    return find(name) if find is not None and name else None


def sql_execute(session: Any, args: dict) -> Result:
    stmt, values = execute_arguments(session, args)
    pp: PreparedPlan = stmt.plan
    pp.executions += 1
    st = pp.statement
    if st is None:
        return Result(command_tag="EMPTY")
    if (pp.generation != session.engine.plan_generation or pp.branch != session.branch
            or pp.value_styles != _value_styles(session)):
        _plan(session, pp)
    if isinstance(st.ast, Utility):
        return session._utility(st)
    session.tx.statement_start()
    return session._dispatch(st, values, pp)


def execute_arguments(session: Any, args: dict) -> tuple[PreparedStatement, list[Any]]:
    """The statement ``EXECUTE name (args)`` names and its argument values (evaluated as a SELECT
    list cast to the parameter types); 26000 / 42601 as PostgreSQL."""
    stmt = session.sql_prepared.get(args["name"]) or _protocol_statement(session, args["name"])
    if stmt is None:
        raise HeliosError(f'prepared statement "{args["name"]}" does not exist', sqlstate="26000")
    text = args["params"].strip()
    values: list[Any] = []
    pp: PreparedPlan = stmt.plan
    if text:
        if not (text.startswith("(") and text.endswith(")")):
            raise HeliosError(f'syntax error at or near "{text[:10]}"', sqlstate="42601")
        q = dialect.parse(f"select {text[1:-1]}")[0].ast
        if len(q.expressions) != len(pp.param_types):
            raise HeliosError(f"wrong number of parameters for prepared statement \"{args['name']}\"",
                              sqlstate="42601",
                              detail=f"Expected {len(pp.param_types)} parameters but got {len(q.expressions)}.")
        casted = []
        for e, t in zip(q.expressions, pp.param_types, strict=False):
            casted.append(exp.Cast(this=e, to=exp.DataType.build(t.stored_name(), dialect="postgres", udt=True)))
        q.set("expressions", casted)
        plan = session.plan_query(q, session.context())
        batches = list(plan.execute(session.context()))
        if batches:
            values = [batches[0].column(i)[0] for i in range(batches[0].num_columns)]
    if len(values) != len(pp.param_types):
        raise HeliosError(f"wrong number of parameters for prepared statement \"{args['name']}\"",
                          sqlstate="42601",
                          detail=f"Expected {len(pp.param_types)} parameters but got {len(values)}.")
    return stmt, values


# ------------------------------------------------------------------------------------ SQL cursors
@attrs.define(eq=False)
class SqlCursor:
    """DECLARE ... CURSOR: rows produced lazily by the plan, kept once fetched (for MOVE/ABSOLUTE)."""

    name: str
    columns: list[ResultColumn]
    hold: bool
    source: Any  # iterator of RecordBatches (None once drained)
    fetched: list = attrs.Factory(list)  # batches produced so far
    produced: int = 0  # rows produced so far
    position: int = 0  # rows before the cursor (0 = before the first row)
    statement: str = ""  # as pg_cursors shows it
    created_at: dt.datetime = attrs.Factory(lambda: dt.datetime.now(dt.UTC))
    no_scroll: bool = False  # DECLARE ... NO SCROLL CURSOR: every move back is 55000

    def _fill(self, upto: int | None) -> None:
        """Produce rows until ``upto`` are available (None: all)."""
        while self.source is not None and (upto is None or self.produced < upto):
            batch = next(self.source, None)
            if batch is None:
                self.source = None
                break
            if batch.num_rows:
                self.fetched.append(batch)
                self.produced += batch.num_rows

    def _slice(self, start: int, stop: int) -> list:
        if stop <= start:
            return []
        table = pa.Table.from_batches(self.fetched) if self.fetched else None
        if table is None:
            return []
        return table.slice(start, stop - start).to_batches()

    def fetch(self, count: int | None, direction: str) -> tuple[int, list]:
        """Move and return (rows, batches) as FETCH does."""
        if direction in ("forward", "backward") and count is not None and count <= 0:
            if count == 0:  # FETCH FORWARD 0 / BACKWARD 0: the current row again
                direction = "relative"
            else:  # FETCH -n is FETCH BACKWARD n, BACKWARD -n is FORWARD n
                direction, count = ("backward" if direction == "forward" else "forward"), -count
        if self.no_scroll and self._goes_back(count, direction):
            raise HeliosError("cursor can only scan forward", sqlstate="55000",
                              hint="Declare it with SCROLL option to enable backward scan.")
        if direction == "forward":
            want = None if count is None else self.position + count
            self._fill(want)
            stop = self.produced if want is None else min(want, self.produced)
            out = self._slice(self.position, stop)
            n = stop - self.position
            if want is None or want > self.produced:  # asked past the last row: now after it
                self.position = self.produced + 1
            else:
                self.position = stop
            return max(n, 0), out
        if direction == "backward":
            start = 0 if count is None else max(0, self.position - 1 - count)
            end = max(self.position - 1, 0)
            out = self._slice(start, end)
            rows = end - start
            self.position = start + 1 if rows else 0
            return rows, list(reversed([b.take(pa.array(range(b.num_rows - 1, -1, -1))) for b in out]))
        if direction in ("absolute", "relative"):
            target = count if direction == "absolute" else self.position + (count or 0)
            if target is not None and target < 0:
                self._fill(None)
                target = self.produced + 1 + target
            self._fill(target)
            if target is None or target < 1 or target > self.produced:
                self.position = 0 if (target or 0) < 1 else self.produced + 1
                return 0, []
            self.position = target
            return 1, self._slice(target - 1, target)
        raise HeliosError(f"unsupported FETCH direction {direction}", sqlstate="0A000")

    def _goes_back(self, count: int | None, direction: str) -> bool:
        """The move needs rows before the current one (or a rewind past the start), as PostgreSQL
        judges it for a NO SCROLL cursor: ABSOLUTE n beyond the position and moves from the start
        stay allowed."""
        if direction == "backward":
            return True
        if direction == "relative":
            return (count or 0) < 0 or (count == 0 and self.position > 0)
        if direction == "absolute":
            return count is None or count < 0 or (count == 0 and self.position > 0) or 0 < count <= self.position
        return False

    def materialize(self) -> None:
        self._fill(None)


def declare_cursor(session: Any, args: dict) -> Result:
    name = args["name"]
    if not args["hold"] and not session.tx.in_block:
        raise HeliosError("DECLARE CURSOR can only be used in transaction blocks", sqlstate="25P01")
    if name in session.cursors:
        raise HeliosError(f'cursor "{name}" already exists', sqlstate="42P03")
    stmts = dialect.parse(args["body"])
    if len(stmts) != 1 or not isinstance(stmts[0].ast, (exp.Query, exp.Values)):
        raise HeliosError("DECLARE CURSOR needs a SELECT or VALUES query", sqlstate="42601")
    open_cursor(session, name, stmts[0].ast, hold=args["hold"],
                statement=args.get("text") or f"DECLARE {name} CURSOR FOR {args['body']}")
    session.cursors[name].no_scroll = bool(args.get("no_scroll"))
    return Result(command_tag="DECLARE CURSOR")


def open_cursor(session: Any, name: str, query: Any, *, hold: bool = False, statement: str = "",
                params: Sequence[Any] = (), param_types: Sequence[Any] = (), materialize: bool = False) -> None:
    """A cursor named ``name`` over the query (its ``$n`` = ``params``): DECLARE's, and PL/pgSQL's
    OPEN (``materialize``: the rows are made at once, as its variables were bound)."""
    from helios_core.sql.session_impl import result_column

    ctx = session.context(params=list(params), param_types=list(param_types))
    plan = session.plan_query(query, ctx)
    cols = [result_column(n, t) for n, t in plan.columns]
    source = iter(list(plan.execute(ctx)) if materialize else plan.execute(ctx))
    session.cursors[name] = SqlCursor(name=name, columns=cols, hold=hold, source=source, statement=statement)


def fetch_cursor(session: Any, args: dict) -> Result:
    cur = session.cursors.get(args["name"])
    if cur is None:
        raise HeliosError(f'cursor "{args["name"]}" does not exist', sqlstate="34000")
    n, batches = cur.fetch(args["count"], args["direction"])
    if args["move"]:
        return Result(command_tag=f"MOVE {n}")
    return Result(command_tag=f"FETCH {n}", columns=cur.columns, batches=batches)


def close_cursor(session: Any, args: dict) -> Result:
    if args["name"] is None:
        session.cursors.clear()
    elif session.cursors.pop(args["name"], None) is None:
        raise HeliosError(f'cursor "{args["name"]}" does not exist', sqlstate="34000")
    return Result(command_tag="CLOSE CURSOR" if args["name"] is not None else "CLOSE CURSOR ALL")


def cursors_at_transaction_end(session: Any, committed: bool) -> None:
    """Cursors without HOLD end with their transaction; WITH HOLD ones are materialized at commit."""
    for name, cur in list(session.cursors.items()):
        if not cur.hold or not committed:
            if not cur.hold or cur.source is not None:
                session.cursors.pop(name, None)
            continue
        cur.materialize()
