"""Which rows a role may see and write through a table's row-level security policies.

A table keeps its switches and policies in its options: ``row_security`` = {"enabled",
"forced"} and ``policies`` = records {name, permissive, command, roles, using, check} in
creation order (expressions as SQL text). The rules are PostgreSQL's: policies apply when
row security is enabled and the role is neither a superuser nor BYPASSRLS, nor the
table's owner (unless FORCE ROW LEVEL SECURITY). Then permissive policies are OR-ed,
restrictive ones AND-ed on top, and with no permissive policy at all nothing passes.
Reads filter rows (USING); new rows that fail WITH CHECK are refused with 42501.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core import roles
from helios_core.errors import HeliosError, InsufficientPrivilege
from helios_core.frontends.postgres import dialect
from helios_core.sql import object_privileges
from helios_core.sql.context import table_sql_columns
from helios_core.sql.expr import Scope, compile_scalar

SWITCHES = "row_security"
POLICIES = "policies"

# (schema, table) -> (command, reads): the target of the running INSERT/UPDATE/DELETE
_DML_COMMAND: contextvars.ContextVar[dict | None] = contextvars.ContextVar("rls_dml_command", default=None)
# tables whose policies are being expanded (a policy reading its own table recurses)
_EXPANDING: contextvars.ContextVar[frozenset] = contextvars.ContextVar("rls_expanding", default=frozenset())


# (schema, leaf) -> the partitioned table a statement named: the leaf obeys that table's policies
_THROUGH_PARENT: contextvars.ContextVar[dict | None] = contextvars.ContextVar("rls_through_parent", default=None)


@contextlib.contextmanager
def through_parent(leaf: Any, parent: Any) -> Iterator[None]:
    """An UPDATE/DELETE of a partitioned table runs on its leaves under the table's own policies."""
    token = _THROUGH_PARENT.set({**(_THROUGH_PARENT.get() or {}), (leaf.schema, leaf.name): parent})
    try:
        yield
    finally:
        _THROUGH_PARENT.reset(token)


def _governing(tdef: Any) -> Any:
    return (_THROUGH_PARENT.get() or {}).get((tdef.schema, tdef.name), tdef)


def switches(tdef: Any) -> dict:
    return dict((getattr(tdef, "options", None) or {}).get(SWITCHES) or {})


def of_table(tdef: Any) -> list[dict]:
    return list((getattr(tdef, "options", None) or {}).get(POLICIES) or [])


def applies(session: Any, tdef: Any) -> bool:
    """Whether the checking role's access to ``tdef`` goes through its policies."""
    if session is None or not hasattr(session, "engine") or not switches(tdef).get("enabled"):
        return False
    if object_privileges.checking_names_only():  # CREATE VIEW's validation reads no rows
        return False
    user = object_privileges.checking_user(session)
    graph = roles.role_graph(session.engine)
    rec = graph.get(user) or {}
    if graph.is_superuser(user) or rec.get("bypassrls"):
        return False
    owner = object_privileges.load(session, object_privileges.ObjectRef("table", tdef.name, tdef.schema))[0]
    if graph.has_privs_of(user, owner) and not switches(tdef).get("forced"):
        return False
    if str(session.settings_obj.values.get("row_security", "on")).lower() in ("off", "false", "0"):
        raise InsufficientPrivilege(f'query would be affected by row-level security policy for table "{tdef.name}"')
    return True


def _for_role(session: Any, tdef: Any, command: str) -> list[dict]:
    user = object_privileges.checking_user(session)
    graph = roles.role_graph(session.engine)
    return [p for p in of_table(tdef) if p["command"] in ("ALL", command)
            and any(r == "public" or graph.has_privs_of(user, r) for r in p["roles"])]


def _expr(text: str) -> exp.Expression:
    return exp.Paren(this=dialect.parse(f"SELECT {text}")[0].ast.expressions[0])


def table_scope(tdef: Any) -> Scope:
    """The scope a policy expression is bound in: the table's columns."""
    return Scope.of_table(tdef.name, table_sql_columns(tdef))


def _combined(pols: list[dict], key: str, fallback: str | None = None) -> exp.Expression:
    """PostgreSQL's combination: (p1 OR p2 ...) AND r1 AND r2 ...; FALSE with no permissive policy."""
    def text(p: dict) -> str | None:
        return p.get(key) or (p.get(fallback) if fallback else None)

    permissive = [_expr(t) for p in pols if p["permissive"] and (t := text(p))]
    restrictive = [_expr(t) for p in pols if not p["permissive"] and (t := text(p))]
    out: exp.Expression = exp.Paren(this=exp.or_(*permissive)) if permissive else exp.false()
    for r in restrictive:
        out = exp.and_(out, r)
    return out


def read_filter(session: Any, tdef: Any, qualifier: str) -> exp.Expression | None:
    """The condition rows of ``tdef`` must meet to be read here (None: no policy applies).
    Inside the target scan of INSERT/UPDATE/DELETE: that command's USING, plus SELECT's when
    the statement reads the rows (WHERE, RETURNING, SET expressions)."""
    tdef = _governing(tdef)
    if not applies(session, tdef):
        return None
    command, reads = (_DML_COMMAND.get() or {}).get((tdef.schema, tdef.name), ("SELECT", True))
    cond = _combined(_for_role(session, tdef, command), "using") if command != "SELECT" else None
    if reads or cond is None:
        sel = _combined(_for_role(session, tdef, "SELECT"), "using")
        cond = sel if cond is None else exp.and_(cond, sel)
    for col in cond.find_all(exp.Column):
        if col.table and col.table == tdef.name and not col.args.get("db"):
            col.set("table", exp.to_identifier(qualifier, quoted=True))
    return cond


@contextlib.contextmanager
def expanding(tdef: Any) -> Iterator[None]:
    """Around planning a table's policy: reading the same table again from it is 42P17."""
    key = (tdef.schema, tdef.name)
    if key in _EXPANDING.get():
        raise HeliosError(f'infinite recursion detected in policy for relation "{tdef.name}"', sqlstate="42P17")
    token = _EXPANDING.set(_EXPANDING.get() | {key})
    try:
        yield
    finally:
        _EXPANDING.reset(token)


@contextlib.contextmanager
def dml_target(schema: str, name: str, command: str, reads: bool) -> Iterator[None]:
    """While an INSERT/UPDATE/DELETE runs: its target's scan filters with that command's policies."""
    token = _DML_COMMAND.set({**(_DML_COMMAND.get() or {}), (schema, name): (command, reads)})
    try:
        yield
    finally:
        _DML_COMMAND.reset(token)


def reads_target(schema: str, name: str) -> bool:
    return (_DML_COMMAND.get() or {}).get((schema, name), ("SELECT", True))[1]


def check_new_rows(session: Any, ctx: Any, tdef: Any, batch: pa.RecordBatch, command: str,
                   *, with_select: bool = False) -> None:
    """42501 unless every new row passes the command's WITH CHECK (USING where a policy has no
    WITH CHECK) and, when the statement reads its rows back (RETURNING), SELECT's USING."""
    tdef = _governing(tdef)
    if batch is None or batch.num_rows == 0 or not applies(session, tdef):
        return
    pols = _for_role(session, tdef, command)
    checks: list[tuple[str | None, exp.Expression]] = [(None, _combined(
        [p for p in pols if p["permissive"]], "check", "using"))]
    checks += [(p["name"], _expr(p.get("check") or p["using"])) for p in pols
               if not p["permissive"] and (p.get("check") or p.get("using"))]
    if with_select:
        sel = _for_role(session, tdef, "SELECT")
        checks.append((None, _combined([p for p in sel if p["permissive"]], "using")))
        checks += [(p["name"], _expr(p["using"])) for p in sel if not p["permissive"] and p.get("using")]
    for name, cond in checks:
        _evaluate_check(session, ctx, tdef, batch, name, cond)


def _evaluate_check(session: Any, ctx: Any, tdef: Any, batch: pa.RecordBatch, name: str | None,
                    cond: exp.Expression) -> None:
    with expanding(tdef):
        c = compile_scalar(cond, table_scope(tdef), ctx)
        v = c.evaluate(batch, ctx)
    arr = v.broadcast(batch.num_rows).array if v.scalar else v.array
    if not pc.all(pc.fill_null(arr, False)).as_py():
        which = f' "{name}"' if name else ""
        raise InsufficientPrivilege(f'new row violates row-level security policy{which} for table "{tdef.name}"')


def check_existing_for_update(session: Any, ctx: Any, tdef: Any, batch: pa.RecordBatch) -> None:
    """INSERT ... ON CONFLICT DO UPDATE: the conflicting row must pass UPDATE's USING and SELECT's
    USING (42501)."""
    _existing_rows_pass(session, ctx, tdef, batch, ("UPDATE", "SELECT"), "new row")


def check_merge_targets(session: Any, ctx: Any, tdef: Any, batch: pa.RecordBatch, command: str) -> None:
    """MERGE's UPDATE or DELETE action: each target row it acts on must pass that command's USING;
    a row that does not is an error (42501), not skipped as a plain UPDATE/DELETE skips it."""
    _existing_rows_pass(session, ctx, tdef, batch, (command,), "target row")


def _existing_rows_pass(session: Any, ctx: Any, tdef: Any, batch: pa.RecordBatch, commands: tuple[str, ...],
                        what: str) -> None:
    """42501 unless every row of ``batch`` passes the USING of each command's policies."""
    if batch is None or batch.num_rows == 0 or not applies(session, tdef):
        return
    cond = exp.and_(*(_combined(_for_role(session, tdef, c), "using") for c in commands))
    with expanding(tdef):
        v = compile_scalar(cond, table_scope(tdef), ctx).evaluate(batch, ctx)
    arr = v.broadcast(batch.num_rows).array if v.scalar else v.array
    if not pc.all(pc.fill_null(arr, False)).as_py():
        raise InsufficientPrivilege(
            f'{what} violates row-level security policy (USING expression) for table "{tdef.name}"')
