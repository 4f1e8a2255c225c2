"""CREATE / ALTER / DROP POLICY and the table's ROW LEVEL SECURITY switches, with PostgreSQL's errors."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core import roles
from helios_core.errors import (
    DuplicateObject,
    HeliosError,
    InsufficientPrivilege,
    UndefinedObject,
    UndefinedTable,
)
from helios_core.frontends.postgres import dialect
from helios_core.session import Result
from helios_core.sql import ddl, object_privileges
from helios_core.sql.expr import compile_scalar
from helios_core.sql.row_security import policies


def _table(session: Any, txn: Any, dotted: str) -> Any:
    parts = dotted.split(".")
    node = exp.Table(this=exp.to_identifier(parts[-1]), db=exp.to_identifier(parts[0]) if len(parts) > 1 else None)
    schema, name = ddl.table_name(session, node, txn)
    tdef = txn.get_table(schema, name)
    if tdef is None:
        if txn.catalog_get("view", f"{schema}.{name}") is not None:
            raise HeliosError(f'"{name}" is not a table', sqlstate="42809")
        raise UndefinedTable(f'relation "{dotted}" does not exist')
    return tdef


def _owned_table(session: Any, txn: Any, dotted: str) -> Any:
    tdef = _table(session, txn, dotted)
    if not object_privileges.is_owner(session, object_privileges.ObjectRef("table", tdef.name, tdef.schema)):
        raise InsufficientPrivilege(f"must be owner of table {tdef.name}")
    return tdef


def _resolve_roles(session: Any, names: list[str]) -> list[str]:
    graph = roles.role_graph(session.engine)
    out = []
    for n in names:
        if n in ("@current_user", "@current_role"):
            n = session.user
        elif n == "@session_user":
            n = session.session_user
        elif n != "public" and graph.get(n) is None:
            raise UndefinedObject(f'role "{n}" does not exist')
        if n not in out:
            out.append(n)
    if "public" in out and len(out) > 1:  # PostgreSQL keeps PUBLIC alone, with a warning
        out = ["public"]
    return out


def _expression(session: Any, tdef: Any, text: str | None) -> str | None:
    """The expression as stored (checked against the table's columns now, as PostgreSQL does)."""
    if text is None:
        return None
    tree = dialect.parse(f"SELECT ({text})")[0].ast.expressions[0]
    if tree.find(exp.AggFunc) is not None:
        raise HeliosError("aggregate functions are not allowed in policy expressions", sqlstate="42803")
    with policies.expanding(tdef):
        compile_scalar(tree, policies.table_scope(tdef), session.context(session.tx.current()))
    return (tree.this if isinstance(tree, exp.Paren) else tree).sql(dialect="postgres")


def _check_clauses(command: str, using: Any, check: Any) -> None:
    if command in ("SELECT", "DELETE") and check is not None:
        raise HeliosError("WITH CHECK cannot be applied to SELECT or DELETE", sqlstate="42601")
    if command == "INSERT" and using is not None:
        raise HeliosError("only WITH CHECK expression allowed for INSERT", sqlstate="42601")


def _store(txn: Any, tdef: Any, pols: list[dict]) -> None:
    txn.alter_table(tdef.schema, tdef.name, options={policies.POLICIES: pols})


def create(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    tdef = _owned_table(session, txn, a["table"])
    _check_clauses(a["command"], a.get("using"), a.get("check"))
    existing = policies.of_table(tdef)
    if any(p["name"] == a["name"] for p in existing):
        raise DuplicateObject(f'policy "{a["name"]}" for table "{tdef.name}" already exists')
    record = {"name": a["name"], "permissive": a["permissive"], "command": a["command"],
              "roles": _resolve_roles(session, a.get("roles") or ["public"]),
              "using": _expression(session, tdef, a.get("using")),
              "check": _expression(session, tdef, a.get("check"))}
    _store(txn, tdef, [*existing, record])
    return Result(command_tag="CREATE POLICY")


def _find(tdef: Any, name: str) -> dict:
    for p in policies.of_table(tdef):
        if p["name"] == name:
            return p
    raise UndefinedObject(f'policy "{name}" for table "{tdef.name}" does not exist')


def alter(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    tdef = _owned_table(session, txn, a["table"])
    old = _find(tdef, a["name"])
    new = dict(old)
    if "rename" in a:
        if any(p["name"] == a["rename"] for p in policies.of_table(tdef)):
            raise DuplicateObject(f'policy "{a["rename"]}" for table "{tdef.name}" already exists')
        new["name"] = a["rename"]
    else:
        if old["command"] in ("SELECT", "DELETE") and a.get("check") is not None:
            raise HeliosError("only USING expression allowed for SELECT, DELETE", sqlstate="42601")
        if old["command"] == "INSERT" and a.get("using") is not None:
            raise HeliosError("only WITH CHECK expression allowed for INSERT", sqlstate="42601")
        if a.get("roles"):
            new["roles"] = _resolve_roles(session, a["roles"])
        if a.get("using") is not None:
            new["using"] = _expression(session, tdef, a["using"])
        if a.get("check") is not None:
            new["check"] = _expression(session, tdef, a["check"])
    _store(txn, tdef, [new if p["name"] == old["name"] else p for p in policies.of_table(tdef)])
    return Result(command_tag="ALTER POLICY")


def drop(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    tdef = _table(session, txn, a["table"])
    if not any(p["name"] == a["name"] for p in policies.of_table(tdef)):
        if a["if_exists"]:
            return Result(command_tag="DROP POLICY",
                          notices=[f'policy "{a["name"]}" for relation "{tdef.name}" does not exist, skipping'])
        _find(tdef, a["name"])
    if not object_privileges.is_owner(session, object_privileges.ObjectRef("table", tdef.name, tdef.schema)):
        raise InsufficientPrivilege(f"must be owner of relation {tdef.name}")
    _store(txn, tdef, [p for p in policies.of_table(tdef) if p["name"] != a["name"]])
    return Result(command_tag="DROP POLICY")


def switch(session: Any, a: dict) -> Result:
    """ALTER TABLE t ENABLE | DISABLE | [NO] FORCE ROW LEVEL SECURITY (owners only)."""
    txn = session.tx.current()
    try:
        tdef = _owned_table(session, txn, a["table"])
    except UndefinedTable:
        if a["if_exists"]:
            return Result(command_tag="ALTER TABLE", notices=[f'relation "{a["table"]}" does not exist, skipping'])
        raise
    txn.alter_table(tdef.schema, tdef.name, options={policies.SWITCHES: {**policies.switches(tdef), **a["change"]}})
    return Result(command_tag="ALTER TABLE")


def drop_role_dependencies(session: Any, role: str) -> list[str]:
    """'policy p on table t' for every policy that names ``role`` (DROP ROLE refuses while any does)."""
    txn = session.tx.current()
    return [f"target of policy {p['name']} on table {t.name}" for t in txn.list_tables()
            for p in policies.of_table(t) if role in p["roles"]]
