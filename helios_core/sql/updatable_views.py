"""INSERT, UPDATE and DELETE on a view: PostgreSQL's automatically updatable views.

A view is updatable when its query reads one table or updatable view and has no DISTINCT,
GROUP BY, HAVING, set operation, WITH, LIMIT/OFFSET, aggregate, window or set-returning
function. A statement on such a view is rewritten into one on the relation it reads: the
view's columns become the expressions they stand for, UPDATE and DELETE see only the rows
the view shows (its WHERE is added), and the columns that are plain references to the
relation's columns may be written. Views over views are rewritten level by level, each
level's privileges checked as the owner of the view above it (the user for the top one).
WITH CHECK OPTION (LOCAL, or CASCADED to every view below) refuses new rows the view
would not show (44000). Everything else is refused with PostgreSQL's messages (0A000).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedColumn, UndefinedTable
from helios_core.frontends.postgres.dialect import parse
from helios_core.sql import dml_privileges, partitions, triggers_catalog
from helios_core.sql import object_privileges as P
from helios_core.sql.constraints import failing_row
from helios_core.sql.context import table_sql_columns
from helios_core.sql.ddl import ident, table_name
from helios_core.sql.expr import Scope, compile_scalar

SYSTEM_COLUMNS = frozenset({"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid"})
# functions returning sets: a view whose select list calls one is not updatable
_SET_RETURNING = frozenset({
    "generate_series", "unnest", "regexp_matches", "regexp_split_to_table", "string_to_table",
    "jsonb_array_elements", "jsonb_array_elements_text", "json_array_elements", "json_array_elements_text",
    "jsonb_each", "jsonb_each_text", "json_each", "json_each_text", "jsonb_object_keys", "json_object_keys",
    "jsonb_path_query", "generate_subscripts", "pg_get_keywords", "jsonb_to_recordset", "json_to_recordset",
    "jsonb_populate_recordset", "json_populate_recordset",
})
_VERB = {"INSERT": ("insert into", "inserting into"), "UPDATE": ("update", "updating"),
         "DELETE": ("delete from", "deleting from")}


class CheckOptionViolation(HeliosError):
    sqlstate = "44000"


@attrs.define
class ViewShape:
    """What a view's query means for writing through it."""

    schema: str
    name: str
    owner: str
    base: exp.Table | None  # the relation the query reads (None when not updatable)
    qual: str  # the name the query gives that relation
    columns: list[tuple[str, exp.Expression]]  # view column -> expression over ``qual``
    where: exp.Expression | None
    check_option: str | None
    reason: str | None  # PostgreSQL's DETAIL for a view that is not updatable
    defaults: dict[str, str] = attrs.Factory(dict)  # ALTER VIEW ... ALTER COLUMN ... SET DEFAULT


@attrs.define
class Rewritten:
    """A statement on a view, rewritten down to a stored table."""

    ast: exp.Expression
    owner: str  # whose privileges the rewritten statement's target is checked with
    checks: list[tuple[str, exp.Expression]]  # (view, condition over the table's columns), innermost first
    base: tuple[str, str]
    instead_of: dict | None = None  # the catalog record of the view (``base``) whose INSTEAD OF triggers write


# (schema, table) -> [(view, condition)]: the check options of the running statement
_CHECKS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("view_check_options", default=None)


def view_record(session: Any, txn: Any, table: exp.Table) -> tuple[str, str, dict] | None:
    """(schema, name, catalog record) when ``table`` names a view, else None. Unqualified, the first
    schema of the search path holding a table or view of that name decides (the session's temporary
    schema too), as PostgreSQL looks relations up."""
    if table.args.get("db") is not None:
        schema, name = table_name(session, table, txn)
        if txn.get_table(schema, name) is not None:
            return None
        rec = txn.catalog_get("view", f"{schema}.{name}")
        return None if rec is None else (schema, name, rec)
    name = ident(table.this)
    for schema in session.search_path():
        if txn.get_table(schema, name) is not None:
            return None
        rec = txn.catalog_get("view", f"{schema}.{name}")
        if rec is not None:
            return schema, name, rec
    return None


def _query_of(rec: dict) -> exp.Expression:
    tree = parse(rec.get("select") or rec["sql"])[0].ast
    return getattr(tree, "tree", None) or tree


def _not_updatable_reason(q: exp.Expression) -> str | None:
    if isinstance(q, exp.SetOperation):
        return "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable."
    if not isinstance(q, exp.Select):
        return "Views that do not select from a single table or view are not automatically updatable."
    if q.args.get("with_") is not None or q.args.get("with") is not None:
        return "Views containing WITH are not automatically updatable."
    if q.args.get("distinct") is not None:
        return "Views containing DISTINCT are not automatically updatable."
    if q.args.get("group") is not None:
        return "Views containing GROUP BY are not automatically updatable."
    if q.args.get("having") is not None:
        return "Views containing HAVING are not automatically updatable."
    if q.args.get("limit") is not None or q.args.get("offset") is not None or q.args.get("fetch") is not None:
        return "Views containing LIMIT or OFFSET are not automatically updatable."
    own = [n for e in q.expressions for n in e.walk() if n.find_ancestor(exp.Select) is q]  # not subqueries
    if any(isinstance(n, exp.Window) for n in own):
        return "Views that return window functions are not automatically updatable."
    if any(isinstance(n, exp.AggFunc) and n.find_ancestor(exp.Window) is None for n in own):
        return "Views that return aggregate functions are not automatically updatable."
    if any(isinstance(n, (exp.Explode, exp.Unnest, exp.GenerateSeries)) or (isinstance(n, exp.Func) and (
            n.name if isinstance(n, exp.Anonymous) else n.sql_name()).lower() in _SET_RETURNING) for n in own):
        return "Views that return set-returning functions are not automatically updatable."
    return None


def _single_relation(session: Any, txn: Any, q: exp.Select) -> exp.Table | None:
    """The one table or view a query reads, or None."""
    frm = q.args.get("from_") or q.args.get("from")
    if frm is None or q.args.get("joins"):
        return None
    t = frm.this
    if not isinstance(t, exp.Table) or not isinstance(t.this, exp.Identifier):
        return None
    schema, name = table_name(session, t, txn)
    if txn.get_table(schema, name) is not None:
        tdef = txn.get_table(schema, name)
        if (tdef.options or {}).get("matview"):
            return None
        return t
    if txn.catalog_get("view", f"{schema}.{name}") is not None:
        return t
    return None


def _relation_columns(session: Any, txn: Any, table: exp.Table) -> list[str]:
    schema, name = table_name(session, table, txn)
    tdef = txn.get_table(schema, name)
    if tdef is not None:
        return [c.name for c in tdef.columns if not c.name.startswith("__")]
    rec = txn.catalog_get("view", f"{schema}.{name}") or {}
    return list(rec.get("columns") or [])


def analyze(session: Any, txn: Any, schema: str, name: str, rec: dict) -> ViewShape:
    """How a view maps onto the relation it reads (or why it does not)."""
    owner = rec.get("owner") or P.BOOTSTRAP_OWNER  # as object_privileges.load reads it
    check = (rec.get("options") or {}).get("check_option")
    q = _query_of(rec)
    reason = _not_updatable_reason(q)
    base = None if reason else _single_relation(session, txn, q)
    if reason is None and base is None:
        reason = "Views that do not select from a single table or view are not automatically updatable."
    if reason is not None:
        return ViewShape(schema, name, owner, None, "", [], None, check, reason)
    qual = ident(base.args["alias"].this) if base.args.get("alias") is not None else ident(base.this)
    real = _relation_columns(session, txn, base)
    full_names = {ident(base.this), f"{ident(base.args['db'])}.{ident(base.this)}" if base.args.get("db") else ""}
    for col in list(q.find_all(exp.Column)):  # every reference of the query's own level names the relation
        if col.find_ancestor(exp.Select) is not q or isinstance(col.this, exp.Star):
            continue
        if not col.table or col.table in full_names:
            col.set("table", exp.to_identifier(qual))
            col.set("db", None)
    exprs: list[exp.Expression] = []
    for e in q.expressions:
        if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)):
            exprs += [exp.column(c, table=qual) for c in real]
        else:
            exprs.append(e.this if isinstance(e, exp.Alias) else e)
    names = list(rec.get("columns") or [])
    columns = [(n, exprs[i]) for i, n in enumerate(names) if i < len(exprs)]
    where = q.args.get("where")
    return ViewShape(schema, name, owner, base, qual, columns, where.this if where is not None else None,
                     check, None, dict(rec.get("defaults") or {}))


def column_problem(shape: ViewShape, expr: exp.Expression, real: list[str]) -> str | None:
    """Why a view column cannot be written (PostgreSQL's DETAIL), or None when it can."""
    if isinstance(expr, exp.Column) and not isinstance(expr.this, exp.Star) and expr.table == shape.qual:
        n = ident(expr.this)
        if n in SYSTEM_COLUMNS:
            return "View columns that refer to system columns are not updatable."
        if n in real:
            return None
    return "View columns that are not columns of their base relation are not updatable."


def refuse(command: str, view: str, detail: str) -> FeatureNotSupported:
    verb, doing = _VERB[command]
    return FeatureNotSupported(
        f'cannot {verb} view "{view}"', detail=detail,
        hint=f"To enable {doing} the view, provide an INSTEAD OF {command} trigger or an unconditional "
             f"ON {command} DO INSTEAD rule.")


def _command(ast: exp.Expression) -> str:
    return {exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE"}[type(ast)]


def _target_table(ast: exp.Expression) -> exp.Table:
    node = ast.this
    return node.this if isinstance(node, exp.Schema) else node


def _requalified(node: exp.Expression, old: str, new: str) -> exp.Expression:
    node = node.copy()
    for col in node.find_all(exp.Column):
        if col.table == old:
            col.set("table", exp.to_identifier(new))
    return node


def _substitute(node: Any, mapping: dict[str, exp.Expression], quals: set[str],
                excluded: dict[str, exp.Expression] | None = None) -> Any:
    """``node`` with the view's columns replaced by what they stand for."""
    if node is None:
        return None

    def repl(n: exp.Expression) -> exp.Expression:
        if not isinstance(n, exp.Column) or isinstance(n.this, exp.Star):
            return n
        name = ident(n.this)
        if excluded is not None and n.table == "excluded":
            if name not in excluded:
                raise UndefinedColumn(f'column excluded.{name} does not exist')
            return excluded[name].copy()
        if n.table in quals or (not n.table and n.find_ancestor(exp.Select) is None):
            if name in mapping:
                return exp.paren(mapping[name].copy()) if not isinstance(mapping[name], exp.Column) \
                    else mapping[name].copy()
            if n.table in quals:
                raise UndefinedColumn(f"column {n.table}.{name} does not exist")
        return n

    return node.transform(repl)


def _star_list(columns: list[tuple[str, exp.Expression]], mapping: dict[str, exp.Expression]
               ) -> list[exp.Expression]:
    return [exp.alias_(mapping[n].copy(), n, quoted=True) if not (
        isinstance(mapping[n], exp.Column) and ident(mapping[n].this) == n) else mapping[n].copy()
        for n, _ in columns]


def _rewrite_returning(returning: Any, columns: list[tuple[str, exp.Expression]],
                       mapping: dict[str, exp.Expression], quals: set[str]) -> Any:
    if returning is None:
        return None
    out: list[exp.Expression] = []
    for e in returning.expressions:
        if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star) and (
                not e.table or e.table in quals)):
            out += _star_list(columns, mapping)
            continue
        if isinstance(e, exp.Column) and not isinstance(e.this, exp.Star):
            name = ident(e.this)
            sub = _substitute(e, mapping, quals)
            out.append(sub if isinstance(sub, exp.Column) and ident(sub.this) == name
                       else exp.alias_(sub, name, quoted=True))
            continue
        out.append(_substitute(e, mapping, quals))
    new = returning.copy()
    new.set("expressions", out)
    return new


def _written(command: str, shape: ViewShape, names: list[str], real: list[str]) -> list[str]:
    """The relation's columns the view columns ``names`` write (0A000/42601 as PostgreSQL)."""
    cols = dict(shape.columns)
    out: list[str] = []
    verb = "insert into" if command == "INSERT" else "update"
    for n in names:
        if n not in cols:
            raise UndefinedColumn(f'column "{n}" of relation "{shape.name}" does not exist')
        problem = column_problem(shape, cols[n], real)
        if problem is not None:
            raise FeatureNotSupported(f'cannot {verb} column "{n}" of view "{shape.name}"', detail=problem)
        base_col = ident(cols[n].this)
        if base_col in out:
            raise HeliosError(f'multiple assignments to same column "{base_col}"', sqlstate="42601")
        out.append(base_col)
    return out


def _source_width(source: Any) -> int | None:
    if isinstance(source, exp.Values) and source.expressions:
        first = source.expressions[0]
        return len(first.expressions) if isinstance(first, exp.Tuple) else 1
    if isinstance(source, exp.Select) and not any(isinstance(e, exp.Star) or (
            isinstance(e, exp.Column) and isinstance(e.this, exp.Star)) for e in source.expressions):
        return len(source.expressions)
    return None


def _default_of(shape: ViewShape, name: str) -> exp.Expression:
    return parse(f"select {shape.defaults[name]}")[0].ast.expressions[0]


def _with_view_defaults(shape: ViewShape, source: Any, names: list[str], real: list[str],
                        default_values: bool) -> tuple[Any, list[str]]:
    """The INSERT's source with the view's own column defaults filled in where the statement gives no
    value (columns left out, or DEFAULT in VALUES), as PostgreSQL's rewriter does."""
    if not shape.defaults:
        return source, names
    # a default of a column that cannot be written is still applied, and so refused (as PostgreSQL)
    extra = [n for n in shape.defaults if n not in names and n in dict(shape.columns)]
    if isinstance(source, exp.Values):
        source = source.copy()
        for row in source.expressions:
            cells = row.expressions if isinstance(row, exp.Tuple) else [row]
            for j, cell in enumerate(cells):
                if j < len(names) and names[j] in shape.defaults and isinstance(cell, exp.Var) and \
                        cell.name.upper() == "DEFAULT":
                    cell.replace(_default_of(shape, names[j]))
            if isinstance(row, exp.Tuple):
                row.set("expressions", [*row.expressions, *(_default_of(shape, n) for n in extra)])
        return source, [*names, *extra]
    if not extra:
        return source, names
    if source is None or default_values:
        return exp.Values(expressions=[exp.Tuple(expressions=[_default_of(shape, n) for n in extra])]), extra
    wrapped = exp.select("*", *(_default_of(shape, n) for n in extra)).from_(source.subquery("_view_source"))
    return wrapped, [*names, *extra]


def _rewrite_one(session: Any, txn: Any, ast: exp.Expression, shape: ViewShape,
                 checks: list[tuple[str, exp.Expression]]) -> tuple[exp.Expression, list]:
    """One level: the statement on ``shape``'s view as a statement on the relation it reads."""
    command = _command(ast)
    real = _relation_columns(session, txn, shape.base)
    target = _target_table(ast)
    alias = ident(target.args["alias"].this) if target.args.get("alias") is not None else shape.name
    quals = {alias, shape.name}
    mapping = {n: _requalified(e, shape.qual, alias) for n, e in shape.columns}
    if command != "DELETE" and not any(column_problem(shape, e, real) is None for _, e in shape.columns):
        raise refuse(command, shape.name, "Views that have no updatable columns are not automatically updatable.")
    base = shape.base.copy()
    base.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    new = ast.copy()
    checks = [(v, _substitute(c, mapping, quals)) for v, c in checks]
    view_where = _requalified(shape.where, shape.qual, alias) if shape.where is not None else None
    if command == "INSERT":
        tgt = ast.this
        source = ast.args.get("expression")
        if isinstance(tgt, exp.Schema) and tgt.expressions:
            names = [ident(c) for c in tgt.expressions]
        else:
            width = _source_width(source)
            names = [n for n, _ in shape.columns]
            if width is not None:
                names = names[:width]
            elif source is not None:
                names = [n for n, e in shape.columns if column_problem(shape, e, real) is None]
            if source is None or ast.args.get("default"):
                names = []
        source, names = _with_view_defaults(shape, source, names, real, bool(ast.args.get("default")))
        if source is not ast.args.get("expression"):
            new.set("expression", source)
            new.set("default", None)
        written = _written(command, shape, names, real)
        new.set("this", exp.Schema(this=base, expressions=[exp.to_identifier(c, quoted=True) for c in written])
                if written else base)
        conflict = ast.args.get("conflict")
        if conflict is not None:
            conflict = conflict.copy()
            excluded = {n: _requalified(e, shape.qual, "excluded") for n, e in shape.columns}
            keys = []
            for k in conflict.args.get("conflict_keys") or []:
                inner = k.this if isinstance(k, exp.Ordered) else k
                n = ident(inner.this if isinstance(inner, exp.Column) else inner)
                cols = dict(shape.columns)
                if n not in cols or column_problem(shape, cols[n], real) is not None:
                    raise UndefinedColumn(f'column "{n}" does not exist')
                keys.append(exp.column(ident(cols[n].this)))
            if keys:
                conflict.set("conflict_keys", keys)
            sets = []
            for e in conflict.expressions or []:
                if isinstance(e, exp.EQ):
                    col = e.this
                    n = ident(col.this if isinstance(col, exp.Column) else col)
                    (bc,) = _written("UPDATE", shape, [n], real)
                    sets.append(exp.EQ(this=exp.column(bc, quoted=True),
                                       expression=_substitute(e.expression, mapping, quals, excluded)))
                else:
                    sets.append(e)
            conflict.set("expressions", sets)
            if conflict.args.get("where") is not None:
                conflict.set("where", exp.Where(this=_substitute(
                    conflict.args["where"].this, mapping, quals, excluded)))
            new.set("conflict", conflict)
    else:
        new.set("this", base)
        if command == "UPDATE":
            sets = []
            for e in ast.expressions:
                col = e.this
                inner = col
                while isinstance(inner, exp.Bracket):  # SET v[1] = x: the element of the column it stands for
                    inner = inner.this
                n = ident(inner.this if isinstance(inner, exp.Column) else inner)
                (bc,) = _written(command, shape, [n], real)
                target: exp.Expression = exp.column(bc, quoted=True)
                if isinstance(col, exp.Bracket):
                    target = col.copy()
                    node = target
                    while isinstance(node.this, exp.Bracket):
                        node = node.this
                    node.set("this", exp.column(bc, quoted=True))
                sets.append(exp.EQ(this=target, expression=_substitute(e.expression, mapping, quals)))
            new.set("expressions", sets)
        where = ast.args.get("where")
        cond = _substitute(where.this, mapping, quals) if where is not None else None
        if view_where is not None:
            cond = exp.and_(exp.paren(view_where.copy()), exp.paren(cond)) if cond is not None else view_where.copy()
        new.set("where", exp.Where(this=cond) if cond is not None else None)
    new.set("returning", _rewrite_returning(ast.args.get("returning"), shape.columns, mapping, quals))
    return new, checks + ([(shape.name, view_where)] if view_where is not None and shape.check_option else [])


def rewrite(session: Any, ast: exp.Expression) -> Rewritten | None:
    """The statement rewritten down to a stored table when its target is a view, else None."""
    if not isinstance(ast, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        return None
    txn = session.tx.current()
    table = _target_table(ast)
    if not isinstance(table, exp.Table):
        return None
    found = view_record(session, txn, table)
    if found is None:
        return None
    if isinstance(ast, exp.Merge):
        raise HeliosError(f'cannot execute MERGE on relation "{found[1]}"', sqlstate="42809",
                          detail="This operation is not supported for views.")
    command = _command(ast)
    checks: list[tuple[str, exp.Expression]] = []
    cascade = False
    acting: str | None = None
    while found is not None:
        schema, name, rec = found
        shape = analyze(session, txn, schema, name, rec)
        _check_view_privileges(session, ast, shape, acting)
        if triggers_catalog.instead_of_fires(rec, command):  # the view's triggers do the writing
            plain = [(v, _unqualified(c, _target_alias(ast), name)) for v, c in reversed(checks)]
            return Rewritten(ast=ast, owner=acting or session.user, checks=plain, base=(schema, name),
                             instead_of=rec)
        if shape.reason is not None:
            raise refuse(command, name, shape.reason)
        # a view is checked for its own option, or because a CASCADED view above it asks
        effective = attrs.evolve(shape, check_option=shape.check_option or ("cascaded" if cascade else None))
        ast, checks = _rewrite_one(session, txn, ast, effective, checks)
        cascade = cascade or shape.check_option == "cascaded"
        if not (rec.get("options") or {}).get("security_invoker"):  # an invoker view's relations: as its caller
            acting = shape.owner
        found = view_record(session, txn, _target_table(ast))
    base = table_name(session, _target_table(ast), txn)
    if txn.get_table(*base) is None:
        raise UndefinedTable(f'relation "{base[1]}" does not exist')
    plain = [(v, _unqualified(c, _target_alias(ast), base[1])) for v, c in reversed(checks)]
    return Rewritten(ast=ast, owner=acting or session.user, checks=plain, base=base)


def _target_alias(ast: exp.Expression) -> str:
    target = _target_table(ast)
    return ident(target.args["alias"].this) if target.args.get("alias") is not None else target.name


def _unqualified(cond: exp.Expression, alias: str, table: str) -> exp.Expression:
    """A check condition as the new rows of ``table`` are checked against it: its own columns
    unqualified, and inside its subqueries the target's alias spelled as the table's name."""
    cond = cond.copy()
    for col in cond.find_all(exp.Column):
        if col.find_ancestor(exp.Select) is None:
            col.set("table", None)
        elif col.table == alias:
            col.set("table", exp.to_identifier(table, quoted=True))
    return cond


def _check_view_privileges(session: Any, ast: exp.Expression, shape: ViewShape, acting: str | None) -> None:
    """The statement's privilege on this view, for the user (top view) or the owner of the view above."""
    with P.acting_as(acting) if acting else contextlib.nullcontext():
        dml_privileges.check_view(session, ast, shape.schema, shape.name)


@contextlib.contextmanager
def check_options(rewritten: Rewritten) -> Iterator[None]:
    """Make the rewritten statement's check options part of its new rows' checks."""
    if not rewritten.checks:
        yield
        return
    current = dict(_CHECKS.get() or {})
    current[rewritten.base] = list(current.get(rewritten.base, [])) + rewritten.checks
    token = _CHECKS.set(current)
    try:
        yield
    finally:
        _CHECKS.reset(token)


def check_new_rows(session: Any, txn: Any, ctx: Any, tdef: Any, batch: pa.RecordBatch) -> None:
    """44000 when a new row of ``tdef`` fails the check option of a view the statement wrote through."""
    active = _CHECKS.get()
    if not active or batch.num_rows == 0:
        return
    checks = active.get((tdef.schema, tdef.name))
    parent = tdef
    while checks is None:  # a partition's rows answer to the checks of the table the view reads
        up = partitions.parent_of(parent)
        if up is None:
            return
        checks = active.get(up)
        parent = txn.get_table(*up)
    check_rows(ctx, tdef, batch, checks)


def check_rows(ctx: Any, tdef: Any, batch: pa.RecordBatch, checks: list[tuple[str, exp.Expression]]) -> None:
    """44000 unless every row of ``batch`` (shaped like ``tdef``) passes the views' conditions."""
    scope = Scope.of_table(tdef.name, table_sql_columns(tdef))
    for view, cond in checks:
        v = compile_scalar(cond, scope, ctx).evaluate(batch, ctx)
        arr = v.broadcast(batch.num_rows).array if v.scalar else v.array
        bad = pc.invert(pc.fill_null(arr, False))
        if pc.any(bad).as_py():
            i = pc.index(bad, True).as_py()
            raise CheckOptionViolation(f'new row violates check option for view "{view}"',
                                       detail=failing_row(tdef, batch, i))


def updatability(session: Any, txn: Any, schema: str, name: str
                 ) -> tuple[bool, bool, dict[str, bool], bool]:
    """(insertable, updatable and deletable, updatable per column, deletable) of a view, as
    information_schema and pg_relation_is_updatable report them; a view over a view is as
    updatable as both (one with no updatable column can still be deleted from)."""
    rec = txn.catalog_get("view", f"{schema}.{name}")
    if rec is None:
        return False, False, {}, False
    try:
        shape = analyze(session, txn, schema, name, rec)
    except HeliosError:
        return False, False, {}, False
    if shape.reason is not None:
        return False, False, {n: False for n in rec.get("columns") or []}, False
    real = _relation_columns(session, txn, shape.base)
    cols = {n: column_problem(shape, e, real) is None for n, e in shape.columns}
    deletable = True
    below = view_record(session, txn, shape.base)
    if below is not None:
        _b_ins, _b_upd, b_cols, deletable = updatability(session, txn, below[0], below[1])
        cols = {n: ok and b_cols.get(ident(dict(shape.columns)[n].this), False) for n, ok in cols.items()}
    writable = any(cols.values())
    return writable, writable and deletable, cols, deletable
