"""The privileges an INSERT, UPDATE, DELETE or MERGE needs on its target table.

INSERT needs INSERT (on the table or on every listed column), plus UPDATE for ON CONFLICT
DO UPDATE; UPDATE needs UPDATE on the assigned columns; DELETE needs DELETE; MERGE what
its WHEN clauses do. A statement that reads the target's rows (WHERE, RETURNING, SET
expressions, MERGE's join) needs SELECT too, as in PostgreSQL. Other tables the statement
reads are checked by the planner like any query.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from helios_core import roles
from helios_core.errors import HeliosError
from helios_core.frontends.postgres.dialect import parse
from helios_core.sql import object_privileges as P
from helios_core.sql.ddl import table_name
from helios_core.sql.row_security import policies as rls_policies


def _ident(node: Any) -> str:
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    return str(node.name if hasattr(node, "name") else node)


def _target(session: Any, ast: Any) -> tuple[str, str] | None:
    node = ast.this
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table):
        return None
    schema, name = table_name(session, node, session.tx.current())
    return schema, name


def _needs(ast: Any) -> tuple[str, list[str] | None, bool]:
    """(privilege letters, the columns written or None, whether the target's rows are read)."""
    returning = ast.args.get("returning") is not None
    if isinstance(ast, exp.Insert):
        letters = "a"
        cols = None
        if isinstance(ast.this, exp.Schema) and ast.this.expressions:
            cols = [_ident(e) for e in ast.this.expressions]
        return letters, cols, returning or _conflict_update(ast) is not None
    if isinstance(ast, exp.Update):
        cols = []
        reads = returning or ast.args.get("where") is not None or ast.args.get("from") is not None or \
            ast.args.get("from_") is not None
        for e in ast.expressions:
            if isinstance(e, exp.EQ):
                target = e.this
                cols.append(_ident(target.this if isinstance(target, exp.Column) else target))
                if e.expression.find(exp.Column) is not None:
                    reads = True
        return "w", cols or None, reads
    if isinstance(ast, exp.Delete):
        reads = returning or ast.args.get("where") is not None or bool(ast.args.get("using"))
        return "d", None, reads
    if isinstance(ast, exp.Merge):
        letters = ""
        whens = ast.args.get("whens")
        for when in (whens.expressions if whens is not None else []):
            then = when.args.get("then")
            if isinstance(then, exp.Insert):
                letters += "a"
            elif isinstance(then, exp.Update):
                letters += "w"
            elif then is not None and "DELETE" in str(then).upper():
                letters += "d"
        return letters or "r", None, True
    return "", None, False


@contextlib.contextmanager
def checked(session: Any, ast: Any) -> Iterator[None]:
    """42501 unless the current user may run this DML; the target's own scan is then not rechecked."""
    if roles.role_graph(session.engine).is_superuser(P.checking_user(session)):
        yield
        return
    target = _target(session, ast)
    txn = session.tx.current()
    if target is None or txn.get_table(*target) is None:
        yield  # a view or a missing table: the DML itself reports it
        return
    letters, cols, reads = _needs(ast)
    if isinstance(ast, exp.Merge):  # each action on its own columns
        for letter, action_cols in _merge_actions(ast, [c.name for c in txn.get_table(*target).columns]):
            P.check_write(session, target[0], target[1], letter, columns=action_cols, reads=False)
    else:
        P.check_write(session, target[0], target[1], letters, columns=cols, reads=False)
    conflict_update = _conflict_update(ast) if isinstance(ast, exp.Insert) else None
    if conflict_update is not None:  # ON CONFLICT DO UPDATE: UPDATE on the columns it sets
        P.check_write(session, target[0], target[1], "w", columns=_set_columns(conflict_update) or None,
                      reads=False)
    read_cols = _read_columns(session, target, ast) if reads else []
    if read_cols:
        P.check(session, P.ObjectRef("table", target[1], target[0]), "r", columns=read_cols)
    command = {exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE"}.get(type(ast), "SELECT")
    try:
        with P.dml_target(*target), rls_policies.dml_target(*target, command, reads):
            yield
    except HeliosError as e:
        if e.sqlstate in ("23505", "23P01") and (e.detail or "").startswith("Key (") and \
                _keys_hidden(session, txn, target):
            e.detail = None  # PostgreSQL shows no key values to who may not read them
        raise


def _keys_hidden(session: Any, txn: Any, target: tuple[str, str]) -> bool:
    """A unique or exclusion violation names the clashing key only to a role that can read the
    table and sees it without row security (another row's key may be one it could not SELECT)."""
    tdef = txn.get_table(*target)
    if tdef is not None and rls_policies.applies(session, tdef):
        return True
    return not P.has_privilege(session, P.ObjectRef("table", target[1], target[0]), "r")


def check_view(session: Any, ast: Any, schema: str, name: str) -> None:
    """42501 unless the checking user may run this INSERT/UPDATE/DELETE on the view (its rows
    are then written through it with the view owner's rights)."""
    if roles.role_graph(session.engine).is_superuser(P.checking_user(session)):
        return
    letters, cols, reads = _needs(ast)
    ref = P.ObjectRef("view", name, schema)
    P.check_schema_usage(session, schema)
    P.check(session, ref, letters, columns=cols)
    if reads:
        P.check(session, ref, "r")


def _merge_actions(ast: Any, all_columns: list[str]) -> list[tuple[str, list[str] | None]]:
    """(letter, columns) of each MERGE action: INSERT on the inserted columns, UPDATE on the set
    ones, DELETE on the table."""
    out: list[tuple[str, list[str] | None]] = []
    whens = ast.args.get("whens")
    for when in (whens.expressions if whens is not None else []):
        then = when.args.get("then")
        if isinstance(then, exp.Insert):
            listed = then.this.expressions if isinstance(then.this, exp.Tuple) else (
                [then.this] if then.this is not None else [])
            out.append(("a", [_ident(c.this if isinstance(c, exp.Column) else c) for c in listed] or all_columns))
        elif isinstance(then, exp.Update):
            out.append(("w", _set_columns(then) or None))
        elif then is not None and "DELETE" in str(then).upper():
            out.append(("d", None))
    return out


def _merge_read_scopes(ast: Any) -> list[Any]:
    """Where a MERGE reads its target's columns: ON, the WHEN conditions of MATCHED actions and
    their SET expressions (a NOT MATCHED action sees only the source)."""
    scopes: list[Any] = [ast.args.get("on"), ast.args.get("returning")]
    whens = ast.args.get("whens")
    for when in (whens.expressions if whens is not None else []):
        if not when.args.get("matched"):
            continue
        scopes.append(when.args.get("condition"))
        then = when.args.get("then")
        if isinstance(then, exp.Update):
            scopes += [e.expression for e in then.expressions if isinstance(e, exp.EQ)]
    return scopes


def _conflict_update(ast: Any) -> Any:
    """The ON CONFLICT clause of an INSERT when its action is DO UPDATE, else None."""
    conflict = ast.args.get("conflict")
    action = conflict.args.get("action") if conflict is not None else None
    return conflict if action is not None and "UPDATE" in str(action).upper() else None


def _set_columns(node: Any) -> list[str]:
    return [_ident(e.this.this if isinstance(e.this, exp.Column) else e.this)
            for e in node.expressions if isinstance(e, exp.EQ)]


def _read_columns(session: Any, target: tuple[str, str], ast: Any) -> list[str]:
    """Columns of the target whose values the statement reads (SELECT on them is needed): those in
    WHERE, SET expressions, RETURNING, ON CONFLICT and MERGE's join, not the assigned ones."""
    tdef = session.tx.current().get_table(*target)
    names = {c.name for c in tdef.columns} if tdef is not None else set()
    node = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
    qualifiers = {target[1], node.alias_or_name} if isinstance(node, exp.Table) else {target[1]}
    assigned = {id(e.this) for e in ast.expressions if isinstance(e, exp.EQ)} if isinstance(ast, exp.Update) else set()
    scopes: list[Any] = []
    if isinstance(ast, exp.Insert):
        # ON CONFLICT DO UPDATE reads the arbiter's columns and those of its SET expressions and WHERE,
        # EXCLUDED's too (PostgreSQL asks SELECT on them); RETURNING reads what it names
        conflict = _conflict_update(ast)
        if conflict is not None:
            assigned = {id(e.this) for e in conflict.expressions if isinstance(e, exp.EQ)}
            qualifiers = qualifiers | {"excluded"}
            scopes = [*(conflict.args.get("conflict_keys") or []),
                      *(e.expression for e in conflict.expressions if isinstance(e, exp.EQ)),
                      conflict.args.get("where")]
        scopes.append(ast.args.get("returning"))
    elif isinstance(ast, exp.Merge):
        scopes = _merge_read_scopes(ast)
    else:
        scopes = [ast]
    used: set[str] = set()
    for scope in scopes:
        if scope is None:
            continue
        for col in scope.find_all(exp.Column):
            if id(col) in assigned or (col.table and col.table not in qualifiers):
                continue
            n = _ident(col.this)
            if n in names:
                used.add(n)
    returning = ast.args.get("returning")
    if returning is not None and returning.find(exp.Star) is not None:
        used |= names
    if isinstance(ast, exp.Merge) and not used:
        used = set(names)
    conflict = _conflict_update(ast) if isinstance(ast, exp.Insert) else None
    if conflict is not None and conflict.args.get("constraint") is not None and tdef is not None:
        used |= set(_constraint_columns(tdef, _ident(conflict.args["constraint"])))  # ON CONSTRAINT c
    return sorted(used)


def _constraint_columns(tdef: Any, cname: str) -> list[str]:
    """The columns of a table's primary key or unique constraint named ``cname`` ([] if none)."""
    options = tdef.options or {}
    if cname == options.get("pk_name", f"{tdef.name}_pkey"):
        return list(tdef.primary_key or [])
    return next((list(u["columns"]) for u in options.get("unique", []) if u["name"] == cname), [])


def _tables_of(session: Any, ast: Any) -> list[tuple[str, str]]:
    """(schema, name) of the stored tables a query's FROM clauses name (CTE names excluded)."""
    txn = session.tx.current()
    ctes = {c.alias_or_name for c in ast.find_all(exp.CTE)}
    out = []
    for t in ast.find_all(exp.Table):
        if not t.db and t.name in ctes:
            continue
        schema, name = table_name(session, t, txn)
        if txn.get_table(schema, name) is not None:
            out.append((schema, name))
    return out


def check_row_locks(session: Any, ast: Any, locks: list[Any]) -> None:
    """SELECT ... FOR UPDATE/NO KEY UPDATE/SHARE/KEY SHARE: UPDATE on each locked table, as PostgreSQL."""
    named = {_ident(e.this if isinstance(e, exp.Column) else e).lower()
             for lock in locks for e in (lock.args.get("expressions") or [])}
    _check_locked_relations(session, ast, named)


def _check_locked_relations(session: Any, ast: Any, named: set[str]) -> None:
    """UPDATE on each table and view a row-locking query reads; a view's own relations are checked
    as the view's owner (its caller for a security_invoker view), as PostgreSQL locks through it."""
    if roles.role_graph(session.engine).is_superuser(P.checking_user(session)):
        return
    txn = session.tx.current()
    ctes = {c.alias_or_name for c in ast.find_all(exp.CTE)}
    for t in ast.find_all(exp.Table):
        if not t.db and t.name in ctes:
            continue
        schema, name = table_name(session, t, txn)
        if named and name.lower() not in named:
            continue
        view = txn.catalog_get("view", f"{schema}.{name}") if txn.get_table(schema, name) is None else None
        if view is None and txn.get_table(schema, name) is None:
            continue
        ref = P.ObjectRef("view" if view is not None else "table", name, schema)
        if not any(P.has_privilege(session, ref, letter) for letter in "wdD"):
            raise P.denied(ref)
        if view is not None:
            body = parse(view["sql"])[0].ast
            invoker = bool((view.get("options") or {}).get("security_invoker"))
            with contextlib.nullcontext() if invoker else P.acting_as(view.get("owner") or P.BOOTSTRAP_OWNER):
                _check_locked_relations(session, body, set())


def check_lock_table(session: Any, tables: list[str], mode: str) -> None:
    """LOCK TABLE: ACCESS SHARE needs SELECT, ROW EXCLUSIVE INSERT, UPDATE, DELETE or TRUNCATE,
    stronger modes UPDATE, DELETE or TRUNCATE (PostgreSQL 15's rules)."""
    txn = session.tx.current()
    superuser = roles.role_graph(session.engine).is_superuser(P.checking_user(session))
    mode = mode.upper()
    needed = "r" if mode == "ACCESS SHARE" else ("awdD" if mode == "ROW EXCLUSIVE" else "wdD")
    for dotted in tables:
        ref = P.find_relation(session, dotted, txn)
        if superuser:
            continue
        if not any(P.has_privilege(session, ref, letter, txn=txn) for letter in needed):
            raise P.denied(ref)
